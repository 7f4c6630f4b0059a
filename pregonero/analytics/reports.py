"""Every write on a management report (activity 15): draft, refresh, edit,
submit, approve, return, reopen; and the scheduler's monthly draft.

The report's life is data (``TRANSITIONS``): ``allowed_actions`` drives the
buttons and the server check. Each action checks permission and state, writes
with a conditional UPDATE (portable compare-and-swap), records the audit event
in the same transaction, and notifies through ``accounts.notify``.

Approval freezes the figures and keeps the PDF, DOCX and XLSX as
``ReportFile`` records with their SHA-256. Changing an approved report takes
``reopen_report``, which makes a new version and supersedes the old one.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pregonero.accounts.models import User
from pregonero.accounts.notify import notify
from pregonero.accounts.permissions import (
    Perm,
    acting_as_delegate,
    approvers,
    has_perm,
    require,
)
from pregonero.audit.actions import record
from pregonero.core.errors import (
    ConflictError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.core.models import Organization
from pregonero.lib.uploads import storage_path

from .figures import (
    compute_report_data,
    is_full_month,
    is_quarter,
    month_bounds,
    period_label,
)
from .models import Report, ReportFile, ReportKind, ReportStatus

STORED_FORMATS = ("pdf", "docx", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
MAX_TEXT = 20000


# --------------------------------------------------------------- the workflow


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    permission: Perm
    style: str = "primary"
    needs_comment: bool = False
    author_excluded: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("edit", ReportStatus.DRAFT, Perm.REPORT_WRITE),
    Transition("refresh", ReportStatus.DRAFT, Perm.REPORT_WRITE, "outline-secondary"),
    Transition("submit", ReportStatus.DRAFT, Perm.REPORT_WRITE),
    Transition(
        "approve",
        ReportStatus.SUBMITTED,
        Perm.REPORT_APPROVE,
        "success",
        author_excluded=True,
    ),
    Transition(
        "return",
        ReportStatus.SUBMITTED,
        Perm.REPORT_APPROVE,
        "outline-danger",
        needs_comment=True,
    ),
    Transition(
        "reopen",
        ReportStatus.APPROVED,
        Perm.REPORT_WRITE,
        "outline-secondary",
        needs_comment=True,
    ),
)

ACTION_LABELS = {
    "edit": gettext_lazy("Guardar los textos"),
    "refresh": gettext_lazy("Actualizar las cifras"),
    "submit": gettext_lazy("Enviar a aprobación"),
    "approve": gettext_lazy("Aprobar el informe"),
    "return": gettext_lazy("Devolver con comentarios"),
    "reopen": gettext_lazy("Abrir una nueva versión"),
}


def transition_for(report: Report, action: str) -> Transition | None:
    for transition in TRANSITIONS:
        if transition.action == action and transition.source == report.status:
            return transition
    return None


def last_editor_id(report: Report) -> int | None:
    """Who last saved the texts of this version (from the audit trail)."""
    from pregonero.audit.models import AuditEvent

    return (
        AuditEvent.objects.filter(
            organization_id=report.organization_id,
            target_type="analytics.report",
            target_id=str(report.pk),
            action="analytics.report.edited",
        )
        .order_by("-seq")
        .values_list("actor_id", flat=True)
        .first()
    )


def authors_of(report: Report) -> set[int]:
    """The people who may not approve this version: who submitted it and who
    last edited its texts."""
    people = {report.submitted_by_id, last_editor_id(report)}
    return {pk for pk in people if pk is not None}


def allowed_actions(report: Report, user: User) -> list[str]:
    """The actions this user may take on the report now (buttons and API)."""
    if report.organization_id != user.organization_id:
        return []
    result = []
    authors: set[int] | None = None
    for transition in TRANSITIONS:
        if transition.source != report.status or not has_perm(
            user, transition.permission
        ):
            continue
        if transition.author_excluded:
            if authors is None:
                authors = authors_of(report)
            if user.pk in authors:
                continue
        result.append(transition.action)
    return result


def _check(user: User, report: Report, action: str) -> Transition:
    transition = transition_for(report, action)
    require(user, transition.permission if transition else _any_perm(action))
    if report.organization_id != user.organization_id:
        raise PermissionDeniedError(_("El informe pertenece a otra entidad."))
    if transition is None:
        raise TransitionNotAllowed(
            _("Un informe en estado «%(status)s» no admite «%(action)s».")
            % {"status": report.get_status_display(), "action": ACTION_LABELS[action]}
        )
    return transition


def _any_perm(action: str) -> Perm:
    for transition in TRANSITIONS:
        if transition.action == action:
            return transition.permission
    raise KeyError(action)


def report_url(report: Report) -> str:
    return reverse("analytics:report_detail", args=[report.pk])


# --------------------------------------------------------------- periods


def kind_of(start: datetime.date, end: datetime.date) -> str:
    if is_full_month(start, end):
        return ReportKind.MONTHLY
    if is_quarter(start, end):
        return ReportKind.QUARTERLY
    return ReportKind.CUSTOM


def report_title(start: datetime.date, end: datetime.date) -> str:
    """E.g. "Informe de gestión de redes sociales — octubre de 2026"."""
    return _("Informe de gestión de redes sociales — %(period)s") % {
        "period": period_label(start, end)
    }


def data_hash(data: dict[str, Any]) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def current_report(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Report | None:
    """The live (not superseded) report of exactly this period, latest version."""
    return (
        Report.objects.for_org(organization)
        .filter(period_start=start, period_end=end)
        .exclude(status=ReportStatus.SUPERSEDED)
        .order_by("-version")
        .first()
    )


def _validate_period(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise ValidationFailed(
            _("La fecha final es anterior a la inicial."),
            errors={"end": [_("Debe ser igual o posterior a la fecha inicial.")]},
        )
    if (end - start).days > 366:
        raise ValidationFailed(
            _("El periodo no puede pasar de un año."),
            errors={"end": [_("Elija un periodo de un año o menos.")]},
        )
    if start > timezone.localdate():
        raise ValidationFailed(
            _("El periodo todavía no ha empezado."),
            errors={"start": [_("Elija una fecha pasada o de hoy.")]},
        )


# --------------------------------------------------------------- actions


def draft_report(
    user: User | None,
    organization: Organization,
    start: datetime.date,
    end: datetime.date,
    *,
    automatic: bool = False,
) -> Report:
    """Draft the report of a period with its figures computed now.

    ``user`` is None for the scheduler. A period that already has a report is
    refused (HTTP 409); two schedulers racing are settled by the unique key.
    """
    if user is not None:
        require(user, Perm.REPORT_WRITE)
        if user.organization_id != organization.pk:
            raise PermissionDeniedError(_("No puede crear informes de otra entidad."))
    _validate_period(start, end)
    existing = current_report(organization, start, end)
    if existing is not None:
        raise ConflictError(
            _(
                "Ya existe un informe para este periodo: %(title)s (versión %(version)s)."
            )
            % {"title": existing.title, "version": existing.version},
            extra={"report_id": existing.pk},
        )
    data = compute_report_data(organization, start, end)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                organization=organization,
                kind=kind_of(start, end),
                period_start=start,
                period_end=end,
                title=report_title(start, end),
                data=data,
                data_sha256=data_hash(data),
                computed_at=timezone.now(),
                drafted_automatically=automatic,
                created_by=user,
            )
            record(
                user,
                "analytics.report.drafted",
                report,
                {
                    "period_start": start,
                    "period_end": end,
                    "kind": report.kind,
                    "data_sha256": report.data_sha256,
                    "automatic": automatic,
                },
                organization=organization,
            )
    except IntegrityError:
        existing = current_report(organization, start, end)
        raise ConflictError(
            _("Ya existe un informe para este periodo."),
            extra={"report_id": existing.pk if existing else None},
        ) from None
    return report


def refresh_report(user: User, report: Report) -> Report:
    """Recompute the figures of a draft (the texts are untouched)."""
    report = Report.objects.get(pk=report.pk)
    _check(user, report, "refresh")
    organization = Organization.objects.get(pk=report.organization_id)
    data = compute_report_data(organization, report.period_start, report.period_end)
    digest = data_hash(data)
    with transaction.atomic():
        updated = Report.objects.filter(pk=report.pk, status=ReportStatus.DRAFT).update(
            data=data,
            data_sha256=digest,
            computed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not updated:
            raise ConflictError(_("El informe cambió de estado mientras se calculaba."))
        record(
            user,
            "analytics.report.refreshed",
            report,
            {"old_sha256": report.data_sha256, "data_sha256": digest},
        )
    report.refresh_from_db()
    return report


def _clean_text(value: str) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            _("El texto es demasiado largo (máximo %(n)s caracteres).")
            % {"n": MAX_TEXT}
        )
    return text


def save_texts(
    user: User,
    report: Report,
    *,
    analysis: str,
    conclusions: str,
    actions: str,
    lock_version: int,
) -> Report:
    """Save the analysis, conclusions and actions of a draft.

    ``lock_version`` is the version the user saw: if someone saved in between,
    the save is refused (HTTP 409) and the caller keeps the user's text.
    """
    report = Report.objects.get(pk=report.pk)
    _check(user, report, "edit")
    values = {
        "analysis": _clean_text(analysis),
        "conclusions": _clean_text(conclusions),
        "actions": _clean_text(actions),
    }
    with transaction.atomic():
        updated = Report.objects.filter(
            pk=report.pk, status=ReportStatus.DRAFT, lock_version=lock_version
        ).update(
            **values, lock_version=F("lock_version") + 1, updated_at=timezone.now()
        )
        if not updated:
            raise ConflictError(
                _(
                    "Otra persona guardó el informe mientras usted lo editaba. Su texto no se "
                    "perdió: está en el formulario. Revise la versión vigente y vuelva a guardar."
                ),
                extra={"lock_version": report.lock_version},
            )
        changed = [k for k, v in values.items() if getattr(report, k) != v]
        record(user, "analytics.report.edited", report, {"fields": changed})
    report.refresh_from_db()
    return report


def _move(
    report: Report, expected: str, now: datetime.datetime, **updates: Any
) -> None:
    """Change the report from ``expected`` as read, or refuse: a conditional
    UPDATE on its status and ``lock_version``, so two people deciding at once
    never both succeed."""
    updated = Report.objects.filter(
        pk=report.pk, status=expected, lock_version=report.lock_version
    ).update(**updates, lock_version=F("lock_version") + 1, updated_at=now)
    if not updated:
        raise ConflictError(_("Otra persona cambió el informe al mismo tiempo."))


def submit_report(
    user: User, report: Report, *, lock_version: int | None = None
) -> Report:
    """Send the draft to the Jefe for approval (analysis and conclusions required)."""
    report = Report.objects.get(pk=report.pk)
    _check(user, report, "submit")
    if lock_version is not None and lock_version != report.lock_version:
        raise ConflictError(
            _("El informe cambió desde que abrió la página. Recárguela.")
        )
    missing = {
        name: [_("Obligatorio para enviar a aprobación.")]
        for name in ("analysis", "conclusions")
        if not getattr(report, name).strip()
    }
    if missing:
        raise ValidationFailed(
            _("Escriba el análisis y las conclusiones antes de enviar el informe."),
            errors=missing,
        )
    now = timezone.now()
    with transaction.atomic():
        _move(
            report,
            ReportStatus.DRAFT,
            now,
            status=ReportStatus.SUBMITTED,
            submitted_by=user,
            submitted_at=now,
        )
        record(
            user,
            "analytics.report.submitted",
            report,
            {"data_sha256": report.data_sha256},
        )
        values = {"title": report.title, "user": user}
        notify(
            approvers(report.organization_id),
            kind="report.submitted",
            exclude=user,
            subject=_("Informe para aprobar: %(title)s") % values,
            body=_("%(user)s envió «%(title)s» para su aprobación.") % values,
            link=report_url(report),
        )
    report.refresh_from_db()
    return report


def approve_report(user: User, report: Report) -> Report:
    """Approve: freeze the figures and keep PDF, DOCX and XLSX with their SHA-256.

    Whoever submitted or last edited the texts may not approve (segregation).
    """
    from .rendering import render_report, report_filename

    report = Report.objects.get(pk=report.pk)
    _check(user, report, "approve")
    if user.pk in authors_of(report):
        raise PermissionDeniedError(
            _(
                "Usted envió o editó este informe: no puede aprobarlo. La aprobación "
                "corresponde al (a la) Jefe(a) o a su encargado(a)."
            )
        )
    delegation = acting_as_delegate(user, Perm.REPORT_APPROVE)
    now = timezone.now()
    # Render as it will be approved (the files carry the approver and the date).
    report.status = ReportStatus.APPROVED
    report.approved_by = user
    report.approved_at = now
    rendered = {fmt: render_report(report, fmt) for fmt in STORED_FORMATS}
    with transaction.atomic():
        _move(
            report,
            ReportStatus.SUBMITTED,
            now,
            status=ReportStatus.APPROVED,
            approved_by=user,
            approved_at=now,
        )
        hashes = {}
        for fmt, content in rendered.items():
            stored = ReportFile(
                organization_id=report.organization_id,
                report=report,
                output_format=fmt,
                original_name=report_filename(report, fmt),
                kind="document",
                content_type=CONTENT_TYPES[fmt],
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                uploaded_by=user,
            )
            stored.file.save(
                storage_path(report.organization_id, "informes", fmt),
                ContentFile(content, name=stored.original_name),
                save=False,
            )
            stored.save()
            hashes[fmt] = stored.sha256
        record(
            user,
            "analytics.report.approved",
            report,
            {
                "data_sha256": report.data_sha256,
                "files": hashes,
                "as_delegate_of": str(delegation.delegator) if delegation else None,
            },
        )
        values = {"title": report.title, "user": user}
        notify(
            _authors_to_tell(report),
            kind="report.approved",
            exclude=user,
            subject=_("Informe aprobado: %(title)s") % values,
            body=_("%(user)s aprobó «%(title)s».") % values,
            link=report_url(report),
        )
    report.refresh_from_db()
    return report


def _authors_to_tell(report: Report) -> list[User | None]:
    ids = authors_of(report) | (
        {report.created_by_id} if report.created_by_id else set()
    )
    return list(User.objects.filter(pk__in=ids))


def return_report(user: User, report: Report, *, comment: str) -> Report:
    """Send the report back to draft with the approver's comment."""
    report = Report.objects.get(pk=report.pk)
    _check(user, report, "return")
    comment = _clean_text(comment)
    if not comment:
        raise ValidationFailed(
            _("Escriba por qué devuelve el informe."),
            errors={"comment": [_("Obligatorio.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        _move(
            report,
            ReportStatus.SUBMITTED,
            now,
            status=ReportStatus.DRAFT,
            submitted_by=None,
            submitted_at=None,
        )
        record(user, "analytics.report.returned", report, {"comment": comment})
        values = {"title": report.title, "user": user, "comment": comment}
        notify(
            _authors_to_tell(report),
            kind="report.returned",
            exclude=user,
            subject=_("Informe devuelto: %(title)s") % values,
            body=_("%(user)s devolvió «%(title)s»:\n\n%(comment)s") % values,
            link=report_url(report),
        )
    report.refresh_from_db()
    return report


def reopen_report(user: User, report: Report, *, reason: str) -> Report:
    """Open a new version of an approved report; the approved one is superseded
    (it stays, with its files, as the record of what was approved)."""
    report = Report.objects.get(pk=report.pk)
    _check(user, report, "reopen")
    reason = _clean_text(reason)
    if not reason:
        raise ValidationFailed(
            _("Escriba el motivo de la nueva versión."),
            errors={"reason": [_("Obligatorio.")]},
        )
    organization = Organization.objects.get(pk=report.organization_id)
    data = compute_report_data(organization, report.period_start, report.period_end)
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = Report.objects.filter(
                pk=report.pk,
                status=ReportStatus.APPROVED,
                lock_version=report.lock_version,
            ).update(
                status=ReportStatus.SUPERSEDED,
                lock_version=F("lock_version") + 1,
                updated_at=now,
            )
            if not updated:
                raise ConflictError(
                    _("Otra persona cambió el informe al mismo tiempo.")
                )
            new = Report.objects.create(
                organization=organization,
                kind=report.kind,
                period_start=report.period_start,
                period_end=report.period_end,
                version=report.version + 1,
                previous_version=report,
                title=report.title,
                data=data,
                data_sha256=data_hash(data),
                computed_at=now,
                analysis=report.analysis,
                conclusions=report.conclusions,
                actions=report.actions,
                created_by=user,
                reopen_reason=reason,
            )
            record(
                user,
                "analytics.report.reopened",
                new,
                {"previous": report.pk, "version": new.version, "reason": reason},
            )
    except IntegrityError:
        raise ConflictError(
            _("Ya se abrió una nueva versión de este informe.")
        ) from None
    return new


# --------------------------------------------------------------- scheduler


def draft_monthly_reports(now: datetime.datetime | None = None) -> int:
    """On the first day of a month (Bogotá), draft last month's report for each
    organization that has none. Idempotent; with two schedulers the unique key
    lets one win. Returns how many reports were drafted."""
    today = timezone.localdate(now) if now is not None else timezone.localdate()
    if today.day != 1:
        return 0
    last = today - datetime.timedelta(days=1)
    start, end = month_bounds(last.year, last.month)
    have = set(
        Report.objects.filter(
            kind=ReportKind.MONTHLY, period_start=start, period_end=end
        ).values_list("organization_id", flat=True)
    )
    drafted = 0
    for organization in Organization.objects.exclude(pk__in=have).order_by("pk"):
        try:
            draft_report(None, organization, start, end, automatic=True)
        except ConflictError:
            continue
        drafted += 1
    return drafted
