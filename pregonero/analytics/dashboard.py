"""The figures of Estadísticas (the dashboard) and of the metrics API.

Filters (network, channel, period, dependency, campaign) are parsed once here;
the figures come from ``queries`` (``account_series``, ``post_totals``,
``top_posts``), which aggregate in the database, so a request costs the same
number of queries for a month or for three years (IND-08 engagement rate).

* Account figures (followers, reach, views, interactions of the account) are
  daily and belong to a channel: the network, channel and dependency filters
  choose the channels (a dependency's channels are those it owns). A campaign
  does not apply to them: the networks do not attribute account figures to
  campaigns.
* Post figures belong to the posts published in the period: the campaign
  filter keeps the posts of Pregonero pieces of that campaign; the dependency
  filter keeps posts of the dependency's pieces or on its channels.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pregonero.core.models import Campaign, Channel, Dependency, NetworkKind

from .mapping import Mapper, mapper_for
from .models import Concept, FillState, MetricValue, NetworkPost, Scope
from .queries import (
    DAY,
    MONTH,
    ChannelFigures,
    PostFigures,
    account_series,
    bucket_of,
    channels_of,
    engagement_rate,
    interaction_metrics,
    post_totals,
    posts_in_period,
    top_posts,
)

PERIODS = {
    "30d": gettext_lazy("Últimos 30 días"),
    "mes": gettext_lazy("Este mes"),
    "mes_anterior": gettext_lazy("Mes anterior"),
    "trimestre": gettext_lazy("Este trimestre"),
    "12m": gettext_lazy("Últimos 12 meses"),
    "rango": gettext_lazy("Rango personalizado"),
}
DEFAULT_PERIOD = "30d"
MAX_RANGE_DAYS = 366 * 5
# Longer periods are drawn by month.
DAILY_UP_TO_DAYS = 92
FLOW_CONCEPTS = (
    Concept.REACH,
    Concept.VIEWS,
    Concept.INTERACTIONS,
    Concept.VIDEO_VIEWS,
)
FILTER_KEYS = ("periodo", "desde", "hasta", "red", "canal", "dependencia", "campana")
ENGAGEMENT_FORMULA = gettext_lazy(
    "Tasa de interacción = interacciones ÷ alcance × 100 (si la red no informa "
    "alcance, ÷ visualizaciones)."
)


def period_bounds(
    period: str, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The days of a named period, ending today at the latest."""
    if period == "mes":
        return today.replace(day=1), today
    if period == "mes_anterior":
        end = today.replace(day=1) - datetime.timedelta(days=1)
        return end.replace(day=1), end
    if period == "trimestre":
        month = 3 * ((today.month - 1) // 3) + 1
        return today.replace(month=month, day=1), today
    if period == "12m":
        first = today.replace(day=1)
        year, month = first.year, first.month - 11
        if month < 1:
            year, month = year - 1, month + 12
        return first.replace(year=year, month=month), today
    return today - datetime.timedelta(days=29), today


def _parse_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass
class Filters:
    """What the user chose, validated inside the organization."""

    organization_id: int
    start: datetime.date
    end: datetime.date
    period: str = DEFAULT_PERIOD
    network: str = ""
    channel: Channel | None = None
    dependency: Dependency | None = None
    campaign: Campaign | None = None
    raw: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def bucket(self) -> str:
        return DAY if (self.end - self.start).days < DAILY_UP_TO_DAYS else MONTH

    @property
    def period_label(self) -> str:
        return str(PERIODS.get(self.period, ""))

    def querystring(self, **extra: str) -> str:
        from urllib.parse import urlencode

        params = {k: v for k, v in self.raw.items() if v}
        params.update({k: v for k, v in extra.items() if v})
        return urlencode(params)

    def channel_ids(
        self, channels: list[Channel], *, for_posts: bool = False
    ) -> list[int]:
        """The channels whose figures count. For posts the dependency is applied
        to the posts themselves (see ``post_where``)."""
        ids = []
        for channel in channels:
            if self.network and channel.network != self.network:
                continue
            if self.channel and channel.pk != self.channel.pk:
                continue
            if (
                not for_posts
                and self.dependency
                and channel.owner_dependency_id != self.dependency.pk
            ):
                continue
            ids.append(channel.pk)
        return ids

    def post_where(self) -> Q | None:
        where = Q()
        used = False
        if self.campaign is not None:
            where &= Q(publication__piece__campaign_id=self.campaign.pk)
            used = True
        if self.dependency is not None:
            where &= Q(publication__piece__dependency_id=self.dependency.pk) | Q(
                channel__owner_dependency_id=self.dependency.pk
            )
            used = True
        return where if used else None


def parse_filters(
    organization_id: int, params: Any, today: datetime.date | None = None
) -> Filters:
    """Read the filters from a request's GET (or any mapping of strings).

    A value that is not valid is dropped with a Spanish message; the page then
    shows the figures without that filter instead of failing.
    """
    today = today or timezone.localdate()
    raw = {key: str(params.get(key, "") or "").strip() for key in FILTER_KEYS}
    errors: list[str] = []
    period = raw["periodo"] or DEFAULT_PERIOD
    if period not in PERIODS:
        errors.append(
            _("El periodo elegido no existe; se muestran los últimos 30 días.")
        )
        period = DEFAULT_PERIOD
    if period == "rango":
        start = _parse_date(raw["desde"])
        end = _parse_date(raw["hasta"])
        if start is None or end is None:
            errors.append(
                _("Escriba las fechas «desde» y «hasta» del rango (AAAA-MM-DD).")
            )
            period = DEFAULT_PERIOD
            start, end = period_bounds(period, today)
        elif start > end:
            errors.append(_("La fecha «desde» es posterior a «hasta»."))
            period = DEFAULT_PERIOD
            start, end = period_bounds(period, today)
        elif (end - start).days > MAX_RANGE_DAYS:
            errors.append(_("El rango no puede superar cinco años."))
            period = DEFAULT_PERIOD
            start, end = period_bounds(period, today)
    else:
        start, end = period_bounds(period, today)
    filters = Filters(
        organization_id, start, end, period=period, raw=raw, errors=errors
    )
    raw["periodo"] = period
    if period != "rango":
        raw["desde"] = raw["hasta"] = ""
    if raw["red"]:
        if raw["red"] in NetworkKind.values:
            filters.network = raw["red"]
        else:
            errors.append(_("Red desconocida."))
            raw["red"] = ""
    for key, model, attr in (
        ("canal", Channel, "channel"),
        ("dependencia", Dependency, "dependency"),
        ("campana", Campaign, "campaign"),
    ):
        if not raw[key]:
            continue
        obj = None
        if raw[key].isdigit():
            obj = model._default_manager.filter(
                pk=int(raw[key]), organization_id=organization_id
            ).first()
        if obj is None:
            errors.append(_("Un filtro elegido no existe en su entidad; se omitió."))
            raw[key] = ""
        else:
            setattr(filters, attr, obj)
    return filters


def buckets(
    start: datetime.date, end: datetime.date, bucket: str
) -> list[datetime.date]:
    days = []
    day = start
    while day <= end:
        if bucket == DAY:
            days.append(day)
            day += datetime.timedelta(days=1)
        else:
            days.append(day.replace(day=1))
            day = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return days


def network_label(network: str) -> str:
    try:
        return str(NetworkKind(network).label)
    except ValueError:
        return network


def _num(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class Summary:
    """Everything the dashboard and ``GET /metrics/summary`` show."""

    filters: Filters
    kpis: dict[str, Any]
    posts_kpis: dict[str, Any]
    networks: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    series: dict[str, Any]
    top: list[dict[str, Any]]
    collection: list[dict[str, Any]]


def post_row(figures: PostFigures) -> dict[str, Any]:
    post = figures.post
    rate, base = engagement_rate(figures.totals)
    return {
        "id": post.pk,
        "channel_id": post.channel_id,
        "channel": post.channel.name,
        "network": post.channel.network,
        "network_label": network_label(post.channel.network),
        "published_at": post.published_at,
        "permalink": post.permalink,
        "text": (post.text or "")[:140],
        "reach": _num(figures.totals.get(Concept.REACH)),
        "views": _num(
            figures.totals.get(Concept.VIEWS, figures.totals.get(Concept.VIDEO_VIEWS))
        ),
        "interactions": _num(figures.totals.get(Concept.INTERACTIONS)),
        "engagement_rate": rate,
        "engagement_base": base,
    }


def summarize(filters: Filters, *, top_limit: int = 10) -> Summary:
    """The dashboard's figures: about a dozen queries, whatever the data."""
    org = filters.organization_id
    mapper = mapper_for(org)
    all_channels = channels_of(org)
    account_ids = filters.channel_ids(all_channels)
    post_ids = filters.channel_ids(all_channels, for_posts=True)
    bucket = filters.bucket
    figures = (
        account_series(
            org,
            filters.start,
            filters.end,
            channel_ids=account_ids,
            bucket=bucket,
            mapper=mapper,
        )
        if account_ids
        else []
    )
    posts = posts_in_period(
        org,
        filters.start,
        filters.end,
        channel_ids=post_ids,
        where=filters.post_where(),
    )
    per_channel_posts = post_totals(org, posts, mapper=mapper) if post_ids else {}
    top = top_posts(org, posts, limit=top_limit, mapper=mapper) if post_ids else []

    totals: dict[str, float] = {}
    followers_start = followers_end = 0.0
    has_followers = False
    networks: dict[str, dict[str, Any]] = {}
    channel_rows = []
    by_channel = {f.channel.pk: f for f in figures}
    for channel in all_channels:
        if channel.pk not in by_channel and channel.pk not in per_channel_posts:
            continue
        fig = by_channel.get(channel.pk) or ChannelFigures(channel)
        n_posts, p_totals = per_channel_posts.get(channel.pk, (0, {}))
        net = networks.setdefault(
            channel.network,
            {
                "network": channel.network,
                "label": network_label(channel.network),
                "channels": 0,
                "followers_start": None,
                "followers_end": None,
                "totals": {},
                "posts": 0,
                "post_totals": {},
            },
        )
        net["channels"] += 1
        net["posts"] += n_posts
        for concept, value in p_totals.items():
            net["post_totals"][concept] = net["post_totals"].get(concept, 0.0) + value
        if channel.pk in by_channel:
            for concept, value in fig.totals.items():
                totals[concept] = totals.get(concept, 0.0) + value
                net["totals"][concept] = net["totals"].get(concept, 0.0) + value
            for attr in ("followers_start", "followers_end"):
                value = getattr(fig, attr)
                if value is not None:
                    net[attr] = (net[attr] or 0.0) + value
            if fig.followers_end is not None:
                has_followers = True
                followers_end += fig.followers_end
                followers_start += fig.followers_start or 0.0
        rate, base = engagement_rate(fig.totals)
        channel_rows.append(
            {
                "id": channel.pk,
                "name": channel.name,
                "network": channel.network,
                "network_label": network_label(channel.network),
                "followers_start": _num(fig.followers_start),
                "followers_end": _num(fig.followers_end),
                "followers_net": _num(fig.followers_net),
                "reach": _num(fig.totals.get(Concept.REACH)),
                "views": _num(fig.totals.get(Concept.VIEWS)),
                "interactions": _num(fig.totals.get(Concept.INTERACTIONS)),
                "engagement_rate": rate,
                "engagement_base": base,
                "posts": n_posts,
                "post_interactions": _num(p_totals.get(Concept.INTERACTIONS)),
            }
        )
    network_rows = []
    for net in sorted(networks.values(), key=lambda n: n["label"]):
        rate, base = engagement_rate(net["totals"])
        start, end = net["followers_start"], net["followers_end"]
        network_rows.append(
            {
                "network": net["network"],
                "label": net["label"],
                "channels": net["channels"],
                "followers_start": _num(start),
                "followers_end": _num(end),
                "followers_net": _num(end - start)
                if start is not None and end is not None
                else None,
                "reach": _num(net["totals"].get(Concept.REACH)),
                "views": _num(net["totals"].get(Concept.VIEWS)),
                "video_views": _num(net["totals"].get(Concept.VIDEO_VIEWS)),
                "interactions": _num(net["totals"].get(Concept.INTERACTIONS)),
                "engagement_rate": rate,
                "engagement_base": base,
                "posts": net["posts"],
                "post_interactions": _num(net["post_totals"].get(Concept.INTERACTIONS)),
                "post_reach": _num(net["post_totals"].get(Concept.REACH)),
            }
        )
    rate, base = engagement_rate(totals)
    kpis = {
        "followers_start": _num(followers_start) if has_followers else None,
        "followers_end": _num(followers_end) if has_followers else None,
        "followers_net": _num(followers_end - followers_start)
        if has_followers
        else None,
        "reach": _num(totals.get(Concept.REACH)),
        "views": _num(totals.get(Concept.VIEWS)),
        "video_views": _num(totals.get(Concept.VIDEO_VIEWS)),
        "interactions": _num(totals.get(Concept.INTERACTIONS)),
        "engagement_rate": rate,
        "engagement_base": base,
        "engagement_formula": str(ENGAGEMENT_FORMULA),
    }
    post_all: dict[str, float] = {}
    n_all = 0
    for n_posts, p_totals in per_channel_posts.values():
        n_all += n_posts
        for concept, value in p_totals.items():
            post_all[concept] = post_all.get(concept, 0.0) + value
    p_rate, p_base = engagement_rate(post_all)
    posts_kpis = {
        "count": n_all,
        "reach": _num(post_all.get(Concept.REACH)),
        "views": _num(post_all.get(Concept.VIEWS)),
        "interactions": _num(post_all.get(Concept.INTERACTIONS)),
        "engagement_rate": p_rate,
        "engagement_base": p_base,
    }
    return Summary(
        filters=filters,
        kpis=kpis,
        posts_kpis=posts_kpis,
        networks=network_rows,
        channels=channel_rows,
        series=_series(filters, figures, bucket),
        top=[post_row(p) for p in top],
        collection=collection_status(org, account_ids or post_ids),
    )


def _series(
    filters: Filters, figures: list[ChannelFigures], bucket: str
) -> dict[str, Any]:
    """Followers per network (carried forward over days without a value) and
    the flows summed over every channel, per bucket."""
    days = buckets(filters.start, filters.end, bucket)
    followers: dict[str, list[float | None]] = {}
    for fig in figures:
        values = fig.daily.get(Concept.FOLLOWERS, {})
        if not values and fig.followers_start is None:
            continue
        line = followers.setdefault(fig.network, [None] * len(days))
        last = fig.followers_start
        for i, day in enumerate(days):
            last = values.get(day, last)
            if last is not None:
                line[i] = (line[i] or 0.0) + last
    flows: dict[str, list[float]] = {}
    for concept in FLOW_CONCEPTS:
        line_ = [0.0] * len(days)
        index = {day: i for i, day in enumerate(days)}
        seen = False
        for fig in figures:
            for day, value in fig.daily.get(concept, {}).items():
                at = index.get(bucket_of(day, bucket))
                if at is not None:
                    line_[at] += value
                    seen = True
        if seen:
            flows[str(concept)] = [round(v, 2) for v in line_]
    return {
        "bucket": bucket,
        "labels": [d.isoformat() for d in days],
        "followers": [
            {"network": net, "label": network_label(net), "values": values}
            for net, values in sorted(followers.items())
        ],
        "flows": flows,
    }


def collection_status(org: int, channel_ids: list[int]) -> list[dict[str, Any]]:
    """Per channel: the last success and the last error of its collection streams."""
    rows: dict[int, dict[str, Any]] = {}
    for state in (
        FillState.objects.filter(organization_id=org, channel_id__in=channel_ids)
        .select_related("channel")
        .order_by("channel__name", "stream")
    ):
        row = rows.setdefault(
            state.channel_id,
            {
                "channel_id": state.channel_id,
                "channel": state.channel.name,
                "streams": 0,
                "filled_through": None,
                "last_success_at": None,
                "last_error_at": None,
                "last_error": "",
                "failing": 0,
            },
        )
        row["streams"] += 1
        if state.filled_through and (
            row["filled_through"] is None
            or state.filled_through < row["filled_through"]
        ):
            row["filled_through"] = state.filled_through
        if state.last_success_at and (
            row["last_success_at"] is None
            or state.last_success_at > row["last_success_at"]
        ):
            row["last_success_at"] = state.last_success_at
        if state.last_error and (
            row["last_error_at"] is None
            or (state.last_error_at and state.last_error_at > row["last_error_at"])
        ):
            row["last_error_at"] = state.last_error_at
            row["last_error"] = state.last_error
        if state.failures:
            row["failing"] += 1
    return list(rows.values())


# ---------------------------------------------------------------- the rows behind a figure

DRILL_CONCEPTS = [str(c) for c in Concept.values]


def metric_filter(
    mapper: Mapper, channels: list[Channel], concept: str, scope: str
) -> Q | None:
    """The (channel, metric) pairs that feed ``concept``; ``None`` if none."""
    by_metrics: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for channel in channels:
        if concept == Concept.INTERACTIONS:
            metrics = interaction_metrics(mapper, channel.network, scope)
        else:
            metrics = mapper.metrics_for(channel.network, scope, concept)
        if metrics:
            by_metrics[tuple(metrics)].append(channel.pk)
    if not by_metrics:
        return None
    wanted = Q()
    for names, ids in by_metrics.items():
        wanted |= Q(channel_id__in=ids, metric__in=list(names))
    return wanted


def account_rows(filters: Filters, concept: str) -> QuerySet[MetricValue]:
    """The daily account values behind an account figure. For followers: the
    values of the period and the last value before it (the starting level)."""
    org = filters.organization_id
    mapper = mapper_for(org)
    every = channels_of(org)
    chosen = set(filters.channel_ids(every))
    channels = [c for c in every if c.pk in chosen]
    wanted = metric_filter(mapper, channels, concept, Scope.ACCOUNT)
    base = MetricValue.objects.filter(organization_id=org, post__isnull=True)
    if wanted is None:
        return base.none()
    base = base.filter(wanted)
    in_period = Q(date__range=(filters.start, filters.end))
    if concept == Concept.FOLLOWERS:
        from django.db.models import Max

        before = filters.start - datetime.timedelta(days=1)
        starts = (
            base.filter(
                date__lte=before, date__gte=before - datetime.timedelta(days=400)
            )
            .values("channel_id")
            .annotate(last=Max("date"))
            .values_list("channel_id", "last")
        )
        for channel_id, day in starts:
            in_period |= Q(channel_id=channel_id, date=day)
    return (
        base.filter(in_period)
        .select_related("channel", "import_batch")
        .order_by("date", "channel__name", "metric")
    )


def drill_posts(filters: Filters) -> QuerySet[NetworkPost]:
    org = filters.organization_id
    ids = filters.channel_ids(channels_of(org), for_posts=True)
    return (
        posts_in_period(
            org, filters.start, filters.end, channel_ids=ids, where=filters.post_where()
        )
        .select_related("channel", "publication")
        .order_by("-published_at", "-pk")
    )
