"""API for activities 5–13: pieces, versions, assets, control points, visto bueno, evidence."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, perms_for
from pregonero.audit.timeline import timeline_for
from pregonero.content import actions
from pregonero.content.diff import word_diff
from pregonero.content.models import (
    Asset,
    Piece,
    TextVersion,
    attach_publication_counts,
)
from pregonero.content.permissions import is_author_of_reviewed, visible_pieces
from pregonero.content.workflow import allowed_actions
from pregonero.core.models import Audience, Campaign, Channel, Dependency, Program
from pregonero.core.viewutils import download
from pregonero.intake.models import Need

from .base import ErrorOut, Page, in_org, many_in_org, paginate, require_perm, user_of

router = Router(tags=["Piezas y puntos de control (actividades 5 a 13)"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _piece(user: User, piece_id: int) -> Piece:
    piece = visible_pieces(user).filter(pk=piece_id).first()
    if piece is None:
        raise Http404
    return piece


class VariantOut(Schema):
    channel_id: int
    title: str
    body: str


class SourceOut(Schema):
    description: str
    url: str


class VersionOut(Schema):
    number: int
    body: str
    note: str
    author: str
    created_at: datetime.datetime
    content_hash: str
    variants: list[VariantOut]
    sources: list[SourceOut]


def version_out(v: TextVersion) -> dict[str, Any]:
    return {
        "number": v.number,
        "body": v.body,
        "note": v.note,
        "author": str(v.author),
        "created_at": v.created_at,
        "content_hash": v.content_hash,
        "variants": [
            {"channel_id": x.channel_id, "title": x.title, "body": x.body}
            for x in v.variants.all()
        ],
        "sources": [
            {"description": s.description, "url": s.url} for s in v.sources.all()
        ],
    }


class AssetOut(Schema):
    id: int
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    alt_text: str
    decorative: bool
    captions_mode: str
    captions_reviewed: bool
    accessibility_problem: str


def asset_out(a: Asset) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.original_name,
        "kind": a.kind,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "width": a.width,
        "height": a.height,
        "alt_text": a.alt_text,
        "decorative": a.decorative,
        "captions_mode": a.captions_mode,
        "captions_reviewed": a.captions_reviewed,
        "accessibility_problem": a.accessibility_problem,
    }


class DesignOut(Schema):
    number: int
    submitted: bool
    assets: list[AssetOut]


class PublicationBrief(Schema):
    id: int
    channel_id: int
    channel: str
    status: str
    scheduled_at: datetime.datetime | None
    published_at: datetime.datetime | None
    permalink: str


class PieceOut(Schema):
    id: int
    number: str
    title: str
    brief: str
    format: str
    state: str
    state_label: str
    need_id: int | None
    dependency_id: int | None
    program_id: int | None
    campaign_id: int | None
    audience_ids: list[int]
    channel_ids: list[int]
    writer_id: int | None
    designer_id: int | None
    urgent: bool
    text_only: bool
    desired_date: datetime.date | None
    planned_date: datetime.date | None
    lock_version: int
    latest_version: VersionOut | None
    design: DesignOut | None
    seal_hash: str
    sealed_at: datetime.datetime | None
    approved_version: int | None
    approved_design: int | None
    publications: list[PublicationBrief]
    allowed_actions: list[str]


def piece_out(piece: Piece, user: User) -> dict[str, Any]:
    piece = Piece.objects.select_related(
        "latest_text_version__author",
        "latest_asset_set",
        "approved_text_version",
        "approved_asset_set",
    ).get(pk=piece.pk)
    design = piece.latest_asset_set
    perms = {str(p) for p in perms_for(user)}
    return {
        "id": piece.pk,
        "number": piece.number,
        "title": piece.title,
        "brief": piece.brief,
        "format": piece.format,
        "state": piece.state,
        "state_label": piece.get_state_display(),
        "need_id": piece.need_id,
        "dependency_id": piece.dependency_id,
        "program_id": piece.program_id,
        "campaign_id": piece.campaign_id,
        "audience_ids": [a.pk for a in piece.audiences.all()],
        "channel_ids": [c.pk for c in piece.channels.all()],
        "writer_id": piece.writer_id,
        "designer_id": piece.designer_id,
        "urgent": piece.urgent,
        "text_only": piece.text_only,
        "desired_date": piece.desired_date,
        "planned_date": piece.planned_date,
        "lock_version": piece.lock_version,
        "latest_version": version_out(piece.latest_text_version)
        if piece.latest_text_version
        else None,
        "design": {
            "number": design.number,
            "submitted": design.is_frozen,
            "assets": [asset_out(a) for a in design.assets.all()],
        }
        if design
        else None,
        "seal_hash": piece.seal_hash,
        "sealed_at": piece.sealed_at,
        "approved_version": piece.approved_text_version.number
        if piece.approved_text_version
        else None,
        "approved_design": piece.approved_asset_set.number
        if piece.approved_asset_set
        else None,
        "publications": [
            {
                "id": p.pk,
                "channel_id": p.channel_id,
                "channel": p.channel.name,
                "status": p.status,
                "scheduled_at": p.scheduled_at,
                "published_at": p.published_at,
                "permalink": p.permalink,
            }
            for p in piece.publications.select_related("channel")
        ],
        "allowed_actions": [
            str(t.action)
            for t in allowed_actions(
                piece.state,
                perms,
                is_author_of_reviewed=is_author_of_reviewed(user, piece),
            )
        ],
    }


class PieceSummary(Schema):
    id: int
    number: str
    title: str
    format: str
    state: str
    urgent: bool
    desired_date: datetime.date | None
    planned_date: datetime.date | None
    writer: str | None
    designer: str | None
    publications_total: int
    publications_published: int
    publications_failed: int


class PiecePage(Page):
    items: list[PieceSummary]


@router.get("/pieces", response={200: PiecePage, **ERRORS}, summary="Listar piezas")
def list_pieces(
    request: HttpRequest,
    state: str = "",
    channel_id: int | None = None,
    dependency_id: int | None = None,
    campaign_id: int | None = None,
    audience_id: int | None = None,
    q: str = "",
    offset: int = 0,
    limit: int = 25,
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.PIECE_VIEW)
    pieces = (
        visible_pieces(user)
        .select_related("writer", "designer")
        .order_by("-created_at")
    )
    if state:
        pieces = pieces.filter(state=state)
    if channel_id:
        pieces = pieces.filter(channels=channel_id)
    if dependency_id:
        pieces = pieces.filter(dependency_id=dependency_id)
    if campaign_id:
        pieces = pieces.filter(campaign_id=campaign_id)
    if audience_id:
        pieces = pieces.filter(audiences=audience_id)
    if q:
        pieces = pieces.filter(title__icontains=q)
    count, rows = paginate(pieces, offset, limit)
    attach_publication_counts(rows)
    items = [
        {
            "id": p.pk,
            "number": p.number,
            "title": p.title,
            "format": p.format,
            "state": p.state,
            "urgent": p.urgent,
            "desired_date": p.desired_date,
            "planned_date": p.planned_date,
            "writer": str(p.writer) if p.writer else None,
            "designer": str(p.designer) if p.designer else None,
            "publications_total": p.pub_total,
            "publications_published": p.pub_published,
            "publications_failed": p.pub_failed,
        }
        for p in rows
    ]
    return {"count": count, "offset": offset, "limit": limit, "items": items}


class PieceIn(Schema):
    title: str
    format: Literal["text", "image", "carousel", "video", "document", "audio"] = "image"
    brief: str = ""
    need_id: int | None = None
    dependency_id: int | None = None
    program_id: int | None = None
    campaign_id: int | None = None
    audience_ids: list[int] = []
    channel_ids: list[int] = []
    writer_id: int | None = None
    designer_id: int | None = None
    urgent: bool = False
    desired_date: datetime.date | None = None
    planned_date: datetime.date | None = None
    lock_version: int | None = None


def _piece_data(user: User, payload: PieceIn) -> actions.PieceData:
    return actions.PieceData(
        title=payload.title,
        format=payload.format,
        brief=payload.brief,
        need=in_org(Need, user, payload.need_id, "need_id"),
        dependency=in_org(Dependency, user, payload.dependency_id, "dependency_id"),
        program=in_org(Program, user, payload.program_id, "program_id"),
        campaign=in_org(Campaign, user, payload.campaign_id, "campaign_id"),
        audiences=many_in_org(Audience, user, payload.audience_ids, "audience_ids"),
        channels=many_in_org(Channel, user, payload.channel_ids, "channel_ids"),
        writer=in_org(User, user, payload.writer_id, "writer_id"),
        designer=in_org(User, user, payload.designer_id, "designer_id"),
        urgent=payload.urgent,
        desired_date=payload.desired_date,
        planned_date=payload.planned_date,
    )


@router.post("/pieces", response={201: PieceOut, **ERRORS}, summary="Crear una pieza")
def create_piece(request: HttpRequest, payload: PieceIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    return Status(
        201, piece_out(actions.create_piece(user, _piece_data(user, payload)), user)
    )


@router.get(
    "/pieces/{piece_id}", response={200: PieceOut, **ERRORS}, summary="Ver una pieza"
)
def get_piece(request: HttpRequest, piece_id: int) -> dict[str, Any]:
    user = user_of(request)
    return piece_out(_piece(user, piece_id), user)


@router.put(
    "/pieces/{piece_id}",
    response={200: PieceOut, **ERRORS},
    summary="Modificar los datos de una pieza",
)
def update_piece(
    request: HttpRequest, piece_id: int, payload: PieceIn
) -> dict[str, Any]:
    user = user_of(request)
    piece = _piece(user, piece_id)
    lock = (
        payload.lock_version if payload.lock_version is not None else piece.lock_version
    )
    return piece_out(
        actions.update_piece(
            user, piece, _piece_data(user, payload), lock_version=lock
        ),
        user,
    )


@router.get(
    "/pieces/{piece_id}/versions",
    response={200: list[VersionOut], **ERRORS},
    summary="Versiones del texto",
)
def versions(request: HttpRequest, piece_id: int) -> list[dict[str, Any]]:
    piece = _piece(user_of(request), piece_id)
    return [
        version_out(v)
        for v in piece.text_versions.select_related("author")
        .prefetch_related("variants", "sources")
        .order_by("number")
    ]


class CheckedFindingOut(Schema):
    rule: str
    severity: Literal["info", "warning", "error"]
    start: int
    end: int
    message: str
    suggestion: str
    replacement: str | None
    source: str
    asset: int | None


class CheckedFieldOut(Schema):
    field: str
    label: str
    networks: list[str]
    readability: float | None
    readability_label: str
    words: int
    sentences: int
    findings: list[CheckedFindingOut]


class PieceChecksOut(Schema):
    text_version: int
    asset_set: int | None
    has_errors: bool
    counts: dict[str, int]
    fields: list[CheckedFieldOut]


@router.get(
    "/pieces/{piece_id}/checks",
    response={200: PieceChecksOut, **ERRORS},
    summary="Revisión del lenguaje y la accesibilidad de la versión vigente (la que se decide en el punto de control)",
)
def piece_checks(request: HttpRequest, piece_id: int) -> Any:
    from pregonero.content.checking import check_version
    from pregonero.content.workflow import PieceState
    from pregonero.core.errors import ValidationFailed

    piece = _piece(user_of(request), piece_id)
    version = piece.latest_text_version
    if version is None:
        raise ValidationFailed(_("La pieza todavía no tiene texto."))
    # Control point 2 (and what follows it) judges the design with the text.
    with_design = piece.state not in (
        PieceState.DRAFTING,
        PieceState.TEXT_REVIEW,
        PieceState.TEXT_CHANGES,
    )
    asset_set = piece.latest_asset_set if with_design else None
    report = check_version(piece, version, asset_set)
    return {
        "text_version": version.number,
        "asset_set": asset_set.number if asset_set is not None else None,
        "has_errors": report.has_errors,
        "counts": report.counts(),
        "fields": [
            {
                "field": group.key,
                "label": group.label,
                "networks": list(group.networks),
                "readability": group.stats.readability if group.stats else None,
                "readability_label": group.stats.readability_label
                if group.stats
                else "",
                "words": group.stats.words if group.stats else 0,
                "sentences": group.stats.sentences if group.stats else 0,
                "findings": [f.to_dict() for f in group.findings],
            }
            for group in report.groups
        ],
    }


class VariantIn(Schema):
    channel_id: int
    title: str = ""
    body: str = ""


class SourceIn(Schema):
    description: str
    url: str = ""


class VersionIn(Schema):
    base_version: int | None
    body: str
    variants: list[VariantIn] = []
    sources: list[SourceIn] = []
    note: str = ""


@router.post(
    "/pieces/{piece_id}/versions",
    response={201: VersionOut, **ERRORS},
    summary="Guardar una nueva versión del texto (409 si la base no es la vigente)",
)
def save_version(
    request: HttpRequest, piece_id: int, payload: VersionIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    version = actions.save_text_version(
        user,
        _piece(user, piece_id),
        base_version=payload.base_version,
        body=payload.body,
        variants={v.channel_id: (v.title, v.body) for v in payload.variants},
        sources=[(s.description, s.url) for s in payload.sources],
        note=payload.note,
    )
    return Status(201, version_out(version))


class DiffOut(Schema):
    a: int
    b: int
    segments: list[tuple[str, str]]


@router.get(
    "/pieces/{piece_id}/diff",
    response={200: DiffOut, **ERRORS},
    summary="Diferencias entre versiones",
)
def diff(request: HttpRequest, piece_id: int, a: int, b: int) -> dict[str, Any]:
    piece = _piece(user_of(request), piece_id)
    found = {v.number: v.body for v in piece.text_versions.filter(number__in=[a, b])}
    if a not in found or b not in found:
        raise Http404
    return {"a": a, "b": b, "segments": word_diff(found[a], found[b])}


class TransitionIn(Schema):
    comment: str = ""
    lock_version: int | None = None


@router.post(
    "/pieces/{piece_id}/submit-text",
    response={200: PieceOut, **ERRORS},
    summary="Enviar el texto al punto de control 1",
)
def submit_text(
    request: HttpRequest, piece_id: int, payload: TransitionIn
) -> dict[str, Any]:
    user = user_of(request)
    piece = actions.submit_text(
        user,
        _piece(user, piece_id),
        lock_version=payload.lock_version,
        comment=payload.comment,
    )
    return piece_out(piece, user)


@router.post(
    "/pieces/{piece_id}/submit-design",
    response={200: PieceOut, **ERRORS},
    summary="Enviar el diseño al punto de control 2",
)
def submit_design(
    request: HttpRequest, piece_id: int, payload: TransitionIn
) -> dict[str, Any]:
    user = user_of(request)
    piece = actions.submit_design(
        user,
        _piece(user, piece_id),
        lock_version=payload.lock_version,
        comment=payload.comment,
    )
    return piece_out(piece, user)


class ReviewIn(Schema):
    action: Literal[
        "approve_text",
        "approve_text_final",
        "return_text",
        "approve_design",
        "return_design",
    ]
    reviewed_number: int | None = None
    checklist: dict[str, bool] = {}
    comment: str = ""
    lock_version: int | None = None
    checker_checklist: dict[str, bool] = Field(
        default_factory=dict,
        description="Lo que la revisión automática no puede juzgar, por regla: "
        "LC-07 (lo importante primero; punto 1), ACC-04 (el texto de las imágenes "
        "también está en la publicación) y ACC-02 (subtítulos revisados; punto 2).",
    )
    override_justification: str = Field(
        "",
        max_length=4000,
        description="Obligatoria para aprobar una versión con errores de la revisión "
        "del lenguaje y la accesibilidad (al menos 20 caracteres); sin ella la "
        "aprobación responde 422 con la lista de errores. Devolver nunca la requiere.",
    )


class StoredFindingOut(Schema):
    field: str
    rule: str
    severity: Literal["info", "warning", "error"]
    start: int
    end: int
    excerpt: str
    message: str
    source: str
    asset: int | None


class ReviewResultOut(Schema):
    review_id: int
    control_point: int
    decision: str
    seal_hash: str
    override_justification: str
    checker_checklist: dict[str, bool]
    findings: list[StoredFindingOut]
    piece: PieceOut


@router.post(
    "/pieces/{piece_id}/reviews",
    response={201: ReviewResultOut, **ERRORS},
    summary="Decidir en un punto de control (aprobar, devolver, visto bueno)",
)
def review(
    request: HttpRequest, piece_id: int, payload: ReviewIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    piece = _piece(user, piece_id)
    if payload.action in ("approve_design", "return_design"):
        result = actions.decide_design(
            user,
            piece,
            payload.action,
            asset_set_number=payload.reviewed_number,
            checklist=payload.checklist,
            comment=payload.comment,
            lock_version=payload.lock_version,
            checker_checklist=payload.checker_checklist,
            override_justification=payload.override_justification,
        )
    else:
        result = actions.decide_text(
            user,
            piece,
            payload.action,
            version_number=payload.reviewed_number,
            checklist=payload.checklist,
            comment=payload.comment,
            lock_version=payload.lock_version,
            checker_checklist=payload.checker_checklist,
            override_justification=payload.override_justification,
        )
    return Status(
        201,
        {
            "review_id": result.pk,
            "control_point": result.control_point,
            "decision": result.decision,
            "seal_hash": result.seal_hash,
            "override_justification": result.override_justification,
            "checker_checklist": result.checker_checklist,
            "findings": result.findings,
            "piece": piece_out(piece, user),
        },
    )


class ReopenIn(Schema):
    action: Literal["reopen_text", "reopen_design"]
    reason: str


@router.post(
    "/pieces/{piece_id}/reopen",
    response={200: PieceOut, **ERRORS},
    summary="Reabrir texto o diseño (anula el visto bueno)",
)
def reopen(request: HttpRequest, piece_id: int, payload: ReopenIn) -> dict[str, Any]:
    user = user_of(request)
    return piece_out(
        actions.reopen(
            user, _piece(user, piece_id), payload.action, reason=payload.reason
        ),
        user,
    )


class CancelIn(Schema):
    reason: str
    lock_version: int | None = None


@router.post(
    "/pieces/{piece_id}/cancel",
    response={200: PieceOut, **ERRORS},
    summary="Cancelar la pieza",
)
def cancel(request: HttpRequest, piece_id: int, payload: CancelIn) -> dict[str, Any]:
    user = user_of(request)
    piece = actions.cancel_piece(
        user,
        _piece(user, piece_id),
        reason=payload.reason,
        lock_version=payload.lock_version,
    )
    return piece_out(piece, user)


@router.post(
    "/pieces/{piece_id}/assets",
    response={201: AssetOut, **ERRORS},
    summary="Subir un archivo de diseño (imagen, video, PDF, audio)",
)
def upload_asset(
    request: HttpRequest,
    piece_id: int,
    file: File[UploadedFile],
    alt_text: Form[str] = "",
    decorative: Form[bool] = False,
    captions_mode: Form[str] = "",
    captions_file: File[UploadedFile | None] = None,
    captions_reviewed: Form[bool] = False,
) -> Status[dict[str, Any]]:
    user = user_of(request)
    asset = actions.add_asset(
        user,
        _piece(user, piece_id),
        file,
        original_name=file.name or "archivo",
        alt_text=alt_text,
        decorative=decorative,
        captions_mode=captions_mode,
        captions_upload=captions_file,
        captions_name=captions_file.name or "subtitulos" if captions_file else "",
        captions_reviewed=captions_reviewed,
    )
    return Status(201, asset_out(asset))


class AssetPatch(Schema):
    alt_text: str
    decorative: bool = False
    captions_mode: str = ""
    captions_reviewed: bool = False


def _asset(user: User, piece_id: int, asset_id: int) -> Asset:
    asset = Asset.objects.filter(
        asset_set__piece=_piece(user, piece_id), pk=asset_id
    ).first()
    if asset is None:
        raise Http404
    return asset


@router.patch(
    "/pieces/{piece_id}/assets/{asset_id}",
    response={200: AssetOut, **ERRORS},
    summary="Cambiar el texto alternativo o los subtítulos de un archivo",
)
def patch_asset(
    request: HttpRequest, piece_id: int, asset_id: int, payload: AssetPatch
) -> dict[str, Any]:
    user = user_of(request)
    asset = actions.update_asset(
        user,
        _asset(user, piece_id, asset_id),
        alt_text=payload.alt_text,
        decorative=payload.decorative,
        captions_mode=payload.captions_mode,
        captions_reviewed=payload.captions_reviewed,
    )
    return asset_out(asset)


@router.delete(
    "/pieces/{piece_id}/assets/{asset_id}",
    response={204: None, **ERRORS},
    summary="Retirar un archivo del diseño en borrador",
)
def delete_asset(request: HttpRequest, piece_id: int, asset_id: int) -> Status[None]:
    user = user_of(request)
    actions.remove_asset(user, _asset(user, piece_id, asset_id))
    return Status(204, None)


@router.get(
    "/pieces/{piece_id}/assets/{asset_id}/file",
    response={200: None, **ERRORS},
    summary="Descargar un archivo de diseño",
)
def asset_file(request: HttpRequest, piece_id: int, asset_id: int) -> FileResponse:
    return download(_asset(user_of(request), piece_id, asset_id))


class TimelineOut(Schema):
    occurred_at: datetime.datetime
    actor: str
    action: str
    label: str
    details: list[tuple[str, str]]
    hash: str


@router.get(
    "/pieces/{piece_id}/timeline",
    response={200: list[TimelineOut], **ERRORS},
    summary="Historial de la pieza en español",
)
def timeline(request: HttpRequest, piece_id: int) -> list[dict[str, Any]]:
    piece = _piece(user_of(request), piece_id)
    entries = timeline_for(piece, related=list(piece.publications.all()))
    return [
        {
            "occurred_at": e.event.occurred_at,
            "actor": e.event.actor_label,
            "action": e.event.action,
            "label": e.label,
            "details": e.details,
            "hash": e.event.hash,
        }
        for e in entries
    ]


@router.get(
    "/pieces/{piece_id}/evidence",
    response={200: None, **ERRORS},
    summary="Paquete de evidencia (ZIP)",
)
def evidence(request: HttpRequest, piece_id: int) -> HttpResponse:
    from pregonero.audit.evidence import build_package

    user = user_of(request)
    require_perm(user, Perm.EVIDENCE_EXPORT)
    piece = _piece(user, piece_id)
    response = HttpResponse(build_package(user, piece), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="evidencia-{piece.number}.zip"'
    )
    return response
