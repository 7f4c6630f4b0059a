"""Pieces through the actions: control points, the author rule, delegation,
stale saves, concurrent decisions, the seal and what voids it."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from pregonero.accounts.actions import create_delegation
from pregonero.audit.models import AuditEvent
from pregonero.content import actions
from pregonero.content.models import (
    Piece,
    Review,
    ReviewDecision,
    TextDraft,
    compute_seal,
)
from pregonero.content.workflow import PieceAction, PieceState
from pregonero.core.errors import (
    ConflictError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)

from .conftest import (
    CHECKS1,
    CHECKS2,
    World,
    add_image,
    approved_piece,
    grant,
    make_piece,
    make_world,
    png_bytes,
    to_design,
    write,
)


def test_first_version_and_submission(world: World) -> None:
    piece = make_piece(world)
    version = write(world, piece, "Primera versión.")
    assert version.number == 1 and version.author == world.writer
    actions.submit_text(world.writer, piece)
    piece.refresh_from_db()
    assert piece.state == PieceState.TEXT_REVIEW


def test_submitting_without_text_is_refused(world: World) -> None:
    piece = make_piece(world)
    with pytest.raises(ValidationFailed, match="texto"):
        actions.submit_text(world.writer, piece)


def test_return_needs_a_comment_and_goes_back_to_the_writer(
    world: World, django_capture_on_commit_callbacks: object
) -> None:  # type: ignore[type-arg]
    piece = make_piece(world)
    write(world, piece)
    actions.submit_text(world.writer, piece)
    with pytest.raises(ValidationFailed) as error:
        actions.decide_text(world.jefe, piece, PieceAction.RETURN_TEXT, comment="  ")
    assert "comment" in error.value.errors
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        review = actions.decide_text(
            world.jefe, piece, PieceAction.RETURN_TEXT, comment="Verifique la cifra."
        )
    piece.refresh_from_db()
    assert piece.state == PieceState.TEXT_CHANGES
    assert (
        review.decision == ReviewDecision.RETURNED and review.text_version.number == 1
    )
    assert any(
        m.to == [world.writer.email] and "devuelto" in m.subject.lower()
        for m in mail.outbox
    )
    # Activity 8: the writer adjusts and resubmits.
    write(world, piece, "Cifra verificada con la interventoría.")
    actions.submit_text(world.writer, piece)
    piece.refresh_from_db()
    assert piece.state == PieceState.TEXT_REVIEW


def test_approval_requires_the_whole_checklist(world: World) -> None:
    piece = make_piece(world)
    write(world, piece)
    actions.submit_text(world.writer, piece)
    with pytest.raises(ValidationFailed, match="lista de chequeo"):
        actions.decide_text(
            world.jefe, piece, PieceAction.APPROVE_TEXT, checklist={"timeliness": True}
        )
    with pytest.raises(ValidationFailed, match="desconocidos"):
        actions.decide_text(
            world.jefe,
            piece,
            PieceAction.APPROVE_TEXT,
            checklist={**CHECKS1, "otro": True},
        )


def test_the_author_of_a_version_never_approves_it(world: World) -> None:
    """Even the Jefe, when she wrote the version; a delegate decides instead."""
    piece = make_piece(world)
    grant(world.jefe, "jefe", "profesional")  # the Jefe also writes
    actions.save_text_version(
        world.jefe, piece, base_version=None, body="Texto de la jefa."
    )
    actions.submit_text(world.jefe, piece)
    with pytest.raises(PermissionDeniedError, match="autor"):
        actions.decide_text(
            world.jefe, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1
        )
    # The writer has no review power at all.
    with pytest.raises(PermissionDeniedError):
        actions.decide_text(
            world.writer, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1
        )
    # A delegate (encargo) may approve, and the review records it.
    today = timezone.localdate()
    create_delegation(
        world.jefe, delegator=world.jefe, delegate=world.strategist, starts_on=today,
        ends_on=today + datetime.timedelta(days=3), reason="Comisión de servicios",
    )  # fmt: skip
    review = actions.decide_text(
        world.strategist, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1
    )
    assert review.delegation is not None and review.delegation.delegator == world.jefe
    event = AuditEvent.objects.get(
        action="content.text.approved", target_id=str(piece.pk)
    )
    assert event.data["as_delegate_of"] == str(world.jefe)


def test_the_designer_never_approves_the_design_nor_the_text_author_the_seal(
    world: World,
) -> None:
    piece = to_design(world, make_piece(world))
    # The Jefe uploads a design herself: she may not approve it.
    grant(world.jefe, "jefe", "profesional")
    actions.add_asset(
        world.jefe,
        piece,
        png_bytes(),
        original_name="a.png",
        alt_text="Mapa de la localidad.",
    )
    actions.submit_design(world.jefe, piece)
    with pytest.raises(PermissionDeniedError):
        actions.decide_design(
            world.jefe, piece, PieceAction.APPROVE_DESIGN, checklist=CHECKS2
        )


def test_delegation_outside_its_dates_gives_no_power(world: World) -> None:
    piece = make_piece(world)
    write(world, piece)
    actions.submit_text(world.writer, piece)
    today = timezone.localdate()
    create_delegation(
        world.jefe, delegator=world.jefe, delegate=world.strategist,
        starts_on=today + datetime.timedelta(days=5), ends_on=today + datetime.timedelta(days=9),
        reason="Vacaciones",
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        actions.decide_text(
            world.strategist, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1
        )
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6)):
        fresh = type(world.strategist).objects.get(pk=world.strategist.pk)
        actions.decide_text(fresh, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1)


def test_full_route_seals_text_and_design(world: World) -> None:
    piece = approved_piece(world)
    assert piece.state == PieceState.APPROVED
    assert piece.seal_hash == compute_seal(
        piece.approved_text_version, piece.approved_asset_set
    )  # type: ignore[arg-type]
    assert actions.seal_is_valid(piece)
    final = Review.objects.get(piece=piece, control_point=2)
    assert final.seal_hash == piece.seal_hash


def test_text_only_piece_needs_the_jefe_decision(world: World) -> None:
    piece = make_piece(world)
    write(world, piece)
    actions.submit_text(world.writer, piece)
    actions.decide_text(
        world.jefe, piece, PieceAction.APPROVE_TEXT_FINAL, checklist=CHECKS1
    )
    piece.refresh_from_db()
    assert piece.state == PieceState.APPROVED and piece.text_only
    assert piece.approved_asset_set is None and actions.seal_is_valid(piece)


def test_a_new_version_after_approval_voids_the_seal(world: World) -> None:
    piece = approved_piece(world)
    old_seal = piece.seal_hash
    write(
        world,
        piece,
        "Fe de erratas: la fecha correcta es el 12 de diciembre.",
        note="Errata",
    )
    piece.refresh_from_db()
    assert piece.state == PieceState.TEXT_CHANGES
    assert piece.seal_hash == "" and not actions.seal_is_valid(piece)
    voided = AuditEvent.objects.get(
        action="content.piece.seal_voided", target_id=str(piece.pk)
    )
    assert voided.data["seal"] == old_seal
    # It passes both control points again.
    actions.submit_text(world.writer, piece)
    actions.decide_text(world.jefe, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1)
    piece.refresh_from_db()
    assert piece.latest_asset_set is not None and piece.latest_asset_set.is_frozen
    add_image(world, piece, "Versión corregida.")
    actions.submit_design(world.designer, piece)
    actions.decide_design(
        world.jefe, piece, PieceAction.APPROVE_DESIGN, checklist=CHECKS2
    )
    piece.refresh_from_db()
    assert piece.seal_hash and piece.seal_hash != old_seal


def test_tampering_with_approved_text_breaks_the_seal(world: World) -> None:
    piece = approved_piece(world)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE content_textversion SET body = %s WHERE id = %s",
            ["Texto cambiado por fuera.", piece.approved_text_version_id],
        )
    assert not actions.seal_is_valid(Piece.objects.get(pk=piece.pk))


def test_versions_are_immutable(world: World) -> None:
    piece = make_piece(world)
    version = write(world, piece)
    version.body = "otro"
    with pytest.raises(RuntimeError):
        version.save()


def test_a_stale_save_is_refused_and_kept_as_a_draft(world: World) -> None:
    piece = make_piece(world)
    write(world, piece, "Versión 1")
    # Two people open version 1; the first saves version 2.
    write(world, piece, "Versión 2 de la compañera", base=1)
    with pytest.raises(ConflictError) as error:
        write(world, piece, "Mi versión, basada en la 1", base=1)
    piece.refresh_from_db()
    assert piece.latest_text_version.number == 2  # type: ignore[union-attr]
    assert piece.latest_text_version.body == "Versión 2 de la compañera"  # type: ignore[union-attr]
    draft = TextDraft.objects.get(pk=error.value.extra["draft_id"])
    assert draft.body == "Mi versión, basada en la 1" and draft.based_on == 1
    assert error.value.status == 409


def test_two_reviewers_at_once_one_wins(world: World) -> None:
    piece = make_piece(world)
    write(world, piece)
    actions.submit_text(world.writer, piece)
    today = timezone.localdate()
    create_delegation(world.jefe, delegator=world.jefe, delegate=world.strategist, starts_on=today,
                      ends_on=today, reason="Apoyo")  # fmt: skip
    seen = Piece.objects.get(pk=piece.pk).lock_version
    actions.decide_text(
        world.jefe,
        piece,
        PieceAction.APPROVE_TEXT,
        checklist=CHECKS1,
        lock_version=seen,
    )
    with pytest.raises((ConflictError, TransitionNotAllowed)):
        actions.decide_text(
            world.strategist,
            piece,
            PieceAction.RETURN_TEXT,
            comment="No",
            lock_version=seen,
        )
    assert Review.objects.filter(piece=piece).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_in_threads() -> None:
    """Two reviewers submit at the same instant: exactly one decision is stored."""
    world = make_world()
    piece = make_piece(world)
    write(world, piece)
    actions.submit_text(world.writer, piece)
    today = timezone.localdate()
    create_delegation(world.jefe, delegator=world.jefe, delegate=world.strategist, starts_on=today,
                      ends_on=today, reason="Apoyo")  # fmt: skip
    lock = Piece.objects.get(pk=piece.pk).lock_version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(user: object, action: str, **kw: object) -> None:
        try:
            barrier.wait()
            actions.decide_text(user, piece, action, lock_version=lock, **kw)  # type: ignore[arg-type]
            outcomes.append("ok")
        except (ConflictError, TransitionNotAllowed):
            outcomes.append("conflict")
        except Exception as exc:  # noqa: BLE001 - SQLite may refuse the second writer
            outcomes.append(f"error:{type(exc).__name__}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(world.jefe, PieceAction.APPROVE_TEXT), kwargs={"checklist": CHECKS1}),
        threading.Thread(target=decide, args=(world.strategist, PieceAction.RETURN_TEXT), kwargs={"comment": "No"}),
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert Review.objects.filter(piece=piece).count() == 1
    assert Piece.objects.get(pk=piece.pk).state in (
        PieceState.DESIGN,
        PieceState.TEXT_CHANGES,
    )


def test_design_needs_alt_text_before_review(world: World) -> None:
    piece = to_design(world, make_piece(world))
    asset = add_image(world, piece, alt="")
    with pytest.raises(ValidationFailed, match="texto alternativo"):
        actions.submit_design(world.designer, piece)
    actions.update_asset(world.designer, asset, alt_text="", decorative=True)
    actions.submit_design(world.designer, piece)
    piece.refresh_from_db()
    assert piece.state == PieceState.DESIGN_REVIEW
    assert piece.latest_asset_set.is_frozen  # type: ignore[union-attr]
    with pytest.raises(TransitionNotAllowed):
        actions.update_asset(world.designer, asset, alt_text="otro", decorative=False)


def test_returned_design_starts_a_new_version_keeping_the_files(world: World) -> None:
    piece = to_design(world, make_piece(world))
    add_image(world, piece)
    actions.submit_design(world.designer, piece)
    actions.decide_design(
        world.jefe, piece, PieceAction.RETURN_DESIGN, comment="Más contraste."
    )
    piece.refresh_from_db()
    first = piece.latest_asset_set
    asset = add_image(world, piece, "Segunda imagen.")
    piece.refresh_from_db()
    assert piece.latest_asset_set.number == 2  # type: ignore[union-attr]
    assert piece.latest_asset_set.assets.count() == 2  # type: ignore[union-attr]
    assert first.assets.count() == 1  # type: ignore[union-attr]
    assert asset.asset_set_id != first.pk  # type: ignore[union-attr]


def test_cancel_needs_the_jefe_and_a_reason(world: World) -> None:
    piece = make_piece(world)
    with pytest.raises(PermissionDeniedError):
        actions.cancel_piece(world.writer, piece, reason="No va")
    with pytest.raises(ValidationFailed):
        actions.cancel_piece(world.jefe, piece, reason="")
    actions.cancel_piece(world.jefe, piece, reason="El evento se aplazó.")
    piece.refresh_from_db()
    assert piece.state == PieceState.CANCELLED
    with pytest.raises(TransitionNotAllowed):
        write(world, piece, "más texto")
    approved = approved_piece(world, title="Otra")
    with pytest.raises(TransitionNotAllowed):
        actions.cancel_piece(world.jefe, approved, reason="Ya tiene visto bueno")


def test_urgent_pieces_escalate_to_the_delegate(
    world: World, django_capture_on_commit_callbacks: object
) -> None:  # type: ignore[type-arg]
    piece = make_piece(world, urgent=True)
    write(world, piece)
    actions.submit_text(world.writer, piece)
    today = timezone.localdate()
    create_delegation(world.jefe, delegator=world.jefe, delegate=world.strategist, starts_on=today,
                      ends_on=today + datetime.timedelta(days=1), reason="Apoyo")  # fmt: skip
    assert actions.escalate_stale_urgent_reviews() == 0
    later = timezone.now() + datetime.timedelta(hours=world.org.urgent_review_hours + 1)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert actions.escalate_stale_urgent_reviews(now=later) == 1
    assert actions.escalate_stale_urgent_reviews(now=later) == 0
    assert any(
        m.to == [world.strategist.email] and "URGENTE" in m.subject for m in mail.outbox
    )


def test_pieces_of_another_organization_cannot_be_used(
    world: World, other_world: World
) -> None:
    with pytest.raises(ValidationFailed):
        actions.create_piece(
            world.writer, actions.PieceData(title="x", channels=[other_world.fb])
        )
