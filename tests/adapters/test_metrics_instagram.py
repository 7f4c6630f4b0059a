"""Instagram account and media insights (social_apis.md §2.6) against the sandbox."""

from __future__ import annotations

import datetime

from pregonero.publishing.adapters.instagram import ACCOUNT_METRICS, MEDIA_METRICS
from pregonero.publishing.sandbox_server import SandboxServer, figures
from pregonero.publishing.sandbox_server.meta import IG_USER_ID
from tests.adapters.test_instagram import make_adapter

TODAY = datetime.datetime.now(
    datetime.timezone(datetime.timedelta(hours=-5))
).date()  # Bogotá


def add_media(sandbox: SandboxServer, media_id: str = "17900000000000001") -> None:
    sandbox.state.add_post(
        "instagram", IG_USER_ID, "Entrega de títulos #CVP", id=media_id,
        media_type="IMAGE", media=[{"type": "IMAGE", "url": "https://cdn.example/a.jpg", "alt_text": ""}],
        permalink=f"{sandbox.url}/facebook/web/instagram/{media_id}",
    )  # fmt: skip


def test_account_insights_one_total_value_per_day_and_the_followers(
    sandbox: SandboxServer,
) -> None:
    since = TODAY - datetime.timedelta(days=3)
    until = TODAY - datetime.timedelta(days=1)
    samples = make_adapter(sandbox).account_metrics(since, until)

    daily = [s for s in samples if s.date is not None]
    assert {s.metric for s in daily} == set(ACCOUNT_METRICS)
    assert "impressions" not in {s.metric for s in samples}
    assert len(daily) == 3 * len(ACCOUNT_METRICS)
    reach = {s.date: s.value for s in daily if s.metric == "reach"}
    assert reach[until] == figures.daily("instagram", IG_USER_ID, "reach", until)
    (followers,) = [s for s in samples if s.date is None]
    assert followers.metric == "followers_count"
    assert followers.value == figures.followers("instagram", IG_USER_ID, TODAY)
    requests = [p for _n, _m, p in sandbox.state.requests if p.endswith("/insights")]
    assert len(requests) == 3  # metric_type=total_value: one request a day


def test_media_insights_are_lifetime_values(sandbox: SandboxServer) -> None:
    add_media(sandbox)
    (snapshot,) = make_adapter(sandbox).post_metrics(["17900000000000001", "404"])
    assert set(snapshot.metrics) == set(MEDIA_METRICS)
    assert snapshot.thumbnail_url == "https://cdn.example/a.jpg"
    assert snapshot.post_type == "FEED"
    assert snapshot.text == "Entrega de títulos #CVP"
    assert snapshot.metrics["views"] >= 1


def test_recent_media_with_metrics(sandbox: SandboxServer) -> None:
    add_media(sandbox, "17900000000000002")
    snapshots = make_adapter(sandbox).recent_posts_with_metrics()
    assert [s.platform_id for s in snapshots] == ["17900000000000002"]
