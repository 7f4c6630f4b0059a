"""The management report: figures by hand, outputs read back, workflow, views, API, CLI."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pregonero.accounts.models import Notification
from pregonero.analytics import reports
from pregonero.analytics.figures import compute_report_data
from pregonero.analytics.models import (
    MetricSource,
    MetricValue,
    NetworkPost,
    Report,
    ReportStatus,
)
from pregonero.analytics.rendering import render_data
from pregonero.core.errors import (
    ConflictError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from tests.conftest import World

D = datetime.date
BOGOTA = datetime.timezone(datetime.timedelta(hours=-5))


def value(
    w: World,
    channel: Any,
    metric: str,
    day: datetime.date,
    v: float,
    post: Any = None,
    captured: datetime.date | None = None,
) -> None:
    MetricValue.objects.create(
        organization=w.org,
        channel=channel,
        post=post,
        metric=metric,
        date=day,
        value=v,
        captured_at=timezone.now(),
        source=MetricSource.API,
    )


def post(
    w: World, channel: Any, pid: str, when: datetime.datetime, text: str
) -> NetworkPost:
    return NetworkPost.objects.create(
        organization=w.org,
        channel=channel,
        platform_id=pid,
        published_at=when,
        permalink=f"https://example.org/{pid}",
        text=text,
    )


@pytest.fixture
def metrics_world(world: World) -> World:
    w = world
    # Facebook followers: 1000 at the end of September, 1100 at the end of October.
    value(w, w.fb, "page_follows", D(2026, 8, 31), 900)
    value(w, w.fb, "page_follows", D(2026, 9, 30), 1000)
    value(w, w.fb, "page_follows", D(2026, 10, 31), 1100)
    # Facebook reach: 400 + 600 in October; 500 in September.
    value(w, w.fb, "page_total_media_view_unique", D(2026, 10, 1), 400)
    value(w, w.fb, "page_total_media_view_unique", D(2026, 10, 31), 600)
    value(w, w.fb, "page_total_media_view_unique", D(2026, 9, 15), 500)
    value(w, w.fb, "page_post_engagements", D(2026, 10, 10), 50)
    value(w, w.fb, "page_post_engagements", D(2026, 9, 10), 25)
    # Instagram followers 200 → 230.
    value(w, w.ig, "followers_count", D(2026, 9, 30), 200)
    value(w, w.ig, "followers_count", D(2026, 10, 31), 230)
    value(w, w.ig, "reach", D(2026, 10, 5), 1000)
    value(w, w.ig, "total_interactions", D(2026, 10, 5), 30)
    # X has no account flows: its figures come from its posts.
    late = datetime.datetime(2026, 10, 31, 23, 30, tzinfo=BOGOTA)  # 04:30 UTC on 1 Nov
    early = datetime.datetime(2026, 11, 1, 0, 30, tzinfo=BOGOTA)
    p1 = post(w, w.x, "x1", late, "Inscripciones Plan Terrazas")
    p2 = post(w, w.x, "x2", early, "Noviembre")
    value(w, w.x, "impression_count", D(2026, 11, 2), 800, post=p1)
    value(w, w.x, "like_count", D(2026, 11, 2), 12, post=p1)
    value(w, w.x, "reply_count", D(2026, 11, 2), 3, post=p1)
    value(w, w.x, "impression_count", D(2026, 11, 2), 999, post=p2)
    return w


def test_report_numbers_by_hand(metrics_world: World) -> None:
    w = metrics_world
    data = compute_report_data(
        w.org, D(2026, 10, 1), D(2026, 10, 31), as_of=D(2026, 11, 5)
    )
    assert data["period"]["label"] == "octubre de 2026"
    community = {r["name"]: r for r in data["community"]["rows"]}
    assert community["Facebook práctica"]["followers_start"] == 1000
    assert community["Facebook práctica"]["followers_end"] == 1100
    assert community["Facebook práctica"]["net"] == 100
    assert community["Facebook práctica"]["growth_pct"] == 10.0
    assert community["Instagram práctica"]["net"] == 30
    assert data["community"]["total"] == {
        "followers_start": 1200,
        "followers_end": 1330,
        "net": 130,
        "growth_pct": 10.8,
    }
    perf = {r["name"]: r for r in data["performance"]["rows"]}
    assert perf["Facebook práctica"]["figures"]["reach"] == 1000
    assert perf["Facebook práctica"]["figures"]["interactions"] == 50
    assert perf["Facebook práctica"]["engagement_rate"] == 5.0
    assert perf["Instagram práctica"]["engagement_rate"] == 3.0
    # X: the 23:30 Bogotá post on 31 October belongs to October; views as base.
    assert perf["X práctica"]["source"] == "posts"
    assert perf["X práctica"]["figures"] == {
        "comments": 3,
        "interactions": 15,
        "reactions": 12,
        "views": 800,
    }
    assert perf["X práctica"]["engagement_rate"] == round(100 * 15 / 800, 2)
    # Total rate: only networks with reach: (50 + 30) / (1000 + 1000).
    assert data["performance"]["totals"]["engagement_rate"] == 4.0
    top = {g["name"]: g for g in data["performance"]["top_posts"]}
    assert [p["text"] for p in top["X práctica"]["posts"]] == [
        "Inscripciones Plan Terrazas"
    ]
    comparison = {r["key"]: r for r in data["comparison"]["rows"]}
    assert data["comparison"]["previous"]["label"] == "septiembre de 2026"
    assert data["comparison"]["year_before"]["label"] == "octubre de 2025"
    assert comparison["reach"]["current"] == 2000
    assert comparison["reach"]["previous"] == 500
    assert comparison["reach"]["delta_previous"] == 1500
    assert comparison["reach"]["delta_previous_pct"] == 300.0
    assert comparison["followers_net"]["previous"] == 100  # Facebook 900 → 1000
    assert "citizens" not in data
    assert "interacciones ÷ alcance" in data["performance"]["formula"]


def test_outputs_read_back(metrics_world: World) -> None:
    import docx
    import openpyxl
    import pypdf

    w = metrics_world
    data = compute_report_data(
        w.org, D(2026, 10, 1), D(2026, 10, 31), as_of=D(2026, 11, 5)
    )
    texts = {
        "analysis": "Creció la comunidad.",
        "conclusions": "Bien.",
        "actions": "Más video.",
    }
    pdf = pypdf.PdfReader(io.BytesIO(render_data(w.org, data, "pdf", texts)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "1.100" in text and "Creció la comunidad." in text and "BORRADOR" in text
    document = docx.Document(io.BytesIO(render_data(w.org, data, "docx", texts)))
    cells = [
        c.text for table in document.tables for row in table.rows for c in row.cells
    ]
    assert "1.100" in cells and "Más video." in [p.text for p in document.paragraphs]
    book = openpyxl.load_workbook(io.BytesIO(render_data(w.org, data, "xlsx", texts)))
    assert "Comunidad (IND-07)" in book.sheetnames
    values = [
        c for row in book["Comunidad (IND-07)"].iter_rows(values_only=True) for c in row
    ]
    assert 1100 in values and "octubre de 2026" in values
    html = render_data(w.org, data, "html", texts).decode()
    assert "<svg" in html and "<desc" in html and "<caption>" in html


# ---------------------------------------------------------------- workflow


def drafted(w: World) -> Report:
    return reports.draft_report(w.writer, w.org, D(2026, 10, 1), D(2026, 10, 31))


def written(w: World) -> Report:
    report = drafted(w)
    return reports.save_texts(
        w.writer,
        report,
        analysis="Análisis.",
        conclusions="Conclusión.",
        actions="Acción.",
        lock_version=report.lock_version,
    )


def test_title_and_duplicate_period(metrics_world: World) -> None:
    w = metrics_world
    report = drafted(w)
    assert report.title == "Informe de gestión de redes sociales — octubre de 2026"
    assert report.kind == "monthly" and len(report.data_sha256) == 64
    with pytest.raises(ConflictError):
        drafted(w)


def test_workflow_author_cannot_approve_and_reopen_makes_version_2(
    metrics_world: World,
) -> None:
    import docx
    import openpyxl
    import pypdf

    w = metrics_world
    report = written(w)
    with pytest.raises(TransitionNotAllowed):
        reports.approve_report(w.jefe, report)  # not submitted yet
    report = reports.submit_report(w.writer, report)
    assert report.status == ReportStatus.SUBMITTED
    assert Notification.objects.filter(
        recipient=w.jefe, kind="report.submitted"
    ).exists()
    # The Profesional who wrote it holds no approval power; a Jefe who edited it may not approve.
    with pytest.raises(PermissionDeniedError):
        reports.approve_report(w.writer, report)
    assert "approve" in reports.allowed_actions(report, w.jefe)
    report = reports.approve_report(w.jefe, report)
    assert report.status == ReportStatus.APPROVED
    files = {f.output_format: f for f in report.files.all()}
    assert set(files) == {"pdf", "docx", "xlsx"}
    with files["pdf"].file.open("rb") as fh:
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(fh).pages)
    assert "Análisis." in text and "1.100" in text and "BORRADOR" not in text
    with files["docx"].file.open("rb") as fh:
        assert "Conclusión." in [p.text for p in docx.Document(fh).paragraphs]
    with files["xlsx"].file.open("rb") as fh:
        assert openpyxl.load_workbook(fh).sheetnames[0] == "Periodo y cuentas"
    import hashlib

    with files["pdf"].file.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == files["pdf"].sha256
    assert Notification.objects.filter(
        recipient=w.writer, kind="report.approved"
    ).exists()
    with pytest.raises(TransitionNotAllowed):
        reports.save_texts(
            w.writer,
            report,
            analysis="x",
            conclusions="y",
            actions="",
            lock_version=report.lock_version,
        )
    with pytest.raises(ValidationFailed):
        reports.reopen_report(w.writer, report, reason="  ")
    new = reports.reopen_report(
        w.writer, report, reason="Corrección de cifras de Instagram."
    )
    report.refresh_from_db()
    assert (new.version, new.previous_version_id, new.status) == (2, report.pk, "draft")
    assert report.status == ReportStatus.SUPERSEDED
    assert new.analysis == "Análisis."


def test_jefe_who_edited_cannot_approve_and_return_needs_comment(
    metrics_world: World,
) -> None:
    w = metrics_world
    report = drafted(w)
    report = reports.save_texts(
        w.jefe,
        report,
        analysis="A",
        conclusions="C",
        actions="",
        lock_version=report.lock_version,
    )
    report = reports.submit_report(w.writer, report)
    assert "approve" not in reports.allowed_actions(report, w.jefe)
    with pytest.raises(PermissionDeniedError):
        reports.approve_report(w.jefe, report)
    with pytest.raises(ValidationFailed):
        reports.return_report(w.jefe, report, comment="")
    report = reports.return_report(w.jefe, report, comment="Falta explicar la caída.")
    assert report.status == ReportStatus.DRAFT
    assert Notification.objects.filter(
        recipient=w.writer, kind="report.returned"
    ).exists()


def test_submit_requires_analysis_and_conclusions(metrics_world: World) -> None:
    w = metrics_world
    report = drafted(w)
    with pytest.raises(ValidationFailed) as info:
        reports.submit_report(w.writer, report)
    assert set(info.value.errors) == {"analysis", "conclusions"}


def test_stale_edit_is_refused_and_text_kept_in_the_form(metrics_world: World) -> None:
    w = metrics_world
    report = drafted(w)
    seen = report.lock_version
    reports.save_texts(
        w.designer,
        report,
        analysis="Otra persona.",
        conclusions="",
        actions="",
        lock_version=seen,
    )
    with pytest.raises(ConflictError):
        reports.save_texts(
            w.writer,
            report,
            analysis="Mío",
            conclusions="",
            actions="",
            lock_version=seen,
        )
    response = w.client(w.writer).post(
        reverse("analytics:report_detail", args=[report.pk]),
        {
            "action": "edit",
            "analysis": "Mi análisis largo",
            "conclusions": "",
            "actions": "",
            "lock_version": seen,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mi análisis largo" in body and "Otra persona guardó" in body
    report.refresh_from_db()
    assert report.analysis == "Otra persona."


def test_views_permissions_and_other_organization(
    metrics_world: World, other_world: World
) -> None:
    w = metrics_world
    report = written(w)
    writer = w.client(w.writer)
    assert writer.get(reverse("analytics:report_list")).status_code == 200
    page = writer.get(reverse("analytics:report_detail", args=[report.pk]))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    for fmt in ("html", "pdf", "docx", "xlsx"):
        response = writer.get(
            reverse("analytics:report_download", args=[report.pk]), {"formato": fmt}
        )
        assert response.status_code == 200, fmt
        assert "borrador" in response["Content-Disposition"]
    assert w.client(w.liaison).get(reverse("analytics:report_list")).status_code == 403
    stranger = other_world.client(other_world.writer)
    assert (
        stranger.get(reverse("analytics:report_detail", args=[report.pk])).status_code
        == 404
    )
    assert (
        stranger.get(
            reverse("analytics:report_download", args=[report.pk]), {"formato": "pdf"}
        ).status_code
        == 404
    )
    # The director reads but has no buttons.
    director = w.client(w.director).get(
        reverse("analytics:report_detail", args=[report.pk])
    )
    assert (
        director.status_code == 200
        and 'value="submit"' not in director.content.decode()
    )
    assert w.client(w.director).get(reverse("analytics:report_new")).status_code == 403


def test_new_report_form_keeps_input_on_error(world: World) -> None:
    client = world.client(world.writer)
    response = client.post(
        reverse("analytics:report_new"),
        {"kind": "custom", "start": "2026-07-01", "end": ""},
    )
    assert response.status_code == 200
    assert 'value="2026-07-01"' in response.content.decode()
    response = client.post(
        reverse("analytics:report_new"),
        {"kind": "quarter", "year": "2026", "quarter": "3"},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.kind, report.period_start, report.period_end) == (
        "quarterly",
        D(2026, 7, 1),
        D(2026, 9, 30),
    )
    assert report.title.endswith("tercer trimestre de 2026")


def test_report_list_queries_are_constant(world: World) -> None:
    client = world.client(world.writer)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("analytics:report_list")).status_code == 200
        return len(captured)

    reports.draft_report(world.writer, world.org, D(2026, 1, 1), D(2026, 1, 31))
    before = count()
    for month in range(2, 6):
        reports.draft_report(
            world.writer, world.org, D(2026, month, 1), D(2026, month, 28)
        )
    assert count() == before


def test_api_workflow_conflict_and_other_organization(
    metrics_world: World, other_world: World
) -> None:
    w = metrics_world
    writer, jefe = w.client(w.writer), w.client(w.jefe)
    created = writer.post(
        "/api/v1/reports",
        {"start": "2026-10-01", "end": "2026-10-31"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    rid, lock = body["id"], body["lock_version"]
    assert body["data"]["period"]["label"] == "octubre de 2026"
    ok = writer.put(
        f"/api/v1/reports/{rid}/texts",
        {"analysis": "A", "conclusions": "C", "actions": "", "lock_version": lock},
        content_type="application/json",
    )
    assert ok.status_code == 200
    stale = writer.put(
        f"/api/v1/reports/{rid}/texts",
        {"analysis": "B", "conclusions": "C", "actions": "", "lock_version": lock},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert writer.post(f"/api/v1/reports/{rid}/submit").status_code == 200
    assert writer.post(f"/api/v1/reports/{rid}/approve").status_code == 403
    approved = jefe.post(f"/api/v1/reports/{rid}/approve")
    assert approved.status_code == 200 and set(approved.json()["files"]) == {
        "pdf",
        "docx",
        "xlsx",
    }
    pdf = writer.get(f"/api/v1/reports/{rid}/download", {"format": "pdf"})
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(
        b"%PDF"
    )
    assert (
        writer.get(f"/api/v1/reports/{rid}/download", {"format": "exe"}).status_code
        == 422
    )
    listed = writer.get("/api/v1/reports").json()
    assert listed["count"] == 1
    reopened = writer.post(
        f"/api/v1/reports/{rid}/reopen",
        {"reason": "Corrección"},
        content_type="application/json",
    )
    assert reopened.status_code == 201 and reopened.json()["version"] == 2
    stranger = other_world.client(other_world.writer)
    assert stranger.get(f"/api/v1/reports/{rid}").status_code == 404
    assert stranger.post(f"/api/v1/reports/{rid}/submit").status_code == 404


def test_scheduler_drafts_last_month_once(
    metrics_world: World, other_world: World
) -> None:
    w = metrics_world
    not_first = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=BOGOTA)
    assert reports.draft_monthly_reports(not_first) == 0
    first = datetime.datetime(2026, 11, 1, 0, 5, tzinfo=BOGOTA)
    assert reports.draft_monthly_reports(first) == 2
    assert reports.draft_monthly_reports(first) == 0
    report = Report.objects.get(organization=w.org)
    assert report.drafted_automatically and report.period_start == D(2026, 10, 1)
    assert report.period_end == D(2026, 10, 31)


def test_cli_monthly_and_period(metrics_world: World, tmp_path: Any) -> None:
    import openpyxl

    out = tmp_path / "informe.xlsx"
    err = io.StringIO()
    call_command(
        "report",
        "monthly",
        org="cvp",
        month="2026-10",
        format="xlsx",
        output=str(out),
        stderr=err,
    )
    assert "BORRADOR" in err.getvalue()
    book = openpyxl.load_workbook(out)
    assert "Comunidad (IND-07)" in book.sheetnames
    pdf = tmp_path / "t.pdf"
    call_command(
        "report",
        "period",
        org="cvp",
        start="2026-07-01",
        end="2026-09-30",
        format="pdf",
        output=str(pdf),
        stderr=io.StringIO(),
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    # With an approved report the CLI serves the stored file.
    w = metrics_world
    report = reports.submit_report(w.writer, written(w))
    reports.approve_report(w.jefe, report)
    err = io.StringIO()
    call_command(
        "report",
        "monthly",
        org="cvp",
        month="2026-10",
        format="docx",
        output=str(tmp_path / "a.docx"),
        stderr=err,
    )
    assert "Informe aprobado" in err.getvalue()
