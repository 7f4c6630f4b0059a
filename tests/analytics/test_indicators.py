"""Process indicators worked out by hand on a few needs, pieces and publications."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pregonero.analytics import indicators
from pregonero.content import actions as content
from pregonero.content.workflow import PieceAction
from pregonero.intake.models import NeedSource
from pregonero.publishing.actions import record_manual_publication
from tests.conftest import (
    CHECKS1,
    World,
    approved_piece,
    make_need,
    make_piece,
    write,
)


def build(w: World) -> None:
    today = timezone.localdate()
    need1 = make_need(w, desired_date=today)
    make_need(w, source=NeedSource.MAILBOX, dependency=w.dr, desired_date=today)
    piece1 = approved_piece(w, need=need1, channels=[w.web])
    record_manual_publication(
        w.writer,
        piece1,
        w.web,
        permalink="https://example.org/p1",
        published_at=timezone.now(),
    )
    piece2 = make_piece(w, title="Devuelta")
    write(w, piece2, "Texto con un dato sin verificar.")
    content.submit_text(w.writer, piece2)
    content.decide_text(
        w.jefe,
        piece2,
        PieceAction.RETURN_TEXT,
        checklist={**CHECKS1, "veracity": False},
        comment="Verifique.",
    )


def test_process_indicators_by_hand(world: World) -> None:
    w = world
    build(w)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=6)
    data = indicators.process_indicators(w.org, start, today)
    needs = data["needs"]
    assert needs["total"] == 2
    assert {r["key"]: r["count"] for r in needs["by_source"]} == {
        "committee": 1,
        "mailbox": 1,
    }
    assert {r["label"]: r["count"] for r in needs["by_dependency"]} == {
        "Dirección de Mejoramiento de Vivienda": 1,
        "Dirección de Reasentamientos": 1,
    }
    timeliness = data["timeliness"]
    assert (timeliness["due"], timeliness["on_time"], timeliness["unpublished"]) == (
        2,
        1,
        1,
    )
    assert timeliness["rate"] == 50.0
    production = data["production"]
    assert (production["publications"], production["pieces"]) == (1, 1)
    assert [(r["label"], r["count"]) for r in production["by_channel"]] == [
        ("Portal web", 1)
    ]
    assert [(r["key"], r["count"]) for r in production["by_format"]] == [("image", 1)]
    first = {r["control_point"]: r for r in data["first_pass"]}
    assert (
        first[1]["first_decisions"],
        first[1]["approved_first_time"],
        first[1]["rate"],
    ) == (2, 1, 50.0)
    assert first[2]["rate"] == 100.0
    returns = data["returns"]
    assert returns["total"] == 1
    assert [
        (r["control_point"], r["reason"], r["count"]) for r in returns["reasons"]
    ] == [(1, "veracity", 1)]
    assert data["documented_approval"]["rate"] == 100.0
    assert data["documented_approval"]["missing_ids"] == []
    access = data["accessibility"]
    assert (access["images"], access["images_with_alt"], access["rate"]) == (
        1,
        1,
        100.0,
    )
    assert data["plan"]["planned"] == 0 and data["plan"]["rate"] is None
    times = data["times"]
    assert times["pieces"] == 1 and times["need_to_publication"]["count"] == 1
    assert times["need_to_publication"]["median_hours"] is not None
    assert data["joint_actions"]["total"] == 0


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert indicators.percentile(values, 0.9) == 9.0
    assert indicators.percentile([5.0], 0.9) == 5.0
    assert indicators.percentile([], 0.9) is None


def test_query_count_does_not_grow(world: World) -> None:
    w = world
    today = timezone.localdate()
    start = today - datetime.timedelta(days=6)
    build(w)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            indicators.process_indicators(w.org, start, today)
        return len(captured)

    before = count()
    for _i in range(3):
        piece = approved_piece(w, channels=[w.web])
        record_manual_publication(
            w.writer,
            piece,
            w.web,
            permalink="https://example.org/p",
            published_at=timezone.now(),
        )
    assert count() == before


def test_language_review_counts_the_findings_stored_at_the_control_points(
    world: World,
) -> None:
    """Issue 5: the checker's evidence stored with each decision feeds the
    report — approvals without errors, approvals with a written justification,
    and the findings by rule (returns included)."""
    w = world
    slogan = "Entregamos 120 títulos en Ciudad Bolívar porque Bogotá camina segura."
    why = "Es el nombre oficial del programa distrital, no un eslogan de gobierno."
    # An approval in spite of a government slogan (BRD-03), with the reason.
    overridden = make_piece(w, title="Con eslogan")
    write(w, overridden, slogan)
    content.submit_text(w.writer, overridden)
    content.decide_text(
        w.jefe,
        overridden,
        PieceAction.APPROVE_TEXT,
        checklist=CHECKS1,
        override_justification=why,
    )
    # A clean approval at control point 1.
    approved_piece(w, title="Limpia")
    # A return with findings: they count as findings, not as an approval.
    returned = make_piece(w, title="Devuelta")
    write(w, returned, slogan)
    content.submit_text(w.writer, returned)
    content.decide_text(
        w.jefe,
        returned,
        PieceAction.RETURN_TEXT,
        checklist={**CHECKS1, "veracity": False},
        comment="Quite el eslogan.",
    )
    today = timezone.localdate()
    row = indicators.process_indicators(w.org, today, today)["language"]
    # Approvals: the overridden text, the clean text (CP1) and its design (CP2).
    assert row["approvals"] == 3
    assert row["clean"] == 2
    assert row["overridden"] == 1
    assert row["overridden_piece_ids"] == [overridden.pk]
    assert row["rate"] == 66.7
    brd = [r for r in row["by_rule"] if r["rule"] == "BRD-03"]
    assert brd and brd[0]["severity"] == "error" and brd[0]["count"] == 2
    # Nothing of yesterday.
    yesterday = today - datetime.timedelta(days=1)
    empty = indicators.language_review(w.org, yesterday, yesterday)
    assert (empty["approvals"], empty["rate"], empty["by_rule"]) == (0, None, [])
    # The report shows them (HTML here; every format renders the same sections).
    from pregonero.analytics.figures import compute_report_data
    from pregonero.analytics.rendering import render_data

    html = render_data(w.org, compute_report_data(w.org, today, today), "html").decode()
    assert "Hallazgos del verificador de lenguaje y accesibilidad" in html
    assert "BRD-03" in html
    assert "Aprobaciones con errores aceptados por escrito" in html
