"""Replies through the adapter, exactly once, against the practice Mastodon over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from pregonero.audit.models import AuditEvent
from pregonero.core.errors import PermissionDeniedError, ValidationFailed
from pregonero.core.models import Channel, NetworkKind
from pregonero.inbox import reply_actions
from pregonero.inbox.models import InboundItem, Reply, ReplyState
from pregonero.inbox.workflow import ItemKind
from pregonero.publishing.sandbox_server import SandboxServer, inbound
from pregonero.publishing.sandbox_server.core import Fault
from pregonero.publishing.sandbox_server.mastodon import DEFAULT_ACCOUNT_ID
from tests.conftest import World
from tests.inbox.helpers import receive
from tests.inbox.test_ingestion import connect


@pytest.fixture
def training(settings: Any, sandbox: SandboxServer) -> SandboxServer:
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    settings.PREGONERO_RECONCILE_AFTER_SECONDS = 0
    return sandbox


@pytest.fixture
def masto(world: World, training: SandboxServer) -> Channel:
    return connect(world, training, NetworkKind.MASTODON, DEFAULT_ACCOUNT_ID)


def citizen_comment(channel: Channel, sandbox: SandboxServer) -> InboundItem:
    post = sandbox.state.add_post("mastodon", DEFAULT_ACCOUNT_ID, "Subsidios 2026")
    entry = inbound.add(
        sandbox.state, "mastodon", DEFAULT_ACCOUNT_ID, "comment",
        "¿Cuándo abren inscripciones?", post_id=post["id"], author="vecina",
    )  # fmt: skip
    return receive(
        channel,
        platform_id=entry["id"],
        author_handle="vecina@mastodon.example",
        thread_key=post["id"],
        kind=ItemKind.COMMENT,
        received_at=timezone.now(),
    )


def our_replies(sandbox: SandboxServer, item: InboundItem) -> list[dict[str, Any]]:
    return [
        p
        for p in sandbox.state.live_posts("mastodon", DEFAULT_ACCOUNT_ID)
        if p.get("in_reply_to_id") == item.platform_id
    ]


def test_public_reply_goes_out_once_and_marks_the_item_responded(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    assert reply.state == ReplyState.QUEUED
    assert reply_actions.send_reply(reply.pk).status == "sent"
    assert reply_actions.send_reply(reply.pk).status == "skipped"  # claimed once
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT and reply.permalink
    sent = our_replies(training, item)
    assert len(sent) == 1 and sent[0]["visibility"] == "public"
    assert sent[0]["text"].startswith("@vecina@mastodon.example ")
    item.refresh_from_db()
    assert item.responded_at is not None and item.response_url == reply.permalink
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"inbox.reply.queued", "inbox.reply.sent", "inbox.item.responded"} <= actions


def test_private_reply_is_a_direct_status(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    reply = reply_actions.create_reply(
        world.writer, item, "Su cédula 1.023.456.789 quedó registrada.", private=True
    )
    reply_actions.send_reply(reply.pk)
    assert our_replies(training, item)[0]["visibility"] == "direct"


def test_timeout_after_the_reply_was_created_is_reconciled_never_resent(
    world: World, training: SandboxServer, masto: Channel, settings: Any
) -> None:
    settings.PREGONERO_HTTP_TIMEOUT = 0.5
    item = citizen_comment(masto, training)
    training.state.inject(
        Fault(kind="timeout_after_commit", network="mastodon", method="POST",
              path="/mastodon/api/v1/statuses", hang_seconds=1.5)
    )  # fmt: skip
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    assert reply_actions.send_reply(reply.pk).status == "unknown"
    reply.refresh_from_db()
    assert reply.state == ReplyState.UNCONFIRMED
    assert reply_actions.send_reply(reply.pk).status == "skipped"  # never blind
    assert reply_actions.reconcile_reply(reply.pk).status == "sent"
    reply.refresh_from_db()
    sent = our_replies(training, item)
    assert len(sent) == 1 and reply.platform_id == sent[0]["id"]
    assert [a.outcome for a in reply.attempts.order_by("started_at")] == [
        "unknown",
        "found",
    ]


def test_dropped_before_the_network_acted_is_sent_again_once(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    training.state.inject(
        Fault(kind="reset_before", network="mastodon", method="POST",
              path="/mastodon/api/v1/statuses")
    )  # fmt: skip
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    reply_actions.send_reply(reply.pk)
    reply.refresh_from_db()
    assert reply.state == ReplyState.UNCONFIRMED
    assert reply_actions.reconcile_reply(reply.pk).status == "requeued"
    assert reply_actions.send_reply(reply.pk).status == "sent"
    assert len(our_replies(training, item)) == 1
    assert AuditEvent.objects.filter(
        action="inbox.reply.reconciled", data__found=False
    ).exists()


def test_permanent_error_fails_at_once_with_a_spanish_reason(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    training.state.inject(
        Fault(kind="status", network="mastodon", method="POST", status=422,
              path="/mastodon/api/v1/statuses", message="Validation failed: nope")
    )  # fmt: skip
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    assert reply_actions.send_reply(reply.pk).status == "failed"
    reply.refresh_from_db()
    assert reply.state == ReplyState.FAILED and "Mastodon" in reply.last_error
    assert AuditEvent.objects.filter(action="inbox.reply.failed").exists()


def test_server_error_is_retried_later(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    training.state.inject(
        Fault(kind="status", network="mastodon", method="POST", status=503,
              path="/mastodon/api/v1/statuses")
    )  # fmt: skip
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    assert reply_actions.send_reply(reply.pk).status == "retry"
    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED and reply.next_attempt_at
    assert our_replies(training, item) == []


def test_public_reply_with_personal_data_is_refused_unless_confirmed(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    with pytest.raises(ValidationFailed) as refused:
        reply_actions.create_reply(
            world.writer, item, "La llamamos al 310 555 1234, vecina."
        )
    assert "310 555 1234" in str(refused.value.message)
    assert not Reply.objects.exists()
    reply = reply_actions.create_reply(
        world.writer,
        item,
        "La línea 310 555 1234 es la de atención de la entidad.",
        confirm_not_personal=True,
    )
    assert reply.personal_data_confirmed


def test_too_long_reply_uses_the_network_limit(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    with pytest.raises(ValidationFailed):
        reply_actions.create_reply(world.writer, item, "a" * 600)


def test_roles_and_organization(
    world: World, other_world: World, training: SandboxServer, masto: Channel
) -> None:
    item = citizen_comment(masto, training)
    with pytest.raises(PermissionDeniedError):
        reply_actions.create_reply(world.auditor, item, "Hola")
    with pytest.raises(InboundItem.DoesNotExist):
        reply_actions.create_reply(other_world.writer, item, "Hola")


def test_networks_without_replies_say_why(world: World) -> None:
    item = receive(world.fb)
    options = reply_actions.reply_options(item)
    assert not options.public and "no puede responder" in options.reason
    with pytest.raises(ValidationFailed):
        reply_actions.create_reply(world.writer, item, "Hola")


# ---------------------------------------------------------------- API


def test_api_reply_refuses_personal_data_with_spans_then_lists(
    world: World, other_world: World, training: SandboxServer, masto: Channel
) -> None:
    from tests.inbox.test_views_api import api

    item = citizen_comment(masto, training)
    url = f"/api/v1/inbox/items/{item.pk}/replies"
    text = "Escríbanos a ana.perez@gmail.com, vecina."
    refused = api(world, world.writer).post(
        url, {"text": text}, content_type="application/json"
    )
    assert refused.status_code == 422
    body = refused.json()
    assert "ana.perez@gmail.com" in str(body)
    assert f"{text.index('ana')}-{text.index(',')} email" in str(body)
    ok = api(world, world.writer).post(
        url, {"text": "Abren el 15 de marzo."}, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["state"] == "queued"
    listed = api(world, world.auditor).get(url)
    assert listed.status_code == 200 and [r["state"] for r in listed.json()] == [
        "queued"
    ]
    assert (
        api(world, world.auditor)
        .post(url, {"text": "Hola"}, content_type="application/json")
        .status_code
        == 403
    )
    assert api(other_world, other_world.writer).get(url).status_code == 404


# ---------------------------------------------------------------- the reply editor


def test_editor_inserts_a_plantilla_marks_personal_data_and_keeps_the_text(
    world: World, other_world: World, training: SandboxServer, masto: Channel
) -> None:
    from pregonero.inbox.models import SavedReply

    item = citizen_comment(masto, training)
    saved = SavedReply.objects.create(
        organization=world.org, title="Inscripciones", body="Abren el 15 de marzo."
    )
    client = world.client(world.writer)
    page = client.get(f"/bandeja/{item.pk}/")
    assert page.status_code == 200 and "Responder por la red" in page.content.decode()
    url = f"/bandeja/{item.pk}/reply/"
    inserted = client.post(
        url, {"text": "Hola <b>vecina</b>.", "template": saved.pk, "insert": "1"}
    )
    html = inserted.content.decode()
    assert inserted.status_code == 200 and not Reply.objects.exists()
    assert "Hola &lt;b&gt;vecina&lt;/b&gt;.\nAbren el 15 de marzo." in html
    refused = client.post(
        url, {"text": "<i>Llámela</i> al 310 555 1234", "private": "0"}
    )
    html = refused.content.decode()
    assert refused.status_code == 422 and not Reply.objects.exists()
    assert "<mark" in html and "310 555 1234</mark>" in html
    assert "&lt;i&gt;Llámela&lt;/i&gt;" in html and "<i>Llámela" not in html
    private = client.post(url, {"text": "Llámela al 310 555 1234", "private": "1"})
    assert private.status_code == 302
    assert Reply.objects.get().private
    assert world.client(world.auditor).post(url, {"text": "x"}).status_code in (
        403,
        422,
    )
    assert Reply.objects.count() == 1
    assert (
        other_world.client(other_world.writer).get(f"/bandeja/{item.pk}/").status_code
        == 404
    )


# ---------------------------------------------------------------- Facebook


def facebook_comment(world: World, sandbox: SandboxServer) -> InboundItem:
    from pregonero.publishing.sandbox_server.meta import PAGE_ID

    channel = connect(world, sandbox, NetworkKind.FACEBOOK, PAGE_ID)
    post_id = f"{PAGE_ID}_{sandbox.state.new_id()}"
    sandbox.state.add_post("facebook", PAGE_ID, "Subsidios 2026", id=post_id)
    entry = inbound.add(
        sandbox.state, "facebook", PAGE_ID, "comment", "¿Y para Bosa?",
        post_id=post_id, author="vecina",
    )  # fmt: skip
    return receive(
        channel,
        platform_id=f"{post_id.split('_')[-1]}_{entry['id']}",
        thread_key=post_id,
        kind=ItemKind.COMMENT,
        received_at=timezone.now(),
    )


def test_facebook_comment_reply_exactly_once_under_a_timeout(
    world: World, training: SandboxServer, settings: Any
) -> None:
    settings.PREGONERO_HTTP_TIMEOUT = 0.5
    item = facebook_comment(world, training)
    training.state.inject(
        Fault(kind="timeout_after_commit", network="facebook", method="POST",
              path=f"/facebook/v26.0/{item.platform_id}/comments", hang_seconds=1.5)
    )  # fmt: skip
    reply = reply_actions.create_reply(world.writer, item, "Sí, también en Bosa.")
    assert reply_actions.send_reply(reply.pk).status == "unknown"
    assert reply_actions.dispatch_replies() == 1  # reconciliation handed out
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    sent = training.state.live_posts("facebook:replies")
    assert len(sent) == 1 and sent[0]["id"] == reply.platform_id
    assert sent[0]["parent_id"] == item.platform_id


def test_facebook_reply_errors_and_no_messenger(
    world: World, training: SandboxServer
) -> None:
    item = facebook_comment(world, training)
    training.state.inject(
        Fault(kind="status", network="facebook", method="POST", status=400,
              code="190:460", path=f"/facebook/v26.0/{item.platform_id}/comments",
              message="Error validating access token")
    )  # fmt: skip
    reply = reply_actions.create_reply(world.writer, item, "Sí, también en Bosa.")
    assert reply_actions.send_reply(reply.pk).status == "failed"
    reply.refresh_from_db()
    assert reply.state == ReplyState.FAILED and reply.last_error
    dm = receive(
        item.channel,
        kind=ItemKind.DIRECT_MESSAGE,
        thread_key="dm:7",
        received_at=timezone.now(),
    )
    options = reply_actions.reply_options(dm)
    assert not options.public and not options.private and "Messenger" in options.reason
    with pytest.raises(ValidationFailed):
        reply_actions.create_reply(world.writer, dm, "Hola", private=True)
