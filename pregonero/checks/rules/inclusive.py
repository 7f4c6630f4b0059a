"""Inclusive language (lenguaje incluyente): LI-01 to LI-05, after Bogotá's
Acuerdo 381 de 2009 and the district's guides."""

from __future__ import annotations

from collections.abc import Iterator

import regex  # type: ignore[import-untyped]

from pregonero.checks.findings import Finding
from pregonero.checks.text import Document

from .base import ACUERDO_381, RES_1519, Context, match_case
from .base import cached_gettext as _

# «los ciudadanos y las ciudadanas», «ciudadanos y ciudadanas», «ciudadanos/as».
_PAIR_AFTER_RE = regex.compile(
    r"\s*(?:(?:y|e|o)\s+(?:las?\s+)?(?P<word>\p{L}+as?)|/\s*as?)(?![\p{L}\p{N}])"
)
_PAIR_BEFORE_RE = regex.compile(r"(?<![\p{L}\p{N}])(?P<word>\p{L}+as?)\s+(?:y|e|o)\s+$")


def _stems(term: str) -> list[str]:
    stems = []
    for word in term.split():
        for ending in ("es", "os", "o", "e"):
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                stems.append(word[: -len(ending)])
                break
    return stems


def _paired(doc: Document, folded_start: int, folded_end: int, term: str) -> bool:
    """The masculine form comes with its feminine one (desdoblamiento)."""
    stems = _stems(term)
    if not stems:
        return False
    folded = doc.folded
    after = _PAIR_AFTER_RE.match(folded, folded_end, min(len(folded), folded_end + 60))
    if after is not None:
        word = after.group("word")
        if word is None or any(word.startswith(s) for s in stems):
            return True
    before = _PAIR_BEFORE_RE.search(folded, max(0, folded_start - 60), folded_start)
    return before is not None and any(before.group("word").startswith(s) for s in stems)


def generic_masculine(ctx: Context) -> Iterator[Finding]:
    doc = ctx.doc
    matcher = ctx.settings.matcher("generic_masculine")
    if matcher.pattern is None:
        return
    for match in matcher.pattern.finditer(doc.folded):
        folded_start, folded_end = match.span("term")
        term = " ".join(match.group("term").split())
        if _paired(doc, folded_start, folded_end, term):
            continue
        entry = matcher.entries.get(term)
        if entry is None:  # pragma: no cover
            continue
        start, end = doc.span(folded_start, folded_end)
        found = doc.text[start:end]
        suggestion = _("Prefiera «%(alternative)s».") % {
            "alternative": entry.alternative
        }
        yield Finding(
            "LI-01",
            entry.severity or "warning",
            start,
            end,
            _("«%(term)s» es masculino genérico: deja por fuera a las mujeres.")
            % {"term": found},
            " ".join(p for p in (suggestion, entry.note) if p),
            match_case(found, entry.alternative) if entry.replace else None,
            source=ACUERDO_381,
        )


def job_titles(ctx: Context) -> Iterator[Finding]:
    text = ctx.doc.text
    for start, end, entry in ctx.settings.matcher("job_titles").finditer(ctx.doc):
        found = text[start:end]
        yield Finding(
            "LI-02",
            entry.severity or "warning",
            start,
            end,
            _("El cargo de una mujer se nombra en femenino: «%(term)s».")
            % {"term": found},
            _("Escriba «%(alternative)s».") % {"alternative": entry.alternative},
            match_case(found, entry.alternative) if entry.replace else None,
            source=ACUERDO_381,
        )


def stereotypes(ctx: Context) -> Iterator[Finding]:
    text = ctx.doc.text
    for start, end, entry in ctx.settings.matcher("stereotypes").finditer(ctx.doc):
        found = text[start:end]
        suggestion = (
            _("Escriba «%(alternative)s».") % {"alternative": entry.alternative}
            if entry.alternative
            else ""
        )
        yield Finding(
            "LI-03",
            entry.severity or "error",
            start,
            end,
            _("«%(term)s» es un estereotipo o justifica la violencia.")
            % {"term": found},
            " ".join(p for p in (suggestion, entry.note) if p),
            match_case(found, entry.alternative)
            if entry.replace and entry.alternative
            else None,
            source=ACUERDO_381,
        )


_AT_RE = regex.compile(
    r"(?<![\p{L}\p{N}@])(?P<stem>\p{L}+)@(?P<plural>s)?(?![\p{L}\p{N}@])"
)
_X_RE = regex.compile(
    r"(?i)(?<![\p{L}\p{N}@#])(?P<stem>\p{L}*[bcdfghjklmnñpqrstvwz])x(?P<plural>s)?"
    r"(?![\p{L}\p{N}])"
)
_X_EXCEPTIONS = frozenset({"marx", "lynx", "manx", "jinx", "sphinx", "bronx"})


def _split_form(stem: str, plural: bool) -> str:
    if plural:
        return _("%(feminine)s y %(masculine)s") % {
            "feminine": stem + "as",
            "masculine": stem.lower() + "os",
        }
    return _("%(feminine)s o %(masculine)s") % {
        "feminine": stem + "a",
        "masculine": stem.lower() + "o",
    }


def gender_marks(ctx: Context) -> Iterator[Finding]:
    doc = ctx.doc
    prose = doc.prose
    candidates: list[tuple[int, int, str]] = []
    if "@" in prose:
        for match in _AT_RE.finditer(prose):
            candidates.append(
                (
                    *match.span(),
                    _split_form(match.group("stem"), bool(match.group("plural"))),
                )
            )
    if "x" in doc.folded:
        for match in _X_RE.finditer(prose):
            if match.group().lower() in _X_EXCEPTIONS:
                continue
            stem = match.group("stem")
            if stem.isupper() and len(stem) > 1:
                continue  # an acronym (MX, DX)
            candidates.append(
                (*match.span(), _split_form(stem, bool(match.group("plural"))))
            )
    for start, end, entry in ctx.settings.matcher("neutral_forms").finditer(doc):
        candidates.append((start, end, entry.alternative))
    for start, end, alternative in candidates:
        found = doc.text[start:end]
        yield Finding(
            "LI-04",
            "warning",
            start,
            end,
            _(
                "«%(term)s»: los lectores de pantalla leen mal la @, la x o la e de género."
            )
            % {"term": found},
            _(
                "Escriba «%(alternative)s» o use un sustantivo colectivo («la ciudadanía», «las personas»)."
            )
            % {"alternative": alternative},
            match_case(found, alternative) if alternative else None,
            source=ACUERDO_381 + "; " + RES_1519,
        )


def diversity(ctx: Context) -> Iterator[Finding]:
    text = ctx.doc.text
    for start, end, entry in ctx.settings.matcher("diversity").finditer(ctx.doc):
        found = text[start:end]
        suggestion = _("Escriba «%(alternative)s».") % {
            "alternative": entry.alternative
        }
        yield Finding(
            "LI-05",
            entry.severity or "warning",
            start,
            end,
            _("«%(term)s» no reconoce a las personas con respeto.") % {"term": found},
            " ".join(p for p in (suggestion, entry.note) if p),
            match_case(found, entry.alternative)
            if entry.replace and entry.alternative
            else None,
            source=ACUERDO_381,
        )
