"""LinkedIn organization share statistics (social_apis.md §5.5) against the sandbox."""

from __future__ import annotations

import datetime

from pregonero.publishing.sandbox_server import SandboxServer, figures
from pregonero.publishing.sandbox_server.linkedin import DEFAULT_ORGANIZATION
from tests.adapters.test_linkedin import adapter_for, post, token_for

TODAY = datetime.datetime.now(datetime.UTC).date()
ORG_URN = f"urn:li:organization:{DEFAULT_ORGANIZATION}"


def test_time_bound_day_statistics_and_followers(sandbox: SandboxServer) -> None:
    since = TODAY - datetime.timedelta(days=4)
    until = TODAY - datetime.timedelta(days=1)
    samples = adapter_for(sandbox, token_for(sandbox)).account_metrics(since, until)

    daily = [s for s in samples if s.date is not None]
    assert {s.date for s in daily} == {
        since + datetime.timedelta(days=i) for i in range(4)
    }
    assert "uniqueImpressionsCount" not in {s.metric for s in daily}
    impressions = {s.date: s.value for s in daily if s.metric == "impressionCount"}
    assert impressions[until] == figures.daily(
        "linkedin", ORG_URN, "impressionCount", until
    )
    (followers,) = [s for s in samples if s.date is None]
    assert followers.metric == "followerCount" and followers.value > 0


def test_lifetime_statistics_per_post(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())

    (snapshot,) = adapter.post_metrics([receipt.platform_id, "urn:li:share:1"])

    assert snapshot.platform_id == receipt.platform_id
    assert {"impressionCount", "uniqueImpressionsCount", "clickCount", "likeCount",
            "commentCount", "shareCount"} == set(snapshot.metrics)  # fmt: skip


def test_recent_posts_with_metrics_keep_text_and_time(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.publish(post())
    (snapshot,) = adapter.recent_posts_with_metrics()
    assert snapshot.text and snapshot.published_at is not None
