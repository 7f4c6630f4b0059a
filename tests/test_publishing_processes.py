"""The real processes on PostgreSQL: a scheduler and worker processes (started as
`pregonero scheduler` / `pregonero worker`) publish a due set against the
practice networks, with no duplicates, and a worker killed with SIGKILL in the
middle of a call loses nothing and duplicates nothing."""

from __future__ import annotations

import collections
import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from pregonero.content import actions as content
from pregonero.core.models import Channel, NetworkKind
from pregonero.publishing import actions, channels
from pregonero.publishing.adapters.base import TokenSet
from pregonero.publishing.models import Publication, PublicationStatus
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from tests.conftest import World, make_piece, make_world, write

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").split(":")[0]
        not in ("postgres", "postgresql"),
        reason="worker processes share the database: PostgreSQL only",
    ),
]

PAGE_ID = "102030405060708"
X_USER = "1500000000000000001"
CHECKS = {
    "timeliness": True,
    "veracity": True,
    "clear_inclusive": True,
    "institutional_image": True,
}


def text_piece(world: World, channels_: list[Channel], n: int) -> Any:
    piece = make_piece(world, channels=channels_, title=f"Pieza {n}")
    write(world, piece, f"Boletín {n}: jornada de atención número {n} en la localidad.")
    content.submit_text(world.writer, piece)
    content.decide_text(world.jefe, piece, "approve_text_final", checklist=CHECKS)
    piece.refresh_from_db()
    return piece


def connected(world: World, sandbox: SandboxServer, kind: str, account: str) -> Channel:
    channel = Channel.objects.create(
        organization=world.org, kind=kind, name=f"{kind} CVP"
    )
    network = "facebook" if kind == NetworkKind.FACEBOOK else kind
    token, _ = sandbox.state.issue_tokens(
        network, account, expires_in=None, with_refresh=False
    )
    channels.store_connection(
        world.writer,
        channel,
        TokenSet(token, None, account_id=account, handle="CVPBogota"),
    )
    return channel


@pytest.fixture
def processes(
    sandbox: SandboxServer, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pregonero.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "PREGONERO_TOKEN_KEYS": ",".join(settings.PREGONERO_TOKEN_KEYS),
        "PREGONERO_SANDBOX_URL": sandbox.url,
        "PREGONERO_VAR_DIR": str(tmp_path),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PREGONERO_WORKER_BEAT_SECONDS": "0.5",
        "PREGONERO_WORKER_DEAD_SECONDS": "2",
        "PREGONERO_RECONCILE_AFTER_SECONDS": "0.5",
        "PREGONERO_DISPATCH_LEAD_SECONDS": "1",
        "PREGONERO_SCHEDULER_INTERVAL": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start(*argv: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "pregonero", *argv], env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def posts_per_text(sandbox: SandboxServer, network: str) -> collections.Counter[str]:
    return collections.Counter(
        " ".join(p["text"].split()) for p in sandbox.state.live_posts(network)
    )


def test_two_workers_publish_the_same_due_set_once(
    sandbox: SandboxServer, processes: Callable[..., subprocess.Popen[bytes]]
) -> None:
    world = make_world()
    fb = connected(world, sandbox, NetworkKind.FACEBOOK, PAGE_ID)
    x = connected(world, sandbox, NetworkKind.X, X_USER)
    sandbox.state.latency_ms = 20
    processes("scheduler")
    processes("worker", "--threads", "3")
    processes("worker", "--threads", "3")
    due = timezone.now() + datetime.timedelta(seconds=3)
    ids = []
    for n in range(15):
        piece = text_piece(world, [fb, x], n)
        for channel in (fb, x):
            ids.append(
                actions.schedule_publication(world.writer, piece, channel, due).pk
            )
    wait_for(
        lambda: (
            Publication.objects.filter(
                pk__in=ids, status=PublicationStatus.PUBLISHED
            ).count()
            == len(ids)
        ),
        90,
        "every publication published",
    )
    for network in ("facebook", "x"):
        counts = posts_per_text(sandbox, network)
        assert len(counts) == 15 and set(counts.values()) == {1}, counts
    rows = Publication.objects.filter(pk__in=ids)
    assert all(p.attempts.count() == 1 for p in rows)
    workers = {p.attempts.get().worker for p in rows}
    assert len(workers) == 2  # both processes took part


def test_a_worker_killed_mid_publish_duplicates_nothing_and_loses_nothing(
    sandbox: SandboxServer, processes: Callable[..., subprocess.Popen[bytes]]
) -> None:
    world = make_world()
    fb = connected(world, sandbox, NetworkKind.FACEBOOK, PAGE_ID)
    piece = text_piece(world, [fb], 1)
    # The network creates the post, then hangs: the worker is inside the call.
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit",
            network="facebook",
            method="POST",
            hang_seconds=20,
        )
    )
    processes("scheduler")
    victim = processes("worker", "--threads", "1")
    publication = actions.schedule_publication(
        world.writer, piece, fb, timezone.now() + datetime.timedelta(seconds=1)
    )

    def in_the_call() -> bool:
        publication.refresh_from_db()
        return (
            publication.status == PublicationStatus.PUBLISHING
            and len(sandbox.state.live_posts("facebook")) == 1
        )

    wait_for(in_the_call, 60, "the worker to be inside the network call")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    processes("worker", "--threads", "1")  # a fresh worker for the reconciliation

    def settled() -> bool:
        publication.refresh_from_db()
        return publication.status == PublicationStatus.PUBLISHED

    wait_for(settled, 60, "the reconciliation to find the post")
    assert len(sandbox.state.live_posts("facebook")) == 1
    outcomes = list(
        publication.attempts.order_by("started_at").values_list("outcome", flat=True)
    )
    assert outcomes == ["unknown", "found"], outcomes
    assert publication.platform_id.endswith(
        str(sandbox.state.live_posts("facebook")[0]["id"])
    )
