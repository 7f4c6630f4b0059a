"""API for activity 14: schedule, move, cancel, record manual publications; attempts."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, has_perm
from pregonero.content.permissions import visible_pieces
from pregonero.core.models import Channel
from pregonero.publishing import actions
from pregonero.publishing.models import Publication

from .base import ErrorOut, Page, in_org, paginate, user_of

router = Router(tags=["Publicación (actividad 14)"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class AttemptOut(Schema):
    kind: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    duration_ms: int | None
    outcome: str
    summary: str
    error: str


class PublicationOut(Schema):
    id: int
    piece_id: int
    channel_id: int
    channel: str
    status: str
    status_label: str
    held: bool
    scheduled_at: datetime.datetime | None
    published_at: datetime.datetime | None
    permalink: str
    platform_id: str
    seal_hash: str
    text: str
    manual: bool
    last_error: str
    failure_code: str
    needs_review: bool
    erratum_of_id: int | None
    withdrawn_at: datetime.datetime | None
    withdraw_reason: str
    lock_version: int
    attempts: list[AttemptOut]


def publication_out(p: Publication) -> dict[str, Any]:
    return {
        "id": p.pk,
        "piece_id": p.piece_id,
        "channel_id": p.channel_id,
        "channel": p.channel.name,
        "status": p.status,
        "status_label": p.get_status_display(),
        "held": p.status == "scheduled" and p.piece.state != "approved",
        "scheduled_at": p.scheduled_at,
        "published_at": p.published_at,
        "permalink": p.permalink,
        "platform_id": p.platform_id,
        "seal_hash": p.seal_hash,
        "text": p.text,
        "manual": actions.is_manual(p.channel),
        "last_error": p.last_error,
        "failure_code": p.failure_code,
        "needs_review": p.needs_review,
        "erratum_of_id": p.erratum_of_id,
        "withdrawn_at": p.withdrawn_at,
        "withdraw_reason": p.withdraw_reason,
        "lock_version": p.lock_version,
        "attempts": [
            {
                "kind": a.kind,
                "started_at": a.started_at,
                "finished_at": a.finished_at,
                "duration_ms": a.duration_ms,
                "outcome": a.outcome,
                "summary": a.summary,
                "error": a.error,
            }
            for a in p.attempts.all()
        ],
    }


def _publication(user: User, publication_id: int) -> Publication:
    publication = (
        Publication.objects.select_related("piece", "channel")
        .filter(pk=publication_id, piece__in=visible_pieces(user))
        .first()
    )
    if publication is None:
        raise Http404
    return publication


def _piece(user: User, piece_id: int) -> Any:
    piece = visible_pieces(user).filter(pk=piece_id).first()
    if piece is None:
        raise Http404
    return piece


class PublicationSummary(Schema):
    id: int
    piece_id: int
    channel_id: int
    status: str
    scheduled_at: datetime.datetime | None
    published_at: datetime.datetime | None
    permalink: str


class PublicationPage(Page):
    items: list[PublicationSummary]


@router.get(
    "/publications",
    response={200: PublicationPage, **ERRORS},
    summary="Listar publicaciones",
)
def list_publications(
    request: HttpRequest,
    status: str = "",
    channel_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    user = user_of(request)
    rows = Publication.objects.for_org(user.organization_id).order_by(
        "-scheduled_at", "-pk"
    )
    if not has_perm(user, Perm.READ_ALL):
        rows = rows.filter(piece__in=visible_pieces(user))
    if status:
        rows = rows.filter(status=status)
    if channel_id:
        rows = rows.filter(channel_id=channel_id)
    count, items = paginate(rows, offset, limit)
    return {"count": count, "offset": offset, "limit": limit, "items": items}


class ScheduleIn(Schema):
    channel_id: int
    scheduled_at: datetime.datetime | None = None


@router.post(
    "/pieces/{piece_id}/publications",
    response={201: PublicationOut, **ERRORS},
    summary="Programar la pieza en un canal (sin fecha: publicar ahora)",
)
def schedule(
    request: HttpRequest, piece_id: int, payload: ScheduleIn
) -> Status[dict[str, Any]]:
    from django.utils import timezone

    user = user_of(request)
    channel = in_org(Channel, user, payload.channel_id, "channel_id")
    assert channel is not None
    when = payload.scheduled_at or timezone.now()
    publication = actions.schedule_publication(
        user, _piece(user, piece_id), channel, when
    )
    return Status(201, publication_out(publication))


class ManualIn(Schema):
    channel_id: int
    permalink: str
    published_at: datetime.datetime
    note: str = ""


@router.post(
    "/pieces/{piece_id}/manual-publications",
    response={201: PublicationOut, **ERRORS},
    summary="Registrar una publicación hecha a mano",
)
def manual(
    request: HttpRequest, piece_id: int, payload: ManualIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    channel = in_org(Channel, user, payload.channel_id, "channel_id")
    assert channel is not None
    publication = actions.record_manual_publication(
        user,
        _piece(user, piece_id),
        channel,
        permalink=payload.permalink,
        published_at=payload.published_at,
        note=payload.note,
    )
    return Status(201, publication_out(publication))


@router.get(
    "/publications/{publication_id}",
    response={200: PublicationOut, **ERRORS},
    summary="Ver una publicación y sus intentos",
)
def get_publication(request: HttpRequest, publication_id: int) -> dict[str, Any]:
    return publication_out(_publication(user_of(request), publication_id))


class RescheduleIn(Schema):
    scheduled_at: datetime.datetime
    lock_version: int | None = None


@router.post(
    "/publications/{publication_id}/reschedule",
    response={200: PublicationOut, **ERRORS},
    summary="Reprogramar",
)
def reschedule(
    request: HttpRequest, publication_id: int, payload: RescheduleIn
) -> dict[str, Any]:
    user = user_of(request)
    publication = actions.reschedule_publication(
        user,
        _publication(user, publication_id),
        payload.scheduled_at,
        lock_version=payload.lock_version,
    )
    return publication_out(publication)


class CancelIn(Schema):
    reason: str


@router.post(
    "/publications/{publication_id}/cancel",
    response={200: PublicationOut, **ERRORS},
    summary="Cancelar una publicación",
)
def cancel(
    request: HttpRequest, publication_id: int, payload: CancelIn
) -> dict[str, Any]:
    user = user_of(request)
    publication = actions.cancel_publication(
        user, _publication(user, publication_id), reason=payload.reason
    )
    return publication_out(publication)


class WithdrawIn(Schema):
    reason: str
    removed_by_hand: bool = False


@router.post(
    "/publications/{publication_id}/withdraw",
    response={200: PublicationOut, **ERRORS},
    summary="Retirar una publicación de la red (con motivo)",
)
def withdraw(
    request: HttpRequest, publication_id: int, payload: WithdrawIn
) -> dict[str, Any]:
    user = user_of(request)
    publication = actions.withdraw_publication(
        user,
        _publication(user, publication_id),
        reason=payload.reason,
        removed_by_hand=payload.removed_by_hand,
    )
    return publication_out(publication)


class ResolveIn(Schema):
    published: bool
    permalink: str = ""
    note: str = ""


@router.post(
    "/publications/{publication_id}/resolve",
    response={200: PublicationOut, **ERRORS},
    summary="Decir si una publicación sin confirmar quedó publicada",
)
def resolve(
    request: HttpRequest, publication_id: int, payload: ResolveIn
) -> dict[str, Any]:
    user = user_of(request)
    publication = actions.resolve_unconfirmed(
        user,
        _publication(user, publication_id),
        published=payload.published,
        permalink=payload.permalink,
        note=payload.note,
    )
    return publication_out(publication)
