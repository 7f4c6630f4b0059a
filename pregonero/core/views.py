"""Pages that span the apps: Mi trabajo, notices, profile, control register, audit."""

from __future__ import annotations

import csv
import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pregonero.accounts import actions as account_actions
from pregonero.accounts.models import ApiToken, Notification
from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.actions import verify_chain
from pregonero.audit.models import AuditEvent, chain_key
from pregonero.audit.registry import ACTION_LABELS, label_for
from pregonero.content.models import CHECKLISTS, Piece, PieceFormat, Review
from pregonero.content.workflow import PieceState
from pregonero.intake.models import Need, NeedSource, Urgency
from pregonero.intake.permissions import visible_needs
from pregonero.intake.workflow import NeedState
from pregonero.planning.models import PlanItem
from pregonero.publishing.actions import health as publishing_health
from pregonero.publishing.models import Publication, PublicationStatus

from .errors import DomainError
from .viewutils import AuthedHttpRequest, flash_error, paginate

QUEUE_LIMIT = 15
# An approved piece waits in "to publish" for this long; problems always show.
PUBLISH_WINDOW = datetime.timedelta(days=60)
_LIVE = [
    PublicationStatus.SCHEDULED,
    PublicationStatus.PUBLISHING,
    PublicationStatus.PUBLISHED,
]


def _lacking_a_channel() -> Any:
    """True for a piece with a target channel that has no live publication yet, or
    with no live publication at all (correlated, so the database stops early)."""
    through = Piece.channels.through
    live_here = Publication.objects.filter(
        piece_id=OuterRef("piece_id"),
        channel_id=OuterRef("channel_id"),
        status__in=_LIVE,
    )
    missing = through.objects.filter(~Exists(live_here), piece_id=OuterRef("pk"))
    any_live = Publication.objects.filter(piece_id=OuterRef("pk"), status__in=_LIVE)
    return Q(Exists(missing)) | ~Exists(any_live)


# Choice labels worked out once per request: the page renders up to a hundred rows
# and per-row ``get_FOO_display`` calls are what the template engine spends on.
_ROW_CHOICES = {
    "need": {"state": NeedState, "source": NeedSource, "urgency": Urgency},
    "piece": {"state": PieceState, "format": PieceFormat},
    "plan": {},
}
_ROW_URLS = {
    "need": "intake:need_detail",
    "piece": "content:piece_detail",
    "plan": "planning:plan_item_detail",
}


def _queue(
    key: str, title: str, kind: str, queryset: Any, link: str, **extra: Any
) -> dict[str, Any]:
    """The first QUEUE_LIMIT items of a queue (one more row tells whether there are
    more), each with its link and labels ready for the template."""
    rows = list(queryset[: QUEUE_LIMIT + 1])
    items = rows[:QUEUE_LIMIT]
    url_name = "content:piece_review" if extra.get("review") else _ROW_URLS[kind]
    template = reverse(url_name, args=[987654321])
    choices = {
        field: {value: str(label) for value, label in enum.choices}
        for field, enum in _ROW_CHOICES[kind].items()
    }
    for item in items:
        item.url = template.replace("987654321", str(item.pk))
        for field, labels in choices.items():
            setattr(item, f"{field}_label", labels.get(getattr(item, field), ""))
    return {"key": key, "title": title, "kind": kind, "items": items,
            "more": len(rows) > QUEUE_LIMIT, "link": link, **extra}  # fmt: skip


def _due(qs: Any) -> Any:
    return qs.annotate(due=Coalesce("desired_date", "planned_date")).order_by(
        F("due").asc(nulls_last=True), "created_at"
    )


def home(request: HttpRequest) -> HttpResponse:
    return redirect("core:my_work")


@login_required
def my_work(request: AuthedHttpRequest) -> HttpResponse:
    """Each person's queue by role (triage, write, review, design, publish), overdue first."""
    user = request.user
    org = user.organization_id
    today = timezone.localdate()
    queues: list[dict[str, Any]] = []
    pieces = Piece.objects.for_org(org).select_related("writer", "designer")

    if has_perm(user, Perm.NEED_TRIAGE):
        needs = (
            Need.objects.for_org(org)
            .filter(state=NeedState.REGISTERED)
            .select_related("dependency")
            .annotate(due=F("desired_date"))
            .order_by(F("desired_date").asc(nulls_last=True), "created_at")
        )
        queues.append(
            _queue("triage", _("Por clasificar"), "need", needs,
                   reverse("intake:need_list") + "?estado=registered")
        )  # fmt: skip
    if has_perm(user, Perm.PIECE_REVIEW):
        waiting = _due(
            pieces.filter(
                state__in=[PieceState.TEXT_REVIEW, PieceState.DESIGN_REVIEW]
            ).select_related("latest_text_version", "latest_asset_set")
        )
        queue = _queue("review", _("Por revisar (puntos de control)"), "piece", waiting,
                       reverse("content:piece_list") + "?estado=text_review", review=True)  # fmt: skip
        for piece in queue["items"]:
            # A hint on the list; the action itself checks every uploader too.
            text, design = piece.latest_text_version, piece.latest_asset_set
            piece.own_work = (text is not None and text.author_id == user.pk) or (
                piece.state == PieceState.DESIGN_REVIEW
                and design is not None
                and user.pk in (design.created_by_id, design.submitted_by_id)
            )
        queues.append(queue)
    if has_perm(user, Perm.PIECE_WRITE):
        writing = pieces.filter(
            Q(writer=user) | Q(writer__isnull=True),
            state__in=[PieceState.DRAFTING, PieceState.TEXT_CHANGES],
        )
        queues.append(
            _queue("write", _("Por redactar o ajustar"), "piece", _due(writing),
                   reverse("content:piece_list") + "?estado=drafting")
        )  # fmt: skip
    if has_perm(user, Perm.PIECE_DESIGN):
        designing = pieces.filter(
            Q(designer=user) | Q(designer__isnull=True),
            state__in=[PieceState.DESIGN, PieceState.DESIGN_CHANGES],
        )
        queues.append(
            _queue("design", _("Por diseñar o ajustar"), "piece", _due(designing),
                   reverse("content:piece_list") + "?estado=design")
        )  # fmt: skip
    if has_perm(user, Perm.PUBLISH):
        # Two bounded sets: recent approvals still missing a channel, and pieces
        # with a publication in trouble (both read only this organization's rows).
        recent = (
            Piece.objects.for_org(org)
            .filter(
                state=PieceState.APPROVED,
                sealed_at__gte=timezone.now() - PUBLISH_WINDOW,
            )
            .filter(_lacking_a_channel())
            .values("pk")
        )
        troubled = Publication.objects.for_org(org).filter(
            status__in=[PublicationStatus.FAILED, PublicationStatus.UNCONFIRMED]
        )
        publish = pieces.filter(state=PieceState.APPROVED).filter(
            Q(pk__in=recent) | Q(pk__in=troubled.values("piece_id"))
        )
        queues.append(
            _queue("publish", _("Por programar o publicar"), "piece", _due(publish),
                   reverse("content:piece_list") + "?estado=approved")
        )  # fmt: skip
    if not has_perm(user, Perm.NEED_VIEW_ALL) and has_perm(user, Perm.NEED_CREATE):
        mine = (
            visible_needs(user)
            .select_related("dependency")
            .annotate(due=F("desired_date"))
            .order_by("-created_at")
        )
        queues.append(
            _queue("my_needs", _("Necesidades de mi dependencia"), "need", mine,
                   reverse("intake:need_list"))
        )  # fmt: skip
    if has_perm(user, Perm.PLAN_COMMENT) and not has_perm(user, Perm.PLAN_MANAGE):
        plan = (
            PlanItem.objects.for_org(org)
            .filter(
                dependency_id=user.dependency_id or 0,
                planned_date__gte=today - datetime.timedelta(days=7),
            )
            .select_related("dependency")
            .order_by("planned_date")
        )
        queues.append(
            _queue("plan", _("Contenidos planeados de mi dependencia"), "plan", plan,
                   reverse("planning:plan_list"))
        )  # fmt: skip

    banner = ""
    if has_perm(user, Perm.PUBLISH):
        status = publishing_health()
        if not status["ok"]:
            banner = _health_message(status)
    return render(
        request,
        "core/my_work.html",
        {
            "queues": queues,
            "today": today,
            "nav": "work",
            "health_banner": banner,
        },
    )


def _health_message(status: dict[str, Any]) -> str:
    parts = []
    if not status["worker_ok"]:
        parts.append(
            _(
                "ningún proceso de publicación (worker) ha dado señales de vida recientes"
            )
        )
    if not status["scheduler_ok"]:
        parts.append(_("el programador (scheduler) no está activo"))
    if status["overdue_publications"]:
        parts.append(
            _("%(n)s publicaciones vencidas sin ningún intento")
            % {"n": status["overdue_publications"]}
        )
    return _("Las publicaciones programadas pueden no salir a tiempo: %(parts)s.") % {
        "parts": "; ".join(parts)
    }


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for monitoring: 503 when no worker polled recently or publications
    are past due with no attempt."""
    status = publishing_health()
    payload = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in status.items()
    }
    return JsonResponse(payload, status=200 if status["ok"] else 503)


@login_required
def notifications(request: AuthedHttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(recipient=request.user).order_by("-created_at")
    page = paginate(request, qs, 30)
    return render(
        request, "core/notifications.html", {"page": page, "nav": "notifications"}
    )


@login_required
@require_POST
def notifications_read(request: AuthedHttpRequest) -> HttpResponse:
    # Marking notices read is personal bookkeeping, not a procedure record: no audit event.
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("core:notifications")


@login_required
def notification_open(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    notification = Notification.objects.filter(recipient=request.user, pk=pk).first()
    if notification is None:
        return redirect("core:notifications")
    if notification.read_at is None:
        Notification.objects.filter(pk=pk).update(read_at=timezone.now())
    link = notification.link
    return redirect(
        link if link.startswith("/") and not link.startswith("//") else "core:my_work"
    )


@login_required
def profile(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    new_token = None
    if request.method == "POST":
        try:
            if "create_token" in request.POST:
                expires = parse_date(request.POST.get("expires_on", "") or "")
                expires_at = (
                    timezone.make_aware(
                        datetime.datetime.combine(expires, datetime.time(23, 59))
                    )
                    if expires
                    else None
                )
                _token, new_token = account_actions.create_api_token(
                    user, name=request.POST.get("name", ""), expires_at=expires_at
                )
                messages.success(
                    request, _("Token creado. Cópielo ahora: no se volverá a mostrar.")
                )
            elif "revoke_token" in request.POST:
                token_id = request.POST.get("token", "")
                token = ApiToken.objects.filter(
                    user=user, pk=int(token_id) if token_id.isdigit() else 0
                ).first()
                if token:
                    account_actions.revoke_api_token(user, token)
                    messages.success(request, _("Token revocado."))
                return redirect("core:profile")
            elif "rotate_ical" in request.POST:
                account_actions.rotate_ical_token(user)
                messages.success(
                    request,
                    _(
                        "Se generó un nuevo enlace de calendario; el anterior dejó de funcionar."
                    ),
                )
                return redirect("core:profile")
        except DomainError as exc:
            flash_error(request, exc)
    from allauth.mfa.models import Authenticator

    ical_url = request.build_absolute_uri(
        reverse("planning:ical_feed", args=[user.ical_token])
    )
    return render(
        request,
        "core/profile.html",
        {
            "tokens": ApiToken.objects.filter(user=user),
            "new_token": new_token,
            "ical_url": ical_url,
            "has_mfa": Authenticator.objects.filter(
                user=user, type=Authenticator.Type.TOTP
            ).exists(),
            "nav": "profile",
        },
    )


# ---------------------------------------------------------------- control register

CONTROL_POINTS = {
    1: {
        "activity": _("7 — Revisar los contenidos"),
        "what": _("Oportunidad y veracidad de la información"),
        "frequency": _("Cada vez que se ejecute la actividad"),
        "who": _("Jefe Oficina Asesora de Comunicaciones"),
        "risks": _(
            "Falta de oportunidad, veracidad, falta del fortalecimiento de la cultura de "
            "la ética y transparencia de lo público"
        ),
    },
    2: {
        "activity": _("12 — Revisar y aprobar el diseño o pieza comunicativa"),
        "what": _(
            "Los temas a publicar según la importancia y necesidad de comunicación"
        ),
        "frequency": _("Cada vez que se ejecute la actividad"),
        "who": _("Jefe Oficina Asesora de Comunicaciones"),
        "risks": _(
            "Falta de oportunidad, veracidad, falta del fortalecimiento de la cultura de "
            "la ética y transparencia de lo público"
        ),
    },
}


def _period(request: AuthedHttpRequest) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    start = parse_date(request.GET.get("desde", "") or "") or today.replace(day=1)
    end = parse_date(request.GET.get("hasta", "") or "") or today
    if end < start:
        start, end = end, start
    return start, end


def _aware_range(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    begin = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    finish = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    )
    return begin, finish


@login_required
def control_register(request: AuthedHttpRequest) -> HttpResponse:
    """Every review at control points 1 and 2, with what was controlled and the risks
    (section 9 of the procedure), filterable by period — evidence for Control Interno."""
    if not has_perm(request.user, Perm.CONTROL_REGISTER):
        raise PermissionDenied
    start, end = _period(request)
    begin, finish = _aware_range(start, end)
    reviews = (
        Review.objects.for_org(request.user.organization_id)
        .filter(created_at__gte=begin, created_at__lt=finish)
        .select_related(
            "piece", "reviewer", "text_version", "asset_set", "delegation__delegator"
        )
        .order_by("-created_at")
    )
    point = request.GET.get("punto")
    if point in {"1", "2"}:
        reviews = reviews.filter(control_point=int(point))
    labels = {cp: dict(items) for cp, items in CHECKLISTS.items()}
    if request.GET.get("formato") == "csv":
        return _control_csv(reviews, labels, start, end)
    page = paginate(request, reviews, 50)
    for review in page:
        review.checklist_rows = [
            (labels[review.control_point].get(k, k), v)
            for k, v in review.checklist.items()
        ]
        review.point_info = CONTROL_POINTS[review.control_point]
    summary = (
        reviews.values("control_point", "decision").annotate(n=Count("id")).order_by()
    )
    return render(
        request,
        "core/control_register.html",
        {
            "page": page,
            "start": start,
            "end": end,
            "point": point,
            "control_points": CONTROL_POINTS,
            "summary": list(summary),
            "nav": "control",
        },
    )


def _control_csv(
    reviews: Any,
    labels: dict[int, dict[str, Any]],
    start: datetime.date,
    end: datetime.date,
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="registro-puntos-de-control-{start}-{end}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Fecha"),
            _("Punto de control"),
            _("Actividad"),
            _("Qué se controla"),
            _("Frecuencia"),
            _("Quién lo controla"),
            _("Revisor(a)"),
            _("Como encargado(a) de"),
            _("Pieza"),
            _("Versión del texto"),
            _("Versión del diseño"),
            _("Decisión"),
            _("Lista de chequeo"),
            _("Observaciones"),
            _("Riesgos asociados"),
        ]
    )
    for review in reviews.iterator(chunk_size=500):
        info = CONTROL_POINTS[review.control_point]
        writer.writerow(
            [
                timezone.localtime(review.created_at).strftime("%Y-%m-%d %H:%M"),
                review.control_point,
                info["activity"],
                info["what"],
                info["frequency"],
                info["who"],
                str(review.reviewer),
                str(review.delegation.delegator) if review.delegation_id else "",
                review.piece.number,
                review.text_version.number,
                review.asset_set.number if review.asset_set_id else "",
                review.get_decision_display(),
                "; ".join(
                    f"{labels[review.control_point].get(k, k)}: {'sí' if v else 'no'}"
                    for k, v in review.checklist.items()
                ),
                review.comment,
                info["risks"],
            ]
        )
    return response


# ---------------------------------------------------------------- audit log


@login_required
def audit_log(request: AuthedHttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.AUDIT_VIEW):
        raise PermissionDenied
    org = request.user.organization_id
    events = AuditEvent.objects.of_chain(org).select_related("actor")
    action = request.GET.get("accion", "")
    if action:
        events = events.filter(action__startswith=action)
    start, end = _period(request) if request.GET.get("desde") else (None, None)
    if start and end:
        begin, finish = _aware_range(start, end)
        events = events.filter(occurred_at__gte=begin, occurred_at__lt=finish)
    query = request.GET.get("q", "").strip()
    if query:
        events = events.filter(
            Q(target_label__icontains=query) | Q(actor_label__icontains=query)
        )
    page = paginate(request, events, 50)
    for event in page:
        event.label = label_for(event.action)
    prefixes = sorted({a.rsplit(".", 1)[0] for a in ACTION_LABELS})
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "action": action,
            "query": query,
            "prefixes": prefixes,
            "start": start,
            "end": end,
            "nav": "audit",
        },
    )


@login_required
@require_POST
def audit_verify(request: AuthedHttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.AUDIT_VIEW):
        raise PermissionDenied
    count, problem = verify_chain(chain_key(request.user.organization_id))
    if problem is None:
        messages.success(
            request,
            _(
                "Cadena de auditoría íntegra: %(n)s eventos verificados, ninguno alterado."
            )
            % {"n": count},
        )
    else:
        messages.error(
            request,
            _("La cadena de auditoría está rota en el evento %(seq)s: %(reason)s.")
            % {"seq": problem.seq, "reason": problem.reason},
        )
    return redirect("core:audit_log")
