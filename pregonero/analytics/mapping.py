"""Network metric → report concept.

Metrics are stored under the name the network gives them (the API's name;
importers translate an export's column headers to the same names, so a figure
collected from the API and the same figure imported from a file share one
natural key and never count twice). This table says which report concept each
one feeds. An organization adjusts it in the admin (``MetricMapping`` rows:
its own rows override these defaults, rows without organization apply to all).

Followers are a *level* (the count at the end of a day). Every other concept is
a *flow* that adds up over the days of a period. A network that reports total
interactions gives them directly; otherwise interactions are the sum of
reactions, comments, shares and saves (``queries.INTERACTION_PARTS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import Concept, MetricMapping, Scope

if TYPE_CHECKING:
    from pregonero.core.models import Organization

A = Scope.ACCOUNT
P = Scope.POST
C = Concept

# (network, scope, metric) → (concept, factor)
DEFAULT_MAPPINGS: dict[tuple[str, str, str], tuple[str, float]] = {
    # Facebook Pages (social_apis.md §1.7; impressions → views since Nov 2025).
    ("facebook", A, "page_follows"): (C.FOLLOWERS, 1),
    ("facebook", A, "page_media_view"): (C.VIEWS, 1),
    ("facebook", A, "page_total_media_view_unique"): (C.REACH, 1),
    ("facebook", A, "page_post_engagements"): (C.INTERACTIONS, 1),
    ("facebook", A, "page_video_views"): (C.VIDEO_VIEWS, 1),
    ("facebook", A, "page_total_actions"): (C.CLICKS, 1),
    ("facebook", P, "post_media_view"): (C.VIEWS, 1),
    ("facebook", P, "post_total_media_view_unique"): (C.REACH, 1),
    ("facebook", P, "post_clicks"): (C.CLICKS, 1),
    ("facebook", P, "post_reactions_by_type_total"): (C.REACTIONS, 1),
    ("facebook", P, "post_video_views"): (C.VIDEO_VIEWS, 1),
    ("facebook", P, "comments"): (C.COMMENTS, 1),
    ("facebook", P, "shares"): (C.SHARES, 1),
    # Instagram (§2.6).
    ("instagram", A, "followers_count"): (C.FOLLOWERS, 1),
    ("instagram", A, "views"): (C.VIEWS, 1),
    ("instagram", A, "reach"): (C.REACH, 1),
    ("instagram", A, "total_interactions"): (C.INTERACTIONS, 1),
    ("instagram", A, "likes"): (C.REACTIONS, 1),
    ("instagram", A, "comments"): (C.COMMENTS, 1),
    ("instagram", A, "shares"): (C.SHARES, 1),
    ("instagram", A, "saves"): (C.SAVES, 1),
    ("instagram", A, "profile_links_taps"): (C.CLICKS, 1),
    ("instagram", P, "views"): (C.VIEWS, 1),
    ("instagram", P, "reach"): (C.REACH, 1),
    ("instagram", P, "total_interactions"): (C.INTERACTIONS, 1),
    ("instagram", P, "likes"): (C.REACTIONS, 1),
    ("instagram", P, "comments"): (C.COMMENTS, 1),
    ("instagram", P, "shares"): (C.SHARES, 1),
    ("instagram", P, "saved"): (C.SAVES, 1),
    # X (§3.5): classic and 2026 names both accepted.
    ("x", A, "followers_count"): (C.FOLLOWERS, 1),
    ("x", P, "impression_count"): (C.VIEWS, 1),
    ("x", P, "engagements"): (C.INTERACTIONS, 1),
    ("x", P, "like_count"): (C.REACTIONS, 1),
    ("x", P, "reply_count"): (C.COMMENTS, 1),
    ("x", P, "retweet_count"): (C.SHARES, 1),
    ("x", P, "repost_count"): (C.SHARES, 1),
    ("x", P, "quote_count"): (C.SHARES, 1),
    ("x", P, "bookmark_count"): (C.SAVES, 1),
    ("x", P, "url_link_clicks"): (C.CLICKS, 1),
    ("x", P, "view_count"): (C.VIDEO_VIEWS, 1),
    # YouTube Analytics (§4.7) and the Data API's channel statistics.
    ("youtube", A, "subscriberCount"): (C.FOLLOWERS, 1),
    ("youtube", A, "views"): (C.VIDEO_VIEWS, 1),
    ("youtube", A, "estimatedMinutesWatched"): (C.WATCH_TIME, 1),
    ("youtube", A, "likes"): (C.REACTIONS, 1),
    ("youtube", A, "comments"): (C.COMMENTS, 1),
    ("youtube", A, "shares"): (C.SHARES, 1),
    ("youtube", P, "views"): (C.VIDEO_VIEWS, 1),
    ("youtube", P, "estimatedMinutesWatched"): (C.WATCH_TIME, 1),
    ("youtube", P, "likes"): (C.REACTIONS, 1),
    ("youtube", P, "comments"): (C.COMMENTS, 1),
    ("youtube", P, "shares"): (C.SHARES, 1),
    # LinkedIn organization share statistics (§5.5).
    ("linkedin", A, "followerCount"): (C.FOLLOWERS, 1),
    ("linkedin", A, "impressionCount"): (C.VIEWS, 1),
    ("linkedin", A, "clickCount"): (C.CLICKS, 1),
    ("linkedin", A, "likeCount"): (C.REACTIONS, 1),
    ("linkedin", A, "commentCount"): (C.COMMENTS, 1),
    ("linkedin", A, "shareCount"): (C.SHARES, 1),
    ("linkedin", P, "impressionCount"): (C.VIEWS, 1),
    ("linkedin", P, "uniqueImpressionsCount"): (C.REACH, 1),
    ("linkedin", P, "clickCount"): (C.CLICKS, 1),
    ("linkedin", P, "likeCount"): (C.REACTIONS, 1),
    ("linkedin", P, "commentCount"): (C.COMMENTS, 1),
    ("linkedin", P, "shareCount"): (C.SHARES, 1),
    # TikTok (video list fields, user info).
    ("tiktok", A, "follower_count"): (C.FOLLOWERS, 1),
    ("tiktok", P, "view_count"): (C.VIDEO_VIEWS, 1),
    ("tiktok", P, "like_count"): (C.REACTIONS, 1),
    ("tiktok", P, "comment_count"): (C.COMMENTS, 1),
    ("tiktok", P, "share_count"): (C.SHARES, 1),
    # Mastodon (account and status counts).
    ("mastodon", A, "followers_count"): (C.FOLLOWERS, 1),
    ("mastodon", P, "favourites_count"): (C.REACTIONS, 1),
    ("mastodon", P, "reblogs_count"): (C.SHARES, 1),
    ("mastodon", P, "replies_count"): (C.COMMENTS, 1),
    # Bluesky (§7.B.5).
    ("bluesky", A, "followersCount"): (C.FOLLOWERS, 1),
    ("bluesky", P, "likeCount"): (C.REACTIONS, 1),
    ("bluesky", P, "repostCount"): (C.SHARES, 1),
    ("bluesky", P, "quoteCount"): (C.SHARES, 1),
    ("bluesky", P, "replyCount"): (C.COMMENTS, 1),
    ("bluesky", P, "bookmarkCount"): (C.SAVES, 1),
}


@dataclass(frozen=True)
class Mapper:
    """The effective mapping of one organization."""

    table: dict[tuple[str, str, str], tuple[str, float]]

    def concept(
        self, network: str, scope: str, metric: str
    ) -> tuple[str, float] | None:
        return self.table.get((network, scope, metric))

    def metrics_for(
        self, network: str, scope: str, concept: str | None = None
    ) -> list[str]:
        return sorted(
            metric
            for (net, sc, metric), (con, _factor) in self.table.items()
            if net == network and sc == scope and (concept is None or con == concept)
        )

    def all_metrics(self) -> set[str]:
        return {metric for (_n, _s, metric) in self.table}


def mapper_for(organization: Organization | int | None) -> Mapper:
    """The defaults, then rows for every organization, then the organization's own."""
    table = dict(DEFAULT_MAPPINGS)
    org_id: int | None = (
        organization
        if isinstance(organization, int) or organization is None
        else organization.pk
    )
    rows = MetricMapping.objects.filter(organization__isnull=True)
    own = MetricMapping.objects.filter(organization_id=org_id) if org_id else None
    for queryset in (rows, own):
        if queryset is None:
            continue
        for row in queryset:
            table[(row.network, row.scope, row.metric)] = (row.concept, row.factor)
    return Mapper(table)
