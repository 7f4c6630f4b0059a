"""Activities 5–13 in the browser: pieces, the editor, design, the control points."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.timeline import timeline_for
from pregonero.checks.config import settings_for
from pregonero.core.errors import ConflictError, DomainError
from pregonero.core.forms import apply_domain_error
from pregonero.core.models import Audience, Campaign, Channel, Dependency
from pregonero.core.viewutils import (
    AuthedHttpRequest,
    download,
    flash_error,
    get_for_org,
    paginate,
)

from . import actions, checking
from .diff import has_changes, word_diff
from .forms import (
    AssetEditForm,
    AssetForm,
    PieceForm,
    ReviewForm,
    SourceFormSet,
    TextForm,
    TransitionForm,
)
from .models import (
    Asset,
    Piece,
    PieceFormat,
    TextDraft,
    TextVersion,
    attach_publication_counts,
)
from .permissions import is_author_of_reviewed, visible_pieces
from .workflow import (
    DESIGN_EDITABLE,
    TEXT_EDITABLE,
    PieceAction,
    PieceState,
    allowed_actions,
)

# Publication statuses, by value: content must not import publishing.
_PUBLISHED = "published"
_LIVE = ("scheduled", "publishing", "published", "unconfirmed", "failed")


def _piece(request: AuthedHttpRequest, pk: int, *related: str) -> Piece:
    queryset = visible_pieces(request.user)
    if related:
        queryset = queryset.select_related(*related)
    return get_for_org(queryset, request, pk=pk)


@login_required
def piece_list(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.PIECE_VIEW):
        raise PermissionDenied
    org = user.organization_id
    pieces = (
        visible_pieces(user)
        .select_related("writer", "designer", "dependency", "campaign")
        .order_by("-created_at")
    )
    filters = {
        key: request.GET.get(key, "")
        for key in (
            "estado",
            "canal",
            "dependencia",
            "campana",
            "publico",
            "formato",
            "q",
        )
    }
    if filters["estado"] in PieceState.values:
        pieces = pieces.filter(state=filters["estado"])
    if filters["formato"] in PieceFormat.values:
        pieces = pieces.filter(format=filters["formato"])
    for key, lookup in (
        ("canal", "channels"),
        ("dependencia", "dependency_id"),
        ("campana", "campaign_id"),
        ("publico", "audiences"),
    ):
        if filters[key].isdigit():
            pieces = pieces.filter(**{lookup: int(filters[key])})
    if filters["q"]:
        pieces = pieces.filter(
            Q(title__icontains=filters["q"]) | Q(number__icontains=filters["q"])
        )
    page = paginate(request, pieces)
    attach_publication_counts(page.object_list)
    return render(
        request,
        "content/piece_list.html",
        {
            "page": page,
            "filters": filters,
            "states": PieceState.choices,
            "formats": PieceFormat.choices,
            "channels": Channel.objects.for_org(org),
            "dependencies": Dependency.objects.for_org(org),
            "campaigns": Campaign.objects.for_org(org),
            "audiences": Audience.objects.for_org(org),
            "nav": "pieces",
        },
    )


def _piece_data(form: PieceForm) -> actions.PieceData:
    data = form.cleaned_data
    return actions.PieceData(
        title=data["title"],
        format=data["format"],
        brief=data["brief"],
        need=data["need"],
        dependency=data["dependency"],
        program=data["program"],
        campaign=data["campaign"],
        audiences=list(data["audiences"]),
        channels=list(data["channels"]),
        writer=data["writer"],
        designer=data["designer"],
        urgent=data["urgent"],
        desired_date=data["desired_date"],
        planned_date=data["planned_date"],
    )


@login_required
def piece_create(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.PIECE_CREATE):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    if has_perm(user, Perm.PIECE_WRITE):
        initial["writer"] = user.pk
    form = PieceForm(
        request.POST or None, initial=initial, organization_id=user.organization_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            piece = actions.create_piece(user, _piece_data(form))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Pieza %(number)s creada.") % {"number": piece.number}
            )
            return redirect("content:piece_detail", piece.pk)
    return render(request, "content/piece_form.html", {"form": form, "nav": "pieces"})


@login_required
def piece_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    piece = _piece(request, pk)
    if not has_perm(user, Perm.PIECE_CREATE):
        raise PermissionDenied
    initial = {
        "title": piece.title,
        "format": piece.format,
        "brief": piece.brief,
        "need": piece.need_id,
        "dependency": piece.dependency_id,
        "program": piece.program_id,
        "campaign": piece.campaign_id,
        "audiences": list(piece.audiences.all()),
        "channels": list(piece.channels.all()),
        "writer": piece.writer_id,
        "designer": piece.designer_id,
        "urgent": piece.urgent,
        "desired_date": piece.desired_date,
        "planned_date": piece.planned_date,
        "lock_version": piece.lock_version,
    }
    form = PieceForm(
        request.POST or None, initial=initial, organization_id=user.organization_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_piece(
                user,
                piece,
                _piece_data(form),
                lock_version=form.cleaned_data["lock_version"] or 0,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Datos de la pieza guardados."))
            return redirect("content:piece_detail", piece.pk)
    return render(
        request,
        "content/piece_form.html",
        {"form": form, "piece": piece, "nav": "pieces"},
    )


def _buttons(request: AuthedHttpRequest, piece: Piece) -> list[Any]:
    perms = {str(p) for p in _perms(request)}
    return allowed_actions(
        piece.state,
        perms,
        is_author_of_reviewed=is_author_of_reviewed(request.user, piece),
    )


def _perms(request: AuthedHttpRequest) -> set[Any]:
    from pregonero.accounts.permissions import perms_for

    return perms_for(request.user)


@login_required
def piece_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    piece = _piece(
        request,
        pk,
        "need",
        "writer",
        "designer",
        "dependency",
        "program",
        "campaign",
        "latest_text_version__author",
        "latest_asset_set",
        "sealed_by",
        "created_by",
    )
    versions = list(piece.text_versions.select_related("author").order_by("-number"))
    current = piece.latest_text_version
    asset_set = piece.latest_asset_set
    publications = list(
        piece.publications.select_related("channel", "recorded_by").order_by(
            "channel__name"
        )
    )
    transitions = [t for t in _buttons(request, piece) if t.control_point is None]
    drafts = TextDraft.objects.filter(
        piece=piece, author=request.user, dismissed_at__isnull=True
    )
    return render(
        request,
        "content/piece_detail.html",
        {
            "piece": piece,
            "versions": versions,
            "current": current,
            "variants": current.variants.select_related("channel") if current else [],
            "sources": current.sources.all() if current else [],
            "asset_set": asset_set,
            "assets": asset_set.assets.all() if asset_set else [],
            "reviews": piece.reviews.select_related(
                "reviewer", "text_version", "asset_set", "delegation__delegator"
            ),
            "publications": publications,
            "published_count": sum(1 for p in publications if p.status == _PUBLISHED),
            "live_count": sum(1 for p in publications if p.status in _LIVE),
            "transitions": transitions,
            "transition_form": TransitionForm(
                initial={"lock_version": piece.lock_version}
            ),
            "can_review": any(t.control_point for t in _buttons(request, piece)),
            "can_write": has_perm(request.user, Perm.PIECE_WRITE)
            and piece.state != PieceState.CANCELLED,
            "can_design": has_perm(request.user, Perm.PIECE_DESIGN)
            and piece.state in DESIGN_EDITABLE,
            "can_publish": has_perm(request.user, Perm.PUBLISH)
            and piece.state == PieceState.APPROVED,
            "can_edit": has_perm(request.user, Perm.PIECE_CREATE)
            and piece.state != PieceState.CANCELLED,
            "can_export": has_perm(request.user, Perm.EVIDENCE_EXPORT),
            "drafts": drafts,
            "timeline": timeline_for(piece, related=publications),
            "nav": "pieces",
        },
    )


@login_required
def piece_text(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The editor: every save is a new immutable version; a stale save is kept aside."""
    user = request.user
    piece = _piece(request, pk, "latest_text_version")
    if not has_perm(user, Perm.PIECE_WRITE):
        raise PermissionDenied
    if piece.state in (
        PieceState.TEXT_REVIEW,
        PieceState.DESIGN_REVIEW,
        PieceState.CANCELLED,
    ):
        messages.info(
            request,
            _("La pieza está en «%(state)s»: el texto no se puede cambiar ahora.")
            % {"state": piece.get_state_display()},
        )
        return redirect("content:piece_detail", piece.pk)
    channels = list(piece.channels.all())
    current = piece.latest_text_version
    initial: dict[str, Any] = {"base_version": current.number if current else None}
    sources_initial: list[dict[str, str]] = []
    if current is not None:
        initial["body"] = current.body
        for variant in current.variants.all():
            initial[f"variant_{variant.channel_id}_title"] = variant.title
            initial[f"variant_{variant.channel_id}_body"] = variant.body
        sources_initial = [
            {"description": s.description, "url": s.url} for s in current.sources.all()
        ]
    draft_id = request.GET.get("borrador", "")
    if draft_id.isdigit():
        draft = TextDraft.objects.filter(
            piece=piece, author=user, pk=int(draft_id)
        ).first()
        if draft is not None:
            initial["body"] = draft.body
            for cid, (title, body) in draft.payload.get("variants", {}).items():
                initial[f"variant_{cid}_title"] = title
                initial[f"variant_{cid}_body"] = body
            sources_initial = [
                {"description": d, "url": u}
                for d, u in draft.payload.get("sources", [])
            ]
            initial["note"] = draft.payload.get("note", "")
    form = TextForm(request.POST or None, initial=initial, channels=channels)
    sources = SourceFormSet(
        request.POST or None, initial=sources_initial, prefix="sources"
    )
    reopening = piece.state not in TEXT_EDITABLE
    previewing = request.method == "POST" and "preview" in request.POST
    if (
        request.method == "POST"
        and not previewing
        and form.is_valid()
        and sources.is_valid()
    ):
        source_rows = [
            (f.cleaned_data.get("description", ""), f.cleaned_data.get("url", ""))
            for f in sources.forms
            if f.cleaned_data
        ]
        try:
            version = actions.save_text_version(
                user,
                piece,
                base_version=form.cleaned_data["base_version"],
                body=form.cleaned_data["body"],
                variants=form.variants(),
                sources=source_rows,
                note=form.cleaned_data["note"],
            )
            if "submit" in request.POST:
                actions.submit_text(user, piece)
                messages.success(
                    request,
                    _("Versión %(n)s guardada y enviada a revisión.")
                    % {"n": version.number},
                )
            else:
                messages.success(
                    request, _("Versión %(n)s guardada.") % {"n": version.number}
                )
            return redirect("content:piece_detail", piece.pk)
        except ConflictError as exc:
            apply_domain_error(form, exc)
            piece.refresh_from_db()
        except DomainError as exc:
            apply_domain_error(form, exc)
    if request.method == "POST":
        typed = _typed_fields(request, channels)
    else:
        typed = (
            str(initial.get("body", "")),
            {c.pk: str(initial.get(f"variant_{c.pk}_body", "")) for c in channels},
        )
    report = checking.check_texts(
        body=typed[0],
        variants=typed[1],
        channels=channels,
        assets=_latest_assets(piece),
        settings=settings_for(piece.organization_id),
    )
    return render(
        request,
        "content/piece_text.html",
        {
            "piece": piece,
            "form": form,
            "sources": sources,
            "current": current,
            "reopening": reopening,
            "checks": checking.panel(report, editable=True),
            "nav": "pieces",
        },
    )


def _typed_fields(
    request: HttpRequest, channels: list[Channel]
) -> tuple[str, dict[int, str]]:
    """The main text and the variants exactly as typed (not stripped: the
    offsets of the findings must match the editor's text)."""
    post = request.POST
    return (
        checking.typed_text(post.get("body", "")),
        {
            c.pk: checking.typed_text(post.get(f"variant_{c.pk}_body", ""))
            for c in channels
        },
    )


def _latest_assets(piece: Piece) -> list[Asset]:
    if piece.latest_asset_set_id is None:
        return []
    return list(Asset.objects.filter(asset_set_id=piece.latest_asset_set_id))


@login_required
@require_POST
def piece_text_check(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The findings panel for the text as typed (htmx, while writing): an HTML
    fragment, nothing saved. Same access as the editor."""
    piece = _piece(request, pk)
    if not has_perm(request.user, Perm.PIECE_WRITE):
        raise PermissionDenied
    channels = list(piece.channels.all())
    body, variants = _typed_fields(request, channels)
    report = checking.check_texts(
        body=body,
        variants=variants,
        channels=channels,
        assets=_latest_assets(piece),
        settings=settings_for(piece.organization_id),
    )
    # A fragment: no page context (menus, notification count) to compute.
    return HttpResponse(
        render_to_string(
            "content/_checks_fragment.html",
            {"piece": piece, "checks": checking.panel(report, editable=True)},
        )
    )


@login_required
@require_POST
def draft_dismiss(request: AuthedHttpRequest, pk: int, draft_id: int) -> HttpResponse:
    piece = _piece(request, pk)
    draft = TextDraft.objects.filter(piece=piece, pk=draft_id).first()
    if draft is None:
        raise Http404
    try:
        actions.dismiss_draft(request.user, draft)
    except DomainError as exc:
        flash_error(request, exc)
    return redirect("content:piece_detail", piece.pk)


@login_required
def piece_design(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Activities 9–11: upload the design files with alt text and captions."""
    user = request.user
    piece = _piece(request, pk, "latest_asset_set")
    if not has_perm(user, Perm.PIECE_DESIGN):
        raise PermissionDenied
    asset_set = piece.latest_asset_set
    editable = piece.state in DESIGN_EDITABLE
    form = AssetForm(prefix="new")
    if request.method == "POST" and editable:
        try:
            if "upload" in request.POST:
                form = AssetForm(request.POST, request.FILES, prefix="new")
                if form.is_valid():
                    upload = form.cleaned_data["file"]
                    captions = form.cleaned_data.get("captions_file")
                    actions.add_asset(
                        user,
                        piece,
                        upload,
                        original_name=upload.name,
                        alt_text=form.cleaned_data["alt_text"],
                        decorative=form.cleaned_data["decorative"],
                        captions_mode=form.cleaned_data["captions_mode"] or "",
                        captions_upload=captions,
                        captions_name=captions.name if captions else "",
                        captions_reviewed=form.cleaned_data["captions_reviewed"],
                    )
                    messages.success(request, _("Archivo agregado al diseño."))
                    return redirect("content:piece_design", piece.pk)
            elif "save_asset" in request.POST or "remove_asset" in request.POST:
                asset = get_for_org(
                    Asset.objects.filter(asset_set__piece=piece),
                    request,
                    pk=request.POST.get("asset"),
                )
                if "remove_asset" in request.POST:
                    actions.remove_asset(user, asset)
                    messages.success(
                        request, _("Archivo retirado del borrador del diseño.")
                    )
                    return redirect("content:piece_design", piece.pk)
                edit = AssetEditForm(request.POST, request.FILES, prefix=f"a{asset.pk}")
                if edit.is_valid():
                    captions = edit.cleaned_data.get("captions_file")
                    actions.update_asset(
                        user,
                        asset,
                        alt_text=edit.cleaned_data["alt_text"],
                        decorative=edit.cleaned_data["decorative"],
                        captions_mode=edit.cleaned_data["captions_mode"] or "",
                        captions_upload=captions,
                        captions_name=captions.name if captions else "",
                        captions_reviewed=edit.cleaned_data["captions_reviewed"],
                    )
                    messages.success(
                        request, _("Accesibilidad del archivo actualizada.")
                    )
                    return redirect("content:piece_design", piece.pk)
            elif "submit_design" in request.POST:
                actions.submit_design(
                    user, piece, comment=request.POST.get("comment", "")
                )
                messages.success(
                    request, _("Diseño enviado a revisión (punto de control 2).")
                )
                return redirect("content:piece_detail", piece.pk)
        except DomainError as exc:
            if "upload" in request.POST:
                apply_domain_error(form, exc)
            else:
                flash_error(request, exc)
    assets = list(asset_set.assets.all()) if asset_set else []
    edit_forms = [
        (
            a,
            AssetEditForm(
                prefix=f"a{a.pk}",
                initial={
                    "alt_text": a.alt_text,
                    "decorative": a.decorative,
                    "captions_mode": a.captions_mode,
                    "captions_reviewed": a.captions_reviewed,
                },
            ),
        )
        for a in assets
    ]
    return render(
        request,
        "content/piece_design.html",
        {
            "piece": piece,
            "asset_set": asset_set,
            "editable": editable
            and not (
                asset_set and asset_set.is_frozen and piece.state not in DESIGN_EDITABLE
            ),
            "form": form,
            "edit_forms": edit_forms,
            "problems": [a for a in assets if a.accessibility_problem],
            "nav": "pieces",
        },
    )


def _versions_pair(
    piece: Piece, request: HttpRequest
) -> tuple[TextVersion | None, TextVersion | None]:
    versions = {
        v.number: v for v in piece.text_versions.prefetch_related("variants__channel")
    }
    newest = max(versions) if versions else None
    b_num = request.GET.get("b", "")
    a_num = request.GET.get("a", "")
    b = (
        versions.get(int(b_num))
        if b_num.isdigit()
        else (versions.get(newest) if newest else None)
    )
    if a_num.isdigit():
        a = versions.get(int(a_num))
    else:
        # By default compare with the last version that was reviewed, else the previous one.
        reviewed = (
            piece.reviews.filter(control_point=1)
            .exclude(text_version=b)
            .order_by("-created_at")
            .first()
        )
        a = (
            reviewed.text_version
            if reviewed
            else (versions.get(b.number - 1) if b else None)
        )
    return a, b


def _review_piece(request: AuthedHttpRequest, pk: int) -> Piece:
    return _piece(
        request,
        pk,
        "latest_text_version__author",
        "latest_asset_set__created_by",
        "need",
        "writer",
        "designer",
    )


def _review_form(
    piece: Piece,
    control_point: int,
    assets: list[Asset],
    data: Any = None,
) -> ReviewForm:
    return ReviewForm(
        data,
        control_point=control_point,
        checker_questions=checking.checker_questions(control_point, assets),
        initial={
            "lock_version": piece.lock_version,
            "reviewed_number": (
                piece.latest_asset_set.number
                if control_point == 2 and piece.latest_asset_set
                else piece.latest_text_version.number
                if piece.latest_text_version
                else 0
            ),
        },
    )


def _render_review(
    request: AuthedHttpRequest,
    piece: Piece,
    *,
    control_point: int,
    assets: list[Asset],
    form: ReviewForm | None = None,
) -> HttpResponse:
    a, b = _versions_pair(piece, request)
    if a is None:
        segments = [("equal", b.body)] if b else []
    else:
        segments = word_diff(a.body, b.body if b else "")
    buttons = [t for t in _buttons(request, piece) if t.control_point]
    if form is None:
        form = _review_form(piece, control_point, assets)
    # The findings of what the decision is about: the latest text version and,
    # at control point 2, the latest asset set (not the versions compared above).
    checks = None
    current = piece.latest_text_version
    if current is not None and b is not None and b.pk == current.pk:
        current = b  # the same version, with its variants already loaded
    if current is not None:
        channels = list(piece.channels.all())
        report = checking.check_version(
            piece,
            current,
            piece.latest_asset_set if control_point == 2 else None,
            channels=channels,
            assets=assets if control_point == 2 else [],
        )
        checks = checking.panel(report, editable=False)
    return render(
        request,
        "content/piece_review.html",
        {
            "piece": piece,
            "a": a,
            "b": b,
            "segments": segments,
            "changed": has_changes(segments),
            "versions": piece.text_versions.order_by("number"),
            "variants": b.variants.all() if b else [],
            "sources": b.sources.all() if b else [],
            "assets": assets,
            "asset_set": piece.latest_asset_set,
            "buttons": buttons,
            "form": form,
            "control_point": control_point,
            "checks": checks,
            "checked_version": current,
            "override_min": checking.OVERRIDE_MIN_CHARS,
            "in_review": piece.state
            in (PieceState.TEXT_REVIEW, PieceState.DESIGN_REVIEW),
            "is_author": is_author_of_reviewed(request.user, piece),
            "reviews": piece.reviews.select_related(
                "reviewer", "text_version", "asset_set"
            )[:10],
            "nav": "pieces",
        },
    )


@login_required
def piece_review(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The review page at control points 1 and 2: the exact version, its diff,
    the checker's findings and the checklist."""
    piece = _review_piece(request, pk)
    control_point = 2 if piece.state == PieceState.DESIGN_REVIEW else 1
    return _render_review(
        request,
        piece,
        control_point=control_point,
        assets=_latest_assets(piece),
    )


@login_required
@require_POST
def piece_decide(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    piece = _review_piece(request, pk)
    action = request.POST.get("action", "")
    control_point = (
        2 if action in (PieceAction.APPROVE_DESIGN, PieceAction.RETURN_DESIGN) else 1
    )
    assets = _latest_assets(piece)
    form = _review_form(piece, control_point, assets, request.POST)
    if not form.is_valid():
        messages.error(request, _("La solicitud no es válida; recargue la página."))
        return redirect("content:piece_review", pk)
    data = form.cleaned_data
    options: dict[str, Any] = {
        "checklist": form.checklist(),
        "checker_checklist": form.checker_checklist(),
        "override_justification": data["override_justification"],
        "comment": data["comment"],
        "lock_version": data["lock_version"],
    }
    try:
        if control_point == 1:
            actions.decide_text(
                request.user,
                piece,
                action,
                version_number=data["reviewed_number"],
                **options,
            )
        else:
            actions.decide_design(
                request.user,
                piece,
                action,
                asset_set_number=data["reviewed_number"],
                **options,
            )
    except ConflictError as exc:
        # Someone acted first or a newer version arrived: show the piece as it is
        # now, keeping what the reviewer ticked and wrote (the next click decides
        # on what the page shows).
        piece = _review_piece(request, pk)
        control_point = 2 if piece.state == PieceState.DESIGN_REVIEW else 1
        assets = _latest_assets(piece)
        fresh = _review_form(piece, control_point, assets)
        bound = request.POST.copy()
        bound["lock_version"] = str(fresh["lock_version"].initial)
        bound["reviewed_number"] = str(fresh["reviewed_number"].initial)
        form = _review_form(piece, control_point, assets, bound)
        form.is_valid()
        form.add_error(None, exc.message)
        return _render_review(
            request, piece, control_point=control_point, assets=assets, form=form
        )
    except DomainError as exc:
        # Keep what the reviewer ticked and wrote; say what is missing, in full
        # (the field errors are short; the message lists the checker's errors).
        apply_domain_error(form, exc)
        if exc.message not in form.non_field_errors():
            form.add_error(None, exc.message)
        return _render_review(
            request, piece, control_point=control_point, assets=assets, form=form
        )
    messages.success(
        request,
        _("Decisión registrada: %(action)s.") % {"action": PieceAction(action).label},
    )
    return redirect("content:piece_detail", pk)


@login_required
@require_POST
def piece_transition(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Submit, reopen or cancel (the review decisions go through piece_decide)."""
    piece = _piece(request, pk)
    form = TransitionForm(request.POST)
    action = request.POST.get("action", "")
    if not form.is_valid():
        messages.error(request, _("La solicitud no es válida; recargue la página."))
        return redirect("content:piece_detail", pk)
    comment = form.cleaned_data["comment"]
    lock = form.cleaned_data["lock_version"]
    user = request.user
    try:
        if action == PieceAction.SUBMIT_TEXT:
            actions.submit_text(user, piece, lock_version=lock, comment=comment)
        elif action == PieceAction.SUBMIT_DESIGN:
            actions.submit_design(user, piece, lock_version=lock, comment=comment)
        elif action in (PieceAction.REOPEN_TEXT, PieceAction.REOPEN_DESIGN):
            actions.reopen(user, piece, action, reason=comment)
        elif action == PieceAction.CANCEL:
            actions.cancel_piece(user, piece, reason=comment, lock_version=lock)
        else:
            raise Http404
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(
            request, _("Hecho: %(action)s.") % {"action": PieceAction(action).label}
        )
    return redirect("content:piece_detail", pk)


@login_required
def asset_preview(request: AuthedHttpRequest, pk: int, asset_id: int) -> FileResponse:
    """An image shown inside the review page (other kinds are only downloaded)."""
    piece = _piece(request, pk)
    asset = get_for_org(
        Asset.objects.filter(asset_set__piece=piece, kind="image"), request, pk=asset_id
    )
    response = FileResponse(asset.file.open("rb"), content_type=asset.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def asset_download(request: AuthedHttpRequest, pk: int, asset_id: int) -> FileResponse:
    piece = _piece(request, pk)
    asset = get_for_org(
        Asset.objects.filter(asset_set__piece=piece), request, pk=asset_id
    )
    if request.GET.get("subtitulos") and asset.captions_file:
        return download(
            asset,
            field="captions_file",
            filename=f"{asset.original_name.rsplit('.', 1)[0]}.vtt",
            content_type="text/plain",
        )
    return download(asset)


@login_required
def evidence_package(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The ZIP with every record of the piece, for Control Interno and archives."""
    from pregonero.audit.evidence import build_package

    if not has_perm(request.user, Perm.EVIDENCE_EXPORT):
        raise PermissionDenied
    piece = _piece(request, pk)
    data = build_package(request.user, piece)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="evidencia-{piece.number}.zip"'
    )
    return response
