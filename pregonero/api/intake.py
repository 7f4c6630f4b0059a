"""API for activity 1: communication needs, e-mail import, triage."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm
from pregonero.core.models import Audience, Campaign, Channel, Dependency, Program
from pregonero.core.viewutils import download
from pregonero.intake import actions
from pregonero.intake.models import Need, NeedAttachment
from pregonero.intake.permissions import visible_needs

from .base import ErrorOut, Page, in_org, many_in_org, paginate, require_perm, user_of

router = Router(tags=["Necesidades (actividad 1)"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class AttachmentOut(Schema):
    id: int
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    from_email: bool


class NeedOut(Schema):
    id: int
    number: str
    title: str
    description: str
    source: str
    dependency_id: int
    dependency: str
    requester: str
    audience_ids: list[int]
    desired_date: datetime.date | None
    event_date: datetime.date | None
    urgency: str
    state: str
    state_label: str
    triage_note: str
    discard_reason: str
    lock_version: int
    created_at: datetime.datetime
    email_subject: str
    attachments: list[AttachmentOut]
    piece_ids: list[int]


class NeedSummary(Schema):
    id: int
    number: str
    title: str
    dependency: str
    source: str
    urgency: str
    state: str
    desired_date: datetime.date | None
    created_at: datetime.datetime


class NeedPage(Page):
    items: list[NeedSummary]


def need_out(need: Need) -> dict[str, Any]:
    return {
        "id": need.pk,
        "number": need.number,
        "title": need.title,
        "description": need.description,
        "source": need.source,
        "dependency_id": need.dependency_id,
        "dependency": str(need.dependency),
        "requester": need.requester_display,
        "audience_ids": [a.pk for a in need.audiences.all()],
        "desired_date": need.desired_date,
        "event_date": need.event_date,
        "urgency": need.urgency,
        "state": need.state,
        "state_label": need.get_state_display(),
        "triage_note": need.triage_note,
        "discard_reason": need.discard_reason,
        "lock_version": need.lock_version,
        "created_at": need.created_at,
        "email_subject": need.email_subject,
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "kind": a.kind,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "from_email": a.from_email,
            }
            for a in need.attachments.all()
        ],
        "piece_ids": [p.pk for p in need.pieces.all()],
    }


@router.get("/needs", response={200: NeedPage, **ERRORS}, summary="Listar necesidades")
def list_needs(
    request: HttpRequest,
    state: str = "",
    dependency_id: int | None = None,
    q: str = "",
    offset: int = 0,
    limit: int = 25,
) -> dict[str, Any]:
    user = user_of(request)
    needs = visible_needs(user).select_related("dependency").order_by("-created_at")
    if state:
        needs = needs.filter(state=state)
    if dependency_id:
        needs = needs.filter(dependency_id=dependency_id)
    if q:
        needs = needs.filter(title__icontains=q)
    count, rows = paginate(needs, offset, limit)
    items = [
        {
            "id": n.pk,
            "number": n.number,
            "title": n.title,
            "dependency": str(n.dependency),
            "source": n.source,
            "urgency": n.urgency,
            "state": n.state,
            "desired_date": n.desired_date,
            "created_at": n.created_at,
        }
        for n in rows
    ]
    return {"count": count, "offset": offset, "limit": limit, "items": items}


class NeedIn(Schema):
    title: str
    description: str
    source: Literal[
        "committee", "directors_meeting", "mailbox", "liaison", "oac_initiative"
    ]
    dependency_id: int
    requester_name: str = ""
    requester_email: str = ""
    audience_ids: list[int] = []
    desired_date: datetime.date | None = None
    event_date: datetime.date | None = None
    urgency: Literal["normal", "high", "urgent"] = "normal"


def _need_data(user: User, payload: NeedIn) -> actions.NeedData:
    return actions.NeedData(
        title=payload.title,
        description=payload.description,
        source=payload.source,
        dependency=in_org(Dependency, user, payload.dependency_id, "dependency_id"),
        requester=None if payload.requester_name else user,
        requester_name=payload.requester_name,
        requester_email=payload.requester_email,
        audiences=many_in_org(Audience, user, payload.audience_ids, "audience_ids"),
        desired_date=payload.desired_date,
        event_date=payload.event_date,
        urgency=payload.urgency,
    )


@router.post(
    "/needs", response={201: NeedOut, **ERRORS}, summary="Registrar una necesidad"
)
def create_need(request: HttpRequest, payload: NeedIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    return Status(201, need_out(actions.register_need(user, _need_data(user, payload))))


@router.post(
    "/needs/import-eml",
    response={201: NeedOut, **ERRORS},
    summary="Registrar una necesidad desde un correo .eml",
)
def import_eml(
    request: HttpRequest,
    file: File[UploadedFile],
    dependency_id: Form[int],
    urgency: Form[str] = "normal",
    desired_date: Form[datetime.date | None] = None,
) -> Status[dict[str, Any]]:
    user = user_of(request)
    need = actions.import_eml(
        user,
        file,
        file.name or "correo.eml",
        dependency=in_org(Dependency, user, dependency_id, "dependency_id"),
        urgency=urgency,
        desired_date=desired_date,
    )
    return Status(201, need_out(need))


def _visible(user: User, need_id: int) -> Need:
    from django.http import Http404

    need = visible_needs(user).filter(pk=need_id).first()
    if need is None:
        raise Http404
    return need


@router.get(
    "/needs/{need_id}", response={200: NeedOut, **ERRORS}, summary="Ver una necesidad"
)
def get_need(request: HttpRequest, need_id: int) -> dict[str, Any]:
    return need_out(_visible(user_of(request), need_id))


@router.post(
    "/needs/{need_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    summary="Adjuntar un archivo",
)
def add_attachment(
    request: HttpRequest, need_id: int, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    user = user_of(request)
    attachment = actions.add_attachment(
        user, _visible(user, need_id), file, file.name or "archivo"
    )
    return Status(
        201,
        {
            "id": attachment.pk,
            "name": attachment.original_name,
            "kind": attachment.kind,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "from_email": attachment.from_email,
        },
    )


@router.get(
    "/needs/{need_id}/attachments/{attachment_id}",
    summary="Descargar un adjunto",
    response={200: None, **ERRORS},
)
def get_attachment(
    request: HttpRequest, need_id: int, attachment_id: int
) -> FileResponse:
    user = user_of(request)
    need = _visible(user, need_id)
    attachment = NeedAttachment.objects.filter(need=need, pk=attachment_id).first()
    if attachment is None:
        from django.http import Http404

        raise Http404
    return download(attachment)


class PieceSeed(Schema):
    title: str | None = None
    format: str = "image"
    writer_id: int | None = None
    designer_id: int | None = None
    channel_ids: list[int] = []
    program_id: int | None = None
    campaign_id: int | None = None


class TriageIn(Schema):
    action: Literal["triage_punctual", "triage_planning", "discard"]
    note: str = ""
    lock_version: int | None = None
    piece: PieceSeed | None = None


class TriageOut(Schema):
    need: NeedOut
    piece_id: int | None


@router.post(
    "/needs/{need_id}/triage",
    response={200: TriageOut, **ERRORS},
    summary="Clasificar: acción puntual, planeación o descarte",
)
def triage(request: HttpRequest, need_id: int, payload: TriageIn) -> dict[str, Any]:
    from pregonero.content.actions import PieceData
    from pregonero.content.models import Piece

    user = user_of(request)
    require_perm(user, Perm.NEED_TRIAGE)
    need = _visible(user, need_id)
    piece_data = None
    if payload.piece is not None and payload.action == "triage_punctual":
        seed = payload.piece
        piece_data = PieceData(
            title=seed.title or need.title,
            format=seed.format,
            writer=in_org(User, user, seed.writer_id, "piece.writer_id"),
            designer=in_org(User, user, seed.designer_id, "piece.designer_id"),
            channels=many_in_org(Channel, user, seed.channel_ids, "piece.channel_ids"),
            program=in_org(Program, user, seed.program_id, "piece.program_id"),
            campaign=in_org(Campaign, user, seed.campaign_id, "piece.campaign_id"),
        )
    result = actions.triage_need(
        user,
        need,
        payload.action,
        note=payload.note,
        lock_version=payload.lock_version,
        piece_data=piece_data,
    )
    need.refresh_from_db()
    return {
        "need": need_out(need),
        "piece_id": result.pk if isinstance(result, Piece) else None,
    }
