"""Every write on a piece: versions, assets, reviews, the visto bueno, cancellation.

Each action checks permission and state, writes with a compare-and-swap on the
piece, records the audit event in the same transaction and defers e-mails to
after the commit. Views, the API and tasks only parse input and call these.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pregonero.accounts.models import User
from pregonero.accounts.notify import notify
from pregonero.accounts.permissions import (
    Perm,
    acting_as_delegate,
    active_delegates,
    approvers,
    has_perm,
    require,
    users_with_role,
)
from pregonero.audit.actions import record
from pregonero.core.errors import (
    ConflictError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.core.models import (
    Audience,
    Campaign,
    Channel,
    Dependency,
    Organization,
    Program,
    model_snapshot,
    next_number,
)
from pregonero.lib.uploads import check_upload

from .checking import OVERRIDE_MIN_CHARS, check_version, clean_checker_answers
from .models import (
    CHECKLISTS,
    Asset,
    AssetSet,
    CaptionsMode,
    ChannelVariant,
    Piece,
    PieceFormat,
    Review,
    ReviewDecision,
    TextDraft,
    TextVersion,
    VersionSource,
    canonical_hash,
    compute_seal,
)
from .permissions import asset_set_authors
from .workflow import (
    DESIGN_EDITABLE,
    TEXT_EDITABLE,
    PieceAction,
    PieceState,
    Transition,
    transition_for,
)

ASSET_KINDS = {"image", "video", "audio", "document"}


def piece_url(piece: Piece) -> str:
    return reverse("content:piece_detail", args=[piece.pk])


def _same_org(user: User, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and getattr(
            obj, "organization_id", user.organization_id
        ) != (user.organization_id):
            raise ValidationFailed(_("Uno de los datos pertenece a otra entidad."))


# ---------------------------------------------------------------- creation


@dataclass
class PieceData:
    title: str
    format: str = PieceFormat.IMAGE
    brief: str = ""
    need: Any = None
    dependency: Dependency | None = None
    program: Program | None = None
    campaign: Campaign | None = None
    audiences: list[Audience] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    writer: User | None = None
    designer: User | None = None
    urgent: bool = False
    desired_date: datetime.date | None = None
    planned_date: datetime.date | None = None


def _validate_piece_data(user: User, data: PieceData) -> None:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Escriba el título de la pieza.")]
    if data.format not in PieceFormat.values:
        errors["format"] = [_("Elija un formato válido.")]
    for name in ("writer", "designer"):
        person = getattr(data, name)
        if person is not None and (
            person.organization_id != user.organization_id
            or not (
                has_perm(person, Perm.PIECE_WRITE)
                if name == "writer"
                else has_perm(person, Perm.PIECE_DESIGN)
            )
        ):
            errors[name] = [_("Esa persona no puede asumir este papel en la pieza.")]
    if errors:
        raise ValidationFailed(_("Revise los datos de la pieza."), errors=errors)
    _same_org(
        user,
        data.need,
        data.dependency,
        data.program,
        data.campaign,
        *data.audiences,
        *data.channels,
    )


@transaction.atomic
def create_piece(user: User, data: PieceData, *, body: str = "") -> Piece:
    """Create a piece (activity 5), optionally with its first text version."""
    require(user, Perm.PIECE_CREATE)
    _validate_piece_data(user, data)
    organization = Organization.objects.get(pk=user.organization_id)
    piece = Piece.objects.create(
        organization=organization,
        number=next_number(organization, "PZ"),
        title=data.title.strip(),
        brief=data.brief,
        format=data.format,
        need=data.need,
        dependency=data.dependency or (data.need.dependency if data.need else None),
        program=data.program,
        campaign=data.campaign,
        writer=data.writer,
        designer=data.designer,
        created_by=user,
        urgent=data.urgent,
        desired_date=data.desired_date,
        planned_date=data.planned_date,
        state_changed_at=timezone.now(),
    )
    piece.audiences.set(data.audiences)
    piece.channels.set(data.channels)
    record(
        user,
        "content.piece.created",
        piece,
        {
            "title": piece.title,
            "format": piece.format,
            "need": data.need.number if data.need else None,
            "writer": str(data.writer) if data.writer else None,
            "designer": str(data.designer) if data.designer else None,
        },
    )
    if body.strip():
        _create_text_version(user, piece, body=body, variants={}, sources=[], note="")
    _notify_assignment(user, piece, data.writer, data.designer)
    return piece


def _notify_assignment(user: User, piece: Piece, writer: Any, designer: Any) -> None:
    if writer is not None:
        notify(
            [writer],
            kind="piece.assigned",
            exclude=user,
            subject=_("Le asignaron la redacción de %(number)s")
            % {"number": piece.number},
            body=_("Usted es redactor(a) de la pieza «%(title)s».")
            % {"title": piece.title},
            link=piece_url(piece),
        )
    if designer is not None:
        notify(
            [designer],
            kind="piece.assigned",
            exclude=user,
            subject=_("Le asignaron el diseño de %(number)s")
            % {"number": piece.number},
            body=_("Usted es diseñador(a) de la pieza «%(title)s».")
            % {"title": piece.title},
            link=piece_url(piece),
        )


_AUDITED_PIECE_FIELDS = [
    "title", "format", "writer_id", "designer_id", "desired_date", "planned_date", "urgent",
]  # fmt: skip
_AUDITED_ASSET_FIELDS = ["alt_text", "decorative", "captions_mode"]


@transaction.atomic
def update_piece(
    user: User, piece: Piece, data: PieceData, *, lock_version: int
) -> Piece:
    """Change a piece's details (not its text); refused when someone changed it first."""
    require(user, Perm.PIECE_CREATE)
    if piece.state == PieceState.CANCELLED:
        raise TransitionNotAllowed(
            _("La pieza está cancelada: ya no se puede modificar.")
        )
    _validate_piece_data(user, data)
    before = model_snapshot(piece, _AUDITED_PIECE_FIELDS)
    updated = Piece.objects.filter(pk=piece.pk, lock_version=lock_version).update(
        title=data.title.strip(),
        brief=data.brief,
        format=data.format,
        dependency=data.dependency,
        program=data.program,
        campaign=data.campaign,
        writer=data.writer,
        designer=data.designer,
        urgent=data.urgent,
        desired_date=data.desired_date,
        planned_date=data.planned_date,
        lock_version=F("lock_version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ConflictError(
            _(
                "Otra persona modificó la pieza mientras usted la editaba. "
                "Sus cambios no se guardaron: revise los datos actuales y vuelva a intentarlo."
            )
        )
    piece.refresh_from_db()
    piece.audiences.set(data.audiences)
    piece.channels.set(data.channels)
    after = model_snapshot(piece, _AUDITED_PIECE_FIELDS)
    record(user, "content.piece.updated", piece, {"before": before, "after": after})
    new_writer = before["writer_id"] != after["writer_id"]
    new_designer = before["designer_id"] != after["designer_id"]
    if new_writer or new_designer:
        _notify_assignment(
            user,
            piece,
            piece.writer if new_writer else None,
            piece.designer if new_designer else None,
        )
    return piece


# ---------------------------------------------------------------- text versions


def _clean_text_input(
    piece: Piece,
    body: str,
    variants: dict[int, tuple[str, str]],
    sources: list[tuple[str, str]],
) -> tuple[str, dict[int, tuple[str, str]], list[tuple[str, str]]]:
    errors: dict[str, list[str]] = {}
    body = body.replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = [_("El texto no puede quedar vacío.")]
    allowed_channels = set(
        Channel.objects.for_org(piece.organization_id).values_list("pk", flat=True)
    )
    clean_variants: dict[int, tuple[str, str]] = {}
    for channel_id, (title, text) in variants.items():
        if channel_id not in allowed_channels:
            errors.setdefault("variants", []).append(_("Canal desconocido."))
            continue
        text = text.replace("\r\n", "\n").strip()
        if text or title.strip():
            clean_variants[channel_id] = (title.strip()[:200], text or body)
    clean_sources = [
        (d.strip()[:300], u.strip()[:500]) for d, u in sources if d.strip() or u.strip()
    ]
    for description, url in clean_sources:
        if not description:
            errors.setdefault("sources", []).append(
                _(
                    "Cada fuente necesita una descripción (por ejemplo, la dependencia o el documento)."
                )
            )
        if url and not url.startswith(("http://", "https://")):
            errors.setdefault("sources", []).append(
                _("El enlace «%(url)s» debe empezar por http:// o https://.")
                % {"url": url}
            )
    if errors:
        raise ValidationFailed(_("Revise el texto de la pieza."), errors=errors)
    return body, clean_variants, clean_sources


def _create_text_version(
    user: User,
    piece: Piece,
    *,
    body: str,
    variants: dict[int, tuple[str, str]],
    sources: list[tuple[str, str]],
    note: str,
    expected_latest_id: int | None = None,
    check_expected: bool = False,
) -> TextVersion | None:
    """Insert a new version and move the piece's pointer to it (compare-and-swap).

    Returns None when the piece's latest version is no longer ``expected_latest_id``.
    """
    latest = piece.latest_text_version
    number = (latest.number if latest else 0) + 1
    canonical = {
        "number": number,
        "body": body,
        "variants": [
            {"channel": cid, "title": title, "body": text}
            for cid, (title, text) in sorted(variants.items())
        ],
        "sources": [{"description": d, "url": u} for d, u in sources],
    }
    pointer = Piece.objects.filter(pk=piece.pk)
    if check_expected:
        pointer = pointer.filter(latest_text_version_id=expected_latest_id)
    # Claim the pointer first: a concurrent save blocks here, then finds it moved.
    if not pointer.update(
        lock_version=F("lock_version") + 1, updated_at=timezone.now()
    ):
        return None
    version = TextVersion.objects.create(
        piece=piece,
        number=number,
        body=body,
        note=note[:300],
        author=user,
        content_hash=canonical_hash(canonical),
    )
    ChannelVariant.objects.bulk_create(
        ChannelVariant(version=version, channel_id=cid, title=title, body=text)
        for cid, (title, text) in variants.items()
    )
    VersionSource.objects.bulk_create(
        VersionSource(version=version, description=d, url=u) for d, u in sources
    )
    Piece.objects.filter(pk=piece.pk).update(latest_text_version=version)
    piece.refresh_from_db()
    record(
        user,
        "content.version.created",
        piece,
        {
            "version": number,
            "hash": version.content_hash,
            "note": note[:300],
            "variants": len(variants),
            "sources": len(sources),
        },
    )
    return version


def save_text_version(
    user: User,
    piece: Piece,
    *,
    base_version: int | None,
    body: str,
    variants: dict[int, tuple[str, str]] | None = None,
    sources: list[tuple[str, str]] | None = None,
    note: str = "",
) -> TextVersion:
    """Save the writer's text as a new immutable version (activities 5 and 8).

    ``base_version`` is the version number the writer started from. If someone
    saved a newer version meanwhile, nothing is overwritten: the text is kept as
    a conflict draft and ConflictError is raised (HTTP 409).

    On a piece past control point 1 (in design, or with its visto bueno), a new
    text version reopens it: the seal is voided and the text goes back to review.
    """
    require(user, Perm.PIECE_WRITE)
    variants = variants or {}
    sources = sources or []
    body, variants, sources = _clean_text_input(piece, body, variants, sources)
    draft: TextDraft | None = None
    with transaction.atomic():
        piece = Piece.objects.select_related("latest_text_version").get(pk=piece.pk)
        if piece.state == PieceState.CANCELLED:
            raise TransitionNotAllowed(
                _("La pieza está cancelada: ya no se puede modificar.")
            )
        if piece.state in (PieceState.TEXT_REVIEW, PieceState.DESIGN_REVIEW):
            raise TransitionNotAllowed(
                _(
                    "La pieza está en revisión: espere la decisión antes de cambiar el texto."
                )
            )
        latest = piece.latest_text_version
        current_number = latest.number if latest else None
        version = None
        if base_version == current_number:
            if piece.state not in TEXT_EDITABLE:
                _reopen(
                    user,
                    piece,
                    PieceAction.REOPEN_TEXT,
                    note or _("Nueva versión del texto"),
                )
                piece.refresh_from_db()
            version = _create_text_version(
                user,
                piece,
                body=body,
                variants=variants,
                sources=sources,
                note=note,
                expected_latest_id=latest.pk if latest else None,
                check_expected=True,
            )
        if version is None:
            draft = TextDraft.objects.create(
                organization_id=piece.organization_id,
                piece=piece,
                author=user,
                based_on=base_version,
                body=body,
                payload={
                    "variants": {str(k): list(v) for k, v in variants.items()},
                    "sources": [list(s) for s in sources],
                    "note": note,
                },
            )
            record(
                user,
                "content.version.conflict_saved",
                piece,
                {
                    "based_on": base_version,
                    "current": current_number,
                    "draft": draft.pk,
                },
            )
    if draft is not None:
        raise ConflictError(
            _(
                "Otra persona guardó la versión %(current)s mientras usted editaba la "
                "versión %(base)s. Su texto no se perdió: quedó como borrador por "
                "conflicto; compárelo con la versión actual y guárdelo de nuevo."
            )
            % {"current": current_number, "base": base_version or 0},
            extra={"draft_id": draft.pk, "current_version": current_number},
        )
    assert version is not None
    return version


@transaction.atomic
def dismiss_draft(user: User, draft: TextDraft) -> None:
    if draft.author_id != user.pk:
        raise PermissionDeniedError(
            _("Solo quien escribió el borrador puede descartarlo.")
        )
    TextDraft.objects.filter(pk=draft.pk).update(dismissed_at=timezone.now())
    record(user, "content.version.draft_dismissed", draft.piece, {"draft": draft.pk})


# ---------------------------------------------------------------- transitions


def _load(piece: Piece) -> Piece:
    return Piece.objects.select_related(
        "latest_text_version", "latest_asset_set", "writer", "designer", "need"
    ).get(pk=piece.pk)


def _check_transition(
    user: User, piece: Piece, action: str, comment: str, lock_version: int | None
) -> Transition:
    transition = transition_for(piece.state, action)
    if transition is None:
        raise TransitionNotAllowed(
            _(
                "La pieza está en «%(state)s»: la acción «%(action)s» no es posible ahora."
            )
            % {
                "state": PieceState(piece.state).label,
                "action": PieceAction(action).label
                if action in PieceAction.values
                else action,
            }
        )
    require(user, Perm(transition.permission))
    if lock_version is not None and lock_version != piece.lock_version:
        raise ConflictError(
            _(
                "La pieza cambió desde que usted abrió la página (otra persona actuó primero). "
                "Recargue para ver su estado actual."
            )
        )
    if transition.needs_comment and not comment.strip():
        raise ValidationFailed(
            _("Escriba el motivo: es obligatorio para esta acción."),
            errors={"comment": [_("Este campo es obligatorio.")]},
        )
    return transition


def _move(piece: Piece, transition: Transition, **updates: Any) -> None:
    """Compare-and-swap the state; ConflictError if someone acted first."""
    updated = Piece.objects.filter(
        pk=piece.pk, state=piece.state, lock_version=piece.lock_version
    ).update(
        state=transition.target,
        lock_version=F("lock_version") + 1,
        state_changed_at=timezone.now(),
        escalated_at=None,
        updated_at=timezone.now(),
        **updates,
    )
    if updated != 1:
        raise ConflictError(
            _(
                "Otra persona decidió sobre esta pieza al mismo tiempo y su decisión se "
                "registró primero. Recargue la página para ver el resultado."
            )
        )
    piece.refresh_from_db()


@transaction.atomic
def submit_text(
    user: User, piece: Piece, *, lock_version: int | None = None, comment: str = ""
) -> Piece:
    """Send the latest text version to control point 1 (activity 6)."""
    piece = _load(piece)
    transition = _check_transition(
        user, piece, PieceAction.SUBMIT_TEXT, comment, lock_version
    )
    version = piece.latest_text_version
    if version is None:
        raise ValidationFailed(
            _("Escriba y guarde el texto antes de enviarlo a revisión."),
            errors={"body": [_("No hay texto guardado.")]},
        )
    _check_network_rules(piece, version, None, text_only=True)
    _move(piece, transition)
    record(
        user,
        "content.text.submitted",
        piece,
        {"version": version.number, "comment": comment},
    )
    notify(
        approvers(piece.organization_id),
        kind="piece.submitted",
        exclude=user,
        subject=_("Texto para revisar: %(number)s") % {"number": piece.number},
        body=_(
            "%(user)s envió la versión %(version)s de «%(title)s» al punto de control 1 "
            "(oportunidad y veracidad)."
        )
        % {"user": user, "version": version.number, "title": piece.title},
        link=reverse("content:piece_review", args=[piece.pk]),
    )
    return piece


def _clean_checklist(
    control_point: int, checklist: dict[str, Any], approving: bool
) -> dict[str, bool]:
    keys = [key for key, _label in CHECKLISTS[control_point]]
    unknown = set(checklist) - set(keys)
    if unknown:
        raise ValidationFailed(
            _("La lista de chequeo tiene puntos desconocidos: %(keys)s.")
            % {"keys": ", ".join(sorted(unknown))},
            errors={"checklist": [_("Puntos desconocidos.")]},
        )
    answers = {key: bool(checklist.get(key)) for key in keys}
    if approving and not all(answers.values()):
        missing = [
            str(label) for key, label in CHECKLISTS[control_point] if not answers[key]
        ]
        raise ValidationFailed(
            _(
                "Para aprobar, confirme todos los puntos de la lista de chequeo. Falta: %(missing)s."
            )
            % {"missing": "; ".join(missing)},
            errors={"checklist": missing},
        )
    return answers


def _check_network_rules(
    piece: Piece,
    text_version: TextVersion,
    asset_set: AssetSet | None,
    *,
    text_only: bool,
) -> None:
    """Each channel's network rules (length measured the network's way, media,
    alt text), with messages that name the channel, the field and the limit."""
    from pregonero.publishing.validation import check_piece, errors_by_channel

    problems = errors_by_channel(
        check_piece(piece, text_version, asset_set, text_only=text_only)
    )
    if problems:
        details = " ".join(
            f"{channel}: {' '.join(messages)}" for channel, messages in problems.items()
        )
        raise ValidationFailed(
            _("El contenido no cumple las reglas de las redes. %(details)s")
            % {"details": details},
            code="network_rules",
            extra={"channels": problems},
        )


def _seal(
    user: User, piece: Piece, text_version: TextVersion, asset_set: AssetSet | None
) -> str:
    seal = compute_seal(text_version, asset_set)
    Piece.objects.filter(pk=piece.pk).update(
        approved_text_version=text_version,
        approved_asset_set=asset_set,
        seal_hash=seal,
        sealed_at=timezone.now(),
        sealed_by=user,
    )
    piece.refresh_from_db()
    record(
        user,
        "content.piece.sealed",
        piece,
        {
            "seal": seal,
            "text_version": text_version.number,
            "asset_set": asset_set.number if asset_set else None,
        },
    )
    return seal


def _decide(
    user: User,
    piece: Piece,
    action: str,
    *,
    reviewed_number: int | None,
    checklist: dict[str, Any],
    comment: str,
    lock_version: int | None,
    checker_checklist: dict[str, Any],
    override_justification: str,
) -> Review:
    piece = _load(piece)
    transition = _check_transition(user, piece, action, comment, lock_version)
    assert transition.control_point is not None
    text_version = piece.latest_text_version
    asset_set = piece.latest_asset_set if transition.control_point == 2 else None
    if text_version is None or (transition.control_point == 2 and asset_set is None):
        raise TransitionNotAllowed(_("No hay nada que revisar en esta pieza."))
    judged_number = asset_set.number if asset_set is not None else text_version.number
    if reviewed_number is not None and reviewed_number != judged_number:
        raise ConflictError(
            _(
                "Usted revisó la versión %(seen)s, pero la vigente es la %(current)s. "
                "Revise la versión vigente antes de decidir."
            )
            % {"seen": reviewed_number, "current": judged_number}
        )
    authors = {text_version.author_id}
    if asset_set is not None:
        authors = asset_set_authors(asset_set) | (
            authors if transition.seals else set()
        )
    if transition.author_excluded and user.pk in authors:
        raise PermissionDeniedError(
            _(
                "Usted es autor(a) de lo que se está revisando: no puede decidir sobre ello. "
                "La decisión corresponde al (a la) Jefe(a) o a su encargado(a)."
            )
        )
    approving = (
        action != PieceAction.RETURN_TEXT and action != PieceAction.RETURN_DESIGN
    )
    answers = _clean_checklist(transition.control_point, checklist, approving)
    if transition.seals:
        # Nothing gets the visto bueno that a network of the piece would refuse
        # (no justification changes that, so it is said first).
        _check_network_rules(piece, text_version, asset_set, text_only=False)
    assets = list(asset_set.assets.all()) if asset_set is not None else []
    checker_answers = clean_checker_answers(
        transition.control_point, assets, checker_checklist
    )
    report = check_version(piece, text_version, asset_set, assets=assets)
    justification = override_justification.strip()
    if not (approving and report.has_errors):
        justification = ""  # only an approval with errors needs (and keeps) a reason
    elif len(justification) < OVERRIDE_MIN_CHARS:
        errors = report.errors()
        raise ValidationFailed(
            ngettext(
                "La versión que revisa tiene %(count)s error de lenguaje o "
                "accesibilidad: %(list)s Para aprobarla así, escriba por qué en "
                "«Justificación para aprobar con errores» (al menos %(min)s "
                "caracteres); o devuélvala para ajustes.",
                "La versión que revisa tiene %(count)s errores de lenguaje o "
                "accesibilidad: %(list)s Para aprobarla así, escriba por qué en "
                "«Justificación para aprobar con errores» (al menos %(min)s "
                "caracteres); o devuélvala para ajustes.",
                len(errors),
            )
            % {
                "count": len(errors),
                "list": report.error_summary(),
                "min": OVERRIDE_MIN_CHARS,
            },
            code="checks_errors",
            errors={
                "override_justification": [
                    _("Escriba al menos %(min)s caracteres.")
                    % {"min": OVERRIDE_MIN_CHARS}
                ]
            },
            extra={
                "findings": [
                    item for item in report.evidence() if item["severity"] == "error"
                ]
            },
        )
    delegation = acting_as_delegate(user, Perm.PIECE_REVIEW)
    updates: dict[str, Any] = {}
    if action == PieceAction.APPROVE_TEXT_FINAL:
        updates["text_only"] = True
    elif action == PieceAction.APPROVE_TEXT:
        updates["text_only"] = False
    _move(piece, transition, **updates)
    decision = {
        PieceAction.APPROVE_TEXT: ReviewDecision.APPROVED,
        PieceAction.APPROVE_TEXT_FINAL: ReviewDecision.APPROVED_FINAL,
        PieceAction.APPROVE_DESIGN: ReviewDecision.APPROVED,
        PieceAction.RETURN_TEXT: ReviewDecision.RETURNED,
        PieceAction.RETURN_DESIGN: ReviewDecision.RETURNED,
    }[PieceAction(action)]
    review = Review.objects.create(
        organization_id=piece.organization_id,
        piece=piece,
        control_point=transition.control_point,
        text_version=text_version,
        asset_set=asset_set,
        decision=decision,
        comment=comment.strip(),
        checklist=answers,
        findings=report.evidence(),
        checker_checklist=checker_answers,
        override_justification=justification,
        reviewer=user,
        delegation=delegation,
    )
    audit_action = {
        PieceAction.APPROVE_TEXT: "content.text.approved",
        PieceAction.APPROVE_TEXT_FINAL: "content.text.approved_final",
        PieceAction.RETURN_TEXT: "content.text.returned",
        PieceAction.APPROVE_DESIGN: "content.design.approved",
        PieceAction.RETURN_DESIGN: "content.design.returned",
    }[PieceAction(action)]
    record(
        user,
        audit_action,
        piece,
        {
            "review": review.pk,
            "control_point": transition.control_point,
            "text_version": text_version.number,
            "asset_set": asset_set.number if asset_set else None,
            "checklist": answers,
            "comment": review.comment,
            "as_delegate_of": str(delegation.delegator) if delegation else None,
            "checker_checklist": checker_answers,
            "findings": review.findings,
            "finding_counts": report.counts(),
            "override_justification": justification,
        },
    )
    if transition.seals:
        seal = _seal(user, piece, text_version, asset_set)
        Review.objects.filter(pk=review.pk).update(seal_hash=seal)
        review.seal_hash = seal
    _notify_decision(user, piece, action, review)
    return review


def _notify_decision(user: User, piece: Piece, action: str, review: Review) -> None:
    link = piece_url(piece)
    values = {
        "number": piece.number,
        "title": piece.title,
        "user": user,
        "comment": review.comment,
    }
    if action == PieceAction.RETURN_TEXT:
        notify(
            [piece.writer, review.text_version.author],
            kind="piece.returned",
            exclude=user,
            subject=_("Texto devuelto con ajustes: %(number)s") % values,
            body=_(
                "%(user)s devolvió «%(title)s» en el punto de control 1:\n\n%(comment)s"
            )
            % values,
            link=link,
        )
    elif action == PieceAction.RETURN_DESIGN:
        assert review.asset_set is not None
        notify(
            [piece.designer, review.asset_set.created_by],
            kind="piece.returned",
            exclude=user,
            subject=_("Diseño devuelto con ajustes: %(number)s") % values,
            body=_(
                "%(user)s devolvió el diseño de «%(title)s» en el punto de control 2:\n\n"
                "%(comment)s"
            )
            % values,
            link=link,
        )
    elif action == PieceAction.APPROVE_TEXT:
        designers = (
            [piece.designer]
            if piece.designer
            else users_with_role(piece.organization_id, "profesional")
        )
        notify(
            [piece.writer],
            kind="piece.approved",
            exclude=user,
            subject=_("Texto aprobado: %(number)s pasa a diseño") % values,
            body=_("%(user)s aprobó el texto de «%(title)s».") % values,
            link=link,
        )
        notify(
            designers,
            kind="piece.design_assigned",
            exclude=user,
            subject=_("Pieza para diseñar: %(number)s") % values,
            body=_("El texto de «%(title)s» fue aprobado y la pieza pasó a diseño.")
            % values,
            link=link,
        )
    else:  # the visto bueno
        notify(
            [
                piece.writer,
                piece.designer,
                piece.created_by,
                *users_with_role(piece.organization_id, "profesional"),
            ],
            kind="piece.ready_to_publish",
            exclude=user,
            subject=_("Visto bueno: %(number)s lista para publicar") % values,
            body=_(
                "%(user)s dio el visto bueno a «%(title)s». Ya puede programarse en los "
                "canales."
            )
            % values,
            link=link,
        )


@transaction.atomic
def decide_text(
    user: User,
    piece: Piece,
    action: str,
    *,
    version_number: int | None = None,
    checklist: dict[str, Any] | None = None,
    comment: str = "",
    lock_version: int | None = None,
    checker_checklist: dict[str, Any] | None = None,
    override_justification: str = "",
) -> Review:
    """Control point 1 (activity 7): approve the text, approve it as final, or return it.

    Errors of the text checker block the approval unless ``override_justification``
    says why (at least ``OVERRIDE_MIN_CHARS`` characters); a return is never blocked.
    """
    if action not in (
        PieceAction.APPROVE_TEXT,
        PieceAction.APPROVE_TEXT_FINAL,
        PieceAction.RETURN_TEXT,
    ):
        raise ValidationFailed(_("Decisión desconocida para el punto de control 1."))
    return _decide(
        user,
        piece,
        action,
        reviewed_number=version_number,
        checklist=checklist or {},
        comment=comment,
        lock_version=lock_version,
        checker_checklist=checker_checklist or {},
        override_justification=override_justification,
    )


@transaction.atomic
def decide_design(
    user: User,
    piece: Piece,
    action: str,
    *,
    asset_set_number: int | None = None,
    checklist: dict[str, Any] | None = None,
    comment: str = "",
    lock_version: int | None = None,
    checker_checklist: dict[str, Any] | None = None,
    override_justification: str = "",
) -> Review:
    """Control point 2 (activity 12): approve the design (the visto bueno) or return it.

    The checker looks at the text version and the asset set being decided; its
    errors block the approval as at control point 1.
    """
    if action not in (PieceAction.APPROVE_DESIGN, PieceAction.RETURN_DESIGN):
        raise ValidationFailed(_("Decisión desconocida para el punto de control 2."))
    return _decide(
        user,
        piece,
        action,
        reviewed_number=asset_set_number,
        checklist=checklist or {},
        comment=comment,
        lock_version=lock_version,
        checker_checklist=checker_checklist or {},
        override_justification=override_justification,
    )


def _reopen(user: User, piece: Piece, action: str, reason: str) -> None:
    transition = _check_transition(user, piece, action, reason, None)
    was_sealed = bool(piece.seal_hash)
    old_seal = piece.seal_hash
    _move(
        piece,
        transition,
        seal_hash="",
        sealed_at=None,
        sealed_by=None,
        approved_text_version=None,
        approved_asset_set=None,
    )
    if was_sealed:
        record(
            user,
            "content.piece.seal_voided",
            piece,
            {"seal": old_seal, "reason": reason},
        )
    record(user, "content.piece.reopened", piece, {"action": action, "reason": reason})


@transaction.atomic
def reopen(user: User, piece: Piece, action: str, *, reason: str) -> Piece:
    """Reopen text or design after approval; voids the visto bueno until re-approved."""
    piece = _load(piece)
    if action not in (PieceAction.REOPEN_TEXT, PieceAction.REOPEN_DESIGN):
        raise ValidationFailed(_("Acción desconocida."))
    _reopen(user, piece, action, reason)
    return piece


@transaction.atomic
def cancel_piece(
    user: User, piece: Piece, *, reason: str, lock_version: int | None = None
) -> Piece:
    """Cancel a piece before its visto bueno; the reason is mandatory."""
    piece = _load(piece)
    transition = _check_transition(
        user, piece, PieceAction.CANCEL, reason, lock_version
    )
    _move(piece, transition, cancel_reason=reason.strip())
    record(user, "content.piece.cancelled", piece, {"reason": reason.strip()})
    notify(
        [piece.writer, piece.designer],
        kind="piece.cancelled",
        exclude=user,
        subject=_("Pieza cancelada: %(number)s") % {"number": piece.number},
        body=_("%(user)s canceló «%(title)s»: %(reason)s")
        % {"user": user, "title": piece.title, "reason": reason},
        link=piece_url(piece),
    )
    return piece


# ---------------------------------------------------------------- design


def _draft_asset_set(user: User, piece: Piece) -> AssetSet:
    """The open (unsubmitted) asset set, created on first use by copying the last one."""
    latest = piece.latest_asset_set
    if latest is not None and not latest.is_frozen:
        return latest
    asset_set = AssetSet.objects.create(
        piece=piece, number=(latest.number if latest else 0) + 1, created_by=user
    )
    if latest is not None:
        for asset in latest.assets.all():
            asset.pk = None
            asset._state.adding = True
            asset.asset_set = asset_set
            asset.save()
    Piece.objects.filter(pk=piece.pk).update(latest_asset_set=asset_set)
    piece.latest_asset_set = asset_set
    return asset_set


def _check_design_editable(user: User, piece: Piece) -> None:
    require(user, Perm.PIECE_DESIGN)
    if piece.state not in DESIGN_EDITABLE:
        raise TransitionNotAllowed(
            _(
                "El diseño solo se puede cambiar en «Diseño» o «Ajustes al diseño»; la pieza "
                "está en «%(state)s»."
            )
            % {"state": PieceState(piece.state).label}
        )


def _clean_asset_fields(
    kind: str, alt_text: str, decorative: bool, captions_mode: str
) -> tuple[str, bool, str]:
    alt_text = alt_text.strip()
    if captions_mode not in CaptionsMode.values:
        raise ValidationFailed(
            _("Elija una opción de subtítulos válida."),
            errors={"captions_mode": [_("Opción no válida.")]},
        )
    if kind != "image":
        decorative = False
    if kind != "video":
        captions_mode = ""
    if len(alt_text) > 1500:
        raise ValidationFailed(
            _("El texto alternativo es demasiado largo (máximo 1.500 caracteres)."),
            errors={"alt_text": [_("Máximo 1.500 caracteres.")]},
        )
    return alt_text, decorative, captions_mode


@transaction.atomic
def add_asset(
    user: User,
    piece: Piece,
    upload: Any,
    *,
    original_name: str,
    alt_text: str = "",
    decorative: bool = False,
    captions_mode: str = "",
    captions_upload: Any = None,
    captions_name: str = "",
    captions_reviewed: bool = False,
) -> Asset:
    """Add a design file (image, video, PDF, audio) to the draft design (activity 10)."""
    piece = _load(piece)
    _check_design_editable(user, piece)
    checked = check_upload(upload, original_name, ASSET_KINDS)
    alt_text, decorative, captions_mode = _clean_asset_fields(
        checked.kind, alt_text, decorative, captions_mode
    )
    asset_set = _draft_asset_set(user, piece)
    asset = Asset(
        organization_id=piece.organization_id,
        asset_set=asset_set,
        position=asset_set.assets.count(),
        alt_text=alt_text,
        decorative=decorative,
        captions_mode=captions_mode,
        captions_reviewed=captions_reviewed,
        uploaded_by=user,
    )
    asset.fill_from_upload(upload, checked, "assets")
    if captions_upload is not None and checked.kind == "video":
        _attach_captions(asset, captions_upload, captions_name)
    asset.save()
    record(
        user,
        "content.asset.added",
        piece,
        {
            "asset_set": asset_set.number,
            "file": asset.original_name,
            "sha256": asset.sha256,
            "kind": asset.kind,
            "alt_text": asset.alt_text,
            "decorative": asset.decorative,
        },
    )
    return asset


def _attach_captions(asset: Asset, upload: Any, name: str) -> None:
    from django.core.files import File

    from pregonero.lib.uploads import storage_path

    checked = check_upload(upload, name, {"captions"}, field="captions_file")
    path = storage_path(asset.organization_id, "captions", checked.extension)
    upload.seek(0)
    asset.captions_file.save(path, File(upload, name=path), save=False)
    asset.captions_sha256 = checked.sha256
    asset.captions_mode = CaptionsMode.SIDECAR


@transaction.atomic
def update_asset(
    user: User,
    asset: Asset,
    *,
    alt_text: str,
    decorative: bool,
    captions_mode: str = "",
    captions_upload: Any = None,
    captions_name: str = "",
    captions_reviewed: bool = False,
) -> Asset:
    """Change an asset's alt text or captions while its design is still a draft."""
    asset = Asset.objects.select_related("asset_set__piece").get(pk=asset.pk)
    piece = _load(asset.asset_set.piece)
    _check_design_editable(user, piece)
    if asset.asset_set.is_frozen:
        raise TransitionNotAllowed(
            _(
                "Ese diseño ya fue enviado a revisión y no cambia; agregue los archivos de nuevo."
            )
        )
    alt_text, decorative, captions_mode = _clean_asset_fields(
        asset.kind, alt_text, decorative, captions_mode or asset.captions_mode
    )
    before = model_snapshot(asset, _AUDITED_ASSET_FIELDS)
    asset.alt_text, asset.decorative, asset.captions_mode = (
        alt_text,
        decorative,
        captions_mode,
    )
    asset.captions_reviewed = captions_reviewed
    if captions_upload is not None and asset.kind == "video":
        _attach_captions(asset, captions_upload, captions_name)
    asset.save()
    record(
        user,
        "content.asset.updated",
        piece,
        {
            "asset": asset.pk,
            "file": asset.original_name,
            "before": before,
            "after": model_snapshot(asset, _AUDITED_ASSET_FIELDS),
        },
    )
    return asset


@transaction.atomic
def remove_asset(user: User, asset: Asset) -> None:
    """Take a file out of the draft design (the stored file itself is kept)."""
    asset = Asset.objects.select_related("asset_set__piece").get(pk=asset.pk)
    piece = _load(asset.asset_set.piece)
    _check_design_editable(user, piece)
    if asset.asset_set.is_frozen:
        raise TransitionNotAllowed(
            _("Ese diseño ya fue enviado a revisión y no cambia.")
        )
    record(
        user,
        "content.asset.removed",
        piece,
        {
            "asset_set": asset.asset_set.number,
            "file": asset.original_name,
            "sha256": asset.sha256,
        },
    )
    Asset.objects.filter(pk=asset.pk).delete()


def _reviewer_decides(asset: Asset) -> bool:
    """Whether what the file lacks is left to the reviewer at control point 2."""
    if asset.kind == "image":
        return not asset.decorative and not asset.alt_text.strip()
    return asset.kind == "video" and not asset.captions_mode


def _networks_want_alt_text(piece: Piece, asset_set: AssetSet) -> bool:
    """Whether a channel of the piece refuses an image without a description."""
    from pregonero.publishing.validation import check_piece

    version = piece.latest_text_version
    if version is None:
        return False
    return any(
        issue.field.endswith(".alt_text")
        for result in check_piece(piece, version, asset_set)
        for issue in result.errors
    )


@transaction.atomic
def submit_design(
    user: User, piece: Piece, *, lock_version: int | None = None, comment: str = ""
) -> Piece:
    """Send the draft design to control point 2 (activity 11); it is frozen from now on."""
    piece = _load(piece)
    transition = _check_transition(
        user, piece, PieceAction.SUBMIT_DESIGN, comment, lock_version
    )
    asset_set = piece.latest_asset_set
    if asset_set is None or asset_set.is_frozen or not asset_set.assets.exists():
        raise ValidationFailed(
            _("Cargue al menos un archivo de diseño antes de enviarlo a revisión."),
            errors={"file": [_("No hay archivos en el diseño.")]},
        )
    assets = list(asset_set.assets.all())
    # An image without alt text or a video without captions may go on to control
    # point 2, where the checker reports it as an error (ACC-01, ACC-02) that the
    # reviewer returns or justifies in writing — unless a network of the piece
    # refuses it anyway (every social network wants the images described): then,
    # like anything else missing, it stops here.
    pending = [a for a in assets if a.accessibility_problem and _reviewer_decides(a)]
    if any(a.kind == "image" for a in pending) and _networks_want_alt_text(
        piece, asset_set
    ):
        pending = [a for a in pending if a.kind != "image"]
    problems = [
        f"{a.original_name}: {a.accessibility_problem}"
        for a in assets
        if a.accessibility_problem and a not in pending
    ]
    if problems:
        raise ValidationFailed(
            _(
                "Complete la accesibilidad antes de enviar (Resolución 1519 de 2020): %(list)s"
            )
            % {"list": " ".join(problems)},
            errors={"assets": problems},
        )
    now = timezone.now()
    AssetSet.objects.filter(pk=asset_set.pk, submitted_at__isnull=True).update(
        submitted_at=now, submitted_by=user, note=comment[:300]
    )
    _move(piece, transition)
    record(
        user,
        "content.design.submitted",
        piece,
        {
            "asset_set": asset_set.number,
            "files": [{"name": a.original_name, "sha256": a.sha256} for a in assets],
            "accessibility_pending": [
                f"{a.original_name}: {a.accessibility_problem}" for a in pending
            ],
        },
    )
    notify(
        approvers(piece.organization_id),
        kind="piece.submitted",
        exclude=user,
        subject=_("Diseño para revisar: %(number)s") % {"number": piece.number},
        body=_(
            "%(user)s envió el diseño v%(version)s de «%(title)s» al punto de control 2."
        )
        % {"user": user, "version": asset_set.number, "title": piece.title},
        link=reverse("content:piece_review", args=[piece.pk]),
    )
    return piece


# ---------------------------------------------------------------- seal check


def seal_is_valid(piece: Piece) -> bool:
    """Whether the piece has its visto bueno and the sealed content is unchanged."""
    if piece.state != PieceState.APPROVED or not piece.seal_hash:
        return False
    if piece.approved_text_version_id is None:
        return False
    text_version = TextVersion.objects.get(pk=piece.approved_text_version_id)
    asset_set = (
        AssetSet.objects.get(pk=piece.approved_asset_set_id)
        if piece.approved_asset_set_id
        else None
    )
    return compute_seal(text_version, asset_set) == piece.seal_hash


# ---------------------------------------------------------------- escalation


def escalate_stale_urgent_reviews(now: datetime.datetime | None = None) -> int:
    """E-mail the delegate about urgent pieces waiting for review too long."""
    now = now or timezone.now()
    count = 0
    candidates = Piece.objects.filter(
        urgent=True,
        state__in=[PieceState.TEXT_REVIEW, PieceState.DESIGN_REVIEW],
        escalated_at__isnull=True,
    ).select_related("organization")
    for piece in candidates:
        limit = datetime.timedelta(hours=piece.organization.urgent_review_hours)
        if piece.state_changed_at is None or now - piece.state_changed_at < limit:
            continue
        with transaction.atomic():
            if not Piece.objects.filter(pk=piece.pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            delegates = active_delegates(piece.organization_id)
            recipients = delegates or approvers(piece.organization_id)
            record(
                None,
                "content.piece.escalated",
                piece,
                {
                    "hours": piece.organization.urgent_review_hours,
                    "recipients": [str(u) for u in recipients],
                },
                organization=piece.organization_id,
            )
            notify(
                recipients,
                kind="piece.escalated",
                subject=_("URGENTE sin revisar: %(number)s") % {"number": piece.number},
                body=_(
                    "La pieza urgente «%(title)s» lleva más de %(hours)s horas esperando "
                    "revisión. Como encargado(a) puede revisarla."
                )
                % {
                    "title": piece.title,
                    "hours": piece.organization.urgent_review_hours,
                },
                link=reverse("content:piece_review", args=[piece.pk]),
            )
            count += 1
    return count
