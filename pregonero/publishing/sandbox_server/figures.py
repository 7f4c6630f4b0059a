"""Deterministic, plausible figures for the sandbox networks' metric endpoints.

The practice networks do not count real people: every figure is a seeded
function of the network, the account or post id, the metric's name and the day
(or the post's age), so the same question always gets the same answer, the
collectors can be tested against exact numbers, and the demo shows curves that
look like a public entity's accounts (fewer people on weekends, a slow growth of
followers, posts that gather most of their audience in the first two days).
"""

from __future__ import annotations

import datetime
import hashlib
import math
from collections.abc import Iterable
from typing import Any

# The day the practice accounts "opened": follower counts grow from there.
EPOCH = datetime.date(2023, 1, 1)

# Typical size of a daily account figure, by the metric's name (any network).
DAILY_SCALE: dict[str, float] = {
    "views": 1800,
    "reach": 1100,
    "impressions": 2200,
    "impressionCount": 900,
    "page_media_view": 2400,
    "page_total_media_view_unique": 1300,
    "page_post_engagements": 140,
    "page_video_views": 260,
    "page_total_actions": 35,
    "total_interactions": 120,
    "accounts_engaged": 90,
    "likes": 80,
    "likeCount": 25,
    "comments": 12,
    "commentCount": 4,
    "shares": 9,
    "shareCount": 3,
    "saves": 6,
    "profile_links_taps": 15,
    "clickCount": 30,
    "estimatedMinutesWatched": 420,
    "subscribersGained": 6,
    "subscribersLost": 2,
}

# Typical lifetime size of a post's figure, by the metric's name.
POST_SCALE: dict[str, float] = {
    "post_media_view": 1500,
    "post_total_media_view_unique": 950,
    "post_clicks": 60,
    "post_video_views": 300,
    "reactions": 70,
    "comments": 9,
    "shares": 7,
    "views": 1300,
    "reach": 800,
    "likes": 65,
    "saved": 8,
    "total_interactions": 95,
    "impression_count": 1200,
    "like_count": 30,
    "reply_count": 4,
    "retweet_count": 6,
    "quote_count": 1,
    "bookmark_count": 3,
    "url_link_clicks": 20,
    "user_profile_clicks": 5,
    "engagements": 55,
    "view_count": 900,
    "estimatedMinutesWatched": 700,
    "impressionCount": 1100,
    "uniqueImpressionsCount": 700,
    "clickCount": 40,
    "likeCount": 28,
    "commentCount": 5,
    "shareCount": 4,
    "favourites_count": 14,
    "reblogs_count": 6,
    "replies_count": 3,
    "repostCount": 5,
    "replyCount": 3,
    "quoteCount": 1,
    "bookmarkCount": 2,
    "comment_count": 6,
    "share_count": 5,
}

# Facebook's reaction types, with their usual share of the total.
REACTION_SHARES = (
    ("like", 0.62),
    ("love", 0.2),
    ("wow", 0.06),
    ("haha", 0.05),
    ("sorry", 0.04),
    ("anger", 0.03),
)


def unit(*parts: Any) -> float:
    """A number in [0, 1) fixed by ``parts``."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def followers(network: str, account_id: str, day: datetime.date) -> int:
    """The follower count at the end of ``day``: a base plus a slow, steady growth."""
    base = 1500 + unit(network, account_id, "base") * 18_000
    per_day = 2 + unit(network, account_id, "growth") * 9
    days = max((day - EPOCH).days, 0)
    wobble = unit(network, account_id, "wobble", day.isoformat()) * per_day
    return int(base + per_day * days + wobble)


def daily(
    network: str,
    account_id: str,
    metric: str,
    day: datetime.date,
    posts_that_day: int = 0,
) -> int:
    """A daily account figure: weekday rhythm, noise, and a lift on posting days."""
    scale = DAILY_SCALE.get(metric, 50) * (
        0.6 + unit(network, account_id, metric) * 0.8
    )
    weekday = 0.6 if day.weekday() >= 5 else 1.0
    noise = 0.7 + unit(network, account_id, metric, day.isoformat()) * 0.6
    lift = 1 + 0.35 * min(posts_that_day, 4)
    return round(scale * weekday * noise * lift)


def lifetime(
    network: str,
    post_id: str,
    metric: str,
    created_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> int:
    """A post's figure so far: most of its audience arrives in the first two days."""
    now = now or datetime.datetime.now(datetime.UTC)
    hours = max((now - created_at).total_seconds() / 3600, 0.0)
    # An hour's head start: a post just made already has a few viewers.
    grown = 1 - math.exp(-(hours + 1) / 30)
    scale = POST_SCALE.get(metric, 20) * (0.3 + unit(network, post_id, metric) * 1.4)
    return max(round(scale * grown), 1)


def reactions_by_type(
    network: str,
    post_id: str,
    created_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> dict[str, int]:
    """Facebook's ``post_reactions_by_type_total`` object (only non-zero types)."""
    total = lifetime(network, post_id, "reactions", created_at, now)
    values: dict[str, int] = {}
    for name, share in REACTION_SHARES:
        value = round(total * share)
        if value:
            values[name] = value
    return values


def posts_per_day(
    posts: Iterable[dict[str, Any]], offset_hours: int = -5
) -> dict[datetime.date, int]:
    """How many of ``posts`` were made on each local day (Bogotá by default)."""
    counts: dict[datetime.date, int] = {}
    shift = datetime.timedelta(hours=offset_hours)
    for post in posts:
        created = post.get("created_at")
        if isinstance(created, datetime.datetime):
            day = (created + shift).date()
            counts[day] = counts.get(day, 0) + 1
    return counts


def parse_day(value: str) -> datetime.date | None:
    """A day from ``YYYY-MM-DD`` or a UNIX timestamp (UTC), as Graph accepts."""
    value = (value or "").strip()
    if not value:
        return None
    if value.lstrip("-").isdigit():
        return datetime.datetime.fromtimestamp(int(value), datetime.UTC).date()
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None
