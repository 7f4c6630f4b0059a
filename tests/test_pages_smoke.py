"""Every page renders for the roles that may see it, and refuses the others."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pregonero.content import actions as content
from pregonero.publishing import actions as publishing

from .conftest import World, approved_piece, make_need, make_piece, soon, write


@pytest.fixture
def pages(world: World) -> dict[str, str]:
    need = make_need(world)
    piece = approved_piece(world)
    draft = make_piece(world, title="Borrador")
    write(world, draft)
    publication = publishing.schedule_publication(world.writer, piece, world.fb, soon())
    content.submit_text(world.writer, draft)
    from pregonero.inbox import actions as inbox

    item, _created = inbox.receive_item(
        world.fb, "comment", "c-1", "@vecina", "¿Cuándo abren Plan Terrazas?", "",
        soon(-60), thread_key="post-1",
    )  # fmt: skip
    inbox.triage(world.writer, item, "petition", typology="information")
    plain, _created = inbox.receive_item(
        world.fb,
        "comment",
        "c-2",
        "@vecino",
        "Gracias",
        "",
        soon(-30),
        thread_key="post-1",
    )
    return {
        "inbox": reverse("inbox:item_list"),
        "inbox_item": reverse("inbox:item_detail", args=[item.pk]),
        "inbox_plain": reverse("inbox:item_detail", args=[plain.pk]),
        "inbox_new": reverse("inbox:item_create"),
        "my_work": reverse("core:my_work"),
        "needs": reverse("intake:need_list"),
        "need": reverse("intake:need_detail", args=[need.pk]),
        "need_new": reverse("intake:need_create"),
        "need_eml": reverse("intake:need_import_email"),
        "pieces": reverse("content:piece_list"),
        "piece": reverse("content:piece_detail", args=[piece.pk]),
        "piece_review": reverse("content:piece_review", args=[draft.pk]),
        "piece_text": reverse("content:piece_text", args=[piece.pk]),
        "piece_design": reverse("content:piece_design", args=[piece.pk]),
        "piece_new": reverse("content:piece_create"),
        "publish": reverse("publishing:piece_publish", args=[piece.pk]),
        "publication": reverse("publishing:publication_detail", args=[publication.pk]),
        "sandbox": reverse("publishing:sandbox_index"),
        "feed": reverse("publishing:sandbox_feed", args=[world.fb.pk]),
        "meetings": reverse("planning:meeting_list"),
        "meeting_new": reverse("planning:meeting_create"),
        "plan": reverse("planning:plan_list"),
        "plan_new": reverse("planning:plan_item_create"),
        "calendar": reverse("planning:calendar"),
        "calendar_week": reverse("planning:calendar") + "?vista=semana",
        "calendar_list": reverse("planning:calendar") + "?vista=lista",
        "joint": reverse("planning:joint_action_list"),
        "joint_new": reverse("planning:joint_action_create"),
        "control": reverse("core:control_register"),
        "audit": reverse("core:audit_log"),
        "notifications": reverse("core:notifications"),
        "profile": reverse("core:profile"),
        "delegations": reverse("accounts:delegations"),
    }


@pytest.mark.parametrize(
    "persona",
    [
        "jefe",
        "writer",
        "designer",
        "strategist",
        "liaison",
        "director",
        "auditor",
        "admin",
    ],
)
def test_every_page_renders_or_refuses(
    world: World, pages: dict[str, str], persona: str
) -> None:
    client = world.client(getattr(world, persona))
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), (
            persona,
            name,
            response.status_code,
        )
        if response.status_code == 200:
            assert b'<html lang="es-CO">' in response.content, (persona, name)
