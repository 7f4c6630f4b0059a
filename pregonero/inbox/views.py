"""The Bandeja de atención in the browser: list, detail, triage, petitions, export."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.timeline import timeline_for
from pregonero.core.errors import DomainError
from pregonero.core.forms import apply_domain_error
from pregonero.core.models import Channel, NetworkKind
from pregonero.core.viewutils import (
    AuthedHttpRequest,
    download,
    get_for_org,
    paginate_capped,
)

from . import actions, ingest, reply_actions
from .deadlines import BusinessCalendar
from .forms import (
    STATE_FILTERS,
    AnswerForm,
    AssignForm,
    ClarificationForm,
    ClarificationReceivedForm,
    CloseForm,
    ExtendForm,
    ItemForm,
    NoteForm,
    PetitionDataForm,
    RadicadoForm,
    ReferForm,
    ReplyForm,
    ResolveReplyForm,
    RespondedForm,
    SavedReplyForm,
    TriageForm,
)
from .holidays_calendar import calendar_for
from .listing import filter_items
from .models import InboundItem, Petition, Reply, ReplyState, SavedReply
from .permissions import inbox_staff, visible_items
from .personal_data import KIND_LABELS, find_personal_data
from .reports import export_csv, export_xlsx, mask_contact, mask_document, mask_text
from .workflow import ItemKind, ItemState, PetitionState, Typology, actions_from


@dataclass
class Term:
    """How much of a petition's term has run, in words and numbers."""

    percent: int
    elapsed: int
    total: int
    level: str  # ok / warning / danger
    label: str


def term_of(
    petition: Petition, calendar: BusinessCalendar, today: datetime.date
) -> Term | None:
    if petition.state != PetitionState.OPEN:
        return None
    total = calendar.business_days_between(petition.start_date, petition.due_date)
    elapsed = calendar.business_days_between(petition.start_date, today)
    percent = calendar.percent_elapsed(petition.start_date, petition.due_date, today)
    values = {"percent": percent, "elapsed": elapsed, "total": total}
    if today > petition.due_date:
        return Term(percent, elapsed, total, "danger", _("Vencida") + f" ({percent} %)")
    if today == petition.due_date:
        return Term(percent, elapsed, total, "danger", _("Vence hoy"))
    if percent >= 80:
        level = "danger"
    elif percent >= 50:
        level = "warning"
    else:
        level = "ok"
    label = (
        _("%(percent)s %% del término (%(elapsed)s de %(total)s días hábiles)") % values
    )
    return Term(percent, elapsed, total, level, label)


def response_timer(item: InboundItem, now: datetime.datetime) -> tuple[str, str] | None:
    """The first-response target, as (level, label)."""
    if item.responded_at is not None or item.first_response_due is None:
        return None
    if item.state == ItemState.NOT_APPLICABLE:
        return None
    left = item.first_response_due - now
    if left.total_seconds() < 0:
        hours = int(-left.total_seconds() // 3600)
        return "danger", _("Respuesta vencida hace %(hours)s h") % {"hours": hours}
    hours = int(left.total_seconds() // 3600)
    minutes = int(left.total_seconds() % 3600 // 60)
    level = "warning" if hours < 2 else "ok"
    return level, _("Responder en %(hours)s h %(minutes)s min") % {
        "hours": hours,
        "minutes": minutes,
    }


def _require_view(user: Any) -> None:
    if not has_perm(user, Perm.INBOX_VIEW):
        raise PermissionDenied


@login_required
def item_list(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    _require_view(user)
    items = visible_items(user).select_related(
        "channel", "assignee", "petition", "conversation"
    )
    get = request.GET
    now = timezone.now()
    today = timezone.localdate()
    filters = {
        k: get.get(k, "").strip()
        for k in (
            "red",
            "estado",
            "asignado",
            "tipo",
            "tipologia",
            "vencidas",
            "radicado",
            "q",
        )
    }
    items = filter_items(
        items,
        user,
        network=filters["red"],
        state=filters["estado"],
        assignee=filters["asignado"],
        kind=filters["tipo"],
        typology=filters["tipologia"],
        overdue=filters["vencidas"] == "1",
        without_radicado=filters["radicado"] == "sin",
        text=filters["q"],
        now=now,
    )
    # No total: a large entity's Bandeja holds millions (issue 6); the count
    # stops at the end of the page asked for.
    page = paginate_capped(request, items.order_by("-received_at", "-pk"))
    calendar = calendar_for(user.organization_id)
    rows = []
    for item in page:
        petition = getattr(item, "petition", None)
        rows.append(
            {
                "item": item,
                "petition": petition,
                "term": term_of(petition, calendar, today) if petition else None,
                "timer": response_timer(item, now),
            }
        )
    return render(
        request,
        "inbox/item_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "networks": NetworkKind.choices,
            "states": STATE_FILTERS,
            "kinds": ItemKind.choices,
            "typologies": Typology.choices,
            "staff": inbox_staff(user.organization_id),
            "can_manage": has_perm(user, Perm.INBOX_MANAGE),
            "readings": ingest.readings(user.organization_id),
            "nav": "inbox",
        },
    )


@login_required
@require_POST
def read_now(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The "Leer ahora" button of a channel in the Bandeja."""
    channel = get_for_org(Channel.objects.all(), request, pk=pk)
    try:
        ingest.request_ingestion(request.user, channel)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Lectura de %(channel)s en cola; los mensajes nuevos aparecen al terminar."
            )
            % {"channel": channel.name},
        )
    return redirect("inbox:item_list")


@login_required
def item_create(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.INBOX_MANAGE):
        raise PermissionDenied
    form = ItemForm(
        request.POST or None,
        organization_id=user.organization_id,
        initial={"received_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        data = actions.ItemData(
            kind=form.cleaned_data["kind"],
            channel=form.cleaned_data["channel"],
            author_handle=form.cleaned_data["author_handle"],
            text=form.cleaned_data["text"],
            url=form.cleaned_data["url"],
            received_at=form.cleaned_data["received_at"],
        )
        try:
            item = actions.register_item(user, data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Mensaje registrado. Clasifíquelo ahora."))
            return redirect("inbox:item_detail", item.pk)
    return render(request, "inbox/item_form.html", {"form": form, "nav": "inbox"})


def _detail_context(
    request: AuthedHttpRequest, item: InboundItem, bound: dict[str, forms.Form]
) -> dict[str, Any]:
    user = request.user
    org_id = user.organization_id
    petition: Petition | None = getattr(item, "petition", None)
    manage = has_perm(user, Perm.INBOX_MANAGE)
    personal = has_perm(user, Perm.PETITION_PERSONAL_DATA)
    now = timezone.now()
    today = timezone.localdate()
    calendar = calendar_for(org_id)
    item_version = {"lock_version": item.lock_version}
    context: dict[str, Any] = {
        "item": item,
        "petition": petition,
        "thread": (
            InboundItem.objects.filter(conversation_id=item.conversation_id)
            .exclude(pk=item.pk)
            .select_related("channel")
            .order_by("received_at")[:50]
            if item.conversation_id
            else []
        ),
        "triages": item.triages.select_related("decided_by"),
        "notes": item.notes.select_related("author"),
        "timer": response_timer(item, now),
        "can_manage": manage,
        "can_see_personal": personal,
        "timeline": timeline_for(item),
        "nav": "inbox",
    }
    context["replies"] = _reply_rows(item, manage, bound.get("resolve_reply"))
    context["email_files"] = _email_files(item)
    if manage and item.channel_id and item.anonymised_at is None:
        reply_form, options = _reply_form(item)
        context["reply_form"] = bound.get("reply") or reply_form
        context["reply_options"] = options
    if manage:
        context["saved_replies"] = SavedReply.objects.for_org(org_id).filter(
            active=True
        )
        context["assign_form"] = bound.get("assign") or AssignForm(
            initial={**item_version, "assignee": item.assignee_id},
            staff=inbox_staff(org_id),
        )
        context["note_form"] = bound.get("note") or NoteForm()
        if item.responded_at is None and petition is None:
            context["responded_form"] = bound.get("responded") or RespondedForm()
        if petition is None:
            context["triage_form"] = bound.get("triage") or TriageForm(
                initial={**item_version, "decision": item.state}
                if item.state != ItemState.NEW
                else item_version,
                organization_id=org_id,
            )
    if petition is not None:
        version = {"lock_version": petition.lock_version}
        context["term"] = term_of(petition, calendar, today)
        context["masked"] = {
            "name": mask_text(petition.petitioner_name),
            "document": mask_document(petition.petitioner_document),
            "contact": mask_contact(petition.petitioner_contact),
        }
        if manage and petition.state != PetitionState.CLOSED:
            available = actions_from(petition.state)
            context["radicado_form"] = bound.get("radicado") or RadicadoForm(
                initial={**version, "radicado": petition.radicado}
            )
            initial_data: dict[str, Any] = {
                **version,
                "dependency": petition.dependency_id,
            }
            if personal:
                initial_data.update(
                    petitioner_name=petition.petitioner_name,
                    petitioner_document=petition.petitioner_document,
                    petitioner_contact=petition.petitioner_contact,
                )
            context["data_form"] = bound.get("data") or PetitionDataForm(
                initial=initial_data, organization_id=org_id, personal=personal
            )
            forms_for = {
                "refer": ReferForm,
                "request_clarification": ClarificationForm,
                "receive_clarification": ClarificationReceivedForm,
                "extend": ExtendForm,
                "answer": AnswerForm,
                "close": CloseForm,
            }
            for name in available:
                if name == "extend" and (
                    petition.extended_at is not None or today > petition.due_date
                ):
                    continue
                context[f"{name}_form"] = bound.get(name) or forms_for[name](
                    initial=version
                )
    return context


def _email_files(item: InboundItem) -> list[Any]:
    """The e-mail (.eml) and its attachments, for an item read from the
    institutional mailbox (kept as received; one query)."""
    if item.kind != ItemKind.EMAIL:
        return []
    from pregonero.mailbox.models import MessageAttachment

    return list(
        MessageAttachment.objects.filter(
            organization_id=item.organization_id, message__item=item
        ).order_by("pk")
    )


@login_required
def email_file(request: AuthedHttpRequest, pk: int, file_id: int) -> FileResponse:
    """Download one of the item's e-mail files (never inline, never sniffed)."""
    from pregonero.mailbox.models import MessageAttachment

    _require_view(request.user)
    item = get_for_org(visible_items(request.user), request, pk=pk)
    stored = get_for_org(
        MessageAttachment.objects.filter(message__item=item).exclude(file=""),
        request,
        pk=file_id,
    )
    return download(stored)


@login_required
def item_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_view(user)
    item = get_for_org(
        visible_items(user).select_related(
            "channel", "assignee", "petition", "petition__dependency", "conversation"
        ),
        request,
        pk=pk,
    )
    return render(request, "inbox/item_detail.html", _detail_context(request, item, {}))


def _petition_of(item: InboundItem) -> Petition:
    petition = getattr(item, "petition", None)
    if petition is None:
        raise Http404
    return petition


@login_required
@require_POST
def item_post(request: AuthedHttpRequest, pk: int, what: str) -> HttpResponse:
    """Every form of the detail page: run the action, or show the page again with
    the form as typed and the reason it was refused."""
    user = request.user
    _require_view(user)
    item = get_for_org(
        visible_items(user).select_related("channel", "assignee", "conversation"),
        request,
        pk=pk,
    )
    org_id = user.organization_id
    post = request.POST
    form: forms.Form
    done = _("Cambios guardados.")
    try:
        if what == "triage":
            form = TriageForm(post, organization_id=org_id)
            if form.is_valid():
                d = form.cleaned_data
                actions.triage(
                    user,
                    item,
                    d["decision"],
                    typology=d["typology"],
                    reason=d["reason"],
                    dependency=d["dependency"],
                    lock_version=d["lock_version"],
                )
                done = _("Mensaje clasificado.")
        elif what == "assign":
            form = AssignForm(post, staff=inbox_staff(org_id))
            if form.is_valid():
                actions.assign(
                    user,
                    item,
                    form.cleaned_data["assignee"],
                    lock_version=form.cleaned_data["lock_version"],
                )
                done = _("Asignación guardada.")
        elif what == "note":
            form = NoteForm(post)
            if form.is_valid():
                actions.add_note(user, item, form.cleaned_data["text"])
                done = _("Nota agregada.")
        elif what == "reply":
            form, done = _reply_post(user, item, post)
        elif what == "resolve_reply":
            form, done = _resolve_reply_post(user, item, post)
        elif what == "responded":
            form = RespondedForm(post)
            if form.is_valid():
                actions.mark_responded(user, item, form.cleaned_data["url"])
                done = _("Respuesta registrada.")
        else:
            form = _petition_post(user, item, what, post)
            done = _("Petición actualizada.")
    except DomainError as exc:
        apply_domain_error(form, exc)
    if form.is_valid() and not form.errors and done:
        messages.success(request, done)
        return redirect("inbox:item_detail", pk)
    item = get_for_org(
        visible_items(user).select_related(
            "channel", "assignee", "petition", "petition__dependency", "conversation"
        ),
        request,
        pk=pk,
    )
    context = _detail_context(request, item, {what: form})
    context["error_form"] = what
    if what == "reply":
        context["reply_marks"] = getattr(form, "personal_marks", None)
    status = 200 if what == "reply" and not form.errors else 422
    return render(request, "inbox/item_detail.html", context, status=status)


def _reply_rows(
    item: InboundItem, manage: bool, bound: forms.Form | None
) -> list[tuple[Reply, ResolveReplyForm | None]]:
    """The item's replies, each unconfirmed one the network could not check
    with its «¿salió?» form (the refused one keeps what was typed)."""
    rows: list[tuple[Reply, ResolveReplyForm | None]] = []
    for reply in item.replies.select_related("created_by"):
        form = None
        if manage and reply.state == ReplyState.UNCONFIRMED and reply.needs_review:
            auto_id = f"id_resolve{reply.pk}_%s"
            if isinstance(bound, ResolveReplyForm) and bound.data.get("reply") == str(
                reply.pk
            ):
                form = bound
                form.auto_id = auto_id
            else:
                form = ResolveReplyForm(initial={"reply": reply.pk}, auto_id=auto_id)
        rows.append((reply, form))
    return rows


def _resolve_reply_post(
    user: Any, item: InboundItem, post: Any
) -> tuple[ResolveReplyForm, str]:
    form = ResolveReplyForm(post)
    if not form.is_valid():
        return form, ""
    d = form.cleaned_data
    reply = Reply.objects.filter(
        pk=d["reply"], item=item, organization_id=user.organization_id
    ).first()
    if reply is None:
        raise Http404
    sent = d["outcome"] == "sent"
    try:
        reply_actions.resolve_reply(
            user, reply, sent=sent, permalink=d["permalink"], note=d["note"]
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return form, ""
    if sent:
        return form, _("Respuesta registrada como enviada.")
    return form, _("La respuesta vuelve a la cola: se enviará de nuevo en segundos.")


def _reply_form(
    item: InboundItem, data: Any = None, **kwargs: Any
) -> tuple[ReplyForm, reply_actions.ReplyOptions]:
    options = reply_actions.reply_options(item)
    templates = [
        (str(r.pk), r.title)
        for r in SavedReply.objects.for_org(item.organization_id).filter(active=True)
    ]
    form = ReplyForm(
        data,
        templates=templates,
        private_allowed=options.private,
        public_allowed=options.public,
        petition=getattr(item, "petition", None) is not None,
        **kwargs,
    )
    return form, options


def _reply_post(user: Any, item: InboundItem, post: Any) -> tuple[ReplyForm, str]:
    """Insert a plantilla (the form comes back with it, nothing is sent) or queue
    the reply; a refusal keeps the text and marks the personal data found."""
    form, options = _reply_form(item, post)
    if not form.is_valid():
        return form, ""
    d = form.cleaned_data
    if "insert" in post:
        saved = (
            SavedReply.objects.for_org(item.organization_id)
            .filter(pk=d["template"] or 0, active=True)
            .first()
        )
        text = d["text"]
        if saved is not None:
            text = f"{text}\n{saved.body}".strip() if text else saved.body
        data = post.copy()
        data["text"] = text
        data["template"] = ""
        form, _options = _reply_form(item, data)
        form.is_valid()
        return form, ""
    private = d.get("private", not options.public)
    text = d["text"]
    try:
        reply_actions.create_reply(
            user,
            item,
            d["text"],
            private=bool(private),
            confirm_not_personal=d["confirm_not_personal"],
            as_petition_answer=d.get("as_petition_answer", False),
        )
    except DomainError as exc:
        spans = exc.errors.pop("personal_data", None)
        apply_domain_error(form, exc)
        if spans:
            # DAT-01: the whole reason (move to private or confirm) and the text
            # with each finding marked.
            form.add_error(None, exc.message)
            form.personal_marks = marked_segments(text)  # type: ignore[attr-defined]
        return form, ""
    return form, _("Respuesta en cola: se enviará por la red en unos segundos.")


def marked_segments(text: str) -> list[tuple[str, str]]:
    """The text cut into (piece, kind) with kind "" for plain text: the template
    marks the personal data with <mark> (autoescaped, never marked safe)."""
    segments: list[tuple[str, str]] = []
    at = 0
    for finding in find_personal_data(text):
        if finding.start > at:
            segments.append((text[at : finding.start], ""))
        segments.append((finding.text, str(KIND_LABELS[finding.kind])))
        at = finding.end
    if at < len(text):
        segments.append((text[at:], ""))
    return segments


def _petition_post(user: Any, item: InboundItem, what: str, post: Any) -> forms.Form:
    """Bind the petition form named ``what`` and run its action when valid;
    a refusal is put on the form, which keeps what was typed."""
    petition = _petition_of(item)
    org_id = user.organization_id
    form: forms.Form
    if what == "data":
        form = PetitionDataForm(
            post,
            organization_id=org_id,
            personal=has_perm(user, Perm.PETITION_PERSONAL_DATA),
        )
    else:
        form_class = {
            "radicado": RadicadoForm,
            "refer": ReferForm,
            "request_clarification": ClarificationForm,
            "receive_clarification": ClarificationReceivedForm,
            "extend": ExtendForm,
            "answer": AnswerForm,
            "close": CloseForm,
        }.get(what)
        if form_class is None:
            raise Http404
        form = form_class(post)
    if not form.is_valid():
        return form
    d = form.cleaned_data
    version = d["lock_version"]
    try:
        if what == "radicado":
            actions.set_radicado(user, petition, d["radicado"], lock_version=version)
        elif what == "data":
            actions.update_petition(
                user,
                petition,
                actions.PetitionFields(
                    dependency=d["dependency"],
                    petitioner_name=d.get("petitioner_name"),
                    petitioner_document=d.get("petitioner_document"),
                    petitioner_contact=d.get("petitioner_contact"),
                ),
                lock_version=version,
            )
        elif what == "refer":
            actions.refer(user, petition, d["entity"], d["note"], lock_version=version)
        elif what == "request_clarification":
            actions.request_clarification(
                user, petition, d["text"], lock_version=version
            )
        elif what == "receive_clarification":
            actions.receive_clarification(
                user, petition, d["received_at"], lock_version=version
            )
        elif what == "extend":
            actions.extend(
                user, petition, d["new_due_date"], d["reason"], lock_version=version
            )
        elif what == "answer":
            actions.record_answer(
                user, petition, d["text"], d["url"], lock_version=version
            )
        elif what == "close":
            actions.close(user, petition, lock_version=version)
    except DomainError as exc:
        apply_domain_error(form, exc)
    return form


@login_required
def export(request: AuthedHttpRequest) -> HttpResponse:
    """PET-09: the month's petitions for the Decreto 371 report, data masked."""
    user = request.user
    _require_view(user)
    month = request.GET.get("mes", "")
    try:
        start = datetime.date.fromisoformat(f"{month}-01")
    except ValueError:
        start = timezone.localdate().replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
        days=1
    )
    name = f"peticiones-{start:%Y-%m}"
    if request.GET.get("formato") == "xlsx":
        response = HttpResponse(
            export_xlsx(user.organization_id, start, end),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(
            export_csv(user.organization_id, start, end),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- saved replies


@login_required
def saved_replies(request: AuthedHttpRequest) -> HttpResponse:
    """The plantillas de respuesta: everyone in the Bandeja reads them, those
    who attend it write and edit them."""
    _require_view(request.user)
    rows = SavedReply.objects.for_org(request.user.organization_id).order_by(
        "-active", "title"
    )
    return render(
        request,
        "inbox/saved_replies.html",
        {
            "rows": rows,
            "can_manage": has_perm(request.user, Perm.INBOX_MANAGE),
            "nav": "inbox",
        },
    )


@login_required
def saved_reply_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.INBOX_MANAGE):
        raise PermissionDenied
    saved = (
        get_for_org(SavedReply.objects.for_org(user.organization_id), request, pk=pk)
        if pk is not None
        else None
    )
    initial = (
        {
            "title": saved.title,
            "body": saved.body,
            "active": saved.active,
            "lock_version": saved.lock_version,
        }
        if saved
        else {"active": True}
    )
    form = SavedReplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_saved_reply(
                user,
                saved,
                title=data["title"],
                body=data["body"],
                active=data["active"],
                lock_version=data["lock_version"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Respuesta guardada."))
            return redirect("inbox:saved_replies")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "inbox/saved_reply_form.html",
        {"form": form, "saved": saved, "nav": "inbox"},
        status=status,
    )
