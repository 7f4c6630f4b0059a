"""The acta of the planning meeting (208-SADM-Ft-06) rendered as DOCX and PDF.

Both files are rendered from a plain snapshot and parsed back: the DOCX with
python-docx, the PDF with pypdf. No database is needed.
"""

from __future__ import annotations

import copy
import io
import re
import socket
from pathlib import Path
from typing import Any

import docx
import pytest
from django.template.loader import render_to_string
from PIL import Image
from pypdf import PdfReader

from pregonero.planning import acta

CONTENT_HASH = "9f2c" + "0123456789abcdef" * 3 + "a1b2c3d4e5f6"
REPORT_HASH = "ab12cd34ef56" + "7" * 52
PHOTO_HASH = "0fedcba98765" + "4" * 52
HOSTILE = '<script>alert("x")</script> & \'simples\' "dobles" <b>negrita</b> a&amp;b'


def make_snapshot(**changes: Any) -> dict[str, Any]:
    """A realistic snapshot of an issued acta; ``changes`` replace top-level keys."""
    snapshot: dict[str, Any] = {
        "organization": {
            "name": "Caja de la Vivienda Popular",
            "short_name": "CVP",
            "office_name": "Oficina Asesora de Comunicaciones",
            "city": "Bogotá D.C.",
        },
        "format": {
            "code": "208-SADM-Ft-06",
            "version": "7",
            "date": "2024-01-15",
            "process": "Gestión de Comunicaciones",
            "title": "Acta de reunión",
        },
        "meeting": {
            "number": "ACT-2026-0003",
            "title": "Comité de contenidos de noviembre",
            "starts_at": "2026-11-20T09:00:00-05:00",
            "ends_at": "2026-11-20T10:30:00-05:00",
            "place": "Sala de juntas, piso 2",
            "objective": "Priorizar las necesidades de comunicación de la semana.",
            "development": (
                "Se verificó el quórum.\n"
                "La jefa de la oficina presentó el balance de octubre.\n"
                "Se revisaron las necesidades radicadas."
            ),
            "chaired_by": {
                "name": "Marcela Rincón",
                "position": "Jefa de la Oficina Asesora",
            },
        },
        "version": 2,
        "issued_at": "2026-11-20T11:02:00-05:00",
        "issued_by": {"name": "Julián Ortiz", "position": "Profesional universitario"},
        "change_reason": "Se corrige la fecha del compromiso 2",
        "attendees": [
            {
                "name": "Marcela Rincón",
                "position": "Jefa de la Oficina Asesora",
                "affiliation": "Oficina Asesora de Comunicaciones",
                "is_external": False,
                "attended": True,
            },
            {
                "name": "Julián Ortiz",
                "position": "Profesional universitario",
                "affiliation": "Oficina Asesora de Comunicaciones",
                "is_external": False,
                "attended": True,
            },
            {
                "name": "Sandra Beltrán",
                "position": "Asesora de prensa",
                "affiliation": "Secretaría Distrital del Hábitat",
                "is_external": True,
                "attended": False,
            },
        ],
        "agenda": [
            {
                "position": 1,
                "topic": "Entrega de títulos en Ciudad Bolívar",
                "need_number": "NEC-2026-0012",
                "discussion": "Se acordó cubrir el evento en vivo.\nHabrá vocería de la directora.",
                "sources_to_consult": "Dirección de Urbanizaciones y Titulación",
                "products": "Nota de prensa y video corto",
                "channels": ["Facebook CVP", "X CVP"],
                "responsible": "Julián Ortiz",
                "due_date": "2026-11-25",
            },
            {
                "position": 2,
                "topic": "Boletín interno de diciembre",
                "need_number": "",
                "discussion": "",
                "sources_to_consult": "",
                "products": "Boletín digital",
                "channels": [],
                "responsible": "",
                "due_date": None,
            },
        ],
        "commitments": [
            {
                "description": "Enviar guion del video a la dirección",
                "responsible": "Julián Ortiz",
                "due_date": "2026-11-23",
            },
            {
                "description": "Consolidar fotografías del evento",
                "responsible": "Marcela Rincón",
                "due_date": "2026-11-27",
            },
            {
                "description": "Revisar la parrilla",
                "responsible": "Equipo OAC",
                "due_date": None,
            },
        ],
        "documents": [
            {"name": "informe-estrategico.pdf", "sha256": REPORT_HASH},
            {"name": "registro-fotografico.zip", "sha256": PHOTO_HASH},
        ],
        "content_hash": CONTENT_HASH,
    }
    snapshot.update(copy.deepcopy(changes))
    return snapshot


def long_snapshot(items: int = 60) -> dict[str, Any]:
    """A snapshot whose agenda runs over several pages."""
    agenda = [
        {
            "position": number,
            "topic": f"Tema número {number} del comité",
            "need_number": f"NEC-2026-{number:04d}",
            "discussion": "Se revisó el avance y se acordaron los ajustes pendientes.",
            "sources_to_consult": "Informe de gestión",
            "products": "Pieza gráfica",
            "channels": ["Instagram CVP"],
            "responsible": "Julián Ortiz",
            "due_date": "2026-12-01",
        }
        for number in range(1, items + 1)
    ]
    return make_snapshot(agenda=agenda)


def open_docx(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def table_rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def body_blocks(document: Any) -> list[Any]:
    return list(document.iter_inner_content())


def is_heading(block: Any) -> bool:
    return not hasattr(block, "rows") and block.style.name.startswith("Heading")


def table_after(document: Any, heading: str) -> list[list[str]]:
    """The rows of the first table after the heading with the given text."""
    blocks = body_blocks(document)
    index = next(
        i
        for i, block in enumerate(blocks)
        if is_heading(block) and block.text == heading
    )
    return table_rows(
        next(block for block in blocks[index + 1 :] if hasattr(block, "rows"))
    )


def field_table_after(document: Any, heading: str) -> dict[str, str]:
    """The label/value table that follows the given heading, as a dict."""
    return dict(table_after(document, heading))


def docx_text(document: Any) -> str:
    """All text of the body, tables included, with whitespace collapsed."""
    parts = []
    for block in body_blocks(document):
        if hasattr(block, "rows"):
            parts.extend(cell.text for row in block.rows for cell in row.cells)
        else:
            parts.append(block.text)
    return squash("\n".join(parts))


def squash(text: str) -> str:
    return " ".join(text.split())


def pdf_pages(data: bytes) -> list[str]:
    return [squash(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def docx_document() -> Any:
    return open_docx(acta.render_docx(make_snapshot()))


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return acta.render_pdf(make_snapshot())


@pytest.fixture(scope="module")
def pdf_text(pdf_bytes: bytes) -> str:
    return " ".join(pdf_pages(pdf_bytes))


@pytest.fixture(scope="module")
def long_pdf_pages() -> list[str]:
    return pdf_pages(acta.render_pdf(long_snapshot()))


# --- file names -----------------------------------------------------------------


def test_filename_is_ascii_and_carries_number_and_version() -> None:
    snapshot = make_snapshot()
    assert acta.acta_filename(snapshot, "pdf") == "Acta-ACT-2026-0003-v2.pdf"
    assert acta.acta_filename(snapshot, ".DOCX") == "Acta-ACT-2026-0003-v2.docx"

    odd = make_snapshot(meeting={"number": "Acta Nº 3/2026 — año ñ"}, version=11)
    name = acta.acta_filename(odd, "pdf")
    assert re.fullmatch(r"[A-Za-z0-9.-]+", name)
    assert name == "Acta-Acta-No-3-2026-ano-n-v11.pdf"


# --- DOCX -----------------------------------------------------------------------


def test_docx_header_table_is_in_the_section_header(docx_document: Any) -> None:
    assert len(docx_document.sections) == 1  # one header for every page
    header = docx_document.sections[0].header
    assert not header.is_linked_to_previous
    [left, centre, right] = table_rows(header.tables[0])[0]
    assert "Caja de la Vivienda Popular" in left
    assert "CVP" in left
    assert "ACTA DE REUNIÓN" in centre
    assert "Gestión de Comunicaciones" in centre
    assert right.splitlines() == [
        "Código: 208-SADM-Ft-06",
        "Versión: 7",
        "Fecha: 15/01/2024",
    ]


def test_docx_footer_numbers_pages_with_fields(docx_document: Any) -> None:
    footer = docx_document.sections[0].footer._element.xml
    assert "Página" in footer
    assert 'w:instr=" PAGE "' in footer
    assert 'w:instr=" NUMPAGES "' in footer


def test_docx_page_is_letter_with_2_cm_margins(docx_document: Any) -> None:
    section = docx_document.sections[0]
    assert round(section.page_width.cm, 1) == 21.6
    assert round(section.page_height.cm, 1) == 27.9
    assert round(section.left_margin.cm, 1) == round(section.right_margin.cm, 1) == 2.0


def test_docx_sections_come_in_order(docx_document: Any) -> None:
    headings = [
        block.text
        for block in body_blocks(docx_document)
        if not hasattr(block, "rows") and block.style.name == "Heading 2"
    ]
    assert headings == [
        "Datos de la reunión",
        "Asistentes",
        "Orden del día",
        "Desarrollo",
        "Compromisos",
        "Documentos anexos",
        "Firmas",
    ]
    [title] = [
        block.text
        for block in body_blocks(docx_document)
        if not hasattr(block, "rows") and block.style.name == "Heading 1"
    ]
    assert title == "Acta No. ACT-2026-0003"


def test_docx_meeting_data(docx_document: Any) -> None:
    assert "Versión del acta 2" in docx_text(docx_document)
    fields = field_table_after(docx_document, "Datos de la reunión")
    assert fields["Acta No."] == "ACT-2026-0003"
    assert fields["Tema"] == "Comité de contenidos de noviembre"
    assert fields["Fecha"] == "viernes 20 de noviembre de 2026"
    assert fields["Hora"] == "9:00 a. m. – 10:30 a. m."
    assert fields["Lugar"] == "Sala de juntas, piso 2"
    assert fields["Preside"] == "Marcela Rincón, Jefa de la Oficina Asesora"
    assert (
        fields["Objetivo"] == "Priorizar las necesidades de comunicación de la semana."
    )
    assert fields["Dependencia"] == "Oficina Asesora de Comunicaciones"


def test_docx_attendees_table(docx_document: Any) -> None:
    assert table_after(docx_document, "Asistentes") == [
        ["Nombre", "Cargo", "Dependencia o entidad", "Asistió"],
        [
            "Marcela Rincón",
            "Jefa de la Oficina Asesora",
            "Oficina Asesora de Comunicaciones",
            "Sí",
        ],
        [
            "Julián Ortiz",
            "Profesional universitario",
            "Oficina Asesora de Comunicaciones",
            "Sí",
        ],
        [
            "Sandra Beltrán (invitado/a externo/a)",
            "Asesora de prensa",
            "Secretaría Distrital del Hábitat",
            "No",
        ],
    ]


def test_docx_agenda_and_decisions(docx_document: Any) -> None:
    paragraphs = [
        block.text for block in body_blocks(docx_document) if not hasattr(block, "rows")
    ]
    start = paragraphs.index("Orden del día")
    assert paragraphs[start + 1 : start + 3] == [
        "1. Entrega de títulos en Ciudad Bolívar",
        "2. Boletín interno de diciembre",
    ]
    # The general development keeps its line breaks.
    assert (
        "Se verificó el quórum.\nLa jefa de la oficina presentó el balance de octubre."
        in "\n".join(paragraphs)
    )

    first = paragraphs.index("1. Entrega de títulos en Ciudad Bolívar", start + 3)
    assert paragraphs[first + 1] == "Necesidad NEC-2026-0012"
    assert paragraphs[first + 2] == (
        "Se acordó cubrir el evento en vivo.\nHabrá vocería de la directora."
    )
    decision = field_table_after(
        docx_document, "1. Entrega de títulos en Ciudad Bolívar"
    )
    assert decision == {
        "Fuentes a consultar": "Dirección de Urbanizaciones y Titulación",
        "Productos a realizar": "Nota de prensa y video corto",
        "Medios de difusión": "Facebook CVP, X CVP",
        "Responsable": "Julián Ortiz",
        "Fecha de entrega": "25/11/2026",
    }

    second = paragraphs.index("2. Boletín interno de diciembre", start + 3)
    assert paragraphs[second + 1] == "Sin discusión registrada."
    assert "Necesidad" not in paragraphs[second + 1]
    assert field_table_after(docx_document, "2. Boletín interno de diciembre") == {
        "Fuentes a consultar": "—",
        "Productos a realizar": "Boletín digital",
        "Medios de difusión": "—",
        "Responsable": "—",
        "Fecha de entrega": "—",
    }


def test_docx_commitments_table(docx_document: Any) -> None:
    assert table_after(docx_document, "Compromisos") == [
        ["No.", "Compromiso", "Responsable", "Fecha"],
        ["1", "Enviar guion del video a la dirección", "Julián Ortiz", "23/11/2026"],
        ["2", "Consolidar fotografías del evento", "Marcela Rincón", "27/11/2026"],
        ["3", "Revisar la parrilla", "Equipo OAC", "—"],
    ]


def test_docx_documents_change_note_and_signatures(docx_document: Any) -> None:
    assert table_after(docx_document, "Documentos anexos") == [
        ["No.", "Documento", "Huella SHA-256"],
        ["1", "informe-estrategico.pdf", REPORT_HASH],
        ["2", "registro-fotografico.zip", PHOTO_HASH],
    ]
    text = docx_text(docx_document)
    assert (
        "Control de cambios del acta: versión 2 — Se corrige la fecha del compromiso 2"
        in text
    )
    [[chair, issuer]] = table_after(docx_document, "Firmas")
    assert "Preside la reunión" in chair
    assert "Firma" in chair
    assert "Marcela Rincón\nJefa de la Oficina Asesora" in chair
    assert "Expide el acta" in issuer
    assert "Julián Ortiz\nProfesional universitario" in issuer
    assert (
        "Expedida en Pregonero el 20/11/2026, 11:02 a. m. · huella del contenido: "
        f"{CONTENT_HASH}" in text
    )


def test_docx_metadata(docx_document: Any) -> None:
    properties = docx_document.core_properties
    assert properties.language == "es-CO"
    assert properties.title == "Acta No. ACT-2026-0003 · Versión del acta 2"
    assert properties.author == "Caja de la Vivienda Popular"
    assert properties.created.isoformat() == "2026-11-20T16:02:00+00:00"


# --- PDF ------------------------------------------------------------------------


def test_pdf_shows_the_same_facts(pdf_bytes: bytes, pdf_text: str) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert len(reader.pages) >= 1
    expected = [
        "Caja de la Vivienda Popular",
        "CVP",
        "ACTA DE REUNIÓN",
        "Gestión de Comunicaciones",
        "Código: 208-SADM-Ft-06",
        "Versión: 7",
        "Fecha: 15/01/2024",
        "Acta No. ACT-2026-0003",
        "Versión del acta 2",
        "Comité de contenidos de noviembre",
        "viernes 20 de noviembre de 2026",
        "9:00 a. m. – 10:30 a. m.",
        "Sala de juntas, piso 2",
        "Marcela Rincón, Jefa de la Oficina Asesora",
        "Priorizar las necesidades de comunicación de la semana.",
        # Attendees.
        "Sandra Beltrán (invitado/a externo/a)",
        "Secretaría Distrital del Hábitat",
        "Dependencia o entidad",
        # Agenda and decisions.
        "Entrega de títulos en Ciudad Bolívar",
        "Boletín interno de diciembre",
        "Necesidad NEC-2026-0012",
        "Fuentes a consultar Dirección de Urbanizaciones y Titulación",
        "Productos a realizar Nota de prensa y video corto",
        "Medios de difusión Facebook CVP, X CVP",
        "Fecha de entrega 25/11/2026",
        "Sin discusión registrada.",
        # Commitments.
        "1 Enviar guion del video a la dirección Julián Ortiz 23/11/2026",
        "2 Consolidar fotografías del evento Marcela Rincón 27/11/2026",
        "3 Revisar la parrilla Equipo OAC —",
        # Documents, change control, signatures.
        "informe-estrategico.pdf",
        "registro-fotografico.zip",
        "Control de cambios del acta: versión 2 — Se corrige la fecha del compromiso 2",
        "Preside la reunión",
        "Expide el acta",
        "Julián Ortiz",
        "Profesional universitario",
        "Expedida en Pregonero el 20/11/2026, 11:02 a. m. · huella del contenido:",
    ]
    missing = [fact for fact in expected if fact not in pdf_text]
    assert not missing
    assert pdf_text.count("Firma ") >= 2
    # Long hex strings may be wrapped by the layout: compare without spaces.
    compact = pdf_text.replace(" ", "")
    for digest in (REPORT_HASH, PHOTO_HASH, CONTENT_HASH):
        assert digest in compact


def test_pdf_sections_come_in_order(pdf_text: str) -> None:
    body = pdf_text[pdf_text.index("Acta No. ACT-2026-0003") :]
    positions = [
        body.index(title)
        for title in (
            "Datos de la reunión",
            "Asistentes",
            "Orden del día",
            "Desarrollo",
            "Compromisos",
            "Documentos anexos",
            "Control de cambios del acta",
            "Firmas",
            "Expedida en Pregonero",
        )
    ]
    assert positions == sorted(positions)


def test_pdf_is_tagged_letter_size_and_in_spanish(pdf_bytes: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root.get("/Lang") == "es-CO"
    width, height = (float(value) for value in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (612, 792)  # 8.5 × 11 in, in points
    assert reader.metadata is not None
    assert reader.metadata.title.startswith("Acta No. ACT-2026-0003")


def test_long_pdf_repeats_header_and_numbers_every_page(
    long_pdf_pages: list[str],
) -> None:
    total = len(long_pdf_pages)
    assert total >= 3
    for number, text in enumerate(long_pdf_pages, start=1):
        assert f"Página {number} de {total}" in text
        assert "Código: 208-SADM-Ft-06" in text
        assert "ACTA DE REUNIÓN" in text
        assert "Caja de la Vivienda Popular" in text
    whole = " ".join(long_pdf_pages)
    assert "60. Tema número 60 del comité" in whole
    assert "Necesidad NEC-2026-0060" in whole


def test_empty_sections_show_placeholders() -> None:
    snapshot = make_snapshot(
        attendees=[],
        agenda=[],
        commitments=[],
        documents=[],
        change_reason="",
        format={**make_snapshot()["format"], "date": None},
        meeting={
            **make_snapshot()["meeting"],
            "starts_at": "2026-03-01T12:05:00-05:00",
            "ends_at": None,
            "development": "",
            "chaired_by": None,
        },
    )
    placeholders = [
        "Sin asistentes registrados.",
        "Sin temas registrados en el orden del día.",
        "Sin desarrollo general registrado.",
        "Sin compromisos registrados.",
        "Sin documentos anexos.",
    ]
    document = open_docx(acta.render_docx(snapshot))
    docx_body = docx_text(document)
    header = table_rows(document.sections[0].header.tables[0])[0][2]
    pdf_text = " ".join(pdf_pages(acta.render_pdf(snapshot)))
    for text in (docx_body, pdf_text):
        for placeholder in placeholders:
            assert placeholder in text
        assert "domingo 1 de marzo de 2026" in text
        assert "12:05 p. m." in text
        assert "Control de cambios" not in text
        assert "Preside la reunión" in text
        assert "Sin registrar" in text
    assert "Fecha: —" in header
    assert "Fecha: —" in pdf_text


# --- hostile and unusual user text ------------------------------------------------


def hostile_snapshot(extra: str = "") -> dict[str, Any]:
    base = make_snapshot()
    text = HOSTILE + extra
    meeting = {**base["meeting"], "title": text, "development": f"{text}\n{text}"}
    agenda = [{**base["agenda"][0], "topic": text, "channels": [text, "X CVP"]}]
    commitments = [{"description": text, "responsible": text, "due_date": None}]
    attendees = [{**base["attendees"][0], "name": text}]
    return make_snapshot(
        meeting=meeting, agenda=agenda, commitments=commitments, attendees=attendees
    )


def test_markup_in_user_text_is_escaped_in_the_html() -> None:
    html = render_to_string(
        acta.PDF_TEMPLATE, {"acta": acta.build_view(hostile_snapshot())}
    )
    assert "<script>" not in html
    assert "<b>negrita</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "a&amp;amp;b" in html


def test_markup_in_user_text_is_plain_text_in_the_pdf() -> None:
    text = " ".join(pdf_pages(acta.render_pdf(hostile_snapshot())))
    assert text.count(HOSTILE) >= 5
    assert f"Medios de difusión {HOSTILE}, X CVP" in text


def test_emoji_and_control_characters_do_not_break_the_docx() -> None:
    snapshot = hostile_snapshot(extra=" 🎉👩🏽‍💻 ñandú\x00\x0b")
    document = open_docx(acta.render_docx(snapshot))
    expected = HOSTILE + " 🎉👩🏽‍💻 ñandú"
    fields = field_table_after(document, "Datos de la reunión")
    assert fields["Tema"] == expected
    assert table_after(document, "Compromisos")[1] == ["1", expected, expected, "—"]
    assert table_after(document, "Asistentes")[1][0] == expected
    paragraphs = [
        block.text for block in body_blocks(document) if not hasattr(block, "rows")
    ]
    assert f"1. {expected}" in paragraphs
    assert f"{expected}\n{expected}" in paragraphs


def test_emoji_do_not_break_the_pdf() -> None:
    data = acta.render_pdf(hostile_snapshot(extra=" 🎉 ñandú\x00"))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    # DejaVu Sans has no emoji glyph, so the emoji is drawn as a missing-glyph box,
    # but it stays in the text layer: the font's ToUnicode map carries U+1F389.
    # (pypdf cannot decode the custom CMap WeasyPrint then writes for that font,
    # so its extracted text is not compared here; see the plain-markup test.)
    to_unicode = []
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            if "/ToUnicode" in font:
                to_unicode.append(font["/ToUnicode"].get_object().get_data().lower())
    assert any(b"<d83cdf89>" in cmap for cmap in to_unicode)


def test_pdf_rendering_fetches_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Even markup that names resources makes WeasyPrint fetch nothing at all."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    image = tmp_path / "logo.png"
    Image.new("RGB", (8, 8), "red").save(image)
    html = (
        '<html lang="es-CO"><head>'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head><body>'
        f'<p>Hola</p><img src="{image.as_uri()}"><img src="http://127.0.0.1:9/x.png">'
        "</body></html>"
    )
    monkeypatch.setattr(acta, "render_to_string", lambda *args, **kwargs: html)

    reader = PdfReader(io.BytesIO(acta.render_pdf(make_snapshot())))

    assert attempts == []
    assert "Hola" in reader.pages[0].extract_text()
    assert not reader.pages[0]["/Resources"].get("/XObject")
