"""Uploads: the type comes from the content, sizes are limited, bombs are refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings
from PIL import Image

from pregonero.core.errors import ValidationFailed
from pregonero.lib.uploads import check_upload, sanitize_filename

from .conftest import png_bytes

ALL = {"image", "video", "audio", "document", "email", "captions"}


def test_png_is_recognised_by_content_not_extension() -> None:
    checked = check_upload(png_bytes(), "informe.pdf", ALL)
    assert checked.kind == "image" and checked.content_type == "image/png"
    assert checked.name == "informe.png"
    assert (checked.width, checked.height) == (64, 48)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.png",
            "forbidden_type",
        ),
        (b"<svg onload=alert(1)>", "logo.svg", "forbidden_type"),
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
            "foto.jpg",
            "forbidden_type",
        ),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40, "video.mp4", "forbidden_type"),
        (b"#!/bin/sh\nrm -rf /\n", "nota.txt", "forbidden_type"),
        (
            b"<!doctype html><html><script>x</script></html>",
            "pagina.pdf",
            "forbidden_type",
        ),
        (b"\x00\x01\x02\x03binario desconocido", "archivo.bin", "unsupported_type"),
    ],
)
def test_dangerous_or_unknown_files_are_refused(
    content: bytes, name: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_upload(io.BytesIO(content), name, ALL)
    assert error.value.code == code
    assert error.value.message  # a Spanish sentence for the person


def test_kind_not_allowed_here() -> None:
    with pytest.raises(ValidationFailed, match="no está permitido"):
        check_upload(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "acta.pdf", {"image"})


def test_empty_file() -> None:
    with pytest.raises(ValidationFailed, match="vacío"):
        check_upload(io.BytesIO(b""), "nada.png", ALL)


@override_settings(PREGONERO_UPLOAD_LIMITS={"image": 1000})
def test_size_limit_per_kind() -> None:
    big = png_bytes((400, 400))
    with pytest.raises(ValidationFailed, match="máximo"):
        check_upload(big, "grande.png", ALL)


@override_settings(PREGONERO_MAX_IMAGE_PIXELS=10_000)
def test_decompression_bomb_is_refused() -> None:
    # 200×200 = 40,000 pixels declared; the guard stops it before decoding.
    with pytest.raises(ValidationFailed) as error:
        check_upload(png_bytes((200, 200)), "bomba.png", ALL)
    assert error.value.code == "decompression_bomb"


def test_a_real_pixel_bomb_header_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")  # tiny file, 400 Mpx
    buffer.seek(0)
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(ValidationFailed) as error:
        check_upload(buffer, "bomba.png", ALL)
    assert error.value.code == "decompression_bomb"


def test_corrupt_image() -> None:
    data = png_bytes().getvalue()[:60]
    with pytest.raises(ValidationFailed):
        check_upload(io.BytesIO(data), "rota.png", ALL)


def test_office_zip_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (60 * 1024 * 1024))
    buffer.seek(0)
    with pytest.raises(ValidationFailed) as error:
        check_upload(buffer, "informe.docx", ALL)
    assert error.value.code == "decompression_bomb"


def test_docx_is_recognised() -> None:
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    buffer.seek(0)
    checked = check_upload(buffer, "Informe estratégico.DOCX", ALL)
    assert checked.extension == "docx" and checked.kind == "document"


def test_captions_and_email_are_recognised() -> None:
    srt = b"1\n00:00:01,000 --> 00:00:03,000\nHola, Bogot\xc3\xa1\n"
    assert check_upload(io.BytesIO(srt), "sub.txt", ALL).extension == "srt"
    vtt = b"WEBVTT\n\n00:01.000 --> 00:03.000\nHola\n"
    assert check_upload(io.BytesIO(vtt), "sub.txt", ALL).extension == "vtt"
    eml = b"From: a@b.co\r\nTo: c@d.co\r\nSubject: Hola\r\n\r\nCuerpo\r\n"
    assert check_upload(io.BytesIO(eml), "correo.txt", ALL).kind == "email"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd.png"),
        ("C:\\Users\\ana\\foto final.jpg", "foto final.png"),
        ("informe\x00<script>.pdf", "informe_script_.png"),
        ("   .png", "archivo.png"),
        ("a" * 300 + ".png", "a" * 120 + ".png"),
    ],
)
def test_file_names_are_sanitised(raw: str, expected: str) -> None:
    assert sanitize_filename(raw, "png") == expected
