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
from typing import TYPE_CHECKING, Any

from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery

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
    # Scoped by the organization's own channels: the (channel, metric, date)
    # index answers, where a filter on the organization would make SQLite walk
    # the (organization, date) index through every value of the period.
    rows = (
        MetricValue.objects.filter(
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
    # ``wanted`` names only the organization's own channels; each (channel,
    # metric) pair is an index range (25 times faster on SQLite than through the
    # organization's index).
    base = MetricValue.objects.filter(wanted, post__isnull=True)
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
    # From the posts of the period (their (channel, published_at) index) to
    # their values (the (post, metric, date) index), rather than through every
    # value of the organization up to ``as_of``.
    rows = (
        MetricValue.objects.filter(
            post__in=posts_qs.values("pk"),
            date__lte=as_of,
        )
        .values_list("post_id", "metric", "date", "value")
        .order_by("post_id", "metric", "date")
    )
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


# ---------------------------------------------------------------- aggregated in the database
# The dashboard and the API read long periods on every request: the same figures
# as ``account_figures`` and ``post_figures``, but summed by the database, so a
# request costs a constant number of queries and brings back few rows.

DAY = "day"
MONTH = "month"


def bucket_of(day: datetime.date, bucket: str) -> datetime.date:
    """The first day of the bucket (the day itself, or the first of its month)."""
    return day.replace(day=1) if bucket == MONTH else day


def _bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    lower = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    upper = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return lower, upper


def account_series(
    organization: Organization | int,
    start: datetime.date,
    end: datetime.date,
    *,
    channel_ids: Iterable[int] | None = None,
    bucket: str = DAY,
    mapper: Mapper | None = None,
) -> list[ChannelFigures]:
    """``account_figures(daily=True)`` with the sums made by the database.

    ``daily`` is keyed by the first day of each bucket (a day, or a month when
    ``bucket`` is ``MONTH``): flows are summed over the bucket, followers are
    the last value inside it. Totals and followers at the start and end of the
    period mean exactly what they mean in ``account_figures``. Four queries
    (after the channels and the mapping) whatever the period and channels.
    """
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    mapper = mapper or mapper_for(organization)
    channels = channels_of(organization, channel_ids)
    by_id = {c.pk: ChannelFigures(c) for c in channels}
    if not by_id:
        return []
    # The channels are the organization's (``channels_of``): filtering on them
    # alone lets the database use the (channel, metric, date) index rather
    # than the organization's every value by date, post snapshots included.
    base = MetricValue.objects.filter(
        channel_id__in=list(by_id), post__isnull=True
    ).order_by()
    # Naming the metrics lets the database answer from the partial index of
    # account values (channel, metric, date) instead of reading post snapshots.
    account_metrics = sorted(
        {
            m
            for f in by_id.values()
            for m in mapper.metrics_for(f.network, Scope.ACCOUNT)
        }
    )
    flows = base.filter(metric__in=account_metrics, date__range=(start, end))
    rows: Iterable[tuple[int, str, datetime.date, float]]
    if bucket == MONTH:
        from django.db import connection
        from django.db.models import CharField
        from django.db.models.functions import Cast, Substr

        # SQLite's date_trunc is a Python function called per row; the first
        # seven characters of the ISO date ("2026-10") group the same months.
        month = (
            Substr(Cast("date", output_field=CharField()), 1, 7)
            if connection.vendor == "sqlite"
            else TruncMonth("date")
        )
        rows = (
            flows.annotate(bucket=month)
            .values("channel_id", "metric", "bucket")
            .annotate(total=Sum("value"))
            .values_list("channel_id", "metric", "bucket", "total")
        )
    else:
        rows = flows.values_list("channel_id", "metric", "date", "value")
    explicit: dict[int, bool] = defaultdict(bool)
    for channel_id, metric, day, value in rows:
        if isinstance(day, str):  # "2026-10" from SQLite
            day = datetime.date(int(day[:4]), int(day[5:7]), 1)
        figures = by_id[channel_id]
        found = mapper.concept(figures.network, Scope.ACCOUNT, metric)
        if found is None or found[0] == Concept.FOLLOWERS:
            continue
        concept, factor = found
        value = float(value) * factor
        if concept == Concept.INTERACTIONS:
            explicit[channel_id] = True
        figures.totals[concept] = figures.totals.get(concept, 0.0) + value
        series = figures.daily.setdefault(concept, {})
        series[day] = series.get(day, 0.0) + value
    for channel_id, figures in by_id.items():
        _with_interactions(figures.totals, explicit[channel_id])
        if not explicit[channel_id]:
            parts = [figures.daily[c] for c in INTERACTION_PARTS if c in figures.daily]
            if parts:
                merged: dict[datetime.date, float] = {}
                for series in parts:
                    for day, value in series.items():
                        merged[day] = merged.get(day, 0.0) + value
                figures.daily[Concept.INTERACTIONS] = merged
    follower_metrics = {
        pk: set(mapper.metrics_for(f.network, Scope.ACCOUNT, Concept.FOLLOWERS))
        for pk, f in by_id.items()
    }
    names = sorted(set().union(*follower_metrics.values()))
    if not names:
        return list(by_id.values())
    # The level before the period: per channel and follower metric, the last
    # value on or before the day before ``start`` (an index seek each).
    before = start - datetime.timedelta(days=1)
    annotations: dict[str, Any] = {}
    for i, name in enumerate(names):
        last = MetricValue.objects.filter(
            channel_id=OuterRef("pk"),
            post__isnull=True,
            metric=name,
            date__lte=before,
            date__gte=before - datetime.timedelta(days=400),
        ).order_by("-date")
        annotations[f"d{i}"] = Subquery(last.values("date")[:1])
        annotations[f"v{i}"] = Subquery(last.values("value")[:1])
    for row in (
        Channel.objects.filter(pk__in=list(by_id))
        .annotate(**annotations)
        .values("pk", *annotations)
    ):
        found_at: datetime.date | None = None
        for i, name in enumerate(names):
            day = row[f"d{i}"]
            if (
                name in follower_metrics[row["pk"]]
                and day is not None
                and (found_at is None or day > found_at)
            ):
                found_at = day
                by_id[row["pk"]].followers_start = float(row[f"v{i}"])
    for channel_id, metric, day, value in (
        base.filter(metric__in=names, date__range=(start, end))
        .values_list("channel_id", "metric", "date", "value")
        .order_by("date")
    ):
        if metric not in follower_metrics[channel_id]:
            continue
        figures = by_id[channel_id]
        figures.daily.setdefault(Concept.FOLLOWERS, {})[bucket_of(day, bucket)] = float(
            value
        )
        figures.followers_end = float(value)
    for figures in by_id.values():
        if figures.followers_end is None:
            figures.followers_end = figures.followers_start
    return list(by_id.values())


def posts_in_period(
    organization: Organization | int,
    start: datetime.date,
    end: datetime.date,
    *,
    channel_ids: Iterable[int] | None = None,
    where: Q | None = None,
) -> QuerySet[NetworkPost]:
    """Posts published between ``start`` and ``end`` (Bogotá days), optionally
    narrowed by ``where`` (a condition on ``NetworkPost``: campaign, dependency)."""
    lower, upper = _bounds(start, end)
    if channel_ids is not None:
        # The organization's own channels among those asked for; the posts are
        # then read through the (channel, published_at) index.
        own = list(
            Channel.objects.for_org(organization)
            .filter(pk__in=list(channel_ids))
            .values_list("pk", flat=True)
        )
        queryset = NetworkPost.objects.filter(
            channel_id__in=own, published_at__gte=lower, published_at__lt=upper
        )
    else:
        queryset = NetworkPost.objects.for_org(organization).filter(
            published_at__gte=lower, published_at__lt=upper
        )
    if where is not None:
        queryset = queryset.filter(where)
    return queryset


def _latest_join(
    organization: Organization | int,
    posts: QuerySet[NetworkPost],
    as_of: datetime.date,
    metrics: Q | None = None,
) -> tuple[str, str, list[Any]]:
    """The SQL of each post metric's latest snapshot on or before ``as_of``:
    (the quoted table, a derived table ``latest(post_id, metric, latest_date)``,
    its parameters). ``metrics`` is a condition on the posts and their values
    (``channel_id``, ``metric_values__metric``)."""
    from django.db import connection

    # From the posts of the period to their values (the index of post values),
    # rather than from every value of the organization.
    condition = Q(metric_values__date__lte=as_of)
    if metrics is not None:
        condition &= metrics
    inner_sql, params = (
        posts.filter(condition)
        .order_by()
        .values(post_id=F("pk"), metric=F("metric_values__metric"))
        .annotate(latest_date=Max("metric_values__date"))
        .query.sql_with_params()
    )
    return (
        connection.ops.quote_name(MetricValue._meta.db_table),
        inner_sql,
        list(params),
    )


def post_totals(
    organization: Organization | int,
    posts: QuerySet[NetworkPost],
    *,
    as_of: datetime.date | None = None,
    mapper: Mapper | None = None,
) -> dict[int, tuple[int, Totals]]:
    """Per channel: the number of ``posts`` and the sum of their latest lifetime
    figures on or before ``as_of`` (default today), as ``post_figures`` reads
    them. Two queries. Interactions: the network's own figure when the channel's
    posts carry it, otherwise the sum of reactions, comments, shares and saves."""
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    mapper = mapper or mapper_for(organization)
    as_of = as_of or timezone.localdate()
    counts = dict(
        posts.order_by()
        .values("channel_id")
        .annotate(n=Count("id"))
        .values_list("channel_id", "n")
    )
    if not counts:
        return {}
    networks = {
        pk: imitates or kind
        for pk, kind, imitates in Channel.objects.filter(
            pk__in=list(counts)
        ).values_list("pk", "kind", "imitates")
    }
    table, inner_sql, params = _latest_join(organization, posts, as_of)
    sql = (
        # The table name comes from the model, the inner SQL from the ORM; every
        # value travels as a parameter.
        f"SELECT mv.channel_id, mv.metric, SUM(mv.value) FROM {table} mv "  # noqa: S608
        f"INNER JOIN ({inner_sql}) latest ON mv.post_id = latest.post_id "
        'AND mv.metric = latest.metric AND mv."date" = latest.latest_date '
        "GROUP BY mv.channel_id, mv.metric"
    )
    result: dict[int, tuple[int, Totals]] = {pk: (n, {}) for pk, n in counts.items()}
    explicit: dict[int, bool] = defaultdict(bool)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for channel_id, metric, total in cursor.fetchall():
            network = networks.get(channel_id, "")
            found = mapper.concept(network, Scope.POST, metric)
            if found is None:
                continue
            concept, factor = found
            if concept == Concept.INTERACTIONS:
                explicit[channel_id] = True
            totals = result[channel_id][1]
            totals[concept] = totals.get(concept, 0.0) + float(total) * factor
    for channel_id, (_n, totals) in result.items():
        _with_interactions(totals, explicit[channel_id])
    return result


def figures_of_posts(
    organization: Organization | int,
    post_ids: Iterable[int],
    *,
    as_of: datetime.date | None = None,
    mapper: Mapper | None = None,
) -> list[PostFigures]:
    """The latest lifetime figures of the given posts (two queries), in the
    order of ``post_ids``."""
    from django.utils import timezone

    ids = list(post_ids)
    if not ids:
        return []
    mapper = mapper or mapper_for(organization)
    as_of = as_of or timezone.localdate()
    posts = {
        p.pk: PostFigures(p)
        for p in NetworkPost.objects.for_org(organization)
        .filter(pk__in=ids)
        .select_related("channel")
    }
    latest: dict[tuple[int, str], float] = {}
    for post_id, metric, value in (
        MetricValue.objects.filter(post_id__in=list(posts), date__lte=as_of)
        .order_by("post_id", "metric", "date")
        .values_list("post_id", "metric", "value")
    ):
        latest[(post_id, metric)] = value
    explicit: dict[int, bool] = defaultdict(bool)
    for (post_id, metric), value in latest.items():
        figures = posts[post_id]
        found = mapper.concept(_network(figures.post.channel), Scope.POST, metric)
        if found is None:
            continue
        concept, factor = found
        if concept == Concept.INTERACTIONS:
            explicit[post_id] = True
        figures.totals[concept] = figures.totals.get(concept, 0.0) + value * factor
    for post_id, figures in posts.items():
        _with_interactions(figures.totals, explicit[post_id])
    return [posts[pk] for pk in ids if pk in posts]


def interaction_metrics(mapper: Mapper, network: str, scope: str) -> list[str]:
    """The metrics that make up a network's interactions: its own total when it
    reports one, otherwise the parts (reactions, comments, shares, saves)."""
    own = mapper.metrics_for(network, scope, Concept.INTERACTIONS)
    if own:
        return own
    return sorted(
        {
            m
            for part in INTERACTION_PARTS
            for m in mapper.metrics_for(network, scope, part)
        }
    )


def top_posts(
    organization: Organization | int,
    posts: QuerySet[NetworkPost],
    *,
    limit: int = 10,
    as_of: datetime.date | None = None,
    mapper: Mapper | None = None,
) -> list[PostFigures]:
    """The ``limit`` posts with most interactions (latest lifetime snapshot),
    ranked by the database; four queries."""
    from django.db import connection
    from django.utils import timezone

    mapper = mapper or mapper_for(organization)
    as_of = as_of or timezone.localdate()
    # Per channel: the network's own interactions metric(s) and the parts. A
    # post scores its own total when it carries one, otherwise the parts.
    own_groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    part_groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for channel in channels_of(organization):
        network = _network(channel)
        own = mapper.metrics_for(network, Scope.POST, Concept.INTERACTIONS)
        parts = sorted(
            {
                m
                for part in INTERACTION_PARTS
                for m in mapper.metrics_for(network, Scope.POST, part)
            }
        )
        if own:
            own_groups[tuple(own)].append(channel.pk)
        if parts:
            part_groups[tuple(parts)].append(channel.pk)
    if not own_groups and not part_groups:
        return []

    def condition(
        groups: dict[tuple[str, ...], list[int]],
    ) -> tuple[str, list[Any]]:
        if not groups:
            return "1 = 0", []
        sql_parts, args = [], []
        for names, ids in groups.items():
            sql_parts.append(
                "(mv.channel_id IN ({}) AND mv.metric IN ({}))".format(
                    ", ".join(["%s"] * len(ids)), ", ".join(["%s"] * len(names))
                )
            )
            args += [*ids, *names]
        return "(" + " OR ".join(sql_parts) + ")", args

    wanted = Q()
    for names, ids in [*own_groups.items(), *part_groups.items()]:
        wanted |= Q(channel_id__in=ids, metric_values__metric__in=list(names))
    own_sql, own_args = condition(own_groups)
    part_sql, part_args = condition(part_groups)
    table, inner_sql, params = _latest_join(organization, posts, as_of, wanted)
    own_sum = f"SUM(CASE WHEN {own_sql} THEN mv.value ELSE 0 END)"
    own_n = f"SUM(CASE WHEN {own_sql} THEN 1 ELSE 0 END)"
    part_sum = f"SUM(CASE WHEN {part_sql} THEN mv.value ELSE 0 END)"
    sql = (
        f"SELECT mv.post_id FROM {table} mv "  # noqa: S608
        f"INNER JOIN ({inner_sql}) latest ON mv.post_id = latest.post_id "
        'AND mv.metric = latest.metric AND mv."date" = latest.latest_date '
        f"GROUP BY mv.post_id ORDER BY CASE WHEN {own_n} > 0 THEN {own_sum} "
        f"ELSE {part_sum} END DESC, mv.post_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *own_args, *own_args, *part_args, int(limit)])
        ids = [row[0] for row in cursor.fetchall()]
    return figures_of_posts(organization, ids, as_of=as_of, mapper=mapper)
