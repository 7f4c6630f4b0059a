"""Reading the figures: the one place that turns stored network metrics into
report concepts, for the dashboard, the report and the API.

A figure's concept comes from ``mapping.mapper_for`` (network, scope, metric).
Followers are levels: the value at the end of a day, the last one on or before
a date. Every other concept is a flow summed over the days of a period. Post
figures are lifetime snapshots: a post counts with its latest snapshot taken
on or before ``as_of``.

Interactions: when a network reports them (Instagram ``total_interactions``,
Facebook ``page_post_engagements``, X ``engagements``) that figure is used;
otherwise they are the sum of reactions, comments, shares and saves.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Max, Q

from pregonero.core.models import Channel

from .mapping import Mapper, mapper_for
from .models import Concept, MetricValue, NetworkPost, Scope

if TYPE_CHECKING:
    from pregonero.core.models import Organization

INTERACTION_PARTS = (Concept.REACTIONS, Concept.COMMENTS, Concept.SHARES, Concept.SAVES)

Totals = dict[str, float]


def _network(channel: Channel) -> str:
    return channel.imitates or channel.kind


def channels_of(
    organization: Organization | int, channel_ids: Iterable[int] | None = None
) -> list[Channel]:
    queryset = Channel.objects.for_org(organization).exclude(kind="manual")
    if channel_ids is not None:
        queryset = queryset.filter(pk__in=list(channel_ids))
    return list(queryset.order_by("name", "pk"))


def _with_interactions(totals: Totals, explicit: bool) -> Totals:
    if not explicit:
        parts = [totals[c] for c in INTERACTION_PARTS if c in totals]
        if parts:
            totals[Concept.INTERACTIONS] = sum(parts)
    return totals


@dataclass
class ChannelFigures:
    """A channel's figures over a period."""

    channel: Channel
    totals: Totals = field(default_factory=dict)
    followers_start: float | None = None
    followers_end: float | None = None
    daily: dict[str, dict[datetime.date, float]] = field(default_factory=dict)

    @property
    def network(self) -> str:
        return _network(self.channel)

    @property
    def followers_net(self) -> float | None:
        if self.followers_start is None or self.followers_end is None:
            return None
        return self.followers_end - self.followers_start


def account_figures(
    organization: Organization | int,
    start: datetime.date,
    end: datetime.date,
    *,
    channel_ids: Iterable[int] | None = None,
    daily: bool = False,
    mapper: Mapper | None = None,
) -> list[ChannelFigures]:
    """Per channel: flows summed over ``start..end`` (inclusive), followers at the
    end of the day before ``start`` and at the end of ``end``.

    Two queries whatever the number of channels and days.
    """
    mapper = mapper or mapper_for(organization)
    channels = channels_of(organization, channel_ids)
    by_id = {c.pk: ChannelFigures(c) for c in channels}
    if not by_id:
        return []
    explicit: dict[int, bool] = defaultdict(bool)
    rows = (
        MetricValue.objects.filter(
            organization=organization,
            channel_id__in=list(by_id),
            post__isnull=True,
            date__range=(start, end),
        )
        .values_list("channel_id", "metric", "date", "value")
        .order_by()
    )
    followers_metrics: set[str] = set()
    for channel_id, metric, day, value in rows.iterator(chunk_size=5000):
        figures = by_id[channel_id]
        found = mapper.concept(figures.network, Scope.ACCOUNT, metric)
        if found is None:
            continue
        concept, factor = found
        value = value * factor
        if concept == Concept.FOLLOWERS:
            followers_metrics.add(metric)
            continue
        if concept == Concept.INTERACTIONS:
            explicit[channel_id] = True
        figures.totals[concept] = figures.totals.get(concept, 0.0) + value
        if daily:
            series = figures.daily.setdefault(concept, {})
            series[day] = series.get(day, 0.0) + value
    for channel_id, figures in by_id.items():
        _with_interactions(figures.totals, explicit[channel_id])
    _fill_followers(organization, by_id, start, end, mapper, daily=daily)
    return list(by_id.values())


def _fill_followers(
    organization: Organization | int,
    by_id: dict[int, ChannelFigures],
    start: datetime.date,
    end: datetime.date,
    mapper: Mapper,
    *,
    daily: bool,
) -> None:
    """Followers at the start and end of the period (last value on or before)."""
    wanted = Q()
    any_metric = False
    for channel_id, figures in by_id.items():
        metrics = mapper.metrics_for(figures.network, Scope.ACCOUNT, Concept.FOLLOWERS)
        if metrics:
            any_metric = True
            wanted |= Q(channel_id=channel_id, metric__in=metrics)
    if not any_metric:
        return
    base = MetricValue.objects.filter(
        wanted, organization=organization, post__isnull=True
    )
    before = start - datetime.timedelta(days=1)
    # The last day with a value on or before each bound, per channel.
    for bound, attr in ((before, "followers_start"), (end, "followers_end")):
        last_days = dict(
            base.filter(date__lte=bound, date__gte=bound - datetime.timedelta(days=400))
            .values("channel_id")
            .annotate(last=Max("date"))
            .values_list("channel_id", "last")
        )
        if not last_days:
            continue
        cond = Q()
        for channel_id, day in last_days.items():
            cond |= Q(channel_id=channel_id, date=day)
        for channel_id, value in base.filter(cond).values_list("channel_id", "value"):
            setattr(by_id[channel_id], attr, float(value))
    if daily:
        for channel_id, day, value in base.filter(date__range=(start, end)).values_list(
            "channel_id", "date", "value"
        ):
            by_id[channel_id].daily.setdefault(Concept.FOLLOWERS, {})[day] = value


@dataclass
class PostFigures:
    post: NetworkPost
    totals: Totals = field(default_factory=dict)


def post_figures(
    organization: Organization | int,
    start: datetime.date,
    end: datetime.date,
    *,
    channel_ids: Iterable[int] | None = None,
    as_of: datetime.date | None = None,
    mapper: Mapper | None = None,
) -> list[PostFigures]:
    """Posts published between ``start`` and ``end`` (Bogotá days) with their
    latest lifetime figures on or before ``as_of`` (default: today)."""
    from django.utils import timezone

    mapper = mapper or mapper_for(organization)
    as_of = as_of or timezone.localdate()
    tz = timezone.get_current_timezone()
    lower = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    upper = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    posts_qs = (
        NetworkPost.objects.for_org(organization)
        .filter(published_at__gte=lower, published_at__lt=upper)
        .select_related("channel")
    )
    if channel_ids is not None:
        posts_qs = posts_qs.filter(channel_id__in=list(channel_ids))
    posts = {p.pk: PostFigures(p) for p in posts_qs}
    if not posts:
        return []
    rows = (
        MetricValue.objects.filter(
            organization=organization,
            post__published_at__gte=lower,
            post__published_at__lt=upper,
            date__lte=as_of,
        )
        .values_list("post_id", "metric", "date", "value")
        .order_by("post_id", "metric", "date")
    )
    if channel_ids is not None:
        rows = rows.filter(channel_id__in=list(channel_ids))
    latest: dict[tuple[int, str], float] = {}
    for post_id, metric, _day, value in rows.iterator(chunk_size=5000):
        latest[(post_id, metric)] = value  # ordered by date: the last one wins
    explicit: dict[int, bool] = defaultdict(bool)
    for (post_id, metric), value in latest.items():
        figures = posts.get(post_id)
        if figures is None:
            continue
        found = mapper.concept(_network(figures.post.channel), Scope.POST, metric)
        if found is None:
            continue
        concept, factor = found
        if concept == Concept.INTERACTIONS:
            explicit[post_id] = True
        figures.totals[concept] = figures.totals.get(concept, 0.0) + value * factor
    for post_id, figures in posts.items():
        _with_interactions(figures.totals, explicit[post_id])
    return list(posts.values())


def engagement_rate(totals: Totals) -> tuple[float | None, str]:
    """IND-08: interactions ÷ reach × 100; where a network gives no reach,
    interactions ÷ views × 100. Returns the rate and the base used."""
    interactions = totals.get(Concept.INTERACTIONS)
    if interactions is None:
        return None, ""
    for base in (Concept.REACH, Concept.VIEWS, Concept.VIDEO_VIEWS):
        denominator = totals.get(base)
        if denominator:
            return round(100.0 * interactions / denominator, 2), str(base)
    return None, ""


def add_totals(into: Totals, more: Totals) -> Totals:
    for concept, value in more.items():
        into[concept] = into.get(concept, 0.0) + value
    return into
