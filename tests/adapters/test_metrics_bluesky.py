"""Bluesky getPosts counts and getProfile followers (social_apis.md §7.B.5)."""

from __future__ import annotations

import datetime

from pregonero.publishing.sandbox_server import SandboxServer
from tests.adapters.test_bluesky import logged_in, post

TODAY = datetime.datetime.now(
    datetime.timezone(datetime.timedelta(hours=-5))
).date()  # Bogotá


def test_followers_and_post_counts(sandbox: SandboxServer) -> None:
    adapter = logged_in(sandbox)
    (followers,) = adapter.account_metrics(TODAY, TODAY)
    assert followers.metric == "followersCount" and followers.value > 0

    receipt = adapter.publish(post())
    missing = receipt.platform_id.rsplit("/", 1)[0] + "/3kzzzzzzzzzzz"
    (snapshot,) = adapter.post_metrics([receipt.platform_id, missing])
    assert snapshot.platform_id == receipt.platform_id
    assert set(snapshot.metrics) == {
        "likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount"
    }  # fmt: skip
    assert snapshot.published_at is not None

    (recent,) = adapter.recent_posts_with_metrics()
    assert recent.platform_id == receipt.platform_id
