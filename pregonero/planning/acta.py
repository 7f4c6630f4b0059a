"""The acta of a planning meeting, format 208-SADM-Ft-06, as DOCX and as PDF.

Both files are drawn from the same frozen snapshot of the meeting (a plain dict,
see :func:`build_view`) through one view model, :class:`ActaView`: every label,
placeholder and formatted date is decided once in :func:`build_view`, so the
DOCX and the PDF always carry the same content in the same order. Dates and
times come in the snapshot already in America/Bogota wall-clock time and are
written in Spanish by the helpers in this module only, never through the
operating system's locale.

User text is never trusted: it is stripped of characters XML cannot carry and,
in the PDF, goes through Django's autoescaping; WeasyPrint renders offline,
with the system's DejaVu fonts and no URL fetching at all.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import docx
import weasyprint
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pregonero.lib.dates import MONTHS as _MONTHS

PDF_TEMPLATE = "planning/acta_pdf.html"
DASH = "—"

__all__ = ["ActaView", "acta_filename", "build_view", "render_docx", "render_pdf"]

# --------------------------------------------------------------------------
# Spanish dates: the only place where dates and times are turned into text.
# --------------------------------------------------------------------------

_WEEKDAYS = (
    gettext_noop("lunes"),
    gettext_noop("martes"),
    gettext_noop("miércoles"),
    gettext_noop("jueves"),
    gettext_noop("viernes"),
    gettext_noop("sábado"),
    gettext_noop("domingo"),
)


def _parse_datetime(value: Any) -> datetime | None:
    """Return the datetime of an ISO 8601 string, or None if there is none."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _parse_date(value: Any) -> date | None:
    """Return the date of an ISO date (or date-time) string, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _numeric_date(day: date) -> str:
    """Format a date as ``dd/mm/yyyy``, e.g. "15/01/2024"."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _short_date(value: Any) -> str:
    """Format an ISO date string as ``dd/mm/yyyy``; "—" when missing, raw if odd."""
    parsed = _parse_date(value)
    return _numeric_date(parsed) if parsed else _clean(value) or DASH


def _long_date(day: date) -> str:
    """Format a date the Spanish way, e.g. "viernes 20 de noviembre de 2026"."""
    return _("%(weekday)s %(day)s de %(month)s de %(year)s") % {
        "weekday": _(_WEEKDAYS[day.weekday()]),
        "day": day.day,
        "month": _(_MONTHS[day.month - 1]),
        "year": day.year,
    }


def _clock_time(moment: datetime) -> str:
    """Format a wall-clock time on the 12-hour clock, e.g. "9:00 a. m."."""
    hour = moment.hour % 12 or 12
    suffix = _("a. m.") if moment.hour < 12 else _("p. m.")
    return f"{hour}:{moment.minute:02d} {suffix}"


def _time_range(starts_at: datetime | None, ends_at: datetime | None) -> str:
    if starts_at is None:
        return DASH
    if ends_at is None:
        return _clock_time(starts_at)
    return f"{_clock_time(starts_at)} – {_clock_time(ends_at)}"


def _date_and_time(value: Any) -> str:
    """Format an ISO date-time string as "20/11/2026, 11:02 a. m."."""
    moment = _parse_datetime(value)
    if moment is None:
        return _clean(value) or DASH
    return _("%(date)s, %(time)s") % {
        "date": _numeric_date(moment.date()),
        "time": _clock_time(moment),
    }


# --------------------------------------------------------------------------
# The view model shared by both renderers.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A labelled value, e.g. ``Código: 208-SADM-Ft-06``."""

    label: str
    value: str


@dataclass(frozen=True)
class AttendeeRow:
    name: str
    external_note: str  # "(invitado/a externo/a)" or ""
    position: str
    affiliation: str
    attended: str  # "Sí" / "No"


@dataclass(frozen=True)
class AgendaItem:
    number: str
    topic: str
    need: str  # "Necesidad NEC-2026-0012" or ""
    discussion: str
    decision: tuple[Field, ...]


@dataclass(frozen=True)
class CommitmentRow:
    number: str
    description: str
    responsible: str
    due_date: str


@dataclass(frozen=True)
class DocumentRow:
    number: str
    name: str
    sha256: str


@dataclass(frozen=True)
class Signatory:
    role: str
    name: str
    position: str


@dataclass(frozen=True)
class ActaView:
    """Everything the acta shows, already formatted, in the order it is shown."""

    organization_name: str
    organization_short_name: str
    document_title: str  # "ACTA DE REUNIÓN"
    process: str
    format_fields: tuple[Field, ...]  # Código, Versión, Fecha
    heading: str  # "Acta No. ACT-2026-0003"
    version_line: str  # "Versión del acta 2"
    meeting_title: str
    meeting_fields: tuple[Field, ...]
    attendees: tuple[AttendeeRow, ...]
    agenda: tuple[AgendaItem, ...]
    development: str
    commitments: tuple[CommitmentRow, ...]
    documents: tuple[DocumentRow, ...]
    change_note: str
    signatories: tuple[Signatory, ...]
    issued_line: str
    footer_line: str
    page_label_parts: tuple[tuple[str, str], ...]
    format_code: str
    issued_at_iso: str
    placeholders: Mapping[str, str]


# Characters that XML 1.0 (so DOCX) cannot carry, plus lone surrogates.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def _clean(value: Any) -> str:
    """Return user text as a plain, XML-safe string with Unix line breaks."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL.sub("", text).strip()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _records(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes | Mapping):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _or_dash(value: Any) -> str:
    return _clean(value) or DASH


def _person(value: Any) -> tuple[str, str]:
    person = _mapping(value)
    return _clean(person.get("name")), _clean(person.get("position"))


def _format_fields(fmt: Mapping[str, Any]) -> tuple[Field, ...]:
    return (
        Field(_("Código"), _or_dash(fmt.get("code"))),
        Field(_("Versión"), _or_dash(fmt.get("version"))),
        Field(_("Fecha"), _short_date(fmt.get("date"))),
    )


def _meeting_fields(
    meeting: Mapping[str, Any], organization: Mapping[str, Any]
) -> tuple[Field, ...]:
    starts_at = _parse_datetime(meeting.get("starts_at"))
    ends_at = _parse_datetime(meeting.get("ends_at"))
    chair_name, chair_position = _person(meeting.get("chaired_by"))
    chair = ", ".join(part for part in (chair_name, chair_position) if part)
    return (
        Field(_("Acta No."), _or_dash(meeting.get("number"))),
        Field(_("Tema"), _or_dash(meeting.get("title"))),
        Field(_("Fecha"), _long_date(starts_at.date()) if starts_at else DASH),
        Field(_("Hora"), _time_range(starts_at, ends_at)),
        Field(_("Lugar"), _or_dash(meeting.get("place"))),
        Field(_("Ciudad"), _or_dash(organization.get("city"))),
        Field(_("Dependencia"), _or_dash(organization.get("office_name"))),
        Field(_("Preside"), chair or _("Sin registrar")),
        Field(_("Objetivo"), _or_dash(meeting.get("objective"))),
    )


def _attendee_rows(attendees: list[Mapping[str, Any]]) -> tuple[AttendeeRow, ...]:
    return tuple(
        AttendeeRow(
            name=_or_dash(person.get("name")),
            external_note=_("(invitado/a externo/a)")
            if person.get("is_external")
            else "",
            position=_or_dash(person.get("position")),
            affiliation=_or_dash(person.get("affiliation")),
            attended=_("Sí") if person.get("attended") else _("No"),
        )
        for person in attendees
    )


def _agenda_number(item: Mapping[str, Any], default: int) -> int:
    value = item.get("position")
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _agenda_items(agenda: list[Mapping[str, Any]]) -> tuple[AgendaItem, ...]:
    numbered = sorted(
        (
            (_agenda_number(item, index), index, item)
            for index, item in enumerate(agenda, 1)
        ),
        key=lambda entry: entry[:2],
    )
    return tuple(_agenda_item(number, item) for number, _index, item in numbered)


def _agenda_item(number: int, item: Mapping[str, Any]) -> AgendaItem:
    channels = item.get("channels") or []
    if isinstance(channels, str):
        channels = [channels]
    channel_names = [name for name in (_clean(channel) for channel in channels) if name]
    need_number = _clean(item.get("need_number"))
    return AgendaItem(
        number=str(number),
        topic=_or_dash(item.get("topic")),
        need=_("Necesidad %(number)s") % {"number": need_number} if need_number else "",
        discussion=_clean(item.get("discussion")),
        decision=(
            Field(_("Fuentes a consultar"), _or_dash(item.get("sources_to_consult"))),
            Field(_("Productos a realizar"), _or_dash(item.get("products"))),
            Field(_("Medios de difusión"), ", ".join(channel_names) or DASH),
            Field(_("Responsable"), _or_dash(item.get("responsible"))),
            Field(_("Fecha de entrega"), _short_date(item.get("due_date"))),
        ),
    )


def _commitment_rows(commitments: list[Mapping[str, Any]]) -> tuple[CommitmentRow, ...]:
    return tuple(
        CommitmentRow(
            number=str(number),
            description=_or_dash(commitment.get("description")),
            responsible=_or_dash(commitment.get("responsible")),
            due_date=_short_date(commitment.get("due_date")),
        )
        for number, commitment in enumerate(commitments, start=1)
    )


def _document_rows(documents: list[Mapping[str, Any]]) -> tuple[DocumentRow, ...]:
    rows = []
    for number, document in enumerate(documents, start=1):
        sha256 = _clean(document.get("sha256")).lower()
        rows.append(
            DocumentRow(
                number=str(number),
                name=_or_dash(document.get("name")),
                sha256=sha256 or DASH,
            )
        )
    return tuple(rows)


def _signatories(
    meeting: Mapping[str, Any], issued_by: Mapping[str, Any]
) -> tuple[Signatory, ...]:
    chair_name, chair_position = _person(meeting.get("chaired_by"))
    issuer_name, issuer_position = _person(issued_by)
    return (
        Signatory(
            _("Preside la reunión"), chair_name or _("Sin registrar"), chair_position
        ),
        Signatory(
            _("Expide el acta"), issuer_name or _("Sin registrar"), issuer_position
        ),
    )


def _page_label_parts() -> tuple[tuple[str, str], ...]:
    """Split "Página %(page)s de %(pages)s" into text and page-counter parts.

    One translatable string feeds both the Word fields and the CSS counters.
    """
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", _("Página %(page)s de %(pages)s"))
    kinds = {"%(page)s": "page", "%(pages)s": "pages"}
    return tuple((kinds.get(part, "text"), part) for part in parts if part)


def _placeholders() -> dict[str, str]:
    return {
        "attendees": _("Sin asistentes registrados."),
        "agenda": _("Sin temas registrados en el orden del día."),
        "development": _("Sin desarrollo general registrado."),
        "discussion": _("Sin discusión registrada."),
        "commitments": _("Sin compromisos registrados."),
        "documents": _("Sin documentos anexos."),
    }


def _change_note(version: str, reason: str) -> str:
    if not reason:
        return ""
    return _("Control de cambios del acta: versión %(version)s — %(reason)s") % {
        "version": version,
        "reason": reason,
    }


def _issued_line(issued_at: Any, content_hash: str) -> str:
    return _(
        "Expedida en Pregonero el %(issued_at)s · huella del contenido: %(content_hash)s"
    ) % {"issued_at": _date_and_time(issued_at), "content_hash": content_hash}


def _footer_line(format_code: str, number: str, version: str) -> str:
    version_label = _("versión %(version)s") % {"version": version}
    return " · ".join(part for part in (format_code, number, version_label) if part)


def build_view(snapshot: Mapping[str, Any]) -> ActaView:
    """Turn an acta snapshot into the formatted view both renderers draw.

    The snapshot is a plain dict with the keys ``organization``, ``format``,
    ``meeting`` (with ``chaired_by``), ``version``, ``issued_at``, ``issued_by``,
    ``change_reason``, ``attendees``, ``agenda``, ``commitments``, ``documents``
    and ``content_hash``. Missing keys, empty strings and nulls are tolerated:
    they show as "—" or as a Spanish placeholder, never as an error.
    """
    organization = _mapping(snapshot.get("organization"))
    fmt = _mapping(snapshot.get("format"))
    meeting = _mapping(snapshot.get("meeting"))
    number = _or_dash(meeting.get("number"))
    version = _or_dash(snapshot.get("version"))
    format_code = _clean(fmt.get("code"))
    issued_at = _parse_datetime(snapshot.get("issued_at"))
    return ActaView(
        organization_name=_or_dash(organization.get("name")),
        organization_short_name=_clean(organization.get("short_name")),
        document_title=(_clean(fmt.get("title")) or _("Acta de reunión")).upper(),
        process=_clean(fmt.get("process")),
        format_fields=_format_fields(fmt),
        heading=_("Acta No. %(number)s") % {"number": number},
        version_line=_("Versión del acta %(version)s") % {"version": version},
        meeting_title=_clean(meeting.get("title")),
        meeting_fields=_meeting_fields(meeting, organization),
        attendees=_attendee_rows(_records(snapshot.get("attendees"))),
        agenda=_agenda_items(_records(snapshot.get("agenda"))),
        development=_clean(meeting.get("development")),
        commitments=_commitment_rows(_records(snapshot.get("commitments"))),
        documents=_document_rows(_records(snapshot.get("documents"))),
        change_note=_change_note(version, _clean(snapshot.get("change_reason"))),
        signatories=_signatories(meeting, _mapping(snapshot.get("issued_by"))),
        issued_line=_issued_line(
            snapshot.get("issued_at"), _or_dash(snapshot.get("content_hash"))
        ),
        footer_line=_footer_line(format_code, number, version),
        page_label_parts=_page_label_parts(),
        format_code=format_code,
        issued_at_iso=issued_at.isoformat() if issued_at and issued_at.tzinfo else "",
        placeholders=_placeholders(),
    )


def acta_filename(snapshot: Mapping[str, Any], extension: str) -> str:
    """Return an ASCII-safe download name, e.g. ``Acta-ACT-2026-0003-v2.pdf``."""
    meeting = _mapping(snapshot.get("meeting"))
    number = _ascii_slug(meeting.get("number")) or "sin-numero"
    version = _ascii_slug(snapshot.get("version")) or "1"
    suffix = re.sub(r"[^a-z0-9]", "", extension.lower()) or "bin"
    return f"Acta-{number}-v{version}.{suffix}"


def _ascii_slug(value: Any) -> str:
    text = unicodedata.normalize("NFKD", _clean(value))
    text = text.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


# --------------------------------------------------------------------------
# PDF (WeasyPrint).
# --------------------------------------------------------------------------

_TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "planning"


def render_pdf(snapshot: Mapping[str, Any]) -> bytes:
    """Render the acta as a tagged PDF (letter size) and return its bytes.

    The HTML comes from ``planning/acta_pdf.html`` with autoescaping on; WeasyPrint
    runs with a URL fetcher that allows no protocol at all, so rendering never
    touches the network or the file system beyond the installed fonts.
    """
    html = render_to_string(PDF_TEMPLATE, {"acta": build_view(snapshot)})
    document = weasyprint.HTML(
        string=html,
        base_url=str(_TEMPLATE_DIR),
        url_fetcher=weasyprint.URLFetcher(allowed_protocols=()),
    )
    return bytes(document.write_pdf(pdf_tags=True))


# --------------------------------------------------------------------------
# DOCX (python-docx).
# --------------------------------------------------------------------------

_DOCX_FONT = "Arial"
_MONO_FONT = "Courier New"
_HEADER_FILL = "D9D9D9"
_TEXT_WIDTH = Cm(21.59 - 4)  # letter width less 2 cm margins each side


def render_docx(snapshot: Mapping[str, Any]) -> bytes:
    """Render the acta as a Word document (letter size) and return its bytes.

    The institutional header table lives in the section header, so Word repeats
    it on every page; the footer carries "Página X de Y" as PAGE/NUMPAGES fields.
    """
    view = build_view(snapshot)
    document = docx.Document()
    _setup_document(document, view)
    section = document.sections[0]
    _add_institutional_header(section.header, view)
    _add_page_footer(section.footer, view)

    document.add_heading(view.heading, level=1)
    _add_paragraph(document, view.version_line, bold=True)
    document.add_heading(_("Datos de la reunión"), level=2)
    _add_field_table(document, view.meeting_fields)
    _add_attendees(document, view)
    _add_agenda(document, view)
    _add_development(document, view)
    _add_commitments(document, view)
    _add_documents(document, view)
    if view.change_note:
        _add_paragraph(document, view.change_note, italic=True)
    _add_signatures(document, view)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _setup_document(document: Any, view: ActaView) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.59), Cm(27.94)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.header_distance = section.footer_distance = Cm(1)

    normal = document.styles["Normal"]
    normal.font.name = _DOCX_FONT
    normal.font.size = Pt(10)
    _set_language(document, "es-CO")
    for name in ("Heading 1", "Heading 2", "Heading 3", "Heading 4"):
        style = document.styles[name]
        style.font.name = _DOCX_FONT
        style.font.color.rgb = RGBColor(0x1F, 0x2A, 0x44)

    properties = document.core_properties
    properties.title = f"{view.heading} · {view.version_line}"
    properties.subject = view.meeting_title
    properties.author = view.organization_name
    properties.last_modified_by = view.organization_name
    properties.keywords = view.format_code
    properties.category = view.document_title
    properties.language = "es-CO"
    properties.comments = view.issued_line
    if view.issued_at_iso:
        issued_at = datetime.fromisoformat(view.issued_at_iso).astimezone(UTC)
        properties.created = properties.modified = issued_at


def _set_language(document: Any, language: str) -> None:
    """Make ``language`` the proofing language of the whole document."""
    defaults = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang")
    for lang in defaults:
        lang.set(qn("w:val"), language)
    if not defaults:
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), language)
        document.styles["Normal"].element.get_or_add_rPr().append(lang)


def _add_paragraph(
    container: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    style: str | None = None,
    align: Any = None,
) -> Any:
    """Add a paragraph with one run; ``\\n`` in ``text`` becomes a line break."""
    paragraph = (
        container.add_paragraph(style=style) if style else container.add_paragraph()
    )
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if size is not None:
        run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _set_cell(
    cell: Any, lines: Sequence[str], *, bold_first: bool = False, size: float = 9
) -> None:
    """Replace a cell's content with one paragraph per line."""
    cell.paragraphs[0].text = ""
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        run = paragraph.add_run(line)
        run.font.size = Pt(size)
        run.bold = (bold_first and index == 0) or None


def _shade(cell: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_as_header_row(row: Any) -> None:
    row_properties = row._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row_properties.append(marker)


def _set_widths(table: Any, widths: Sequence[Any]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _add_data_table(
    document: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[Any],
) -> Any:
    """Add a grid table with a shaded header row that repeats on each page."""
    table = document.add_table(rows=1, cols=len(headers), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        _set_cell(cell, [header], bold_first=True)
        _shade(cell, _HEADER_FILL)
    _repeat_as_header_row(table.rows[0])
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            _set_cell(cell, [value])
    _set_widths(table, widths)
    return table


def _add_field_table(document: Any, fields: Sequence[Field]) -> Any:
    """Add a two-column label/value table."""
    table = document.add_table(rows=0, cols=2, style="Table Grid")
    for item in fields:
        label_cell, value_cell = table.add_row().cells
        _set_cell(label_cell, [item.label], bold_first=True)
        _shade(label_cell, _HEADER_FILL)
        _set_cell(value_cell, [item.value])
    _set_widths(table, (Cm(4.5), _TEXT_WIDTH - Cm(4.5)))
    return table


def _add_institutional_header(header: Any, view: ActaView) -> None:
    widths = (Cm(5.5), Cm(6.6), Cm(5.49))
    table = header.add_table(rows=1, cols=3, width=_TEXT_WIDTH)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, centre, right = table.rows[0].cells
    _set_cell(
        left,
        [
            line
            for line in (view.organization_name, view.organization_short_name)
            if line
        ],
        bold_first=True,
    )
    _set_cell(
        centre,
        [line for line in (view.document_title, view.process) if line],
        bold_first=True,
    )
    _set_cell(
        right, [f"{item.label}: {item.value}" for item in view.format_fields], size=8
    )
    for cell in (left, centre):
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_widths(table, widths)
    # Keep the table first; the header's own empty paragraph then spaces it
    # from the body (a header must end with a paragraph).
    header.paragraphs[0]._p.addprevious(table._tbl)


def _add_page_footer(footer: Any, view: ActaView) -> None:
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run(f"{view.footer_line} · ").font.size = Pt(8)
    for kind, text in view.page_label_parts:
        if kind == "text":
            paragraph.add_run(text).font.size = Pt(8)
        else:
            _add_field(paragraph, "PAGE" if kind == "page" else "NUMPAGES")


def _add_field(paragraph: Any, instruction: str) -> None:
    """Append a simple Word field (PAGE, NUMPAGES) with a placeholder result."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    run_properties = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "16")
    run_properties.append(size)
    run.append(run_properties)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _add_attendees(document: Any, view: ActaView) -> None:
    document.add_heading(_("Asistentes"), level=2)
    if not view.attendees:
        _add_paragraph(document, view.placeholders["attendees"], italic=True)
        return
    _add_data_table(
        document,
        (_("Nombre"), _("Cargo"), _("Dependencia o entidad"), _("Asistió")),
        [
            (
                f"{row.name} {row.external_note}".strip(),
                row.position,
                row.affiliation,
                row.attended,
            )
            for row in view.attendees
        ],
        (Cm(5), Cm(4.5), Cm(5.59), Cm(2.5)),
    )


def _add_agenda(document: Any, view: ActaView) -> None:
    document.add_heading(_("Orden del día"), level=2)
    if not view.agenda:
        _add_paragraph(document, view.placeholders["agenda"], italic=True)
        return
    for item in view.agenda:
        paragraph = _add_paragraph(
            document, f"{item.number}. {item.topic}", style="List Paragraph"
        )
        paragraph.paragraph_format.space_after = Pt(2)


def _add_development(document: Any, view: ActaView) -> None:
    document.add_heading(_("Desarrollo"), level=2)
    if view.development:
        _add_paragraph(document, view.development)
    else:
        _add_paragraph(document, view.placeholders["development"], italic=True)
    for item in view.agenda:
        document.add_heading(f"{item.number}. {item.topic}", level=3)
        if item.need:
            _add_paragraph(document, item.need, bold=True, size=9)
        if item.discussion:
            _add_paragraph(document, item.discussion)
        else:
            _add_paragraph(document, view.placeholders["discussion"], italic=True)
        document.add_heading(_("Decisión"), level=4)
        _add_field_table(document, item.decision)


def _add_commitments(document: Any, view: ActaView) -> None:
    document.add_heading(_("Compromisos"), level=2)
    if not view.commitments:
        _add_paragraph(document, view.placeholders["commitments"], italic=True)
        return
    _add_data_table(
        document,
        (_("No."), _("Compromiso"), _("Responsable"), _("Fecha")),
        [
            (row.number, row.description, row.responsible, row.due_date)
            for row in view.commitments
        ],
        (Cm(1.2), Cm(8.89), Cm(4.5), Cm(3)),
    )


def _add_documents(document: Any, view: ActaView) -> None:
    document.add_heading(_("Documentos anexos"), level=2)
    if not view.documents:
        _add_paragraph(document, view.placeholders["documents"], italic=True)
        return
    table = _add_data_table(
        document,
        (_("No."), _("Documento"), _("Huella SHA-256")),
        [(row.number, row.name, row.sha256) for row in view.documents],
        (Cm(1.2), Cm(6.69), Cm(9.7)),
    )
    for row in table.rows[1:]:
        for run in row.cells[2].paragraphs[0].runs:
            run.font.name = _MONO_FONT
            run.font.size = Pt(6.5)


def _add_signatures(document: Any, view: ActaView) -> None:
    document.add_heading(_("Firmas"), level=2)
    table = document.add_table(rows=1, cols=len(view.signatories))
    for cell, signatory in zip(table.rows[0].cells, view.signatories, strict=True):
        _set_cell(
            cell,
            [
                signatory.role,
                "",
                "",
                "_" * 34,
                _("Firma"),
                signatory.name,
                signatory.position,
            ],
            bold_first=True,
        )
        cell.paragraphs[5].runs[0].bold = True
    _add_paragraph(document, view.issued_line, size=7, align=WD_ALIGN_PARAGRAPH.LEFT)
