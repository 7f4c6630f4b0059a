"""Activity 14: scheduling, publishing and recording publications, per channel.

Nothing is published without the visto bueno of the current sealed version:
scheduling checks it, and the worker checks it again right before the call.
"""

from __future__ import annotations

import datetime
import logging
import random
import socket
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.notify import notify
from pregonero.accounts.permissions import Perm, require, users_with_role
from pregonero.audit.actions import record
from pregonero.content.actions import seal_is_valid
from pregonero.content.models import Piece, TextVersion
from pregonero.content.workflow import PieceState
from pregonero.core.errors import (
    ConflictError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.core.models import Channel, NetworkKind
from pregonero.intake.actions import mark_attended_if_done

from .adapters.base import (
    Adapter,
    AdapterError,
    ChannelCredentials,
    MediaRef,
    OutboundPost,
)
from .adapters.registry import get_adapter_class, has_adapter
from .models import Heartbeat, Publication, PublicationAttempt, PublicationStatus

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
# A claim older than this is considered abandoned by a dead worker.
STALE_CLAIM = datetime.timedelta(minutes=10)


def publication_url(publication: Publication) -> str:
    return reverse("publishing:publication_detail", args=[publication.pk])


def adapter_slug(channel: Channel) -> str:
    """Channels of networks without an adapter yet are published by hand."""
    return channel.kind if has_adapter(channel.kind) else NetworkKind.MANUAL


def adapter_for(channel: Channel) -> Adapter:
    credentials = ChannelCredentials(
        channel_id=channel.pk,
        handle=channel.handle,
        imitates=channel.imitates or channel.kind,
    )
    return get_adapter_class(adapter_slug(channel))(credentials)


def is_manual(channel: Channel) -> bool:
    return not adapter_for(channel).publishes_automatically


def build_post(
    publication: Publication, text_version: TextVersion | None = None
) -> OutboundPost:
    """The post exactly as sealed: the channel's variant (or the main text) and the
    approved design files."""
    piece = publication.piece
    version = text_version or piece.approved_text_version
    if version is None:
        raise TransitionNotAllowed(_("La pieza no tiene un texto aprobado."))
    variant = next(
        (v for v in version.variants.all() if v.channel_id == publication.channel_id),
        None,
    )
    media: tuple[MediaRef, ...] = ()
    approved_design = piece.approved_asset_set
    if approved_design is not None:
        media = tuple(
            MediaRef(
                path=a.file.name or "",
                kind=a.kind,
                content_type=a.content_type,
                sha256=a.sha256,
                size=a.size,
                alt_text=a.alt_text,
                width=a.width,
                height=a.height,
            )
            for a in approved_design.assets.all()
        )
    return OutboundPost(
        text=variant.body if variant else version.body,
        title=variant.title if variant else piece.title,
        idempotency_key=str(publication.idempotency_key),
        media=media,
    )


def _require_sealed(piece: Piece) -> None:
    if piece.state != PieceState.APPROVED or not seal_is_valid(piece):
        raise TransitionNotAllowed(
            _(
                "La pieza no tiene el visto bueno vigente del (de la) Jefe(a): no se puede "
                "programar ni publicar."
            )
        )


def _validate_for_channel(publication: Publication) -> None:
    issues = adapter_for(publication.channel).validate(build_post(publication))
    errors = [i.message for i in issues if i.severity == "error"]
    if errors:
        raise ValidationFailed(
            _("El contenido no cumple las reglas de %(channel)s: %(errors)s")
            % {"channel": publication.channel.name, "errors": " ".join(errors)},
            errors={"channel": errors},
        )


def _check_time(scheduled_at: datetime.datetime) -> None:
    if timezone.is_naive(scheduled_at):
        raise ValidationFailed(_("La fecha de publicación no tiene zona horaria."))
    if scheduled_at < timezone.now() - datetime.timedelta(minutes=1):
        raise ValidationFailed(
            _(
                "La fecha de publicación ya pasó. Elija una fecha futura o «publicar ahora»."
            ),
            errors={"scheduled_at": [_("La fecha ya pasó.")]},
        )


@transaction.atomic
def schedule_publication(
    user: User, piece: Piece, channel: Channel, scheduled_at: datetime.datetime
) -> Publication:
    """Schedule the sealed piece on one channel (activity 14)."""
    require(user, Perm.PUBLISH)
    piece = Piece.objects.select_related(
        "approved_text_version", "approved_asset_set"
    ).get(pk=piece.pk)
    if channel.organization_id != piece.organization_id or not channel.active:
        raise ValidationFailed(
            _("Canal desconocido o inactivo."),
            errors={"channel": [_("Canal no válido.")]},
        )
    _require_sealed(piece)
    _check_time(scheduled_at)
    publication = Publication(
        organization_id=piece.organization_id,
        piece=piece,
        channel=channel,
        scheduled_at=scheduled_at,
        seal_hash=piece.seal_hash,
        created_by=user,
        status=PublicationStatus.SCHEDULED,
    )
    _validate_for_channel(publication)
    publication.text = build_post(publication).text
    try:
        with transaction.atomic():
            publication.save()
    except IntegrityError:
        raise ConflictError(
            _("La pieza ya está programada o publicada en %(channel)s.")
            % {"channel": channel.name},
            code="already_scheduled",
        ) from None
    record(
        user,
        "publishing.publication.scheduled",
        publication,
        {
            "piece": piece.number,
            "channel": channel.name,
            "scheduled_at": scheduled_at,
            "seal": piece.seal_hash,
            "manual": is_manual(channel),
        },
    )
    return publication


@transaction.atomic
def reschedule_publication(
    user: User,
    publication: Publication,
    scheduled_at: datetime.datetime,
    *,
    lock_version: int | None = None,
) -> Publication:
    """Move a scheduled publication to another time."""
    require(user, Perm.PUBLISH)
    _check_time(scheduled_at)
    query = Publication.objects.filter(
        pk=publication.pk, status=PublicationStatus.SCHEDULED
    )
    if lock_version is not None:
        query = query.filter(lock_version=lock_version)
    before = publication.scheduled_at
    if not query.update(
        scheduled_at=scheduled_at,
        lock_version=F("lock_version") + 1,
        claimed_at=None,
        next_attempt_at=None,
        updated_at=timezone.now(),
    ):
        raise ConflictError(
            _(
                "La publicación ya no está programada o cambió mientras usted la editaba."
            )
        )
    publication.refresh_from_db()
    record(
        user,
        "publishing.publication.rescheduled",
        publication,
        {
            "before": before,
            "after": scheduled_at,
        },
    )
    return publication


@transaction.atomic
def cancel_publication(
    user: User, publication: Publication, *, reason: str
) -> Publication:
    """Cancel a publication that has not gone out yet."""
    require(user, Perm.PUBLISH)
    if not reason.strip():
        raise ValidationFailed(
            _("Escriba el motivo."), errors={"comment": [_("Obligatorio.")]}
        )
    if not Publication.objects.filter(
        pk=publication.pk,
        status__in=[PublicationStatus.SCHEDULED, PublicationStatus.FAILED],
    ).update(
        status=PublicationStatus.CANCELLED,
        cancel_reason=reason.strip(),
        lock_version=F("lock_version") + 1,
        updated_at=timezone.now(),
    ):
        raise TransitionNotAllowed(
            _(
                "Solo se cancelan publicaciones programadas o fallidas; esta está «%(status)s»."
            )
            % {"status": publication.get_status_display()}
        )
    publication.refresh_from_db()
    record(
        user,
        "publishing.publication.cancelled",
        publication,
        {"reason": reason.strip()},
    )
    return publication


@transaction.atomic
def record_manual_publication(
    user: User,
    piece: Piece,
    channel: Channel,
    *,
    permalink: str,
    published_at: datetime.datetime,
    note: str = "",
) -> Publication:
    """Record that the Profesional published the sealed piece by hand on a channel."""
    require(user, Perm.PUBLISH)
    piece = Piece.objects.select_related(
        "approved_text_version", "approved_asset_set"
    ).get(pk=piece.pk)
    if channel.organization_id != piece.organization_id:
        raise ValidationFailed(
            _("Canal desconocido."), errors={"channel": [_("Canal no válido.")]}
        )
    _require_sealed(piece)
    errors: dict[str, list[str]] = {}
    if not permalink.startswith(("https://", "http://")):
        errors["permalink"] = [
            _("Pegue el enlace de la publicación (empieza por https://).")
        ]
    if published_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["published_at"] = [
            _("La hora de publicación no puede estar en el futuro.")
        ]
    if piece.sealed_at and published_at < piece.sealed_at - datetime.timedelta(
        minutes=5
    ):
        errors["published_at"] = [
            _("La hora es anterior al visto bueno: no se puede publicar sin él.")
        ]
    if errors:
        raise ValidationFailed(
            _("Revise el registro de la publicación."), errors=errors
        )
    publication = Publication.objects.filter(
        piece=piece, channel=channel, status=PublicationStatus.SCHEDULED
    ).first()
    if publication is None:
        publication = Publication(
            organization_id=piece.organization_id,
            piece=piece,
            channel=channel,
            created_by=user,
            seal_hash=piece.seal_hash,
        )
    publication.status = PublicationStatus.PUBLISHED
    publication.seal_hash = piece.seal_hash
    publication.text = build_post(publication).text
    publication.permalink = permalink.strip()
    publication.published_at = published_at
    publication.recorded_by = user
    publication.manual_note = note.strip()
    try:
        with transaction.atomic():
            publication.save()
    except IntegrityError:
        raise ConflictError(
            _("La pieza ya figura publicada en %(channel)s.")
            % {"channel": channel.name},
            code="already_published",
        ) from None
    record(
        user,
        "publishing.publication.manual_recorded",
        publication,
        {
            "piece": piece.number,
            "channel": channel.name,
            "permalink": publication.permalink,
            "published_at": published_at,
            "seal": piece.seal_hash,
            "note": publication.manual_note,
        },
    )
    _after_published(user, publication)
    return publication


def _after_published(actor: Any, publication: Publication) -> None:
    piece = publication.piece
    if piece.need_id:
        mark_attended_if_done(actor, piece.need_id)
    notify(
        [
            piece.writer,
            piece.designer,
            piece.created_by,
            *users_with_role(piece.organization_id, "jefe"),
        ],
        kind="publication.published",
        exclude=actor if isinstance(actor, User) else None,
        subject=_("Publicada: %(number)s en %(channel)s")
        % {"number": piece.number, "channel": publication.channel.name},
        body=_("«%(title)s» se publicó en %(channel)s: %(link)s")
        % {
            "title": piece.title,
            "channel": publication.channel.name,
            "link": publication.permalink,
        },
        link=reverse("content:piece_detail", args=[piece.pk]),
    )


# ---------------------------------------------------------------- the worker's part


def due_publications(
    now: datetime.datetime | None = None, limit: int = 200
) -> list[int]:
    """Ids of automatic publications whose time has come and whose piece is sealed."""
    now = now or timezone.now()
    stale = now - STALE_CLAIM
    return list(
        Publication.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale),
            status=PublicationStatus.SCHEDULED,
            scheduled_at__lte=now,
            piece__state=PieceState.APPROVED,
        )
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:limit]
    )


def dispatch_due(now: datetime.datetime | None = None) -> int:
    """Hand every due publication to the workers (once: the claim is conditional)."""
    from . import tasks

    now = now or timezone.now()
    count = 0
    for pk in due_publications(now):
        publication = Publication.objects.select_related("channel").get(pk=pk)
        if is_manual(publication.channel):
            _remind_manual(publication, now)
            continue
        if Publication.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM),
            pk=pk,
            status=PublicationStatus.SCHEDULED,
        ).update(claimed_at=now):
            tasks.publish_publication.enqueue(pk)
            count += 1
    return count


def _remind_manual(publication: Publication, now: datetime.datetime) -> None:
    """Manual channels: at the scheduled time, remind the Profesional to publish."""
    with transaction.atomic():
        if not Publication.objects.filter(
            pk=publication.pk,
            status=PublicationStatus.SCHEDULED,
            claimed_at__isnull=True,
        ).update(claimed_at=now, next_attempt_at=now + datetime.timedelta(days=3650)):
            return
        piece = publication.piece
        notify(
            [
                publication.created_by,
                *users_with_role(piece.organization_id, "profesional"),
            ],
            kind="publication.manual_due",
            subject=_("Hora de publicar a mano: %(number)s en %(channel)s")
            % {"number": piece.number, "channel": publication.channel.name},
            body=_(
                "Publique «%(title)s» en %(channel)s y registre el enlace en Pregonero."
            )
            % {"title": piece.title, "channel": publication.channel.name},
            link=publication_url(publication),
        )


@dataclass
class PublishOutcome:
    status: str
    detail: str = ""


def publish_now(publication_id: int, worker: str = "") -> PublishOutcome:
    """Publish one due publication through its adapter, exactly once.

    The row is claimed with a conditional UPDATE (scheduled → publishing); the
    seal is checked again; the network call runs outside any transaction; its
    outcome is written with the audit event in one transaction.
    """
    now = timezone.now()
    worker = worker or socket.gethostname()
    if not Publication.objects.filter(
        pk=publication_id, status=PublicationStatus.SCHEDULED, scheduled_at__lte=now
    ).update(
        status=PublicationStatus.PUBLISHING,
        claimed_at=now,
        attempt_count=F("attempt_count") + 1,
        updated_at=now,
    ):
        return PublishOutcome("skipped", "not due or already taken")
    publication = Publication.objects.select_related(
        "channel", "piece__approved_text_version", "piece__approved_asset_set"
    ).get(pk=publication_id)
    piece = publication.piece
    if not seal_is_valid(piece):
        with transaction.atomic():
            Publication.objects.filter(pk=publication_id).update(
                status=PublicationStatus.SCHEDULED, claimed_at=None
            )
            PublicationAttempt.objects.create(
                publication=publication,
                started_at=now,
                finished_at=timezone.now(),
                duration_ms=0,
                outcome="held",
                worker=worker,
                error=_("Sin visto bueno vigente: la publicación queda retenida."),
            )
            record(
                None,
                "publishing.publication.held",
                publication,
                {"seal": piece.seal_hash},
                organization=publication.organization_id,
            )
        return PublishOutcome("held")
    post = build_post(publication)
    adapter = adapter_for(publication.channel)
    started = time.monotonic()
    started_at = timezone.now()
    try:
        receipt = adapter.publish(post)
    except AdapterError as exc:
        return _record_failure(publication, exc, started_at, started, worker)
    duration = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        Publication.objects.filter(pk=publication_id).update(
            status=PublicationStatus.PUBLISHED,
            platform_id=receipt.platform_id,
            permalink=receipt.permalink,
            published_at=receipt.published_at,
            seal_hash=piece.seal_hash,
            text=post.text,
            last_error="",
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        PublicationAttempt.objects.create(
            publication=publication,
            started_at=started_at,
            finished_at=timezone.now(),
            duration_ms=duration,
            outcome="published",
            worker=worker,
            summary=_summary(publication, post),
        )
        publication.refresh_from_db()
        record(
            None,
            "publishing.publication.published",
            publication,
            {
                "piece": piece.number,
                "channel": publication.channel.name,
                "platform_id": receipt.platform_id,
                "permalink": receipt.permalink,
                "seal": piece.seal_hash,
            },
            organization=publication.organization_id,
        )
        _after_published(None, publication)
    return PublishOutcome("published", receipt.permalink)


def _summary(publication: Publication, post: OutboundPost) -> str:
    return (
        f"{adapter_slug(publication.channel)} → {publication.channel.handle or publication.channel.name}; "
        f"{len(post.text)} caracteres; {len(post.media)} archivos"
    )[:500]


def _record_failure(
    publication: Publication,
    exc: AdapterError,
    started_at: datetime.datetime,
    started: float,
    worker: str,
) -> PublishOutcome:
    duration = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    if exc.outcome_unknown:
        status, outcome = PublicationStatus.UNCONFIRMED, "unknown"
        next_attempt = None
    elif exc.permanent or publication.attempt_count >= MAX_RETRIES:
        status, outcome = PublicationStatus.FAILED, "failed"
        next_attempt = None
    else:
        status, outcome = PublicationStatus.SCHEDULED, "retry"
        delay = exc.retry_after or min(30 * 2**publication.attempt_count, 3600)
        next_attempt = now + datetime.timedelta(
            seconds=delay * (0.9 + random.random() * 0.2)  # noqa: S311
        )
    with transaction.atomic():
        Publication.objects.filter(pk=publication.pk).update(
            status=status,
            last_error=exc.message[:2000],
            next_attempt_at=next_attempt,
            claimed_at=None,
            updated_at=now,
        )
        PublicationAttempt.objects.create(
            publication=publication,
            started_at=started_at,
            finished_at=now,
            duration_ms=duration,
            outcome=outcome,
            error=exc.message[:2000],
            worker=worker,
            summary=_summary(publication, build_post(publication)),
        )
        if status == PublicationStatus.FAILED:
            record(
                None,
                "publishing.publication.failed",
                publication,
                {
                    "error": exc.message,
                    "attempts": publication.attempt_count,
                },
                organization=publication.organization_id,
            )
            piece = publication.piece
            notify(
                [
                    publication.created_by,
                    *users_with_role(piece.organization_id, "profesional"),
                ],
                kind="publication.failed",
                subject=_("No se pudo publicar %(number)s en %(channel)s")
                % {"number": piece.number, "channel": publication.channel.name},
                body=_("Motivo: %(error)s") % {"error": exc.message},
                link=publication_url(publication),
            )
    return PublishOutcome(outcome, exc.message)


# ---------------------------------------------------------------- liveness


def beat(name: str, kind: str, detail: str = "") -> None:
    Heartbeat.objects.update_or_create(
        name=name,
        defaults={"kind": kind, "seen_at": timezone.now(), "detail": detail[:300]},
    )


def health() -> dict[str, Any]:
    """Liveness of the background processes and of the publication queue."""
    now = timezone.now()
    window = datetime.timedelta(seconds=settings.PREGONERO_WORKER_HEARTBEAT_SECONDS)
    beats = {b.kind: b.seen_at for b in Heartbeat.objects.order_by("seen_at")}
    worker_ok = "worker" in beats and now - beats["worker"] <= window
    scheduler_ok = "scheduler" in beats and now - beats["scheduler"] <= window
    overdue = Publication.objects.filter(
        status=PublicationStatus.SCHEDULED,
        scheduled_at__lt=now - window,
        attempt_count=0,
        piece__state=PieceState.APPROVED,
        next_attempt_at__isnull=True,
    ).count()
    return {
        "ok": worker_ok and scheduler_ok and overdue == 0,
        "worker": beats.get("worker"),
        "scheduler": beats.get("scheduler"),
        "worker_ok": worker_ok,
        "scheduler_ok": scheduler_ok,
        "overdue_publications": overdue,
    }
