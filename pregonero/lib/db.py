"""Database housekeeping that keeps query plans good."""

from __future__ import annotations

from django.db import connection


def analyze_sqlite() -> bool:
    """Refresh SQLite's planner statistics (PostgreSQL's autovacuum does this itself).

    Without statistics SQLite may pick a poor index on large tables; a bounded
    ``ANALYZE`` takes well under a second even on a gigabyte-sized file.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
    return True
