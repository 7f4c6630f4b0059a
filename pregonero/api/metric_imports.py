"""API for importing hand-downloaded statistics exports (activity 15, §3 and §7).

Upload (multipart) → the preview; then confirm or discard; an unknown layout
answers ``needs_mapping`` with its headers, and ``POST …/mapping`` maps them
once (remembered for the next files with the same columns).

Requirement IDs: REC-01, REC-02 (every import is a kept, audited record).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.analytics import imports
from pregonero.analytics.models import ImportBatch
from pregonero.core.errors import PermissionDeniedError
from pregonero.core.models import Channel
from pregonero.core.viewutils import download

from .base import ErrorOut, Page, get_or_404, in_org, paginate, user_of

router = Router(tags=["Estadísticas (importación de archivos)"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ImportOut(Schema):
    id: int
    channel_id: int
    channel: str
    status: str
    status_label: str
    file_name: str
    sha256: str
    size: int
    file_format: str
    period_start: datetime.date | None
    period_end: datetime.date | None
    rows_read: int
    rows_skipped: int
    values_written: int
    posts_written: int
    uploaded_by: str
    created_at: datetime.datetime
    imported_at: datetime.datetime | None
    preview: dict[str, Any]


class ImportPage(Page):
    results: list[ImportOut]


class MappingIn(Schema):
    columns: dict[str, str]
    name: str = ""


class ChoiceOut(Schema):
    value: str
    label: str


def import_out(batch: ImportBatch) -> dict[str, Any]:
    uploader = batch.uploaded_by
    return {
        "id": batch.pk,
        "channel_id": batch.channel_id,
        "channel": batch.channel.name,
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "file_name": batch.original_name,
        "sha256": batch.sha256,
        "size": batch.size,
        "file_format": batch.file_format,
        "period_start": batch.period_start,
        "period_end": batch.period_end,
        "rows_read": batch.rows_read,
        "rows_skipped": batch.rows_skipped,
        "values_written": batch.values_written,
        "posts_written": batch.posts_written,
        "uploaded_by": (uploader.get_full_name() or uploader.get_username())
        if uploader
        else "",
        "created_at": batch.created_at,
        "imported_at": batch.imported_at,
        "preview": batch.preview,
    }


def _can_view(request: HttpRequest) -> Any:
    user = user_of(request)
    if not (has_perm(user, Perm.METRICS_IMPORT) or has_perm(user, Perm.STATS_VIEW)):
        raise PermissionDeniedError(_("Su rol no le permite realizar esta acción."))
    return user


def _batch(user: Any, import_id: int) -> ImportBatch:
    return get_or_404(
        ImportBatch.objects.select_related("channel", "uploaded_by"),
        user,
        pk=import_id,
    )


@router.post(
    "/metric-imports",
    response={201: ImportOut, **ERRORS},
    summary="Cargar un archivo exportado y ver su vista previa",
)
def upload(
    request: HttpRequest, file: File[UploadedFile], channel_id: Form[int]
) -> Status[dict[str, Any]]:
    user = user_of(request)
    channel = in_org(Channel, user, channel_id, "channel_id")
    assert channel is not None
    batch = imports.preview_export(user, channel, file, file.name or "export.csv")
    return Status(201, import_out(batch))


@router.get(
    "/metric-imports",
    response={200: ImportPage, **ERRORS},
    summary="Listar las importaciones",
)
def list_imports(
    request: HttpRequest, offset: int = 0, limit: int = 25, status: str = ""
) -> dict[str, Any]:
    user = _can_view(request)
    batches = imports.imports_for(user)
    if status:
        batches = batches.filter(status=status)
    count, rows = paginate(batches, offset, limit)
    return {
        "count": count,
        "offset": offset,
        "limit": max(1, min(limit, 100)),
        "results": [import_out(b) for b in rows],
    }


@router.get(
    "/metric-imports/{import_id}",
    response={200: ImportOut, **ERRORS},
    summary="Ver una importación",
)
def get_import(request: HttpRequest, import_id: int) -> dict[str, Any]:
    return import_out(_batch(_can_view(request), import_id))


@router.get(
    "/metric-imports/{import_id}/file",
    response={200: None, **ERRORS},
    summary="Descargar el archivo importado",
)
def get_import_file(request: HttpRequest, import_id: int) -> FileResponse:
    return download(_batch(_can_view(request), import_id))


@router.get(
    "/metric-imports/{import_id}/mapping-choices",
    response={200: list[ChoiceOut], **ERRORS},
    summary="Opciones para asignar las columnas de un formato desconocido",
)
def mapping_choices(request: HttpRequest, import_id: int) -> list[dict[str, str]]:
    batch = _batch(_can_view(request), import_id)
    return [
        {"value": value, "label": label}
        for value, label in imports.mapping_choices(batch.channel)
    ]


@router.post(
    "/metric-imports/{import_id}/mapping",
    response={200: ImportOut, **ERRORS},
    summary="Asignar las columnas de un formato desconocido (se recuerda)",
)
def submit_mapping(
    request: HttpRequest, import_id: int, payload: MappingIn
) -> dict[str, Any]:
    user = user_of(request)
    batch = imports.save_column_mapping(
        user, _batch(user, import_id), payload.columns, payload.name
    )
    return import_out(batch)


@router.post(
    "/metric-imports/{import_id}/confirm",
    response={200: ImportOut, **ERRORS},
    summary="Importar el archivo de la vista previa",
)
def confirm(request: HttpRequest, import_id: int) -> dict[str, Any]:
    user = user_of(request)
    return import_out(imports.confirm_import(user, _batch(user, import_id)))


@router.post(
    "/metric-imports/{import_id}/discard",
    response={200: ImportOut, **ERRORS},
    summary="Descartar la vista previa",
)
def discard(request: HttpRequest, import_id: int) -> dict[str, Any]:
    user = user_of(request)
    return import_out(imports.discard_import(user, _batch(user, import_id)))
