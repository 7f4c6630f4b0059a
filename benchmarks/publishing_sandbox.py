"""The practice networks for ``benchmarks/publishing.py``, in their own process.

The publishing benchmark reaches the sandbox over HTTP from its worker
processes. Run here (``--sandbox process``, the default) it has a whole
interpreter to itself, so the driver's threads never share its GIL; the driver
reads the posts back through the sandbox's own ``/_control/posts`` endpoint.

The accounts the benchmark's channels are connected to are prepared before the
server answers: the extra Facebook Page (knob ``pages``), the latency of every
call, and one access token per account with the value the driver chose (the
driver stores the same value, encrypted, with ``store_connection``). The same
:func:`prepare` serves the ``--sandbox thread`` mode, in the driver's process.

    .venv/bin/python benchmarks/publishing_sandbox.py --port 8765 \\
        --latency-ms 50 --accounts accounts.json
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The second Page the practice user manages (the first is the sandbox's default).
SECOND_PAGE_ID = "102030405060709"


def facebook_pages() -> list[dict[str, Any]]:
    from pregonero.publishing.sandbox_server.meta import DEFAULT_PAGES

    second = {
        "id": SECOND_PAGE_ID,
        "name": "Caja de la Vivienda Popular - Reasentamientos",
        "username": "CVPReasentamientos",
        "category": "Organización gubernamental",
        "instagram": None,
    }
    return [*DEFAULT_PAGES, second]


def prepare(state: Any, accounts: list[dict[str, Any]], latency_ms: int) -> None:
    """Knobs, latency and the accounts' tokens, on a fresh ``SandboxState``.

    Each account is ``{"network", "account_id", "access_token", "expires_in"}``
    (``expires_in`` None: a token that does not expire, as a Facebook Page token).
    """
    with state.lock:
        state.config.setdefault("facebook", {})["pages"] = facebook_pages()
        state.latency_ms = latency_ms
    for account in accounts:
        state.issue_tokens(
            account["network"],
            account["account_id"],
            expires_in=account.get("expires_in"),
            with_refresh=False,
            access_token=account["access_token"],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument(
        "--accounts", type=Path, required=True, help="JSON list of accounts"
    )
    args = parser.parse_args(argv)

    from pregonero.publishing.sandbox_server import serve

    server = serve(args.host, args.port)
    prepare(server.state, json.loads(args.accounts.read_text()), args.latency_ms)
    # The driver waits for this line before it starts anything that calls us.
    print(f"ready {server.url}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: done.set())
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
