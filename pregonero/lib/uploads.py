"""Checking uploaded files: type from the content, size per kind, image bombs.

The extension a person gives a file is never trusted: the type is sniffed from
the first bytes, SVG and executables are refused, images are decoded under
Pillow's decompression-bomb guard and office files under a zip-bomb guard.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from pregonero.core.errors import ValidationFailed


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # image, video, audio, document, email, captions
    content_type: str
    extension: str
    name: str  # sanitised original name
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None


# Sniffed MIME type → (kind, canonical extension).
ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    "image/jpeg": ("image", "jpg"),
    "image/png": ("image", "png"),
    "image/gif": ("image", "gif"),
    "image/webp": ("image", "webp"),
    "video/mp4": ("video", "mp4"),
    "video/quicktime": ("video", "mov"),
    "video/webm": ("video", "webm"),
    "audio/mpeg": ("audio", "mp3"),
    "audio/x-wav": ("audio", "wav"),
    "audio/ogg": ("audio", "ogg"),
    "audio/mp4": ("audio", "m4a"),
    "application/pdf": ("document", "pdf"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "document",
        "docx",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "document",
        "xlsx",
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "document",
        "pptx",
    ),
    "application/vnd.oasis.opendocument.text": ("document", "odt"),
    "text/plain": ("document", "txt"),
    "message/rfc822": ("email", "eml"),
    "text/vtt": ("captions", "vtt"),
    "application/x-subrip": ("captions", "srt"),
}

KIND_LABELS = {
    "image": gettext_lazy("imagen"),
    "video": gettext_lazy("video"),
    "audio": gettext_lazy("audio"),
    "document": gettext_lazy("documento"),
    "email": gettext_lazy("correo electrónico"),
    "captions": gettext_lazy("subtítulos"),
}

_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xfe\xed\xfa",
)
_ZIP_MAX_UNCOMPRESSED = 300 * 1024 * 1024
_ZIP_MAX_RATIO = 200
_SRT_RE = re.compile(rb"^\s*\d+\s*\r?\n\d{2}:\d{2}:\d{2}[,.]\d{3}\s*-->", re.MULTILINE)
_EML_HEADER_RE = re.compile(
    rb"^(Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|X-[\w-]+):",
    re.IGNORECASE | re.MULTILINE,
)


def sanitize_filename(name: str, extension: str | None = None) -> str:
    """A safe display name: no path, no control characters, NFC, bounded length."""
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, dot, original_extension = name.rpartition(".")
    if not dot:
        stem, original_extension = name, ""
    stem = re.sub(r"[<>:\"/\\|?*;]", "_", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:120] or "archivo"
    extension = extension or re.sub(r"[^A-Za-z0-9]", "", original_extension)[:10]
    return f"{stem}.{extension}" if extension else stem


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return b"\x00" not in head


def sniff(head: bytes) -> str | None:
    """The MIME type read from the content, or None when it is not recognised."""
    stripped = head.lstrip()
    lowered = stripped[:512].lower()
    if head.startswith(_EXECUTABLE_MAGIC) or head.startswith(b"#!"):
        return "application/x-executable"
    if b"<svg" in lowered or lowered.startswith(
        (b"<?xml", b"<!doctype html", b"<html")
    ):
        return "image/svg+xml" if b"<svg" in lowered else "text/html"
    guessed = filetype.guess_mime(head)
    if guessed == "application/zip":
        return None  # decided by _sniff_zip with the whole file
    if guessed:
        if guessed in {"video/x-m4v", "video/m4v"}:
            return "video/mp4"
        if guessed == "audio/x-m4a":
            return "audio/mp4"
        return guessed
    if _is_text(head):
        if stripped.startswith(b"WEBVTT"):
            return "text/vtt"
        if _SRT_RE.search(head):
            return "application/x-subrip"
        if len(_EML_HEADER_RE.findall(head[:8192])) >= 2:
            return "message/rfc822"
        return "text/plain"
    return None


def _sniff_zip(
    fileobj: IO[bytes],
    size: int,
    max_uncompressed: int = _ZIP_MAX_UNCOMPRESSED,
    max_ratio: int = _ZIP_MAX_RATIO,
) -> str | None:
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            total = sum(info.file_size for info in infos)
            if total > max_uncompressed or (size and total / max(size, 1) > max_ratio):
                raise ValidationFailed(
                    _(
                        "El archivo comprimido se expande a un tamaño excesivo y fue rechazado."
                    ),
                    code="decompression_bomb",
                )
            names = {info.filename for info in infos}
            if "mimetype" in names:
                mimetype = (
                    archive.read("mimetype")[:100].decode("ascii", "ignore").strip()
                )
                return mimetype or None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                if any(n.startswith("xl/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if any(n.startswith("ppt/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    except zipfile.BadZipFile:
        return None
    return None


def _check_image(fileobj: IO[bytes]) -> tuple[int, int]:
    fileobj.seek(0)
    limit = settings.PREGONERO_MAX_IMAGE_PIXELS
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj) as image:
                width, height = image.size
                if width * height > limit:
                    raise Image.DecompressionBombError("too many pixels")
                image.verify()
            fileobj.seek(0)
            with Image.open(fileobj) as image:
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed(
            _(
                "La imagen declara más de %(limit)s millones de píxeles y fue rechazada "
                "(posible bomba de descompresión)."
            )
            % {"limit": limit // 1_000_000},
            code="decompression_bomb",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            _("La imagen está dañada o no se puede leer."), code="corrupt_file"
        ) from exc
    finally:
        Image.MAX_IMAGE_PIXELS = previous
        fileobj.seek(0)
    return width, height


def check_upload(
    fileobj: Any, original_name: str, allowed_kinds: set[str], field: str = "file"
) -> CheckedFile:
    """Validate an uploaded file, or raise ValidationFailed with a Spanish message.

    ``fileobj`` is a Django UploadedFile or any binary file object.
    """
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise ValidationFailed(
            _("El archivo «%(name)s» está vacío.")
            % {"name": sanitize_filename(original_name)},
            errors={field: [_("El archivo está vacío.")]},
        )
    head = fileobj.read(8192)
    fileobj.seek(0)
    mime = sniff(head)
    if head.startswith(b"PK"):
        # Office files are zip archives: always measure what they expand to.
        mime = _sniff_zip(fileobj, size) or mime
    fileobj.seek(0)
    if mime in {"image/svg+xml", "text/html", "application/x-executable"}:
        message = {
            "image/svg+xml": _(
                "Los archivos SVG no se aceptan: pueden contener código."
            ),
            "text/html": _("Los archivos HTML no se aceptan."),
            "application/x-executable": _("Los programas ejecutables no se aceptan."),
        }[mime]
        raise ValidationFailed(
            message, code="forbidden_type", errors={field: [message]}
        )
    if mime not in ALLOWED_TYPES or ALLOWED_TYPES[mime][0] not in allowed_kinds:
        accepted = ", ".join(sorted(str(KIND_LABELS[k]) for k in allowed_kinds))
        message = _(
            "El tipo de «%(name)s» no está permitido aquí (se aceptan: %(accepted)s). "
            "El tipo se determina por el contenido, no por la extensión."
        ) % {"name": sanitize_filename(original_name), "accepted": accepted}
        raise ValidationFailed(
            message, code="unsupported_type", errors={field: [message]}
        )
    kind, extension = ALLOWED_TYPES[mime]
    limit = settings.PREGONERO_UPLOAD_LIMITS.get(kind)
    if limit and size > limit:
        message = _(
            "«%(name)s» pesa %(size).1f MB; el máximo para un %(kind)s es %(limit)d MB."
        ) % {
            "name": sanitize_filename(original_name),
            "size": size / 1024 / 1024,
            "kind": KIND_LABELS[kind],
            "limit": limit // 1024 // 1024,
        }
        raise ValidationFailed(message, code="too_large", errors={field: [message]})
    width = height = None
    if kind == "image":
        width, height = _check_image(fileobj)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return CheckedFile(
        kind=kind,
        content_type=mime,
        extension=extension,
        name=sanitize_filename(original_name, extension),
        size=size,
        sha256=digest.hexdigest(),
        width=width,
        height=height,
    )


def storage_path(organization_id: int, folder: str, extension: str) -> str:
    """A storage path that never contains the user's file name."""
    today = timezone.localdate()
    return f"{folder}/{organization_id}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"


# Statistics exports (analytics imports): CSV text in any of the encodings the
# networks use (UTF-8, UTF-16, Windows-1252), zips of CSVs, Excel workbooks.
EXPORT_TYPES: dict[str, str] = {
    "text/csv": "csv",
    "application/zip": "zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _is_export_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:4000]
    if len(sample) >= 4 and (
        sample[1::2].count(0) > len(sample) // 2 * 0.6
        or sample[0::2].count(0) > len(sample) // 2 * 0.6
    ):
        return True  # UTF-16 without a BOM
    return b"\x00" not in sample


def check_export_upload(
    fileobj: Any,
    original_name: str,
    *,
    max_bytes: int,
    max_uncompressed: int,
    max_ratio: int,
    field: str = "file",
) -> CheckedFile:
    """Validate a statistics export (CSV, zip of CSVs, .xlsx, .xls) or raise
    ValidationFailed: empty, too large, a zip that inflates too much (measured
    from the archive's directory, before anything is inflated), or another type."""
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
    fileobj.seek(0)
    shown = sanitize_filename(original_name)
    if size == 0:
        message = _("El archivo «%(name)s» está vacío.") % {"name": shown}
        raise ValidationFailed(message, code="empty", errors={field: [message]})
    if size > max_bytes:
        message = _(
            "«%(name)s» pesa %(size).1f MB; el máximo para importar es %(limit)d MB."
        ) % {"name": shown, "size": size / 1024 / 1024, "limit": max_bytes >> 20}
        raise ValidationFailed(message, code="too_large", errors={field: [message]})
    head = fileobj.read(8192)
    fileobj.seek(0)
    mime: str | None
    if head.startswith(b"PK"):
        mime = _sniff_zip(fileobj, size, max_uncompressed, max_ratio)
        if mime is None:
            fileobj.seek(0)
            try:
                with zipfile.ZipFile(fileobj):
                    mime = "application/zip"
            except zipfile.BadZipFile:
                mime = None
        elif mime not in EXPORT_TYPES:
            mime = None
    elif head.startswith(_OLE_MAGIC):
        mime = "application/vnd.ms-excel"
    else:
        sniffed = sniff(head)
        if sniffed in {"image/svg+xml", "text/html", "application/x-executable"}:
            mime = None
        elif sniffed in {"text/plain", None} and _is_export_text(head):
            mime = "text/csv"
        else:
            mime = None
    fileobj.seek(0)
    if mime is None:
        message = _(
            "«%(name)s» no es un archivo de estadísticas que Pregonero pueda leer "
            "(se aceptan CSV, ZIP de YouTube Studio y libros de Excel .xlsx o .xls)."
        ) % {"name": shown}
        raise ValidationFailed(
            message, code="unsupported_type", errors={field: [message]}
        )
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    extension = EXPORT_TYPES[mime]
    return CheckedFile(
        kind="data",
        content_type=mime,
        extension=extension,
        name=sanitize_filename(original_name, extension),
        size=size,
        sha256=digest.hexdigest(),
    )
