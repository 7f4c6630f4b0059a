"""Mastodon account and status counts against the sandbox."""

from __future__ import annotations

import datetime

from pregonero.publishing.sandbox_server import SandboxServer
from tests.adapters.test_mastodon import adapter_for, post, token_for

TODAY = datetime.datetime.now(
    datetime.timezone(datetime.timedelta(hours=-5))
).date()  # Bogotá


def test_followers_and_status_counts(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    (followers,) = adapter.account_metrics(TODAY, TODAY)
    assert followers.metric == "followers_count" and followers.value > 0

    receipt = adapter.publish(post())
    (snapshot,) = adapter.post_metrics([receipt.platform_id, "999999999"])
    assert set(snapshot.metrics) == {
        "favourites_count",
        "reblogs_count",
        "replies_count",
    }
    assert snapshot.permalink == receipt.permalink

    (listed,) = adapter.recent_posts_with_metrics()
    assert listed.platform_id == receipt.platform_id
    assert listed.metrics == snapshot.metrics
