"""API for the management reports (activity 15): list, create for a period,
read (with the figures), edit the texts (optimistic ``lock_version``), submit,
approve, return, reopen, and download in pdf, docx, xlsx or html."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.analytics import reports
from pregonero.analytics.models import Report
from pregonero.core.errors import PermissionDeniedError, ValidationFailed
from pregonero.core.models import Organization

from .base import ErrorOut, get_or_404, paginate, user_of

router = Router(tags=["Informes de gestión"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ReportOut(Schema):
    id: int
    title: str
    kind: str
    period_start: datetime.date
    period_end: datetime.date
    version: int
    previous_version_id: int | None
    status: str
    status_label: str
    analysis: str
    conclusions: str
    actions: str
    lock_version: int
    data_sha256: str
    computed_at: datetime.datetime | None
    submitted_at: datetime.datetime | None
    approved_at: datetime.datetime | None
    approved_by: str
    reopen_reason: str
    drafted_automatically: bool
    allowed_actions: list[str]
    files: dict[str, str]


class ReportDetailOut(ReportOut):
    data: dict[str, Any]


class ReportPage(Schema):
    count: int
    offset: int
    limit: int
    results: list[ReportOut]


def report_out(
    report: Report,
    user: Any,
    *,
    with_data: bool = False,
    files: dict[str, str] | None = None,
) -> dict[str, Any]:
    out = {
        "id": report.pk,
        "title": report.title,
        "kind": report.kind,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "version": report.version,
        "previous_version_id": report.previous_version_id,
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "analysis": report.analysis,
        "conclusions": report.conclusions,
        "actions": report.actions,
        "lock_version": report.lock_version,
        "data_sha256": report.data_sha256,
        "computed_at": report.computed_at,
        "submitted_at": report.submitted_at,
        "approved_at": report.approved_at,
        "approved_by": (
            report.approved_by.get_full_name() or report.approved_by.username
        )
        if report.approved_by
        else "",
        "reopen_reason": report.reopen_reason,
        "drafted_automatically": report.drafted_automatically,
        "allowed_actions": reports.allowed_actions(report, user) if with_data else [],
        "files": files if files is not None else {},
    }
    if with_data:
        out["data"] = report.data
    return out


def _reader(user: Any) -> None:
    if not any(
        has_perm(user, p)
        for p in (Perm.STATS_VIEW, Perm.REPORT_WRITE, Perm.REPORT_APPROVE)
    ):
        raise PermissionDeniedError(_("Su rol no le permite ver los informes."))


def _get(request: HttpRequest, report_id: int) -> tuple[Any, Report]:
    user = user_of(request)
    _reader(user)
    report = get_or_404(
        Report.objects.select_related("approved_by"), user, pk=report_id
    )
    return user, report


def _detail(report: Report, user: Any) -> dict[str, Any]:
    report = Report.objects.select_related("approved_by").get(pk=report.pk)
    files = {f.output_format: f.sha256 for f in report.files.all()}
    return report_out(report, user, with_data=True, files=files)


@router.get("/reports", response={200: ReportPage, **ERRORS}, summary="Listar informes")
def list_reports(
    request: HttpRequest, offset: int = 0, limit: int = 50
) -> dict[str, Any]:
    user = user_of(request)
    _reader(user)
    rows = (
        Report.objects.for_org(user.organization_id)
        .select_related("approved_by")
        .order_by("-period_start", "-period_end", "-version")
    )
    total, page = paginate(rows, offset, limit)
    return {
        "count": total,
        "offset": offset,
        "limit": limit,
        "results": [report_out(r, user) for r in page],
    }


class ReportIn(Schema):
    start: datetime.date
    end: datetime.date


@router.post(
    "/reports",
    response={201: ReportDetailOut, **ERRORS},
    summary="Crear el borrador del informe de un periodo",
)
def create_report(request: HttpRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    organization = Organization.objects.get(pk=user.organization_id)
    report = reports.draft_report(user, organization, payload.start, payload.end)
    return Status(201, _detail(report, user))


@router.get(
    "/reports/{report_id}",
    response={200: ReportDetailOut, **ERRORS},
    summary="Ver un informe con sus cifras",
)
def get_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    user, report = _get(request, report_id)
    return _detail(report, user)


class TextsIn(Schema):
    analysis: str = ""
    conclusions: str = ""
    actions: str = ""
    lock_version: int


@router.put(
    "/reports/{report_id}/texts",
    response={200: ReportDetailOut, **ERRORS},
    summary="Guardar análisis, conclusiones y acciones (409 si la versión es vieja)",
)
def update_texts(
    request: HttpRequest, report_id: int, payload: TextsIn
) -> dict[str, Any]:
    user, report = _get(request, report_id)
    report = reports.save_texts(
        user,
        report,
        analysis=payload.analysis,
        conclusions=payload.conclusions,
        actions=payload.actions,
        lock_version=payload.lock_version,
    )
    return _detail(report, user)


@router.post(
    "/reports/{report_id}/refresh",
    response={200: ReportDetailOut, **ERRORS},
    summary="Recalcular las cifras de un borrador",
)
def refresh(request: HttpRequest, report_id: int) -> dict[str, Any]:
    user, report = _get(request, report_id)
    return _detail(reports.refresh_report(user, report), user)


@router.post(
    "/reports/{report_id}/submit",
    response={200: ReportDetailOut, **ERRORS},
    summary="Enviar a aprobación",
)
def submit(request: HttpRequest, report_id: int) -> dict[str, Any]:
    user, report = _get(request, report_id)
    return _detail(reports.submit_report(user, report), user)


@router.post(
    "/reports/{report_id}/approve",
    response={200: ReportDetailOut, **ERRORS},
    summary="Aprobar (congela las cifras y guarda PDF, DOCX y XLSX)",
)
def approve(request: HttpRequest, report_id: int) -> dict[str, Any]:
    user, report = _get(request, report_id)
    return _detail(reports.approve_report(user, report), user)


class CommentIn(Schema):
    comment: str


@router.post(
    "/reports/{report_id}/return",
    response={200: ReportDetailOut, **ERRORS},
    summary="Devolver a borrador con un comentario",
)
def return_(request: HttpRequest, report_id: int, payload: CommentIn) -> dict[str, Any]:
    user, report = _get(request, report_id)
    return _detail(reports.return_report(user, report, comment=payload.comment), user)


class ReasonIn(Schema):
    reason: str


@router.post(
    "/reports/{report_id}/reopen",
    response={201: ReportDetailOut, **ERRORS},
    summary="Abrir una nueva versión de un informe aprobado",
)
def reopen(
    request: HttpRequest, report_id: int, payload: ReasonIn
) -> Status[dict[str, Any]]:
    user, report = _get(request, report_id)
    return Status(
        201, _detail(reports.reopen_report(user, report, reason=payload.reason), user)
    )


class DownloadQuery(Schema):
    format: str = "pdf"


@router.get(
    "/reports/{report_id}/download",
    response={200: None, **ERRORS},
    summary="Descargar el informe (?format=pdf|docx|xlsx|html)",
)
def download_report(
    request: HttpRequest, report_id: int, query: Query[DownloadQuery]
) -> HttpResponseBase:
    from pregonero.analytics.rendering import FORMATS
    from pregonero.analytics.report_views import report_response

    _user, report = _get(request, report_id)
    if query.format not in FORMATS:
        raise ValidationFailed(
            _("Formato no válido: use pdf, docx, xlsx o html."),
            errors={"format": [_("Valor no permitido.")]},
        )
    return report_response(report, query.format)
