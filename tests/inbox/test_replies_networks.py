"""Replies on X, Bluesky, YouTube, LinkedIn and Instagram against their practice
networks over real HTTP: once and only once, an unknown outcome reconciled
(never resent), a refusal with a Spanish reason, no private messages."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pregonero.core.errors import ValidationFailed
from pregonero.core.models import Channel, NetworkKind
from pregonero.inbox import reply_actions
from pregonero.inbox.ingest import ingest_channel
from pregonero.inbox.models import InboundItem, ReplyState
from pregonero.inbox.workflow import ItemKind
from pregonero.publishing.crypto import encrypt
from pregonero.publishing.models import ChannelConnection
from pregonero.publishing.networks import adapter_class
from pregonero.publishing.sandbox_server import Fault, SandboxServer, inbound
from pregonero.publishing.sandbox_server.meta import IG_USER_ID
from tests.conftest import World
from tests.inbox.test_ingestion import connect
from tests.inbox.test_ingestion_networks import NETWORKS, Net, add_post


@dataclasses.dataclass(frozen=True)
class ReplyNet:
    net: Net
    replies: str  # the sandbox's store of our replies
    parent_field: str  # the stored reply's field naming what it answers
    fault_network: str
    create_path: str  # the reply call's path ("{item}": the entry's id)

    def __str__(self) -> str:
        return str(self.net)


BY_KIND = {n.kind: n for n in NETWORKS}
REPLY_NETWORKS = [
    ReplyNet(BY_KIND[NetworkKind.X], "x", "in_reply_to", "x", "/x/2/tweets"),
    ReplyNet(
        BY_KIND[NetworkKind.BLUESKY],
        "bluesky",
        "reply_to",
        "bluesky",
        "/bluesky/xrpc/com.atproto.repo.putRecord",
    ),
    ReplyNet(
        BY_KIND[NetworkKind.YOUTUBE],
        "google:replies",
        "parent_id",
        "google",
        "/google/youtube/v3/comments",
    ),
    ReplyNet(
        BY_KIND[NetworkKind.LINKEDIN],
        "linkedin:replies",
        "parent",
        "linkedin",
        "/linkedin/rest/socialActions/",
    ),
    ReplyNet(
        BY_KIND[NetworkKind.INSTAGRAM],
        "instagram:replies",
        "parent_id",
        "facebook",
        "/facebook/v26.0/{item}/replies",
    ),
]


@pytest.fixture
def training(settings: Any, sandbox: SandboxServer) -> SandboxServer:
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    return sandbox


@pytest.fixture(params=REPLY_NETWORKS, ids=str)
def rnet(request: Any) -> ReplyNet:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def channel(world: World, training: SandboxServer, rnet: ReplyNet) -> Channel:
    """Connected as in ``test_ingestion_networks`` (Instagram with the linked
    Page's token, LinkedIn and YouTube with their token namespaces)."""
    net = rnet.net
    if net.token_account:
        network = net.token_network or "facebook"
        channel = connect(world, training, net.kind, net.account, network)
        token, _ = training.state.issue_tokens(
            network, net.token_account, expires_in=None, with_refresh=False
        )
        ChannelConnection.objects.filter(channel=channel).update(
            access_token_encrypted=encrypt(token)
        )
        return Channel.objects.get(pk=channel.pk)
    return connect(world, training, net.kind, net.account, net.token_network)


def citizen_comment(
    sandbox: SandboxServer, channel: Channel, rnet: ReplyNet, **flags: Any
) -> InboundItem:
    """A citizen's comment on one of the account's posts, read by the inbox
    through the adapter (so the item carries the network's real id)."""
    net = rnet.net
    sandbox.state.config[net.sandbox] = {
        "seed_mentions": 0,
        "seed_messages": 0,
        "seed_comments": 0,
    }
    post = add_post(sandbox, net)
    entry = inbound.add(
        sandbox.state, net.sandbox, net.account, "comment",
        "¿Cuándo abren las inscripciones?", post_id=post["id"], author="vecina",
    )  # fmt: skip
    entry.update(flags)
    result = ingest_channel(channel)
    assert result.ok, result.error
    item = InboundItem.objects.get(
        channel=channel, text__contains="¿Cuándo abren las inscripciones?"
    )
    assert item.kind == ItemKind.COMMENT
    return item


def our_replies(
    sandbox: SandboxServer, rnet: ReplyNet, item: InboundItem
) -> list[dict[str, Any]]:
    return [
        p
        for p in sandbox.state.live_posts(rnet.replies)
        if p.get(rnet.parent_field) == item.platform_id
    ]


def create_path(rnet: ReplyNet, item: InboundItem) -> str:
    return rnet.create_path.format(item=item.platform_id)


def test_public_reply_goes_out_once_and_marks_the_item_responded(
    world: World, training: SandboxServer, channel: Channel, rnet: ReplyNet
) -> None:
    item = citizen_comment(training, channel, rnet)
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    assert reply_actions.send_reply(reply.pk).status == "sent"
    assert reply_actions.send_reply(reply.pk).status == "skipped"
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT and reply.platform_id
    sent = our_replies(training, rnet, item)
    assert len(sent) == 1
    assert sent[0]["id"].endswith(reply.platform_id.rsplit("/", 1)[-1])
    assert sent[0]["text"] == "Abren el 15 de marzo."
    item.refresh_from_db()
    assert item.responded_at is not None and item.response_url == reply.permalink


def test_timeout_after_the_reply_was_created_is_reconciled_never_resent(
    world: World,
    training: SandboxServer,
    channel: Channel,
    rnet: ReplyNet,
    settings: Any,
) -> None:
    item = citizen_comment(training, channel, rnet)
    settings.PREGONERO_HTTP_TIMEOUT = 0.5
    training.state.inject(
        Fault(kind="timeout_after_commit", network=rnet.fault_network,
              method="POST", path=create_path(rnet, item), hang_seconds=1.5)
    )  # fmt: skip
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    assert reply_actions.send_reply(reply.pk).status == "unknown"
    reply.refresh_from_db()
    assert reply.state == ReplyState.UNCONFIRMED
    assert reply_actions.send_reply(reply.pk).status == "skipped"  # never blind
    assert reply_actions.reconcile_reply(reply.pk).status == "sent"
    reply.refresh_from_db()
    sent = our_replies(training, rnet, item)
    assert len(sent) == 1 and reply.state == ReplyState.SENT
    assert sent[0]["id"].endswith(reply.platform_id.rsplit("/", 1)[-1])
    assert reply.attempt_count == 1
    assert [a.outcome for a in reply.attempts.order_by("started_at")] == [
        "unknown",
        "found",
    ]
    posts = [
        r
        for r in training.state.requests
        if r[1] == "POST" and r[2].startswith(create_path(rnet, item))
    ]
    assert len(posts) == 1


def reject(sandbox: SandboxServer, rnet: ReplyNet, item: InboundItem) -> None:
    """Make the network refuse the reply the way it does."""
    kind = rnet.net.kind
    if kind == NetworkKind.YOUTUBE:
        sandbox.state.config["google"]["max_comment_characters"] = 5
    elif kind == NetworkKind.LINKEDIN:
        sandbox.state.config["linkedin"]["max_comment"] = 5
    elif kind == NetworkKind.BLUESKY:
        sandbox.state.inject(
            Fault(kind="status", network="bluesky", method="POST", status=400,
                  code="InvalidRequest", path=create_path(rnet, item),
                  message="Record/reply/parent: could not locate the post")
        )  # fmt: skip
    elif kind == NetworkKind.INSTAGRAM:
        sandbox.state.inject(
            Fault(kind="status", network="facebook", method="POST", status=400,
                  code="100", path=create_path(rnet, item),
                  message="(#100) You cannot reply to a hidden comment")
        )  # fmt: skip


def test_a_refused_reply_fails_with_a_spanish_reason_and_nothing_is_sent(
    world: World, training: SandboxServer, channel: Channel, rnet: ReplyNet
) -> None:
    # On X the citizen's post does not mention the account: under the
    # self-serve plan X refuses the reply (403).
    flags = {"mentions_us": False} if rnet.net.kind == NetworkKind.X else {}
    item = citizen_comment(training, channel, rnet, **flags)
    reject(training, rnet, item)
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    assert reply_actions.send_reply(reply.pk).status == "failed"
    reply.refresh_from_db()
    assert reply.state == ReplyState.FAILED
    assert "rechaz" in reply.last_error or "no permite" in reply.last_error
    if rnet.net.kind == NetworkKind.X:
        assert reply.failure_code == "reply_restricted"
        assert "mencionó" in reply.last_error
    assert our_replies(training, rnet, item) == []
    item.refresh_from_db()
    assert item.responded_at is None


def test_private_reply_is_refused_with_the_network_reason(
    world: World, training: SandboxServer, channel: Channel, rnet: ReplyNet
) -> None:
    item = citizen_comment(training, channel, rnet)
    options = reply_actions.reply_options(item)
    cls = adapter_class(channel)
    assert options.public and not options.private
    assert options.private_reason == str(cls.private_reply_unavailable)
    assert "privad" in options.private_reason
    with pytest.raises(ValidationFailed):
        reply_actions.create_reply(world.writer, item, "Hola", private=True)


def test_too_long_reply_uses_the_network_limit(
    world: World, training: SandboxServer, channel: Channel, rnet: ReplyNet
) -> None:
    item = citizen_comment(training, channel, rnet)
    with pytest.raises(ValidationFailed):
        reply_actions.create_reply(world.writer, item, "a" * 12_000)


# ---------------------------------------------------------------- per network


@pytest.mark.parametrize("rnet", REPLY_NETWORKS[2:3], ids=str)
def test_youtube_reply_to_a_reply_goes_under_the_top_level_comment(
    world: World, training: SandboxServer, channel: Channel, rnet: ReplyNet
) -> None:
    from pregonero.publishing.adapters.base import OutboundReply
    from pregonero.publishing.networks import adapter_for, connection_of

    item = citizen_comment(training, channel, rnet)
    adapter = adapter_for(channel, connection_of(channel))
    receipt = adapter.reply(
        OutboundReply("Gracias.", "k1", in_reply_to=f"{item.platform_id}.abc")
    )
    assert receipt.platform_id.startswith(f"{item.platform_id}.")
    assert len(our_replies(training, rnet, item)) == 1


@pytest.mark.parametrize("rnet", REPLY_NETWORKS[4:5], ids=str)
def test_instagram_mentions_cannot_be_answered_through_the_api(
    world: World, training: SandboxServer, channel: Channel, rnet: ReplyNet
) -> None:
    training.state.config["instagram"] = {"seed_comments": 0, "seed_messages": 0}
    inbound.add(training.state, "instagram", IG_USER_ID, "mention", "Hola @cvp")
    ingest_channel(channel)
    mention = InboundItem.objects.filter(channel=channel, kind="mention").first()
    assert mention is not None
    with pytest.raises(ValidationFailed) as refused:
        reply_actions.create_reply(world.writer, mention, "Gracias.")
    assert "Instagram" in str(refused.value.message)


@pytest.mark.parametrize("rnet", REPLY_NETWORKS[1:2], ids=str)
def test_bluesky_reply_names_root_and_parent_and_is_written_once(
    world: World, training: SandboxServer, channel: Channel, rnet: ReplyNet
) -> None:
    item = citizen_comment(training, channel, rnet)
    reply = reply_actions.create_reply(world.writer, item, "Abren el 15 de marzo.")
    reply_actions.send_reply(reply.pk)
    (sent,) = our_replies(training, rnet, item)
    refs = sent["record"]["reply"]
    assert refs["parent"]["uri"] == item.platform_id and refs["parent"]["cid"]
    assert refs["root"]["uri"] == item.conversation.thread_key  # type: ignore[union-attr]
