"""Reading comments, mentions and messages from the practice networks over real
HTTP: first run, paging, duplicates across runs, out-of-order delivery, error
classes, the checkpoint that does not move on failure, Retry-After, the
scheduler hook and the "Leer ahora" button."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pregonero.audit.models import AuditEvent
from pregonero.core.management.commands.scheduler import tick
from pregonero.core.models import Channel, NetworkKind
from pregonero.inbox import ingest
from pregonero.inbox.ingest import ingest_channel, ingest_due
from pregonero.inbox.models import InboundItem, IngestState
from pregonero.publishing import channels
from pregonero.publishing.adapters.base import TokenSet
from pregonero.publishing.sandbox_server import Fault, SandboxServer, inbound
from pregonero.publishing.sandbox_server.mastodon import DEFAULT_ACCOUNT_ID
from tests.conftest import World

MASTODON_PATH = "/mastodon/api/v1/notifications"


def connect(
    world: World,
    sandbox: SandboxServer,
    kind: str,
    account: str,
    token_network: str = "",
) -> Channel:
    channel = Channel.objects.create(
        organization=world.org, kind=kind, name=f"{kind} CVP", handle="CVPBogota"
    )
    token, _ = sandbox.state.issue_tokens(
        token_network or kind, account, expires_in=None, with_refresh=False
    )
    channels.store_connection(
        world.writer,
        channel,
        TokenSet(token, None, account_id=account, handle="CVPBogota"),
    )
    return channel


@pytest.fixture
def training(settings: Any, sandbox: SandboxServer) -> SandboxServer:
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    return sandbox


@pytest.fixture
def masto(world: World, training: SandboxServer) -> Channel:
    return connect(world, training, NetworkKind.MASTODON, DEFAULT_ACCOUNT_ID)


def state(channel: Channel) -> IngestState:
    return IngestState.objects.get(channel=channel)


def items(channel: Channel) -> dict[str, InboundItem]:
    return {i.platform_id: i for i in InboundItem.objects.filter(channel=channel)}


# ---------------------------------------------------------------- Mastodon


def test_mastodon_reads_comments_mentions_and_messages(
    training: SandboxServer, masto: Channel
) -> None:
    post = training.state.add_post("mastodon", DEFAULT_ACCOUNT_ID, "Subsidios 2026")
    result = ingest_channel(masto)
    assert result.ok, result.error
    stored = items(masto)
    # 2 seeded comments on the post, 2 mentions, 1 direct message.
    assert result.stored == len(stored) == 5
    kinds = sorted(i.kind for i in stored.values())
    assert kinds == ["comment", "comment", "direct_message", "mention", "mention"]
    comment = min(
        (i for i in stored.values() if i.kind == "comment"),
        key=lambda i: i.received_at,
    )
    assert comment.conversation is not None
    assert comment.conversation.thread_key == post["id"]
    # The network's time (Mastodon gives milliseconds), not the reading time.
    expected = post["created_at"] + datetime.timedelta(minutes=1)
    assert abs(comment.received_at - expected) < datetime.timedelta(milliseconds=1)
    assert comment.author_handle.startswith("jhon_pinzon@")
    assert "¿Cuándo abren" in comment.text and "<p>" not in comment.text
    assert state(masto).cursor == max(stored, key=int)
    assert state(masto).items_total == 5
    assert AuditEvent.objects.filter(action="inbox.item.received").count() == 5


def test_mastodon_pages_and_only_reads_after_the_cursor(
    training: SandboxServer, masto: Channel
) -> None:
    training.state.config["mastodon"] = {"seed_mentions": 0, "seed_messages": 0}
    inbound.set_stream(training.state, 0, 170)  # three pages of 80
    assert ingest_channel(masto).stored == 170
    pages = [r for r in training.state.requests if r[2] == MASTODON_PATH]
    assert len(pages) == 3

    training.state.requests.clear()
    again = ingest_channel(masto)
    assert again.ok and again.read == 0 and again.stored == 0
    inbound.add(training.state, "mastodon", DEFAULT_ACCOUNT_ID, "mention", "Nueva")
    assert ingest_channel(masto).stored == 1
    assert InboundItem.objects.filter(channel=masto).count() == 171


def test_out_of_order_delivery_keeps_the_platform_time(
    training: SandboxServer, masto: Channel
) -> None:
    ingest_channel(masto)
    old = timezone.now() - datetime.timedelta(days=2)
    late = inbound.add(
        training.state,
        "mastodon",
        DEFAULT_ACCOUNT_ID,
        "mention",
        "Escribí hace dos días",
        created_at=old,
    )
    assert ingest_channel(masto).stored == 1
    received = items(masto)[late["id"]].received_at
    assert abs(received - old) < datetime.timedelta(milliseconds=1)


def test_duplicates_across_runs_are_not_stored_twice(
    training: SandboxServer, masto: Channel
) -> None:
    ingest_channel(masto)
    first = {pid: i.received_at for pid, i in items(masto).items()}
    # The checkpoint is lost (a restore): the network answers everything again.
    IngestState.objects.filter(channel=masto).update(cursor="")
    again = ingest_channel(masto)
    assert again.ok and again.read == 3 and again.stored == 0
    assert {pid: i.received_at for pid, i in items(masto).items()} == first


@pytest.mark.parametrize(
    ("status", "fragment"),
    [
        (401, "vuelva a conectar"),
        (403, "no permite"),
        (500, "error interno"),
    ],
)
def test_errors_leave_the_checkpoint_where_it_was(
    training: SandboxServer, masto: Channel, status: int, fragment: str
) -> None:
    ingest_channel(masto)
    before = state(masto).cursor
    inbound.add(training.state, "mastodon", DEFAULT_ACCOUNT_ID, "mention", "Hola")
    training.state.inject(
        Fault(kind="status", network="mastodon", path=MASTODON_PATH, status=status)
    )
    result = ingest_channel(masto)
    assert not result.ok and fragment in result.error
    after = state(masto)
    assert after.cursor == before and after.failures == 1
    assert fragment in after.last_error and after.claimed_until is None
    # The next run reads the item and clears the error.
    assert ingest_channel(masto).stored == 1
    assert state(masto).failures == 0 and state(masto).last_error == ""


def test_failure_on_a_second_page_stores_nothing_and_resumes(
    training: SandboxServer, masto: Channel
) -> None:
    training.state.config["mastodon"] = {"seed_mentions": 0, "seed_messages": 0}
    inbound.set_stream(training.state, 0, 100)
    training.state.inject(
        Fault(kind="reset_before", network="mastodon", path=MASTODON_PATH, count=1)
    )
    # The first request is dropped: nothing stored, the cursor stays empty.
    assert not ingest_channel(masto).ok
    assert state(masto).cursor == ""
    assert ingest_channel(masto).stored == 100


def test_rate_limit_holds_the_channel_until_retry_after(
    training: SandboxServer, masto: Channel
) -> None:
    now = timezone.now()
    training.state.inject(
        Fault(
            kind="status",
            network="mastodon",
            path=MASTODON_PATH,
            status=429,
            retry_after=120,
        )
    )
    result = ingest_channel(masto, now=now)
    assert "limitó" in result.error
    held = state(masto).claimed_until
    assert held is not None and held > now + datetime.timedelta(seconds=60)
    assert not ingest_channel(masto, now=now + datetime.timedelta(seconds=30)).claimed
    assert ingest_channel(masto, now=held + datetime.timedelta(seconds=1)).ok


# ---------------------------------------------------------------- scheduler


def test_scheduler_hook_queues_each_connected_channel_once(
    world: World,
    training: SandboxServer,
    masto: Channel,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tiktok = connect(world, training, NetworkKind.TIKTOK, "cvp-open-id-0001")
    now = timezone.now()
    assert ingest_due(now) == 1  # the TikTok channel has nothing to read
    assert state(masto).last_run_at is not None
    assert not IngestState.objects.filter(channel=tiktok).exists()
    # The reading stored the seeded items: the channel is active, read again
    # after PREGONERO_INBOX_ACTIVE_POLL_SECONDS (3), not before.
    assert ingest_due(now + datetime.timedelta(seconds=2)) == 0
    assert ingest_due(now + datetime.timedelta(seconds=4)) == 1
    assert "inbox" in tick()
    assert "TikTok" in ingest.unavailable_reason(tiktok)


def test_an_active_channel_is_read_every_few_seconds_a_quiet_one_every_minute(
    settings: Any, world: World, training: SandboxServer, masto: Channel
) -> None:
    """Issue 6's crisis: once a reading stores something new, the channel is
    read every PREGONERO_INBOX_ACTIVE_POLL_SECONDS for
    PREGONERO_INBOX_ACTIVE_MINUTES; a reading with nothing new does not count."""
    settings.PREGONERO_INBOX_POLL_MINUTES = 1
    settings.PREGONERO_INBOX_ACTIVE_POLL_SECONDS = 3
    settings.PREGONERO_INBOX_ACTIVE_MINUTES = 15
    now = timezone.now()
    assert ingest_channel(masto, now=now).stored > 0  # the seeded items
    assert state(masto).last_new_at == now
    seconds = datetime.timedelta(seconds=1)
    assert masto not in ingest.due_channels(now + 2 * seconds)
    assert masto in ingest.due_channels(now + 4 * seconds)
    # A reading with nothing new keeps the channel active until the window ends.
    later = now + 4 * seconds
    assert ingest_channel(masto, now=later).stored == 0
    assert state(masto).last_new_at == now
    assert masto in ingest.due_channels(later + 4 * seconds)
    quiet = now + datetime.timedelta(minutes=16)
    IngestState.objects.filter(channel=masto).update(last_run_at=quiet)
    assert masto not in ingest.due_channels(quiet + 4 * seconds)
    assert masto in ingest.due_channels(quiet + 61 * seconds)


def test_the_scheduler_knows_when_the_next_active_channel_is_due(
    settings: Any, world: World, training: SandboxServer, masto: Channel
) -> None:
    settings.PREGONERO_INBOX_ACTIVE_POLL_SECONDS = 3
    now = timezone.now()
    assert ingest.seconds_until_next_reading(now) is None  # nothing active
    ingest_channel(masto, now=now)  # stores the seeded items: active
    IngestState.objects.filter(channel=masto).update(last_run_at=now)
    one = datetime.timedelta(seconds=1)
    assert ingest.seconds_until_next_reading(now + one) == pytest.approx(2.0)
    assert ingest.seconds_until_next_reading(now + 5 * one) == 0.0


def test_a_network_with_a_tight_quota_rests_longer_while_active(
    world: World, training: SandboxServer, masto: Channel, monkeypatch: Any
) -> None:
    from pregonero.publishing.adapters.mastodon import MastodonAdapter

    monkeypatch.setattr(MastodonAdapter, "inbound_active_poll_seconds", 15.0)
    now = timezone.now()
    ingest_channel(masto, now=now)
    seconds = datetime.timedelta(seconds=1)
    assert masto not in ingest.due_channels(now + 4 * seconds)
    assert masto in ingest.due_channels(now + 16 * seconds)


def test_one_failing_channel_does_not_stop_the_others(
    world: World, training: SandboxServer, masto: Channel
) -> None:
    other_account = "109000000000000777"
    other = connect(world, training, NetworkKind.MASTODON, other_account)
    training.state.inject(
        Fault(kind="status", network="mastodon", path=MASTODON_PATH, status=500)
    )
    results = [ingest_channel(c) for c in (masto, other)]
    assert not results[0].ok and results[1].ok
    assert results[1].stored == 3


def test_read_now_button_is_audited_and_refused_for_tiktok(
    world: World,
    training: SandboxServer,
    masto: Channel,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tiktok = connect(world, training, NetworkKind.TIKTOK, "cvp-open-id-0001")
    with django_capture_on_commit_callbacks(execute=True):
        ingest.request_ingestion(world.writer, masto)
    assert AuditEvent.objects.filter(action="inbox.ingestion.requested").count() == 1
    with pytest.raises(ingest.IngestionRefused, match="TikTok"):
        ingest.request_ingestion(world.writer, tiktok)


def test_storing_a_batch_costs_a_constant_number_of_queries_per_item(
    training: SandboxServer, masto: Channel
) -> None:
    """The reading itself adds a fixed overhead; each new item costs what
    ``receive_item`` costs (dedup, thread, audit), the same for 10 or 20."""
    training.state.config["mastodon"] = {"seed_mentions": 0, "seed_messages": 0}
    inbound.set_stream(training.state, 0, 3)
    ingest_channel(masto)  # creates the state
    counts = []
    for size in (10, 20):
        for n in range(size):
            inbound.add(
                training.state, "mastodon", DEFAULT_ACCOUNT_ID, "mention", f"#{n}"
            )
        with CaptureQueriesContext(connection) as queries:
            assert ingest_channel(masto).stored == size
        counts.append(len(queries))
    per_item = (counts[1] - counts[0]) / 10
    assert per_item == int(per_item)
    assert counts[0] - 10 * per_item <= 12


# ---------------------------------------------------------------- the Bandeja


def test_bandeja_shows_each_channel_reading_and_the_read_now_button(
    world: World,
    training: SandboxServer,
    masto: Channel,
    django_capture_on_commit_callbacks: Any,
) -> None:
    connect(world, training, NetworkKind.TIKTOK, "cvp-open-id-0001")
    training.state.inject(
        Fault(kind="status", network="mastodon", path=MASTODON_PATH, status=500)
    )
    ingest_channel(masto)
    client = world.client(world.writer)
    page = client.get(reverse("inbox:item_list")).content.decode()
    assert "Lectura de las redes" in page
    assert "No se pudieron leer los mensajes del canal" in page
    assert "La API de TikTok no entrega" in page
    assert reverse("inbox:read_now", args=[masto.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("inbox:read_now", args=[masto.pk]))
    assert response.status_code == 302
    assert InboundItem.objects.filter(channel=masto).count() == 3
    assert state(masto).failures == 0


def test_read_now_is_refused_to_a_reader(world: World, masto: Channel) -> None:
    client = world.client(world.auditor)
    response = client.post(reverse("inbox:read_now", args=[masto.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="inbox.ingestion.requested").exists()


# ---------------------------------------------------------------- the practice stream


def test_stream_settings_parse() -> None:
    assert inbound.parse_stream("rate=0.5,burst=200") == (0.5, 200)
    assert inbound.parse_stream("burst=x, rate=2") == (2.0, 0)
    assert inbound.parse_stream("") == (0.0, 0)


def test_stream_and_items_set_over_http_for_demos(
    training: SandboxServer, masto: Channel
) -> None:
    import time

    import httpx

    training.state.config["mastodon"] = {"seed_mentions": 0, "seed_messages": 0}
    base = f"{training.url}/_control"
    httpx.post(f"{base}/stream", json={"rate": 200, "burst": 5}).raise_for_status()
    time.sleep(0.1)
    httpx.post(
        f"{base}/inbound",
        json={
            "network": "mastodon",
            "account_id": DEFAULT_ACCOUNT_ID,
            "kind": "message",
            "text": "Mensaje directo de prueba",
            "created_at": "2026-03-02T15:00:00+00:00",
        },
    ).raise_for_status()
    result = ingest_channel(masto)
    # The burst, what the rate produced meanwhile, and the added message.
    assert result.ok and result.stored >= 5 + 1 + 5
    dm = InboundItem.objects.get(channel=masto, text__contains="Mensaje directo")
    assert dm.kind == "direct_message"
    assert dm.received_at == datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)
