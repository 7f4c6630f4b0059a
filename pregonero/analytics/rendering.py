"""The management report's outputs from one view model: HTML, PDF, DOCX, XLSX.

:func:`build_view` turns the report's figures (``Report.data``, see
``figures.compute_report_data``) and its three texts into sections of
paragraphs, tables and charts, with every number formatted once, the
Colombian way (1.234,5). The HTML template ``analytics/report_document.html``
draws it for the web page and, through WeasyPrint, for the PDF (institutional
header and footer, page numbers by ``@page`` counters, charts as inline SVG
with ``<title>``/``<desc>``, tagged PDF). python-docx writes the same sections
as an editable Word document, openpyxl writes every figure as a number, one
sheet per section. Imitates ``planning/acta.py``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from pregonero.core.models import Organization

    from .models import Report

FORMATS = ("html", "pdf", "docx", "xlsx")
TEMPLATE = "analytics/report_document.html"
DASH = "—"

# Characters XML (DOCX, XLSX) cannot carry.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL.sub("", text).strip()


# --------------------------------------------------------------- numbers


def fmt_number(value: Any, decimals: int | None = None) -> str:
    """1234567.5 → "1.234.567,5"; None → "—"."""
    if value is None or value == "":
        return DASH
    if isinstance(value, bool) or not isinstance(value, int | float):
        return clean(value)
    if decimals is None:
        decimals = 0 if float(value).is_integer() else (1 if abs(value) >= 100 else 2)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_pct(value: Any) -> str:
    return DASH if value is None else f"{fmt_number(value, 1)} %"


def fmt_signed(value: Any) -> str:
    if value is None:
        return DASH
    return ("+" if value > 0 else "") + fmt_number(value)


def fmt_signed_pct(value: Any) -> str:
    if value is None:
        return DASH
    return ("+" if value > 0 else "") + fmt_pct(value)


# --------------------------------------------------------------- view model


@dataclass
class Cell:
    text: str
    value: Any = None  # the number for spreadsheets (None: use the text)


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    numeric_from: int = 1  # columns from this index are right-aligned


@dataclass
class Chart:
    id: str
    title: str
    description: str
    svg: SafeString


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (heading, body)
    links: list[tuple[str, list[dict[str, str]]]] = field(default_factory=list)


@dataclass
class ReportView:
    title: str
    organization_name: str
    organization_short_name: str
    office: str
    process: str
    period_label: str
    status_label: str
    is_draft: bool
    approval_line: str
    format_code: str
    version: str
    generated_line: str
    footer_line: str
    sections: list[Section]
    page_label_parts: tuple[tuple[str, str], ...]


def n(value: Any) -> Cell:
    return Cell(fmt_number(value), value)


def pct(value: Any) -> Cell:
    return Cell(fmt_pct(value), value)


def t(value: Any) -> Cell:
    return Cell(clean(value) or DASH)


def _rows_breakdown(rows: Sequence[Mapping[str, Any]]) -> list[list[Cell]]:
    return [[t(r.get("label")), n(r.get("count"))] for r in rows]


def _date(value: Any) -> str:
    import datetime

    try:
        day = datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return clean(value) or DASH
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _page_label_parts() -> tuple[tuple[str, str], ...]:
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", _("Página %(page)s de %(pages)s"))
    kinds = {"%(page)s": "page", "%(pages)s": "pages"}
    return tuple((kinds.get(part, "text"), part) for part in parts if part)


def build_view(
    data: Mapping[str, Any],
    texts: Mapping[str, str],
    *,
    status_label: str = "",
    is_draft: bool = True,
    approval_line: str = "",
    version: Any = 1,
    format_code: str = "",
) -> ReportView:
    """Everything the report shows, formatted, in order, for every renderer."""
    org = data.get("organization", {})
    period = data.get("period", {})
    title = clean(texts.get("title")) or _(
        "Informe de gestión de redes sociales — %(period)s"
    ) % {"period": clean(period.get("label"))}
    sections = [
        _section_period(data),
        _section_community(data),
        _section_production(data),
        _section_performance(data),
        _section_process(data),
    ]
    if data.get("citizens"):
        sections.append(_section_citizens(data["citizens"]))
    sections += [_section_red(data), _section_comparison(data), _section_texts(texts)]
    generated = _(
        "Cifras calculadas el %(date)s con datos capturados hasta el %(as_of)s."
    ) % {
        "date": _date(data.get("generated_at")),
        "as_of": _date(data.get("as_of")),
    }
    footer = " · ".join(
        part
        for part in (
            format_code,
            clean(org.get("short_name")) or clean(org.get("name")),
            _("versión %(version)s") % {"version": version},
            _("BORRADOR") if is_draft else "",
        )
        if part
    )
    return ReportView(
        title=title,
        organization_name=clean(org.get("name")) or DASH,
        organization_short_name=clean(org.get("short_name")),
        office=clean(org.get("office")),
        process=clean(org.get("process")),
        period_label=clean(period.get("label")),
        status_label=status_label,
        is_draft=is_draft,
        approval_line=approval_line,
        format_code=format_code,
        version=str(version),
        generated_line=generated,
        footer_line=footer,
        sections=sections,
        page_label_parts=_page_label_parts(),
    )


def _section_period(data: Mapping[str, Any]) -> Section:
    period = data.get("period", {})
    accounts = data.get("accounts", [])
    return Section(
        id="periodo",
        title=_("1. Periodo y cuentas"),
        paragraphs=[
            _(
                "Periodo: %(label)s (del %(start)s al %(end)s, %(days)s días, hora de Bogotá)."
            )
            % {
                "label": clean(period.get("label")),
                "start": _date(period.get("start")),
                "end": _date(period.get("end")),
                "days": period.get("days", DASH),
            }
        ],
        tables=[
            Table(
                _("Cuentas de la entidad incluidas en el informe"),
                [_("Cuenta"), _("Red"), _("Usuario")],
                [
                    [t(a["name"]), t(a["network_label"]), t(a["handle"])]
                    for a in accounts
                ],
                numeric_from=99,
            )
        ],
    )


def _section_community(data: Mapping[str, Any]) -> Section:
    community = data.get("community", {})
    rows = [
        [
            t(r["name"]),
            t(r["network_label"]),
            n(r["followers_start"]),
            n(r["followers_end"]),
            Cell(fmt_signed(r["net"]), r["net"]),
            Cell(fmt_signed_pct(r["growth_pct"]), r["growth_pct"]),
        ]
        for r in community.get("rows", [])
    ]
    total = community.get("total", {})
    rows.append(
        [
            t(_("Total")),
            t(""),
            n(total.get("followers_start")),
            n(total.get("followers_end")),
            Cell(fmt_signed(total.get("net")), total.get("net")),
            Cell(fmt_signed_pct(total.get("growth_pct")), total.get("growth_pct")),
        ]
    )
    return Section(
        id="comunidad",
        title=_("2. Comunidad (IND-07)"),
        paragraphs=[clean(community.get("note"))],
        tables=[
            Table(
                _("Seguidores al inicio y al cierre del periodo, por red"),
                [
                    _("Cuenta"),
                    _("Red"),
                    _("Al inicio"),
                    _("Al cierre"),
                    _("Crecimiento neto"),
                    _("Variación"),
                ],
                rows,
                numeric_from=2,
            )
        ],
        charts=_charts(data, ("followers",)),
    )


def _section_production(data: Mapping[str, Any]) -> Section:
    prod = data.get("production", {})
    tables = [
        Table(
            _("Publicaciones hechas por canal"),
            [_("Canal"), _("Publicaciones")],
            _rows_breakdown(prod.get("by_channel", [])),
        ),
        Table(
            _("Piezas publicadas por formato"),
            [_("Formato"), _("Piezas")],
            _rows_breakdown(prod.get("by_format", [])),
        ),
        Table(
            _("Piezas publicadas por público de interés"),
            [_("Público"), _("Piezas")],
            _rows_breakdown(prod.get("by_audience", [])),
        ),
        Table(
            _("Piezas publicadas por programa"),
            [_("Programa"), _("Piezas")],
            _rows_breakdown(prod.get("by_program", [])),
        ),
        Table(
            _("Piezas publicadas por campaña"),
            [_("Campaña"), _("Piezas")],
            _rows_breakdown(prod.get("by_campaign", [])),
        ),
    ]
    return Section(
        id="produccion",
        title=_("3. Producción"),
        paragraphs=[
            _("En el periodo se hicieron %(pubs)s publicaciones de %(pieces)s piezas.")
            % {
                "pubs": fmt_number(prod.get("publications", 0)),
                "pieces": fmt_number(prod.get("pieces", 0)),
            }
        ],
        tables=tables,
        charts=_charts(data, ("publications_by_channel",)),
    )


def _section_performance(data: Mapping[str, Any]) -> Section:
    perf = data.get("performance", {})
    rows = []
    for r in perf.get("rows", []):
        f = r.get("figures", {})
        rows.append(
            [
                t(r["name"]),
                n(f.get("reach")),
                n(f.get("views")),
                n(f.get("interactions")),
                pct(r.get("engagement_rate")),
                t(r.get("engagement_base_label")),
                t(r.get("source_label")),
            ]
        )
    totals = perf.get("totals", {}).get("figures", {})
    rows.append(
        [
            t(_("Total")),
            n(totals.get("reach")),
            n(totals.get("views")),
            n(totals.get("interactions")),
            pct(perf.get("totals", {}).get("engagement_rate")),
            t(_("Alcance")),
            t(""),
        ]
    )
    tables = [
        Table(
            _("Alcance, visualizaciones, interacciones y tasa de interacción por red"),
            [
                _("Cuenta"),
                _("Alcance"),
                _("Visualizaciones"),
                _("Interacciones"),
                _("Tasa de interacción"),
                _("Base de la tasa"),
                _("Origen de las cifras"),
            ],
            rows,
        )
    ]
    links: list[tuple[str, list[dict[str, str]]]] = []
    for group in perf.get("top_posts", []):
        caption = _("Las %(n)s publicaciones con más interacciones: %(name)s") % {
            "n": len(group["posts"]),
            "name": clean(group["name"]),
        }
        tables.append(
            Table(
                caption,
                [
                    _("Publicación"),
                    _("Fecha"),
                    _("Alcance"),
                    _("Visualizaciones"),
                    _("Interacciones"),
                    _("Tasa"),
                ],
                [
                    [
                        t((p.get("text") or "")[:120] or _("(sin texto)")),
                        t(_date(p.get("published_at"))),
                        n(p.get("reach")),
                        n(p.get("views")),
                        n(p.get("interactions")),
                        pct(p.get("engagement_rate")),
                    ]
                    for p in group["posts"]
                ],
                numeric_from=2,
            )
        )
        links.append(
            (
                caption,
                [
                    {
                        "text": clean((p.get("text") or "")[:80]) or _("(sin texto)"),
                        "permalink": clean(p.get("permalink")),
                        "thumbnail_url": clean(p.get("thumbnail_url")),
                    }
                    for p in group["posts"]
                ],
            )
        )
    return Section(
        id="desempeno",
        title=_("4. Desempeño (IND-08)"),
        paragraphs=[clean(perf.get("formula"))],
        tables=tables,
        charts=_charts(
            data, ("daily_reach", "daily_interactions", "interactions_by_network")
        ),
        links=links,
    )


SEVERITY_LABELS = {
    "error": gettext_lazy("error"),
    "warning": gettext_lazy("advertencia"),
    "info": gettext_lazy("información"),
}


def _ratio(a: Any, b: Any) -> str:
    return f"{fmt_number(a)} / {fmt_number(b)}"


def _section_process(data: Mapping[str, Any]) -> Section:
    p = data.get("process", {})
    first = {r["control_point"]: r for r in p.get("first_pass", [])}
    tl = p.get("timeliness", {})
    da = p.get("documented_approval", {})
    acc = p.get("accessibility", {})
    plan = p.get("plan", {})
    lang = p.get("language", {})
    key_rows = [
        [
            t(
                "IND-01 "
                + _(
                    "Oportunidad (publicadas a tiempo ÷ con fecha deseada en el periodo)"
                )
            ),
            pct(tl.get("rate")),
            t(_ratio(tl.get("on_time"), tl.get("due"))),
        ],
        [
            t("IND-02 " + _("Publicaciones con aprobación documentada (meta 100 %)")),
            pct(da.get("rate")),
            t(_ratio(da.get("approved"), da.get("total"))),
        ],
        [
            t("IND-03 " + _("Piezas accesibles (meta 100 %)")),
            pct(acc.get("rate")),
            t(_ratio(acc.get("pieces_compliant"), acc.get("pieces_requiring"))),
        ],
        [
            t(_("Imágenes con texto alternativo")),
            pct(acc.get("images_rate")),
            t(_ratio(acc.get("images_with_alt"), acc.get("images"))),
        ],
        [
            t(_("Videos con subtítulos")),
            pct(acc.get("videos_rate")),
            t(_ratio(acc.get("videos_with_captions"), acc.get("videos"))),
        ],
        [
            t(
                _(
                    "Aprobaciones sin errores del verificador de lenguaje y "
                    "accesibilidad (meta 100 %)"
                )
            ),
            pct(lang.get("rate")),
            t(_ratio(lang.get("clean"), lang.get("approvals"))),
        ],
        [
            t(_("Aprobaciones con errores aceptados por escrito (justificación)")),
            n(lang.get("overridden")),
            t(_ratio(lang.get("overridden"), lang.get("approvals"))),
        ],
        [
            t("IND-09 " + _("Cumplimiento del plan (publicadas ÷ programadas)")),
            pct(plan.get("rate")),
            t(_ratio(plan.get("published"), plan.get("planned"))),
        ],
    ]
    for point in (1, 2):
        row = first.get(point, {})
        key_rows.append(
            [
                t(
                    _("Aprobación al primer intento, punto de control %(n)s")
                    % {"n": point}
                ),
                pct(row.get("rate")),
                t(_ratio(row.get("approved_first_time"), row.get("first_decisions"))),
            ]
        )
    times = p.get("times", {})
    time_rows = [
        [
            t(times.get("need_to_publication", {}).get("label")),
            n(times.get("need_to_publication", {}).get("count")),
            n(times.get("need_to_publication", {}).get("median_hours")),
            n(times.get("need_to_publication", {}).get("p90_hours")),
        ]
    ] + [
        [t(s["label"]), n(s["count"]), n(s["median_hours"]), n(s["p90_hours"])]
        for s in times.get("stages", [])
    ]
    needs = p.get("needs", {})
    returns = p.get("returns", {})
    return Section(
        id="proceso",
        title=_("5. Indicadores del proceso"),
        paragraphs=[
            _("Necesidades recibidas en el periodo: %(n)s. Devoluciones: %(r)s.")
            % {
                "n": fmt_number(needs.get("total", 0)),
                "r": fmt_number(returns.get("total", 0)),
            }
        ],
        tables=[
            Table(
                _("Indicadores del procedimiento"),
                [_("Indicador"), _("Resultado"), _("Cálculo")],
                key_rows,
            ),
            Table(
                _("Tiempos del proceso en horas (mediana y percentil 90)"),
                [_("Etapa"), _("Piezas"), _("Mediana (h)"), _("P90 (h)")],
                time_rows,
            ),
            Table(
                _("Necesidades recibidas por origen"),
                [_("Origen"), _("Necesidades")],
                _rows_breakdown(needs.get("by_source", [])),
            ),
            Table(
                _("Necesidades recibidas por dependencia"),
                [_("Dependencia"), _("Necesidades")],
                _rows_breakdown(needs.get("by_dependency", [])),
            ),
            Table(
                _(
                    "Hallazgos del verificador de lenguaje y accesibilidad en las "
                    "decisiones del periodo, por regla"
                ),
                [_("Regla"), _("Severidad"), _("Hallazgos")],
                [
                    [
                        t(f"{r['rule']} {r['label']}"),
                        t(str(SEVERITY_LABELS.get(r["severity"], r["severity"]))),
                        n(r["count"]),
                    ]
                    for r in lang.get("by_rule", [])
                ],
                numeric_from=2,
            ),
            Table(
                _("Devoluciones por causa"),
                [_("Punto de control"), _("Causa"), _("Devoluciones")],
                [
                    [n(r["control_point"]), t(r["label"]), n(r["count"])]
                    for r in returns.get("reasons", [])
                ],
                numeric_from=2,
            ),
        ],
    )


def _section_citizens(citizens: Mapping[str, Any]) -> Section:
    rows = [[t(r.get("label")), n(r.get("value"))] for r in citizens.get("rows", [])]
    return Section(
        id="ciudadania",
        title=_("Atención a la ciudadanía"),
        tables=[
            Table(
                _("Atención a la ciudadanía en redes"),
                [_("Indicador"), _("Valor")],
                rows,
            )
        ],
    )


def _section_red(data: Mapping[str, Any]) -> Section:
    red = data.get("red_distrital", {})
    rows = [
        [
            t(a["title"]),
            t(a.get("hashtags")),
            t(_date(a["starts_on"])),
            t(_date(a["ends_on"]) if a.get("ends_on") else ""),
            n(a["partners"]),
            n(a["pieces"]),
        ]
        for a in red.get("actions", [])
    ]
    return Section(
        id="red-distrital",
        title=_("6. Red Distrital de Redes Sociales"),
        paragraphs=[
            _("Acciones conjuntas activas en el periodo: %(n)s.")
            % {"n": fmt_number(red.get("total", 0))}
        ],
        tables=[
            Table(
                _("Acciones conjuntas con la Red Distrital"),
                [
                    _("Acción"),
                    _("Etiquetas"),
                    _("Desde"),
                    _("Hasta"),
                    _("Entidades"),
                    _("Piezas"),
                ],
                rows,
                numeric_from=4,
            )
        ]
        if rows
        else [],
    )


def _section_comparison(data: Mapping[str, Any]) -> Section:
    comp = data.get("comparison", {})
    prev = comp.get("previous", {})
    year = comp.get("year_before", {})
    rows = []
    for r in comp.get("rows", []):
        percent = r["key"] == "engagement_rate"
        fmt = fmt_pct if percent else fmt_number
        rows.append(
            [
                t(r["label"]),
                Cell(fmt(r["current"]), r["current"]),
                Cell(fmt(r["previous"]), r["previous"]),
                Cell(fmt_signed(r["delta_previous"]), r["delta_previous"]),
                Cell(fmt_signed_pct(r["delta_previous_pct"]), r["delta_previous_pct"]),
                Cell(fmt(r["year_before"]), r["year_before"]),
                Cell(fmt_signed(r["delta_year"]), r["delta_year"]),
                Cell(fmt_signed_pct(r["delta_year_pct"]), r["delta_year_pct"]),
            ]
        )
    return Section(
        id="comparacion",
        title=_("7. Comparación"),
        paragraphs=[
            _("Periodo anterior: %(prev)s. Mismo periodo del año anterior: %(year)s.")
            % {"prev": clean(prev.get("label")), "year": clean(year.get("label"))}
        ],
        tables=[
            Table(
                _(
                    "Comparación con el periodo anterior y con el mismo periodo del año anterior"
                ),
                [
                    _("Cifra"),
                    _("Este periodo"),
                    _("Periodo anterior"),
                    _("Diferencia"),
                    _("Variación"),
                    _("Año anterior"),
                    _("Diferencia"),
                    _("Variación"),
                ],
                rows,
            )
        ],
    )


def _section_texts(texts: Mapping[str, str]) -> Section:
    empty = _("(sin redactar)")
    return Section(
        id="analisis",
        title=_("8. Análisis, conclusiones y acciones"),
        texts=[
            (_("Análisis"), clean(texts.get("analysis")) or empty),
            (_("Conclusiones"), clean(texts.get("conclusions")) or empty),
            (
                _("Acciones para fortalecer las estrategias"),
                clean(texts.get("actions")) or empty,
            ),
        ],
    )


# --------------------------------------------------------------- SVG charts

_COLORS = ("#1f4e79", "#c55a11", "#548235", "#7030a0")
_W, _H = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 16, 16, 56


def _charts(data: Mapping[str, Any], ids: Sequence[str]) -> list[Chart]:
    wanted = {c["id"]: c for c in data.get("charts", []) if c.get("id") in ids}
    return [_chart(wanted[i]) for i in ids if i in wanted]


def _chart(chart: Mapping[str, Any]) -> Chart:
    labels = [clean(x) for x in chart.get("labels", [])]
    series = chart.get("series", [])
    description = _describe(chart, labels, series)
    body = (
        _bar_svg(labels, series)
        if chart.get("kind") == "bar"
        else _line_svg(labels, series)
    )
    cid = escape(chart["id"])
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="100%" '
        f'role="img" aria-labelledby="chart-{cid}-title chart-{cid}-desc" class="report-chart">'
        f'<title id="chart-{cid}-title">{escape(clean(chart.get("title")))}</title>'
        f'<desc id="chart-{cid}-desc">{escape(description)}</desc>{body}</svg>'
    )
    # Built here from numbers and escaped labels only.
    return Chart(chart["id"], clean(chart.get("title")), description, mark_safe(svg))


def _describe(chart: Mapping[str, Any], labels: list[str], series: Any) -> str:
    if chart.get("kind") == "bar":
        parts = []
        for index, label in enumerate(labels):
            values = ", ".join(
                f"{clean(s['label'])} {fmt_number(s['values'][index])}" for s in series
            )
            parts.append(f"{label}: {values}")
        return "; ".join(parts) + "."
    summaries = []
    for s in series:
        numbers = [v for v in s["values"] if v is not None]
        if not numbers:
            continue
        summaries.append(
            _(
                "%(label)s del %(first)s al %(last)s: total %(total)s, mínimo diario %(min)s, "
                "máximo diario %(max)s"
            )
            % {
                "label": clean(s["label"]),
                "first": _date(labels[0]) if labels else DASH,
                "last": _date(labels[-1]) if labels else DASH,
                "total": fmt_number(sum(numbers)),
                "min": fmt_number(min(numbers)),
                "max": fmt_number(max(numbers)),
            }
        )
    return "; ".join(summaries) + "."


def _scale(series: Any) -> float:
    top = max([float(v) for s in series for v in s["values"] if v is not None] + [0.0])
    return top or 1.0


def _axis(top: float) -> str:
    plot_h = _H - _TOP - _BOTTOM
    out = []
    for i in range(5):
        value = top * i / 4
        y = _H - _BOTTOM - plot_h * i / 4
        out.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#333">{escape(fmt_number(round(value)))}</text>'
        )
    return "".join(out)


def _bar_svg(labels: list[str], series: Any) -> str:
    top = _scale(series)
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    groups = max(len(labels), 1)
    group_w = plot_w / groups
    bar_w = group_w * 0.8 / max(len(series), 1)
    out = [_axis(top)]
    for g, label in enumerate(labels):
        x0 = _LEFT + g * group_w + group_w * 0.1
        for s_index, s in enumerate(series):
            value = float(s["values"][g] or 0)
            h = plot_h * value / top
            out.append(
                f'<rect x="{x0 + s_index * bar_w:.1f}" y="{_H - _BOTTOM - h:.1f}" '
                f'width="{bar_w * 0.92:.1f}" height="{h:.1f}" '
                f'fill="{_COLORS[s_index % len(_COLORS)]}"/>'
            )
        short = label if len(label) <= 22 else label[:21] + "…"
        out.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{_H - _BOTTOM + 16}" font-size="11" '
            f'text-anchor="middle" fill="#111">{escape(short)}</text>'
        )
    out.append(_legend(series))
    return "".join(out)


def _line_svg(labels: list[str], series: Any) -> str:
    top = _scale(series)
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    count = max(len(labels), 1)
    step = plot_w / max(count - 1, 1)
    out = [_axis(top)]
    for s_index, s in enumerate(series):
        points = " ".join(
            f"{_LEFT + i * step:.1f},{_H - _BOTTOM - plot_h * float(v or 0) / top:.1f}"
            for i, v in enumerate(s["values"])
        )
        out.append(
            f'<polyline points="{points}" fill="none" stroke-width="2" '
            f'stroke="{_COLORS[s_index % len(_COLORS)]}"/>'
        )
    for i in sorted({0, count // 2, count - 1}):
        if i < len(labels):
            out.append(
                f'<text x="{_LEFT + i * step:.1f}" y="{_H - _BOTTOM + 16}" font-size="11" '
                f'text-anchor="middle" fill="#111">{escape(_date(labels[i]))}</text>'
            )
    out.append(_legend(series))
    return "".join(out)


def _legend(series: Any) -> str:
    out = []
    x = _LEFT
    for index, s in enumerate(series):
        label = clean(s["label"])
        out.append(
            f'<rect x="{x}" y="{_H - 22}" width="12" height="12" '
            f'fill="{_COLORS[index % len(_COLORS)]}"/>'
            f'<text x="{x + 16}" y="{_H - 12}" font-size="11" fill="#111">{escape(label)}</text>'
        )
        x += 24 + 7 * len(label)
    return "".join(out)


# --------------------------------------------------------------- entry points


def texts_of(report: Report) -> dict[str, str]:
    return {
        "title": report.title,
        "analysis": report.analysis,
        "conclusions": report.conclusions,
        "actions": report.actions,
    }


def view_for_report(report: Report) -> ReportView:
    from .models import ReportStatus

    approval = ""
    if report.approved_at and report.approved_by_id:
        approver = report.approved_by
        approval = _("Aprobado por %(name)s el %(date)s.") % {
            "name": approver.get_full_name() or approver.username if approver else DASH,
            "date": _date(timezone.localtime(report.approved_at).date().isoformat()),
        }
    return build_view(
        report.data,
        texts_of(report),
        status_label=str(report.get_status_display()),
        is_draft=report.status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED),
        approval_line=approval,
        version=report.version,
        format_code=report_format_code(),
    )


def report_format_code() -> str:
    from django.conf import settings

    return str(getattr(settings, "PREGONERO_REPORT_FORMAT_CODE", ""))


def render_report(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (html, pdf, docx, xlsx), from its stored figures."""
    return _render(view_for_report(report), fmt)


def render_data(
    organization: Organization | None,
    data: Mapping[str, Any],
    fmt: str,
    texts: Mapping[str, str] | None = None,
) -> bytes:
    """Figures computed on the fly (no report record): always marked BORRADOR."""
    view = build_view(
        data,
        texts or {},
        status_label=_("Borrador (cifras calculadas al momento)"),
        is_draft=True,
        format_code=report_format_code(),
    )
    return _render(view, fmt)


def _render(view: ReportView, fmt: str) -> bytes:
    if fmt == "html":
        return render_html(view, standalone=True).encode()
    if fmt == "pdf":
        return render_pdf(view)
    if fmt == "docx":
        return render_docx(view)
    if fmt == "xlsx":
        return render_xlsx(view)
    raise ValueError(f"unknown format {fmt!r}")


def render_html(view: ReportView, *, standalone: bool, pdf: bool = False) -> str:
    return render_to_string(
        TEMPLATE, {"report": view, "standalone": standalone, "pdf": pdf}
    )


def render_pdf(view: ReportView) -> bytes:
    import weasyprint

    html = render_html(view, standalone=True, pdf=True)
    document = weasyprint.HTML(
        string=html, url_fetcher=weasyprint.URLFetcher(allowed_protocols=())
    )
    return bytes(document.write_pdf(pdf_tags=True))


def report_filename(report: Report, fmt: str) -> str:
    """ASCII download name, e.g. ``Informe-redes-2026-10-01-a-2026-10-31-v1.pdf``."""
    return (
        f"Informe-redes-{report.period_start.isoformat()}-a-"
        f"{report.period_end.isoformat()}-v{report.version}.{fmt}"
    )


def data_filename(data: Mapping[str, Any], fmt: str) -> str:
    period = data.get("period", {})
    name = f"Informe-redes-{period.get('start', '')}-a-{period.get('end', '')}-borrador"
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return f"{re.sub(r'[^A-Za-z0-9.-]+', '-', name)}.{fmt}"


# --------------------------------------------------------------- DOCX


def render_docx(view: ReportView) -> bytes:
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from pregonero.planning.acta import (
        _add_field,
        _repeat_as_header_row,
        _set_cell,
        _set_language,
        _shade,
    )

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.59), Cm(27.94)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    _set_language(document, "es-CO")
    properties = document.core_properties
    properties.title = view.title
    properties.author = view.organization_name
    properties.language = "es-CO"
    properties.keywords = view.format_code
    # Header: entity, office and document title; footer: reference and pages.
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = header.add_run(view.organization_name)
    run.bold = True
    run.font.size = Pt(9)
    header.add_run(
        "\n" + " · ".join(p for p in (view.office, view.process, view.format_code) if p)
    ).font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run(f"{view.footer_line} · ").font.size = Pt(8)
    for kind, text in view.page_label_parts:
        if kind == "text":
            footer.add_run(text).font.size = Pt(8)
        else:
            _add_field(footer, "PAGE" if kind == "page" else "NUMPAGES")

    document.add_heading(view.title, level=1)
    document.add_paragraph(
        " · ".join(p for p in (view.status_label, view.approval_line) if p)
    )
    document.add_paragraph(view.generated_line)
    for part in view.sections:
        document.add_heading(part.title, level=2)
        for paragraph in part.paragraphs:
            if paragraph:
                document.add_paragraph(paragraph)
        for chart in part.charts:
            p = document.add_paragraph()
            label = p.add_run(_("Gráfico: %(title)s. ") % {"title": chart.title})
            label.bold = True
            p.add_run(chart.description)
        for table_view in part.tables:
            caption = document.add_paragraph()
            caption.add_run(table_view.caption).bold = True
            table = document.add_table(
                rows=1, cols=len(table_view.headers), style="Table Grid"
            )
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, header_text in zip(
                table.rows[0].cells, table_view.headers, strict=True
            ):
                _set_cell(cell, [header_text], bold_first=True)
                _shade(cell, "D9D9D9")
            _repeat_as_header_row(table.rows[0])
            for row in table_view.rows:
                cells = table.add_row().cells
                for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
                    _set_cell(cell, [value.text])
                    if index >= table_view.numeric_from:
                        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for caption_text, posts in part.links:
            document.add_paragraph(caption_text + ":").runs[0].italic = True
            for post in posts:
                document.add_paragraph(
                    f"{post['text']} — {post['permalink'] or DASH}", style="List Bullet"
                )
        for heading, body in part.texts:
            document.add_heading(heading, level=3)
            for block in body.split("\n\n"):
                document.add_paragraph(block)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------- XLSX


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", re.sub(r"^\d+\.\s*", "", title))[:31] or "Hoja"
    base, index = name, 2
    while name in used:
        suffix = f" {index}"
        name = base[: 31 - len(suffix)] + suffix
        index += 1
    used.add(name)
    return name


def render_xlsx(view: ReportView) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    used: set[str] = set()
    for part in view.sections:
        sheet = workbook.create_sheet(_sheet_name(part.title, used))
        sheet.append([view.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([view.organization_name])
        sheet.append([_("Periodo"), view.period_label])
        sheet["A3"].font = bold
        sheet.append([_("Estado"), view.status_label])
        sheet["A4"].font = bold
        sheet.append([])
        sheet.append([part.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)
        for paragraph in part.paragraphs:
            if paragraph:
                sheet.append([paragraph])
        for table in part.tables:
            sheet.append([])
            sheet.append([table.caption])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            sheet.append(table.headers)
            for column in range(1, len(table.headers) + 1):
                sheet.cell(row=sheet.max_row, column=column).font = bold
            for row in table.rows:
                sheet.append(
                    [
                        cell.value
                        if isinstance(cell.value, int | float)
                        and not isinstance(cell.value, bool)
                        else (cell.text if cell.text != DASH else None)
                        for cell in row
                    ]
                )
        for caption, posts in part.links:
            sheet.append([])
            sheet.append([caption])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            sheet.append([_("Publicación"), _("Enlace"), _("Miniatura")])
            for column in range(1, 4):
                sheet.cell(row=sheet.max_row, column=column).font = bold
            for post in posts:
                sheet.append([post["text"], post["permalink"], post["thumbnail_url"]])
        for heading, body in part.texts:
            sheet.append([])
            sheet.append([heading])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            sheet.append([body])
            sheet.cell(row=sheet.max_row, column=1).alignment = Alignment(
                wrap_text=True, vertical="top"
            )
        sheet.column_dimensions["A"].width = 60
        for letter in "BCDEFGH":
            sheet.column_dimensions[letter].width = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
