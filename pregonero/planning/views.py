"""Activities 2–4 in the browser: meetings and actas, the plan, the calendar, joint actions."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.timeline import timeline_for
from pregonero.core.errors import DomainError
from pregonero.core.forms import apply_domain_error
from pregonero.core.models import Audience, Campaign, Channel, Dependency
from pregonero.core.viewutils import (
    AuthedHttpRequest,
    download,
    flash_error,
    get_for_org,
    paginate,
)
from pregonero.intake.models import Need
from pregonero.intake.workflow import NeedState

from . import actions
from .calendar import KIND_CSS, Filters, ical, items_between, month_grid
from .forms import (
    AgendaFormSet,
    AttendeeFormSet,
    CommentForm,
    CommitmentFormSet,
    DocumentForm,
    EvidenceForm,
    JointActionForm,
    MeetingForm,
    PlanItemForm,
    ReasonForm,
)
from .models import (
    ActaVersion,
    JointAction,
    JointActionEvidence,
    Meeting,
    MeetingDocument,
    MeetingState,
    PlanItem,
)


def _require(request: AuthedHttpRequest, perm: Perm) -> None:
    if not has_perm(request.user, perm):
        raise PermissionDenied


# ---------------------------------------------------------------- meetings


@login_required
def meeting_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request, Perm.READ_ALL)
    meetings = Meeting.objects.for_org(request.user.organization_id).select_related(
        "chaired_by"
    )
    pending = (
        Need.objects.for_org(request.user.organization_id)
        .filter(state=NeedState.FOR_PLANNING)
        .count()
    )
    return render(
        request,
        "planning/meeting_list.html",
        {
            "page": paginate(request, meetings),
            "pending": pending,
            "nav": "meetings",
        },
    )


def _meeting_forms(
    request: AuthedHttpRequest, meeting: Meeting | None
) -> tuple[Any, Any, Any, Any]:
    org = request.user.organization_id
    kwargs: dict[str, Any] = {"form_kwargs": {"organization_id": org}}
    data = request.POST if request.method == "POST" else None
    if meeting is None:
        team = User.objects.filter(
            organization_id=org,
            is_active=True,
            groups__name__in=["rol:jefe", "rol:profesional", "rol:estrategia"],
        ).distinct()
        pending = (
            Need.objects.for_org(org)
            .filter(state=NeedState.FOR_PLANNING)
            .order_by("desired_date")
        )
        start = timezone.localtime().replace(
            minute=0, second=0, microsecond=0
        ) + datetime.timedelta(hours=1)
        main_initial: dict[str, Any] = {
            "title": _("Reunión de planeación de contenidos"),
            "starts_at": start,
            "place": _("Oficina Asesora de Comunicaciones"),
            "chaired_by": request.user.pk if request.user.has_role("jefe") else None,
        }
        attendees = [
            {"user": u.pk, "position": u.position, "attended": True} for u in team
        ]
        agenda: list[dict[str, Any]] = [
            {"need": n.pk, "topic": n.title, "due_date": n.desired_date}
            for n in pending
        ]
        commitments: list[dict[str, Any]] = []
    else:
        main_initial = {
            "title": meeting.title,
            "starts_at": timezone.localtime(meeting.starts_at),
            "ends_at": timezone.localtime(meeting.ends_at) if meeting.ends_at else None,
            "place": meeting.place,
            "chaired_by": meeting.chaired_by_id,
            "objective": meeting.objective,
            "development": meeting.development,
            "lock_version": meeting.lock_version,
        }
        attendees = [
            {
                "user": a.user_id,
                "name": "" if a.user_id else a.name,
                "position": a.position,
                "affiliation": a.affiliation,
                "is_external": a.is_external,
                "attended": a.attended,
            }
            for a in meeting.attendees.all()
        ]
        agenda = [
            {
                "need": i.need_id,
                "topic": i.topic,
                "discussion": i.discussion,
                "sources_to_consult": i.sources_to_consult,
                "products": i.products,
                "channels": [c.pk for c in i.channels.all()],
                "responsible": i.responsible_id,
                "due_date": i.due_date,
            }
            for i in meeting.agenda.prefetch_related("channels")
        ]
        commitments = [
            {
                "description": c.description,
                "responsible": c.responsible_id,
                "responsible_name": c.responsible_name,
                "due_date": c.due_date,
            }
            for c in meeting.commitments.all()
        ]
    return (
        MeetingForm(data, initial=main_initial, organization_id=org),
        AttendeeFormSet(data, initial=attendees, prefix="attendees", **kwargs),
        AgendaFormSet(data, initial=agenda, prefix="agenda", **kwargs),
        CommitmentFormSet(data, initial=commitments, prefix="commitments", **kwargs),
    )


def _rows(formset: Any) -> list[dict[str, Any]]:
    return [
        f.cleaned_data
        for f in formset.forms
        if f.cleaned_data
        and any(
            v not in (None, "", [], False)
            for k, v in f.cleaned_data.items()
            if k not in ("attended",)
        )
    ]


def _meeting_data(
    form: Any, attendees: Any, agenda: Any, commitments: Any
) -> actions.MeetingData:
    main = form.cleaned_data
    people = []
    for row in _rows(attendees):
        user = row.get("user")
        people.append(
            actions.AttendeeData(
                name=row.get("name") or (str(user) if user else ""),
                position=row.get("position") or (user.position if user else ""),
                affiliation=row.get("affiliation")
                or (str(user.dependency) if user and user.dependency else ""),
                user=user,
                is_external=row.get("is_external", False),
                attended=row.get("attended", False),
            )
        )
    topics = [
        actions.AgendaData(
            topic=row.get("topic") or (row["need"].title if row.get("need") else ""),
            need=row.get("need"),
            discussion=row.get("discussion", ""),
            sources_to_consult=row.get("sources_to_consult", ""),
            products=row.get("products", ""),
            channels=list(row.get("channels") or []),
            responsible=row.get("responsible"),
            due_date=row.get("due_date"),
        )
        for row in _rows(agenda)
    ]
    promises = [
        actions.CommitmentData(
            description=row.get("description", ""),
            responsible=row.get("responsible"),
            responsible_name=row.get("responsible_name", ""),
            due_date=row.get("due_date"),
        )
        for row in _rows(commitments)
    ]
    return actions.MeetingData(
        title=main["title"],
        starts_at=main["starts_at"],
        ends_at=main["ends_at"],
        place=main["place"],
        objective=main["objective"],
        development=main["development"],
        chaired_by=main["chaired_by"],
        attendees=people,
        agenda=topics,
        commitments=promises,
    )


@login_required
def meeting_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, Perm.MEETING_MANAGE)
    meeting = get_for_org(Meeting.objects.all(), request, pk=pk) if pk else None
    if meeting is not None and meeting.state == MeetingState.ISSUED:
        messages.info(
            request,
            _(
                "El acta ya está expedida; para cambiarla ábrala para una nueva versión."
            ),
        )
        return redirect("planning:meeting_detail", meeting.pk)
    form, attendees, agenda, commitments = _meeting_forms(request, meeting)
    if request.method == "POST" and all(
        f.is_valid() for f in (form, attendees, agenda, commitments)
    ):
        data = _meeting_data(form, attendees, agenda, commitments)
        try:
            if meeting is None:
                meeting = actions.create_meeting(request.user, data)
            else:
                actions.update_meeting(
                    request.user,
                    meeting,
                    data,
                    lock_version=form.cleaned_data["lock_version"] or 0,
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Reunión guardada."))
            return redirect("planning:meeting_detail", meeting.pk)
    return render(
        request,
        "planning/meeting_form.html",
        {
            "form": form,
            "attendees": attendees,
            "agenda": agenda,
            "commitments": commitments,
            "meeting": meeting,
            "nav": "meetings",
        },
    )


@login_required
def meeting_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request, Perm.READ_ALL)
    meeting = get_for_org(
        Meeting.objects.select_related("chaired_by", "created_by"), request, pk=pk
    )
    return render(
        request,
        "planning/meeting_detail.html",
        {
            "meeting": meeting,
            "attendees": meeting.attendees.all(),
            "agenda": meeting.agenda.select_related(
                "need", "responsible"
            ).prefetch_related("channels", "plan_items"),
            "commitments": meeting.commitments.select_related("responsible"),
            "documents": meeting.documents.all(),
            "versions": meeting.acta_versions.select_related("issued_by"),
            "document_form": DocumentForm(),
            "reason_form": ReasonForm(),
            "can_manage": has_perm(request.user, Perm.MEETING_MANAGE),
            "can_issue": has_perm(request.user, Perm.MEETING_ISSUE),
            "can_plan": has_perm(request.user, Perm.PLAN_MANAGE),
            "timeline": timeline_for(meeting),
            "nav": "meetings",
        },
    )


@login_required
@require_POST
def meeting_issue(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_for_org(Meeting.objects.all(), request, pk=pk)
    try:
        acta = actions.issue_acta(request.user, meeting)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(
            request,
            _("Acta expedida (versión %(n)s) en DOCX y PDF.") % {"n": acta.number},
        )
    return redirect("planning:meeting_detail", pk)


@login_required
@require_POST
def meeting_reopen(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_for_org(Meeting.objects.all(), request, pk=pk)
    try:
        actions.reopen_acta(
            request.user, meeting, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("planning:meeting_detail", pk)
    messages.success(
        request,
        _("Acta abierta para cambios: al expedirla se creará la versión siguiente."),
    )
    return redirect("planning:meeting_edit", pk)


@login_required
@require_POST
def meeting_document(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_for_org(Meeting.objects.all(), request, pk=pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            actions.add_meeting_document(
                request.user,
                meeting,
                upload,
                upload.name,
                is_strategic_report=form.cleaned_data["is_strategic_report"],
            )
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Documento agregado."))
    else:
        messages.error(request, _("Elija un archivo."))
    return redirect("planning:meeting_detail", pk)


@login_required
def meeting_document_download(
    request: AuthedHttpRequest, pk: int, doc_id: int
) -> FileResponse:
    _require(request, Perm.READ_ALL)
    meeting = get_for_org(Meeting.objects.all(), request, pk=pk)
    return download(
        get_for_org(MeetingDocument.objects.filter(meeting=meeting), request, pk=doc_id)
    )


@login_required
def acta_download(
    request: AuthedHttpRequest, pk: int, version: int, fmt: str
) -> FileResponse:
    from .acta import acta_filename

    _require(request, Perm.READ_ALL)
    meeting = get_for_org(Meeting.objects.all(), request, pk=pk)
    acta = ActaVersion.objects.filter(meeting=meeting, number=version).first()
    if acta is None or fmt not in ("docx", "pdf"):
        raise Http404
    content_type = {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }[fmt]
    return download(
        acta,
        field=fmt,
        filename=acta_filename(acta.snapshot, fmt),
        content_type=content_type,
    )


# ---------------------------------------------------------------- content plan


@login_required
def plan_list(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not (has_perm(user, Perm.READ_ALL) or has_perm(user, Perm.PLAN_COMMENT)):
        raise PermissionDenied
    items = PlanItem.objects.for_org(user.organization_id).select_related(
        "dependency", "liaison", "responsible", "piece", "need", "campaign"
    )
    if not has_perm(user, Perm.READ_ALL):
        items = items.filter(dependency_id=user.dependency_id or 0)
    period = request.GET.get("periodo", "proximos")
    today = timezone.localdate()
    if period == "proximos":
        items = items.filter(planned_date__gte=today - datetime.timedelta(days=7))
    dependency = request.GET.get("dependencia", "")
    if dependency.isdigit():
        items = items.filter(dependency_id=int(dependency))
    return render(
        request,
        "planning/plan_list.html",
        {
            "page": paginate(request, items.order_by("planned_date", "pk")),
            "period": period,
            "dependency": dependency,
            "dependencies": Dependency.objects.for_org(user.organization_id),
            "pending_needs": Need.objects.for_org(user.organization_id)
            .filter(state=NeedState.FOR_PLANNING)
            .select_related("dependency")[:20]
            if has_perm(user, Perm.PLAN_MANAGE)
            else [],
            "nav": "plan",
        },
    )


def _plan_data(form: PlanItemForm, agenda_item: Any = None) -> actions.PlanItemData:
    data = form.cleaned_data
    return actions.PlanItemData(
        title=data["title"],
        description=data["description"],
        need=data["need"],
        dependency=data["dependency"],
        liaison=data["liaison"],
        responsible=data["responsible"],
        planned_date=data["planned_date"],
        campaign=data["campaign"],
        audiences=list(data["audiences"]),
        channels=list(data["channels"]),
        agenda_item=agenda_item,
    )


@login_required
def plan_item_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, Perm.PLAN_MANAGE)
    org = request.user.organization_id
    item = get_for_org(PlanItem.objects.all(), request, pk=pk) if pk else None
    agenda_item = None
    initial: dict[str, Any] = {}
    if item is not None:
        initial = {
            "title": item.title,
            "description": item.description,
            "need": item.need_id,
            "dependency": item.dependency_id,
            "liaison": item.liaison_id,
            "responsible": item.responsible_id,
            "planned_date": item.planned_date,
            "campaign": item.campaign_id,
            "audiences": list(item.audiences.all()),
            "channels": list(item.channels.all()),
            "lock_version": item.lock_version,
        }
    else:
        need_id = request.GET.get("necesidad", "")
        agenda_id = request.GET.get("decision", "")
        if agenda_id.isdigit():
            from .models import AgendaItem

            agenda_item = (
                AgendaItem.objects.filter(
                    pk=int(agenda_id), meeting__organization_id=org
                )
                .select_related("need")
                .first()
            )
            if agenda_item is not None:
                initial = {
                    "title": agenda_item.topic,
                    "description": agenda_item.products,
                    "need": agenda_item.need_id,
                    "responsible": agenda_item.responsible_id,
                    "planned_date": agenda_item.due_date,
                    "channels": list(agenda_item.channels.all()),
                    "dependency": agenda_item.need.dependency_id
                    if agenda_item.need
                    else None,
                }
        elif need_id.isdigit():
            need = Need.objects.for_org(org).filter(pk=int(need_id)).first()
            if need is not None:
                initial = {
                    "title": need.title,
                    "description": need.description,
                    "need": need.pk,
                    "dependency": need.dependency_id,
                    "planned_date": need.desired_date,
                    "audiences": list(need.audiences.all()),
                }
    form = PlanItemForm(request.POST or None, initial=initial, organization_id=org)
    if request.method == "POST" and form.is_valid():
        try:
            if item is None:
                agenda_pk = request.POST.get("agenda_item", "")
                if agenda_pk.isdigit():
                    from .models import AgendaItem

                    agenda_item = AgendaItem.objects.filter(
                        pk=int(agenda_pk), meeting__organization_id=org
                    ).first()
                item = actions.create_plan_item(
                    request.user, _plan_data(form, agenda_item)
                )
            else:
                actions.update_plan_item(
                    request.user,
                    item,
                    _plan_data(form),
                    lock_version=form.cleaned_data["lock_version"] or 0,
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Contenido del plan guardado."))
            return redirect("planning:plan_item_detail", item.pk)
    return render(
        request,
        "planning/plan_item_form.html",
        {
            "form": form,
            "item": item,
            "agenda_item": agenda_item,
            "nav": "plan",
        },
    )


@login_required
def plan_item_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item = get_for_org(
        PlanItem.objects.select_related(
            "dependency",
            "liaison",
            "responsible",
            "piece",
            "need",
            "campaign",
            "agenda_item__meeting",
        ),
        request,
        pk=pk,
    )
    if not has_perm(user, Perm.READ_ALL) and item.dependency_id != user.dependency_id:
        raise Http404
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if "produce" in request.POST:
            try:
                piece = actions.produce_plan_item(user, item)
            except DomainError as exc:
                flash_error(request, exc)
            else:
                messages.success(
                    request,
                    _("Pieza %(n)s creada para este contenido.") % {"n": piece.number},
                )
                return redirect("content:piece_detail", piece.pk)
        elif form.is_valid():
            try:
                actions.comment_plan_item(user, item, form.cleaned_data["body"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Comentario publicado."))
                return redirect("planning:plan_item_detail", pk)
    return render(
        request,
        "planning/plan_item_detail.html",
        {
            "item": item,
            "form": form,
            "comments": item.comments.select_related("author"),
            "can_comment": actions.can_comment_plan_item(user, item),
            "can_manage": has_perm(user, Perm.PLAN_MANAGE),
            "can_produce": has_perm(user, Perm.PIECE_CREATE) and item.piece_id is None,
            "nav": "plan",
        },
    )


# ---------------------------------------------------------------- calendar


CELL_LIMIT = {"mes": 3, "semana": 12, "lista": 0}


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@login_required
def calendar(request: AuthedHttpRequest) -> HttpResponse:
    """Month, week or list view of planned, in-progress, approved, scheduled and published pieces."""
    user = request.user
    if not (has_perm(user, Perm.READ_ALL) or has_perm(user, Perm.PLAN_COMMENT)):
        raise PermissionDenied
    today = timezone.localdate()
    view = request.GET.get("vista", "mes")
    try:
        anchor = (
            datetime.date.fromisoformat(request.GET.get("fecha", ""))
            if request.GET.get("fecha")
            else today
        )
    except ValueError:
        anchor = today
    filters = Filters(
        channel=_int(request.GET.get("canal", "")),
        dependency=_int(request.GET.get("dependencia", "")),
        audience=_int(request.GET.get("publico", "")),
        campaign=_int(request.GET.get("campana", "")),
    )
    if not has_perm(user, Perm.READ_ALL):
        filters.dependency = user.dependency_id
    if view == "semana":
        start = anchor - datetime.timedelta(days=anchor.weekday())
        end = start + datetime.timedelta(days=6)
        weeks = [[start + datetime.timedelta(days=i) for i in range(7)]]
        prev_date, next_date = (
            start - datetime.timedelta(days=7),
            start + datetime.timedelta(days=7),
        )
    elif view == "lista":
        start, end = anchor, anchor + datetime.timedelta(days=30)
        weeks = []
        prev_date, next_date = (
            anchor - datetime.timedelta(days=30),
            end + datetime.timedelta(days=1),
        )
    else:
        view = "mes"
        weeks = month_grid(anchor.year, anchor.month)
        start, end = weeks[0][0], weeks[-1][-1]
        first = anchor.replace(day=1)
        prev_date = (first - datetime.timedelta(days=1)).replace(day=1)
        next_date = (first + datetime.timedelta(days=32)).replace(day=1)
    items = items_between(user, start, end, filters)
    by_day: dict[datetime.date, list[Any]] = {}
    for item in items:
        item.css = KIND_CSS[item.kind]  # type: ignore[attr-defined]
        by_day.setdefault(item.day, []).append(item)
    # A cell shows a few entries and links to the day's full list: a busy month
    # stays readable, and the page costs the same whatever the volume.
    per_cell = CELL_LIMIT[view]
    grid = [
        [
            (
                day,
                by_day.get(day, [])[:per_cell],
                max(0, len(by_day.get(day, [])) - per_cell),
            )
            for day in week
        ]
        for week in weeks
    ]
    org = user.organization_id
    params = {k: v for k, v in request.GET.items() if k not in ("fecha", "vista") and v}
    return render(
        request,
        "planning/calendar.html",
        {
            "view": view,
            "anchor": anchor,
            "today": today,
            "grid": grid,
            "items": items,
            "prev_date": prev_date,
            "next_date": next_date,
            "filters": filters,
            "params": params,
            "channels": Channel.objects.for_org(org),
            "dependencies": Dependency.objects.for_org(org),
            "audiences": Audience.objects.for_org(org),
            "campaigns": Campaign.objects.for_org(org),
            "kinds": KIND_CSS,
            "nav": "calendar",
        },
    )


def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's calendar as iCal, reachable by its secret URL (no session)."""
    user = User.objects.filter(ical_token=token, is_active=True).first()
    if user is None or user.organization_id is None:
        raise Http404
    today = timezone.localdate()
    filters = (
        Filters()
        if has_perm(user, Perm.READ_ALL)
        else Filters(dependency=user.dependency_id)
    )
    items = items_between(
        user,
        today - datetime.timedelta(days=30),
        today + datetime.timedelta(days=120),
        filters,
    )
    body = ical(
        items,
        request.build_absolute_uri("/").rstrip("/"),
        _("Pregonero — %(org)s") % {"org": user.organization},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="pregonero.ics"'
    return response


# ---------------------------------------------------------------- joint actions


@login_required
def joint_action_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request, Perm.READ_ALL)
    actions_qs = JointAction.objects.for_org(
        request.user.organization_id
    ).prefetch_related("partners")
    return render(
        request,
        "planning/joint_action_list.html",
        {
            "page": paginate(request, actions_qs),
            "nav": "joint",
        },
    )


def _joint_data(form: JointActionForm) -> actions.JointActionData:
    data = form.cleaned_data
    return actions.JointActionData(
        title=data["title"],
        description=data["description"],
        coordinator=data["coordinator"],
        hashtags=data["hashtags"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        partners=list(data["partners"]),
        campaign=data["campaign"],
        pieces=list(data["pieces"]),
        new_partner_names=[n for n in data["new_partners"].splitlines() if n.strip()],
    )


@login_required
def joint_action_edit(
    request: AuthedHttpRequest, pk: int | None = None
) -> HttpResponse:
    _require(request, Perm.JOINT_ACTION_MANAGE)
    org = request.user.organization_id
    action = get_for_org(JointAction.objects.all(), request, pk=pk) if pk else None
    initial: dict[str, Any] = {"starts_on": timezone.localdate()}
    if action is not None:
        initial = {
            "title": action.title,
            "description": action.description,
            "coordinator": action.coordinator,
            "hashtags": action.hashtags,
            "starts_on": action.starts_on,
            "ends_on": action.ends_on,
            "partners": list(action.partners.all()),
            "campaign": action.campaign_id,
            "pieces": list(action.pieces.all()),
        }
    form = JointActionForm(request.POST or None, initial=initial, organization_id=org)
    if request.method == "POST" and form.is_valid():
        try:
            if action is None:
                action = actions.create_joint_action(request.user, _joint_data(form))
            else:
                actions.update_joint_action(request.user, action, _joint_data(form))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Acción conjunta guardada."))
            return redirect("planning:joint_action_detail", action.pk)
    return render(
        request,
        "planning/joint_action_form.html",
        {
            "form": form,
            "action": action,
            "nav": "joint",
        },
    )


@login_required
def joint_action_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request, Perm.READ_ALL)
    action = get_for_org(JointAction.objects.select_related("campaign"), request, pk=pk)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            actions.add_joint_action_evidence(
                request.user,
                action,
                description=form.cleaned_data["description"],
                url=form.cleaned_data["url"],
                fileobj=upload,
                file_name=upload.name if upload else "",
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Evidencia agregada."))
            return redirect("planning:joint_action_detail", pk)
    return render(
        request,
        "planning/joint_action_detail.html",
        {
            "action": action,
            "form": form,
            "evidence": action.evidence.select_related("file", "added_by"),
            "partners": action.partners.all(),
            "pieces": action.pieces.all(),
            "can_manage": has_perm(request.user, Perm.JOINT_ACTION_MANAGE),
            "timeline": timeline_for(action),
            "nav": "joint",
        },
    )


@login_required
def evidence_download(
    request: AuthedHttpRequest, pk: int, evidence_id: int
) -> FileResponse:
    _require(request, Perm.READ_ALL)
    action = get_for_org(JointAction.objects.all(), request, pk=pk)
    evidence = get_for_org(
        JointActionEvidence.objects.filter(joint_action=action), request, pk=evidence_id
    )
    if evidence.file is None:
        raise Http404
    return download(evidence.file)
