"""Estadísticas and the monthly report on a large installation (issue 4).

    .venv/bin/python benchmarks/analytics.py                    # SQLite and PostgreSQL
    .venv/bin/python benchmarks/analytics.py --db sqlite --repeat 50
    .venv/bin/python benchmarks/analytics.py --only dashboard --keep-db

The data: one organization, 12 channels on eight networks, 3 years of daily
account figures ending yesterday under each network's own metric names
(``mapping.DEFAULT_MAPPINGS``), and 30,000 posts with lifetime snapshots 1, 7
and 28 days after publication — written in bulk (``datagen.TableWriter``:
prepared INSERT on SQLite, COPY on PostgreSQL). The SQLite file
(``benchmarks/data/analytics.sqlite3``) and the PostgreSQL database
``pregonero_bench_analytics`` are created here and removed at the end unless
``--keep-db``.

* **dashboard** — ``/estadisticas/`` with the default filters (last 30 days)
  and with the last 12 months, the "Ver datos" page and
  ``GET /api/v1/metrics/summary`` for 12 months, requested in-process with
  Django's test ``Client`` by a logged-in Profesional (production settings:
  ``DEBUG=0``, manifest static files): warm-ups, then ``--repeat`` timed
  requests, p50 and p95 (nearest rank), and the queries of one more request.
  Target: p95 ≤ 150 ms.
* **report** — ``call_command("report", "monthly", ...)`` for the last complete
  month in html, pdf, docx and xlsx, each format in its own child process
  (``--report-runs`` times): p50 of the wall time and the child's peak resident
  memory (``ru_maxrss``, which includes Django itself). Targets: p50 ≤ 3 s,
  peak ≤ 500 MB.

Each database is measured in its own process (the settings read the database
from the environment at import). Results go to
``benchmarks/results/<timestamp>-analytics.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common

BENCH_DB = "pregonero_bench_analytics"
SQLITE_FILE = common.DATA_DIR / "analytics.sqlite3"
TARGET_DASHBOARD_P95_MS = 150.0
TARGET_REPORT_P50_S = 3.0
TARGET_REPORT_PEAK_MB = 500.0
FORMATS = ("html", "pdf", "docx", "xlsx")
ORG_SLUG = "bench-analytics"
# (kind, name); the second account of four networks belongs to a dependency.
CHANNELS = [
    ("facebook", "Facebook — entidad"),
    ("instagram", "Instagram — entidad"),
    ("x", "X — entidad"),
    ("youtube", "YouTube — entidad"),
    ("linkedin", "LinkedIn — entidad"),
    ("tiktok", "TikTok — entidad"),
    ("mastodon", "Mastodon — entidad"),
    ("bluesky", "Bluesky — entidad"),
    ("facebook", "Facebook — Dirección de Reasentamientos"),
    ("instagram", "Instagram — Dirección de Reasentamientos"),
    ("x", "X — Dirección de Reasentamientos"),
    ("youtube", "YouTube — Dirección de Reasentamientos"),
]
SNAPSHOT_DAYS = ((1, 0.6), (7, 0.92), (28, 1.0))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def num(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


# ---------------------------------------------------------------- one database


def configure(db: str) -> None:
    """Point this process at the benchmark database and set Django up."""
    common.DATA_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "pregonero.settings"
    os.environ["DEBUG"] = "0"
    os.environ["PREGONERO_MFA_ENFORCED"] = "1"
    os.environ["STATIC_ROOT"] = str(common.STATIC_DIR)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name in ("PREGONERO_TESTING", "PREGONERO_TASKS_BACKEND"):
        os.environ.pop(name, None)
    if db == "sqlite":
        os.environ["DATABASE_URL"] = ""
        os.environ["SQLITE_PATH"] = str(SQLITE_FILE)
    else:
        common.create_postgres_database(BENCH_DB)
        os.environ["DATABASE_URL"] = common.postgres_url(BENCH_DB)
        os.environ.pop("SQLITE_PATH", None)
    import django

    django.setup()


def remove_database(db: str) -> None:
    if db == "sqlite":
        common.delete_sqlite_files(SQLITE_FILE)
    else:
        common.drop_postgres_database(BENCH_DB)


def generate(args: argparse.Namespace) -> dict[str, Any]:
    """The organization, its people and channels, and the figures."""
    import datagen
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from pregonero.accounts.actions import set_roles
    from pregonero.accounts.models import Role, User
    from pregonero.analytics.mapping import DEFAULT_MAPPINGS
    from pregonero.analytics.models import (
        Concept,
        MetricSource,
        MetricValue,
        NetworkPost,
        Scope,
    )
    from pregonero.core.models import Channel, Dependency, Organization

    began = time.perf_counter()
    rng = random.Random(2026)
    org = Organization.objects.create(slug=ORG_SLUG, name="Entidad de referencia")
    oac = Dependency.objects.create(
        organization=org, name="Oficina Asesora de Comunicaciones"
    )
    dr = Dependency.objects.create(
        organization=org, name="Dirección de Reasentamientos"
    )
    user = User.objects.create_user(
        username="bench-profesional",
        password="clave-de-referencia-123",
        organization=org,
        dependency=oac,
        first_name="Profesional",
    )
    with transaction.atomic():
        set_roles(None, user, [Role.PROFESIONAL])
    channels = [
        Channel.objects.create(
            organization=org,
            kind=kind,
            name=name,
            handle=name.split(" — ")[0].lower(),
            owner_dependency=dr if "Dirección" in name else oac,
        )
        for kind, name in CHANNELS[: args.channels]
    ]
    end = timezone.localdate() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=round(365.25 * args.years) - 1)
    days = (end - start).days + 1
    now = timezone.now()
    values = datagen.TableWriter(MetricValue, with_pk=False)
    posts_writer = datagen.TableWriter(NetworkPost, with_pk=True)
    n_values = n_posts = 0
    per_channel = [args.posts // len(channels)] * len(channels)
    per_channel[0] += args.posts - sum(per_channel)
    tz = timezone.get_current_timezone()
    post_id = 0
    with datagen.bulk_load():
        for channel, post_count in zip(channels, per_channel, strict=True):
            network = channel.kind
            account = [
                (metric, concept)
                for (net, scope, metric), (concept, _f) in DEFAULT_MAPPINGS.items()
                if net == network and scope == Scope.ACCOUNT
            ]
            post_metrics = [
                (metric, concept)
                for (net, scope, metric), (concept, _f) in DEFAULT_MAPPINGS.items()
                if net == network and scope == Scope.POST
            ]
            rows: list[datagen.Row] = []
            followers = rng.uniform(2_000, 40_000)
            base = rng.uniform(500, 8_000)
            for i in range(days):
                day = start + dt.timedelta(days=i)
                weekly = (1.1, 1.12, 1.1, 1.05, 1.0, 0.7, 0.65)[day.weekday()]
                followers += rng.uniform(-2, 12)
                for metric, concept in account:
                    if concept == Concept.FOLLOWERS:
                        value = round(followers)
                    else:
                        share = {
                            Concept.REACH: 1.0,
                            Concept.VIEWS: 1.8,
                            Concept.VIDEO_VIEWS: 0.4,
                            Concept.WATCH_TIME: 1.2,
                        }.get(concept, 0.03)
                        value = round(base * weekly * share * rng.uniform(0.7, 1.3))
                    rows.append(
                        datagen.Row(
                            organization_id=org.pk,
                            channel_id=channel.pk,
                            post_id=None,
                            metric=metric,
                            api_version="bench",
                            date=day,
                            value=float(value),
                            captured_at=now,
                            source=MetricSource.API,
                            import_batch_id=None,
                        )
                    )
            values.write(rows)
            n_values += len(rows)
            post_rows: list[datagen.Row] = []
            rows = []
            for k in range(post_count):
                post_id += 1
                day = start + dt.timedelta(days=rng.randrange(days))
                published = dt.datetime.combine(
                    day, dt.time(rng.randrange(7, 21), rng.randrange(60)), tzinfo=tz
                )
                post_rows.append(
                    datagen.Row(
                        id=post_id,
                        organization_id=org.pk,
                        created_at=now,
                        updated_at=now,
                        channel_id=channel.pk,
                        platform_id=f"{network}-{channel.pk}-{k}",
                        publication_id=None,
                        published_at=published,
                        permalink=f"https://example.org/{network}/{channel.pk}/{k}",
                        text=f"Publicación de referencia {k} de {channel.name}",
                        post_type="post",
                        thumbnail_url="",
                    )
                )
                final = rng.lognormvariate(math.log(base / 3), 0.7)
                for after, share in SNAPSHOT_DAYS:
                    snap = day + dt.timedelta(days=after)
                    if snap > end:
                        break
                    for metric, concept in post_metrics:
                        part = {
                            Concept.REACH: 1.0,
                            Concept.VIEWS: 1.7,
                            Concept.VIDEO_VIEWS: 0.5,
                            Concept.WATCH_TIME: 1.1,
                        }.get(concept, 0.02)
                        rows.append(
                            datagen.Row(
                                organization_id=org.pk,
                                channel_id=channel.pk,
                                post_id=post_id,
                                metric=metric,
                                api_version="bench",
                                date=snap,
                                value=float(round(final * share * part)),
                                captured_at=now,
                                source=MetricSource.API,
                                import_batch_id=None,
                            )
                        )
            posts_writer.write(post_rows)
            values.write(rows)
            n_posts += len(post_rows)
            n_values += len(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [NetworkPost, MetricValue]
            ):
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "channels": len(channels),
        "days": days,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "posts": n_posts,
        "metric_values": n_values,
        "seconds": round(time.perf_counter() - began, 1),
    }


def reused_data() -> dict[str, Any]:
    from django.db.models import Max, Min

    from pregonero.analytics.models import MetricValue, NetworkPost
    from pregonero.core.models import Channel

    span = MetricValue.objects.filter(post__isnull=True).aggregate(
        start=Min("date"), end=Max("date")
    )
    return {
        "channels": Channel.objects.filter(organization__slug=ORG_SLUG).count(),
        "days": (span["end"] - span["start"]).days + 1,
        "start": span["start"].isoformat(),
        "end": span["end"].isoformat(),
        "posts": NetworkPost.objects.count(),
        "metric_values": MetricValue.objects.count(),
        "seconds": 0.0,
        "reused": True,
    }


def measure_pages(args: argparse.Namespace) -> list[dict[str, Any]]:
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from pregonero.accounts.actions import create_api_token
    from pregonero.accounts.models import User

    user = User.objects.get(username="bench-profesional")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    with transaction.atomic():
        _token, secret = create_api_token(
            user, name="benchmark", expires_at=timezone.now() + dt.timedelta(days=1)
        )
    api_headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    pages = [
        (
            "dashboard_30d",
            "Estadísticas, últimos 30 días (por defecto)",
            "/estadisticas/",
            {},
        ),
        (
            "dashboard_12m",
            "Estadísticas, últimos 12 meses",
            "/estadisticas/?periodo=12m",
            {},
        ),
        (
            "datos_12m",
            "Ver datos: alcance, 12 meses",
            "/estadisticas/datos/?periodo=12m&ambito=account&concepto=reach",
            {},
        ),
        (
            "api_summary_12m",
            "API GET /api/v1/metrics/summary?period=12m",
            "/api/v1/metrics/summary?period=12m",
            api_headers,
        ),
    ]
    results = []
    for name, label, path, headers in pages:

        def get(path: str = path, headers: dict[str, str] = headers) -> Any:
            response = client.get(path, HTTP_HOST="127.0.0.1", **headers)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            return response

        for _ in range(args.warmup):
            get()
        samples = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            response = get()
            samples.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as captured:
            get()
        results.append(
            {
                "name": name,
                "label": label,
                "path": path,
                "p50_ms": round(percentile(samples, 0.5), 1),
                "p95_ms": round(percentile(samples, 0.95), 1),
                "max_ms": round(max(samples), 1),
                "queries": len(captured),
                "bytes": len(response.content),
                "samples_ms": [round(s, 2) for s in samples],
                "meets_target": percentile(samples, 0.95) <= TARGET_DASHBOARD_P95_MS,
            }
        )
        log(
            f"  {label}: p50 {num(results[-1]['p50_ms'])} ms, "
            f"p95 {num(results[-1]['p95_ms'])} ms, {len(captured)} consultas"
        )
    return results


def report_month() -> str:
    from django.utils import timezone

    first = timezone.localdate().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def report_available() -> str | None:
    """Why the report cannot be measured, or None."""
    from django.core.management import get_commands

    if "report" not in get_commands():
        return "el comando «report» no existe todavía"
    return None


def measure_reports(args: argparse.Namespace, db: str) -> dict[str, Any]:
    reason = report_available()
    if reason:
        log(f"  Informe omitido: {reason}.")
        return {"skipped": reason}
    month = report_month()
    results: dict[str, Any] = {"month": month, "formats": {}}
    for fmt in FORMATS:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--report-child",
            db,
            fmt,
            month,
            str(args.report_runs),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            error = (done.stderr or done.stdout)[-2000:]
            results["formats"][fmt] = {"error": error}
            log(f"  Informe {fmt}: falló ({error.strip().splitlines()[-1:]})")
            continue
        row = json.loads(lines[-1])
        row["meets_target"] = (
            row["p50_s"] <= TARGET_REPORT_P50_S
            and row["peak_rss_mb"] <= TARGET_REPORT_PEAK_MB
        )
        results["formats"][fmt] = row
        log(
            f"  Informe {fmt}: p50 {num(row['p50_s'], 2)} s, "
            f"pico de memoria {num(row['peak_rss_mb'], 0)} MB, {num(row['bytes'], 0)} bytes"
        )
    return results


def report_child(db: str, fmt: str, month: str, runs: int) -> None:
    """Run the report command ``runs`` times; print timings and peak RSS as JSON."""
    import resource

    configure(db)
    from django.core.management import call_command

    samples = []
    size = 0
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / f"informe.{fmt}"
        for _ in range(runs):
            began = time.perf_counter()
            call_command(
                "report",
                "monthly",
                org=ORG_SLUG,
                month=month,
                format=fmt,
                output=str(output),
            )
            samples.append(time.perf_counter() - began)
            size = output.stat().st_size
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "runs": runs,
                "samples_s": [round(s, 3) for s in samples],
                "p50_s": round(percentile(samples, 0.5), 3),
                "peak_rss_mb": round(peak_kib / 1024, 1),
                "bytes": size,
            }
        )
    )


def child(args: argparse.Namespace) -> None:
    db = args.child
    reuse = args.reuse and (
        SQLITE_FILE.exists()
        if db == "sqlite"
        else common.postgres_database_exists(BENCH_DB)
    )
    if not reuse:
        remove_database(db)
    configure(db)
    from django.core.management import call_command

    log(f"{common.DB_LABELS[db]}: migrando")
    call_command("migrate", interactive=False, verbosity=0)
    if not (common.STATIC_DIR / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    from pregonero.core.models import Organization

    if reuse and Organization.objects.filter(slug=ORG_SLUG).exists():
        log(f"{common.DB_LABELS[db]}: se reutilizan los datos generados antes")
        data = reused_data()
    else:
        log(f"{common.DB_LABELS[db]}: generando los datos")
        data = generate(args)
    log(
        f"  {data['channels']} canales, {data['days']} días, {data['posts']} publicaciones, "
        f"{data['metric_values']} valores en {num(data['seconds'])} s"
    )
    result: dict[str, Any] = {"db": db, "data": data}
    if "dashboard" in args.only:
        log(f"{common.DB_LABELS[db]}: tablero")
        result["pages"] = measure_pages(args)
    if "report" in args.only:
        log(f"{common.DB_LABELS[db]}: informe mensual")
        result["report"] = measure_reports(args, db)
    from django.db import connection

    result["database_version"] = (
        connection.cursor().connection.info.server_version
        if connection.vendor == "postgresql"
        else __import__("sqlite3").sqlite_version
    )
    connection.close()
    Path(args.result_file).write_text(json.dumps(result, default=str))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--report-runs", type=int, default=3)
    parser.add_argument("--posts", type=int, default=30_000)
    parser.add_argument("--channels", type=int, default=12)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument(
        "--only",
        default="dashboard,report",
        help="dashboard, report (separados por coma)",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Reutiliza los datos de una ejecución anterior con --keep-db.",
    )
    parser.add_argument(
        "--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS
    )
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    parser.add_argument("--report-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.only = {x.strip() for x in args.only.split(",") if x.strip()}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_child:
        db, fmt, month, runs = args.report_child
        report_child(db, fmt, month, int(runs))
        return 0
    if args.child:
        child(args)
        return 0
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "settings": {
            k: v
            for k, v in vars(args).items()
            if k not in {"child", "result_file", "report_child"}
        },
        "targets": {
            "dashboard_p95_ms": TARGET_DASHBOARD_P95_MS,
            "report_p50_s": TARGET_REPORT_P50_S,
            "report_peak_mb": TARGET_REPORT_PEAK_MB,
        },
        "databases": {},
    }
    results["settings"]["only"] = sorted(args.only)
    failed = False
    for db in dbs:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            result_file = handle.name
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            db,
            "--result-file",
            result_file,
            "--repeat",
            str(args.repeat),
            "--warmup",
            str(args.warmup),
            "--report-runs",
            str(args.report_runs),
            "--posts",
            str(args.posts),
            "--channels",
            str(args.channels),
            "--years",
            str(args.years),
            "--only",
            ",".join(sorted(args.only)),
            *(["--reuse"] if args.reuse else []),
        ]
        try:
            done = subprocess.run(command, check=False)
            text = Path(result_file).read_text() if Path(result_file).exists() else ""
            if done.returncode != 0 or not text:
                failed = True
                results["databases"][db] = {"error": f"exit {done.returncode}"}
            else:
                results["databases"][db] = json.loads(text)
        finally:
            Path(result_file).unlink(missing_ok=True)
            if not args.keep_db:
                remove_database(db)
    print_summary(results)
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = common.RESULTS_DIR / f"{stamp}-analytics.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nResultados: {path}")
    return 1 if failed else 0


def print_summary(results: dict[str, Any]) -> None:
    print("\nResumen (objetivos: tablero p95 ≤ 150 ms; informe p50 ≤ 3 s y ≤ 500 MB)")
    for db, result in results["databases"].items():
        label = common.DB_LABELS[db]
        if "error" in result:
            print(f"  {label}: error ({result['error']})")
            continue
        for page in result.get("pages", []):
            mark = "cumple" if page["meets_target"] else "NO CUMPLE"
            print(
                f"  {label:10} {page['label']:48} p50 {num(page['p50_ms']):>7} ms  "
                f"p95 {num(page['p95_ms']):>7} ms  {page['queries']:>3} consultas  {mark}"
            )
        report = result.get("report") or {}
        if "skipped" in report:
            print(f"  {label:10} informe omitido: {report['skipped']}")
        for fmt, row in (report.get("formats") or {}).items():
            if "error" in row:
                print(f"  {label:10} informe {fmt}: error")
                continue
            mark = "cumple" if row["meets_target"] else "NO CUMPLE"
            print(
                f"  {label:10} informe {fmt:5} p50 {num(row['p50_s'], 2):>6} s  "
                f"pico {num(row['peak_rss_mb'], 0):>5} MB  {mark}"
            )


if __name__ == "__main__":
    sys.exit(main())
