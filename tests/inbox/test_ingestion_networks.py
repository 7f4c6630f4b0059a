"""Every network's reading against its practice network over real HTTP: the
kinds it reads, paging, duplicates across runs, out-of-order delivery, each
error class with the checkpoint left where it was, and Retry-After."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from django.utils import timezone

from pregonero.core.models import Channel, NetworkKind
from pregonero.inbox.ingest import ingest_channel
from pregonero.inbox.models import InboundItem, IngestState
from pregonero.publishing.crypto import encrypt
from pregonero.publishing.models import ChannelConnection
from pregonero.publishing.sandbox_server import Fault, SandboxServer, inbound
from pregonero.publishing.sandbox_server.bluesky import DEFAULT_DID
from pregonero.publishing.sandbox_server.google import CHANNEL_ID as YT_CHANNEL
from pregonero.publishing.sandbox_server.linkedin import DEFAULT_MEMBER as LI_MEMBER
from pregonero.publishing.sandbox_server.linkedin import (
    DEFAULT_ORGANIZATION,
)
from pregonero.publishing.sandbox_server.mastodon import DEFAULT_ACCOUNT_ID
from pregonero.publishing.sandbox_server.meta import IG_USER_ID, PAGE_ID
from pregonero.publishing.sandbox_server.x import DEFAULT_USER_ID as X_USER
from tests.conftest import World
from tests.inbox.test_ingestion import connect

LI_ORG = f"urn:li:organization:{DEFAULT_ORGANIZATION}"


@dataclasses.dataclass(frozen=True)
class Net:
    kind: str
    sandbox: str  # the sandbox's network name (tokens, posts, inbound)
    account: str
    path: str  # the inbound endpoint's path prefix on the sandbox
    kinds: tuple[str, ...]  # what the seeded account yields, sorted
    page_size: int  # the adapter's page size
    bulk_kind: str = "mention"  # the kind used to fill several pages
    token_account: str = ""  # the account the token belongs to, when another
    token_network: str = ""  # the sandbox's token namespace, when another
    # How late an item may reach the network and still be read: any time for
    # networks that page by arrival, a window for those that filter by time.
    late_by: datetime.timedelta = datetime.timedelta(days=3)

    def __str__(self) -> str:
        return self.kind


NETWORKS = [
    Net(
        NetworkKind.MASTODON,
        "mastodon",
        DEFAULT_ACCOUNT_ID,
        "/mastodon/api/v1/notifications",
        ("comment", "comment", "direct_message", "mention", "mention"),
        80,
    ),
    Net(
        NetworkKind.X,
        "x",
        X_USER,
        f"/x/2/users/{X_USER}/mentions",
        ("comment", "comment", "mention", "mention"),
        100,
    ),
    Net(
        NetworkKind.BLUESKY,
        "bluesky",
        DEFAULT_DID,
        "/bluesky/xrpc/app.bsky.notification.listNotifications",
        ("comment", "comment", "mention", "mention"),
        100,
    ),
    Net(
        NetworkKind.FACEBOOK,
        "facebook",
        PAGE_ID,
        "/facebook/v26.0/{post}/comments",
        ("comment", "comment", "direct_message"),
        100,
        bulk_kind="comment",
        late_by=datetime.timedelta(minutes=5),
    ),
    Net(
        NetworkKind.INSTAGRAM,
        "instagram",
        IG_USER_ID,
        f"/facebook/v26.0/{IG_USER_ID}/tags",
        ("comment", "comment", "mention", "mention"),
        100,
        token_account=PAGE_ID,
        late_by=datetime.timedelta(minutes=5),
    ),
    Net(
        NetworkKind.YOUTUBE,
        "google",
        YT_CHANNEL,
        "/google/youtube/v3/commentThreads",
        ("comment", "comment"),
        100,
        bulk_kind="comment",
        token_network="google",
        late_by=datetime.timedelta(minutes=5),
    ),
    Net(
        NetworkKind.LINKEDIN,
        "linkedin",
        LI_ORG,
        "/linkedin/rest/socialActions/{post}/comments",
        ("comment", "comment"),
        100,
        bulk_kind="comment",
        token_account=LI_MEMBER,
        token_network="linkedin",
        late_by=datetime.timedelta(minutes=5),
    ),
]


@pytest.fixture
def training(settings: Any, sandbox: SandboxServer) -> SandboxServer:
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    return sandbox


@pytest.fixture(params=NETWORKS, ids=str)
def net(request: Any) -> Net:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def channel(world: World, training: SandboxServer, net: Net) -> Channel:
    if net.token_account:
        # Instagram uses the linked Page's token.
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


def add_post(sandbox: SandboxServer, net: Net) -> dict[str, Any]:
    if net.sandbox == "facebook":
        post_id = f"{PAGE_ID}_{sandbox.state.new_id()}"
        return sandbox.state.add_post(
            "facebook",
            PAGE_ID,
            "Subsidios 2026",
            id=post_id,
            permalink=f"{sandbox.url}/facebook/web/{post_id}",
        )
    if net.sandbox == "instagram":
        return sandbox.state.add_post(
            "instagram",
            IG_USER_ID,
            "Subsidios 2026",
            media_type="IMAGE",
            permalink=f"{sandbox.url}/facebook/web/instagram/1",
        )
    if net.sandbox == "google":
        return sandbox.state.add_post(
            "google",
            YT_CHANNEL,
            "Subsidios 2026",
            id=f"vid{sandbox.state.new_id()}",
            title="Subsidios 2026",
            privacy_status="public",
        )
    if net.sandbox == "linkedin":
        urn = f"urn:li:share:7{int(sandbox.state.new_id()):018d}"
        return sandbox.state.add_post(
            "linkedin", LI_ORG, "Subsidios 2026", id=urn, commentary="Subsidios 2026"
        )
    if net.sandbox == "bluesky":
        return sandbox.state.add_post(
            net.sandbox,
            net.account,
            "Subsidios 2026",
            id=f"at://{net.account}/app.bsky.feed.post/3lsubsidios",
            cid="bafyreisubsidios",
        )
    return sandbox.state.add_post(net.sandbox, net.account, "Subsidios 2026")


def fault_network(net: Net) -> str:
    return "facebook" if net.sandbox == "instagram" else net.sandbox


def fault_path(net: Net) -> str:
    """The first call of a reading (one that reads comments post by post
    starts with the posts)."""
    if net.sandbox == "linkedin":
        return "/linkedin/rest/posts"
    return net.path.split("{")[0] if "{" in net.path else net.path


def stored(channel: Channel) -> dict[str, InboundItem]:
    return {i.platform_id: i for i in InboundItem.objects.filter(channel=channel)}


def cursor(channel: Channel) -> str:
    return IngestState.objects.get(channel=channel).cursor


def test_first_run_reads_each_kind_threaded_by_post(
    training: SandboxServer, channel: Channel, net: Net
) -> None:
    post = add_post(training, net)
    result = ingest_channel(channel)
    assert result.ok, result.error
    items = stored(channel)
    assert tuple(sorted(i.kind for i in items.values())) == net.kinds
    comments = [i for i in items.values() if i.kind == "comment"]
    assert {c.conversation.thread_key for c in comments if c.conversation} == {
        post["id"]
    }
    first = min(comments, key=lambda c: c.received_at)
    expected = post["created_at"] + datetime.timedelta(minutes=1)
    # The network's own time (Graph gives whole seconds).
    assert abs(first.received_at - expected) < datetime.timedelta(seconds=1)
    assert all(i.author_handle and i.text and i.url for i in items.values())
    assert cursor(channel)


def test_paging_duplicates_and_out_of_order(
    training: SandboxServer, channel: Channel, net: Net
) -> None:
    training.state.config[net.sandbox] = {
        "seed_mentions": 0,
        "seed_messages": 0,
        "seed_comments": 0,
    }
    post_id, path = "", net.path
    if net.bulk_kind == "comment":
        post_id = add_post(training, net)["id"]
        path = net.path.format(post=post_id)
    size = net.page_size * 2 + 7
    for n in range(size):
        inbound.add(
            training.state,
            net.sandbox,
            net.account,
            net.bulk_kind,
            f"#{n}",
            post_id=post_id,
        )
    assert ingest_channel(channel).stored == size
    calls = [r for r in training.state.requests if r[2].startswith(path)]
    assert len(calls) == 3

    # Nothing new: nothing stored; a late item with an old time is read and
    # keeps its own time.
    assert ingest_channel(channel).stored == 0
    old = timezone.now() - net.late_by
    inbound.add(
        training.state,
        net.sandbox,
        net.account,
        net.bulk_kind,
        "tarde",
        post_id=post_id,
        created_at=old,
    )
    assert ingest_channel(channel).stored == 1
    late = InboundItem.objects.get(channel=channel, text__endswith="tarde")
    assert abs(late.received_at - old) < datetime.timedelta(seconds=1)

    # The checkpoint lost: everything comes again, nothing is stored twice.
    IngestState.objects.filter(channel=channel).update(cursor="")
    again = ingest_channel(channel)
    assert again.ok and again.stored == 0 and again.read == size + 1
    assert InboundItem.objects.filter(channel=channel).count() == size + 1


@pytest.mark.parametrize("status", [401, 403, 500, 503])
def test_errors_keep_the_checkpoint(
    training: SandboxServer, channel: Channel, net: Net, status: int
) -> None:
    post_id = add_post(training, net)["id"] if net.bulk_kind == "comment" else ""
    ingest_channel(channel)  # the post's seeded comments
    before = cursor(channel)
    inbound.add(
        training.state,
        net.sandbox,
        net.account,
        net.bulk_kind,
        "nuevo",
        post_id=post_id,
    )
    training.state.inject(
        Fault(
            kind="status",
            network=fault_network(net),
            path=fault_path(net),
            status=status,
        )
    )
    result = ingest_channel(channel)
    assert not result.ok and result.error
    state = IngestState.objects.get(channel=channel)
    assert state.cursor == before and state.failures == 1 and state.last_error
    assert ingest_channel(channel).stored == 1


def test_rate_limit_is_honoured(
    training: SandboxServer, channel: Channel, net: Net
) -> None:
    now = timezone.now()
    training.state.inject(
        Fault(
            kind="status",
            network=fault_network(net),
            path=fault_path(net),
            status=429,
            retry_after=300,
        )
    )
    result = ingest_channel(channel, now=now)
    assert result.error
    state = IngestState.objects.get(channel=channel)
    assert state.cursor == "" and state.claimed_until is not None
    # The network's own wait (Retry-After or its rate-limit reset header).
    assert state.claimed_until > now + datetime.timedelta(seconds=30)
    assert not ingest_channel(channel, now=now + datetime.timedelta(seconds=10)).claimed
