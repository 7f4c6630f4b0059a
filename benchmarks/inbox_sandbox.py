"""The practice networks for ``benchmarks/inbox.py``, with citizens writing.

Its own process, like a real network: the benchmark's workers read it over
HTTP, and a producer thread here writes the crisis into it at the times the
benchmark asks — each item's ``created_at`` is the moment it was written (the
platform time the lag is measured from), whatever the reading schedule.

The driver talks to it over stdin/stdout: the process prints ``ready <url>``
once the accounts, their tokens and one post per account exist, then waits for
``go <items> <seconds>`` (``items`` spread evenly over ``seconds``, round-robin
over the accounts with the kinds each network's API lets Pregonero read), then
for ``burst <items>`` (all at once). It prints ``done <n>`` after each phase.

    .venv/bin/python benchmarks/inbox_sandbox.py --port 8765 --accounts a.json
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import publishing_sandbox  # noqa: E402

CITIZENS = (
    ("marta.rojas", "Marta Rojas"),
    ("jhon_pinzon", "Jhon Pinzón"),
    ("veeduria_bosa", "Veeduría Bosa"),
    ("luzdary.c", "Luz Dary Camargo"),
    ("edilberto.m", "Edilberto Muñoz"),
)
TEXTS = (
    "¿Es cierto que suspendieron los subsidios de mejoramiento en Ciudad Bolívar?",
    "Mi casa en Altos de la Estancia tiene grietas después del aguacero, ¿quién responde?",
    "Llevo tres meses esperando respuesta sobre mi reasentamiento.",
    "¿Dónde puedo consultar si quedé en la lista de beneficiarios?",
    "Exijo una respuesta de la Caja de la Vivienda Popular sobre la obra de Usme.",
)


def add_post(state: Any, stream: dict[str, Any], url: str) -> str:
    """One live post on the account (what comments are written under)."""
    network, account = stream["sandbox"], stream["account"]
    new = state.new_id()
    if network == "facebook":
        post_id = f"{account}_{new}"
        state.add_post(
            network, account, "Alerta por lluvias", id=post_id,
            permalink=f"{url}/facebook/web/{post_id}",
        )  # fmt: skip
        return post_id
    if network == "instagram":
        post = state.add_post(
            network, account, "Alerta por lluvias", media_type="IMAGE",
            permalink=f"{url}/facebook/web/instagram/{new}",
        )  # fmt: skip
        return str(post["id"])
    if network == "google":
        video = f"vid{new}"
        state.add_post(
            network, account, "Alerta por lluvias", id=video,
            title="Alerta por lluvias", privacy_status="public",
        )  # fmt: skip
        return video
    if network == "linkedin":
        urn = f"urn:li:share:7{int(new):018d}"
        state.add_post(
            network, account, "Alerta por lluvias", id=urn, commentary="Alerta"
        )
        return urn
    if network == "bluesky":
        rkey = f"3lcrisis{new}"
        uri = f"at://{account}/app.bsky.feed.post/{rkey}"
        record = {
            "$type": "app.bsky.feed.post",
            "text": "Alerta por lluvias",
            "createdAt": "2026-11-28T12:00:00.000Z",
        }
        state.add_post(
            network, account, "Alerta por lluvias", id=uri, cid=f"bafy{new}",
            rkey=rkey, record=record,
        )  # fmt: skip
        return uri
    return str(state.add_post(network, account, "Alerta por lluvias")["id"])


def write(state: Any, stream: dict[str, Any], number: int) -> None:
    from pregonero.publishing.sandbox_server import inbound

    kinds = stream["kinds"]
    kind = kinds[number % len(kinds)]
    handle, name = CITIZENS[number % len(CITIZENS)]
    inbound.add(
        state, stream["sandbox"], stream["account"], kind,
        f"{TEXTS[number % len(TEXTS)]} (#{number})",
        post_id=stream["post_id"] if kind == "comment" else "",
        author=f"{handle}{number % 97}", author_name=name,
    )  # fmt: skip


def produce(
    state: Any, streams: list[dict[str, Any]], items: int, seconds: float
) -> int:
    """``items`` written evenly over ``seconds`` (item i at start + i·gap)."""
    gap = seconds / max(1, items)
    start = time.monotonic()
    for number in range(items):
        due = start + number * gap
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        write(state, streams[number % len(streams)], number)
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--accounts", type=Path, required=True)
    parser.add_argument("--streams", type=Path, required=True)
    args = parser.parse_args(argv)

    from pregonero.publishing.sandbox_server import serve

    server = serve(args.host, args.port)
    state = server.state
    publishing_sandbox.prepare(
        state, json.loads(args.accounts.read_text()), args.latency_ms
    )
    streams = json.loads(args.streams.read_text())
    with state.lock:
        for stream in streams:
            # Only what the producer writes: no seeded comments, mentions, messages.
            knobs = state.config.setdefault(stream["sandbox"], {})
            knobs.update(seed_comments=0, seed_mentions=0, seed_messages=0)
    for stream in streams:
        stream["post_id"] = add_post(state, stream, server.url)
    print(f"ready {server.url}", flush=True)
    written = 0
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "go":
            produce(state, streams, int(words[1]), float(words[2]))
        elif words[0] == "burst":
            count = int(words[1])
            for number in range(count):
                write(state, streams[number % len(streams)], written + number)
        elif words[0] == "quit":
            break
        written += int(words[1]) if len(words) > 1 else 0
        print(f"done {written}", flush=True)
    server.stop()
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "inbox-sandbox"
    sys.exit(main())
