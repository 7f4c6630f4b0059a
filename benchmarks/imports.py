"""Importing a hand-downloaded export: time and memory, and hostile files refused.

    .venv/bin/python benchmarks/imports.py                  # SQLite and PostgreSQL
    .venv/bin/python benchmarks/imports.py --db sqlite --rows 50000

The issue's target (activity 15, §3): importing a **200,000-row export** takes
≤ 20 s with a peak memory ≤ 300 MB, and a hostile file — a zip that inflates to
gigabytes, a 10-million-row CSV — is refused with a clear message before it
exhausts memory or disk.

The export is a Meta Business Suite Facebook post file (social_apis.md §8.1:
UTF-8 with BOM, 28 columns, captions with newlines), ``--rows`` posts (200,000)
with six or seven figures each. Each database is measured in its own child
process (the settings read the database at import): SQLite in a fresh file
under ``benchmarks/data/``, PostgreSQL in the database
``pregonero_bench_imports`` (created, then dropped) on ``BENCH_POSTGRES_URL``.
The child runs the real actions a person runs: ``preview_export`` (checks the
file, reads it once, counts what exists), ``confirm_import`` (writes it), then
both again for the same file (nothing counted twice), then the hostile files:

* a zip whose member inflates to ``--bomb-gib`` GiB (2) of zeros;
* a 10-million-row daily CSV of realistic width (over the upload limit);
* a 10-million-row CSV of tiny rows that fits under the upload limit (refused
  by the row limit, 2,000,000, while streaming).

Memory is the resident set: before each step the peak is reset
(``/proc/self/clear_refs``), and the step's **peak growth** (VmHWM − VmRSS at
the start) and the process's absolute peak are reported. Results go to
``benchmarks/results/<timestamp>-imports.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import gc
import json
import os
import platform
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import common

BENCH_DB = "pregonero_bench_imports"
TARGET_SECONDS = 20.0
TARGET_MB = 300.0
WORK_DIR = common.DATA_DIR / "imports"

FB_HEADER = [
    "Post ID", "Page ID", "Page name", "Title", "Description", "Duration (sec)",
    "Publish time", "Caption type", "Permalink", "Is crosspost", "Is share",
    "Post type", "Languages", "Custom labels", "Funded content status",
    "Data comment", "Date", "Views", "Reach", "Reactions, Comments and Shares",
    "Reactions", "Comments", "Shares", "Total clicks", "Other Clicks",
    "Link Clicks", "3-Second Video Views", "Seconds viewed",
]  # fmt: skip


# ---------------------------------------------------------------- files


def make_export(path: Path, rows: int) -> None:
    rng = random.Random(4)
    start = dt.datetime(2025, 11, 1, 6, 0, tzinfo=dt.UTC)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FB_HEADER)
        for i in range(rows):
            published = start + dt.timedelta(minutes=i * 2)
            video = i % 3 == 0
            views = rng.randint(50, 50_000)
            reactions, comments, shares = (
                rng.randint(0, 900),
                rng.randint(0, 120),
                rng.randint(0, 80),
            )
            caption = (
                f"Publicación {i}: avance de obras y trámites de la Caja de la "
                f"Vivienda Popular.\nMás información en la sede."
            )
            writer.writerow(
                [
                    str(10**15 + i), "102030405060708", "Caja de la Vivienda Popular",
                    "", caption, "45" if video else "0",
                    published.strftime("%m/%d/%Y %H:%M"), "N/A",
                    f"https://www.facebook.com/102030405060708/posts/{10**15 + i}",
                    "0", "0", "Videos" if video else "Photos", "", "", "", "",
                    "Lifetime", views, views // 2, reactions + comments + shares,
                    reactions, comments, shares, rng.randint(0, 400),
                    rng.randint(0, 200), rng.randint(0, 200),
                    rng.randint(10, 9000) if video else "", rng.randint(0, 9999),
                ]
            )  # fmt: skip


def make_bomb(path: Path, gib: int) -> None:
    """A real zip: one CSV member that inflates to ``gib`` GiB of zeros."""
    chunk = b"0" * (16 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("Table data.csv", "w", force_zip64=True) as member,
    ):
        member.write(b"Content,Video title,Views\n")
        for _ in range((gib << 30) // len(chunk)):
            member.write(chunk)


def make_rows(path: Path, rows: int, *, compact: bool) -> None:
    """A Meta page-level daily file with ``rows`` rows (UTF-8, sep= and title)."""
    line = b"1,1\n" if compact else b'"2026-10-01T00:00:00","1234"\n'
    block = line * 100_000
    with path.open("wb") as handle:
        handle.write(b'sep=,\n"Views"\n"Date","Primary"\n')
        for _ in range(rows // 100_000):
            handle.write(block)


# ---------------------------------------------------------------- child


def _status(field: str) -> float:
    for text in Path("/proc/self/status").read_text().splitlines():
        if text.startswith(field + ":"):
            return int(text.split()[1]) / 1024  # MiB
    return 0.0


def measure(fn: Any) -> dict[str, Any]:
    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM)
    base = _status("VmRSS")
    started = time.perf_counter()
    outcome: dict[str, Any] = {}
    try:
        outcome = fn() or {}
    except Exception as error:  # noqa: BLE001 - the hostile files are expected to fail
        outcome = {
            "refused": True,
            "error": type(error).__name__,
            "code": getattr(error, "code", ""),
            "message": getattr(error, "message", str(error)),
        }
    seconds = time.perf_counter() - started
    peak = _status("VmHWM")
    return {
        "seconds": round(seconds, 3),
        "rss_start_mb": round(base, 1),
        "rss_peak_mb": round(peak, 1),
        "peak_growth_mb": round(peak - base, 1),
        **outcome,
    }


def child(db: str, work: Path) -> dict[str, Any]:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "pregonero.settings",
            "DEBUG": "0",
            "MEDIA_ROOT": str(work / f"media-{db}"),
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("PREGONERO_TESTING", "PREGONERO_TASKS_BACKEND"):
        os.environ.pop(name, None)
    if db == "sqlite":
        sqlite = work / "bench-imports.sqlite3"
        common.delete_sqlite_files(sqlite)
        os.environ["DATABASE_URL"] = ""
        os.environ["SQLITE_PATH"] = str(sqlite)
    else:
        os.environ["DATABASE_URL"] = common.postgres_url(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", interactive=False, verbosity=0)

    from pregonero.accounts.actions import set_roles
    from pregonero.accounts.models import Role, User
    from pregonero.analytics import imports
    from pregonero.analytics.models import MetricValue, NetworkPost
    from pregonero.core.models import Channel, NetworkKind, Organization

    org = Organization.objects.create(
        slug="cvp", name="Caja de la Vivienda Popular", short_name="CVP"
    )
    user = User.objects.create_user(
        username="profesional", password="x-bench-x", organization=org
    )
    with transaction.atomic():
        set_roles(None, user, [Role.PROFESIONAL])
    channel = Channel.objects.create(
        organization=org,
        kind=NetworkKind.SANDBOX,
        imitates="facebook",
        name="Facebook CVP",
    )
    export = work / "facebook_posts.csv"
    results: dict[str, Any] = {
        "database": db,
        "vendor": connection.vendor,
        "export_mb": round(export.stat().st_size / 1024 / 1024, 1),
    }
    state: dict[str, Any] = {}

    def preview() -> dict[str, Any]:
        with export.open("rb") as handle:
            batch = imports.preview_export(user, channel, handle, export.name)
        state["batch"] = batch
        return {
            "status": batch.status,
            "format": batch.file_format,
            "rows": batch.rows_read,
            "values": batch.preview["values"],
            "values_existing": batch.preview["values_existing"],
        }

    def confirm() -> dict[str, Any]:
        batch = imports.confirm_import(user, state["batch"])
        return {
            "rows": batch.rows_read,
            "values_written": batch.values_written,
            "replaced": batch.preview["result"]["replaced"],
            "posts": batch.posts_written,
            "metric_values_in_db": MetricValue.objects.count(),
            "posts_in_db": NetworkPost.objects.count(),
        }

    results["preview"] = measure(preview)
    results["import"] = measure(confirm)
    results["reimport_preview"] = measure(preview)
    results["reimport"] = measure(confirm)

    def refuse(path: Path) -> Any:
        def run() -> dict[str, Any]:
            with path.open("rb") as handle:
                imports.preview_export(user, channel, handle, path.name)
            return {"refused": False}

        return run

    for name, file_name in (
        ("zip_bomb", "bomb.zip"),
        ("rows_10m_wide", "rows-10m-wide.csv"),
        ("rows_10m_compact", "rows-10m-compact.csv"),
    ):
        path = work / file_name
        result = measure(refuse(path))
        result["file_mb"] = round(path.stat().st_size / 1024 / 1024, 1)
        results[name] = result
    from pregonero.analytics.importers import Limits

    limits = Limits.from_settings()
    results["limits"] = {
        "max_upload_mb": limits.max_bytes >> 20,
        "max_rows": limits.max_rows,
        "max_uncompressed_mb": limits.max_uncompressed >> 20,
        "max_zip_ratio": limits.max_ratio,
    }
    connection.close()
    return results


# ---------------------------------------------------------------- parent


def run_child(db: str, work: Path) -> dict[str, Any]:
    if db == "postgres":
        common.drop_postgres_database(BENCH_DB)
        common.create_postgres_database(BENCH_DB)
    try:
        process = subprocess.run(
            [sys.executable, __file__, "--child", db, "--work", str(work)],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        if db == "postgres":
            common.drop_postgres_database(BENCH_DB)
    if process.returncode != 0:
        sys.stderr.write(process.stderr)
        raise SystemExit(f"{db}: the child process failed")
    return json.loads(process.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "OK" if ok else "NO CUMPLE"


def print_summary(report: dict[str, Any]) -> None:
    for db, r in report["databases"].items():
        label = common.DB_LABELS[db]
        print(f"\n{label} — {report['rows']:,} filas ({r['export_mb']} MB)")
        for step in ("preview", "import", "reimport_preview", "reimport"):
            s = r[step]
            print(
                f"  {step:17} {s['seconds']:7.2f} s   pico +{s['peak_growth_mb']:6.1f} MB "
                f"(RSS máx. {s['rss_peak_mb']:.0f} MB)   valores {s.get('values_written', s.get('values', ''))}"
            )
        total = r["preview"]["seconds"] + r["import"]["seconds"]
        peak = max(r["preview"]["peak_growth_mb"], r["import"]["peak_growth_mb"])
        print(
            f"  vista previa + importación: {total:.2f} s "
            f"[{verdict(total <= TARGET_SECONDS)} ≤ {TARGET_SECONDS:.0f} s]; "
            f"pico de memoria +{peak:.1f} MB [{verdict(peak <= TARGET_MB)} ≤ {TARGET_MB:.0f} MB]"
        )
        same = (
            r["reimport"]["metric_values_in_db"] == r["import"]["metric_values_in_db"]
        )
        print(f"  reimportar el mismo archivo no duplica: {verdict(same)}")
        for name in ("zip_bomb", "rows_10m_wide", "rows_10m_compact"):
            s = r[name]
            print(
                f"  {name:17} {s['file_mb']:7.1f} MB → "
                f"{'rechazado' if s.get('refused') else '¡ACEPTADO!'} en {s['seconds']:.2f} s, "
                f"pico +{s['peak_growth_mb']:.1f} MB: {s.get('message', '')}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--bomb-gib", type=int, default=2)
    parser.add_argument(
        "--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS
    )
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.work)))
        return 0
    work = WORK_DIR
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"Generando archivos en {work} …")
    make_export(work / "facebook_posts.csv", args.rows)
    make_bomb(work / "bomb.zip", args.bomb_gib)
    make_rows(work / "rows-10m-wide.csv", 10_000_000, compact=False)
    make_rows(work / "rows-10m-compact.csv", 10_000_000, compact=True)
    print(f"  listo en {time.perf_counter() - started:.1f} s")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report: dict[str, Any] = {
        "benchmark": "imports",
        "started": dt.datetime.now(dt.UTC).isoformat(),
        "rows": args.rows,
        "bomb_gib": args.bomb_gib,
        "targets": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_MB},
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "databases": {},
    }
    for db in dbs:
        print(f"Midiendo en {common.DB_LABELS[db]} …")
        report["databases"][db] = run_child(db, work)
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    result_file = common.RESULTS_DIR / f"{stamp}-imports.json"
    result_file.write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=str)
    )
    print_summary(report)
    print(f"\nResultados / results: {result_file}")
    for name in ("bomb.zip", "rows-10m-wide.csv", "rows-10m-compact.csv"):
        (work / name).unlink(missing_ok=True)  # large; regenerated on each run
    return 0


if __name__ == "__main__":
    sys.exit(main())
