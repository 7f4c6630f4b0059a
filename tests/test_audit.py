"""The audit chain: every action records, the chain verifies, tampering is found."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from pregonero.audit.actions import record, verify_all, verify_chain
from pregonero.audit.models import AppendOnlyError, AuditEvent, chain_key

from .conftest import World, approved_piece, make_need


def _events(world: World) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_org(world.org).order_by("seq"))


def test_actions_write_linked_events(world: World) -> None:
    piece = approved_piece(world)
    events = _events(world)
    actions = [e.action for e in events]
    for expected in (
        "content.piece.created",
        "content.version.created",
        "content.text.submitted",
        "content.text.approved",
        "content.asset.added",
        "content.design.submitted",
        "content.design.approved",
        "content.piece.sealed",
    ):
        assert expected in actions
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
        assert event.seq == previous.seq + 1
    sealed = next(e for e in events if e.action == "content.piece.sealed")
    assert sealed.data["seal"] == piece.seal_hash
    assert sealed.actor == world.jefe
    count, problem = verify_chain(chain_key(world.org))
    assert problem is None and count == len(events)


@pytest.mark.django_db(transaction=True)
def test_record_refuses_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        record(None, "content.piece.created")


def test_no_update_or_delete_path(world: World) -> None:
    make_need(world)
    event = _events(world)[0]
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    # Even raw SQL is refused by the database triggers.
    for statement in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])


def _disable_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks must fire before the table can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def test_a_tampered_row_is_reported(world: World) -> None:
    approved_piece(world)
    events = _events(world)
    target = events[5]
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = %s WHERE id = %s",
            ['{"comment": "aprobado sin revisar"}', target.pk],
        )
    _count, problem = verify_chain(chain_key(world.org))
    assert problem is not None
    assert problem.seq == target.seq
    assert "modificado" in problem.reason
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_a_deleted_row_is_reported(world: World) -> None:
    approved_piece(world)
    events = _events(world)
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    result = verify_all(world.org)
    assert not result.ok
    assert result.problems[0].seq == events[3].seq


def test_a_truncated_chain_is_reported(world: World) -> None:
    approved_piece(world)
    last = _events(world)[-1]
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    _count, problem = verify_chain(chain_key(world.org))
    assert problem is not None and "cabeza" in problem.reason


def test_each_organization_has_its_own_chain(world: World, other_world: World) -> None:
    make_need(world)
    make_need(other_world)
    assert verify_all().ok
    assert {e.chain for e in _events(world)} == {chain_key(world.org)}
    assert _events(other_world)[0].seq == _events(world)[0].seq == 1


def test_verify_command_succeeds(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    approved_piece(world)
    call_command("audit", "verify", "--org", "cvp")
    assert "íntegra" in capsys.readouterr().out


def test_the_request_id_and_ip_are_recorded(world: World) -> None:
    client = world.client(world.liaison)
    response = client.post(
        reverse("intake:need_create"),
        {
            "title": "Convocatoria Plan Terrazas",
            "description": "Abrir inscripciones.",
            "source": "liaison",
            "dependency": world.dmv.pk,
            "urgency": "normal",
        },
        HTTP_X_REQUEST_ID="solicitud-1234567",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.for_org(world.org).get(action="intake.need.registered")
    assert event.request_id == "solicitud-1234567"
    assert event.ip == "10.1.2.3"
    assert event.actor == world.liaison


def test_audit_pages_and_api_are_read_only(world: World) -> None:
    make_need(world)
    client = world.client(world.auditor)
    assert client.get(reverse("core:audit_log")).status_code == 200
    response = client.post(reverse("core:audit_verify"), follow=True)
    assert "íntegra" in response.content.decode()
    # The admin offers no change or delete for audit events.
    admin = world.client(world.admin)
    event = _events(world)[0]
    assert admin.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code in (
        403,
        302,
        404,
    )
    assert admin.post(
        f"/admin/audit/auditevent/{event.pk}/change/", {}
    ).status_code in (403, 302, 404)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
