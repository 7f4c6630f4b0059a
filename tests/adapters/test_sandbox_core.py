"""The sandbox server's shared machinery, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from pregonero.lib.http import HttpClient
from pregonero.publishing.adapters.base import NetworkSettings
from pregonero.publishing.adapters.errors import AdapterError, RateLimited
from pregonero.publishing.sandbox_server import Fault, SandboxServer


def test_control_endpoints_inject_a_fault(sandbox: SandboxServer) -> None:
    client = HttpClient(timeout=2)
    client.post(
        f"{sandbox.url}/_control/faults",
        json={"kind": "status", "path": "/_nothing", "status": 503},
    )
    assert sandbox.state.faults and sandbox.state.faults[0].status == 503


def test_unknown_route_is_a_json_404(sandbox: SandboxServer) -> None:
    response = httpx.get(f"{sandbox.url}/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_rate_limit_fault_carries_retry_after(sandbox: SandboxServer) -> None:
    @sandbox.app.route("probe", "/thing", ("POST",))
    def thing(request):  # type: ignore[no-untyped-def]
        from pregonero.publishing.sandbox_server.core import json_response

        return json_response({"id": sandbox.state.add_post("probe", "1", "hola")["id"]})

    sandbox.state.inject(
        Fault(kind="status", network="probe", status=429, retry_after=7)
    )
    client = HttpClient(timeout=2)
    with pytest.raises(RateLimited) as caught:
        client.post(f"{sandbox.url}/probe/thing", creates=True)
    assert caught.value.retry_after == 7
    # A timeout after the handler ran: the post exists, the outcome is unknown.
    sandbox.state.inject(
        Fault(kind="timeout_after_commit", network="probe", hang_seconds=1.5)
    )
    with pytest.raises(AdapterError) as unknown:
        HttpClient(timeout=0.5).post(f"{sandbox.url}/probe/thing", creates=True)
    assert unknown.value.outcome_unknown and not unknown.value.permanent
    assert len(sandbox.state.live_posts("probe")) == 1
    # A reset before the handler: nothing happened, and the error says so only
    # for calls that do not create anything.
    sandbox.state.inject(Fault(kind="reset_before", network="probe"))
    with pytest.raises(AdapterError) as reset:
        client.post(f"{sandbox.url}/probe/thing", creates=True)
    assert reset.value.outcome_unknown
    assert len(sandbox.state.live_posts("probe")) == 1


def test_settings_rebase_onto_the_sandbox() -> None:
    prod = NetworkSettings(
        api_url="https://graph.facebook.com",
        auth_url="https://www.facebook.com/v26.0/dialog/oauth",
        token_url="https://graph.facebook.com/v26.0/oauth/access_token",
    )
    moved = prod.rebased("http://127.0.0.1:9/facebook")
    assert moved.api_url == "http://127.0.0.1:9/facebook"
    assert moved.auth_url == "http://127.0.0.1:9/facebook/v26.0/dialog/oauth"
    assert moved.token_url == "http://127.0.0.1:9/facebook/v26.0/oauth/access_token"
    assert prod.merged({"client_id": "abc", "api_url": ""}).client_id == "abc"
