"""Fourteen months of realistic figures for the demo's practice channels.

So that Estadísticas and the monthly report show something real on a fresh
install (issue 4, §5): for each of CVP's practice (sandbox) channels, daily
account figures under the metric names of the network it imitates
(``mapping.DEFAULT_MAPPINGS``) — followers that grow with noise and jump during
a campaign, daily reach, views and interactions with a weekly rhythm — and
8–20 posts a month with lifetime snapshots taken a few days apart. The demo's
own published publications become posts too, linked to their ``Publication``.

Every value is marked ``MetricSource.DEMO``. Deterministic (a seeded random
generator; only the dates move with today) and written with ``bulk_create``.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from pregonero.core.models import Channel, NetworkKind, Organization

from .models import MetricSource, MetricValue, NetworkPost

MONTHS = 14
SEED = 15  # activity 15


@dataclass(frozen=True)
class Profile:
    """How a network's account behaves, and its metric names."""

    followers: str  # the level metric
    start_followers: int
    daily_growth: float
    reach: str | None
    views: str | None
    interactions: str | None
    reach_per_day: int
    account_extra: tuple[tuple[str, float], ...]  # (metric, share of reach)
    post_metrics: tuple[tuple[str, float], ...]  # (metric, share of post reach)
    post_type: str


PROFILES: dict[str, Profile] = {
    NetworkKind.FACEBOOK: Profile(
        "page_follows",
        18_400,
        9.0,
        "page_total_media_view_unique",
        "page_media_view",
        "page_post_engagements",
        5_200,
        (("page_video_views", 0.22), ("page_total_actions", 0.012)),
        (
            ("post_total_media_view_unique", 1.0),
            ("post_media_view", 1.7),
            ("post_reactions_by_type_total", 0.035),
            ("comments", 0.006),
            ("shares", 0.004),
            ("post_clicks", 0.015),
        ),
        "photo",
    ),
    NetworkKind.INSTAGRAM: Profile(
        "followers_count",
        9_100,
        7.0,
        "reach",
        "views",
        "total_interactions",
        3_100,
        (("profile_links_taps", 0.004),),
        (
            ("reach", 1.0),
            ("views", 1.9),
            ("likes", 0.06),
            ("comments", 0.004),
            ("shares", 0.006),
            ("saved", 0.005),
        ),
        "IMAGE",
    ),
    NetworkKind.X: Profile(
        "followers_count",
        12_300,
        3.0,
        None,
        None,
        None,
        0,
        (),
        (
            ("impression_count", 1.0),
            ("like_count", 0.012),
            ("reply_count", 0.002),
            ("retweet_count", 0.003),
            ("bookmark_count", 0.001),
        ),
        "tweet",
    ),
    NetworkKind.YOUTUBE: Profile(
        "subscriberCount",
        2_450,
        1.6,
        None,
        "views",
        None,
        420,
        (
            ("estimatedMinutesWatched", 1.4),
            ("likes", 0.03),
            ("comments", 0.004),
            ("shares", 0.006),
        ),
        (
            ("views", 1.0),
            ("estimatedMinutesWatched", 1.5),
            ("likes", 0.04),
            ("comments", 0.005),
            ("shares", 0.004),
        ),
        "video",
    ),
    NetworkKind.TIKTOK: Profile(
        "follower_count",
        3_050,
        6.0,
        None,
        None,
        None,
        0,
        (),
        (
            ("view_count", 1.0),
            ("like_count", 0.07),
            ("comment_count", 0.004),
            ("share_count", 0.006),
        ),
        "video",
    ),
}
# Share of the day's reach that interacts (flows without their own metric).
INTERACTION_SHARE = 0.045
# Posts' lifetime figures after 1, 7 and 28 days (share of the final value).
SNAPSHOTS = ((1, 0.62), (7, 0.93), (28, 1.0))
WEEKDAY = (1.08, 1.12, 1.1, 1.06, 1.0, 0.72, 0.66)  # Monday … Sunday
POST_REACH: dict[str, int] = {
    NetworkKind.FACEBOOK: 1_900,
    NetworkKind.INSTAGRAM: 1_400,
    NetworkKind.X: 2_600,
    NetworkKind.YOUTUBE: 380,
    NetworkKind.TIKTOK: 2_900,
}
TOPICS = (
    "Entrega de títulos de propiedad en {b}",
    "Jornada de la Curaduría Pública Social en {b}",
    "Avance de las obras de mejoramiento de vivienda en {b}",
    "Recomendaciones para la temporada de lluvias en {b}",
    "Atención al ciudadano: horarios y canales de la CVP",
    "Reasentamiento de familias en zonas de alto riesgo de {b}",
    "Así cambió la vida de una familia de {b} con #TítuloEnMano",
)
BARRIOS = (
    "Ciudad Bolívar",
    "San Cristóbal",
    "Usme",
    "Bosa",
    "Kennedy",
    "Rafael Uribe Uribe",
    "Suba",
    "Caracolí",
    "Bella Flor",
)


def _months_back(day: datetime.date, months: int) -> datetime.date:
    year, month = day.year, day.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """A prepared INSERT: tens of thousands of rows in about a second, where
    building as many model instances for ``bulk_create`` takes several."""
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(table),
        ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])


def _insert_posts(posts: list[NetworkPost]) -> None:
    """Insert the posts and set their ids (read back by channel and platform id)."""
    if not posts:
        return
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    columns = (
        "organization_id",
        "created_at",
        "updated_at",
        "channel_id",
        "platform_id",
        "publication_id",
        "published_at",
        "permalink",
        "text",
        "post_type",
        "thumbnail_url",
    )
    _insert(
        NetworkPost._meta.db_table,
        columns,
        [
            (
                p.organization_id,
                now,
                now,
                p.channel_id,
                p.platform_id,
                p.publication_id,
                ops.adapt_datetimefield_value(p.published_at),
                p.permalink,
                p.text,
                p.post_type,
                "",
            )
            for p in posts
        ],
    )
    ids = {
        (channel_id, platform_id): pk
        for pk, channel_id, platform_id in NetworkPost.objects.filter(
            channel_id__in={p.channel_id for p in posts}
        ).values_list("pk", "channel_id", "platform_id")
    }
    for p in posts:
        p.pk = ids[(p.channel_id, p.platform_id)]


def load_demo_metrics(
    organization: Organization, today: datetime.date | None = None
) -> dict[str, int]:
    """Write the demo's figures for the organization's practice channels.

    The period ends yesterday and starts on the first day of the month 13
    months before yesterday's (14 calendar months, the last one partial).
    Returns how many values and posts were written.
    """
    today = today or timezone.localdate()
    end = today - datetime.timedelta(days=1)
    start = _months_back(end, MONTHS - 1)
    days = (end - start).days + 1
    # A campaign (#TítuloEnMano) four months ago lifts followers and reach.
    spike_start = _months_back(end, 4) + datetime.timedelta(days=9)
    spike_end = spike_start + datetime.timedelta(days=20)
    channels = list(
        Channel.objects.for_org(organization)
        .filter(kind=NetworkKind.SANDBOX, imitates__in=list(PROFILES))
        .order_by("pk")
    )
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo figures, not secrets
    ops = connection.ops
    org_id = organization.pk
    source = str(MetricSource.DEMO)
    rows: list[tuple[Any, ...]] = []
    dates: dict[datetime.date, tuple[Any, Any]] = {}

    def add(
        channel: Channel,
        metric: str,
        day: datetime.date,
        value: float,
        post: NetworkPost | None = None,
    ) -> None:
        adapted = dates.get(day)
        if adapted is None:
            captured = _at(day + datetime.timedelta(days=1), 6)
            adapted = dates[day] = (
                ops.adapt_datefield_value(day),
                ops.adapt_datetimefield_value(captured),
            )
        rows.append(
            (
                org_id,
                channel.pk,
                post.pk if post is not None else None,
                metric,
                "demo",
                adapted[0],
                float(round(value)),
                adapted[1],
                source,
            )
        )

    for channel in channels:
        profile = PROFILES[channel.imitates]
        followers = float(profile.start_followers)
        for i in range(days):
            day = start + datetime.timedelta(days=i)
            in_spike = spike_start <= day <= spike_end
            trend = 1.0 + 0.25 * i / days
            boost = 1.9 if in_spike else 1.0
            followers += (
                profile.daily_growth * trend * boost * 2.2 * (rng.random())
                - profile.daily_growth * 0.15 * rng.random()
            )
            add(channel, profile.followers, day, followers)
            if not profile.reach_per_day:
                continue
            seasonal = 1.0 + 0.12 * math.sin(
                2 * math.pi * day.timetuple().tm_yday / 365
            )
            reach = (
                profile.reach_per_day
                * WEEKDAY[day.weekday()]
                * seasonal
                * trend
                * boost
                * rng.uniform(0.8, 1.2)
            )
            if profile.reach:
                add(channel, profile.reach, day, reach)
            if profile.views:
                add(channel, profile.views, day, reach * rng.uniform(1.6, 2.0))
            if profile.interactions:
                add(
                    channel,
                    profile.interactions,
                    day,
                    reach * INTERACTION_SHARE * rng.uniform(0.8, 1.25),
                )
            for metric, share in profile.account_extra:
                add(channel, metric, day, reach * share * rng.uniform(0.8, 1.2))

    # Posts: 8–20 a month per channel, plus the demo's own publications.
    posts: list[NetworkPost] = []
    plans: list[tuple[NetworkPost, float]] = []
    from pregonero.publishing.models import Publication

    published = {
        (p.channel_id): p
        for p in Publication.objects.for_org(organization)
        .filter(status="published", channel__in=channels)
        .order_by("pk")
    }
    for channel in channels:
        profile = PROFILES[channel.imitates]
        month = start
        n = 0
        while month <= end:
            next_month = (month + datetime.timedelta(days=32)).replace(day=1)
            last = min(end, next_month - datetime.timedelta(days=1))
            span = (last - month).days + 1
            count = rng.randint(8, 20)
            if span < 28:  # the month in course
                count = max(1, round(count * span / 30))
            for _k in range(count):
                day = month + datetime.timedelta(days=rng.randrange(span))
                n += 1
                topic = rng.choice(TOPICS).format(b=rng.choice(BARRIOS))
                posts.append(
                    NetworkPost(
                        organization=organization,
                        channel=channel,
                        platform_id=f"demo-{channel.imitates}-{n:05d}",
                        published_at=_at(day, rng.choice((8, 10, 12, 17, 19)), 30),
                        permalink=f"https://sandbox.invalid/{channel.imitates}/posts/{n}",
                        text=topic,
                        post_type=profile.post_type,
                    )
                )
                in_spike = spike_start <= day <= spike_end
                plans.append(
                    (
                        posts[-1],
                        POST_REACH[channel.imitates]
                        * rng.lognormvariate(0, 0.55)
                        * (2.2 if in_spike else 1.0),
                    )
                )
            month = next_month
        publication = published.get(channel.pk)
        if publication is not None and publication.published_at:
            posts.append(
                NetworkPost(
                    organization=organization,
                    channel=channel,
                    publication=publication,
                    platform_id=publication.platform_id or f"demo-pub-{publication.pk}",
                    published_at=publication.published_at,
                    permalink=publication.permalink,
                    text=publication.text[:500],
                    post_type=profile.post_type,
                )
            )
            plans.append((posts[-1], POST_REACH[channel.imitates] * 1.3))
    _insert_posts(posts)
    for post, final in plans:
        assert post.published_at is not None
        published_day = timezone.localdate(post.published_at)
        profile = PROFILES[post.channel.imitates]
        for after, share in SNAPSHOTS:
            day = published_day + datetime.timedelta(days=after)
            if day > end:
                break
            for metric, part in profile.post_metrics:
                add(post.channel, metric, day, final * share * part, post)
    _insert(
        MetricValue._meta.db_table,
        (
            "organization_id",
            "channel_id",
            "post_id",
            "metric",
            "api_version",
            "date",
            "value",
            "captured_at",
            "source",
        ),
        rows,
    )
    return {"values": len(rows), "posts": len(posts)}
