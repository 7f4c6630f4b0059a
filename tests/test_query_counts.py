"""List pages keep a constant number of queries as the data grows."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pregonero.accounts.actions import create_api_token
from pregonero.intake.actions import triage_need
from pregonero.intake.workflow import NeedAction
from pregonero.planning import actions as planning
from pregonero.publishing.actions import publish_now, schedule_publication

from .conftest import World, approved_piece, make_need, make_piece, write


def grow(world: World, n: int) -> None:
    """Add ``n`` of everything a list page shows."""
    today = timezone.localdate()
    for i in range(n):
        need = make_need(world, title=f"Necesidad {i}")
        if i % 2:
            triage_need(world.jefe, need, NeedAction.TRIAGE_PLANNING)
        piece = approved_piece(
            world,
            title=f"Pieza aprobada {i}",
            planned_date=today,
            audiences=world.audiences,
        )
        publication = schedule_publication(
            world.writer, piece, world.fb, timezone.now()
        )
        publish_now(publication.pk)
        schedule_publication(
            world.writer,
            piece,
            world.x,
            timezone.now() + datetime.timedelta(hours=i + 1),
        )
        draft = make_piece(world, title=f"Borrador {i}", planned_date=today)
        write(world, draft)
        planning.create_plan_item(world.writer, planning.PlanItemData(
            title=f"Plan {i}", dependency=world.dmv, planned_date=today, channels=[world.fb],
            audiences=world.audiences,
        ))  # fmt: skip


def count(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


PAGES: list[tuple[str, str, Callable[[World], str]]] = [
    ("writer", "pieces", lambda w: reverse("content:piece_list")),
    ("writer", "needs", lambda w: reverse("intake:need_list")),
    ("jefe", "my_work", lambda w: reverse("core:my_work")),
    ("writer", "my_work_writer", lambda w: reverse("core:my_work")),
    ("writer", "calendar", lambda w: reverse("planning:calendar")),
    (
        "writer",
        "calendar_list",
        lambda w: reverse("planning:calendar") + "?vista=lista",
    ),
    ("writer", "plan", lambda w: reverse("planning:plan_list")),
    ("auditor", "audit_log", lambda w: reverse("core:audit_log")),
    ("auditor", "control_register", lambda w: reverse("core:control_register")),
    ("writer", "meetings", lambda w: reverse("planning:meeting_list")),
    ("writer", "notifications", lambda w: reverse("core:notifications")),
]


@pytest.mark.parametrize(("persona", "name", "url"), PAGES, ids=[p[1] for p in PAGES])
def test_list_pages_do_not_grow_with_data(
    world: World, persona: str, name: str, url: Callable[[World], str]
) -> None:
    client = world.client(getattr(world, persona))
    grow(world, 1)
    small = count(client, url(world))
    grow(world, 3)
    large = count(client, url(world))
    assert large == small, (
        f"{name}: {small} queries with little data, {large} with more"
    )


@pytest.mark.parametrize(
    "path",
    ["/pieces", "/needs", "/publications", "/plan-items", "/meetings", "/audit-events"],
)
def test_api_lists_do_not_grow_with_data(world: World, path: str) -> None:
    _token, secret = create_api_token(world.jefe, name="conteo")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.get("/api/v1/me")  # the token's first use is recorded once
    grow(world, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/api/v1{path}").status_code == 200
    grow(world, 3)
    with CaptureQueriesContext(connection) as large:
        assert client.get(f"/api/v1{path}").status_code == 200
    assert len(large) == len(small), path


def test_channel_inventory_does_not_grow_with_channels(world: World) -> None:
    from pregonero.core.models import Channel, NetworkKind
    from pregonero.publishing.adapters.base import TokenSet
    from pregonero.publishing.channels import store_connection

    def add(n: int) -> None:
        for i in range(n):
            channel = Channel.objects.create(
                organization=world.org,
                kind=NetworkKind.X,
                name=f"X {Channel.objects.count()}-{i}",
            )
            store_connection(
                world.writer,
                channel,
                TokenSet(f"a{i}", f"r{i}", account_id=f"{channel.pk}"),
            )

    client = world.client(world.writer)
    _token, secret = create_api_token(world.writer, name="conteo")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    api.get("/api/v1/me")
    add(1)
    small = count(client, reverse("publishing:channel_list"))
    with CaptureQueriesContext(connection) as api_small:
        assert api.get("/api/v1/channels").status_code == 200
    add(4)
    assert count(client, reverse("publishing:channel_list")) == small
    with CaptureQueriesContext(connection) as api_large:
        assert api.get("/api/v1/channels").status_code == 200
    assert len(api_large) == len(api_small)


def _grow_inbox(world: World, n: int) -> None:
    """Messages in every state: petitions with notes, assigned, triaged, in threads."""
    import uuid

    from pregonero.inbox import actions as inbox

    for i in range(n):
        key = uuid.uuid4().hex
        item, _created = inbox.receive_item(
            world.fb, "comment", f"c-{key}", f"@vecino{i}", f"Pregunta {i}", "",
            timezone.now(), thread_key=f"post-{i % 2}",
        )  # fmt: skip
        inbox.add_note(world.writer, item, "Revisar")
        inbox.triage(
            world.writer, item, "petition", typology="claim", dependency=world.dmv
        )
        other, _created = inbox.receive_item(
            world.x, "direct_message", f"m-{key}", f"@otro{i}", "Hola", "", timezone.now()
        )  # fmt: skip
        inbox.assign(world.writer, other, world.designer)
        inbox.triage(world.writer, other, "interaction")


@pytest.mark.parametrize("params", [{}, {"vencidas": "1"}, {"estado": "petition"}])
def test_inbox_list_does_not_grow_with_data(
    world: World, params: dict[str, str]
) -> None:
    client = world.client(world.writer)
    _grow_inbox(world, 1)
    small = count(client, reverse("inbox:item_list"), **params)
    _grow_inbox(world, 3)
    assert count(client, reverse("inbox:item_list"), **params) == small


def test_inbox_api_list_does_not_grow_with_data(world: World) -> None:
    _token, secret = create_api_token(world.jefe, name="conteo")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.get("/api/v1/me")
    _grow_inbox(world, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/v1/inbox/items").status_code == 200
    _grow_inbox(world, 3)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/api/v1/inbox/items").status_code == 200
    assert len(large) == len(small)
