"""Activity 14: scheduling, publishing and recording publications, per channel.

Nothing is published without the visto bueno of the current sealed version:
scheduling checks it, and the worker checks it again right before the call.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import socket
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Model, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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
from pregonero.core.models import Channel
from pregonero.intake.actions import mark_attended_if_done

from . import wakeup
from .adapters.base import Adapter, AdapterError, MediaRef, OutboundPost, Receipt
from .adapters.errors import AuthError, ContentRejected, Duplicate
from .channels import ensure_fresh_token, token_rejected
from .media_links import media_link
from .models import (
    ChannelConnection,
    Heartbeat,
    Publication,
    PublicationAttempt,
    PublicationStatus,
)
from .networks import (
    adapter_class,
    adapter_for,
    adapter_slug,
    connection_of,
    needs_connection,
)

logger = logging.getLogger(__name__)

__all__ = ["adapter_for", "adapter_slug"]

# A dispatched publication no worker took within this long is handed out again
# (its task was lost with a dead worker); claims are conditional, so a second
# task for the same publication does nothing.
REDISPATCH_AFTER = datetime.timedelta(minutes=2)


def publication_url(publication: Publication) -> str:
    return reverse("publishing:publication_detail", args=[publication.pk])


def is_manual(channel: Channel) -> bool:
    return not adapter_class(channel).publishes_automatically


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
                path=_local_path(a.file),
                kind=a.kind,
                content_type=a.content_type,
                sha256=a.sha256,
                size=a.size,
                name=a.original_name,
                alt_text=a.alt_text,
                width=a.width,
                height=a.height,
                duration=getattr(a, "duration", None),
                captions_path=_local_path(a.captions_file) if a.captions_file else "",
                public_url=media_link(a),
            )
            for a in approved_design.assets.all()
        )
    return OutboundPost(
        text=variant.body if variant else version.body,
        title=variant.title if variant else piece.title,
        idempotency_key=str(publication.idempotency_key),
        media=media,
    )


def _local_path(field: Any) -> str:
    """The file's path on disk, where the storage has one."""
    if not field:
        return ""
    try:
        return str(field.path)
    except (NotImplementedError, ValueError):
        return str(field.name or "")


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
    if needs_connection(channel):
        connection = connection_of(channel)
        if connection is None or not connection.is_usable:
            raise ValidationFailed(
                _(
                    "El canal %(channel)s no está conectado: conéctelo en Canales antes de "
                    "programar."
                )
                % {"channel": channel.name},
                errors={"channels": [_("Canal sin conectar.")]},
            )
    publication = Publication(
        organization_id=piece.organization_id,
        piece=piece,
        channel=channel,
        scheduled_at=scheduled_at,
        seal_hash=piece.seal_hash,
        created_by=user,
        status=PublicationStatus.SCHEDULED,
        erratum_of=_published_before(piece, channel),
    )
    _validate_for_channel(publication)
    publication.text = build_post(publication).text
    if Publication.objects.filter(
        piece=piece,
        channel=channel,
        status__in=[
            PublicationStatus.SCHEDULED,
            PublicationStatus.PUBLISHING,
            PublicationStatus.UNCONFIRMED,
        ],
    ).exists():
        raise ConflictError(
            _("La pieza ya está programada en %(channel)s: muévala o cancélela.")
            % {"channel": channel.name},
            code="already_scheduled",
        )
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
            "erratum_of": publication.erratum_of_id,
        },
    )
    wakeup.on_commit_signal()
    return publication


def _published_before(piece: Piece, channel: Channel) -> Publication | None:
    """The earlier version of the piece live on the channel: a new seal published
    there is an erratum of it."""
    return (
        Publication.objects.filter(
            piece=piece, channel=channel, status=PublicationStatus.PUBLISHED
        )
        .exclude(seal_hash=piece.seal_hash)
        .order_by("-published_at")
        .first()
    )


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
        dispatched_at=None,
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
    wakeup.on_commit_signal()
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
    wakeup.on_commit_signal()
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
    _notify_published(actor, publication)


def _notify_published(actor: Any, publication: Publication) -> None:
    piece = publication.piece
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


# ---------------------------------------------------------------- handing out due work


def _due_filter(now: datetime.datetime) -> Q:
    return Q(next_attempt_at__isnull=True, scheduled_at__lte=now) | Q(
        next_attempt_at__lte=now
    )


def due_publications(
    now: datetime.datetime | None = None, limit: int = 500
) -> list[int]:
    """Ids of publications whose time has come (or comes within the lead) and
    that no worker holds yet, sealed pieces only."""
    now = now or timezone.now()
    return list(
        Publication.objects.filter(
            _due_filter(now),
            Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER),
            status=PublicationStatus.SCHEDULED,
            piece__state=PieceState.APPROVED,
        )
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:limit]
    )


def queued_count(now: datetime.datetime | None = None) -> int:
    """Publications handed out to the queue and not yet taken by a worker."""
    now = now or timezone.now()
    return Publication.objects.filter(
        status=PublicationStatus.SCHEDULED,
        dispatched_at__gte=now - REDISPATCH_AFTER,
    ).count()


def next_due_at() -> datetime.datetime | None:
    """When the scheduler must next wake: the earliest publication not yet handed out."""
    row = (
        Publication.objects.filter(
            dispatched_at__isnull=True,
            status=PublicationStatus.SCHEDULED,
            piece__state=PieceState.APPROVED,
        )
        .annotate(due=Coalesce("next_attempt_at", "scheduled_at"))
        .order_by("due")
        .values_list("due", flat=True)
        .first()
    )
    return row


def _backend_defers() -> bool:
    from django.tasks import task_backends

    return bool(getattr(task_backends["default"], "supports_defer", False))


def dispatch_due(
    now: datetime.datetime | None = None, lead: float | None = None
) -> int:
    """Hand the publications due within ``lead`` seconds to the workers.

    Each is marked with a conditional UPDATE so it is handed out once; the task
    runs at the publication's exact time (``run_after``) when the queue can defer,
    and the worker claims the publication with another conditional UPDATE, so a
    second task for the same publication (after a lost worker) does nothing.
    """
    from . import tasks

    now = now or timezone.now()
    if lead is None:
        lead = settings.PREGONERO_DISPATCH_LEAD_SECONDS if _backend_defers() else 0.0
    horizon = now + datetime.timedelta(seconds=lead)
    count = 0
    room = settings.PREGONERO_DISPATCH_MAX_QUEUED - queued_count(now)
    if room <= 0:
        return 0
    rows = (
        Publication.objects.filter(
            pk__in=due_publications(horizon, limit=min(room, 500))
        )
        .select_related("channel")
        .annotate(due=Coalesce("next_attempt_at", "scheduled_at"))
    )
    for publication in rows:
        if is_manual(publication.channel):
            _remind_manual(publication, now)
            continue
        if not Publication.objects.filter(
            Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER),
            pk=publication.pk,
            status=PublicationStatus.SCHEDULED,
        ).update(dispatched_at=now):
            continue
        due: datetime.datetime = publication.due
        if due > now and lead:
            tasks.publish_publication.using(run_after=due).enqueue(publication.pk)
        else:
            tasks.publish_publication.enqueue(publication.pk)
        count += 1
    return count


def _remind_manual(publication: Publication, now: datetime.datetime) -> None:
    """Manual channels: at the scheduled time, remind the Profesional to publish."""
    if publication.scheduled_at and publication.scheduled_at > now:
        return
    with transaction.atomic():
        if not Publication.objects.filter(
            pk=publication.pk,
            status=PublicationStatus.SCHEDULED,
            dispatched_at__isnull=True,
        ).update(
            dispatched_at=now,
            claimed_at=now,
            next_attempt_at=now + datetime.timedelta(days=3650),
        ):
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


# ---------------------------------------------------------------- publishing


@dataclass
class PublishOutcome:
    status: str
    detail: str = ""


_worker_name: str | None = None


def set_worker_name(name: str) -> None:
    """The name this process's heartbeat and claims carry (``pregonero worker``)."""
    global _worker_name
    _worker_name = name[:100]


def worker_name() -> str:
    return _worker_name or f"worker:{socket.gethostname()}:{os.getpid()}"


def _note_success(connection_id: int) -> None:
    """Mark the connection as working, outside the publishing transaction and at
    most once a minute: every post of a busy channel would otherwise queue on
    this one row while holding the audit chain."""
    now = timezone.now()
    ChannelConnection.objects.filter(pk=connection_id).filter(
        Q(last_success_at__isnull=True)
        | Q(last_success_at__lt=now - datetime.timedelta(seconds=60))
    ).update(last_success_at=now)


def _attempt(
    publication: Publication,
    *,
    kind: str,
    outcome: str,
    started_at: datetime.datetime,
    started: float | None = None,
    worker: str = "",
    error: str = "",
    summary: str = "",
) -> PublicationAttempt:
    finished = timezone.now()
    duration = int((time.monotonic() - started) * 1000) if started is not None else 0
    return PublicationAttempt.objects.create(
        publication=publication,
        kind=kind,
        started_at=started_at,
        finished_at=finished,
        duration_ms=duration,
        outcome=outcome,
        worker=worker[:100],
        error=error[:2000],
        summary=summary[:500],
    )


def _release(publication_id: int, **fields: Any) -> None:
    Publication.objects.filter(pk=publication_id).update(
        claimed_at=None, claimed_by="", updated_at=timezone.now(), **fields
    )


def publish_now(publication_id: int, worker: str = "") -> PublishOutcome:
    """Publish one due publication through its adapter, exactly once.

    The row is claimed with a conditional UPDATE (scheduled and due → publishing),
    so a cancelled or moved publication is never sent and two workers never send
    the same one. The seal, the content rules and the channel's connection are
    checked again right before the call; the call runs outside any transaction;
    its outcome is written with its attempt row and the audit event in one
    transaction. A call whose outcome is unknown is never repeated blindly: the
    publication becomes *sin confirmar* and is reconciled.
    """
    now = timezone.now()
    worker = worker or worker_name()
    if not Publication.objects.filter(
        _due_filter(now),
        pk=publication_id,
        status=PublicationStatus.SCHEDULED,
    ).update(
        status=PublicationStatus.PUBLISHING,
        claimed_at=now,
        claimed_by=worker[:100],
        attempt_count=F("attempt_count") + 1,
        updated_at=now,
    ):
        return PublishOutcome("skipped", "not due or already taken")
    publication = Publication.objects.select_related(
        "channel",
        "channel__organization",
        "piece__approved_text_version",
        "piece__approved_asset_set",
        "created_by",
    ).get(pk=publication_id)
    piece = publication.piece
    if not seal_is_valid(piece):
        with transaction.atomic():
            _release(
                publication_id, status=PublicationStatus.SCHEDULED, dispatched_at=None
            )
            _attempt(
                publication,
                kind="publish",
                outcome="held",
                started_at=now,
                worker=worker,
                error=_("Sin visto bueno vigente: la publicación queda retenida."),
            )
            record(
                None,
                "publishing.publication.held",
                publication,
                {"seal": piece.seal_hash, "scheduled_seal": publication.seal_hash},
                organization=publication.organization_id,
            )
        return PublishOutcome("held")
    post = build_post(publication)
    started = time.monotonic()
    started_at = timezone.now()
    channel = publication.channel
    connection = connection_of(channel)
    try:
        if needs_connection(channel):
            connection = _usable_connection(channel, connection)
        adapter = adapter_for(channel, connection)
        problems = [i for i in adapter.validate(post) if i.severity == "error"]
        if problems:
            raise ContentRejected(
                _("El contenido ya no cumple las reglas de la red: %(errors)s")
                % {"errors": " ".join(i.message for i in problems)},
                code="invalid",
            )
        receipt = adapter.publish(post)
    except AdapterError as exc:
        if isinstance(exc, AuthError) and connection is not None and connection.pk:
            token_rejected(connection, exc)
        if (
            isinstance(exc, Duplicate)
            and publication.attempts.filter(kind="publish", outcome="unknown").exists()
        ):
            return _duplicate_after_unknown(
                publication, exc, started_at, started, worker, post
            )
        return _record_failure(publication, exc, started_at, started, worker, post)
    except Exception as exc:  # an adapter bug must not leave the row "publishing"
        logger.exception("adapter crashed publishing %s", publication_id)
        failure = AdapterError(
            _("Error interno del conector: %(error)s")
            % {"error": exc.__class__.__name__},
            outcome_unknown=True,
            code="crash",
        )
        return _record_failure(publication, failure, started_at, started, worker, post)
    # The post exists: record it, retrying a passing database error; if it
    # cannot be recorded, reconciliation will find it (never a second post).
    for retry in range(3):
        try:
            _record_success(
                publication, receipt, post, started_at, started, worker, connection
            )
        except DatabaseError:
            logger.exception(
                "could not record publication %s as published", publication_id
            )
            time.sleep(0.5 * (retry + 1))
        else:
            return PublishOutcome("published", receipt.permalink)
    failure = AdapterError(
        _(
            "La red recibió la publicación pero no se pudo registrar; se comprobará en la cuenta."
        ),
        outcome_unknown=True,
        code="record",
    )
    return _record_failure(publication, failure, started_at, started, worker, post)


def _duplicate_after_unknown(
    publication: Publication,
    exc: AdapterError,
    started_at: datetime.datetime,
    started: float,
    worker: str,
    post: OutboundPost,
) -> PublishOutcome:
    """The network refuses the post as a duplicate after an attempt whose outcome
    was unknown: that attempt did publish it. Back to *sin confirmar* so that
    reconciliation finds the post (never failed, never a second post); if
    reconciliation has already looked in vain twice, a person decides."""
    failure = AdapterError(
        _(
            "La red indica que la publicación ya existe (un intento anterior quedó sin "
            "confirmar): %(error)s"
        )
        % {"error": exc.message},
        outcome_unknown=True,
        code="duplicate",
    )
    outcome = _record_failure(publication, failure, started_at, started, worker, post)
    looked = publication.attempts.filter(kind="reconcile", outcome="not_found").count()
    if looked >= 2:
        return _ask_a_person(publication, started_at, started, worker)
    return outcome


def _record_success(
    publication: Publication,
    receipt: Receipt,
    post: OutboundPost,
    started_at: datetime.datetime,
    started: float,
    worker: str,
    connection: ChannelConnection | None,
) -> None:
    piece = publication.piece
    channel = publication.channel
    with transaction.atomic():
        _mark_published(
            publication,
            receipt.platform_id,
            receipt.permalink,
            receipt.published_at,
            post.text,
        )
        _attempt(
            publication,
            kind="publish",
            outcome="published",
            started_at=started_at,
            started=started,
            worker=worker,
            summary=_summary(publication, post),
        )
        if connection is not None and connection.pk:
            transaction.on_commit(partial(_note_success, connection.pk))
        publication.refresh_from_db()
        # The audit record takes the organization's chain lock until commit:
        # the notifications go first, so that every worker's publication holds
        # that lock as briefly as possible.
        _notify_published(None, publication)
        record(
            None,
            "publishing.publication.published",
            publication,
            {
                "piece": piece.number,
                "channel": channel.name,
                "platform_id": receipt.platform_id,
                "permalink": receipt.permalink,
                "seal": piece.seal_hash,
                "erratum_of": publication.erratum_of_id,
            },
            organization=publication.organization_id,
        )
        if piece.need_id:
            mark_attended_if_done(None, piece.need_id)


def _usable_connection(
    channel: Channel, connection: ChannelConnection | None
) -> ChannelConnection:
    """The channel's connection with a fresh token, or a permanent error saying why not."""
    if (
        connection is None
        or not connection.is_usable
        or not connection.access_token_encrypted
    ):
        raise AuthError(
            _(
                "El canal %(channel)s no está conectado (o perdió la conexión): "
                "reconéctelo en Canales y vuelva a programar."
            )
            % {"channel": channel.name},
            code="not_connected",
        )
    ensure_fresh_token(connection)
    connection.refresh_from_db()
    if not connection.is_usable:
        raise AuthError(
            _("No se pudo renovar el acceso a %(channel)s: %(error)s")
            % {"channel": channel.name, "error": connection.last_error},
            code="not_connected",
        )
    return connection


def _mark_published(
    publication: Publication,
    platform_id: str,
    permalink: str,
    published_at: datetime.datetime,
    text: str,
) -> None:
    Publication.objects.filter(pk=publication.pk).update(
        status=PublicationStatus.PUBLISHED,
        platform_id=platform_id[:200],
        permalink=permalink[:500],
        published_at=published_at,
        seal_hash=publication.piece.seal_hash,
        text=text,
        last_error="",
        failure_code="",
        next_attempt_at=None,
        claimed_by="",
        needs_review=False,
        updated_at=timezone.now(),
    )


def _summary(publication: Publication, post: OutboundPost) -> str:
    return (
        f"{adapter_slug(publication.channel)} → {publication.channel.handle or publication.channel.name}; "
        f"{len(post.text)} caracteres; {len(post.media)} archivos; "
        f"clave {post.idempotency_key[:8]}"
    )[:500]


# Why a permanent failure happened, in words the Profesional acts on.
FAILURE_HINTS = {
    "auth": _lazy("Reconecte el canal en Canales y vuelva a programar la publicación."),
    "not_connected": _lazy(
        "Conecte el canal en Canales y vuelva a programar la publicación."
    ),
    "duplicate": _lazy(
        "La red ya tiene una publicación idéntica; revise la cuenta antes de reintentar."
    ),
    "rejected": _lazy(
        "La red rechazó el contenido; ajuste el texto o los archivos (nueva versión) y vuelva a programar."
    ),
    "invalid": _lazy(
        "Ajuste el contenido para cumplir las reglas de la red y vuelva a programar."
    ),
}


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter (30 s, 60 s, 120 s… up to 1 h), or
    what the network asked for."""
    if retry_after is not None:
        return max(1.0, retry_after)
    ceiling = min(30 * 2 ** max(0, attempt - 1), 3600)
    return ceiling / 2 + random.random() * ceiling / 2  # noqa: S311 - jitter, not secrecy


def _record_failure(
    publication: Publication,
    exc: AdapterError,
    started_at: datetime.datetime,
    started: float,
    worker: str,
    post: OutboundPost,
) -> PublishOutcome:
    now = timezone.now()
    refreshable_auth = (
        isinstance(exc, AuthError) and not exc.revoked and _can_refresh(publication)
    )
    if exc.outcome_unknown:
        status, outcome, next_attempt = PublicationStatus.UNCONFIRMED, "unknown", None
    elif (
        refreshable_auth
        and publication.attempt_count < settings.PREGONERO_MAX_PUBLISH_ATTEMPTS
    ):
        # An expired token: refresh and try again soon.
        status, outcome = PublicationStatus.SCHEDULED, "retry"
        next_attempt = now + datetime.timedelta(seconds=5)
    elif (
        exc.permanent
        or publication.attempt_count >= settings.PREGONERO_MAX_PUBLISH_ATTEMPTS
    ):
        status, outcome, next_attempt = PublicationStatus.FAILED, "failed", None
    else:
        status, outcome = PublicationStatus.SCHEDULED, "retry"
        next_attempt = now + datetime.timedelta(
            seconds=backoff_seconds(publication.attempt_count, exc.retry_after)
        )
    message = exc.message
    hint = FAILURE_HINTS.get(exc.code) or (
        FAILURE_HINTS["auth"] if isinstance(exc, AuthError) else ""
    )
    if status == PublicationStatus.FAILED and hint:
        message = f"{message} {hint}"
    with transaction.atomic():
        fields: dict[str, Any] = {
            "status": status,
            "last_error": message[:2000],
            "failure_code": exc.code[:40],
            "next_attempt_at": next_attempt,
        }
        if status == PublicationStatus.UNCONFIRMED:
            fields["unconfirmed_at"] = now
            fields["reconcile_attempts"] = 0
            fields["claimed_at"] = None
        else:
            fields["dispatched_at"] = None
        Publication.objects.filter(pk=publication.pk).update(
            claimed_by=""
            if status != PublicationStatus.UNCONFIRMED
            else publication.claimed_by,
            updated_at=now,
            **fields,
        )
        _attempt(
            publication,
            kind="publish",
            outcome=outcome,
            started_at=started_at,
            started=started,
            worker=worker,
            error=f"[{exc.code}] {exc.message}",
            summary=_summary(publication, post),
        )
        if status == PublicationStatus.UNCONFIRMED:
            record(
                None,
                "publishing.publication.unconfirmed",
                publication,
                {"error": exc.message, "attempts": publication.attempt_count},
                organization=publication.organization_id,
            )
        elif status == PublicationStatus.FAILED:
            record(
                None,
                "publishing.publication.failed",
                publication,
                {
                    "error": message,
                    "code": exc.code,
                    "attempts": publication.attempt_count,
                },
                organization=publication.organization_id,
            )
            _notify_failure(publication, message)
        else:
            wakeup.on_commit_signal()
    return PublishOutcome(outcome, message)


def _can_refresh(publication: Publication) -> bool:
    connection = connection_of(publication.channel)
    return (
        connection is not None
        and connection.is_usable
        and bool(connection.refresh_token_encrypted)
    )


def _notify_failure(publication: Publication, message: str) -> None:
    piece = publication.piece
    notify(
        [
            publication.created_by,
            *users_with_role(piece.organization_id, "profesional"),
        ],
        kind="publication.failed",
        subject=_("No se pudo publicar %(number)s en %(channel)s")
        % {"number": piece.number, "channel": publication.channel.name},
        body=_("«%(title)s» no se publicó en %(channel)s. %(error)s")
        % {"title": piece.title, "channel": publication.channel.name, "error": message},
        link=publication_url(publication),
    )


# ---------------------------------------------------------------- unknown outcomes


def abandoned_claims[M: Model](claimed: QuerySet[M], now: datetime.datetime) -> list[M]:
    """The rows of ``claimed`` (a model with ``claimed_by`` and ``claimed_at``)
    whose claim was lost: its worker has not beaten for
    ``PREGONERO_WORKER_DEAD_SECONDS``, or the call has lasted beyond
    ``PREGONERO_PUBLISH_CLAIM_LIMIT_SECONDS`` (a thread stuck or lost inside a
    live process). A live worker otherwise keeps its claim."""
    dead_after = datetime.timedelta(seconds=settings.PREGONERO_WORKER_DEAD_SECONDS)
    alive = set(
        Heartbeat.objects.filter(
            kind="worker", seen_at__gte=now - dead_after
        ).values_list("name", flat=True)
    )
    hard_limit = now - datetime.timedelta(
        seconds=settings.PREGONERO_PUBLISH_CLAIM_LIMIT_SECONDS
    )
    lost = []
    for row in claimed.filter(claimed_at__lt=now - dead_after):
        claim: Any = row
        if (
            claim.claimed_by in alive
            and claim.claimed_at
            and claim.claimed_at > hard_limit
        ):
            continue
        lost.append(row)
    return lost


def reap_lost_claims(now: datetime.datetime | None = None) -> int:
    """Publications whose worker died mid-call become *sin confirmar*.

    A worker beats every few seconds while it runs; a claim held by a worker that
    has not beaten for ``PREGONERO_WORKER_DEAD_SECONDS`` was lost with it. Whether
    the network received the post is unknown, so it is reconciled, never resent.
    """
    now = now or timezone.now()
    count = 0
    for publication in abandoned_claims(
        Publication.objects.filter(status=PublicationStatus.PUBLISHING).select_related(
            "channel"
        ),
        now,
    ):
        with transaction.atomic():
            if not Publication.objects.filter(
                pk=publication.pk,
                status=PublicationStatus.PUBLISHING,
                claimed_by=publication.claimed_by,
                claimed_at=publication.claimed_at,
            ).update(
                status=PublicationStatus.UNCONFIRMED,
                unconfirmed_at=now,
                reconcile_attempts=0,
                claimed_at=None,
                next_attempt_at=None,
                last_error=_(
                    "El proceso que publicaba se detuvo a mitad de la llamada."
                ),
                updated_at=now,
            ):
                continue
            _attempt(
                publication,
                kind="publish",
                outcome="unknown",
                started_at=publication.claimed_at or now,
                worker=publication.claimed_by,
                error=_(
                    "El proceso %(worker)s dejó de dar señales de vida durante la publicación."
                )
                % {"worker": publication.claimed_by},
            )
            record(
                None,
                "publishing.publication.unconfirmed",
                publication,
                {"error": "worker lost", "worker": publication.claimed_by},
                organization=publication.organization_id,
            )
        count += 1
    return count


def dispatch_reconciliations(now: datetime.datetime | None = None) -> int:
    """Hand the unconfirmed publications ready to be checked to the workers."""
    from . import tasks

    now = now or timezone.now()
    wait = datetime.timedelta(seconds=settings.PREGONERO_RECONCILE_AFTER_SECONDS)
    count = 0
    for pk in Publication.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - REDISPATCH_AFTER),
        status=PublicationStatus.UNCONFIRMED,
        needs_review=False,
        unconfirmed_at__lte=now - wait,
    ).values_list("pk", flat=True)[:200]:
        if Publication.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - REDISPATCH_AFTER),
            pk=pk,
            status=PublicationStatus.UNCONFIRMED,
        ).update(claimed_at=now):
            tasks.reconcile_publication.enqueue(pk)
            count += 1
    return count


MAX_RECONCILE_ATTEMPTS = 8


def reconcile(publication_id: int, worker: str = "") -> PublishOutcome:
    """Find out whether an unconfirmed publication reached the network.

    The adapter reads the account's recent posts (or the record chosen in
    advance) for the post: found, it is published with its real id; not found on
    a network that can tell, it goes back to the queue to be sent (the retry is
    safe because the post is not there); where the network gives no way to tell,
    a person is asked, with the attempts as evidence.
    """
    worker = worker or worker_name()
    publication = Publication.objects.select_related(
        "channel",
        "piece__approved_text_version",
        "piece__approved_asset_set",
        "created_by",
    ).get(pk=publication_id)
    if publication.status != PublicationStatus.UNCONFIRMED or publication.needs_review:
        return PublishOutcome("skipped")
    Publication.objects.filter(pk=publication_id).update(
        reconcile_attempts=F("reconcile_attempts") + 1
    )
    publication.reconcile_attempts += 1
    started, started_at = time.monotonic(), timezone.now()
    channel = publication.channel
    post = build_post(publication)
    first_try = (
        publication.attempts.filter(kind="publish")
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    since = (
        first_try or publication.unconfirmed_at or started_at
    ) - datetime.timedelta(minutes=2)
    try:
        connection = (
            _usable_connection(channel, connection_of(channel))
            if needs_connection(channel)
            else None
        )
        adapter = adapter_for(channel, connection)
        can_read = (
            type(adapter).supports_recent_posts
            or type(adapter).find_post is not Adapter.find_post
        )
        if not can_read:
            raise NotImplementedError
        found = adapter.find_post(post, since)
    except NotImplementedError:
        return _ask_a_person(publication, started_at, started, worker)
    except AdapterError as exc:
        with transaction.atomic():
            give_up = publication.reconcile_attempts >= MAX_RECONCILE_ATTEMPTS or (
                isinstance(exc, AuthError) and exc.permanent
            )
            Publication.objects.filter(pk=publication_id).update(
                claimed_at=None,
                next_attempt_at=timezone.now()
                + datetime.timedelta(
                    seconds=backoff_seconds(
                        publication.reconcile_attempts, exc.retry_after
                    )
                ),
            )
            _attempt(
                publication, kind="reconcile", outcome="error", started_at=started_at,
                started=started, worker=worker, error=f"[{exc.code}] {exc.message}",
            )  # fmt: skip
        if give_up:
            return _ask_a_person(publication, started_at, started, worker)
        return PublishOutcome("reconcile_error", exc.message)
    with transaction.atomic():
        if found is not None:
            if not Publication.objects.filter(
                pk=publication_id, status=PublicationStatus.UNCONFIRMED
            ).exists():
                return PublishOutcome("skipped")
            _mark_published(
                publication,
                found.platform_id,
                found.permalink,
                found.created_at or timezone.now(),
                post.text,
            )
            Publication.objects.filter(pk=publication_id).update(
                claimed_at=None, unconfirmed_at=None
            )
            _attempt(
                publication, kind="reconcile", outcome="found", started_at=started_at, started=started,
                worker=worker, summary=_("Encontrada en la cuenta: %(id)s") % {"id": found.platform_id},
            )  # fmt: skip
            publication.refresh_from_db()
            record(
                None,
                "publishing.publication.reconciled",
                publication,
                {
                    "found": True,
                    "platform_id": found.platform_id,
                    "permalink": found.permalink,
                },
                organization=publication.organization_id,
            )
            _after_published(None, publication)
            return PublishOutcome("published", found.permalink)
        # Not on the account: sending it now cannot duplicate it.
        Publication.objects.filter(
            pk=publication_id, status=PublicationStatus.UNCONFIRMED
        ).update(
            status=PublicationStatus.SCHEDULED,
            claimed_at=None,
            claimed_by="",
            dispatched_at=None,
            unconfirmed_at=None,
            next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
        _attempt(
            publication, kind="reconcile", outcome="not_found", started_at=started_at, started=started,
            worker=worker, summary=_("No está en la cuenta: se volverá a enviar."),
        )  # fmt: skip
        record(
            None,
            "publishing.publication.reconciled",
            publication,
            {"found": False},
            organization=publication.organization_id,
        )
        wakeup.on_commit_signal()
    return PublishOutcome("requeued")


def _ask_a_person(
    publication: Publication, started_at: datetime.datetime, started: float, worker: str
) -> PublishOutcome:
    with transaction.atomic():
        Publication.objects.filter(pk=publication.pk).update(
            needs_review=True, claimed_at=None
        )
        _attempt(
            publication, kind="reconcile", outcome="ask_person", started_at=started_at, started=started,
            worker=worker, summary=_("La red no permite comprobarlo: se pide a una persona."),
        )  # fmt: skip
        record(
            None,
            "publishing.publication.needs_review",
            publication,
            {"channel": publication.channel.name},
            organization=publication.organization_id,
        )
        piece = publication.piece
        notify(
            [
                publication.created_by,
                *users_with_role(piece.organization_id, "profesional"),
            ],
            kind="publication.unconfirmed",
            subject=_("¿Se publicó %(number)s en %(channel)s?")
            % {"number": piece.number, "channel": publication.channel.name},
            body=_(
                "La red no confirmó la publicación de «%(title)s» y no permite comprobarlo. "
                "Revise la cuenta y diga en Pregonero si quedó publicada."
            )
            % {"title": piece.title},
            link=publication_url(publication),
        )
    return PublishOutcome("ask_person")


@transaction.atomic
def resolve_unconfirmed(
    user: User,
    publication: Publication,
    *,
    published: bool,
    permalink: str = "",
    note: str = "",
) -> Publication:
    """A person says what happened to an unconfirmed publication."""
    require(user, Perm.PUBLISH)
    locked = (
        Publication.objects.select_for_update()
        .select_related("piece", "channel")
        .get(pk=publication.pk)
    )
    if locked.status != PublicationStatus.UNCONFIRMED:
        raise TransitionNotAllowed(_("La publicación ya no está sin confirmar."))
    if published:
        if not permalink.startswith(("https://", "http://")):
            raise ValidationFailed(
                _("Pegue el enlace de la publicación en la red."),
                errors={"permalink": [_("Empieza por https://.")]},
            )
        _mark_published(
            locked,
            "",
            permalink.strip(),
            locked.unconfirmed_at or timezone.now(),
            locked.text,
        )
        Publication.objects.filter(pk=locked.pk).update(
            recorded_by=user, manual_note=note.strip(), claimed_at=None
        )
    else:
        Publication.objects.filter(pk=locked.pk).update(
            status=PublicationStatus.SCHEDULED,
            needs_review=False,
            unconfirmed_at=None,
            claimed_at=None,
            claimed_by="",
            dispatched_at=None,
            next_attempt_at=timezone.now(),
            manual_note=note.strip(),
        )
        wakeup.on_commit_signal()
    locked.refresh_from_db()
    record(
        user,
        "publishing.publication.resolved",
        locked,
        {"published": published, "permalink": permalink.strip(), "note": note.strip()},
    )
    if published:
        _after_published(user, locked)
    return locked


# ---------------------------------------------------------------- takedown


def withdraw_publication(
    user: User, publication: Publication, *, reason: str, removed_by_hand: bool = False
) -> Publication:
    """Take a published post down (REC-02: deletions are logged with the reason).

    Through the network's delete where the adapter has one; otherwise the person
    removes it in the network and confirms here (``removed_by_hand``).
    """
    require(user, Perm.PUBLISH)
    if not reason.strip():
        raise ValidationFailed(
            _("Escriba el motivo del retiro."), errors={"reason": [_("Obligatorio.")]}
        )
    publication = Publication.objects.select_related("channel", "piece").get(
        pk=publication.pk
    )
    if publication.status != PublicationStatus.PUBLISHED:
        raise TransitionNotAllowed(_("Solo se retiran publicaciones publicadas."))
    channel = publication.channel
    cls = adapter_class(channel)
    automatic = (
        cls.publishes_automatically
        and cls.supports_delete
        and bool(publication.platform_id)
    )
    started, started_at = time.monotonic(), timezone.now()
    if automatic and not removed_by_hand:
        try:
            connection = (
                _usable_connection(channel, connection_of(channel))
                if needs_connection(channel)
                else None
            )
            adapter_for(channel, connection).delete(publication.platform_id)
        except AdapterError as exc:
            with transaction.atomic():
                _attempt(
                    publication, kind="delete", outcome="failed", started_at=started_at, started=started,
                    worker=user.username, error=f"[{exc.code}] {exc.message}",
                )  # fmt: skip
                record(
                    user,
                    "publishing.publication.withdraw_failed",
                    publication,
                    {"reason": reason.strip(), "error": exc.message},
                )
            raise ValidationFailed(
                _("La red no permitió retirar la publicación: %(error)s")
                % {"error": exc.message}
            ) from exc
    elif not removed_by_hand:
        raise ValidationFailed(
            _(
                "Pregonero no puede borrar en %(network)s: retírela en la red y confirme aquí "
                "que la retiró."
            )
            % {"network": channel.network_label},
            errors={"removed_by_hand": [_("Confirme que la retiró en la red.")]},
        )
    with transaction.atomic():
        if not Publication.objects.filter(
            pk=publication.pk, status=PublicationStatus.PUBLISHED
        ).update(
            status=PublicationStatus.WITHDRAWN,
            withdrawn_at=timezone.now(),
            withdrawn_by=user,
            withdraw_reason=reason.strip(),
            lock_version=F("lock_version") + 1,
            updated_at=timezone.now(),
        ):
            raise ConflictError(_("La publicación cambió mientras se retiraba."))
        _attempt(
            publication, kind="delete", outcome="deleted" if automatic and not removed_by_hand else "by_hand",
            started_at=started_at, started=started, worker=user.username,
        )  # fmt: skip
        publication.refresh_from_db()
        record(
            user,
            "publishing.publication.withdrawn",
            publication,
            {
                "reason": reason.strip(),
                "platform_id": publication.platform_id,
                "permalink": publication.permalink,
                "through_network": automatic and not removed_by_hand,
            },
        )
    return publication


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
    beats: dict[str, datetime.datetime] = {}
    for kind, seen in Heartbeat.objects.values_list("kind", "seen_at"):
        if kind not in beats or seen > beats[kind]:
            beats[kind] = seen
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
