"""Facebook Page and post insights (social_apis.md §1.7) against the sandbox."""

from __future__ import annotations

import datetime

import pytest

from pregonero.publishing.adapters.errors import AuthError, ContentRejected
from pregonero.publishing.adapters.facebook import PAGE_METRICS, POST_METRICS
from pregonero.publishing.sandbox_server import Fault, SandboxServer, figures
from pregonero.publishing.sandbox_server.meta import PAGE_ID
from tests.adapters.test_facebook import make_adapter, post

TODAY = datetime.datetime.now(
    datetime.timezone(datetime.timedelta(hours=-5))
).date()  # Bogotá
DEPRECATED = {
    "page_impressions",
    "page_fans",
    "post_impressions",
    "page_impressions_unique",
}


def insights_requests(sandbox: SandboxServer) -> list[str]:
    return [
        p for _n, _m, p in sandbox.state.requests if p.endswith(f"{PAGE_ID}/insights")
    ]


def test_page_insights_are_daily_values_under_the_current_names(
    sandbox: SandboxServer,
) -> None:
    since = TODAY - datetime.timedelta(days=7)
    until = TODAY - datetime.timedelta(days=1)
    samples = make_adapter(sandbox).account_metrics(since, until)

    assert {s.metric for s in samples} == set(PAGE_METRICS)
    assert not {s.metric for s in samples} & DEPRECATED
    assert {s.date for s in samples} == {
        since + datetime.timedelta(days=i) for i in range(7)
    }
    follows = {s.date: s.value for s in samples if s.metric == "page_follows"}
    assert follows[until] == figures.followers("facebook", PAGE_ID, until)
    assert all(s.api_version == "v26.0" for s in samples)


def test_long_ranges_go_in_windows_of_90_days(sandbox: SandboxServer) -> None:
    since = TODAY - datetime.timedelta(days=200)
    samples = make_adapter(sandbox).account_metrics(
        since, TODAY - datetime.timedelta(days=1)
    )
    assert len(insights_requests(sandbox)) == 3  # 90 + 90 + 20 days
    assert len({s.date for s in samples}) == 200


def test_the_sandbox_refuses_deprecated_metrics_and_wide_windows(
    sandbox: SandboxServer,
) -> None:
    adapter = make_adapter(sandbox)
    url = adapter.graph_url(PAGE_ID, "insights")
    with pytest.raises(ContentRejected, match="valid insights metric"):
        adapter.call("GET", url, params={"metric": "page_impressions", "period": "day"})
    with pytest.raises(ContentRejected, match="90 days"):
        adapter.call(
            "GET",
            url,
            params={
                "metric": "page_follows",
                "period": "day",
                "since": (TODAY - datetime.timedelta(days=120)).isoformat(),
                "until": TODAY.isoformat(),
            },
        )


def test_post_metrics_sum_reactions_and_read_the_counts(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    receipt = adapter.publish(post())
    stored = sandbox.state.find_post("facebook", receipt.platform_id)
    assert stored is not None

    (snapshot,) = adapter.post_metrics([receipt.platform_id, f"{PAGE_ID}_404"])

    reactions = figures.reactions_by_type(
        "facebook", receipt.platform_id, stored["created_at"]
    )
    assert snapshot.platform_id == receipt.platform_id
    assert snapshot.permalink == receipt.permalink
    assert snapshot.text == post().text
    assert set(snapshot.metrics) == {*POST_METRICS, "comments", "shares"}
    assert snapshot.metrics["post_reactions_by_type_total"] == sum(reactions.values())
    assert snapshot.metrics["post_video_views"] == 0  # not a video
    assert snapshot.published_at is not None


def test_recent_posts_with_metrics_includes_posts_made_elsewhere(
    sandbox: SandboxServer,
) -> None:
    sandbox.state.add_post(
        "facebook", PAGE_ID, "Hecha en Meta Business Suite", id=f"{PAGE_ID}_9",
        kind="status", permalink=f"{sandbox.url}/facebook/web/{PAGE_ID}_9",
    )  # fmt: skip
    snapshots = make_adapter(sandbox).recent_posts_with_metrics()
    assert [s.platform_id for s in snapshots] == [f"{PAGE_ID}_9"]
    assert snapshots[0].metrics["post_media_view"] >= 1


def test_expired_token_and_throttling_are_reported(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    sandbox.state.expire_tokens("facebook")
    with pytest.raises(AuthError):
        adapter.account_metrics(TODAY, TODAY)
    adapter = make_adapter(sandbox)
    sandbox.state.inject(
        Fault(
            kind="status",
            path=f"/facebook/v26.0/{PAGE_ID}/insights",
            status=400,
            code="80001",
        )
    )
    with pytest.raises(Exception) as caught:
        adapter.account_metrics(TODAY, TODAY)
    assert getattr(caught.value, "retry_after", None) == 300  # 5 minutes to regain
