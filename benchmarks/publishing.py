"""``make bench-publishing``: how punctual, safe and fast publishing is.

    make bench-publishing
    make bench-publishing BENCH_ARGS="--only precision --publications 500"
    .venv/bin/python benchmarks/publishing.py --only throughput,memory

The scenarios of the issue, on PostgreSQL (database ``pregonero_bench_publishing``,
created and dropped here), with the real ``pregonero scheduler`` and
``pregonero worker`` commands as subprocesses and the practice networks adding
50 ms to every call (training mode: the real adapters, over HTTP):

* **precision** — ``--publications`` (1,000) due within the same minute, spread
  evenly from 90 s after scheduling starts, across 8 channels, with 1 and with 4
  worker processes: lateness p50/p95/p99/max, duplicates, lost.
* **chaos** — the same with 4 workers, one of them SIGKILLed every 10 s and
  replaced: duplicates, lost, and how many went through *sin confirmar*.
* **throughput** — 4 workers and a backlog of ``--throughput-publications``
  (2,000) publications already due: publications per second.
* **memory** — 1 worker, ``--memory-publications`` (10,000) due: its resident
  memory after the 100th and after the last publication.

Lateness is the first publish attempt's ``started_at`` (the worker has claimed
the row) minus ``scheduled_at``; completion lateness (the post is on the
network and recorded) is reported beside it. Duplicates and losses are counted
against the sandbox's own record of posts. Results go to
``benchmarks/results/<timestamp>-publishing.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import secrets
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common
import publishing_sandbox

BENCH_DB = "pregonero_bench_publishing"
SANDBOX_LATENCY_MS = 50
TARGET_P50_MS = 100.0
TARGET_P99_MS = 500.0
MEMORY_TOLERANCE = 0.20
BENCHMARKS = ("precision", "chaos", "throughput", "memory")
PUBLISH_TASK = "pregonero.publishing.tasks.publish_publication"
UTC = dt.UTC

# ---------------------------------------------------------------- channels


@dataclass(frozen=True)
class ChannelSpec:
    """One connected channel: what Pregonero stores and what the sandbox knows."""

    key: str
    kind: str
    name: str
    handle: str
    account_id: str  # the connection's account (what the adapter publishes as)
    token_account: str  # whom the sandbox's token belongs to
    post_account: str  # the account the sandbox files the posts under
    per_host: str = ""  # Mastodon and Bluesky: the channel's own server
    expires_days: int | None = 30  # None: a token that never expires

    @property
    def network(self) -> str:
        """The sandbox's name for the network (its URL prefix and token namespace)."""
        return self.kind


def channel_specs() -> list[ChannelSpec]:
    from pregonero.publishing.sandbox_server.bluesky import (
        DEFAULT_DID,
        DEFAULT_HANDLE,
    )
    from pregonero.publishing.sandbox_server.linkedin import (
        DEFAULT_MEMBER,
        DEFAULT_ORGANIZATION,
    )
    from pregonero.publishing.sandbox_server.mastodon import DEFAULT_ACCOUNT_ID
    from pregonero.publishing.sandbox_server.meta import PAGE_ID
    from pregonero.publishing.sandbox_server.x import DEFAULT_USER_ID

    second_page = publishing_sandbox.SECOND_PAGE_ID
    x2 = "1500000000000000002"
    mastodon2 = "109000000000000002"
    org_urn = f"urn:li:organization:{DEFAULT_ORGANIZATION}"
    return [
        ChannelSpec("facebook-1", "facebook", "Facebook CVP", "CVPBogota", PAGE_ID,
                    PAGE_ID, PAGE_ID, expires_days=None),
        ChannelSpec("facebook-2", "facebook", "Facebook Reasentamientos",
                    "CVPReasentamientos", second_page, second_page, second_page,
                    expires_days=None),
        ChannelSpec("x-1", "x", "X CVP", "CVPBogota", DEFAULT_USER_ID,
                    DEFAULT_USER_ID, DEFAULT_USER_ID),
        ChannelSpec("x-2", "x", "X Reasentamientos", "CVPReasentamiento", x2, x2, x2),
        ChannelSpec("mastodon-1", "mastodon", "Mastodon CVP", "cvpbogota",
                    DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_ID,
                    per_host="mastodon", expires_days=None),
        ChannelSpec("mastodon-2", "mastodon", "Mastodon Reasentamientos",
                    "cvpreasentamientos", mastodon2, mastodon2, mastodon2,
                    per_host="mastodon", expires_days=None),
        ChannelSpec("bluesky", "bluesky", "Bluesky CVP", DEFAULT_HANDLE, DEFAULT_DID,
                    DEFAULT_DID, DEFAULT_DID, per_host="bluesky"),
        ChannelSpec("linkedin", "linkedin", "LinkedIn CVP",
                    "Caja de la Vivienda Popular", org_urn, DEFAULT_MEMBER, org_urn),
    ]  # fmt: skip


# ---------------------------------------------------------------- small helpers


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def summary(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 0.50), 1),
        "p95": round(percentile(samples, 0.95), 1),
        "p99": round(percentile(samples, 0.99), 1),
        "max": round(max(samples), 1),
        "min": round(min(samples), 1),
        "mean": round(sum(samples) / len(samples), 1),
    }


def ms_between(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds() * 1000


def num(value: float | None, digits: int = 0) -> str:
    """Spanish number format (1.234,5)."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, every: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(every)


# ---------------------------------------------------------------- CPU accounting


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    # user nice system idle iowait irq softirq steal (guest time is inside user)
    values = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class CpuMeter:
    """Machine-wide CPU use between start() and stop(), and per-role process CPU."""

    def __init__(self) -> None:
        self.start_busy, self.start_total = machine_cpu()
        self.started = time.monotonic()
        self.by_role: dict[str, float] = defaultdict(float)
        self._first: dict[int, tuple[str, float]] = {}

    def track(self, pid: int, role: str) -> None:
        self._first[pid] = (role, process_cpu_seconds(pid) or 0.0)

    def settle(self, pid: int) -> None:
        """Add what a process used so far (call before it is killed or stopped)."""
        if pid not in self._first:
            return
        role, first = self._first.pop(pid)
        used = process_cpu_seconds(pid)
        if used is not None:
            self.by_role[role] += used - first

    @staticmethod
    def _backends() -> dict[int, float]:
        """CPU seconds of the PostgreSQL backends serving the benchmark database."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            )
            pids = [row[0] for row in cursor.fetchall()]
        return {
            pid: used for pid in pids if (used := process_cpu_seconds(pid)) is not None
        }

    def track_postgres(self) -> None:
        self._pg_first = self._backends()

    def settle_postgres(self) -> None:
        """Call while the services still run (a backend ends with its client;
        the backends of SIGKILLed workers are not counted)."""
        first = getattr(self, "_pg_first", {})
        self.by_role["postgres"] += sum(
            used - first.get(pid, 0.0) for pid, used in self._backends().items()
        )

    def result(self) -> dict[str, Any]:
        for pid in list(self._first):
            self.settle(pid)
        busy, total = machine_cpu()
        wall = time.monotonic() - self.started
        cpus = os.cpu_count() or 1
        busy_seconds = (busy - self.start_busy) / CLOCK_TICKS
        ours = sum(self.by_role.values())
        shares = {k: round(100 * v / (wall * cpus), 1) for k, v in self.by_role.items()}
        shares["other_processes"] = round(
            100 * max(0.0, busy_seconds - ours) / (wall * cpus), 1
        )
        return {
            "wall_seconds": round(wall, 1),
            "machine_busy_percent": round(
                100 * (busy - self.start_busy) / max(1.0, total - self.start_total), 1
            ),
            "cpus": cpus,
            "process_cpu_seconds": {k: round(v, 1) for k, v in self.by_role.items()},
            "process_cpu_percent_of_machine": shares,
        }


class Probe:
    """What the database sessions wait on, and how many processes want a CPU,
    sampled every ``every`` seconds while a benchmark's publications are due."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.samples = 0
        self.active = 0
        self.runnable = 0
        self.waits: Counter[str] = Counter()
        self.lock_waits: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)

    def start(self) -> Probe:
        self._thread.start()
        return self

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(common.postgres_url(BENCH_DB), autocommit=True) as conn:
            while not self._stop.wait(self.every):
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, ''),"
                    " left(regexp_replace(query, '\\s+', ' ', 'g'), 70)"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state = 'active'"
                ).fetchall()
                self.samples += 1
                self.active += len(rows)
                for kind, event, query in rows:
                    self.waits[f"{kind}:{event}" if event else kind] += 1
                    if kind == "Lock":
                        self.lock_waits[query] += 1
                for line in Path("/proc/stat").read_text().splitlines():
                    if line.startswith("procs_running"):
                        self.runnable += int(line.split()[1])

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        n = max(1, self.samples)
        return {
            "samples": self.samples,
            "every_seconds": self.every,
            "active_db_sessions_mean": round(self.active / n, 2),
            "session_samples_by_wait": dict(self.waits.most_common()),
            "lock_wait_samples_by_statement": dict(self.lock_waits.most_common(8)),
            "runnable_processes_mean": round(self.runnable / n, 2),
        }


# ---------------------------------------------------------------- the sandbox


class Sandbox:
    """The practice networks, in their own process (default) or in a thread here."""

    def __init__(
        self, mode: str, port: int, accounts: list[dict[str, Any]], log_dir: Path
    ) -> None:
        self.mode = mode
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.accounts = accounts
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.server: Any = None
        self._runs = 0

    def start(self) -> None:
        """A sandbox with no posts (a fresh process, or a reset state)."""
        self._runs += 1
        if self.mode == "thread":
            import logging

            from pregonero.publishing.sandbox_server import serve

            logging.getLogger("werkzeug").setLevel(logging.WARNING)
            if self.server is None:
                self.server = serve("127.0.0.1", self.port)
            self.server.state.reset()
            publishing_sandbox.prepare(
                self.server.state, self.accounts, SANDBOX_LATENCY_MS
            )
            return
        accounts = self.log_dir / "sandbox-accounts.json"
        accounts.write_text(json.dumps(self.accounts))
        stderr = (self.log_dir / f"sandbox-{self._runs}.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(common.BENCH_DIR / "publishing_sandbox.py"),
                "--port",
                str(self.port),
                "--latency-ms",
                str(SANDBOX_LATENCY_MS),
                "--accounts",
                str(accounts),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=common.ROOT,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline().decode() if ready else ""
        if not line.startswith("ready"):
            raise RuntimeError(f"the sandbox did not start: {line!r}")

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else os.getpid()

    def posts(self, network: str) -> list[dict[str, Any]]:
        if self.mode == "thread":
            with self.server.state.lock:
                return [dict(p) for p in self.server.state.posts.get(network, [])]
        import httpx

        response = httpx.get(
            f"{self.url}/_control/posts", params={"network": network}, timeout=60
        )
        response.raise_for_status()
        return list(response.json()["posts"])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def close(self) -> None:
        self.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None


# ---------------------------------------------------------------- processes


@dataclass
class Service:
    role: str
    name: str
    popen: subprocess.Popen[bytes]
    started: float

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


class Fleet:
    """The scheduler and workers of one benchmark, as ``pregonero`` subprocesses."""

    def __init__(self, label: str, log_dir: Path, cpu: CpuMeter) -> None:
        self.label = label
        self.log_dir = log_dir
        self.cpu = cpu
        self.services: list[Service] = []
        self._seq = 0

    def _spawn(self, role: str, name: str, args: list[str]) -> Service:
        stderr = (self.log_dir / f"{self.label}-{name}.log").open("wb")
        # stdout carries the console e-mail backend's messages: not kept.
        popen = subprocess.Popen(
            [sys.executable, "-m", "pregonero", *args],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=common.ROOT,
        )
        service = Service(role, name, popen, time.monotonic())
        self.services.append(service)
        self.cpu.track(popen.pid, role)
        return service

    def scheduler(self) -> Service:
        return self._spawn("scheduler", "scheduler", ["scheduler"])

    def worker(self, threads: int | None) -> Service:
        self._seq += 1
        name = f"bench-{self.label}-w{self._seq}"
        args = ["worker", "--worker-id", name]
        if threads:
            args += ["--threads", str(threads)]
        return self._spawn("worker", name, args)

    def workers(self) -> list[Service]:
        return [s for s in self.services if s.role == "worker" and s.alive()]

    def kill(self, service: Service) -> None:
        self.cpu.settle(service.pid)
        service.popen.send_signal(signal.SIGKILL)
        service.popen.wait()

    def stop(self) -> None:
        alive = [s for s in self.services if s.alive()]
        for service in alive:
            self.cpu.settle(service.pid)
            service.popen.send_signal(signal.SIGTERM)
        for service in alive:
            try:
                service.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                service.popen.kill()
                service.popen.wait()

    def crashed(self) -> list[str]:
        """Services that died by themselves (not killed by the chaos)."""
        return [
            f"{s.name} (código {s.popen.returncode})"
            for s in self.services
            if s.popen.returncode not in (None, 0, -signal.SIGKILL, -signal.SIGTERM)
        ]


def wait_ready(services: Iterable[Service]) -> None:
    """Until every service has written its heartbeat (it is connected and running)."""
    from pregonero.publishing.models import Heartbeat

    for service in services:
        name = (
            service.name
            if service.role == "worker"
            else f"scheduler:{socket.gethostname()}:{service.pid}"
        )

        def beating(name: str = name, service: Service = service) -> bool:
            if not service.alive():
                raise RuntimeError(f"{service.name} ended while starting")
            return Heartbeat.objects.filter(name=name).exists()

        wait_for(beating, 120, f"{service.name} to start")


def queue_counts() -> Counter[str]:
    from django_tasks_db.models import DBTaskResult

    return Counter(
        DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).values_list(
            "status", flat=True
        )
    )


# ---------------------------------------------------------------- the world


@dataclass
class World:
    org: Any
    oac: Any
    jefe: Any
    writer: Any
    channels: list[Any]
    specs: list[ChannelSpec]
    pieces_made: int = 0


def sandbox_accounts(specs: list[ChannelSpec]) -> list[dict[str, Any]]:
    tokens = []
    for spec in specs:
        tokens.append(
            {
                "network": spec.network,
                "account_id": spec.token_account,
                "access_token": f"bench-{spec.key}-{secrets.token_urlsafe(16)}",
                "expires_in": spec.expires_days * 86400 if spec.expires_days else None,
                "key": spec.key,
            }
        )
    return tokens


def build_world(specs: list[ChannelSpec], accounts: list[dict[str, Any]]) -> World:
    """One organization, its Jefe and a Profesional, and 8 connected channels."""
    from django.conf import settings
    from django.db import transaction

    from pregonero.accounts.actions import set_roles
    from pregonero.accounts.models import Role, User
    from pregonero.core.models import Channel, Dependency, Organization
    from pregonero.publishing.adapters.base import TokenSet
    from pregonero.publishing.channels import store_connection

    org = Organization.objects.create(
        slug="cvp-carga",
        name="Caja de la Vivienda Popular (prueba de carga)",
        short_name="CVP",
        email_domains="cajaviviendapopular.gov.co",
    )
    oac = Dependency.objects.create(
        organization=org,
        name="Oficina Asesora de Comunicaciones",
        is_communications_office=True,
    )

    def person(username: str, role: str) -> Any:
        user = User.objects.create_user(
            username=username,
            password=None,
            email=f"{username}@cajaviviendapopular.gov.co",
            first_name=username.capitalize(),
            last_name="Carga",
            organization=org,
            dependency=oac,
            position=f"Cargo de {username}",
        )
        with transaction.atomic():
            set_roles(None, user, [role])
        return user

    jefe = person("jefa", Role.JEFE)
    writer = person("redactor", Role.PROFESIONAL)
    channels = []
    for spec, account in zip(specs, accounts, strict=True):
        channel = Channel.objects.create(
            organization=org,
            kind=spec.kind,
            name=spec.name,
            handle=spec.handle,
            recovery_email="redes@cajaviviendapopular.gov.co",
        )
        expires = (
            now() + dt.timedelta(days=spec.expires_days) if spec.expires_days else None
        )
        base_url = (
            f"{settings.PREGONERO_SANDBOX_URL}/{spec.per_host}" if spec.per_host else ""
        )
        with transaction.atomic():
            store_connection(
                None,
                channel,
                TokenSet(
                    access_token=account["access_token"],
                    expires_at=expires,
                    account_id=spec.account_id,
                    handle=spec.handle,
                ),
                base_url=base_url,
            )
        channels.append(channel)
    return World(org, oac, jefe, writer, channels, specs)


def piece_text(tag: str, number: int) -> str:
    """Unique per piece (X and LinkedIn refuse a repeated text), plain (LinkedIn's
    reserved characters are avoided), short enough for every network."""
    return (
        f"Prueba de carga {tag} pieza {number:05d}: abiertas las inscripciones del "
        "Plan Terrazas en Bogota. Consulte requisitos y fechas en la Caja de la "
        "Vivienda Popular."
    )


def build_pieces(world: World, count: int, tag: str) -> list[int]:
    """``count`` text pieces with the Jefe's visto bueno, in bulk.

    Each gets what ``create_piece``, ``save_text_version`` and ``decide_text``
    (approve as final) leave: an approved state, one text version with a source,
    the control-point-1 review and the seal ``compute_seal`` gives, so
    ``seal_is_valid`` holds (checked for every piece). The audit events of that
    history are not written: the benchmark measures publishing, not drafting.
    """
    from django.db import transaction
    from django.utils import timezone

    from pregonero.content.actions import seal_is_valid
    from pregonero.content.models import (
        Piece,
        PieceFormat,
        Review,
        ReviewDecision,
        TextVersion,
        VersionSource,
        canonical_hash,
        compute_seal,
    )
    from pregonero.content.workflow import PieceState

    source = ("Dirección de Mejoramiento de Vivienda", "")
    moment = timezone.now()
    first = world.pieces_made + 1
    world.pieces_made += count
    with transaction.atomic():
        pieces = Piece.objects.bulk_create(
            [
                Piece(
                    organization=world.org,
                    number=f"PIE-CARGA-{n:06d}",
                    title=f"Plan Terrazas: inscripciones ({tag} {n})",
                    format=PieceFormat.TEXT,
                    dependency=world.oac,
                    writer=world.writer,
                    created_by=world.writer,
                    state=PieceState.APPROVED,
                    text_only=True,
                    state_changed_at=moment,
                    planned_date=moment.date(),
                )
                for n in range(first, first + count)
            ],
            batch_size=1000,
        )
        bodies = {p.pk: piece_text(tag, n) for n, p in enumerate(pieces, first)}
        versions = TextVersion.objects.bulk_create(
            [
                TextVersion(
                    piece=p,
                    number=1,
                    body=bodies[p.pk],
                    author=world.writer,
                    content_hash=canonical_hash(
                        {
                            "number": 1,
                            "body": bodies[p.pk],
                            "variants": [],
                            "sources": [{"description": source[0], "url": source[1]}],
                        }
                    ),
                )
                for p in pieces
            ],
            batch_size=1000,
        )
        VersionSource.objects.bulk_create(
            [
                VersionSource(version=v, description=source[0], url=source[1])
                for v in versions
            ],
            batch_size=1000,
        )
        seals: dict[int, str] = {}
        for version in TextVersion.objects.filter(
            pk__in=[v.pk for v in versions]
        ).prefetch_related("variants", "sources"):
            seals[version.piece_id] = compute_seal(version, None)
        for piece, version in zip(pieces, versions, strict=True):
            piece.latest_text_version = version
            piece.approved_text_version = version
            piece.seal_hash = seals[piece.pk]
            piece.sealed_at = moment
            piece.sealed_by = world.jefe
        Piece.objects.bulk_update(
            pieces,
            [
                "latest_text_version",
                "approved_text_version",
                "seal_hash",
                "sealed_at",
                "sealed_by",
            ],
            batch_size=500,
        )
        Review.objects.bulk_create(
            [
                Review(
                    organization=world.org,
                    piece=piece,
                    control_point=1,
                    text_version=version,
                    decision=ReviewDecision.APPROVED_FINAL,
                    checklist={
                        "timeliness": True,
                        "veracity": True,
                        "clear_inclusive": True,
                        "institutional_image": True,
                    },
                    reviewer=world.jefe,
                    seal_hash=seals[piece.pk],
                )
                for piece, version in zip(pieces, versions, strict=True)
            ],
            batch_size=1000,
        )
        through = Piece.channels.through
        through.objects.bulk_create(
            [
                through(piece_id=piece.pk, channel_id=channel.pk)
                for piece in pieces
                for channel in world.channels
            ],
            batch_size=2000,
        )
    ids = [p.pk for p in pieces]
    invalid = [
        p.number for p in Piece.objects.filter(pk__in=ids) if not seal_is_valid(p)
    ]
    if invalid:
        raise RuntimeError(f"pieces without a valid seal: {invalid[:5]}")
    return ids


@dataclass
class Batch:
    """The publications of one benchmark."""

    ids: list[int]
    scheduled_seconds: float = 0.0

    @property
    def lo(self) -> int:
        return min(self.ids)

    @property
    def hi(self) -> int:
        return max(self.ids)

    def queryset(self) -> Any:
        from pregonero.publishing.models import Publication

        return Publication.objects.filter(pk__gte=self.lo, pk__lte=self.hi)


def plan(world: World, piece_ids: list[int], count: int) -> list[tuple[int, Any]]:
    """(piece, channel) for each publication: consecutive ones go to different
    channels, so every channel's load is even over time."""
    n = len(world.channels)
    return [(piece_ids[i // n], world.channels[i % n]) for i in range(count)]


def schedule_with_action(
    world: World,
    pairs: list[tuple[int, Any]],
    times: list[dt.datetime],
    threads: int = 4,
) -> Batch:
    """Through ``schedule_publication``, as the Profesionales do (audit, NOTIFY),
    from ``threads`` threads at once so that 1,000 fit well before the first is due."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from pregonero.content.models import Piece
    from pregonero.publishing.actions import schedule_publication

    jobs = list(zip(pairs, times, strict=True))

    def run(part: list[tuple[tuple[int, Any], dt.datetime]]) -> list[int]:
        try:
            return [
                schedule_publication(world.writer, Piece(pk=piece), channel, when).pk
                for (piece, channel), when in part
            ]
        finally:
            connection.close()

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(run, [jobs[i::threads] for i in range(threads)]))
    ids = sorted(pk for part in parts for pk in part)
    return Batch(ids, time.monotonic() - started)


def schedule_in_bulk(
    world: World, pairs: list[tuple[int, Any]], when: dt.datetime
) -> Batch:
    """The rows ``schedule_publication`` would write (status, seal, the sealed
    text, author), inserted in one go; the scheduler is woken once."""
    from django.db import transaction

    from pregonero.content.models import Piece
    from pregonero.publishing import wakeup
    from pregonero.publishing.models import Publication, PublicationStatus

    started = time.monotonic()
    piece_ids = sorted({p for p, _ in pairs})
    rows = {
        pk: (seal, body)
        for pk, seal, body in Piece.objects.filter(pk__in=piece_ids).values_list(
            "pk", "seal_hash", "approved_text_version__body"
        )
    }
    with transaction.atomic():
        created = Publication.objects.bulk_create(
            [
                Publication(
                    organization=world.org,
                    piece_id=piece_id,
                    channel=channel,
                    scheduled_at=when,
                    seal_hash=rows[piece_id][0],
                    text=rows[piece_id][1],
                    created_by=world.writer,
                    status=PublicationStatus.SCHEDULED,
                )
                for piece_id, channel in pairs
            ],
            batch_size=1000,
        )
        wakeup.on_commit_signal()
    return Batch([p.pk for p in created], time.monotonic() - started)


# ---------------------------------------------------------------- waiting


FINAL = ("published", "failed", "cancelled", "withdrawn")


def unsettled(batch: Batch) -> int:
    """Publications still on their way (an unconfirmed one a person must decide
    on is as far as the machine goes)."""
    from django.db.models import Q

    return (
        batch.queryset()
        .exclude(status__in=FINAL)
        .exclude(Q(status="unconfirmed") & Q(needs_review=True))
        .count()
    )


def wait_settled(batch: Batch, deadline: float, every: float = 0.5) -> float | None:
    """Until every publication is final; the monotonic time it happened, or None."""
    while time.monotonic() < deadline:
        if unsettled(batch) == 0:
            return time.monotonic()
        time.sleep(every)
    return None


def wait_queue_idle(timeout: float = 60) -> None:
    """Until no task is ready to run."""
    from django_tasks_db.models import DBTaskResult

    wait_for(
        lambda: not DBTaskResult.objects.ready().exists(),
        timeout,
        "the task queue to be empty",
        every=0.5,
    )


def discard_leftover_tasks() -> dict[str, int]:
    """Tasks still queued after a benchmark (notification e-mails, mostly) would
    load the next one: they are counted, then deleted."""
    from django_tasks_db.models import DBTaskResult

    left = DBTaskResult.objects.filter(status="READY")
    counts = Counter(
        path.rsplit(".", 1)[-1] for path in left.values_list("task_path", flat=True)
    )
    left.delete()
    return dict(counts)


# ---------------------------------------------------------------- measuring


def publication_rows(batch: Batch) -> list[dict[str, Any]]:
    wanted = set(batch.ids)
    return [
        row
        for row in batch.queryset().values(
            "pk",
            "channel_id",
            "status",
            "needs_review",
            "scheduled_at",
            "published_at",
            "claimed_at",
            "text",
            "attempt_count",
        )
        if row["pk"] in wanted
    ]


def attempt_rows(batch: Batch) -> dict[int, list[dict[str, Any]]]:
    from pregonero.publishing.models import PublicationAttempt

    by_pub: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        PublicationAttempt.objects.filter(
            publication_id__gte=batch.lo, publication_id__lte=batch.hi
        )
        .order_by("started_at", "pk")
        .values(
            "publication_id",
            "kind",
            "outcome",
            "started_at",
            "finished_at",
            "duration_ms",
            "worker",
        )
    ):
        by_pub[row["publication_id"]].append(dict(row))
    return by_pub


def task_rows(batch: Batch, since: dt.datetime) -> dict[int, list[dict[str, Any]]]:
    from django_tasks_db.models import DBTaskResult

    by_pub: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        DBTaskResult.objects.filter(task_path=PUBLISH_TASK, enqueued_at__gte=since)
        .order_by("enqueued_at")
        .values("args_kwargs", "enqueued_at", "run_after", "started_at", "finished_at")
    ):
        args = row["args_kwargs"].get("args") or []
        if args and batch.lo <= int(args[0]) <= batch.hi:
            by_pub[int(args[0])].append(row)
    return by_pub


def sandbox_posts(sandbox: Sandbox, world: World) -> dict[int, Counter[str]]:
    """Live posts per channel id, counted by text."""
    by_network: dict[str, list[dict[str, Any]]] = {}
    result: dict[int, Counter[str]] = {}
    for spec, channel in zip(world.specs, world.channels, strict=True):
        if spec.network not in by_network:
            by_network[spec.network] = sandbox.posts(spec.network)
        result[channel.pk] = Counter(
            str(p["text"])
            for p in by_network[spec.network]
            if str(p["account_id"]) == spec.post_account and not p.get("deleted")
        )
    return result


def measure(
    batch: Batch, sandbox: Sandbox, world: World, since: dt.datetime
) -> dict[str, Any]:
    """Lateness, duplicates and losses of a batch, from the database and the sandbox."""
    pubs = publication_rows(batch)
    attempts = attempt_rows(batch)
    tasks = task_rows(batch, since)
    posts = sandbox_posts(sandbox, world)

    claim: list[float] = []
    completion: list[float] = []
    pickup: list[float] = []
    prepare: list[float] = []
    call: list[float] = []
    finish: list[float] = []
    enqueue_ahead: list[float] = []
    statuses: Counter[str] = Counter()
    duplicates = extra_posts = missing = not_published = 0
    claimed_early = 0
    duplicate_examples: list[dict[str, Any]] = []
    lost_examples: list[dict[str, Any]] = []
    expected: dict[int, Counter[str]] = defaultdict(Counter)
    for pub in pubs:
        status = pub["status"] + (" (revisión)" if pub["needs_review"] else "")
        statuses[status] += 1
        expected[pub["channel_id"]][pub["text"]] += 1
        found = posts.get(pub["channel_id"], Counter())[pub["text"]]
        if found > 1:
            duplicates += 1
            extra_posts += found - 1
            if len(duplicate_examples) < 10:
                duplicate_examples.append(
                    {
                        "publication": pub["pk"],
                        "posts": found,
                        "status": status,
                        "attempts": [
                            f"{a['kind']}:{a['outcome']}" for a in attempts[pub["pk"]]
                        ],
                    }
                )
        if pub["status"] != "published":
            not_published += 1
        elif found == 0:
            missing += 1
        if (pub["status"] != "published" or found == 0) and len(lost_examples) < 10:
            lost_examples.append(
                {
                    "publication": pub["pk"],
                    "status": status,
                    "posts": found,
                    "attempts": [
                        f"{a['kind']}:{a['outcome']}" for a in attempts[pub["pk"]]
                    ],
                }
            )
        tries = [a for a in attempts[pub["pk"]] if a["kind"] == "publish"]
        scheduled = pub["scheduled_at"]
        if tries:
            first = tries[0]
            lateness = ms_between(first["started_at"], scheduled)
            assert lateness is not None
            claim.append(lateness)
            claimed_early += lateness < 0
        done = next(
            (a for a in attempts[pub["pk"]] if a["outcome"] in ("published", "found")),
            None,
        )
        if done is not None:
            completion.append(ms_between(done["finished_at"], scheduled) or 0.0)
        first_task = tasks[pub["pk"]][0] if tasks[pub["pk"]] else None
        if first_task is not None and tries:
            ready = max(scheduled, first_task["enqueued_at"])
            enqueue_ahead.append(
                -(ms_between(first_task["enqueued_at"], scheduled) or 0)
            )
            if first_task["started_at"] is not None:
                pickup.append(ms_between(first_task["started_at"], ready) or 0.0)
                prepare.append(
                    ms_between(tries[0]["started_at"], first_task["started_at"]) or 0.0
                )
            if tries[0]["outcome"] == "published":
                call.append(float(tries[0]["duration_ms"] or 0))
                if first_task["finished_at"] is not None:
                    finish.append(
                        ms_between(first_task["finished_at"], tries[0]["finished_at"])
                        or 0.0
                    )
    orphans = sum(
        max(0, count - expected[channel_id][text])
        for channel_id, counter in posts.items()
        for text, count in counter.items()
        if text not in expected[channel_id]
    )
    lost = not_published + missing
    first_claim = min(
        (a[0]["started_at"] for a in attempts.values() if a), default=None
    )
    last_claim = max(
        (
            next(x["started_at"] for x in a if x["kind"] == "publish")
            for a in attempts.values()
            if any(x["kind"] == "publish" for x in a)
        ),
        default=None,
    )
    last_done = max(
        (
            x["finished_at"]
            for a in attempts.values()
            for x in a
            if x["outcome"] in ("published", "found") and x["finished_at"]
        ),
        default=None,
    )
    return {
        "publications": len(pubs),
        "statuses": dict(statuses),
        "lateness_claim_ms": summary(claim),
        "lateness_completion_ms": summary(completion),
        "claimed_before_due": claimed_early,
        "breakdown_ms": {
            "enqueued_ahead_of_due": summary(enqueue_ahead),
            "queue_pickup": summary(pickup),
            "task_start_to_claim": summary(prepare),
            "network_call": summary(call),
            "record_after_call": summary(finish),
        },
        "duplicates": duplicates,
        "extra_posts": extra_posts,
        "lost": lost,
        "not_published": not_published,
        "published_but_missing_in_sandbox": missing,
        "posts_matching_no_publication": orphans,
        "duplicate_examples": duplicate_examples,
        "lost_examples": lost_examples,
        "first_claim": first_claim.isoformat() if first_claim else None,
        "last_claim": last_claim.isoformat() if last_claim else None,
        "last_completion": last_done.isoformat() if last_done else None,
        "_first_claim": first_claim,
        "_last_claim": last_claim,
        "_last_done": last_done,
    }


def unconfirmed_story(batch: Batch) -> dict[str, Any]:
    """How many went through *sin confirmar*, and how reconciliation ended."""
    attempts = attempt_rows(batch)
    went = [p for p, rows in attempts.items() if any(
        r["kind"] == "publish" and r["outcome"] == "unknown" for r in rows)]  # fmt: skip
    outcomes: Counter[str] = Counter()
    for pub in went:
        for row in attempts[pub]:
            if row["kind"] == "reconcile":
                outcomes[row["outcome"]] += 1
    requeued = sum(
        1
        for pub in went
        if any(r["kind"] == "reconcile" and r["outcome"] == "not_found"
               for r in attempts[pub])
    )  # fmt: skip
    published_after = sum(
        1
        for pub in went
        if any(r["outcome"] in ("published", "found") for r in attempts[pub])
    )
    return {
        "went_unconfirmed": len(went),
        "reconcile_outcomes": dict(outcomes),
        "requeued_after_not_found": requeued,
        "published_in_the_end": published_after,
    }


def redispatched(batch: Batch, since: dt.datetime) -> int:
    """Publications handed out more than once (a task lost with a killed worker)."""
    return sum(1 for rows in task_rows(batch, since).values() if len(rows) > 1)


def public(result: dict[str, Any]) -> dict[str, Any]:
    """The result without the private keys used for arithmetic."""
    return {k: v for k, v in result.items() if not k.startswith("_")}


# ---------------------------------------------------------------- benchmarks


@dataclass
class Context:
    args: argparse.Namespace
    world: World
    sandbox: Sandbox
    log_dir: Path
    results: dict[str, Any] = field(default_factory=dict)


def start_fleet(
    ctx: Context, label: str, workers: int, cpu: CpuMeter, *, scheduler: bool = True
) -> Fleet:
    cpu.track_postgres()
    ctx.sandbox.start()
    cpu.track(ctx.sandbox.pid, "sandbox")
    fleet = Fleet(label, ctx.log_dir, cpu)
    services = [fleet.scheduler()] if scheduler else []
    services += [fleet.worker(ctx.args.threads) for _ in range(workers)]
    wait_ready(services)
    return fleet


def finish_fleet(ctx: Context, fleet: Fleet, cpu: CpuMeter) -> dict[str, Any]:
    cpu.settle_postgres()
    fleet.stop()
    cpu.settle(ctx.sandbox.pid)
    cpu.settle(os.getpid())
    crashed = fleet.crashed()
    if crashed:
        log(f"  ¡procesos terminados con error!: {', '.join(crashed)}")
    return {"crashed_processes": crashed}


def run_precision(ctx: Context, workers: int, *, chaos: bool = False) -> dict[str, Any]:
    """N publications due in one minute, 90 s after scheduling starts."""
    args = ctx.args
    label = f"chaos-{workers}w" if chaos else f"precision-{workers}w"
    count = args.publications
    pieces = build_pieces(ctx.world, math.ceil(count / len(ctx.world.channels)), label)
    pairs = plan(ctx.world, pieces, count)
    cpu = CpuMeter()
    cpu.track(os.getpid(), "driver")
    # The scheduler runs while the publications are scheduled (it is woken by
    # each one); the workers start once they are all in, and idle before the
    # first is due (16 idle threads polling every 50 ms would otherwise slow the
    # scheduling down on a small machine).
    fleet = start_fleet(ctx, label, 0, cpu)
    since = now()
    base = since + dt.timedelta(seconds=args.lead)
    window = args.window
    times = [base + dt.timedelta(seconds=window * i / count) for i in range(count)]
    log(
        f"{label}: programando {count} publicaciones entre +{args.lead:g} s y "
        f"+{args.lead + window:g} s…"
    )
    batch = schedule_with_action(ctx.world, pairs, times)
    log(
        f"  programadas en {batch.scheduled_seconds:.1f} s "
        f"({1000 * batch.scheduled_seconds / count:.0f} ms c/u); arrancan "
        f"{workers} trabajador(es)"
    )
    services = [fleet.worker(args.threads) for _ in range(workers)]
    wait_ready(services)
    wait_queue_idle()
    idle = idle_cpu(services, min(5.0, (base - now()).total_seconds() - 1))
    margin = (base - now()).total_seconds()
    log(f"  en reposo; la primera vence en {margin:.1f} s")
    if margin < 5:
        log("  ¡AVISO! el margen antes de la primera es menor de 5 s")
    kills: list[dict[str, Any]] = []
    stop_killing = threading.Event()
    killer: threading.Thread | None = None
    if chaos:
        kill_from = base - dt.timedelta(seconds=5)
        kill_until = base + dt.timedelta(seconds=window + args.chaos_tail)

        def chaos_loop() -> None:
            delay = (kill_from - now()).total_seconds()
            if stop_killing.wait(max(0.0, delay)):
                return
            rng = random.Random(args.seed)
            while now() < kill_until and not stop_killing.is_set():
                if stop_killing.wait(args.kill_every):
                    return
                alive = fleet.workers()
                if not alive:
                    continue
                victim = rng.choice(alive)
                fleet.kill(victim)
                replacement = fleet.worker(args.threads)
                kills.append(
                    {
                        "at": now().isoformat(),
                        "seconds_after_first_due": round(
                            (now() - base).total_seconds(), 1
                        ),
                        "killed": victim.name,
                        "replacement": replacement.name,
                    }
                )
                log(f"  SIGKILL {victim.name} → {replacement.name}")

        killer = threading.Thread(target=chaos_loop, name="chaos", daemon=True)
        killer.start()
    last_due = times[-1]
    probe_at = (base - now()).total_seconds() - 0.5
    time.sleep(max(0.0, probe_at))
    probe = Probe().start()
    settle_budget = args.chaos_settle if chaos else args.settle
    deadline = time.monotonic() + (last_due - now()).total_seconds() + settle_budget
    time.sleep(max(0.0, (last_due - now()).total_seconds() + 2))
    waits = probe.stop()
    settled_at = wait_settled(batch, deadline)
    stop_killing.set()
    if killer is not None:
        killer.join()
    settled_after = (
        round(settled_at - time.monotonic() + (now() - last_due).total_seconds(), 1)
        if settled_at is not None
        else None
    )
    extra = finish_fleet(ctx, fleet, cpu)
    result = measure(batch, ctx.sandbox, ctx.world, since)
    result.update(
        {
            "workers": workers,
            "threads_per_worker": args.threads or default_threads(),
            "window_seconds": window,
            "first_due_after_seconds": args.lead,
            "scheduling_seconds": round(batch.scheduled_seconds, 1),
            "scheduled_with": "schedule_publication",
            "margin_before_first_due_seconds": round(margin, 1),
            "margin_ok": margin >= 5,
            "schedule_publication_ms_each": round(
                1000 * batch.scheduled_seconds / count, 1
            ),
            "idle_workers": idle,
            "during_the_window": waits,
            "scheduler_and_email": dispatch_and_email(batch, since),
            "settled": settled_at is not None,
            "settled_seconds_after_last_due": settled_after,
            "cpu": cpu.result(),
            "leftover_tasks_discarded": discard_leftover_tasks(),
            **extra,
        }
    )
    if chaos:
        result["kills"] = kills
        result["unconfirmed"] = unconfirmed_story(batch)
        result["redispatched_publications"] = redispatched(batch, since)
    result["targets"] = targets(result, chaos=chaos)
    ctx.sandbox.stop()
    return public(result)


def idle_cpu(services: list[Service], seconds: float) -> dict[str, Any]:
    """CPU the idle workers use polling an empty queue, over ``seconds``."""
    if seconds <= 0.5:
        return {}
    first = {s.pid: process_cpu_seconds(s.pid) or 0.0 for s in services}
    time.sleep(seconds)
    used = sum((process_cpu_seconds(pid) or 0.0) - v for pid, v in first.items())
    cpus = os.cpu_count() or 1
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(used, 2),
        "percent_of_machine": round(100 * used / (seconds * cpus), 1),
    }


def dispatch_and_email(batch: Batch, since: dt.datetime) -> dict[str, Any]:
    """When the scheduler handed each publication out, and who sent the
    notification e-mails (the workers' tasks, or the scheduler's sweep)."""
    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    from pregonero.accounts.models import Notification

    lead_ms = 1000 * settings.PREGONERO_DISPATCH_LEAD_SECONDS
    scheduled = {p["pk"]: p["scheduled_at"] for p in publication_rows(batch)}
    late = [
        ms_between(rows[0]["enqueued_at"], scheduled[pub]) or 0.0
        for pub, rows in task_rows(batch, since).items()
    ]
    notes = Notification.objects.filter(created_at__gte=since)
    email_tasks = Counter(
        str(v)
        for v in DBTaskResult.objects.filter(
            task_path="pregonero.accounts.tasks.send_notification_email",
            enqueued_at__gte=since,
            status="SUCCESSFUL",
        ).values_list("return_value", flat=True)
    )
    sent = notes.filter(email_status="sent").count()
    return {
        "handed_out_relative_to_due_ms": summary(late),
        "handed_out_after_due": sum(1 for v in late if v > 0),
        "dispatch_lead_ms": lead_ms,
        "notifications": notes.count(),
        "emails_sent": sent,
        "email_tasks_run": dict(email_tasks),
        "emails_sent_by_scheduler_sweep": max(0, sent - email_tasks.get("sent", 0)),
    }


def targets(result: dict[str, Any], *, chaos: bool = False) -> dict[str, bool]:
    met = {"duplicates_0": result["duplicates"] == 0, "lost_0": result["lost"] == 0}
    if not chaos:
        claim = result["lateness_claim_ms"]
        met["p50_le_100ms"] = bool(claim.get("n")) and claim["p50"] <= TARGET_P50_MS
        met["p99_le_500ms"] = bool(claim.get("n")) and claim["p99"] <= TARGET_P99_MS
    return met


def default_threads() -> int:
    from pregonero.core.management.commands.worker import default_threads as threads

    return threads()


def run_backlog(
    ctx: Context, label: str, workers: int, count: int, *, sample_rss: bool = False
) -> tuple[dict[str, Any], list[tuple[float, int, int]]]:
    """``count`` publications already due and handed out, then ``workers`` start."""
    args = ctx.args
    pieces = build_pieces(ctx.world, math.ceil(count / len(ctx.world.channels)), label)
    pairs = plan(ctx.world, pieces, count)
    cpu = CpuMeter()
    cpu.track(os.getpid(), "driver")
    fleet = start_fleet(ctx, label, 0, cpu)
    since = now()
    log(f"{label}: {count} publicaciones vencidas, sin trabajadores…")
    batch = schedule_in_bulk(ctx.world, pairs, now())

    # The scheduler hands out at most PREGONERO_DISPATCH_MAX_QUEUED at a time
    # (back-pressure); the rest of the backlog waits in the table.
    from django.conf import settings

    queue_full = min(count, settings.PREGONERO_DISPATCH_MAX_QUEUED)

    def handed_out() -> bool:
        return (
            batch.queryset().filter(dispatched_at__isnull=False).count() >= queue_full
        )

    wait_for(handed_out, 600, "the scheduler to fill the queue", every=0.5)
    log(
        f"  en la cola tras {(now() - since).total_seconds():.1f} s; arrancan {workers} trabajador(es)"
    )
    services = [fleet.worker(args.threads) for _ in range(workers)]
    probe = Probe(every=0.25).start()
    samples: list[tuple[float, int, int]] = []
    started = time.monotonic()
    deadline = started + max(600.0, count / 5)
    if sample_rss:
        from pregonero.publishing.models import Publication

        pid = services[0].pid
        published = 0
        while time.monotonic() < deadline and published < count:
            published = Publication.objects.filter(
                pk__gte=batch.lo, pk__lte=batch.hi, status="published"
            ).count()
            rss = rss_kib(pid)
            if rss is None:
                break
            samples.append((round(time.monotonic() - started, 2), published, rss))
            if published and len(samples) % 200 == 0:
                log(f"  {published} publicadas, RSS {num(rss / 1024, 1)} MiB")
            time.sleep(args.sample_every)
    settled_at = wait_settled(batch, deadline)
    waits = probe.stop()
    extra = finish_fleet(ctx, fleet, cpu)
    result = measure(batch, ctx.sandbox, ctx.world, since)
    result["while_publishing"] = waits
    first, last, done = (
        result["_first_claim"],
        result["_last_claim"],
        result["_last_done"],
    )
    claim_span = (last - first).total_seconds() if first and last else None
    done_span = (done - first).total_seconds() if first and done else None
    result.update(
        {
            "workers": workers,
            "threads_per_worker": args.threads or default_threads(),
            "scheduled_with": "bulk insert (the rows schedule_publication writes)",
            "settled": settled_at is not None,
            "first_to_last_claim_seconds": round(claim_span, 2) if claim_span else None,
            "first_claim_to_last_completion_seconds": round(done_span, 2)
            if done_span
            else None,
            "claims_per_second": round((result["publications"] - 1) / claim_span, 1)
            if claim_span
            else None,
            "completions_per_second": round(result["publications"] / done_span, 1)
            if done_span
            else None,
            "cpu": cpu.result(),
            "scheduler_and_email": dispatch_and_email(batch, since),
            "leftover_tasks_discarded": discard_leftover_tasks(),
            **extra,
        }
    )
    ctx.sandbox.stop()
    return result, samples


def run_throughput(ctx: Context) -> dict[str, Any]:
    result, _ = run_backlog(ctx, "throughput", 4, ctx.args.throughput_publications)
    result["targets"] = {
        "duplicates_0": result["duplicates"] == 0,
        "lost_0": result["lost"] == 0,
    }
    return public(result)


def run_memory(ctx: Context) -> dict[str, Any]:
    count = ctx.args.memory_publications
    result, samples = run_backlog(ctx, "memory", 1, count, sample_rss=True)
    early = next((s for s in samples if s[1] >= 100), None)
    late = next((s for s in samples if s[1] >= count), samples[-1] if samples else None)
    ratio = late[2] / early[2] if early and late else None
    step = max(1, len(samples) // 200)
    result.update(
        {
            "rss_after_100_kib": early[2] if early else None,
            "rss_after_100_at_published": early[1] if early else None,
            "rss_after_last_kib": late[2] if late else None,
            "rss_after_last_at_published": late[1] if late else None,
            "rss_ratio": round(ratio, 3) if ratio else None,
            "rss_samples_seconds_published_kib": samples[::step],
        }
    )
    result["targets"] = {
        "rss_within_20_percent": ratio is not None
        and abs(ratio - 1) <= MEMORY_TOLERANCE,
        "duplicates_0": result["duplicates"] == 0,
        "lost_0": result["lost"] == 0,
    }
    return public(result)


# ---------------------------------------------------------------- report


def yes(value: bool | None) -> str:
    return "sí/yes" if value else "NO"


def print_summary(results: dict[str, Any]) -> None:
    print()
    print(
        "Publicación / Publishing — PostgreSQL, 8 canales, sandbox +50 ms por llamada"
    )
    timed = [(n, r) for n, r in results.items() if n.startswith(("precision", "chaos"))]
    if timed:
        print()
        print(
            "Retraso / lateness (ms) — toma / claim: inicio del 1.er intento − hora "
            "programada (metas: p50 ≤ 100, p99 ≤ 500);"
        )
        print(
            "fin / completion: el intento que publicó (o la reconciliación que la "
            "encontró) − hora programada."
        )
        header = (
            f"{'escenario / scenario':<20} {'trab.':>5} {'hilos':>5} {'pub.':>6} "
            f"{'p50':>8} {'p95':>8} {'p99':>8} {'máx':>8} {'fin p50':>8} "
            f"{'fin p99':>8} {'dupl.':>5} {'perd.':>5}"
        )
        print(header)
        print("-" * len(header))
        for name, r in timed:
            claim, done = r["lateness_claim_ms"], r["lateness_completion_ms"]
            print(
                f"{name:<20} {r['workers']:>5} {r['threads_per_worker']:>5} "
                f"{num(r['publications']):>6} {num(claim.get('p50')):>8} "
                f"{num(claim.get('p95')):>8} {num(claim.get('p99')):>8} "
                f"{num(claim.get('max')):>8} {num(done.get('p50')):>8} "
                f"{num(done.get('p99')):>8} {r['duplicates']:>5} {r['lost']:>5}"
            )
    rated = [
        (n, r) for n, r in results.items() if n.startswith(("throughput", "memory"))
    ]
    if rated:
        print()
        print(
            "Ritmo / rate — publicaciones vencidas en la cola antes de arrancar los "
            "trabajadores; tomas/s = (N − 1) / (última toma − primera)."
        )
        header = (
            f"{'escenario / scenario':<20} {'trab.':>5} {'hilos':>5} {'pub.':>7} "
            f"{'tomas/s':>8} {'fin/s':>7} {'seg.':>7} {'dupl.':>5} {'perd.':>5}"
        )
        print(header)
        print("-" * len(header))
        for name, r in rated:
            print(
                f"{name:<20} {r['workers']:>5} {r['threads_per_worker']:>5} "
                f"{num(r['publications']):>7} {num(r['claims_per_second'], 1):>8} "
                f"{num(r['completions_per_second'], 1):>7} "
                f"{num(r['first_claim_to_last_completion_seconds'], 1):>7} "
                f"{r['duplicates']:>5} {r['lost']:>5}"
            )
    print()
    for name, r in results.items():
        met = ", ".join(f"{k} {yes(v)}" for k, v in r["targets"].items())
        print(f"{name}: metas / targets: {met}")
        if name.startswith("precision") and not r.get("margin_ok", True):
            print("  ¡AVISO! la programación terminó a menos de 5 s de la primera hora")
        if name.startswith("chaos"):
            story = r["unconfirmed"]
            print(
                f"  {len(r['kills'])} SIGKILL; {story['went_unconfirmed']} pasaron por "
                f"«sin confirmar» / went unconfirmed (reconciliación: "
                f"{story['reconcile_outcomes']}; reenviadas tras «no encontrada» / "
                f"re-sent after not found: {story['requeued_after_not_found']}); "
                f"{r['redispatched_publications']} re-despachadas / redispatched"
            )
        if name.startswith("memory"):
            print(
                f"  RSS tras / after pub. {r['rss_after_100_at_published']}: "
                f"{num((r['rss_after_100_kib'] or 0) / 1024, 1)} MiB; tras / after "
                f"{r['rss_after_last_at_published']}: "
                f"{num((r['rss_after_last_kib'] or 0) / 1024, 1)} MiB; "
                f"razón / ratio {num(r['rss_ratio'], 3)}"
            )
        cpu = r.get("cpu", {})
        shares = ", ".join(
            f"{k} {num(v, 0)} %"
            for k, v in cpu.get("process_cpu_percent_of_machine", {}).items()
        )
        print(
            f"  CPU ({cpu.get('cpus')}): máquina / machine "
            f"{num(cpu.get('machine_busy_percent'), 0)} % — {shares}"
        )


# ---------------------------------------------------------------- main


def configure(args: argparse.Namespace, sandbox_url: str, var_dir: Path) -> None:
    """The environment the driver and every subprocess share, then Django."""
    from cryptography.fernet import Fernet

    env = {
        "DJANGO_SETTINGS_MODULE": "pregonero.settings",
        "DATABASE_URL": common.postgres_url(BENCH_DB),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PREGONERO_TOKEN_KEYS": Fernet.generate_key().decode(),
        "PREGONERO_SANDBOX_URL": sandbox_url,
        "PREGONERO_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "STATIC_ROOT": str(var_dir / "static"),
        "DEBUG": "0",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    os.environ.update(env)
    # The practice networks, the default task queue and the console e-mail backend.
    for name in ("PREGONERO_TESTING", "PREGONERO_TASKS_BACKEND", "EMAIL_HOST"):
        os.environ.pop(name, None)
    import django

    django.setup()


def knobs() -> dict[str, Any]:
    from django.conf import settings

    names = (
        "PREGONERO_DISPATCH_LEAD_SECONDS",
        "PREGONERO_WORKER_BEAT_SECONDS",
        "PREGONERO_WORKER_DEAD_SECONDS",
        "PREGONERO_RECONCILE_AFTER_SECONDS",
        "PREGONERO_SCHEDULER_INTERVAL",
        "PREGONERO_MAX_PUBLISH_ATTEMPTS",
        "PREGONERO_HTTP_TIMEOUT",
    )
    return {name: getattr(settings, name) for name in names}


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Precision, chaos, throughput and memory of publishing."
    )
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help="precision,chaos,throughput,memory"
    )
    parser.add_argument("--publications", type=int, default=1000)
    parser.add_argument("--throughput-publications", type=int, default=2000)
    parser.add_argument("--memory-publications", type=int, default=10000)
    parser.add_argument(
        "--workers",
        default="1,4",
        help="worker processes of the precision runs (comma-separated)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker (default: the worker command's, 4 on PostgreSQL)",
    )
    parser.add_argument(
        "--sandbox",
        choices=("process", "thread"),
        default="process",
        help="the practice networks in their own process or in a thread of this one",
    )
    parser.add_argument(
        "--lead", type=float, default=90.0, help="first due time, s after scheduling"
    )
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=180.0)
    parser.add_argument("--chaos-settle", type=float, default=360.0)
    parser.add_argument(
        "--chaos-tail", type=float, default=30.0, help="keep killing after the window"
    )
    parser.add_argument("--kill-every", type=float, default=10.0)
    parser.add_argument("--sample-every", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    args.workers = [int(w) for w in str(args.workers).split(",") if w.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started_at = now()
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_dir = common.RESULTS_DIR / f"{stamp}-publishing-logs"
    log_dir.mkdir()
    var_dir = Path(tempfile.mkdtemp(prefix="pregonero-bench-publishing-"))
    port = free_port()
    configure(args, f"http://127.0.0.1:{port}", var_dir)

    from django.core.management import call_command

    log(f"base de datos {BENCH_DB}: se crea de nuevo y se migra…")
    common.drop_postgres_database(BENCH_DB)
    common.create_postgres_database(BENCH_DB)
    call_command("migrate", interactive=False, verbosity=0)
    specs = channel_specs()
    accounts = sandbox_accounts(specs)
    world = build_world(specs, accounts)
    sandbox = Sandbox(args.sandbox, port, accounts, log_dir)
    ctx = Context(args, world, sandbox, log_dir)
    report: dict[str, Any] = {
        "started_at": started_at.isoformat(),
        "database": database_version(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
        },
        "sandbox": {"mode": args.sandbox, "latency_ms": SANDBOX_LATENCY_MS},
        "channels": [
            {"name": s.name, "network": s.kind, "account": s.account_id} for s in specs
        ],
        "settings": knobs(),
        "arguments": dict(vars(args)),
        "definitions": {
            "lateness_claim": "first publish attempt started_at - scheduled_at "
            "(the worker has claimed the row); the targets are judged on it",
            "lateness_completion": "finished_at of the attempt that published (or "
            "the reconciliation that found the post) - scheduled_at",
            "duplicate": "a publication with more than one live post of its text "
            "on its channel's account in the sandbox",
            "lost": "not published once the run settled, or published without "
            "its post in the sandbox",
        },
        "logs": str(log_dir),
        "results": ctx.results,
    }
    result_file = common.RESULTS_DIR / f"{stamp}-publishing.json"
    try:
        if "precision" in args.only:
            for workers in args.workers:
                name = f"precision_{workers}w"
                ctx.results[name] = run_precision(ctx, workers)
                write(result_file, report)
        if "chaos" in args.only:
            ctx.results["chaos_4w"] = run_precision(ctx, 4, chaos=True)
            write(result_file, report)
        if "throughput" in args.only:
            ctx.results["throughput_4w"] = run_throughput(ctx)
            write(result_file, report)
        if "memory" in args.only:
            ctx.results["memory_1w"] = run_memory(ctx)
            write(result_file, report)
    finally:
        sandbox.close()
        report["finished_at"] = now().isoformat()
        write(result_file, report)
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            common.drop_postgres_database(BENCH_DB)
    print_summary(ctx.results)
    print(f"\nResultados / results: {result_file}")
    return 0


def write(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    sys.exit(main())
