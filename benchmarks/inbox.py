"""``make bench-inbox``: the Bandeja de atención in a crisis, and with 2 million items.

    make bench-inbox
    make bench-inbox BENCH_ARGS="--only list --rows 200000"
    .venv/bin/python benchmarks/inbox.py --only crisis --items 5000 --minutes 5

Both on PostgreSQL (issue 6):

* **crisis** — ``--items`` (50,000) comments, mentions and messages written by
  citizens over ``--minutes`` (60) on 8 channels of the practice networks
  (two Facebook Pages, Instagram, two X accounts, LinkedIn, Mastodon, Bluesky),
  read by the real ``pregonero scheduler`` and ``pregonero worker`` commands
  with the shipped settings (a channel is read every minute, every 3 s while
  it is active). A watcher sees each item appear in the Bandeja's table (a
  committed row another connection reads, as the inbox page does) and
  records the **lag**: that moment minus the item's platform time (its
  ``received_at``, which the network gives — Facebook's to the second, so its
  lag is counted up to a second long). Then ``--burst`` (10,000) more items are
  written at once: the time to drain them is the **capacity** (items per
  second). Target: lag p95 ≤ 5 s; nothing lost, nothing twice.
* **list** — ``--rows`` (2,000,000) items of one organization over two years
  (written in bulk with COPY: comments, mentions and messages on 8 channels,
  triaged, assigned, answered; 2 % petitions), then the Bandeja's page
  ``/bandeja/`` as the community manager opens it, with each filter and
  combinations, measured in-process with Django's test ``Client`` (server
  time, as ``make bench``): p50 and p95 of ``--repeat`` (30) requests after
  10 warm-up ones, and the number of queries. Target: p95 ≤ 100 ms. The data
  is kept in ``pregonero_bench_inbox_list`` and reused (``--regenerate``).

Results go to ``benchmarks/results/<timestamp>-inbox.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import publishing as pub

CRISIS_DB = "pregonero_bench_inbox"
LIST_DB = "pregonero_bench_inbox_list"
TARGET_LAG_P95_S = 5.0
TARGET_LIST_P95_MS = 100.0
SANDBOX_LATENCY_MS = 20
BENCHMARKS = ("crisis", "list")


# ---------------------------------------------------------------- channels


@dataclass(frozen=True)
class InboundSpec:
    """A channel: what Pregonero stores, whose token it holds, what the
    practice network files its citizens' messages under."""

    key: str
    kind: str
    name: str
    handle: str
    account_id: str
    token_account: str
    network: str  # the sandbox's token namespace
    sandbox: str  # the sandbox's inbound namespace
    kinds: tuple[str, ...]  # what citizens write there (what the API reads)
    per_host: str = ""
    expires_days: int | None = None


def inbound_specs() -> list[InboundSpec]:
    from pregonero.publishing.sandbox_server.bluesky import DEFAULT_DID, DEFAULT_HANDLE
    from pregonero.publishing.sandbox_server.linkedin import (
        DEFAULT_MEMBER,
        DEFAULT_ORGANIZATION,
    )
    from pregonero.publishing.sandbox_server.mastodon import DEFAULT_ACCOUNT_ID
    from pregonero.publishing.sandbox_server.meta import IG_USER_ID, PAGE_ID
    from pregonero.publishing.sandbox_server.x import DEFAULT_USER_ID

    page2 = pub.publishing_sandbox.SECOND_PAGE_ID
    x2 = "1500000000000000002"
    org_urn = f"urn:li:organization:{DEFAULT_ORGANIZATION}"
    return [
        InboundSpec("facebook-1", "facebook", "Facebook CVP", "CVPBogota", PAGE_ID,
                    PAGE_ID, "facebook", "facebook", ("comment", "message")),
        InboundSpec("facebook-2", "facebook", "Facebook Reasentamientos",
                    "CVPReasentamientos", page2, page2, "facebook", "facebook",
                    ("comment", "message")),
        InboundSpec("instagram", "instagram", "Instagram CVP", "cvpbogota",
                    IG_USER_ID, PAGE_ID, "facebook", "instagram",
                    ("comment", "mention")),
        InboundSpec("x-1", "x", "X CVP", "CVPBogota", DEFAULT_USER_ID,
                    DEFAULT_USER_ID, "x", "x", ("comment", "mention"), expires_days=30),
        InboundSpec("x-2", "x", "X Reasentamientos", "CVPReasentamiento", x2, x2,
                    "x", "x", ("comment", "mention"), expires_days=30),
        InboundSpec("linkedin", "linkedin", "LinkedIn CVP",
                    "Caja de la Vivienda Popular", org_urn, DEFAULT_MEMBER,
                    "linkedin", "linkedin", ("comment",), expires_days=60),
        InboundSpec("mastodon", "mastodon", "Mastodon CVP", "cvpbogota",
                    DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_ID, "mastodon", "mastodon",
                    ("comment", "mention", "message"), per_host="mastodon"),
        InboundSpec("bluesky", "bluesky", "Bluesky CVP", DEFAULT_HANDLE, DEFAULT_DID,
                    DEFAULT_DID, "bluesky", "bluesky", ("comment", "mention"),
                    per_host="bluesky", expires_days=30),
    ]  # fmt: skip


# ---------------------------------------------------------------- the sandbox


class CrisisSandbox:
    """``inbox_sandbox.py`` in its own process, driven over its stdin."""

    def __init__(
        self,
        port: int,
        accounts: list[dict[str, Any]],
        specs: list[InboundSpec],
        log_dir: Path,
    ) -> None:
        (log_dir / "accounts.json").write_text(json.dumps(accounts))
        streams = [
            {"sandbox": s.sandbox, "account": s.account_id, "kinds": list(s.kinds)}
            for s in specs
        ]
        (log_dir / "streams.json").write_text(json.dumps(streams))
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(common.BENCH_DIR / "inbox_sandbox.py"),
                "--port",
                str(port),
                "--latency-ms",
                str(SANDBOX_LATENCY_MS),
                "--accounts",
                str(log_dir / "accounts.json"),
                "--streams",
                str(log_dir / "streams.json"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(log_dir / "sandbox.log").open("wb"),
            cwd=common.ROOT,
        )
        line = self._line(60)
        if not line.startswith("ready"):
            raise RuntimeError(f"the sandbox did not start: {line!r}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def _line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        return self.process.stdout.readline().decode() if ready else ""

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        self.process.stdin.flush()

    def wait_done(self, timeout: float) -> str:
        return self._line(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------- the watcher


class Watcher:
    """Sees each item appear in the Bandeja's table (another connection, every
    ``every`` seconds) and keeps its lag from the platform time."""

    MARGIN = 5000

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.seen: dict[int, tuple[float, float, float, int]] = {}
        self.last_id = 0
        self.error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._watch()
        except Exception as exc:  # noqa: BLE001 — shown, never a silent stall
            self.error = repr(exc)
            pub.log(f"¡el observador falló!: {exc!r}")

    def _watch(self) -> None:
        """Ids are taken at insert and committed in another order (several
        readings at once), so each look reads back ``MARGIN`` ids below the
        highest seen and keeps the ones not seen yet."""
        import psycopg

        with psycopg.connect(common.postgres_url(CRISIS_DB), autocommit=True) as conn:
            while not self._stop.is_set():
                floor = max(0, self.last_id - self.MARGIN)
                ids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT id FROM inbox_inbounditem WHERE id > %s", [floor]
                    ).fetchall()
                ]
                visible = time.time()
                new = [pk for pk in ids if pk not in self.seen]
                if new:
                    rows = conn.execute(
                        "SELECT id, received_at, ingested_at, channel_id FROM"
                        " inbox_inbounditem WHERE id = ANY(%s)",
                        [new],
                    ).fetchall()
                    for pk, received, ingested, channel in rows:
                        self.seen[pk] = (
                            received.timestamp(),
                            ingested.timestamp(),
                            visible,
                            channel or 0,
                        )
                        self.last_id = max(self.last_id, pk)
                self._stop.wait(self.every)

    def count(self) -> int:
        return len(self.seen)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def lag_summary(values: list[tuple[float, float, float, int]]) -> dict[str, Any]:
    lag = [v[2] - v[0] for v in values]
    read = [v[1] - v[0] for v in values]
    return {
        "items": len(values),
        "lag_seconds": {
            k: (round(x / 1000, 3) if k != "n" else x)
            for k, x in pub.summary([s * 1000 for s in lag]).items()
        },
        "stored_after_seconds": {
            k: (round(x / 1000, 3) if k != "n" else x)
            for k, x in pub.summary([s * 1000 for s in read]).items()
        },
    }


# ---------------------------------------------------------------- crisis


def configure(db: str, sandbox_url: str, var_dir: Path) -> None:
    from cryptography.fernet import Fernet

    env = {
        "DJANGO_SETTINGS_MODULE": "pregonero.settings",
        "DATABASE_URL": common.postgres_url(db),
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-" + "x" * 50),
        "PREGONERO_TOKEN_KEYS": Fernet.generate_key().decode(),
        "PREGONERO_SANDBOX_URL": sandbox_url,
        "PREGONERO_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "STATIC_ROOT": str(common.STATIC_DIR),
        "DEBUG": "0",
        "PREGONERO_MFA_ENFORCED": "1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    os.environ.update(env)
    for name in ("PREGONERO_TESTING", "PREGONERO_TASKS_BACKEND", "EMAIL_HOST"):
        os.environ.pop(name, None)
    import django

    django.setup()


def knobs() -> dict[str, Any]:
    from django.conf import settings

    names = (
        "PREGONERO_INBOX_POLL_MINUTES",
        "PREGONERO_INBOX_ACTIVE_POLL_SECONDS",
        "PREGONERO_INBOX_ACTIVE_MINUTES",
        "PREGONERO_SCHEDULER_INTERVAL",
        "PREGONERO_HTTP_TIMEOUT",
    )
    return {name: getattr(settings, name, None) for name in names}


def run_crisis(
    args: argparse.Namespace, log_dir: Path, report: dict[str, Any]
) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from pregonero.inbox.models import InboundItem, IngestState

    pub.log(f"base de datos {CRISIS_DB}: se crea de nuevo y se migra…")
    connection.close()
    common.drop_postgres_database(CRISIS_DB)
    common.create_postgres_database(CRISIS_DB)
    call_command("migrate", interactive=False, verbosity=0)
    specs = inbound_specs()
    accounts = pub.sandbox_accounts(specs)  # type: ignore[arg-type]
    world = pub.build_world(specs, accounts)  # type: ignore[arg-type]
    report["channels"] = [
        {"name": s.name, "network": s.kind, "kinds": list(s.kinds)} for s in specs
    ]
    sandbox = CrisisSandbox(args.port, accounts, specs, log_dir)
    cpu = pub.CpuMeter()
    cpu.track_postgres()
    cpu.track(sandbox.pid, "sandbox")
    fleet = pub.Fleet("inbox", log_dir, cpu)
    services = [fleet.scheduler(), *[fleet.worker(None) for _ in range(args.workers)]]
    watcher = Watcher().start()
    result: dict[str, Any] = {
        "items": args.items,
        "minutes": args.minutes,
        "burst": args.burst,
    }
    try:
        pub.wait_ready(services)
        # The channels' first (empty) reading: they start idle, as before a crisis.
        pub.wait_for(
            lambda: (
                IngestState.objects.filter(last_success_at__isnull=False).count()
                == len(specs)
            ),
            180,
            "the first reading of every channel",
        )
        pub.log(
            f"crisis: {pub.num(args.items)} mensajes en {args.minutes:g} min "
            f"({args.items / (args.minutes * 60):.1f}/s) en {len(specs)} canales…"
        )
        started = time.time()
        sandbox.send(f"go {args.items} {args.minutes * 60}")
        progress_every = max(10.0, args.minutes * 60 / 20)
        next_report = time.monotonic() + progress_every
        deadline = time.monotonic() + args.minutes * 60 + 600
        per_minute: Counter[int] = Counter()
        while watcher.count() < args.items and not watcher.error:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
            if time.monotonic() >= next_report:
                next_report += progress_every
                recent = list(list(watcher.seen.values())[-500:])
                lag = lag_summary(recent)["lag_seconds"] if recent else {}
                pub.log(
                    f"  {pub.num(watcher.count())} en la Bandeja; retraso de los "
                    f"últimos 500: p50 {lag.get('p50')} s, p95 {lag.get('p95')} s"
                )
        stream_done = time.time()
        crisis = list(watcher.seen.values())
        for v in crisis:
            per_minute[int((v[2] - started) // 60)] += 1
        result["stream"] = lag_summary(crisis)
        result["stream"]["seconds"] = round(stream_done - started, 1)
        result["stream"]["items_per_second"] = round(
            len(crisis) / max(1e-9, stream_done - started), 2
        )
        result["stream"]["offered_per_second"] = round(
            args.items / (args.minutes * 60), 2
        )
        result["stream"]["busiest_minute_items"] = max(per_minute.values(), default=0)
        by_channel: dict[int, list[tuple[float, float, float, int]]] = defaultdict(list)
        for v in crisis:
            by_channel[v[3]].append(v)
        names = {c.pk: c.name for c in world.channels}
        result["stream"]["by_channel"] = {
            names.get(pk, str(pk)): lag_summary(values)["lag_seconds"]
            for pk, values in sorted(by_channel.items())
        }
        if args.burst:
            before = watcher.count()
            pub.log(f"ráfaga: {pub.num(args.burst)} mensajes de una vez…")
            burst_start = time.time()
            sandbox.send(f"burst {args.burst}")
            goal = before + args.burst
            limit = time.monotonic() + 900
            while (
                watcher.count() < goal
                and time.monotonic() < limit
                and not watcher.error
            ):
                time.sleep(0.2)
            burst_end = max((v[2] for v in watcher.seen.values()), default=burst_start)
            drained = watcher.count() - before
            result["burst_drain"] = {
                "items": drained,
                "seconds": round(burst_end - burst_start, 2),
                "items_per_second": round(
                    drained / max(1e-9, burst_end - burst_start), 1
                ),
            }
        time.sleep(2)
        cpu.settle_postgres()
    finally:
        watcher.stop()
        fleet.stop()
        sandbox.send("quit")
        cpu.settle(sandbox.pid)
        sandbox.close()
    expected = args.items + args.burst
    stored = InboundItem.objects.count()
    distinct = (
        InboundItem.objects.values("channel_id", "platform_id").distinct().count()
    )
    result["stored"] = stored
    result["lost"] = max(0, expected - distinct)
    result["duplicates"] = stored - distinct
    result["crashed_processes"] = fleet.crashed()
    result["cpu"] = cpu.result()
    result["target_lag_p95_met"] = (
        result["stream"]["lag_seconds"].get("p95", 1e9) <= TARGET_LAG_P95_S
        and result["lost"] == 0
        and result["duplicates"] == 0
    )
    return result


# ---------------------------------------------------------------- list: the data


def _copy(table: str, columns: list[str], rows: Any) -> None:
    """COPY rows (tuples of Python values) into ``table``."""
    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def generate_list_data(rows: int, log: Any) -> dict[str, Any]:
    """One organization, 8 channels, 6 people, ``rows`` items over two years."""
    from django.db import connection, transaction
    from django.utils import timezone

    from pregonero.accounts.actions import set_roles
    from pregonero.accounts.models import Role, User
    from pregonero.core.models import Channel, Dependency, Organization
    from pregonero.inbox.deadlines import calendar_from, package_holidays
    from pregonero.inbox.workflow import (
        ItemKind,
        ItemState,
        PetitionState,
        Typology,
        term_for,
    )

    rng = random.Random(6)
    org = Organization.objects.create(
        slug="cvp-bandeja",
        name="Caja de la Vivienda Popular (carga de la Bandeja)",
        short_name="CVP",
        email_domains="cajaviviendapopular.gov.co",
    )
    oac = Dependency.objects.create(
        organization=org, name="Oficina Asesora de Comunicaciones",
        is_communications_office=True,
    )  # fmt: skip
    people = []
    for n, role in enumerate(
        [Role.JEFE, Role.PROFESIONAL, Role.PROFESIONAL, Role.PROFESIONAL,
         Role.PROFESIONAL, Role.PROFESIONAL]
    ):  # fmt: skip
        user = User.objects.create_user(
            username=f"bandeja{n}", password=None,
            email=f"bandeja{n}@cajaviviendapopular.gov.co",
            first_name=f"Persona{n}", last_name="Bandeja",
            organization=org, dependency=oac, position="Community manager",
        )  # fmt: skip
        with transaction.atomic():
            set_roles(None, user, [role])
        people.append(user)
    networks = ["facebook", "facebook", "instagram", "x", "x", "youtube",
                "linkedin", "mastodon"]  # fmt: skip
    channels = [
        Channel.objects.create(
            organization=org, kind=kind, name=f"{kind} {n}", handle=f"cvp{n}"
        )
        for n, kind in enumerate(networks)
    ]
    kinds_of = {
        "facebook": [ItemKind.COMMENT] * 4 + [ItemKind.DIRECT_MESSAGE],
        "instagram": [ItemKind.COMMENT] * 3 + [ItemKind.MENTION],
        "x": [ItemKind.MENTION] * 2 + [ItemKind.COMMENT],
        "youtube": [ItemKind.COMMENT],
        "linkedin": [ItemKind.COMMENT],
        "mastodon": [ItemKind.COMMENT, ItemKind.MENTION, ItemKind.DIRECT_MESSAGE],
    }
    weights = [30, 12, 14, 14, 6, 6, 8, 10]
    typologies = list(Typology.values)
    now = timezone.now()
    span = dt.timedelta(days=730)
    conversations_per_channel = max(1, rows // 400)
    log(
        f"  {pub.num(rows)} mensajes, {pub.num(conversations_per_channel * len(channels))} conversaciones…"
    )
    # Conversations: the posts' comment threads and the private ones.
    conv_columns = ["organization_id", "created_at", "channel_id", "thread_key",
                    "post_url", "last_item_at"]  # fmt: skip
    _copy(
        "inbox_conversation",
        conv_columns,
        (
            (org.pk, now, ch.pk, f"t{ch.pk}-{n}", "", now)
            for ch in channels
            for n in range(conversations_per_channel)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, channel_id FROM inbox_conversation WHERE organization_id = %s",
            [org.pk],
        )
        conversations: dict[int, list[int]] = defaultdict(list)
        for pk, channel_id in cursor.fetchall():
            conversations[channel_id].append(pk)
    item_columns = [
        "organization_id", "created_at", "conversation_id", "channel_id", "network",
        "kind", "platform_id", "author_handle", "author_name", "text", "url",
        "received_at", "ingested_at", "raw", "state", "typology", "assignee_id",
        "first_response_due", "responded_at", "response_url", "registered_by_id",
        "lock_version", "anonymised_at",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'inbox_inbounditem'"
        )
        present = {r[0] for r in cursor.fetchall()}
    item_columns = [c for c in item_columns if c in present]
    texts = [
        "¿Cuándo abren las inscripciones del subsidio en Ciudad Bolívar?",
        "Gracias por la información, muy clara.",
        "Llevo tres meses esperando respuesta sobre mi reasentamiento.",
        "Solicito información sobre el estado de la titulación de mi predio.",
        "Quiero presentar una queja por la atención en la obra de Usme.",
    ]
    petitions: list[
        tuple[int, dt.datetime, str]
    ] = []  # (row number, received, typology)

    # Denser towards today (a growing audience), never in the future; written
    # oldest first, as the readings append them (the table's physical order).
    ages = sorted((span * (rng.random() ** 1.6) for _n in range(rows)), reverse=True)

    def item_rows() -> Any:
        for n in range(rows):
            index = rng.choices(range(len(channels)), weights)[0]
            channel = channels[index]
            kind = rng.choice(kinds_of[channel.kind])
            age = ages[n]
            received = now - age
            recent = age < dt.timedelta(days=3)
            roll = rng.random()
            if recent and roll < 0.5:
                state, responded = ItemState.NEW, None
            elif roll < 0.03:
                state, responded = ItemState.NOT_APPLICABLE, None
            elif roll < 0.05:
                state, responded = ItemState.PETITION, received + dt.timedelta(hours=5)
            else:
                state = ItemState.INTERACTION
                responded = received + dt.timedelta(hours=2)
            typology = ""
            if state == ItemState.PETITION:
                typology = rng.choice(typologies)
                petitions.append((n, received, typology))
            assignee = people[1 + n % 5].pk if rng.random() < 0.6 else None
            values = {
                "organization_id": org.pk,
                "created_at": received,
                "conversation_id": rng.choice(conversations[channel.pk]),
                "channel_id": channel.pk,
                "network": channel.kind,
                "kind": kind,
                "platform_id": f"{channel.pk}-{n}",
                "author_handle": f"ciudadano{rng.randrange(200000)}",
                "author_name": "",
                "text": texts[n % len(texts)],
                "url": "",
                "received_at": received,
                "ingested_at": received + dt.timedelta(seconds=2),
                "raw": "{}",
                "state": state,
                "typology": typology,
                "assignee_id": assignee,
                "first_response_due": received + dt.timedelta(hours=8),
                "responded_at": responded,
                "response_url": "",
                "registered_by_id": None,
                "lock_version": 1,
                "anonymised_at": None,
            }
            yield tuple(values[c] for c in item_columns)

    started = time.monotonic()
    _copy("inbox_inbounditem", item_columns, item_rows())
    log(f"  mensajes escritos en {time.monotonic() - started:.0f} s; peticiones…")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, received_at, typology FROM inbox_inbounditem"
            " WHERE organization_id = %s AND state = %s ORDER BY id",
            [org.pk, ItemState.PETITION],
        )
        petition_items = cursor.fetchall()
    years = range(now.year - 3, now.year + 2)
    calendar = calendar_from(package_holidays(years))
    petition_columns = [
        "organization_id", "created_at", "item_id", "number", "typology", "term_days",
        "received_at", "start_date", "due_date", "original_due_date", "referral_due",
        "state", "radicado", "referred_to", "referral_note", "clarification_text",
        "extension_reason", "answer_text", "answer_url", "petitioner_name",
        "petitioner_document", "petitioner_contact", "lock_version",
    ]  # fmt: skip

    def petition_rows() -> Any:
        for n, (item_id, received, typology) in enumerate(petition_items):
            start = calendar.effective_receipt(received)
            days = term_for(typology)
            due = calendar.add_business_days(start, days)
            closed = received < now - dt.timedelta(days=45)
            yield (
                org.pk, received, item_id, f"PQRS-{n:07d}", typology, days, received,
                start, due, due, calendar.add_business_days(start, 5),
                PetitionState.CLOSED if closed else PetitionState.OPEN,
                f"{2000000 + n}" if closed or n % 2 else "", "", "", "", "",
                "Respuesta de fondo." if closed else "", "", "", "", "", 1,
            )  # fmt: skip

    _copy("inbox_petition", petition_columns, petition_rows())
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load: statistics and the
        # visibility map (index-only scans).
        cursor.execute("VACUUM ANALYZE")
    return {"rows": rows, "petitions": len(petition_items), "organization": org.slug}


# ---------------------------------------------------------------- list: the pages


LIST_PAGES = [
    ("todo", ""),
    ("sin_responder", "?estado=unanswered"),
    ("nuevos", "?estado=new"),
    ("red_x", "?red=x"),
    ("red_linkedin", "?red=linkedin"),
    ("asignados_a_mi", "?asignado=yo"),
    ("sin_asignar", "?asignado=nadie"),
    ("mensajes_privados", "?tipo=direct_message"),
    ("tipologia_queja", "?tipologia=queja"),
    ("vencidas", "?vencidas=1"),
    ("sin_radicado", "?radicado=sin"),
    ("facebook_sin_responder_mios", "?red=facebook&estado=unanswered&asignado=yo"),
    ("instagram_menciones_nuevas", "?red=instagram&tipo=mention&estado=new"),
    ("pagina_40", "?pagina=40"),
    ("x_pagina_20", "?red=x&pagina=20"),
    ("busqueda", "?q=reasentamiento"),
    ("busqueda_sin_resultados", "?q=inexistente"),
]
# Free text is searched through every message (no text index): reported, not
# part of the filters' target.
SEARCHES = ("busqueda", "busqueda_sin_resultados")


def run_list(args: argparse.Namespace, report: dict[str, Any]) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pregonero.accounts.models import User
    from pregonero.core.models import Organization
    from pregonero.inbox.models import InboundItem

    call_command("migrate", interactive=False, verbosity=0)
    if not (common.STATIC_DIR / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    org = Organization.objects.filter(slug="cvp-bandeja").first()
    have = InboundItem.objects.filter(organization=org).count() if org else 0
    if org is None or have != args.rows or args.regenerate:
        pub.log(f"base de datos {LIST_DB}: se genera de nuevo…")
        connection.close()
        common.drop_postgres_database(LIST_DB)
        common.create_postgres_database(LIST_DB)
        call_command("migrate", interactive=False, verbosity=0)
        started = time.monotonic()
        data = generate_list_data(args.rows, pub.log)
        data["seconds"] = round(time.monotonic() - started, 1)
        org = Organization.objects.get(slug="cvp-bandeja")
    else:
        data = {"rows": have, "reused": True}
    user = User.objects.get(username="bandeja1")  # a Profesional
    client = Client(raise_request_exception=False)
    client.force_login(user)
    results: dict[str, Any] = {"data": data, "pages": {}}
    for name, query in LIST_PAGES:
        if args.only_pages and name not in args.only_pages:
            continue
        path = f"/bandeja/{query}"
        for _ in range(args.warmup):
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        samples = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get(path, HTTP_HOST="127.0.0.1")
            samples.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(path, HTTP_HOST="127.0.0.1")
        slowest = sorted(
            ((float(q["time"]) * 1000, q["sql"]) for q in queries.captured_queries),
            reverse=True,
        )[:3]
        stats = pub.summary(samples)
        results["pages"][name] = {
            "path": path,
            "p50_ms": stats["p50"],
            "p95_ms": stats["p95"],
            "max_ms": stats["max"],
            "queries": len(queries.captured_queries),
            "slowest_queries": [
                {"ms": round(t, 1), "sql": s[:400]} for t, s in slowest
            ],
        }
        pub.log(
            f"  {name:<30} p50 {stats['p50']:>7.1f} ms  p95 {stats['p95']:>7.1f} ms  "
            f"{len(queries.captured_queries)} consultas"
        )
    timed = [p for n, p in results["pages"].items() if n not in SEARCHES]
    results["target_p95_met"] = all(p["p95_ms"] <= TARGET_LIST_P95_MS for p in timed)
    return results


# ---------------------------------------------------------------- main


def print_summary(results: dict[str, Any]) -> None:
    print()
    crisis = results.get("crisis")
    if crisis:
        stream = crisis["stream"]
        lag = stream["lag_seconds"]
        print("Bandeja en crisis / inbox crisis — PostgreSQL, 8 canales")
        print(
            f"  {pub.num(crisis['items'])} mensajes en {crisis['minutes']:g} min: "
            f"ofrecidos {pub.num(stream['offered_per_second'], 1)}/s, "
            f"ingeridos {pub.num(stream['items_per_second'], 1)}/s "
            f"(minuto más cargado: {pub.num(stream['busiest_minute_items'])})"
        )
        print(
            f"  retraso hora de la red → visible en la Bandeja (s): p50 {lag.get('p50')}"
            f"  p95 {lag.get('p95')}  p99 {lag.get('p99')}  máx {lag.get('max')}"
            f"  (meta p95 ≤ {TARGET_LAG_P95_S:g})"
        )
        burst = crisis.get("burst_drain")
        if burst:
            print(
                f"  ráfaga: {pub.num(burst['items'])} en {burst['seconds']} s → "
                f"capacidad {pub.num(burst['items_per_second'], 1)} mensajes/s"
            )
        print(
            f"  perdidos {crisis['lost']}, duplicados {crisis['duplicates']}; "
            f"meta cumplida: {'sí' if crisis['target_lag_p95_met'] else 'NO'}"
        )
    listing = results.get("list")
    if listing:
        print()
        print(
            f"Lista de la Bandeja / inbox list — PostgreSQL, "
            f"{pub.num(listing['data']['rows'])} mensajes (meta p95 ≤ "
            f"{TARGET_LIST_P95_MS:g} ms)"
        )
        for name, page in listing["pages"].items():
            print(
                f"  {name:<30} p50 {page['p50_ms']:>7.1f}  p95 {page['p95_ms']:>7.1f} ms"
                f"  {page['queries']:>3} consultas  {page['path']}"
            )
        print(f"  meta cumplida: {'sí' if listing['target_p95_met'] else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--items", type=int, default=50000)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--pages", default="", help="only these list pages")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args(argv)
    args.only = [n.strip() for n in args.only.split(",") if n.strip()]
    args.only_pages = [n.strip() for n in args.pages.split(",") if n.strip()]
    if set(args.only) - set(BENCHMARKS):
        parser.error(f"unknown benchmark(s): {args.only}")
    started_at = pub.now()
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_dir = common.RESULTS_DIR / f"{stamp}-inbox-logs"
    log_dir.mkdir()
    var_dir = Path(tempfile.mkdtemp(prefix="pregonero-bench-inbox-"))
    args.port = pub.free_port()
    # One process, one database: the crisis's, or the list's when only it runs.
    db = CRISIS_DB if "crisis" in args.only else LIST_DB
    common.create_postgres_database(db)
    pub.BENCH_DB = db  # the CPU meter's and probe's database
    configure(db, f"http://127.0.0.1:{args.port}", var_dir)
    report: dict[str, Any] = {
        "started_at": started_at.isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
        },
        "settings": knobs(),
        "arguments": dict(vars(args).items()),
        "results": {},
    }
    result_file = common.RESULTS_DIR / f"{stamp}-inbox.json"
    try:
        if "crisis" in args.only:
            report["database"] = pub.database_version()
            report["results"]["crisis"] = run_crisis(args, log_dir, report)
            write(result_file, report)
        if "list" in args.only:
            if db != LIST_DB:
                # The list has its own database: a fresh process measures it.
                from django.db import connections

                connections.close_all()
                write(result_file, report)
                rest = list(argv or sys.argv[1:])
                code = subprocess.call(
                    [sys.executable, __file__, *strip_only(rest), "--only", "list"],
                    cwd=common.ROOT,
                )
                return code
            report["database"] = pub.database_version()
            report["results"]["list"] = run_list(args, report)
            write(result_file, report)
    finally:
        report["finished_at"] = pub.now().isoformat()
        write(result_file, report)
    print_summary(report["results"])
    print(f"\nResultados / results: {result_file}")
    return 0


def strip_only(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--only":
            skip = True
            continue
        if arg.startswith("--only="):
            continue
        out.append(arg)
    return out


def write(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    sys.exit(main())
