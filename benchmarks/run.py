"""``make bench``: server time and queries of the busiest pages on a large installation.

    make bench                                         # scale 1.0, SQLite and PostgreSQL
    make bench BENCH_ARGS="--scale 0.05 --db sqlite"   # a quick run
    .venv/bin/python benchmarks/run.py --only piezas,api_piezas --repeat 50

For each database the data of ``--scale`` is generated if missing (see
``generate.py``), then every page is requested in-process with Django's test
``Client`` — the whole request/response cycle (middleware, view, queries,
template), no network — by the persona who uses it, in the largest organization:
10 warm-ups, then ``--repeat`` timed requests (p50 and p95, nearest rank). One more
request under ``CaptureQueriesContext`` counts the queries, and the same page in
the smallest organization (a tenth of the data) shows whether that count grows
with the data. Results go to ``benchmarks/results/<timestamp>-<db>.json``.

With ``--db both`` each database is measured in its own process (the settings
read the database from the environment at import), then the p95 ratios are
printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import common

TARGET_P95_MS = 50.0
SAMPLE_SQL_CHARS = 400
# The same statement (numbers and strings aside) this many times looks like N+1.
REPEAT_WARNING = 3


@dataclass(frozen=True)
class PageSpec:
    name: str
    label: str
    persona: str  # jefe, profesional, api_profesional, api_auditor


PAGES = [
    PageSpec("mi_trabajo", "Mi trabajo (Jefe)", "jefe"),
    PageSpec("piezas", "Lista de piezas", "profesional"),
    PageSpec("calendario", "Calendario, vista de mes", "profesional"),
    PageSpec("pieza", "Página de una pieza", "profesional"),
    PageSpec("revision", "Revisión del texto (PC1)", "jefe"),
    PageSpec("api_piezas", "API GET /api/v1/pieces", "api_profesional"),
    PageSpec("api_necesidades", "API GET /api/v1/needs", "api_profesional"),
    PageSpec("api_publicaciones", "API GET /api/v1/publications", "api_profesional"),
    PageSpec("api_auditoria", "API GET /api/v1/audit-events", "api_auditor"),
    PageSpec("api_plan", "API GET /api/v1/plan-items", "api_profesional"),
    PageSpec("api_reuniones", "API GET /api/v1/meetings", "api_profesional"),
]
PAGE_NAMES = [p.name for p in PAGES]


@dataclass
class PageResult:
    name: str
    label: str
    path: str
    samples_ms: list[float]
    p50_ms: float | None
    p95_ms: float | None
    mean_ms: float | None
    queries: int
    queries_small: int | None
    path_small: str | None
    p50_small_ms: float | None
    response_bytes: int
    repeated_queries: list[dict[str, Any]] = field(default_factory=list)
    sql: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def grows(self) -> bool:
        return self.queries_small is not None and self.queries != self.queries_small

    @classmethod
    def failed(cls, page: PageSpec, path: str, error: str) -> PageResult:
        return cls(
            page.name,
            page.label,
            path,
            [],
            None,
            None,
            None,
            0,
            None,
            None,
            None,
            0,
            error=error,
        )


class PageError(RuntimeError):
    """The page did not answer 200."""


# ---------------------------------------------------------------- numbers in Spanish


def ms(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}".replace(".", ",") if denominator else "—"


def count(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


# ---------------------------------------------------------------- one database


class Scenario:
    """The personas and objects of one organization, and their HTTP clients."""

    def __init__(self, org: Any, run_id: str) -> None:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
        from django.db import transaction
        from django.test import Client

        from pregonero.accounts.actions import create_api_token
        from pregonero.accounts.models import Role, User, role_group_name

        self.org = org

        def person(role: str) -> Any:
            user = (
                User.objects.filter(
                    organization=org, is_active=True, groups__name=role_group_name(role)
                )
                .order_by("pk")
                .first()
            )
            if user is None:
                raise RuntimeError(f"{org.slug}: nobody with role {role}")
            return user

        self.jefe = person(Role.JEFE)
        self.profesional = person(Role.PROFESIONAL)
        self.auditor = person(Role.AUDITOR)
        # MFA stays enforced: the Jefe has (or gets) a TOTP authenticator.
        if not Authenticator.objects.filter(
            user=self.jefe, type=Authenticator.Type.TOTP
        ).exists():
            TOTP.activate(self.jefe, generate_totp_secret())
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        tokens = {}
        for key, user in (("profesional", self.profesional), ("auditor", self.auditor)):
            with transaction.atomic():
                _token, secret = create_api_token(
                    user, name=f"benchmark {run_id}", expires_at=expires
                )
            tokens[key] = secret
        self.clients: dict[str, tuple[Any, dict[str, str]]] = {}
        for key, user in (("jefe", self.jefe), ("profesional", self.profesional)):
            client = Client(raise_request_exception=False)
            client.force_login(user)
            self.clients[key] = (client, {})
        for key, secret in tokens.items():
            self.clients[f"api_{key}"] = (
                Client(raise_request_exception=False),
                {"HTTP_AUTHORIZATION": f"Bearer {secret}"},
            )
        self.paths = self._paths()

    def _paths(self) -> dict[str, str]:
        month = busy_month(self.org)
        return {
            "mi_trabajo": "/mi-trabajo/",
            "piezas": "/piezas/",
            "calendario": f"/planeacion/calendario/?vista=mes&fecha={month:%Y-%m-%d}",
            "pieza": f"/piezas/{rich_piece(self.org)}/",
            "revision": f"/piezas/{piece_in_text_review(self.org)}/revision/",
            "api_piezas": "/api/v1/pieces",
            "api_necesidades": "/api/v1/needs",
            "api_publicaciones": "/api/v1/publications",
            "api_auditoria": "/api/v1/audit-events",
            "api_plan": "/api/v1/plan-items",
            "api_reuniones": "/api/v1/meetings",
        }

    def get(self, page: PageSpec) -> Any:
        client, headers = self.clients[page.persona]
        response = client.get(self.paths[page.name], HTTP_HOST="127.0.0.1", **headers)
        if response.status_code != 200:
            raise PageError(
                f"{page.name} ({self.paths[page.name]}) answered "
                f"{response.status_code}: {response.content[:300]!r}"
            )
        return response


def organizations_by_size() -> list[Any]:
    """Organizations with pieces, largest first (``.pieces`` holds the count)."""
    from django.db.models import Count, OuterRef, Subquery

    from pregonero.content.models import Piece
    from pregonero.core.models import Organization

    pieces = (
        Piece.objects.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        Organization.objects.annotate(pieces=Subquery(pieces))
        .filter(pieces__gt=0)
        .order_by("-pieces")
    )


def busy_month(org: Any) -> dt.date:
    """The month of the last year with most publications (the fullest calendar)."""
    import zoneinfo

    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from pregonero.publishing.models import Publication

    since = timezone.now() - dt.timedelta(days=365)
    row = (
        Publication.objects.filter(organization=org, published_at__gte=since)
        .annotate(
            month=TruncMonth("published_at", tzinfo=zoneinfo.ZoneInfo("America/Bogota"))
        )
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if row is None:
        return timezone.localdate().replace(day=1)
    month = row["month"]
    return month.date() if isinstance(month, dt.datetime) else month


def rich_piece(org: Any) -> int:
    """A recent approved piece with a design, several versions, reviews and
    publications (the same kind of piece in every organization)."""
    from django.db.models import Count

    from pregonero.content.models import Piece, Review, TextVersion
    from pregonero.content.workflow import PieceState
    from pregonero.publishing.models import Publication

    ids = list(
        Piece.objects.filter(
            organization=org, state=PieceState.APPROVED, text_only=False
        )
        .order_by("-created_at")
        .values_list("pk", flat=True)[:1500]
    )

    def counts(model: Any) -> dict[int, int]:
        rows = (
            model.objects.filter(piece_id__in=ids)
            .values("piece_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {r["piece_id"]: r["n"] for r in rows}

    versions, reviews, pubs = counts(TextVersion), counts(Review), counts(Publication)

    def score(pk: int) -> tuple[int, int]:
        v, r, p = versions.get(pk, 0), reviews.get(pk, 0), pubs.get(pk, 0)
        return (int(v >= 3 and r >= 3 and p >= 3), v + r + p)

    if not ids:
        raise RuntimeError(f"{org.slug}: no approved piece")
    return max(ids, key=score)


def piece_in_text_review(org: Any) -> int:
    """A piece waiting at control point 1, preferably with an earlier version
    (at tiny scales the smallest organization may have none: then another)."""
    from django.db.models import Count

    from pregonero.content.models import Piece
    from pregonero.content.workflow import PieceState

    for state in (PieceState.TEXT_REVIEW, PieceState.DESIGN_REVIEW, None):
        pieces = Piece.objects.filter(organization=org)
        if state is not None:
            pieces = pieces.filter(state=state)
        piece = (
            pieces.annotate(n=Count("text_versions"))
            .order_by("-n", "-created_at")
            .first()
        )
        if piece is not None:
            return int(piece.pk)
    raise RuntimeError(f"{org.slug}: no piece")


def normalize_sql(sql: str) -> str:
    return re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "'S'", sql))


def measure(
    scenario: Scenario,
    small: Scenario | None,
    page: PageSpec,
    repeat: int,
    warmup: int,
) -> PageResult:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        scenario.get(page)
    gc.collect()
    samples = []
    size = 0
    for _ in range(repeat):
        started = time.perf_counter_ns()
        response = scenario.get(page)
        samples.append((time.perf_counter_ns() - started) / 1e6)
        size = len(response.content)
    with CaptureQueriesContext(connection) as captured:
        scenario.get(page)
    queries = captured.captured_queries
    repeated = Counter(normalize_sql(q["sql"]) for q in queries)
    small_count = small_p50 = None
    if small is not None:
        small.get(page)
        with CaptureQueriesContext(connection) as captured_small:
            small.get(page)
        small_count = len(captured_small.captured_queries)
        small_samples = []
        for _ in range(max(5, repeat // 3)):
            started = time.perf_counter_ns()
            small.get(page)
            small_samples.append((time.perf_counter_ns() - started) / 1e6)
        small_p50 = statistics.median(small_samples)
    return PageResult(
        name=page.name,
        label=page.label,
        path=scenario.paths[page.name],
        samples_ms=[round(s, 3) for s in samples],
        p50_ms=statistics.median(samples),
        p95_ms=percentile(samples, 0.95),
        mean_ms=statistics.fmean(samples),
        queries=len(queries),
        queries_small=small_count,
        path_small=small.paths[page.name] if small else None,
        p50_small_ms=small_p50,
        response_bytes=size,
        repeated_queries=[
            {"sql": sql[:SAMPLE_SQL_CHARS], "times": n}
            for sql, n in repeated.items()
            if n > 1
        ],
        sql=[
            {"sql": q["sql"], "ms": float(q.get("time") or 0) * 1000} for q in queries
        ],
    )


def queries_text(result: PageResult) -> str:
    if result.error:
        return "—"
    if result.queries_small is None:
        return str(result.queries)
    if result.grows:
        return f"{result.queries_small} → {result.queries} (¡CRECE con los datos!)"
    return f"{result.queries} (igual en ambos tamaños)"


def print_table(db: str, results: list[PageResult], header: list[str]) -> None:
    print()
    for line in header:
        print(line)
    name_w = max(len(r.label) for r in results)
    q_w = max(len(queries_text(r)) for r in results)
    print(
        f"{'Página':<{name_w}}  {'p50 ms':>7}  {'p95 ms':>7}  {'consultas':<{q_w}}  "
        f"{'p95 ≤ 50 ms':<11}  {'p50 entidad pequeña':>19}"
    )
    print("-" * (name_w + q_w + 54))
    for r in results:
        if r.error:
            print(f"{r.label:<{name_w}}  ERROR: {r.error[:120]}")
            continue
        met = "sí" if r.p95_ms <= TARGET_P95_MS else "NO"
        small = ms(r.p50_small_ms) if r.p50_small_ms is not None else "—"
        print(
            f"{r.label:<{name_w}}  {ms(r.p50_ms):>7}  {ms(r.p95_ms):>7}  "
            f"{queries_text(r):<{q_w}}  {met:<11}  {small:>19}"
        )
    if db == "sqlite":
        print(
            "(La meta de p95 ≤ 50 ms se exige en PostgreSQL; en SQLite es informativa.)"
        )
    for r in results:
        for q in r.repeated_queries:
            if q["times"] >= REPEAT_WARNING:
                print(
                    f"  aviso: {r.name} repite {q['times']}× la consulta "
                    f"(¿N+1?): {q['sql'][:160]}"
                )


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def run_one(args: argparse.Namespace, result_file: Path | None) -> Path:
    common.configure(args.db, args.scale)
    import django
    import generate

    meta = generate.ensure_data(args.db, args.scale, regenerate=args.regenerate)
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    orgs = organizations_by_size()
    large = Scenario(orgs[0], run_id)
    small = Scenario(orgs[-1], run_id) if len(orgs) > 1 else None
    pages = [p for p in PAGES if not args.only or p.name in args.only]
    print(
        f"\nMidiendo {len(pages)} páginas en {common.DB_LABELS[args.db]}: "
        f"{args.warmup} de calentamiento + {args.repeat} medidas cada una…",
        flush=True,
    )
    results = []
    for page in pages:
        try:
            result = measure(large, small, page, args.repeat, args.warmup)
        except PageError as exc:
            result = PageResult.failed(page, large.paths[page.name], str(exc))
            print(f"  {page.name:<18} ERROR: {exc}", flush=True)
        else:
            print(
                f"  {page.name:<18} p50 {ms(result.p50_ms):>6} ms  "
                f"p95 {ms(result.p95_ms):>6} ms  {result.queries} consultas",
                flush=True,
            )
        results.append(result)
    counts = meta.get("counts", {})
    generated = meta.get("generation_seconds")
    header = [
        f"== {database_version()} · escala {common.scale_label(args.scale)}: "
        f"{counts.get('organizations', '?')} entidades, {count(counts.get('needs', 0))} "
        f"necesidades, {count(counts.get('pieces', 0))} piezas, "
        f"{count(counts.get('audit_events', 0))} eventos de auditoría ==",
        f"Datos {'reutilizados' if meta.get('reused') else 'generados ahora'}"
        + (f" (generación: {ms(generated)} s)" if generated is not None else ""),
        f"Entidad medida: {large.org.short_name} ({count(orgs[0].pieces)} piezas); "
        f"consultas comparadas con {small.org.short_name if small else '—'} "
        f"({count(orgs[-1].pieces)} piezas)",
    ]
    print_table(args.db, results, header)

    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = result_file or common.RESULTS_DIR / f"{run_id}-{args.db}.json"
    path.write_text(
        json.dumps(
            {
                "run_id": run_id,
                "db": args.db,
                "database": database_version(),
                "scale": args.scale,
                "repeat": args.repeat,
                "warmup": args.warmup,
                "target_p95_ms": TARGET_P95_MS,
                "python": platform.python_version(),
                "django": django.get_version(),
                "machine": platform.platform(),
                "data": meta,
                "large_org": {"slug": large.org.slug, "pieces": orgs[0].pieces},
                "small_org": {"slug": small.org.slug, "pieces": orgs[-1].pieces}
                if small
                else None,
                "pages": [asdict(r) for r in results],
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )
    print(f"\nResultados: {path.relative_to(common.ROOT)}")
    return path


def compare(paths: dict[str, Path]) -> None:
    data = {db: json.loads(path.read_text()) for db, path in paths.items()}
    sqlite = {p["name"]: p for p in data["sqlite"]["pages"]}
    postgres = {p["name"]: p for p in data["postgres"]["pages"]}
    names = [
        n
        for n in PAGE_NAMES
        if n in sqlite
        and n in postgres
        and not sqlite[n].get("error")
        and not postgres[n].get("error")
    ]
    if not names:
        return
    labels = {p.name: p.label for p in PAGES}
    name_w = max(len(labels[n]) for n in names)
    print("\n== Razón PostgreSQL / SQLite (p95) ==")
    print(
        f"{'Página':<{name_w}}  {'SQLite p95':>10}  {'PostgreSQL p95':>14}  "
        f"{'PG/SQLite':>9}  {'meta en PostgreSQL':<18}"
    )
    print("-" * (name_w + 62))
    for name in names:
        s, p = sqlite[name]["p95_ms"], postgres[name]["p95_ms"]
        met = "sí" if p <= TARGET_P95_MS else "NO"
        print(
            f"{labels[name]:<{name_w}}  {ms(s):>10}  {ms(p):>14}  "
            f"{ratio(p, s):>9}  {met:<18}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Tiempo de servidor y consultas de las páginas principales."
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 120.000 piezas")
    parser.add_argument("--db", choices=[*common.DATABASES, "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30, help="peticiones medidas")
    # Ten warm-ups: PostgreSQL prepares a statement on its fifth execution, and the
    # benchmark measures the steady state a long-running server is in.
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--only",
        type=lambda text: [n.strip() for n in text.split(",") if n.strip()],
        default=[],
        help="páginas separadas por comas: " + ", ".join(PAGE_NAMES),
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="vuelve a generar los datos"
    )
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(PAGE_NAMES)
    if unknown:
        parser.error(f"páginas desconocidas: {', '.join(sorted(unknown))}")
    if args.db != "both":
        run_one(args, args.result_file)
        return 0

    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    paths = {}
    for db in common.DATABASES:
        path = common.RESULTS_DIR / f"{run_id}-{db}.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--db",
            db,
            "--scale",
            str(args.scale),
            "--repeat",
            str(args.repeat),
            "--warmup",
            str(args.warmup),
            "--result-file",
            str(path),
        ]
        if args.only:
            command += ["--only", ",".join(args.only)]
        if args.regenerate:
            command.append("--regenerate")
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0:
            print(f"La medición en {common.DB_LABELS[db]} falló.", file=sys.stderr)
            return completed.returncode
        paths[db] = path
    compare(paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
