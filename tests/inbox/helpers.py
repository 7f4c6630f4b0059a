from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pregonero.core.models import Channel
from pregonero.inbox import actions
from pregonero.inbox.models import InboundItem, Petition
from pregonero.inbox.workflow import ItemKind

BOGOTA = ZoneInfo("America/Bogota")
_counter = iter(range(1, 1_000_000))


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BOGOTA)


def receive(channel: Channel, **kw: Any) -> InboundItem:
    n = next(_counter)
    data: dict[str, Any] = {
        "kind": ItemKind.COMMENT,
        "platform_id": f"c-{n}",
        "author_handle": f"@vecina{n}",
        "text": "Buenas, ¿cuándo abren inscripciones de Plan Terrazas en Usme?",
        "url": f"https://facebook.example/c/{n}",
        "received_at": at(2026, 3, 20, 10, 0),
        "thread_key": "post-1",
        **kw,
    }
    item, _created = actions.receive_item(channel, **data)
    return item


def petition(w: Any, typology: str = "general_interest", **kw: Any) -> Petition:
    item = receive(w.fb, **kw)
    actions.triage(w.writer, item, "petition", typology=typology, dependency=w.dmv)
    return Petition.objects.get(item=item)
