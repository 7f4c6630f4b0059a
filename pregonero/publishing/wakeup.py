"""Waking the scheduler when the schedule changes.

The scheduler sleeps until the next due publication. Scheduling, moving or
cancelling one, or putting one back in the queue, must wake it early. On
PostgreSQL this is ``NOTIFY``/``LISTEN``; on SQLite (one machine) a file whose
modification time changes, checked every tenth of a second while sleeping.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

CHANNEL = "pregonero_schedule"
CONNECT_KEYS = {
    "dbname", "user", "password", "host", "port", "sslmode", "sslrootcert",
    "sslcert", "sslkey", "options", "application_name", "connect_timeout",
}  # fmt: skip


def _wake_file() -> Path:
    return Path(settings.VAR_DIR) / "schedule.wake"


def signal() -> None:
    """Tell a sleeping scheduler that the schedule changed."""
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {CHANNEL}")
        else:
            path = _wake_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    except Exception:  # waking early is an optimisation: never fail the action
        logger.warning("could not wake the scheduler", exc_info=True)


def on_commit_signal() -> None:
    transaction.on_commit(signal)


class Waiter:
    """Sleep until a timeout or a schedule change, whichever comes first."""

    def __init__(self) -> None:
        self._pg: Any = None
        self._mtime = self._file_mtime()
        if connection.vendor == "postgresql":
            import psycopg

            params = {
                k: v
                for k, v in connection.get_connection_params().items()
                if k in CONNECT_KEYS and v not in (None, "")
            }
            self._pg = psycopg.connect(**params, autocommit=True)
            self._pg.execute(f"LISTEN {CHANNEL}")

    def _file_mtime(self) -> float:
        try:
            return os.stat(_wake_file()).st_mtime
        except OSError:
            return 0.0

    def wait(self, timeout: float) -> bool:
        """True when woken by a change, False on timeout."""
        timeout = max(0.0, timeout)
        if self._pg is not None:
            woken = False
            for _notify in self._pg.notifies(timeout=timeout, stop_after=1):
                woken = True
            # Drain the others that arrived together.
            for _notify in self._pg.notifies(timeout=0):
                pass
            return woken
        deadline = time.monotonic() + timeout
        while True:
            mtime = self._file_mtime()
            if mtime != self._mtime:
                self._mtime = mtime
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.1, left))

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
