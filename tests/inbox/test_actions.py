"""Receiving, triage, the radicado rule, terms and alerts, through the actions."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from pregonero.accounts.models import Notification
from pregonero.audit.actions import verify_all
from pregonero.audit.models import AuditEvent
from pregonero.core.errors import (
    ConflictError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.inbox import actions
from pregonero.inbox.alerts import send_term_alerts
from pregonero.inbox.models import (
    Conversation,
    InboundItem,
    InboxSettings,
    PetitionAlert,
)
from pregonero.inbox.workflow import ItemState, PetitionState
from tests.conftest import World

from .helpers import at, petition, receive


def test_receive_deduplicates_and_keeps_the_platform_time(world: World) -> None:
    first = receive(world.fb, platform_id="fb-1", received_at=at(2026, 3, 20, 9, 0))
    again, created = actions.receive_item(
        world.fb, "comment", "fb-1", "@otra", "cambiado", "", at(2026, 3, 21, 9, 0)
    )
    assert not created and again.pk == first.pk
    again.refresh_from_db()
    assert again.received_at == at(2026, 3, 20, 9, 0)
    assert again.text == first.text
    # The same id on another channel is another message.
    other = receive(world.x, platform_id="fb-1")
    assert other.pk != first.pk
    assert InboundItem.objects.count() == 2
    assert AuditEvent.objects.filter(action="inbox.item.received").count() == 2


def test_out_of_order_items_share_their_thread(world: World) -> None:
    late = receive(world.fb, received_at=at(2026, 3, 20, 12, 0))
    early = receive(world.fb, received_at=at(2026, 3, 20, 8, 0))
    assert late.conversation_id == early.conversation_id
    conversation = Conversation.objects.get()
    assert conversation.last_item_at == at(2026, 3, 20, 12, 0)


def test_first_response_target_is_the_same_business_day(world: World) -> None:
    item = receive(world.fb, received_at=at(2026, 3, 20, 18, 0))  # Friday after hours
    # Monday 23 is San José: the target is Tuesday at closing time.
    assert item.first_response_due == at(2026, 3, 24, 17, 0)
    InboxSettings.objects.create(organization=world.org, first_response_days=1)
    item2 = receive(world.fb, received_at=at(2026, 3, 20, 10, 0))
    assert item2.first_response_due == at(2026, 3, 24, 17, 0)


def test_triage_records_who_and_why_and_opens_the_petition(world: World) -> None:
    spam = receive(world.fb)
    with pytest.raises(ValidationFailed):
        actions.triage(world.writer, spam, "not_applicable")  # no reason
    actions.triage(world.writer, spam, "not_applicable", reason="Publicidad.")
    spam.refresh_from_db()
    assert spam.state == ItemState.NOT_APPLICABLE
    t = spam.triages.get()
    assert (t.decided_by, t.reason) == (world.writer, "Publicidad.")

    with pytest.raises(ValidationFailed):
        actions.triage(world.writer, receive(world.fb), "petition")  # no typology
    p = petition(world, "information", received_at=at(2026, 3, 20, 10, 0))
    assert p.number.startswith("PQR-2026-")
    assert (p.term_days, p.due_date) == (10, datetime.date(2026, 4, 8))
    assert p.referral_due == datetime.date(2026, 3, 30)
    assert p.item.assignee == world.writer
    with pytest.raises(TransitionNotAllowed):
        actions.triage(world.writer, p.item, "interaction")
    # Consultations get 30 business days.
    assert petition(world, "consultation").term_days == 30


def test_roles_and_organizations(world: World, other_world: World) -> None:
    item = receive(world.fb)
    for persona in (world.auditor, world.liaison, world.admin, world.director):
        with pytest.raises(PermissionDeniedError):
            actions.triage(persona, item, "interaction")
    with pytest.raises(Exception):  # noqa: B017 (another organization's item is unknown)
        actions.triage(other_world.writer, item, "interaction")
    with pytest.raises(ValidationFailed):
        actions.assign(world.writer, item, other_world.writer)
    with pytest.raises(ValidationFailed):
        actions.assign(world.writer, item, world.liaison)  # not inbox staff
    actions.assign(world.writer, item, world.designer)
    assert Notification.objects.filter(recipient=world.designer).exists()


def test_stale_edits_are_refused(world: World) -> None:
    item = receive(world.fb)
    version = item.lock_version
    actions.assign(world.writer, item, world.designer, lock_version=version)
    with pytest.raises(ConflictError):
        actions.triage(world.jefe, item, "interaction", lock_version=version)


def test_close_requires_the_radicado(world: World) -> None:
    p = petition(world)
    with pytest.raises(TransitionNotAllowed):
        actions.close(world.writer, p)  # not answered yet
    actions.record_answer(
        world.writer, p, "Le respondimos por correo.", "https://x.example/r"
    )
    with pytest.raises(ValidationFailed) as refused:
        actions.close(world.writer, p)
    assert refused.value.code == "radicado_required"
    actions.set_radicado(world.writer, p, "1234562026")
    actions.close(world.writer, p)
    p.refresh_from_db()
    assert p.state == PetitionState.CLOSED and p.closed_by == world.writer
    assert p.item.responded_at is not None
    actions_logged = list(
        AuditEvent.objects.filter(target_id=str(p.item.pk)).values_list(
            "action", flat=True
        )
    )
    for action in (
        "inbox.item.triaged",
        "inbox.petition.opened",
        "inbox.petition.answered",
        "inbox.petition.radicado_set",
        "inbox.petition.closed",
    ):
        assert action in actions_logged
    assert verify_all().ok


def test_referral_clarification_and_extension(world: World) -> None:
    with time_machine.travel(at(2026, 3, 24, 9, 0), tick=False):
        p = petition(world, received_at=at(2026, 3, 20, 10, 0))
        assert p.due_date == datetime.date(2026, 4, 15)
        with pytest.raises(ValidationFailed):  # beyond twice the term
            actions.extend(world.writer, p, datetime.date(2026, 6, 30), "Volumen.")
        with pytest.raises(ValidationFailed):  # a Saturday
            actions.extend(world.writer, p, datetime.date(2026, 4, 25), "Volumen.")
        limit = datetime.date(2026, 5, 7)  # 30 business days from 20 March
        actions.extend(
            world.writer, p, limit, "Se consulta a la Dirección de Reasentamientos."
        )
        p.refresh_from_db()
        assert (p.due_date, p.original_due_date) == (limit, datetime.date(2026, 4, 15))
        with pytest.raises(TransitionNotAllowed):  # only once
            actions.extend(world.writer, p, limit, "Otra vez.")

        q = petition(world, received_at=at(2026, 3, 20, 10, 0))
        actions.request_clarification(world.writer, q, "¿Qué predio?")
        q.refresh_from_db()
        assert q.state == PetitionState.CLARIFICATION
        assert q.clarification_due == datetime.date(2026, 4, 9)
        r = petition(world, received_at=at(2026, 3, 20, 10, 0))
        actions.refer(world.writer, r, "Secretaría Distrital del Hábitat", "Oficio 1")
        r.refresh_from_db()
        assert r.state == PetitionState.REFERRED and r.answered_on_time is True
    with time_machine.travel(at(2026, 4, 16, 9, 0), tick=False):
        # The clarification arrived on 6 April: the full term runs again from then.
        actions.receive_clarification(world.writer, q, at(2026, 4, 6, 9, 0))
        q.refresh_from_db()
        assert q.state == PetitionState.OPEN
        assert (q.start_date, q.due_date) == (
            datetime.date(2026, 4, 6),
            datetime.date(2026, 4, 27),
        )
        s = petition(world, received_at=at(2026, 3, 20, 10, 0))
        with pytest.raises(TransitionNotAllowed):  # expired: too late to extend
            actions.extend(world.writer, s, datetime.date(2026, 5, 5), "Tarde.")


def test_personal_data_needs_its_permission_and_stays_out_of_the_audit(
    world: World,
) -> None:
    p = petition(world)
    fields = actions.PetitionFields(petitioner_document="1012345678")
    with pytest.raises(PermissionDeniedError):
        actions.update_petition(world.strategist, p, fields)
    actions.update_petition(world.writer, p, fields)
    event = AuditEvent.objects.filter(action="inbox.petition.updated").get()
    assert "1012345678" not in str(event.data)
    assert event.data["personal_fields_changed"] == ["petitioner_document"]


def test_alerts_at_50_80_100_are_sent_once_each(world: World) -> None:
    InboxSettings.objects.create(
        organization=world.org, citizen_service_email="sac@entidad.example"
    )
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        p = petition(world, received_at=at(2026, 3, 20, 10, 0))
    start, due = p.start_date, p.due_date  # 20 March → 15 April (15 days)
    day = start
    while day <= due + datetime.timedelta(days=3):
        with time_machine.travel(at(day.year, day.month, day.day, 8, 0), tick=False):
            for _ in range(2):  # two passes the same day: nothing twice
                send_term_alerts()
        day += datetime.timedelta(days=1)
    sent = list(
        PetitionAlert.objects.filter(petition=p)
        .order_by("threshold")
        .values_list("threshold", flat=True)
    )
    assert sent == [50, 80, 100]
    first = PetitionAlert.objects.get(petition=p, threshold=50)
    assert first.created_at.date() == datetime.date(2026, 4, 6)  # 8 of 15 days
    notified = Notification.objects.filter(kind="inbox.petition_alert")
    assert {n.recipient for n in notified} == {world.writer, world.jefe}
    assert notified.filter(recipient=world.jefe).count() == 3
    assert AuditEvent.objects.filter(action="inbox.petition.alert_sent").count() == 3
    # The Servicio al Ciudadano e-mail goes out once per alert.
    from pregonero.inbox.alerts import deliver_alert_email

    for alert in PetitionAlert.objects.all():
        deliver_alert_email(alert.pk)
        deliver_alert_email(alert.pk)
    to_sac = [m for m in mail.outbox if m.to == ["sac@entidad.example"]]
    assert len(to_sac) == 3


def test_a_late_pass_sends_only_the_highest_threshold(world: World) -> None:
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        p = petition(world, received_at=at(2026, 3, 20, 10, 0))
    with time_machine.travel(at(2026, 4, 13, 8, 0), tick=False):  # 85 %
        assert send_term_alerts() == 1
        assert send_term_alerts() == 0
    assert list(PetitionAlert.objects.values_list("threshold", flat=True)) == [80]
    # Answered petitions get no more alerts.
    actions.record_answer(world.writer, p, "Respuesta.")
    with time_machine.travel(at(2026, 4, 20, 8, 0), tick=False):
        assert send_term_alerts() == 0


def test_the_scheduler_pass_runs_the_alerts(world: World) -> None:
    from pregonero.core.management.commands.scheduler import upkeep

    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        petition(world, received_at=at(2026, 3, 20, 10, 0))
    with time_machine.travel(at(2026, 4, 15, 8, 0), tick=False):
        assert upkeep()["petition_alerts"] == 1
    assert PetitionAlert.objects.get().threshold == 100
