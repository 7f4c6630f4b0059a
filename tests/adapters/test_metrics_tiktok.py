"""TikTok video list/query and user info counts against the sandbox."""

from __future__ import annotations

import datetime

import pytest

from pregonero.publishing.adapters.errors import AdapterError
from pregonero.publishing.sandbox_server import SandboxServer, figures
from pregonero.publishing.sandbox_server.tiktok import OPEN_ID
from tests.adapters.test_tiktok import make_adapter

TODAY = datetime.datetime.now(
    datetime.timezone(datetime.timedelta(hours=-5))
).date()  # Bogotá


def add_video(sandbox: SandboxServer, video_id: str) -> None:
    sandbox.state.add_post(
        "tiktok", OPEN_ID, "Así quedó la casa #mejoramiento", id=video_id,
        kind="video", title="Así quedó la casa",
    )  # fmt: skip


def test_follower_count_from_user_info(sandbox: SandboxServer) -> None:
    (sample,) = make_adapter(sandbox).account_metrics(TODAY, TODAY)
    assert sample.metric == "follower_count" and sample.value > 0


def test_video_query_gives_the_four_counts(sandbox: SandboxServer) -> None:
    add_video(sandbox, "7300000000000000001")
    (snapshot,) = make_adapter(sandbox).post_metrics(["7300000000000000001", "73404"])
    assert set(snapshot.metrics) == {
        "view_count",
        "like_count",
        "comment_count",
        "share_count",
    }
    stored = sandbox.state.find_post("tiktok", "7300000000000000001")
    assert stored is not None
    assert snapshot.metrics["view_count"] == figures.lifetime(
        "tiktok", stored["id"], "view_count", stored["created_at"]
    )
    assert snapshot.permalink.endswith("/video/7300000000000000001")
    assert snapshot.thumbnail_url


def test_video_list_pages_with_the_cursor(sandbox: SandboxServer) -> None:
    for n in range(25):
        add_video(sandbox, f"73000000000000001{n:02d}")
        stored = sandbox.state.find_post("tiktok", f"73000000000000001{n:02d}")
        assert stored is not None
        stored["created_at"] -= datetime.timedelta(minutes=n)
    snapshots = make_adapter(sandbox).recent_posts_with_metrics(limit=30)
    assert len(snapshots) == 25
    assert len({s.platform_id for s in snapshots}) == 25


def test_missing_scope_is_a_clear_error(sandbox: SandboxServer) -> None:
    token, _ = sandbox.state.issue_tokens(
        "tiktok", OPEN_ID, scopes=("user.info.basic", "video.publish")
    )
    with pytest.raises(AdapterError):
        make_adapter(sandbox, token).post_metrics(["7300000000000000001"])
