"""Reading comments, mentions and messages from the networks (issue 6).

Every active, connected channel whose adapter reads inbound items
(``inbound_kinds``) is read every ``PREGONERO_INBOX_POLL_MINUTES`` (1 by
default) by the scheduler's hook ``ingest_due``, which hands it to a worker.
A channel where citizens are writing now (a reading stored something new in
the last ``PREGONERO_INBOX_ACTIVE_MINUTES``, 15) is read every
``PREGONERO_INBOX_ACTIVE_POLL_SECONDS`` (3) instead: in a crisis a message is
in the Bandeja seconds after it was written, and a quiet channel costs one
call every few minutes (the networks' rate limits; a ``Retry-After`` is
always honoured).
The worker claims the channel with a conditional UPDATE of its
``IngestState.claimed_until`` (house rule 5), asks the adapter for everything
after the stored cursor, stores each item through ``receive_item``
(deduplicated by platform id; the platform's time is the receipt time) and
only then, in the same transaction, advances the cursor: a failure mid-way
leaves the checkpoint where it was and the next run reads the batch again
(the duplicates are recognised). A failure is recorded on the channel's state
(``last_error`` in Spanish with the network's words) and never stops the other
channels; a rate limit's ``Retry-After`` keeps the claim until then.

Networks whose API cannot read what citizens write (TikTok) say why in
``inbound_unavailable``; the Bandeja shows it next to the channel.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.core.errors import DomainError, PermissionDeniedError
from pregonero.core.models import Channel
from pregonero.lib.tasks import mark_and_enqueue
from pregonero.publishing.adapters.base import Adapter, InboundPage
from pregonero.publishing.adapters.errors import AdapterError, RateLimited
from pregonero.publishing.models import ChannelConnection, ConnectionStatus
from pregonero.publishing.networks import adapter_class, adapter_for

from .actions import receive_item
from .models import InboundItem, IngestState

logger = logging.getLogger(__name__)

CLAIM_FOR = datetime.timedelta(minutes=10)
USABLE = (ConnectionStatus.CONNECTED, ConnectionStatus.REFRESH_FAILED)


def poll_every() -> datetime.timedelta:
    return datetime.timedelta(
        minutes=float(getattr(settings, "PREGONERO_INBOX_POLL_MINUTES", 5))
    )


def active_poll_every() -> datetime.timedelta:
    """How often a channel with fresh activity is read (never less often than idle)."""
    seconds = float(getattr(settings, "PREGONERO_INBOX_ACTIVE_POLL_SECONDS", 3))
    return min(datetime.timedelta(seconds=seconds), poll_every())


def active_for() -> datetime.timedelta:
    """How long after its last new item a channel counts as active."""
    return datetime.timedelta(
        minutes=float(getattr(settings, "PREGONERO_INBOX_ACTIVE_MINUTES", 15))
    )


class IngestionRefused(DomainError):
    """The channel cannot be read now (not connected, nothing to read by API)."""

    status = 409
    code = "ingestion_refused"


@dataclasses.dataclass
class IngestResult:
    channel_id: int
    claimed: bool = True
    read: int = 0
    stored: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.claimed and not self.error


# ---------------------------------------------------------------- which channels


def reads_inbound(channel: Channel) -> bool:
    return bool(adapter_class(channel).inbound_kinds)


def unavailable_reason(channel: Channel) -> str:
    """Why this channel's network gives nothing to read by API ("" when it does)."""
    cls = adapter_class(channel)
    if cls.inbound_kinds:
        return ""
    return str(cls.inbound_unavailable) or _(
        "Pregonero aún no lee los comentarios ni los mensajes de esta red; "
        "regístrelos a mano."
    )


def ingestable(queryset: QuerySet[Channel] | None = None) -> QuerySet[Channel]:
    queryset = Channel.objects.all() if queryset is None else queryset
    return queryset.filter(active=True, connection__status__in=USABLE)


def due_channels(now: datetime.datetime | None = None) -> list[Channel]:
    """Channels not claimed and not read for their polling interval: the idle
    one, or the short one while the channel is active (one query)."""
    now = now or timezone.now()
    active = Q(last_new_at__gt=now - active_for())
    busy = IngestState.objects.filter(
        Q(claimed_until__gt=now)
        | Q(last_run_at__gt=now - active_poll_every())
        | (~active & Q(last_run_at__gt=now - poll_every()))
    ).values("channel_id")
    candidates = (
        ingestable().exclude(pk__in=busy).select_related("ingest_state").order_by("pk")
    )
    return [c for c in candidates if reads_inbound(c) and not _resting(c, now)]


def seconds_until_next_reading(now: datetime.datetime | None = None) -> float | None:
    """When the next active channel is due (None: none is active), so the
    scheduler wakes for it instead of up to a second late (one query)."""
    now = now or timezone.now()
    oldest = (
        IngestState.objects.filter(
            last_new_at__gt=now - active_for(), last_run_at__isnull=False
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .aggregate(oldest=Min("last_run_at"))["oldest"]
    )
    if oldest is None:
        return None
    due = oldest + active_poll_every()
    return max(0.0, (due - now).total_seconds())


def _resting(channel: Channel, now: datetime.datetime) -> bool:
    """An active channel whose network's quota asks for a longer pause."""
    pause = adapter_class(channel).inbound_active_poll_seconds
    state = getattr(channel, "ingest_state", None)
    if not pause or state is None or state.last_run_at is None:
        return False
    return state.last_run_at > now - datetime.timedelta(seconds=pause)


# ---------------------------------------------------------------- entry points


def ingest_due(now: datetime.datetime | None = None) -> int:
    """The scheduler's hook: hand every due channel to the workers; how many.

    Each channel is marked (``last_run_at``, a conditional UPDATE) before its
    task is queued, so two schedulers never queue it twice."""
    from .tasks import ingest_channel_task

    now = now or timezone.now()
    return mark_and_enqueue(
        ((state_of(c), c) for c in due_channels(now)),
        ingest_channel_task,
        now,
        what="inbox ingestion",
    )


def ingest_channel(
    channel: Channel,
    *,
    now: datetime.datetime | None = None,
    adapter: Adapter | None = None,
) -> IngestResult:
    """Read one channel after its checkpoint, under its claim."""
    now = now or timezone.now()
    result = IngestResult(channel.pk)
    state = state_of(channel)
    if not _claim(state, now):
        result.claimed = False
        return result
    hold_until: datetime.datetime | None = None
    try:
        adapter = adapter or adapter_for(channel)
        if not adapter.inbound_kinds:
            raise IngestionRefused(unavailable_reason(channel))
        IngestState.objects.filter(pk=state.pk).update(last_run_at=now)
        page = adapter.fetch_inbound(state.cursor)
        result.read = len(page.entries)
        result.stored = _store(channel, state, page, now)
    except RateLimited as exc:
        result.error = _failed(state, exc, now)
        hold_until = now + datetime.timedelta(seconds=exc.retry_after or 900.0)
    except (AdapterError, IngestionRefused) as exc:
        result.error = _failed(state, exc, now)
    except Exception as exc:  # a bug: recorded on the channel, the others go on
        logger.exception("inbox ingestion failed for channel %s", channel.pk)
        result.error = _failed(state, exc, now)
    finally:
        IngestState.objects.filter(pk=state.pk).update(claimed_until=hold_until)
    return result


def _store(
    channel: Channel, state: IngestState, page: InboundPage, now: datetime.datetime
) -> int:
    """Store the batch, then advance the cursor, in one transaction."""
    stored = 0
    # Networks read by time window hand back what was already stored: those
    # are recognised in one query, not one per entry.
    known = set(
        InboundItem.objects.filter(
            organization_id=channel.organization_id,
            channel=channel,
            platform_id__in=[e.platform_id[:200] for e in page.entries],
        )
        .order_by()
        .values_list("platform_id", flat=True)
    )
    with transaction.atomic():
        for entry in page.entries:
            if entry.platform_id[:200] in known:
                continue
            _item, created = receive_item(
                channel,
                entry.kind,
                entry.platform_id,
                entry.author_handle,
                entry.text,
                entry.url,
                entry.received_at,
                entry.thread_key,
                entry.raw,
                author_name=entry.author_name,
                post_url=entry.post_url,
            )
            stored += int(created)
        fields: dict[str, Any] = {
            "cursor": page.cursor[:500],
            "last_success_at": now,
            "last_error": "",
            "last_error_at": None,
            "failures": 0,
            "items_total": F("items_total") + stored,
        }
        if stored:
            fields["last_new_at"] = now
        IngestState.objects.filter(pk=state.pk).update(**fields)
    return stored


# ---------------------------------------------------------------- the manual request


def request_ingestion(user: Any, channel: Channel) -> None:
    """The "Leer ahora" button: queue the channel's reading (audited)."""
    from pregonero.audit.actions import record

    if not (has_perm(user, Perm.INBOX_MANAGE) or has_perm(user, Perm.CHANNEL_MANAGE)):
        raise PermissionDeniedError(
            _("Su rol no le permite leer los mensajes de los canales."),
            extra={"permission": str(Perm.INBOX_MANAGE)},
        )
    if not reads_inbound(channel):
        raise IngestionRefused(unavailable_reason(channel))
    connection = ChannelConnection.objects.filter(channel=channel).first()
    if connection is None or connection.status not in USABLE:
        raise IngestionRefused(_("Conecte el canal antes de leer sus mensajes."))
    from .tasks import ingest_channel_task

    with transaction.atomic():
        record(user, "inbox.ingestion.requested", channel, {})
        transaction.on_commit(lambda: ingest_channel_task.enqueue(channel.pk))


# ---------------------------------------------------------------- status for pages


@dataclasses.dataclass(frozen=True)
class ChannelReading:
    channel: Channel
    reads: bool
    reason: str  # why it is not read ("" when it is)
    last_success_at: datetime.datetime | None
    last_error: str
    failures: int
    items_total: int


def readings(organization_id: int) -> list[ChannelReading]:
    """Each active channel of the organization with a network behind it: whether
    it is read, why not, its last reading and last error (two queries)."""
    channels = list(
        Channel.objects.filter(organization_id=organization_id, active=True)
        .exclude(kind__in=("manual", "website"))
        .select_related("connection")
        .order_by("name")
    )
    states = {
        s.channel_id: s
        for s in IngestState.objects.filter(channel__in=[c.pk for c in channels])
    }
    rows = []
    for channel in channels:
        reads = reads_inbound(channel)
        reason = unavailable_reason(channel)
        connection = getattr(channel, "connection", None)
        if reads and (connection is None or connection.status not in USABLE):
            reason = _("El canal no está conectado: conéctelo para leer sus mensajes.")
            reads = False
        state = states.get(channel.pk)
        rows.append(
            ChannelReading(
                channel=channel,
                reads=reads,
                reason=reason,
                last_success_at=state.last_success_at if state else None,
                last_error=state.last_error if state else "",
                failures=state.failures if state else 0,
                items_total=state.items_total if state else 0,
            )
        )
    return rows


# ---------------------------------------------------------------- state


def state_of(channel: Channel) -> IngestState:
    state, _created = IngestState.objects.get_or_create(
        channel=channel, defaults={"organization_id": channel.organization_id}
    )
    return state


def _claim(state: IngestState, now: datetime.datetime) -> bool:
    taken = (
        IngestState.objects.filter(pk=state.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + CLAIM_FOR)
    )
    return taken == 1


def _failed(state: IngestState, exc: Exception, now: datetime.datetime) -> str:
    detail = getattr(exc, "message", "") or str(exc) or exc.__class__.__name__
    message = _(
        "No se pudieron leer los mensajes del canal. La red respondió: %(detail)s"
    ) % {"detail": detail}
    state.refresh_from_db(fields=["failures"])
    IngestState.objects.filter(pk=state.pk).update(
        last_error=message, last_error_at=now, failures=state.failures + 1
    )
    logger.warning("inbox ingestion of channel %s: %s", state.channel_id, detail)
    return message
