"""Retention and anonymisation of the Bandeja (DAT-01, Ley 1581 de 2012)."""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

import time_machine
from django.core.management import call_command
from django.urls import reverse

from pregonero.audit.models import AuditEvent
from pregonero.inbox import actions
from pregonero.inbox.models import (
    InboundItem,
    InboxSettings,
    Petition,
    Reply,
    ReplyState,
)
from pregonero.inbox.reports import attention_figures, export_rows
from pregonero.inbox.retention import ANONYMISED, anonymise_expired
from tests.conftest import World

from .helpers import at, petition, receive

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def closed_petition(world: World) -> Petition:
    p = petition(world)
    actions.update_petition(
        world.writer,
        p,
        actions.PetitionFields(
            petitioner_name="Ana María Pérez",
            petitioner_document="1012345678",
            petitioner_contact="ana.perez@correo.example",
        ),
    )
    with time_machine.travel(at(2026, 3, 25, 10, 0), tick=False):
        actions.record_answer(world.writer, p, "Señora Ana, su subsidio fue aprobado.")
        actions.set_radicado(world.writer, p, "2026-ER-000123")
        actions.close(world.writer, p)
    p.refresh_from_db()
    return p


def scenario(world: World) -> dict[str, Any]:
    interaction = receive(world.fb, text="Gracias por la visita al barrio")
    actions.triage(world.writer, interaction, "interaction")
    actions.add_note(world.writer, interaction, "Es la vecina de la calle 5")
    spam = receive(world.fb, text="Compre seguidores aquí")
    actions.triage(world.writer, spam, "not_applicable", reason="Publicidad")
    new = receive(world.x, text="¿A qué hora abren?", kind="mention")
    open_petition = petition(world)
    closed = closed_petition(world)
    return {
        "interaction": interaction,
        "spam": spam,
        "new": new,
        "open": open_petition.item,
        "closed": closed.item,
    }


def anonymised(item: InboundItem) -> bool:
    item.refresh_from_db()
    return item.anonymised_at is not None


def test_each_type_expires_after_its_own_period(world: World) -> None:
    items = scenario(world)
    # 7 months: only what does not apply (6 months by default).
    assert anonymise_expired(at(2026, 10, 21, 0, 0)) == 1
    assert [k for k, i in items.items() if anonymised(i)] == ["spam"]
    spam = items["spam"]
    assert (spam.author_handle, spam.author_name, spam.url, spam.raw) == (
        ANONYMISED,
        "",
        "",
        {},
    )
    assert "anonimizado" in spam.text and spam.platform_id.startswith("c-")
    assert spam.triages.get().reason != "Publicidad"
    # 25 months: interactions and what was never classified (24 months).
    assert anonymise_expired(at(2028, 4, 21, 0, 0)) == 2
    assert {k for k, i in items.items() if anonymised(i)} == {
        "spam",
        "interaction",
        "new",
    }
    assert "calle 5" not in items["interaction"].notes.get().text
    assert items["interaction"].state == "interaction"  # the figures keep it
    # A closed petition counts from its closing (60 months); an open one never.
    assert anonymise_expired(at(2031, 3, 20, 0, 0)) == 0
    assert anonymise_expired(at(2031, 3, 26, 0, 0)) == 1
    assert anonymised(items["closed"]) and not anonymised(items["open"])
    closed = Petition.objects.get(item=items["closed"])
    assert (
        closed.petitioner_name,
        closed.petitioner_document,
        closed.petitioner_contact,
    ) == ("", "", "")
    assert "Ana" not in closed.answer_text
    assert (closed.state, closed.radicado, closed.typology) == (
        "closed",
        "2026-ER-000123",
        "general_interest",
    )
    assert anonymise_expired(at(2040, 1, 1, 0, 0)) == 0  # the open one stays
    assert not anonymised(items["open"])


def test_periods_per_organization_and_zero_means_never(
    world: World, other_world: World
) -> None:
    InboxSettings.objects.create(
        organization=world.org,
        retention_interaction_months=0,
        retention_not_applicable_months=1,
    )
    mine = receive(world.fb)
    actions.triage(world.writer, mine, "interaction")
    theirs = receive(other_world.fb)
    actions.triage(other_world.writer, theirs, "interaction")
    spam = receive(world.fb)
    actions.triage(world.writer, spam, "not_applicable", reason="Spam")
    assert anonymise_expired(at(2026, 5, 1, 0, 0)) == 1
    assert anonymised(spam)
    assert anonymise_expired(at(2030, 1, 1, 0, 0)) == 1
    assert anonymised(theirs) and not anonymised(mine)


def test_a_reply_still_on_its_way_keeps_the_item(world: World) -> None:
    item = receive(world.fb)
    actions.triage(world.writer, item, "interaction")
    reply = Reply.objects.create(
        organization=world.org,
        item=item,
        text="Hola vecina, le escribimos por privado.",
        state=ReplyState.UNCONFIRMED,
        idempotency_key=uuid.uuid4(),
        created_by=world.writer,
    )
    later = at(2029, 1, 1, 0, 0)
    assert anonymise_expired(later) == 0
    Reply.objects.filter(pk=reply.pk).update(
        state=ReplyState.SENT,
        permalink="https://facebook.example/r/1",
        platform_id="r-1",
    )
    assert anonymise_expired(later) == 1
    reply.refresh_from_db()
    assert "vecina" not in reply.text
    assert (reply.platform_id, reply.permalink) == (
        "r-1",
        "https://facebook.example/r/1",
    )


def test_statistics_add_up_the_same_after_anonymisation(world: World) -> None:
    scenario(world)
    figures_before = attention_figures(world.org, *MARCH)
    header, rows_before = export_rows(world.org, *MARCH)
    assert anonymise_expired(at(2032, 1, 1, 0, 0)) == 4
    assert attention_figures(world.org, *MARCH) == figures_before
    _header, rows_after = export_rows(world.org, *MARCH)
    personal = header.index("Peticionario")
    assert [r[:personal] for r in rows_after] == [r[:personal] for r in rows_before]


def test_one_audit_event_per_item_and_idempotent(world: World) -> None:
    items = scenario(world)
    later = at(2032, 1, 1, 0, 0)
    assert anonymise_expired(later, batch_size=2) == 4  # several batches
    events = AuditEvent.objects.filter(action="inbox.item.anonymised")
    assert sorted(int(e.target_id) for e in events) == sorted(
        i.pk for k, i in items.items() if k != "open"
    )
    event = events.get(target_id=str(items["spam"].pk))
    assert event.data["reason"] == "not_applicable"
    assert event.data["retention_months"] == 6
    assert event.actor is None and "vecina" not in event.target_label
    assert anonymise_expired(later) == 0
    assert events.count() == 4


def test_a_run_can_be_capped_and_the_next_one_resumes(world: World) -> None:
    scenario(world)
    later = at(2032, 1, 1, 0, 0)
    assert anonymise_expired(later, batch_size=2, limit=3) == 3
    assert anonymise_expired(later, dry_run=True) == 1
    assert anonymise_expired(later, batch_size=2, limit=3) == 1


def test_dry_run_changes_nothing(world: World) -> None:
    items = scenario(world)
    later = at(2032, 1, 1, 0, 0)
    assert anonymise_expired(later, dry_run=True) == 4
    assert not any(anonymised(i) for i in items.values())
    assert not AuditEvent.objects.filter(action="inbox.item.anonymised").exists()
    out = io.StringIO()
    with time_machine.travel(later, tick=False):
        call_command("inbox", "anonymise", "--dry-run", stdout=out)
        assert "4" in out.getvalue()
        assert not any(anonymised(i) for i in items.values())
        call_command("inbox", "anonymise", stdout=out)
    assert sum(anonymised(i) for i in items.values()) == 4


def test_the_scheduler_runs_it_at_most_once_an_hour(world: World) -> None:
    from pregonero.core.management.commands.scheduler import _anonymise_if_due, upkeep

    item = receive(world.fb)
    actions.triage(world.writer, item, "not_applicable", reason="Spam")
    with time_machine.travel(at(2027, 1, 1, 0, 0), tick=False):
        assert upkeep()["anonymised"] == 1
        spam = receive(world.fb, received_at=at(2026, 3, 1, 0, 0))
        actions.triage(world.writer, spam, "not_applicable", reason="Spam")
        assert _anonymise_if_due() == 0  # within the hour
    with time_machine.travel(at(2027, 1, 1, 1, 5), tick=False):
        assert _anonymise_if_due() == 1
    assert anonymised(item) and anonymised(spam)


def test_detail_page_and_api_say_when_it_was_anonymised(world: World) -> None:
    from .test_views_api import api

    item = receive(world.fb)
    actions.triage(world.writer, item, "not_applicable", reason="Spam")
    anonymise_expired(at(2027, 1, 1, 0, 0))
    page = world.client(world.writer).get(reverse("inbox:item_detail", args=[item.pk]))
    text = page.content.decode()
    assert "Contenido anonimizado el" in text and "plazo de conservación" in text
    seen = api(world, world.writer).get(f"/api/v1/inbox/items/{item.pk}").json()
    assert seen["anonymised_at"].startswith("2027-01-01")


def test_months_before_counts_calendar_months() -> None:
    from pregonero.inbox.retention import months_before

    assert months_before(at(2026, 3, 31, 10, 0), 1) == at(2026, 2, 28, 10, 0)
    assert months_before(at(2026, 1, 15, 8, 0), 1) == at(2025, 12, 15, 8, 0)
    assert months_before(at(2026, 12, 31, 8, 0), 24) == at(2024, 12, 31, 8, 0)
    assert months_before(at(2028, 3, 31, 8, 0), 1) == at(2028, 2, 29, 8, 0)
    assert months_before(at(2026, 7, 1, 0, 0), 60) == at(2021, 7, 1, 0, 0)


def test_the_administrador_edits_the_periods(world: World) -> None:
    client = world.client(world.admin)
    page = client.get(reverse("admin:inbox_inboxsettings_add"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "retention_petition_months" in text and "Tabla de Retención" in text
    response = client.post(
        reverse("admin:inbox_inboxsettings_add"),
        {
            "citizen_service_email": "",
            "first_response_days": 0,
            "office_closes_at": "17:00",
            "retention_interaction_months": 36,
            "retention_not_applicable_months": 3,
            "retention_petition_months": 120,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = InboxSettings.objects.get(organization=world.org)
    assert saved.retention_petition_months == 120
    assert world.client(world.writer).get(
        reverse("admin:inbox_inboxsettings_add")
    ).status_code in (302, 403)
