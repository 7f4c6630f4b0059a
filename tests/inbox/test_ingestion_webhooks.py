"""Meta webhooks: the subscription check, the signature (valid, invalid,
missing), comments and messages stored once whether they come by webhook or
by polling."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from pregonero.core.models import Channel, NetworkKind
from pregonero.inbox.ingest import ingest_channel
from pregonero.inbox.models import InboundItem
from pregonero.publishing.sandbox_server import SandboxServer, inbound
from pregonero.publishing.sandbox_server.meta import IG_USER_ID, PAGE_ID
from tests.conftest import World
from tests.inbox.test_ingestion import connect

SECRET = "secreto-de-la-app"
URL = "/webhooks/meta/"


@pytest.fixture(autouse=True)
def meta_settings(settings: Any) -> None:
    settings.PREGONERO_META_APP_SECRET = SECRET
    settings.PREGONERO_META_VERIFY_TOKEN = "verificar-cvp"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client: Client, payload: dict[str, Any], signature: str | None = "") -> Any:
    body = json.dumps(payload).encode()
    headers = {}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature or sign(body)
    return client.post(URL, body, content_type="application/json", headers=headers)


def comment_payload(comment_id: str, post_id: str, text: str) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": 1_790_000_000,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": comment_id,
                            "post_id": post_id,
                            "message": text,
                            "from": {"id": "7000000001", "name": "Marta Rojas"},
                            "created_time": 1_790_000_000,
                        },
                    },
                    {  # a like: not an item
                        "field": "feed",
                        "value": {"item": "reaction", "verb": "add"},
                    },
                ],
                "messaging": [
                    {
                        "sender": {"id": "7000000002"},
                        "recipient": {"id": PAGE_ID},
                        "timestamp": 1_790_000_100_000,
                        "message": {"mid": "m_abc", "text": "Necesito una copia"},
                    },
                    {  # our own message, echoed: not an item
                        "sender": {"id": PAGE_ID},
                        "recipient": {"id": "7000000002"},
                        "timestamp": 1_790_000_200_000,
                        "message": {
                            "mid": "m_own",
                            "text": "Con gusto",
                            "is_echo": True,
                        },
                    },
                ],
            }
        ],
    }


@pytest.fixture
def fb(world: World, settings: Any, sandbox: SandboxServer) -> Channel:
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    return connect(world, sandbox, NetworkKind.FACEBOOK, PAGE_ID, "facebook")


def test_subscription_check(client: Client) -> None:
    ok = client.get(
        URL,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": "verificar-cvp",
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(
        URL,
        {"hub.mode": "subscribe", "hub.verify_token": "otro", "hub.challenge": "1"},
    )
    assert wrong.status_code == 403


def test_signed_delivery_stores_comments_and_messages(
    client: Client, fb: Channel
) -> None:
    response = deliver(
        client, comment_payload(f"1_{PAGE_ID}9", f"{PAGE_ID}_1", "¿Hay subsidio?")
    )
    assert response.status_code == 200
    items = {i.platform_id: i for i in InboundItem.objects.filter(channel=fb)}
    assert set(items) == {f"1_{PAGE_ID}9", "m_abc"}
    assert items[f"1_{PAGE_ID}9"].kind == "comment"
    assert items[f"1_{PAGE_ID}9"].conversation.thread_key == f"{PAGE_ID}_1"
    assert items["m_abc"].kind == "direct_message"
    assert items["m_abc"].received_at.timestamp() == 1_790_000_100
    # Meta delivers again: nothing twice.
    assert (
        deliver(client, comment_payload(f"1_{PAGE_ID}9", "x", "otra")).content == b"0"
    )
    assert InboundItem.objects.filter(channel=fb).count() == 2


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, "sha1=abc", "sign-with-another-secret"],
    ids=["missing", "wrong", "other-scheme", "other-secret"],
)
def test_unsigned_or_badly_signed_deliveries_are_refused(
    client: Client, fb: Channel, signature: str | None
) -> None:
    payload = comment_payload("1_2", f"{PAGE_ID}_1", "hola")
    if signature == "sign-with-another-secret":
        signature = sign(json.dumps(payload).encode(), "otro-secreto")
    response = deliver(client, payload, signature)
    assert response.status_code == 403
    assert not InboundItem.objects.exists()


def test_refused_without_a_configured_secret(
    client: Client, fb: Channel, settings: Any
) -> None:
    settings.PREGONERO_META_APP_SECRET = ""
    body = json.dumps(comment_payload("1_2", f"{PAGE_ID}_1", "hola")).encode()
    response = client.post(
        URL,
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(body, "")},
    )
    assert response.status_code == 403


def test_webhook_and_polling_store_each_item_once(
    client: Client, fb: Channel, sandbox: SandboxServer
) -> None:
    sandbox.state.config["facebook"] = {"seed_mentions": 0, "seed_messages": 0}
    post_id = f"{PAGE_ID}_{sandbox.state.new_id()}"
    sandbox.state.add_post("facebook", PAGE_ID, "Subsidios", id=post_id)
    assert ingest_channel(fb).stored == 2  # the two seeded comments
    polled = InboundItem.objects.filter(channel=fb, kind="comment").first()
    assert polled is not None
    # The same comment arrives by webhook afterwards; a new one too.
    deliver(client, comment_payload(polled.platform_id, post_id, polled.text))
    item = inbound.add(
        sandbox.state, "facebook", PAGE_ID, "comment", "Nuevo", post_id=post_id
    )
    new_id = f"{post_id.split('_')[-1]}_{item['id']}"
    deliver(client, comment_payload(new_id, post_id, "Nuevo"))
    assert ingest_channel(fb).stored == 0  # already delivered by the webhook
    assert InboundItem.objects.filter(channel=fb, kind="comment").count() == 3
    assert InboundItem.objects.get(platform_id=new_id).conversation.thread_key == (
        post_id
    )


def test_instagram_comment(
    client: Client, world: World, settings: Any, sandbox: SandboxServer
) -> None:
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    ig = connect(world, sandbox, NetworkKind.INSTAGRAM, IG_USER_ID, "facebook")
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": IG_USER_ID,
                "time": 1_790_000_000,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": "17865799348089039",
                            "text": "¿Dónde me inscribo?",
                            "from": {"id": "1789", "username": "marta.rojas"},
                            "media": {"id": "17900000000000001"},
                        },
                    }
                ],
            }
        ],
    }
    assert deliver(client, payload).status_code == 200
    item = InboundItem.objects.get(channel=ig)
    assert (item.kind, item.author_handle) == ("comment", "marta.rojas")
    assert item.conversation.thread_key == "17900000000000001"
