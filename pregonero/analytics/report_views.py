"""The management reports in the browser: list, new report for any period,
the report page (texts, approval buttons, versions) and downloads."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.timeline import timeline_for
from pregonero.core.errors import ConflictError, DomainError
from pregonero.core.forms import DateInput, apply_domain_error
from pregonero.core.models import Organization
from pregonero.core.viewutils import (
    AuthedHttpRequest,
    download,
    flash_error,
    get_for_org,
    paginate,
)

from . import reports
from .figures import month_bounds
from .models import Report, ReportStatus
from .rendering import FORMATS, render_html, report_filename, view_for_report

READERS = (Perm.STATS_VIEW, Perm.REPORT_WRITE, Perm.REPORT_APPROVE)


def _reader(user: Any) -> User:
    if not any(has_perm(user, perm) for perm in READERS):
        raise PermissionDenied
    assert isinstance(user, User)
    return user


class NewReportForm(forms.Form):
    KINDS = (
        ("month", gettext_lazy("Un mes")),
        ("quarter", gettext_lazy("Un trimestre")),
        ("custom", gettext_lazy("Periodo personalizado")),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Tipo de periodo"),
        choices=KINDS,
        widget=forms.RadioSelect,
        initial="month",
    )
    month = forms.CharField(
        label=gettext_lazy("Mes"),
        required=False,
        help_text=gettext_lazy("AAAA-MM, p. ej. 2026-10."),
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    year = forms.IntegerField(
        label=gettext_lazy("Año del trimestre"),
        required=False,
        min_value=2000,
        max_value=2100,
    )
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Trimestre"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "—"),
            (1, gettext_lazy("Enero a marzo")),
            (2, gettext_lazy("Abril a junio")),
            (3, gettext_lazy("Julio a septiembre")),
            (4, gettext_lazy("Octubre a diciembre")),
        ],
    )
    start = forms.DateField(
        label=gettext_lazy("Desde"), required=False, widget=DateInput()
    )
    end = forms.DateField(
        label=gettext_lazy("Hasta"), required=False, widget=DateInput()
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == "month":
            try:
                year, month = (int(p) for p in str(data.get("month") or "").split("-"))
                data["period"] = month_bounds(year, month)
            except (ValueError, TypeError):
                self.add_error(
                    "month", _("Escriba el mes como AAAA-MM, p. ej. 2026-10.")
                )
        elif kind == "quarter":
            q_year, quarter = data.get("year"), data.get("quarter")
            if not q_year:
                self.add_error("year", _("Indique el año."))
            if not quarter:
                self.add_error("quarter", _("Elija el trimestre."))
            if q_year and quarter:
                first = 3 * (int(quarter) - 1) + 1
                data["period"] = (
                    month_bounds(q_year, first)[0],
                    month_bounds(q_year, first + 2)[1],
                )
        elif kind == "custom":
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", _("Indique la fecha inicial."))
            if not end:
                self.add_error("end", _("Indique la fecha final."))
            if start and end:
                data["period"] = (start, end)
        return data


@login_required
def report_list(request: AuthedHttpRequest) -> HttpResponse:
    user = _reader(request.user)
    rows = (
        Report.objects.for_org(user.organization_id)
        .select_related("approved_by")
        .order_by("-period_start", "-period_end", "-version")
    )
    return render(
        request,
        "analytics/reports/report_list.html",
        {
            "nav": "reports",
            "page": paginate(request, rows),
            "can_write": has_perm(user, Perm.REPORT_WRITE),
        },
    )


@login_required
def report_new(request: AuthedHttpRequest) -> HttpResponse:
    user = _reader(request.user)
    if not has_perm(user, Perm.REPORT_WRITE):
        raise PermissionDenied
    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    form = NewReportForm(
        request.POST or None, initial={"month": f"{last:%Y-%m}", "kind": "month"}
    )
    existing = None
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["period"]
        organization = Organization.objects.get(pk=user.organization_id)
        try:
            report = reports.draft_report(user, organization, start, end)
        except DomainError as error:
            apply_domain_error(form, error)
            if isinstance(error, ConflictError) and error.extra.get("report_id"):
                existing = error.extra["report_id"]
        else:
            messages.success(request, _("Borrador creado con las cifras del periodo."))
            return redirect("analytics:report_detail", pk=report.pk)
    return render(
        request,
        "analytics/reports/report_new.html",
        {"nav": "reports", "form": form, "existing": existing},
    )


class TextsForm(forms.Form):
    analysis = forms.CharField(
        label=gettext_lazy("Análisis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=reports.MAX_TEXT,
    )
    conclusions = forms.CharField(
        label=gettext_lazy("Conclusiones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=reports.MAX_TEXT,
    )
    actions = forms.CharField(
        label=gettext_lazy("Acciones para fortalecer las estrategias"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=reports.MAX_TEXT,
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comentario para quien redactó"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=reports.MAX_TEXT,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motivo de la nueva versión"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=reports.MAX_TEXT,
    )


@login_required
def report_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = _reader(request.user)
    report = get_for_org(
        Report.objects.select_related("approved_by", "created_by"), request, pk=pk
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    texts_form = TextsForm(
        request.POST if action in ("edit", "submit") else None,
        initial={
            "analysis": report.analysis,
            "conclusions": report.conclusions,
            "actions": report.actions,
            "lock_version": report.lock_version,
        },
    )
    comment_form = CommentForm(request.POST if action == "return" else None)
    reason_form = ReasonForm(request.POST if action == "reopen" else None)
    if action:
        if action not in reports.ACTION_LABELS:
            raise PermissionDenied
        try:
            done = _act(user, report, action, texts_form, comment_form, reason_form)
        except DomainError as error:
            form = {
                "edit": texts_form,
                "submit": texts_form,
                "return": comment_form,
                "reopen": reason_form,
            }.get(action)
            if form is not None:
                apply_domain_error(form, error)
            else:
                flash_error(request, error)
        else:
            if done is not None:
                messages.success(
                    request, str(reports.ACTION_LABELS[action]) + ": " + _("hecho.")
                )
                return redirect("analytics:report_detail", pk=done.pk)
        report.refresh_from_db()
    allowed = reports.allowed_actions(report, user)
    versions = list(
        Report.objects.for_org(user.organization_id)
        .filter(
            kind=report.kind,
            period_start=report.period_start,
            period_end=report.period_end,
        )
        .select_related("approved_by")
        .order_by("-version")
    )
    return render(
        request,
        "analytics/reports/report_detail.html",
        {
            "nav": "reports",
            "report": report,
            "view": view_for_report(report),
            "document": render_html(view_for_report(report), standalone=False),
            "allowed": allowed,
            "texts_form": texts_form,
            "comment_form": comment_form,
            "reason_form": reason_form,
            "versions": versions,
            "formats": FORMATS,
            "files": {f.output_format: f for f in report.files.all()},
            "timeline": timeline_for(report),
            "is_author": user.pk in reports.authors_of(report),
        },
    )


def _act(
    user: User,
    report: Report,
    action: str,
    texts_form: TextsForm,
    comment_form: CommentForm,
    reason_form: ReasonForm,
) -> Report | None:
    if action in ("edit", "submit"):
        if not texts_form.is_valid():
            return None
        data = texts_form.cleaned_data
        report = reports.save_texts(
            user,
            report,
            analysis=data["analysis"],
            conclusions=data["conclusions"],
            actions=data["actions"],
            lock_version=data["lock_version"],
        )
        if action == "submit":
            report = reports.submit_report(user, report)
        return report
    if action == "refresh":
        return reports.refresh_report(user, report)
    if action == "approve":
        return reports.approve_report(user, report)
    if action == "return":
        if not comment_form.is_valid():
            return None
        return reports.return_report(
            user, report, comment=comment_form.cleaned_data["comment"]
        )
    if not reason_form.is_valid():
        return None
    return reports.reopen_report(
        user, report, reason=reason_form.cleaned_data["reason"]
    )


@login_required
def report_download(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    _reader(request.user)
    report = get_for_org(Report.objects.select_related("approved_by"), request, pk=pk)
    fmt = request.GET.get("formato") or request.GET.get("format") or "pdf"
    if fmt not in FORMATS:
        raise PermissionDenied
    return report_response(report, fmt)


def report_response(report: Report, fmt: str) -> HttpResponseBase:
    """The stored file of an approved report, or a rendering (BORRADOR) of a draft."""
    from .rendering import render_report

    if report.status in (ReportStatus.APPROVED, ReportStatus.SUPERSEDED):
        stored = report.files.filter(output_format=fmt).first()
        if stored is not None:
            return download(stored)
    content = render_report(report, fmt)
    response = HttpResponse(content, content_type=reports.CONTENT_TYPES[fmt])
    name = report_filename(report, fmt)
    if report.status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED):
        name = name.replace(f".{fmt}", f"-borrador.{fmt}")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


urlpatterns: list[URLPattern] = [
    path("informes/", report_list, name="report_list"),
    path("informes/nuevo/", report_new, name="report_new"),
    path("informes/<int:pk>/", report_detail, name="report_detail"),
    path("informes/<int:pk>/descargar/", report_download, name="report_download"),
]
