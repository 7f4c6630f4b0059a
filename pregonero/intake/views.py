"""Activity 1 in the browser: register, import e-mail, list, triage."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.timeline import timeline_for
from pregonero.core.errors import DomainError
from pregonero.core.forms import apply_domain_error
from pregonero.core.models import Dependency
from pregonero.core.viewutils import (
    AuthedHttpRequest,
    download,
    flash_error,
    get_for_org,
    paginate,
)

from . import actions
from .forms import AttachmentForm, EmailImportForm, NeedForm, TriageForm
from .models import NeedAttachment, NeedSource
from .permissions import visible_needs
from .workflow import NeedAction, NeedState, actions_from


@login_required
def need_list(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not (has_perm(user, Perm.NEED_CREATE) or has_perm(user, Perm.NEED_VIEW_ALL)):
        raise PermissionDenied
    needs = (
        visible_needs(user)
        .select_related("dependency", "requester")
        .order_by("-created_at")
    )
    state = request.GET.get("estado", "")
    if state in NeedState.values:
        needs = needs.filter(state=state)
    elif state == "abiertas":
        needs = needs.open()
    dependency = request.GET.get("dependencia", "")
    if dependency.isdigit():
        needs = needs.filter(dependency_id=int(dependency))
    source = request.GET.get("origen", "")
    if source in NeedSource.values:
        needs = needs.filter(source=source)
    query = request.GET.get("q", "").strip()
    if query:
        needs = needs.filter(Q(title__icontains=query) | Q(number__icontains=query))
    page = paginate(request, needs)
    return render(
        request,
        "intake/need_list.html",
        {
            "page": page,
            "states": NeedState.choices,
            "sources": NeedSource.choices,
            "dependencies": Dependency.objects.for_org(user.organization_id),
            "filters": {
                "estado": state,
                "dependencia": dependency,
                "origen": source,
                "q": query,
            },
            "nav": "needs",
        },
    )


def _files(request: AuthedHttpRequest, name: str) -> list[tuple[Any, str]]:
    return [(f, f.name or "archivo") for f in request.FILES.getlist(name)]


@login_required
def need_create(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.NEED_CREATE):
        raise PermissionDenied
    initial: dict[str, Any] = {"dependency": user.dependency_id}
    if user.has_role("enlace"):
        initial["source"] = NeedSource.LIAISON
    elif user.has_role("directivo"):
        initial["source"] = NeedSource.DIRECTORS_MEETING
    form = NeedForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        organization_id=user.organization_id,
    )
    if request.method == "POST" and form.is_valid():
        data = actions.NeedData(
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            source=form.cleaned_data["source"],
            dependency=form.cleaned_data["dependency"],
            requester=None if form.cleaned_data["requester_name"] else user,
            requester_name=form.cleaned_data["requester_name"],
            audiences=list(form.cleaned_data["audiences"]),
            desired_date=form.cleaned_data["desired_date"],
            event_date=form.cleaned_data["event_date"],
            urgency=form.cleaned_data["urgency"],
        )
        try:
            need = actions.register_need(
                user, data, attachments=_files(request, "attachments")
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Necesidad %(number)s registrada.") % {"number": need.number}
            )
            return redirect("intake:need_detail", need.pk)
    return render(request, "intake/need_form.html", {"form": form, "nav": "needs"})


@login_required
def need_import_email(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.NEED_CREATE):
        raise PermissionDenied
    form = EmailImportForm(
        request.POST or None,
        request.FILES or None,
        organization_id=user.organization_id,
        initial={"dependency": user.dependency_id},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            need = actions.import_eml(
                user,
                upload,
                upload.name,
                dependency=form.cleaned_data["dependency"],
                urgency=form.cleaned_data["urgency"],
                desired_date=form.cleaned_data["desired_date"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "El correo quedó registrado como la necesidad %(number)s con %(n)s adjuntos."
                )
                % {"number": need.number, "n": need.attachments.count()},
            )
            return redirect("intake:need_detail", need.pk)
    return render(request, "intake/need_import.html", {"form": form, "nav": "needs"})


@login_required
def need_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    need = get_for_org(
        visible_needs(user).select_related(
            "dependency", "requester", "triaged_by", "created_by"
        ),
        request,
        pk=pk,
    )
    triage_actions = []
    if has_perm(user, Perm.NEED_TRIAGE):
        triage_actions = [
            (a, NeedAction(a).label)
            for a in actions_from(need.state)
            if a
            in (
                NeedAction.TRIAGE_PUNCTUAL,
                NeedAction.TRIAGE_PLANNING,
                NeedAction.DISCARD,
            )
        ]
    return render(
        request,
        "intake/need_detail.html",
        {
            "need": need,
            "attachments": need.attachments.all(),
            "pieces": need.pieces.all(),
            "plan_items": need.plan_items.select_related("dependency"),
            "agenda_items": need.agenda_items.select_related("meeting"),
            "triage_form": TriageForm(initial={"lock_version": need.lock_version}),
            "triage_actions": triage_actions,
            "attachment_form": AttachmentForm()
            if has_perm(user, Perm.NEED_CREATE)
            and need.state not in (NeedState.ATTENDED, NeedState.DISCARDED)
            else None,
            "timeline": timeline_for(need),
            "nav": "needs",
        },
    )


@login_required
@require_POST
def need_triage(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    need = get_for_org(visible_needs(user), request, pk=pk)
    form = TriageForm(request.POST)
    action = request.POST.get("action", "")
    if not form.is_valid():
        messages.error(request, _("La solicitud no es válida; recargue la página."))
        return redirect("intake:need_detail", pk)
    try:
        result = actions.triage_need(
            user,
            need,
            action,
            note=form.cleaned_data["note"],
            lock_version=form.cleaned_data["lock_version"],
        )
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("intake:need_detail", pk)
    if action == NeedAction.TRIAGE_PUNCTUAL:
        messages.success(
            request,
            _("Acción puntual: se creó la pieza %(number)s y pasó a producción.")
            % {"number": result.number},
        )
        return redirect("content:piece_detail", result.pk)
    messages.success(request, _("Necesidad clasificada."))
    return redirect("intake:need_detail", pk)


@login_required
@require_POST
def need_attach(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    need = get_for_org(visible_needs(user), request, pk=pk)
    try:
        for fileobj, name in _files(request, "attachments"):
            actions.add_attachment(user, need, fileobj, name)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Adjuntos agregados."))
    return redirect("intake:need_detail", pk)


@login_required
def attachment_download(
    request: HttpRequest, pk: int, attachment_id: int
) -> FileResponse:
    need = get_for_org(visible_needs(request.user), request, pk=pk)
    attachment = get_for_org(
        NeedAttachment.objects.filter(need=need), request, pk=attachment_id
    )
    return download(attachment)
