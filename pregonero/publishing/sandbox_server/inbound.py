"""What citizens write to the entity on the practice networks (issue 6).

Every network module reads the same store: ``SandboxState.inbound`` holds
comments (on one of the account's posts), mentions and direct messages, each
with a sequential id (the order the network learnt of it) and its own
``created_at`` (which may be older than an item learnt before: out-of-order
delivery).

* Deterministic content: the first time an account's inbound is read, each of
  its live posts gets ``seed_comments`` comments (knob, default 2) a minute
  apart after the post, and the account ``seed_mentions`` mentions and
  ``seed_messages`` messages (knobs, default 2 and 1) from fixed citizens.
* A stream for demos and load: ``rate`` items per second and a one-off
  ``burst``, set by the environment variable ``PREGONERO_SANDBOX_STREAM``
  (``"rate=0.5,burst=200"``) or ``POST /_control/stream`` (``{"rate": …,
  "burst": …}``); the items appear when the account is next read.
* ``POST /_control/inbound`` adds one item (``network``, ``account_id``,
  ``kind``, ``text``, optional ``post_id``, ``author``, ``created_at``).
"""

from __future__ import annotations

import datetime
import os
import time
from typing import Any

from .core import SandboxState, utcnow

KINDS = ("comment", "mention", "message")

CITIZENS = (
    ("marta.rojas", "Marta Rojas"),
    ("jhon_pinzon", "Jhon Pinzón"),
    ("veeduria_bosa", "Veeduría Bosa"),
    ("luzdary.c", "Luz Dary Camargo"),
)
COMMENTS = (
    "¿Cuándo abren las inscripciones para el subsidio en Ciudad Bolívar?",
    "Gracias por la información, muy clara.",
    "Llevo tres meses esperando respuesta sobre mi reasentamiento.",
)
MENTIONS = (
    "¿La Caja de la Vivienda Popular atiende este sábado en la sede de Kennedy?",
    "Solicito información sobre el estado de la titulación de mi predio.",
)
MESSAGES = (
    "Buenos días, necesito una copia del acta de entrega de mi vivienda.",
    "Quiero presentar una queja por la atención recibida en la obra de Usme.",
)


def parse_stream(value: str) -> tuple[float, int]:
    """``"rate=0.5,burst=200"`` → (0.5, 200); unknown parts are ignored."""
    rate, burst = 0.0, 0
    for part in value.split(","):
        name, _sep, number = part.partition("=")
        try:
            if name.strip() == "rate":
                rate = max(0.0, float(number))
            elif name.strip() == "burst":
                burst = max(0, int(number))
        except ValueError:
            continue
    return rate, burst


def configure_from_env(state: SandboxState) -> None:
    value = os.environ.get("PREGONERO_SANDBOX_STREAM", "")
    if value:
        set_stream(state, *parse_stream(value))


def set_stream(state: SandboxState, rate: float, burst: int) -> None:
    with state.lock:
        state.stream_rate = rate
        state.stream_burst = burst
        state.stream_since = time.monotonic()


def add(
    state: SandboxState,
    network: str,
    account_id: str,
    kind: str,
    text: str,
    *,
    post_id: str = "",
    author: str = "",
    author_name: str = "",
    created_at: datetime.datetime | None = None,
) -> dict[str, Any]:
    handle, name = CITIZENS[0]
    item = {
        "id": state.new_id(),
        "account_id": account_id,
        "kind": kind,
        "text": text,
        "post_id": post_id,
        "author": author or handle,
        "author_name": author_name or (author or name),
        "created_at": created_at or utcnow(),
        # When the network learnt of it (Bluesky's ``indexedAt``).
        "indexed_at": utcnow(),
    }
    with state.lock:
        state.inbound.setdefault(network, []).append(item)
    return item


def items(state: SandboxState, network: str, account_id: str) -> list[dict[str, Any]]:
    """The account's inbound items in the order the network learnt of them,
    after seeding and running the stream."""
    with state.lock:
        _seed(state, network, account_id)
        _run_stream(state, network, account_id)
        return sorted(
            (
                i
                for i in state.inbound.get(network, [])
                if i["account_id"] == account_id
            ),
            key=lambda i: int(i["id"]),
        )


def _seed(state: SandboxState, network: str, account_id: str) -> None:
    per_post = int(state.knob(network, "seed_comments", 2))
    for post in state.live_posts(network, account_id):
        if post.get("inbound_seeded"):
            continue
        post["inbound_seeded"] = True
        for n in range(per_post):
            handle, name = CITIZENS[(n + 1) % len(CITIZENS)]
            add(
                state, network, account_id, "comment", COMMENTS[n % len(COMMENTS)],
                post_id=str(post["id"]), author=handle, author_name=name,
                created_at=post["created_at"] + datetime.timedelta(minutes=n + 1),
            )  # fmt: skip
    key = (network, account_id)
    if key in state.inbound_seeded:
        return
    state.inbound_seeded.add(key)
    base = utcnow() - datetime.timedelta(hours=2)
    for n in range(int(state.knob(network, "seed_mentions", 2))):
        handle, name = CITIZENS[(n + 2) % len(CITIZENS)]
        add(
            state, network, account_id, "mention", MENTIONS[n % len(MENTIONS)],
            author=handle, author_name=name,
            created_at=base + datetime.timedelta(minutes=10 * n),
        )  # fmt: skip
    for n in range(int(state.knob(network, "seed_messages", 1))):
        handle, name = CITIZENS[(n + 3) % len(CITIZENS)]
        add(
            state, network, account_id, "message", MESSAGES[n % len(MESSAGES)],
            author=handle, author_name=name,
            created_at=base + datetime.timedelta(minutes=5 + 10 * n),
        )  # fmt: skip


def _run_stream(state: SandboxState, network: str, account_id: str) -> None:
    now = time.monotonic()
    due = state.stream_burst
    if state.stream_rate:
        due += int((now - state.stream_since) * state.stream_rate)
        state.stream_since = now
    state.stream_burst = 0
    posts = state.live_posts(network, account_id)
    for _n in range(due):
        state.stream_count += 1
        number = state.stream_count
        kind = KINDS[number % len(KINDS)]
        if kind == "comment" and not posts:
            kind = "mention"
        handle, name = CITIZENS[number % len(CITIZENS)]
        texts = {"comment": COMMENTS, "mention": MENTIONS, "message": MESSAGES}[kind]
        add(
            state, network, account_id, kind,
            f"{texts[number % len(texts)]} (#{number})",
            post_id=str(posts[number % len(posts)]["id"]) if kind == "comment" else "",
            author=handle, author_name=name,
        )  # fmt: skip
