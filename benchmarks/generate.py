"""Generate (or reuse) the benchmark data of a large installation.

    .venv/bin/python benchmarks/generate.py --scale 1.0 --db sqlite
    .venv/bin/python benchmarks/generate.py --scale 0.05 --db postgres --regenerate

Scale 1.0 is 20 organizations × 5 years: 40,000 needs, 120,000 pieces and
600,000 audit events (plus their versions, reviews, designs, publications,
meetings and plan items). The data goes to ``benchmarks/data/bench-<scale>.sqlite3``
or to the PostgreSQL database ``pregonero_bench_<percent>`` (created if missing),
and is reused while its counts are right; ``--regenerate`` rebuilds it.
``run.py`` calls :func:`ensure_data` itself, so this command is only needed to
prepare data ahead of time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import Any

import common


def ensure_data(
    db: str, scale: float, *, regenerate: bool = False, log: Any = print
) -> dict[str, Any]:
    """Migrate the configured database and fill it unless it already holds the data.

    Returns the metadata of the data set: counts, and how long generation took
    (now, or when it was generated).
    """
    import datagen

    common.prepare_database()
    targets = datagen.Targets.for_scale(scale)
    counts = datagen.current_counts()
    meta_file = common.meta_path(db, scale)
    if not regenerate and datagen.is_complete(counts, targets):
        meta = datagen.read_meta(meta_file)
        meta.update(counts=counts, reused=True)
        log(
            f"Datos existentes reutilizados ({common.DB_LABELS[db]}, escala "
            f"{common.scale_label(scale)}): {counts['pieces']:,} piezas, "
            f"{counts['needs']:,} necesidades, {counts['audit_events']:,} eventos."
        )
        return meta
    if regenerate or any(counts.values()):
        log("Vaciando la base de datos de benchmarks…")
        common.wipe_database(db, scale)
    log(
        f"Generando datos ({common.DB_LABELS[db]}, escala {common.scale_label(scale)}): "
        f"{targets.organizations} entidades, {targets.needs:,} necesidades, "
        f"{targets.pieces:,} piezas, {targets.audit_events:,} eventos de auditoría…"
    )
    report = datagen.generate(scale, log=log)
    counts = datagen.current_counts()
    if not datagen.is_complete(counts, targets):
        raise RuntimeError(f"generated counts {counts} do not match {targets}")
    problems = verify_sample_chains(log)
    meta = {
        "db": db,
        "scale": scale,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generation_seconds": round(report.seconds, 1),
        "counts": counts,
        "rows": report.rows,
        "organizations": report.organizations,
        "chains_verified": problems == 0,
    }
    meta_file.write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    log(
        f"Datos generados en {report.seconds:.1f} s "
        f"({sum(report.rows.values()):,} filas en total)."
    )
    meta["reused"] = False
    return meta


def verify_sample_chains(log: Any = print) -> int:
    """Walk the audit chains of the largest and the smallest organization, as
    ``pregonero audit verify`` does; return how many are broken."""
    from django.db.models import Count

    from pregonero.audit.actions import chain_key, verify_chain
    from pregonero.content.models import Piece

    sizes = list(
        Piece.objects.values("organization").annotate(n=Count("id")).order_by("-n")
    )
    if not sizes:
        return 0
    broken = 0
    for row in {sizes[0]["organization"]: 0, sizes[-1]["organization"]: 0}:
        started = time.perf_counter()
        count, problem = verify_chain(chain_key(row))
        took = time.perf_counter() - started
        if problem is None:
            log(f"  cadena org:{row}: {count:,} eventos verificados en {took:.1f} s")
        else:
            broken += 1
            log(f"  cadena org:{row} ROTA en {problem.seq}: {problem.reason}")
    return broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", choices=common.DATABASES, default="sqlite")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args(argv)
    common.configure(args.db, args.scale)
    meta = ensure_data(args.db, args.scale, regenerate=args.regenerate)
    print(json.dumps(meta.get("counts", {}), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
