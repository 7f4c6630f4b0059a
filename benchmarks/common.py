"""Where the benchmark databases live, and how a process is pointed at one.

Pregonero's settings read the environment at import, so :func:`configure` must
run before Django is set up: it chooses the database (a SQLite file under
``benchmarks/data/`` or a PostgreSQL database ``pregonero_bench_<percent>``),
production-like settings (``DEBUG=0``, MFA enforced, manifest static files) and
then calls ``django.setup()``. One process measures one database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"
STATIC_DIR = DATA_DIR / "static"

# The server that holds the PostgreSQL benchmark databases (any database name in
# the URL is replaced by the benchmark's own; query parameters become Django
# OPTIONS, e.g. ``?server_side_binding=true&prepare_threshold=5``).
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)

DATABASES = ("sqlite", "postgres")
DB_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def scale_label(scale: float) -> str:
    """``1.0`` → ``"1"``, ``0.05`` → ``"0.05"`` (for file names and output)."""
    return f"{scale:g}"


def sqlite_path(scale: float) -> Path:
    return DATA_DIR / f"bench-{scale_label(scale)}.sqlite3"


def postgres_name(scale: float) -> str:
    """``pregonero_bench_<scale as a whole percent>`` (``_`` for a fraction)."""
    percent = round(scale * 100, 6)
    text = str(int(percent)) if percent == int(percent) else f"{percent:g}"
    return "pregonero_bench_" + text.replace(".", "_")


def postgres_url(name: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def meta_path(db: str, scale: float) -> Path:
    """A small JSON file next to the data that remembers how it was generated."""
    return DATA_DIR / f"bench-{scale_label(scale)}-{db}.meta.json"


def _admin_connection() -> object:
    import psycopg

    # Query parameters of the URL are Django OPTIONS (dj-database-url), not libpq's.
    parts = urlsplit(POSTGRES_URL)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    return psycopg.connect(admin, autocommit=True)


def postgres_database_exists(name: str) -> bool:
    with _admin_connection() as conn:  # type: ignore[attr-defined]
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    return row is not None


def create_postgres_database(name: str) -> bool:
    """Create the database if it is missing; return whether it was created."""
    from psycopg import sql

    if postgres_database_exists(name):
        return False
    with _admin_connection() as conn:  # type: ignore[attr-defined]
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_postgres_database(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as conn:  # type: ignore[attr-defined]
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def delete_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def configure(db: str, scale: float) -> None:
    """Point this process at the benchmark database of ``db`` and ``scale``, then
    set Django up. Must run before anything imports the settings."""
    if db not in DATABASES:
        raise ValueError(f"unknown database {db!r}")
    if "django.conf" in sys.modules:
        from django.conf import settings

        if settings.configured:
            raise RuntimeError("configure() must run before Django is set up")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "pregonero.settings"
    os.environ["DEBUG"] = "0"
    os.environ["PREGONERO_MFA_ENFORCED"] = "1"
    os.environ["STATIC_ROOT"] = str(STATIC_DIR)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name in ("PREGONERO_TESTING", "PREGONERO_TASKS_BACKEND"):
        os.environ.pop(name, None)
    if db == "sqlite":
        os.environ["DATABASE_URL"] = ""
        os.environ["SQLITE_PATH"] = str(sqlite_path(scale))
    else:
        name = postgres_name(scale)
        create_postgres_database(name)
        os.environ["DATABASE_URL"] = postgres_url(name)
        os.environ.pop("SQLITE_PATH", None)

    import django

    django.setup()


def prepare_database() -> None:
    """Apply migrations and collect static files (once) for the configured database."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if not (STATIC_DIR / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def wipe_database(db: str, scale: float) -> None:
    """Empty the configured benchmark database completely and migrate it again."""
    from django.db import connection

    connection.close()
    if db == "sqlite":
        delete_sqlite_files(sqlite_path(scale))
    else:
        name = postgres_name(scale)
        drop_postgres_database(name)
        create_postgres_database(name)
    meta_path(db, scale).unlink(missing_ok=True)
    prepare_database()
