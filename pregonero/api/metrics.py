"""The metrics query API (activity 15): the dashboard's figures, the stored
values behind them and the posts with their latest figures.

Read-only; ``STATS_VIEW``; everything is scoped to the user's organization
(a channel, dependency or campaign of another organization is a 422).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm
from pregonero.analytics import dashboard as dash
from pregonero.analytics.mapping import mapper_for
from pregonero.analytics.models import Concept, MetricValue, Scope
from pregonero.analytics.queries import channels_of, figures_of_posts
from pregonero.core.errors import ValidationFailed
from pregonero.core.models import Channel

from .base import ErrorOut, Page, in_org, paginate, require_perm, user_of

router = Router(tags=["Estadísticas (métricas)"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class PeriodOut(Schema):
    start: datetime.date
    end: datetime.date
    period: str
    bucket: str


class KpisOut(Schema):
    followers_start: float | None
    followers_end: float | None
    followers_net: float | None
    reach: float | None
    views: float | None
    video_views: float | None
    interactions: float | None
    engagement_rate: float | None
    engagement_base: str
    engagement_formula: str


class PostKpisOut(Schema):
    count: int
    reach: float | None
    views: float | None
    interactions: float | None
    engagement_rate: float | None
    engagement_base: str


class NetworkOut(Schema):
    network: str
    label: str
    channels: int
    followers_start: float | None
    followers_end: float | None
    followers_net: float | None
    reach: float | None
    views: float | None
    video_views: float | None
    interactions: float | None
    engagement_rate: float | None
    engagement_base: str
    posts: int
    post_interactions: float | None
    post_reach: float | None


class ChannelFiguresOut(Schema):
    id: int
    name: str
    network: str
    followers_start: float | None
    followers_end: float | None
    followers_net: float | None
    reach: float | None
    views: float | None
    interactions: float | None
    engagement_rate: float | None
    engagement_base: str
    posts: int
    post_interactions: float | None


class FollowersLineOut(Schema):
    network: str
    label: str
    values: list[float | None]


class SeriesOut(Schema):
    bucket: str
    labels: list[str]
    followers: list[FollowersLineOut]
    flows: dict[str, list[float]]


class PostOut(Schema):
    id: int
    channel_id: int
    channel: str
    network: str
    published_at: datetime.datetime | None
    permalink: str
    text: str
    reach: float | None
    views: float | None
    interactions: float | None
    engagement_rate: float | None
    engagement_base: str


class PostDetailOut(PostOut):
    figures: dict[str, float]


class CollectionOut(Schema):
    channel_id: int
    channel: str
    streams: int
    filled_through: datetime.date | None
    last_success_at: datetime.datetime | None
    last_error_at: datetime.datetime | None
    last_error: str
    failing: int


class SummaryOut(Schema):
    period: PeriodOut
    kpis: KpisOut
    posts: PostKpisOut
    networks: list[NetworkOut]
    channels: list[ChannelFiguresOut]
    series: SeriesOut
    top_posts: list[PostOut]
    collection: list[CollectionOut]


class ValueOut(Schema):
    id: int
    channel_id: int
    post_id: int | None
    metric: str
    concept: str | None
    api_version: str
    date: datetime.date
    value: float
    captured_at: datetime.datetime
    source: str
    import_batch_id: int | None


class ValuePage(Page):
    items: list[ValueOut]


class PostPage(Page):
    items: list[PostDetailOut]


def _reader(request: HttpRequest) -> User:
    user = user_of(request)
    require_perm(user, Perm.STATS_VIEW)
    return user


def _filters(
    user: User,
    *,
    period: str,
    start: datetime.date | None,
    end: datetime.date | None,
    network: str,
    channel_id: int | None,
    dependency_id: int | None,
    campaign_id: int | None,
) -> dash.Filters:
    if start is not None or end is not None:
        period = "rango"
    params = {
        "periodo": period,
        "desde": start.isoformat() if start else "",
        "hasta": end.isoformat() if end else "",
        "red": network,
        "canal": str(channel_id or ""),
        "dependencia": str(dependency_id or ""),
        "campana": str(campaign_id or ""),
    }
    assert user.organization_id is not None
    filters = dash.parse_filters(user.organization_id, params)
    if filters.errors:
        raise ValidationFailed(
            _("Revise los filtros."), errors={"filters": filters.errors}
        )
    return filters


@router.get(
    "/metrics/summary",
    response={200: SummaryOut, **ERRORS},
    summary="Cifras del tablero de estadísticas",
)
def metrics_summary(
    request: HttpRequest,
    period: str = dash.DEFAULT_PERIOD,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    network: str = "",
    channel_id: int | None = None,
    dependency_id: int | None = None,
    campaign_id: int | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """The dashboard's figures with the same filters. ``period``: ``30d``,
    ``mes``, ``mes_anterior``, ``trimestre``, ``12m``; or ``start`` and ``end``."""
    user = _reader(request)
    filters = _filters(
        user,
        period=period,
        start=start,
        end=end,
        network=network,
        channel_id=channel_id,
        dependency_id=dependency_id,
        campaign_id=campaign_id,
    )
    summary = dash.summarize(filters, top_limit=max(1, min(top, 50)))
    return {
        "period": {
            "start": filters.start,
            "end": filters.end,
            "period": filters.period,
            "bucket": filters.bucket,
        },
        "kpis": summary.kpis,
        "posts": summary.posts_kpis,
        "networks": summary.networks,
        "channels": summary.channels,
        "series": summary.series,
        "top_posts": summary.top,
        "collection": summary.collection,
    }


@router.get(
    "/metrics/values",
    response={200: ValuePage, **ERRORS},
    summary="Valores de métricas guardados",
)
def metrics_values(
    request: HttpRequest,
    channel_id: int | None = None,
    metric: str = "",
    concept: str = "",
    scope: str = "",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """The stored figures as the networks name them, with the report concept
    each one feeds. ``scope``: ``account`` (daily) or ``post`` (lifetime
    snapshots)."""
    user = _reader(request)
    org = user.organization_id
    assert org is not None
    errors: dict[str, list[str]] = {}
    if scope and scope not in Scope.values:
        errors["scope"] = [_("Use «account» o «post».")]
    if concept and concept not in Concept.values:
        errors["concept"] = [_("Concepto desconocido.")]
    if start and end and start > end:
        errors["start"] = [_("La fecha inicial es posterior a la final.")]
    if errors:
        raise ValidationFailed(_("Revise los filtros."), errors=errors)
    rows = MetricValue.objects.filter(organization_id=org)
    channels = channels_of(org)
    if channel_id is not None:
        channel = in_org(Channel, user, channel_id, "channel_id")
        assert channel is not None
        rows = rows.filter(channel_id=channel.pk)
        channels = [c for c in channels if c.pk == channel.pk]
    if metric:
        rows = rows.filter(metric=metric)
    if scope == Scope.ACCOUNT:
        rows = rows.filter(post__isnull=True)
    elif scope == Scope.POST:
        rows = rows.filter(post__isnull=False)
    mapper = mapper_for(org)
    if concept:
        wanted = Q()
        found = False
        for sc in [scope] if scope else list(Scope.values):
            q = dash.metric_filter(mapper, channels, concept, sc)
            if q is not None:
                found = True
                cond = q & (
                    Q(post__isnull=True)
                    if sc == Scope.ACCOUNT
                    else Q(post__isnull=False)
                )
                wanted |= cond
        rows = rows.filter(wanted) if found else rows.none()
    if start:
        rows = rows.filter(date__gte=start)
    if end:
        rows = rows.filter(date__lte=end)
    rows = rows.select_related("channel").order_by(
        "-date", "channel_id", "metric", "pk"
    )
    count, items = paginate(rows, offset, limit)
    return {
        "count": count,
        "offset": offset,
        "limit": limit,
        "items": [
            {
                "id": v.pk,
                "channel_id": v.channel_id,
                "post_id": v.post_id,
                "metric": v.metric,
                "concept": (
                    mapper.concept(
                        v.channel.network,
                        Scope.POST if v.post_id else Scope.ACCOUNT,
                        v.metric,
                    )
                    or (None, 0)
                )[0],
                "api_version": v.api_version,
                "date": v.date,
                "value": v.value,
                "captured_at": v.captured_at,
                "source": v.source,
                "import_batch_id": v.import_batch_id,
            }
            for v in items
        ],
    }


@router.get(
    "/metrics/posts",
    response={200: PostPage, **ERRORS},
    summary="Publicaciones en las redes con sus últimas cifras",
)
def metrics_posts(
    request: HttpRequest,
    period: str = dash.DEFAULT_PERIOD,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    network: str = "",
    channel_id: int | None = None,
    dependency_id: int | None = None,
    campaign_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """Posts published in the period (newest first) with their latest lifetime
    figures per report concept."""
    user = _reader(request)
    filters = _filters(
        user,
        period=period,
        start=start,
        end=end,
        network=network,
        channel_id=channel_id,
        dependency_id=dependency_id,
        campaign_id=campaign_id,
    )
    count, posts = paginate(dash.drill_posts(filters), offset, limit)
    assert user.organization_id is not None
    figures = figures_of_posts(
        user.organization_id, [p.pk for p in posts], as_of=timezone.localdate()
    )
    return {
        "count": count,
        "offset": offset,
        "limit": limit,
        "items": [
            {**dash.post_row(f), "figures": {str(k): v for k, v in f.totals.items()}}
            for f in figures
        ],
    }
