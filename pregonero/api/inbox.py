"""API of the Bandeja de atención: messages, triage, assignment, notes, petitions
(PQRSD) with their legal terms, and the monthly Decreto 371 export.

The petitioner's personal data (DAT-01) is returned only to roles holding
``petition.personal_data``; lists and exports always mask it.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, has_perm
from pregonero.core.models import Channel, Dependency
from pregonero.inbox import actions, reply_actions
from pregonero.inbox.listing import capped_count, filter_items
from pregonero.inbox.models import InboundItem, Petition, Reply
from pregonero.inbox.permissions import visible_items
from pregonero.inbox.reports import (
    export_csv,
    export_xlsx,
    mask_contact,
    mask_document,
    mask_text,
)

from .base import ErrorOut, Page, in_org, paginate, require_perm, user_of

router = Router(tags=["Bandeja de atención y peticiones"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PetitionOut(Schema):
    id: int
    number: str
    typology: str
    typology_label: str
    state: str
    term_days: int
    received_at: datetime.datetime
    start_date: datetime.date
    due_date: datetime.date
    original_due_date: datetime.date
    referral_due: datetime.date
    dependency_id: int | None
    radicado: str
    referred_to: str
    referred_at: datetime.datetime | None
    clarification_due: datetime.date | None
    extended_at: datetime.datetime | None
    answer_text: str
    answer_url: str
    answered_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    on_time: bool | None
    petitioner_name: str
    petitioner_document: str
    petitioner_contact: str
    personal_data_masked: bool
    lock_version: int


class ItemSummary(Schema):
    id: int
    channel_id: int | None
    network: str
    kind: str
    author_handle: str
    text: str
    url: str
    received_at: datetime.datetime
    state: str
    typology: str
    assignee_id: int | None
    first_response_due: datetime.datetime | None
    responded_at: datetime.datetime | None
    petition_number: str | None
    due_date: datetime.date | None


class ItemPage(Page):
    # True when more than ``count`` (10,000) items match: narrow the filters.
    count_capped: bool = False
    items: list[ItemSummary]


COUNT_CAP = 10_000


class NoteOut(Schema):
    id: int
    author: str
    text: str
    created_at: datetime.datetime


class TriageOut(Schema):
    decision: str
    typology: str
    reason: str
    decided_by: str
    created_at: datetime.datetime


class ItemOut(ItemSummary):
    author_name: str
    # DAT-01: when the content was anonymised for its retention period.
    anonymised_at: datetime.datetime | None
    conversation_id: int | None
    thread_key: str | None
    lock_version: int
    triages: list[TriageOut]
    notes: list[NoteOut]
    petition: PetitionOut | None


def _summary(item: InboundItem) -> dict[str, Any]:
    petition = getattr(item, "petition", None)
    return {
        "id": item.pk,
        "channel_id": item.channel_id,
        "network": item.network,
        "kind": item.kind,
        "author_handle": item.author_handle,
        "text": item.text,
        "url": item.url,
        "received_at": item.received_at,
        "state": item.state,
        "typology": item.typology,
        "assignee_id": item.assignee_id,
        "first_response_due": item.first_response_due,
        "responded_at": item.responded_at,
        "petition_number": petition.number if petition else None,
        "due_date": petition.due_date if petition else None,
    }


def petition_out(petition: Petition, user: User) -> dict[str, Any]:
    personal = has_perm(user, Perm.PETITION_PERSONAL_DATA)
    return {
        "id": petition.pk,
        "number": petition.number,
        "typology": petition.typology,
        "typology_label": petition.get_typology_display(),
        "state": petition.state,
        "term_days": petition.term_days,
        "received_at": petition.received_at,
        "start_date": petition.start_date,
        "due_date": petition.due_date,
        "original_due_date": petition.original_due_date,
        "referral_due": petition.referral_due,
        "dependency_id": petition.dependency_id,
        "radicado": petition.radicado,
        "referred_to": petition.referred_to,
        "referred_at": petition.referred_at,
        "clarification_due": petition.clarification_due,
        "extended_at": petition.extended_at,
        "answer_text": petition.answer_text,
        "answer_url": petition.answer_url,
        "answered_at": petition.answered_at,
        "closed_at": petition.closed_at,
        "on_time": petition.answered_on_time,
        "petitioner_name": petition.petitioner_name
        if personal
        else mask_text(petition.petitioner_name),
        "petitioner_document": petition.petitioner_document
        if personal
        else mask_document(petition.petitioner_document),
        "petitioner_contact": petition.petitioner_contact
        if personal
        else mask_contact(petition.petitioner_contact),
        "personal_data_masked": not personal,
        "lock_version": petition.lock_version,
    }


def item_out(item: InboundItem, user: User) -> dict[str, Any]:
    petition = Petition.objects.filter(item=item).first()
    return {
        **_summary(item),
        "petition_number": petition.number if petition else None,
        "due_date": petition.due_date if petition else None,
        "author_name": item.author_name,
        "anonymised_at": item.anonymised_at,
        "conversation_id": item.conversation_id,
        "thread_key": item.conversation.thread_key if item.conversation else None,
        "lock_version": item.lock_version,
        "triages": [
            {
                "decision": t.decision,
                "typology": t.typology,
                "reason": t.reason,
                "decided_by": str(t.decided_by),
                "created_at": t.created_at,
            }
            for t in item.triages.select_related("decided_by")
        ],
        "notes": [
            {
                "id": n.pk,
                "author": str(n.author),
                "text": n.text,
                "created_at": n.created_at,
            }
            for n in item.notes.select_related("author")
        ],
        "petition": petition_out(petition, user) if petition else None,
    }


def _item(user: User, item_id: int) -> InboundItem:
    item = (
        visible_items(user)
        .select_related("conversation", "channel")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404
    return item


def _petition(user: User, item_id: int) -> Petition:
    petition = Petition.objects.filter(
        item=_item(user, item_id), organization_id=user.organization_id
    ).first()
    if petition is None:
        raise Http404
    return petition


@router.get(
    "/inbox/items",
    response={200: ItemPage, **ERRORS},
    summary="Listar los mensajes de la bandeja",
)
def list_items(
    request: HttpRequest,
    network: str = "",
    state: str = "",
    kind: str = "",
    typology: str = "",
    assignee_id: int | None = None,
    overdue: bool = False,
    without_radicado: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.INBOX_VIEW)
    items = (
        visible_items(user).select_related("petition").order_by("-received_at", "-pk")
    )
    items = filter_items(
        items,
        user,
        network=network,
        state=state,
        kind=kind,
        typology=typology,
        assignee=str(assignee_id or ""),
        overdue=overdue,
        without_radicado=without_radicado,
    )
    # A large entity's Bandeja holds millions: counted up to COUNT_CAP.
    count, capped = capped_count(items, COUNT_CAP)
    count, rows = paginate(items, offset, limit, count=count)
    return {
        "count": count,
        "count_capped": capped,
        "offset": offset,
        "limit": limit,
        "items": [_summary(i) for i in rows],
    }


class ItemIn(Schema):
    kind: Literal["comment", "mention", "direct_message", "email", "phone"]
    author_handle: str
    text: str
    received_at: datetime.datetime
    channel_id: int | None = None
    author_name: str = ""
    url: str = ""


@router.post(
    "/inbox/items",
    response={201: ItemOut, **ERRORS},
    summary="Registrar a mano un mensaje recibido",
)
def create_item(request: HttpRequest, payload: ItemIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    item = actions.register_item(
        user,
        actions.ItemData(
            kind=payload.kind,
            author_handle=payload.author_handle,
            text=payload.text,
            received_at=payload.received_at,
            channel=in_org(Channel, user, payload.channel_id, "channel_id"),
            author_name=payload.author_name,
            url=payload.url,
        ),
    )
    return Status(201, item_out(item, user))


@router.get(
    "/inbox/items/{item_id}",
    response={200: ItemOut, **ERRORS},
    summary="Ver un mensaje con su petición",
)
def get_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.INBOX_VIEW)
    return item_out(_item(user, item_id), user)


class TriageIn(Schema):
    decision: Literal["interaction", "petition", "not_applicable"]
    typology: str = ""
    reason: str = ""
    dependency_id: int | None = None
    lock_version: int | None = None


@router.post(
    "/inbox/items/{item_id}/triage",
    response={200: ItemOut, **ERRORS},
    summary="Clasificar: interacción, petición (con tipología) o no procede",
)
def triage(request: HttpRequest, item_id: int, payload: TriageIn) -> dict[str, Any]:
    user = user_of(request)
    item = _item(user, item_id)
    actions.triage(
        user,
        item,
        payload.decision,
        typology=payload.typology,
        reason=payload.reason,
        dependency=in_org(Dependency, user, payload.dependency_id, "dependency_id"),
        lock_version=payload.lock_version,
    )
    return item_out(_item(user, item_id), user)


class AssignIn(Schema):
    assignee_id: int | None
    lock_version: int | None = None


@router.post(
    "/inbox/items/{item_id}/assignment",
    response={200: ItemOut, **ERRORS},
    summary="Asignar el mensaje (o quitar la asignación)",
)
def assign(request: HttpRequest, item_id: int, payload: AssignIn) -> dict[str, Any]:
    user = user_of(request)
    item = _item(user, item_id)
    assignee = in_org(User, user, payload.assignee_id, "assignee_id")
    actions.assign(user, item, assignee, lock_version=payload.lock_version)
    return item_out(_item(user, item_id), user)


class NoteIn(Schema):
    text: str


@router.post(
    "/inbox/items/{item_id}/notes",
    response={201: NoteOut, **ERRORS},
    summary="Agregar una nota interna",
)
def add_note(
    request: HttpRequest, item_id: int, payload: NoteIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    note = actions.add_note(user, _item(user, item_id), payload.text)
    return Status(
        201,
        {
            "id": note.pk,
            "author": str(note.author),
            "text": note.text,
            "created_at": note.created_at,
        },
    )


class ReplyIn(Schema):
    text: str
    private: bool = False
    # DAT-01: a public reply with personal data is refused unless this is true.
    confirm_not_personal: bool = False
    as_petition_answer: bool = False


class ReplyOut(Schema):
    id: int
    text: str
    private: bool
    state: str
    state_label: str
    platform_id: str
    permalink: str
    sent_at: datetime.datetime | None
    created_at: datetime.datetime
    created_by: str
    last_error: str
    # Unconfirmed and the network cannot check it: a person says if it went
    # out (POST /inbox/replies/{id}/resolve).
    needs_review: bool


def reply_out(reply: Reply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "text": reply.text,
        "private": reply.private,
        "state": reply.state,
        "state_label": str(reply.get_state_display()),
        "platform_id": reply.platform_id,
        "permalink": reply.permalink,
        "sent_at": reply.sent_at,
        "created_at": reply.created_at,
        "created_by": str(reply.created_by),
        "last_error": reply.last_error,
        "needs_review": reply.needs_review,
    }


@router.get(
    "/inbox/items/{item_id}/replies",
    response={200: list[ReplyOut], **ERRORS},
    summary="Respuestas enviadas o en cola de un mensaje",
)
def list_replies(request: HttpRequest, item_id: int) -> list[dict[str, Any]]:
    user = user_of(request)
    item = _item(user, item_id)
    return [
        reply_out(r)
        for r in Reply.objects.filter(
            item=item, organization_id=user.organization_id
        ).select_related("created_by")
    ]


@router.post(
    "/inbox/items/{item_id}/replies",
    response={201: ReplyOut, **ERRORS},
    summary="Responder por la red (pública o privada), exactamente una vez",
)
def create_reply(
    request: HttpRequest, item_id: int, payload: ReplyIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    reply = reply_actions.create_reply(
        user,
        _item(user, item_id),
        payload.text,
        private=payload.private,
        confirm_not_personal=payload.confirm_not_personal,
        as_petition_answer=payload.as_petition_answer,
    )
    return Status(201, reply_out(reply))


class ResolveReplyIn(Schema):
    sent: bool
    permalink: str = ""
    note: str


@router.post(
    "/inbox/replies/{reply_id}/resolve",
    response={200: ReplyOut, **ERRORS},
    summary="Decir si salió una respuesta que la red no pudo confirmar",
    description=(
        "sent=true: la respuesta salió (permalink obligatorio si es pública); "
        "sent=false: vuelve a la cola para enviarla de nuevo. note: cómo se "
        "comprobó (obligatoria, queda en el historial)."
    ),
)
def resolve_reply(
    request: HttpRequest, reply_id: int, payload: ResolveReplyIn
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.INBOX_VIEW)
    reply = (
        Reply.objects.filter(
            pk=reply_id,
            organization_id=user.organization_id,
            item__in=visible_items(user),
        )
        .select_related("created_by")
        .first()
    )
    if reply is None:
        raise Http404
    reply = reply_actions.resolve_reply(
        user, reply, sent=payload.sent, permalink=payload.permalink, note=payload.note
    )
    return reply_out(reply)


class PetitionIn(Schema):
    """Fields to change; omitted ones stay as they are."""

    radicado: str | None = None
    dependency_id: int | None = None
    petitioner_name: str | None = None
    petitioner_document: str | None = None
    petitioner_contact: str | None = None
    lock_version: int | None = None


@router.patch(
    "/inbox/items/{item_id}/petition",
    response={200: PetitionOut, **ERRORS},
    summary="Radicado, dependencia y datos del peticionario",
)
def update_petition(
    request: HttpRequest, item_id: int, payload: PetitionIn
) -> dict[str, Any]:
    user = user_of(request)
    petition = _petition(user, item_id)
    version = payload.lock_version
    if payload.radicado is not None:
        petition = actions.set_radicado(
            user, petition, payload.radicado, lock_version=version
        )
        version = None if version is None else petition.lock_version
    petition = actions.update_petition(
        user,
        petition,
        actions.PetitionFields(
            dependency=in_org(Dependency, user, payload.dependency_id, "dependency_id"),
            petitioner_name=payload.petitioner_name,
            petitioner_document=payload.petitioner_document,
            petitioner_contact=payload.petitioner_contact,
        ),
        lock_version=version,
    )
    return petition_out(petition, user)


class PetitionStepIn(Schema):
    action: Literal[
        "refer",
        "request_clarification",
        "receive_clarification",
        "extend",
        "answer",
        "close",
    ]
    text: str = ""
    url: str = ""
    entity: str = ""
    new_due_date: datetime.date | None = None
    received_at: datetime.datetime | None = None
    lock_version: int | None = None


@router.post(
    "/inbox/items/{item_id}/petition/steps",
    response={200: PetitionOut, **ERRORS},
    summary="Remitir, pedir o recibir aclaración, ampliar, responder o cerrar",
    description=(
        "refer: entity, text (nota); request_clarification: text; "
        "receive_clarification: received_at; extend: new_due_date, text (motivos); "
        "answer: text, url; close: sin campos (exige el radicado)."
    ),
)
def petition_step(
    request: HttpRequest, item_id: int, payload: PetitionStepIn
) -> dict[str, Any]:
    from pregonero.core.errors import ValidationFailed

    user = user_of(request)
    petition = _petition(user, item_id)
    v = payload.lock_version
    if payload.action == "refer":
        petition = actions.refer(
            user, petition, payload.entity, payload.text, lock_version=v
        )
    elif payload.action == "request_clarification":
        petition = actions.request_clarification(
            user, petition, payload.text, lock_version=v
        )
    elif payload.action == "receive_clarification":
        petition = actions.receive_clarification(
            user, petition, payload.received_at, lock_version=v
        )
    elif payload.action == "extend":
        if payload.new_due_date is None:
            raise ValidationFailed(
                _("Escriba la nueva fecha de vencimiento."),
                errors={"new_due_date": [_("Este campo es obligatorio.")]},
            )
        petition = actions.extend(
            user, petition, payload.new_due_date, payload.text, lock_version=v
        )
    elif payload.action == "answer":
        petition = actions.record_answer(
            user, petition, payload.text, payload.url, lock_version=v
        )
    else:
        petition = actions.close(user, petition, lock_version=v)
    return petition_out(petition, user)


@router.get(
    "/inbox/export",
    summary="Exportar las peticiones de un mes (Decreto 371), datos personales enmascarados",
    response={200: None, **ERRORS},
)
def export(
    request: HttpRequest,
    month: str = "",
    format: Literal["csv", "xlsx"] = "csv",
) -> HttpResponse:
    user = user_of(request)
    require_perm(user, Perm.INBOX_VIEW)
    try:
        start = datetime.date.fromisoformat(f"{month}-01")
    except ValueError:
        start = timezone.localdate().replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
        days=1
    )
    name = f"peticiones-{start:%Y-%m}"
    if format == "xlsx":
        response = HttpResponse(
            export_xlsx(user.organization_id, start, end),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            export_csv(user.organization_id, start, end),
            content_type="text/csv; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    return response
