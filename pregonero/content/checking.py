"""The Spanish text checker applied to a piece (issue 5).

The main text is checked against the networks of the channels that publish it
(those without a variant of their own), each channel variant against its
channel's network, and the design files through their metadata. The same
report serves the editor (while typing, on the text as typed), the review page
and the decision at control points 1 and 2 (on the exact version judged), where
it is stored as evidence with the review.

Pure reads: no writes here. One query for the organization's checker settings,
plus what ``check_version`` loads (variants, channels, files).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pregonero.checks.config import CheckSettings, settings_for
from pregonero.checks.engine import REVIEWER_CHECKLIST, check_text
from pregonero.checks.findings import (
    SEVERITIES,
    SEVERITY_RANK,
    AssetInfo,
    Finding,
    Severity,
    Stats,
)
from pregonero.core.models import Channel, NetworkKind

from .models import Asset, AssetSet, CaptionsMode, Piece, TextVersion

# At a control point, approving with errors takes a written reason at least this long.
OVERRIDE_MIN_CHARS = 20
# Longer texts are not checked while typing (the API and the versions have their own limits).
MAX_CHECKED_CHARS = 100_000
# Stored with the review: the flagged words, cut to this length.
EXCERPT_CHARS = 120

SEVERITY_LABELS: dict[str, Promise] = {
    "error": gettext_lazy("Error"),
    "warning": gettext_lazy("Advertencia"),
    "info": gettext_lazy("Sugerencia"),
}
# A shape beside each label, so that colour is never the only signal.
SEVERITY_SYMBOLS = {"error": "✖", "warning": "▲", "info": "ℹ"}


def typed_text(value: str) -> str:
    """The text as the browser's textarea holds it (``\\n`` line ends), so that
    offsets computed here match the ones the editor's script applies."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def asset_info(asset: Asset) -> AssetInfo:
    """What the checker needs of a design file (ACC-01, ACC-02, ACC-04)."""
    kind = asset.kind if asset.kind in ("image", "video") else "other"
    mode = ""
    if asset.captions_mode == CaptionsMode.BURNED_IN:
        mode = "open"
    elif asset.captions_mode == CaptionsMode.SIDECAR and asset.captions_file:
        mode = "sidecar"
    if mode and not asset.captions_reviewed:
        mode = "auto"  # captions nobody reviewed are treated like automatic ones
    return AssetInfo(
        kind=kind,  # type: ignore[arg-type]  # narrowed above
        name=asset.original_name,
        alt_text=asset.alt_text,
        decorative=asset.decorative,
        captions_mode=mode,
        live=asset.captions_mode == CaptionsMode.LIVE,
    )


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class FieldReport:
    """The findings of one text of the piece (or of its design files)."""

    key: str  # "body", "variant:<channel id>" or "assets"
    label: str
    text: str
    findings: tuple[Finding, ...]
    stats: Stats | None = None
    networks: tuple[str, ...] = ()
    input_name: str = ""  # the editor's field ("body", "variant_3_body")

    @property
    def slug(self) -> str:
        return self.key.replace("variant:", "v")

    @property
    def network_labels(self) -> str:
        return ", ".join(str(NetworkKind(n).label) for n in self.networks)


@dataclass(frozen=True)
class PieceReport:
    fields: tuple[FieldReport, ...]
    assets: FieldReport | None = None
    too_long: bool = False

    @property
    def groups(self) -> tuple[FieldReport, ...]:
        return (*self.fields, *((self.assets,) if self.assets else ()))

    def all_findings(self) -> Iterator[tuple[FieldReport, Finding]]:
        for group in self.groups:
            for finding in group.findings:
                yield group, finding

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for _g, f in self.all_findings())

    def errors(self) -> list[tuple[FieldReport, Finding]]:
        return [(g, f) for g, f in self.all_findings() if f.severity == "error"]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for _group, finding in self.all_findings():
            counts[finding.severity] += 1
        return counts

    def evidence(self) -> list[dict[str, Any]]:
        """The findings as stored with a review and in its audit event."""
        return [
            {
                "field": group.key,
                "rule": f.rule,
                "severity": f.severity,
                "start": f.start,
                "end": f.end,
                "excerpt": group.text[f.start : f.end][:EXCERPT_CHARS],
                "message": f.message,
                "source": f.source,
                "asset": f.asset,
            }
            for group, f in self.all_findings()
        ]

    def error_summary(self) -> str:
        """The errors in one line, for a Spanish message."""
        parts = []
        for group, finding in self.errors():
            excerpt = group.text[finding.start : finding.end][:60]
            where = f"{group.label}, «{excerpt}»" if excerpt else group.label
            parts.append(f"{finding.rule} ({where}): {finding.message}")
        return " ".join(parts)


def check_texts(
    *,
    body: str,
    variants: Mapping[int, str],
    channels: Sequence[Channel],
    assets: Sequence[Asset] = (),
    settings: CheckSettings,
) -> PieceReport:
    """Check the main text, each channel's variant (``variants``: channel id →
    text; empty ones fall back to the main text) and the design files."""
    by_id = {c.pk: c for c in channels}
    own = {cid: text for cid, text in variants.items() if text.strip() and cid in by_id}
    body_networks = tuple(dict.fromkeys(c.network for c in channels if c.pk not in own))
    if len(body) > MAX_CHECKED_CHARS or any(
        len(t) > MAX_CHECKED_CHARS for t in own.values()
    ):
        return PieceReport(fields=(), too_long=True)
    infos = [asset_info(a) for a in assets]
    main = check_text(body, networks=body_networks, assets=infos, settings=settings)
    fields = [
        FieldReport(
            key="body",
            label=_("Texto principal"),
            text=body,
            findings=tuple(f for f in main.findings if f.asset is None),
            stats=main.stats,
            networks=body_networks,
            input_name="body",
        )
    ]
    for cid, text in own.items():
        channel = by_id[cid]
        result = check_text(text, networks=(channel.network,), settings=settings)
        fields.append(
            FieldReport(
                key=f"variant:{cid}",
                label=_("Variante para %(channel)s") % {"channel": channel.name},
                text=text,
                findings=result.findings,
                stats=result.stats,
                networks=(channel.network,),
                input_name=f"variant_{cid}_body",
            )
        )
    asset_findings = tuple(f for f in main.findings if f.asset is not None)
    assets_report = (
        FieldReport(
            key="assets",
            label=_("Archivos del diseño"),
            text="",
            findings=asset_findings,
        )
        if infos
        else None
    )
    return PieceReport(fields=tuple(fields), assets=assets_report)


def check_version(
    piece: Piece,
    text_version: TextVersion,
    asset_set: AssetSet | None,
    *,
    channels: Sequence[Channel] | None = None,
    assets: Sequence[Asset] | None = None,
) -> PieceReport:
    """The findings of the exact version under review: the text version with its
    variants and, at control point 2, the asset set being decided."""
    if "variants" in getattr(text_version, "_prefetched_objects_cache", {}):
        variants = list(text_version.variants.all())  # with their channels
    else:
        variants = list(text_version.variants.select_related("channel"))
    if channels is None:
        channels = list(piece.channels.all())
    known = {c.pk for c in channels}
    channels = [
        *channels,
        *(v.channel for v in variants if v.channel_id not in known),
    ]
    if assets is None:
        assets = list(asset_set.assets.all()) if asset_set is not None else []
    return check_texts(
        body=text_version.body,
        variants={v.channel_id: v.body for v in variants},
        channels=channels,
        assets=assets,
        settings=settings_for(piece.organization_id),
    )


# ---------------------------------------------------------------- reviewer questions


def checker_questions(
    control_point: int, assets: Iterable[Asset] = ()
) -> list[tuple[str, Promise]]:
    """What the checker cannot judge, asked of the reviewer where it applies:
    the important message first (control point 1), the text inside images and
    reviewed captions (control point 2, when the design has images or videos)."""
    kinds = {a.kind for a in assets}
    wanted = {1: {"LC-07"}, 2: set()}[control_point]
    if control_point == 2:
        if "image" in kinds:
            wanted.add("ACC-04")
        if "video" in kinds:
            wanted.add("ACC-02")
    return [(rule, label) for rule, label in REVIEWER_CHECKLIST if rule in wanted]


def clean_checker_answers(
    control_point: int, assets: Iterable[Asset], answers: Mapping[str, Any]
) -> dict[str, bool]:
    """The reviewer's answers to the questions that apply (False when not ticked);
    unknown keys are refused, known ones that do not apply here are ignored."""
    from pregonero.core.errors import ValidationFailed

    known = {rule for rule, _label in REVIEWER_CHECKLIST}
    unknown = set(answers) - known
    if unknown:
        raise ValidationFailed(
            _("La lista de chequeo del lenguaje tiene puntos desconocidos: %(keys)s.")
            % {"keys": ", ".join(sorted(unknown))},
            errors={"checker_checklist": [_("Puntos desconocidos.")]},
        )
    return {
        rule: bool(answers.get(rule))
        for rule, _label in checker_questions(control_point, assets)
    }


# ---------------------------------------------------------------- the panel


@dataclass(frozen=True)
class Segment:
    """A piece of the read-only mirror: plain, or marked with the highest
    severity of the findings that cover it; ``refs`` are the numbers of the
    findings that end right after it."""

    text: str
    severity: str = ""
    refs: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class FindingView:
    number: int
    anchor: str
    finding: Finding
    excerpt: str
    severity_label: str
    symbol: str
    apply: dict[str, Any] | None = None


@dataclass(frozen=True)
class GroupView:
    report: FieldReport
    items: list[FindingView]
    segments: list[Segment] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return f"chk-{self.report.slug}"

    @property
    def empty(self) -> bool:
        return self.report.key != "assets" and not self.report.text.strip()


def _segments(text: str, items: list[FindingView]) -> list[Segment]:
    spans = [
        (v.finding.start, v.finding.end, v.number, v.anchor, v.finding.severity)
        for v in items
        if v.finding.asset is None
        and 0 <= v.finding.start <= v.finding.end <= len(text)
    ]
    if not spans:
        return [Segment(text)] if text else []
    bounds = sorted({0, len(text)} | {s[0] for s in spans} | {s[1] for s in spans})
    ends: dict[int, list[tuple[int, str]]] = {}
    for _start, end, number, anchor, _sev in spans:
        ends.setdefault(end, []).append((number, anchor))
    out: list[Segment] = []
    if ends.get(0):
        out.append(Segment("", "", tuple(ends[0])))
    # Sweep: the spans open over each interval between two boundaries.
    by_start = sorted(spans)
    open_spans: list[tuple[int, int, int, str, str]] = []
    index = 0
    for lower, upper in pairwise(bounds):
        while index < len(by_start) and by_start[index][0] <= lower:
            open_spans.append(by_start[index])
            index += 1
        open_spans = [s for s in open_spans if s[1] > lower]
        covering = [s for s in open_spans if s[0] < upper]
        severity = (
            max((s[4] for s in covering), key=lambda v: SEVERITY_RANK[v])
            if covering
            else ""
        )
        refs = tuple(ends.get(upper, ()))
        previous = out[-1] if out else None
        if previous and not previous.refs and previous.severity == severity:
            out[-1] = Segment(previous.text + text[lower:upper], severity, refs)
        else:
            out.append(Segment(text[lower:upper], severity, refs))
    return out


def _group_view(report: FieldReport, *, editable: bool) -> GroupView:
    items = []
    for number, finding in enumerate(report.findings, start=1):
        excerpt = report.text[finding.start : finding.end]
        apply = None
        if editable and finding.replacement is not None and report.input_name:
            apply = {
                "field": f"id_{report.input_name}",
                "start": finding.start,
                "end": finding.end,
                "original": excerpt,
                "replacement": finding.replacement,
            }
        severity: Severity = finding.severity
        items.append(
            FindingView(
                number=number,
                anchor=f"chk-{report.slug}-{number}",
                finding=finding,
                excerpt=excerpt if len(excerpt) <= 200 else excerpt[:200] + "…",
                severity_label=str(SEVERITY_LABELS[severity]),
                symbol=SEVERITY_SYMBOLS[severity],
                apply=apply,
            )
        )
    counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    for finding in report.findings:
        counts[finding.severity] += 1
    return GroupView(
        report=report,
        items=items,
        segments=_segments(report.text, items) if report.key != "assets" else [],
        counts=counts,
    )


def panel(report: PieceReport, *, editable: bool) -> dict[str, Any]:
    """What the findings panel template shows: per text, the numbered findings,
    the marked mirror (segments the template escapes) and the statistics."""
    counts = report.counts()
    return {
        "groups": [_group_view(g, editable=editable) for g in report.groups],
        "counts": counts,
        "total": sum(counts.values()),
        "has_errors": report.has_errors,
        "too_long": report.too_long,
        "editable": editable,
        "summary": summary(counts, too_long=report.too_long),
    }


def summary(counts: Mapping[str, int], *, too_long: bool = False) -> str:
    """«2 errores, 1 advertencia y 3 sugerencias» (what the live region says)."""
    if too_long:
        return _(
            "El texto es demasiado largo para revisarlo mientras escribe; "
            "se revisa en el punto de control."
        )
    if not any(counts.values()):
        return _("Revisión del lenguaje: sin hallazgos.")
    parts = [
        ngettext("%(n)s error", "%(n)s errores", counts["error"])
        % {"n": counts["error"]},
        ngettext("%(n)s advertencia", "%(n)s advertencias", counts["warning"])
        % {"n": counts["warning"]},
        ngettext("%(n)s sugerencia", "%(n)s sugerencias", counts["info"])
        % {"n": counts["info"]},
    ]
    return _("Revisión del lenguaje: %(first)s, %(second)s y %(third)s.") % {
        "first": parts[0],
        "second": parts[1],
        "third": parts[2],
    }
