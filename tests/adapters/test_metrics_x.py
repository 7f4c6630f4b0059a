"""X public and private post metrics (social_apis.md §3.5) against the sandbox."""

from __future__ import annotations

import datetime

import pytest

from pregonero.publishing.adapters.errors import AuthError
from pregonero.publishing.sandbox_server import SandboxServer, figures
from pregonero.publishing.sandbox_server.x import DEFAULT_USER_ID
from tests.adapters.test_x import adapter_for, post, token_for

TODAY = datetime.datetime.now(
    datetime.timezone(datetime.timedelta(hours=-5))
).date()  # Bogotá


def test_followers_come_from_users_me(sandbox: SandboxServer) -> None:
    (sample,) = adapter_for(sandbox, token_for(sandbox)).account_metrics(TODAY, TODAY)
    assert sample.metric == "followers_count" and sample.date is None
    assert sample.value > 1000


def test_recent_posts_read_public_and_private_metrics(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())

    (snapshot,) = adapter.post_metrics([receipt.platform_id, "1"])

    assert snapshot.platform_id == receipt.platform_id
    assert {"impression_count", "retweet_count", "like_count", "url_link_clicks",
            "engagements"} <= set(snapshot.metrics)  # fmt: skip
    assert "repost_count" not in snapshot.metrics
    stored = sandbox.state.find_post("x", receipt.platform_id)
    assert stored is not None
    assert snapshot.metrics["like_count"] == figures.lifetime(
        "x", receipt.platform_id, "like_count", stored["created_at"]
    )


def test_older_posts_fall_back_to_public_metrics(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())
    stored = sandbox.state.find_post("x", receipt.platform_id)
    assert stored is not None
    stored["created_at"] -= datetime.timedelta(days=40)

    (snapshot,) = adapter.post_metrics([receipt.platform_id])

    assert "url_link_clicks" not in snapshot.metrics
    assert snapshot.metrics["impression_count"] >= 1


def test_2026_names_are_accepted(sandbox: SandboxServer) -> None:
    sandbox.state.config["x"] = {"metric_names": "2026"}
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())
    (snapshot,) = adapter.post_metrics([receipt.platform_id])
    assert "repost_count" in snapshot.metrics
    assert "retweet_count" not in snapshot.metrics


def test_revoked_token(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    sandbox.state.revoke("x", DEFAULT_USER_ID)
    with pytest.raises(AuthError):
        adapter.account_metrics(TODAY, TODAY)
