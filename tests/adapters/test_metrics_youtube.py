"""YouTube Analytics reports.query and channel statistics (social_apis.md §4.7)."""

from __future__ import annotations

import datetime

import pytest

from pregonero.publishing.adapters.errors import AdapterError
from pregonero.publishing.adapters.youtube import ANALYTICS_URL, CHANNEL_METRICS
from pregonero.publishing.sandbox_server import Fault, SandboxServer, figures
from pregonero.publishing.sandbox_server.google import CHANNEL_ID
from tests.adapters.test_youtube import make_adapter

TODAY = datetime.datetime.now(
    datetime.timezone(datetime.timedelta(hours=-5))
).date()  # Bogotá


def add_video(sandbox: SandboxServer, video_id: str = "vid00000001") -> None:
    sandbox.state.add_post(
        "google", CHANNEL_ID, "Descripción del video", id=video_id,
        title="Mejoramiento de vivienda", tags=[], category_id="22",
        upload_status="processed", privacy_status="public", made_for_kids=False,
        polls_left=0,
    )  # fmt: skip


def test_analytics_url_follows_the_practice_server(sandbox: SandboxServer) -> None:
    assert make_adapter(sandbox).analytics_url() == f"{sandbox.url}/google/v2/reports"


def test_channel_report_by_day_and_subscribers(sandbox: SandboxServer) -> None:
    since = TODAY - datetime.timedelta(days=5)
    until = TODAY - datetime.timedelta(days=1)
    samples = make_adapter(sandbox).account_metrics(since, until)

    daily = [s for s in samples if s.date is not None]
    assert {s.metric for s in daily} == set(CHANNEL_METRICS)
    assert len(daily) == 5 * len(CHANNEL_METRICS)
    views = {s.date: s.value for s in daily if s.metric == "views"}
    assert views[since] == figures.daily("google", CHANNEL_ID, "views", since)
    (subscribers,) = [s for s in samples if s.date is None]
    assert subscribers.metric == "subscriberCount" and subscribers.value > 0


def test_video_report_filtered_by_video(sandbox: SandboxServer) -> None:
    add_video(sandbox)
    (snapshot,) = make_adapter(sandbox).post_metrics(["vid00000001", "gone"])
    assert snapshot.platform_id == "vid00000001"
    assert snapshot.text == "Mejoramiento de vivienda"
    assert set(snapshot.metrics) == set(CHANNEL_METRICS)
    assert snapshot.permalink.endswith("vid00000001")
    reports = [p for _n, _m, p in sandbox.state.requests if p.endswith("/v2/reports")]
    assert len(reports) == 1


def test_quota_exceeded_is_an_error(sandbox: SandboxServer) -> None:
    sandbox.state.inject(
        Fault(kind="status", path="/google/v2/reports", status=403, code="quotaExceeded",
              message="The request cannot be completed because you have exceeded your quota.")
    )  # fmt: skip
    with pytest.raises(AdapterError):
        make_adapter(sandbox).account_metrics(TODAY, TODAY)


def test_production_url_by_default() -> None:
    from pregonero.publishing.adapters.base import ChannelCredentials
    from pregonero.publishing.adapters.youtube import YouTubeAdapter

    adapter = YouTubeAdapter(ChannelCredentials(channel_id=1))
    assert adapter.analytics_url() == ANALYTICS_URL
