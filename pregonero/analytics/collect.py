"""Collection of the networks' figures (activity 15, issue §2).

Every active, connected channel whose adapter reads metrics is collected once a
day, after ``PREGONERO_METRICS_HOUR`` (06:00 in Bogotá by default), in two
streams, each with its checkpoint in ``FillState``:

* ``account``: the account's daily figures for the days after
  ``filled_through`` up to yesterday (at most ``PREGONERO_METRICS_BACKFILL_DAYS``
  on the first run, never older than the network keeps), in the network's own
  windows (Facebook: 90 days). Levels read "now" (followers on X, TikTok,
  Mastodon, Bluesky, Instagram, YouTube, LinkedIn) are stored under today's
  date. The checkpoint advances only after a window's values are stored, so a
  failure mid-way resumes where it stopped.
* ``posts``: lifetime snapshots (stored under today's date) of the channel's
  posts of the last ``POST_WINDOW_DAYS`` days, those published through Pregonero
  and those the network lists; ``NetworkPost`` rows are created or updated and
  linked to the ``Publication`` with the same platform id.

Storing is idempotent: the values of a natural key (channel or post, metric,
day) are deleted and inserted again in one transaction. (``bulk_create`` with
``update_conflicts`` cannot target the partial unique constraints of
``MetricValue`` on SQLite or PostgreSQL, whose ``ON CONFLICT`` needs the index
predicate.) A channel is claimed with a conditional UPDATE of its ``account``
fill state's ``claimed_until`` (house rule 5), so two schedulers never collect
it at once. A failure is recorded on the stream (``last_error`` in Spanish with
the network's words, ``failures``) and never stops the other channels; a rate
limit's ``Retry-After`` keeps the channel's claim until then.

Requirements (``public_sector_requirements.md``): IND-07 (net follower growth
per network) and IND-08 (interaction rate) are computed from what is collected
here; REC-01 (the metrics snapshot kept as a record) and REC-03 (periodic
snapshot of each account's posts, which may disappear from the platform).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.core.errors import DomainError, PermissionDeniedError
from pregonero.core.models import Channel
from pregonero.lib.tasks import mark_and_enqueue
from pregonero.publishing.adapters.base import Adapter, MetricSample, PostSnapshot
from pregonero.publishing.adapters.errors import AdapterError, RateLimited
from pregonero.publishing.models import (
    ChannelConnection,
    ConnectionStatus,
    Publication,
    PublicationStatus,
)
from pregonero.publishing.networks import adapter_class, adapter_for

from .models import FillState, MetricSource, MetricValue, NetworkPost

logger = logging.getLogger(__name__)

ACCOUNT = "account"
POSTS = "posts"
STREAMS = (ACCOUNT, POSTS)
STREAM_LABELS = {
    ACCOUNT: gettext_lazy("Cifras diarias de la cuenta"),
    POSTS: gettext_lazy("Cifras de las publicaciones"),
}
POST_WINDOW_DAYS = 90
RECENT_POSTS = 50
CLAIM_FOR = datetime.timedelta(minutes=30)
# A failed stream is tried again after this long (not before the next day's
# hour otherwise).
RETRY_FAILED_AFTER = datetime.timedelta(hours=1)
USABLE = (ConnectionStatus.CONNECTED, ConnectionStatus.REFRESH_FAILED)


def backfill_days() -> int:
    return int(getattr(settings, "PREGONERO_METRICS_BACKFILL_DAYS", 90))


def collect_hour() -> int:
    return int(getattr(settings, "PREGONERO_METRICS_HOUR", 6))


class CollectionRefused(DomainError):
    """The channel cannot be collected now (not connected, no metrics by API)."""

    status = 409
    code = "collection_refused"


@dataclasses.dataclass
class ChannelResult:
    channel_id: int
    claimed: bool = True
    values: int = 0
    posts: int = 0
    errors: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.claimed and not self.errors


# ---------------------------------------------------------------- which channels


def supports_metrics(channel: Channel) -> bool:
    return adapter_class(channel).supports_metrics


def collectable(queryset: QuerySet[Channel] | None = None) -> QuerySet[Channel]:
    """Active channels with a usable connection (the adapter is checked later)."""
    queryset = Channel.objects.all() if queryset is None else queryset
    return queryset.filter(active=True, connection__status__in=USABLE)


def _start_of_collection_day(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=collect_hour(), minute=0, second=0, microsecond=0)


def due_channels(now: datetime.datetime | None = None) -> list[Channel]:
    """Channels not collected since today's collection hour (or failed over an
    hour ago), not claimed; none before the hour. Two queries at most."""
    now = now or timezone.now()
    start = _start_of_collection_day(now)
    if now < start:
        return []
    busy = FillState.objects.filter(
        Q(claimed_until__gt=now) | Q(last_run_at__gte=now - RETRY_FAILED_AFTER)
    ).values("channel_id")
    done = (
        FillState.objects.filter(stream__in=STREAMS, last_run_at__gte=start, failures=0)
        .values("channel_id")
        .annotate(streams=Count("pk"))
        .filter(streams=len(STREAMS))
        .values("channel_id")
    )
    candidates = (
        collectable()
        .exclude(pk__in=busy)
        .exclude(pk__in=done)
        .select_related("connection")
        .order_by("pk")
    )
    return [c for c in candidates if supports_metrics(c)]


# ---------------------------------------------------------------- entry points


def collect_due(now: datetime.datetime | None = None) -> int:
    """The scheduler's hook: hand every due channel to the workers; how many.

    Cheap when nothing is due: no query before the day's hour, one afterwards.
    Each channel is marked (``last_run_at``, a conditional UPDATE) before its
    task is queued, so two schedulers never queue it twice; the worker then
    claims it for the collection itself."""
    from .tasks import collect_channel_task

    now = now or timezone.now()
    if now < _start_of_collection_day(now):
        return 0
    return mark_and_enqueue(
        ((_state(c, ACCOUNT), c) for c in due_channels(now)),
        collect_channel_task,
        now,
        what="metrics collection",
    )


def collect_channel(
    channel: Channel,
    *,
    now: datetime.datetime | None = None,
    since: datetime.date | None = None,
    adapter: Adapter | None = None,
) -> ChannelResult:
    """Collect both streams of one channel under its claim.

    ``since`` re-reads the account's days from that date (a repair); without it
    the checkpoint decides."""
    now = now or timezone.now()
    result = ChannelResult(channel.pk)
    states = {stream: _state(channel, stream) for stream in STREAMS}
    if not _claim(states[ACCOUNT], now):
        result.claimed = False
        return result
    hold_until: datetime.datetime | None = None
    try:
        adapter = adapter or adapter_for(channel)
        if not adapter.supports_metrics:
            raise CollectionRefused(
                _("La red de este canal no entrega estadísticas por API.")
            )
        for stream, run in ((ACCOUNT, _collect_account), (POSTS, _collect_posts)):
            state = states[stream]
            FillState.objects.filter(pk=state.pk).update(last_run_at=now)
            try:
                written = run(channel, adapter, state, now, since)
            except AdapterError as exc:
                result.errors[stream] = _failed(state, exc, now)
                if isinstance(exc, RateLimited):
                    wait = exc.retry_after or 900.0
                    hold_until = now + datetime.timedelta(seconds=wait)
                    break  # the network asked to wait: leave the other stream
                continue
            except Exception as exc:  # a bug: recorded, then the next stream
                logger.exception("metrics %s failed for channel %s", stream, channel.pk)
                result.errors[stream] = _failed(state, exc, now)
                continue
            if stream == ACCOUNT:
                result.values += written
            else:
                result.posts += written
            FillState.objects.filter(pk=state.pk).update(
                last_success_at=now, last_error="", last_error_at=None, failures=0
            )
    except CollectionRefused as exc:
        result.errors[ACCOUNT] = _failed(states[ACCOUNT], exc, now)
    finally:
        FillState.objects.filter(pk=states[ACCOUNT].pk).update(claimed_until=hold_until)
    return result


# ---------------------------------------------------------------- the manual request


def request_collection(user: Any, channel: Channel) -> None:
    """The "Recolectar ahora" button: queue the channel's collection (audited).

    Needs CHANNEL_MANAGE or METRICS_IMPORT; refused for a channel that is not
    connected or whose network gives no figures through its API."""
    from pregonero.audit.actions import record

    if not (has_perm(user, Perm.CHANNEL_MANAGE) or has_perm(user, Perm.METRICS_IMPORT)):
        raise PermissionDeniedError(
            _("Su rol no le permite recolectar las estadísticas de los canales."),
            extra={"permission": str(Perm.CHANNEL_MANAGE)},
        )
    if not supports_metrics(channel):
        raise CollectionRefused(
            _("La red de este canal no entrega estadísticas por API.")
        )
    connection = ChannelConnection.objects.filter(channel=channel).first()
    if connection is None or connection.status not in USABLE:
        raise CollectionRefused(
            _("Conecte el canal antes de recolectar sus estadísticas.")
        )
    from .tasks import collect_channel_task

    with transaction.atomic():
        record(user, "analytics.collection.requested", channel, {})
        transaction.on_commit(lambda: collect_channel_task.enqueue(channel.pk))


# ---------------------------------------------------------------- status for pages


@dataclasses.dataclass(frozen=True)
class StreamStatus:
    stream: str
    label: str
    last_success_at: datetime.datetime | None
    filled_through: datetime.date | None
    last_error: str
    last_error_at: datetime.datetime | None
    failures: int


def status_for(channel: Channel) -> list[StreamStatus]:
    """Each stream's last success, checkpoint and last error (one query)."""
    states = {s.stream: s for s in FillState.objects.filter(channel=channel)}
    rows: list[StreamStatus] = []
    for stream in STREAMS:
        state = states.get(stream)
        rows.append(
            StreamStatus(
                stream=stream,
                label=str(STREAM_LABELS[stream]),
                last_success_at=state.last_success_at if state else None,
                filled_through=state.filled_through if state else None,
                last_error=state.last_error if state else "",
                last_error_at=state.last_error_at if state else None,
                failures=state.failures if state else 0,
            )
        )
    return rows


# ---------------------------------------------------------------- streams


def _collect_account(
    channel: Channel,
    adapter: Adapter,
    state: FillState,
    now: datetime.datetime,
    since: datetime.date | None,
) -> int:
    today = timezone.localdate(now)
    yesterday = today - datetime.timedelta(days=1)
    oldest = today - datetime.timedelta(days=adapter.metrics_history_days)
    if since is not None:
        start = since
    elif state.filled_through is not None:
        start = state.filled_through + datetime.timedelta(days=1)
    else:
        start = today - datetime.timedelta(days=backfill_days())
    start = max(start, oldest)
    if start > yesterday:  # filled: read yesterday again for today's levels
        start = yesterday
    written = 0
    window = max(adapter.metrics_window_days, 1)
    cursor = start
    while cursor <= yesterday:
        end = min(cursor + datetime.timedelta(days=window - 1), yesterday)
        samples = adapter.account_metrics(cursor, end)
        with transaction.atomic():
            written += _store_account(channel, samples, today, now)
            if state.filled_through is None or end > state.filled_through:
                state.filled_through = end
            FillState.objects.filter(pk=state.pk).update(
                filled_through=state.filled_through
            )
        cursor = end + datetime.timedelta(days=1)
    return written


def _collect_posts(
    channel: Channel,
    adapter: Adapter,
    state: FillState,
    now: datetime.datetime,
    since: datetime.date | None,
) -> int:
    cutoff = now - datetime.timedelta(days=POST_WINDOW_DAYS)
    known = _known_post_ids(channel, cutoff)
    snapshots: dict[str, PostSnapshot] = {}
    try:
        for snapshot in adapter.recent_posts_with_metrics(RECENT_POSTS):
            snapshots[snapshot.platform_id] = snapshot
    except NotImplementedError:
        pass
    missing = [pid for pid in known if pid not in snapshots]
    if missing:
        for snapshot in adapter.post_metrics(missing):
            snapshots[snapshot.platform_id] = snapshot
    kept = [
        s
        for s in snapshots.values()
        if s.platform_id in known or s.published_at is None or s.published_at >= cutoff
    ]
    today = timezone.localdate(now)
    with transaction.atomic():
        posts = _upsert_posts(channel, kept)
        _store_posts(channel, posts, kept, today, now)
        FillState.objects.filter(pk=state.pk).update(filled_through=today)
    return len(kept)


def _known_post_ids(channel: Channel, cutoff: datetime.datetime) -> list[str]:
    """Platform ids of the channel's posts of the window: those on record and
    those Pregonero published."""
    ids = list(
        NetworkPost.objects.filter(channel=channel)
        .filter(Q(published_at__gte=cutoff) | Q(published_at__isnull=True))
        .values_list("platform_id", flat=True)
    )
    ids += list(
        Publication.objects.filter(
            channel=channel,
            status=PublicationStatus.PUBLISHED,
            published_at__gte=cutoff,
        )
        .exclude(platform_id="")
        .values_list("platform_id", flat=True)
    )
    return list(dict.fromkeys(ids))


# ---------------------------------------------------------------- storing


def _store_account(
    channel: Channel,
    samples: Iterable[MetricSample],
    today: datetime.date,
    now: datetime.datetime,
) -> int:
    """Replace the values of the samples' natural keys (channel, metric, day)."""
    values: dict[tuple[str, datetime.date], MetricValue] = {}
    for sample in samples:
        day = sample.date or today
        values[(sample.metric, day)] = MetricValue(
            organization_id=channel.organization_id,
            channel=channel,
            post=None,
            metric=sample.metric,
            api_version=sample.api_version,
            date=day,
            value=float(sample.value),
            captured_at=now,
            source=MetricSource.API,
        )
    if not values:
        return 0
    days = {day for _metric, day in values}
    metrics = {metric for metric, _day in values}
    stale = MetricValue.objects.filter(
        channel=channel, post__isnull=True, date__in=days, metric__in=metrics
    )
    keys = set(values)
    doomed = [
        pk
        for pk, metric, day in stale.values_list("pk", "metric", "date")
        if (metric, day) in keys
    ]
    MetricValue.objects.filter(pk__in=doomed).delete()
    MetricValue.objects.bulk_create(list(values.values()), batch_size=500)
    return len(values)


def _upsert_posts(
    channel: Channel, snapshots: list[PostSnapshot]
) -> dict[str, NetworkPost]:
    ids = [s.platform_id for s in snapshots]
    existing = {
        p.platform_id: p
        for p in NetworkPost.objects.filter(channel=channel, platform_id__in=ids)
    }
    publications = dict(
        Publication.objects.filter(channel=channel, platform_id__in=ids).values_list(
            "platform_id", "pk"
        )
    )
    fields = ["published_at", "permalink", "text", "post_type", "thumbnail_url"]
    new: list[NetworkPost] = []
    changed: list[NetworkPost] = []
    for snap in snapshots:
        post = existing.get(snap.platform_id)
        if post is None:
            post = NetworkPost(
                organization_id=channel.organization_id,
                channel=channel,
                platform_id=snap.platform_id,
            )
            new.append(post)
        else:
            changed.append(post)
        post.published_at = snap.published_at or post.published_at
        post.permalink = (snap.permalink or post.permalink)[:500]
        post.text = snap.text or post.text
        post.post_type = (snap.post_type or post.post_type)[:40]
        post.thumbnail_url = (snap.thumbnail_url or post.thumbnail_url)[:500]
        if post.publication_id is None and snap.platform_id in publications:
            post.publication_id = publications[snap.platform_id]
    NetworkPost.objects.bulk_create(new, batch_size=500)
    if changed:
        NetworkPost.objects.bulk_update(
            changed, [*fields, "publication", "updated_at"], batch_size=500
        )
    # bulk_create gives primary keys on SQLite and PostgreSQL; read them back
    # to be safe on any backend.
    return {
        p.platform_id: p
        for p in NetworkPost.objects.filter(channel=channel, platform_id__in=ids)
    }


def _store_posts(
    channel: Channel,
    posts: dict[str, NetworkPost],
    snapshots: list[PostSnapshot],
    today: datetime.date,
    now: datetime.datetime,
) -> None:
    """Replace each post's values captured today (post, metric, day)."""
    rows: list[MetricValue] = []
    for snap in snapshots:
        post = posts.get(snap.platform_id)
        if post is None:
            continue
        for metric, value in snap.metrics.items():
            rows.append(
                MetricValue(
                    organization_id=channel.organization_id,
                    channel=channel,
                    post=post,
                    metric=metric,
                    api_version=snap.api_version,
                    date=today,
                    value=float(value),
                    captured_at=now,
                    source=MetricSource.API,
                )
            )
    post_ids = [p.pk for p in posts.values()]
    if post_ids:
        MetricValue.objects.filter(post_id__in=post_ids, date=today).delete()
    MetricValue.objects.bulk_create(rows, batch_size=500)


# ---------------------------------------------------------------- fill states


def _state(channel: Channel, stream: str) -> FillState:
    state, _created = FillState.objects.get_or_create(
        channel=channel,
        stream=stream,
        defaults={"organization_id": channel.organization_id},
    )
    return state


def _claim(state: FillState, now: datetime.datetime) -> bool:
    """Take the channel with a conditional UPDATE; False when another holds it."""
    taken = (
        FillState.objects.filter(pk=state.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + CLAIM_FOR)
    )
    return taken == 1


def _failed(state: FillState, exc: Exception, now: datetime.datetime) -> str:
    detail = getattr(exc, "message", "") or str(exc) or exc.__class__.__name__
    message = _(
        "No se pudieron recolectar las estadísticas (%(stream)s). La red respondió: %(detail)s"
    ) % {"stream": str(STREAM_LABELS.get(state.stream, state.stream)), "detail": detail}
    state.refresh_from_db(fields=["failures"])
    FillState.objects.filter(pk=state.pk).update(
        last_error=message, last_error_at=now, failures=state.failures + 1
    )
    logger.warning(
        "metrics %s of channel %s: %s", state.stream, state.channel_id, detail
    )
    return message
