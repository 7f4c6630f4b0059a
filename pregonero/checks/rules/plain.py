"""Plain language (lenguaje claro): LC-01 to LC-08, after the DNP's guide."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import regex  # type: ignore[import-untyped]

from pregonero.checks.datafiles import load
from pregonero.checks.findings import Finding
from pregonero.checks.text import fold_term, term_pattern

from .base import DNP, Context, match_case
from .base import cached_gettext as _

_B = r"(?<![\p{L}\p{N}_])"
_E = r"(?![\p{L}\p{N}_])"
# Up to six words inside one clause (no punctuation in between).
_GAP = r"(?:\s+[\p{L}\p{N}]+){0,6}?"


def _alternation(words: list[str]) -> str:
    terms = sorted({fold_term(w) for w in words if w.strip()}, key=len, reverse=True)
    return "|".join(term_pattern(t) for t in terms)


# -- LC-01 sentence length ----------------------------------------------------------


def sentence_length(ctx: Context) -> Iterator[Finding]:
    warning = int(ctx.settings.threshold("sentence_words_warning"))
    error = int(ctx.settings.threshold("sentence_words_error"))
    message = _(
        "Esta oración tiene %(count)s palabras; se recomiendan %(limit)s o menos."
    )
    suggestion = _("Divídala en oraciones cortas, con una sola idea cada una.")
    for sentence in ctx.doc.sentences:
        count = sentence.word_count
        if count <= warning:
            continue
        yield Finding(
            "LC-01",
            "error" if count > error else "warning",
            sentence.start,
            sentence.end,
            message % {"count": count, "limit": warning},
            suggestion,
            source=DNP,
        )


# -- LC-02 paragraph length ----------------------------------------------------------


def paragraph_length(ctx: Context) -> Iterator[Finding]:
    networks = ctx.networks
    if networks and all(n in ctx.settings.short_networks for n in networks):
        return
    limit = int(ctx.settings.threshold("paragraph_words_warning"))
    for start, end in ctx.doc.paragraphs:
        count = ctx.doc.words_between(start, end)
        if count > limit:
            yield Finding(
                "LC-02",
                "warning",
                start,
                end,
                _("Este párrafo tiene %(count)s palabras (más de cinco líneas).")
                % {"count": count},
                _("Deje un solo tema por párrafo, de hasta %(limit)s palabras.")
                % {"limit": limit},
                source=DNP,
            )


# -- LC-03 acronyms ------------------------------------------------------------------

_ACRONYM_RE = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}'’\-.])[\p{Lu}\p{N}](?:[\p{Lu}\p{M}\p{N}]|-(?=[\p{Lu}\p{N}]))*"
    r"(?![\p{L}\p{M}\p{N}])"
)
_ROMAN_RE = regex.compile(
    r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
)
_EXPLAINED_AFTER_RE = regex.compile(r"\s*\(\s*[\p{L}][^()]*\s[^()]*\)")


@cache
def _expansion_re(expansion: str) -> regex.Pattern[str]:
    folded = fold_term(expansion)
    return regex.compile(_B + term_pattern(folded) + _E)


def acronyms(ctx: Context) -> Iterator[Finding]:
    doc, settings = ctx.doc, ctx.settings
    if not any(c.isupper() for c in doc.prose):
        return
    glossary = settings.glossary
    ignore = settings.acronym_ignore
    max_length = int(settings.threshold("acronym_max_length"))
    shouted = _shouted_spans(ctx)
    seen: set[str] = set()
    for match in _ACRONYM_RE.finditer(doc.prose):
        token = match.group()
        letters = sum(1 for c in token if c.isalpha())
        if letters < 2:
            continue
        key = fold_term(token).upper()
        if key in seen or key in ignore or _ROMAN_RE.fullmatch(token):
            continue
        seen.add(key)
        start, end = match.span()
        if any(a <= start < b for a, b in shouted):
            continue
        entry = glossary.get(key)
        if entry is None and _shouted_word(
            doc.prose, token, key, start, end, max_length
        ):
            continue
        if _explained(ctx, start, end, entry.alternative if entry else ""):
            continue
        if entry is not None and entry.alternative:
            expanded = _("%(expansion)s (%(acronym)s)") % {
                "expansion": entry.alternative,
                "acronym": token,
            }
            yield Finding(
                "LC-03",
                "warning",
                start,
                end,
                _("La sigla %(acronym)s no se explica la primera vez que aparece.")
                % {"acronym": token},
                _("Escriba la primera vez: «%(expanded)s».") % {"expanded": expanded},
                expanded,
                source=DNP,
            )
        else:
            yield Finding(
                "LC-03",
                "info",
                start,
                end,
                _(
                    "¿%(acronym)s es una sigla? No se explica la primera vez que aparece."
                )
                % {"acronym": token},
                _("Escriba el nombre completo y la sigla entre paréntesis."),
                source=DNP,
            )


_CAPS_AFTER_RE = regex.compile(r"[ \t]+[\p{Lu}\p{M}]{2,}(?![\p{L}\p{M}\p{N}])")
_CAPS_BEFORE_RE = regex.compile(r"(?<![\p{L}\p{M}\p{N}])[\p{Lu}\p{M}]{2,}[ \t]+$")
_CONSONANT_RUN_RE = regex.compile(r"[^aeiou]{3}")


def _shouted_word(
    prose: str, token: str, key: str, start: int, end: int, max_length: int
) -> bool:
    """An unknown all-caps token that is more likely a word written in capitals
    (a heading, a form label, a name) than an acronym: long, accented, with
    digits (a form code), pronounceable like a Spanish word (TIPO, FECHA), or
    next to another word in capitals."""
    letters = key.lower()
    if len(token) > max_length or token != key or not letters.isalpha():
        return True
    if len(letters) >= 4:
        vowels = sum(1 for c in letters if c in "aeiou")
        if vowels / len(letters) >= 0.4 and not _CONSONANT_RUN_RE.search(letters):
            return True
    return bool(
        _CAPS_AFTER_RE.match(prose, end)
        or _CAPS_BEFORE_RE.search(prose, max(0, start - 40), start)
    )


def _explained(ctx: Context, start: int, end: int, expansion: str) -> bool:
    text = ctx.doc.text
    # «Caja de la Vivienda Popular (CVP)»: the name comes just before.
    before = text[:start].rstrip()
    if before.endswith("(") and text[end:].lstrip().startswith(")"):
        return True
    # «CVP (Caja de la Vivienda Popular)»: the name comes just after.
    if _EXPLAINED_AFTER_RE.match(text, end, min(len(text), end + 200)):
        return True
    if expansion:
        found = _expansion_re(expansion).search(ctx.doc.folded)
        if found is not None and ctx.doc.original(found.start()) < start:
            return True
    return False


def _shouted_spans(ctx: Context) -> list[tuple[int, int]]:
    from .accessibility import shouted_sentences

    return [(s.start, s.end) for s in shouted_sentences(ctx)]


# -- LC-04 jargon --------------------------------------------------------------------


def jargon(ctx: Context) -> Iterator[Finding]:
    text = ctx.doc.text
    for start, end, entry in ctx.settings.matcher("jargon").finditer(ctx.doc):
        found = text[start:end]
        suggestion = (
            _("Prefiera «%(alternative)s».") % {"alternative": entry.alternative}
            if entry.alternative
            else ""
        )
        suggestion = " ".join(p for p in (suggestion, entry.note) if p)
        yield Finding(
            "LC-04",
            entry.severity or "warning",
            start,
            end,
            _("«%(term)s» es lenguaje técnico o jurídico que no todos entienden.")
            % {"term": found},
            suggestion,
            match_case(found, entry.alternative)
            if entry.replace and entry.alternative
            else None,
            source=DNP,
        )


# -- LC-05 double negation ------------------------------------------------------------


@cache
def _negation_res() -> tuple[
    regex.Pattern[str], regex.Pattern[str], regex.Pattern[str]
]:
    grammar = load("grammar")
    concord = regex.compile(
        rf"{_B}no{_GAP}\s+(?:{_alternation(grammar['negative_concord'])}){_E}"
    )
    without = regex.compile(rf"{_B}no{_GAP}\s+sin{_E}")
    litotes = regex.compile(
        rf"{_B}no\s+(?:(?:{_alternation(grammar['litotes_verbs'])})\s+)?"
        rf"(?:(?:{_alternation(grammar['litotes_words'])})|deja(?:n|ba|ron)?\s+de){_E}"
    )
    return concord, without, litotes


def double_negation(ctx: Context) -> Iterator[Finding]:
    folded = ctx.doc.folded
    if "no" not in folded:
        return
    concord, without, litotes = _negation_res()
    for pattern, severity in ((without, "warning"), (litotes, "warning")):
        for match in pattern.finditer(folded):
            start, end = ctx.doc.span(*match.span())
            yield Finding(
                "LC-05",
                severity,  # type: ignore[arg-type]
                start,
                end,
                _("Doble negación: «%(text)s» obliga a releer.")
                % {"text": ctx.doc.text[start:end]},
                _(
                    "Dígalo en positivo: «no es imposible» → «es posible»; «no sin» → «con»."
                ),
                source=DNP,
            )
    for match in concord.finditer(folded):
        start, end = ctx.doc.span(*match.span())
        yield Finding(
            "LC-05",
            "info",
            start,
            end,
            _("Dos negaciones en la misma frase: «%(text)s».")
            % {"text": ctx.doc.text[start:end]},
            _("Si puede, dígalo en positivo («nada» → «todo», «nunca» → «siempre»)."),
            source=DNP,
        )


# -- LC-06 passive voice ----------------------------------------------------------------

_ADVERBS = (
    "muy|ya|bien|mal|tambien|siempre|nunca|totalmente|completamente|debidamente|"
    "oportunamente|previamente|finalmente|recientemente|oficialmente"
)


@cache
def _passive_res() -> tuple[regex.Pattern[str], regex.Pattern[str], frozenset[str]]:
    grammar = load("grammar")
    irregular = sorted({fold_term(w) for w in grammar["irregular_participles"]})
    irregular_forms = "|".join(
        rf"{regex.escape(w[:-1])}(?:o|a|os|as)" for w in irregular if w.endswith("o")
    )
    periphrastic = regex.compile(
        rf"{_B}(?P<aux>{_alternation(grammar['passive_auxiliaries'])})\s+"
        rf"(?:(?:{_ADVERBS})\s+)?"
        rf"(?P<part>\p{{L}}+(?:ad|id)(?:o|a|os|as)|{irregular_forms}){_E}"
        rf"(?P<agent>\s+por\s+(?:el|la|los|las)?\s*\p{{L}}+)?"
    )
    reflexive = regex.compile(
        rf"{_B}se\s+(?P<verb>\p{{L}}{{3,}}(?:a|an|e|en|o|aron|ieron|ara|aran|era|eran|"
        rf"ira|iran|aba|aban|ia|ian|aria|arian|eria|erian|iria|irian)){_E}"
    )
    pronominal = frozenset(fold_term(w) for w in grammar["pronominal_verbs"])
    return periphrastic, reflexive, pronominal


@cache
def _participle_adjectives() -> frozenset[str]:
    return frozenset(fold_term(w) for w in load("grammar")["participle_adjectives"])


def _base_form(word: str) -> str:
    if word.endswith("s"):
        word = word[:-1]
    if word.endswith("a"):
        word = word[:-1] + "o"
    return word


def passive_voice(ctx: Context) -> Iterator[Finding]:
    doc = ctx.doc
    folded = doc.folded
    periphrastic, reflexive, pronominal = _passive_res()
    adjectives = _participle_adjectives()
    for match in periphrastic.finditer(folded):
        if _base_form(match.group("part")) in adjectives:
            continue
        start, end = doc.span(*match.span())
        agent = match.group("agent")
        yield Finding(
            "LC-06",
            "warning",
            start,
            end,
            _("Voz pasiva: «%(text)s».") % {"text": doc.text[start:end]},
            _(
                "Use la voz activa y diga primero quién hace la acción: «La CVP entregó las viviendas» en lugar de «Las viviendas fueron entregadas por la CVP»."
            )
            if agent
            else _("Use la voz activa y diga quién hace la acción."),
            source=DNP,
        )
    if " se " not in folded and not folded.startswith("se "):
        return
    for match in reflexive.finditer(folded):
        if match.group("verb") in pronominal:
            continue
        start, end = doc.span(*match.span())
        yield Finding(
            "LC-06",
            "info",
            start,
            end,
            _("Pasiva refleja: «%(text)s» no dice quién lo hace.")
            % {"text": doc.text[start:end]},
            _(
                "Si es importante, diga quién lo hace: «se entregarán los subsidios» → «la CVP entregará los subsidios»."
            ),
            source=DNP,
        )


# -- LC-07 the important message first --------------------------------------------------


@cache
def _lead_cue_re() -> regex.Pattern[str]:
    cues = load("grammar")["lead_cues"]
    words = [w for group in cues.values() for w in group]
    return regex.compile(rf"\d|{_B}(?:{_alternation(words)}){_E}")


def lead_first(ctx: Context) -> Iterator[Finding]:
    doc = ctx.doc
    sentences = [s for s in doc.sentences if s.word_count]
    if len(sentences) < int(ctx.settings.threshold("lead_min_sentences")):
        return
    first = sentences[0]
    start, end = first.start, first.end
    if doc.aligned:
        piece = doc.folded[start:end]
    else:
        piece = fold_term(doc.prose[start:end])
    if _lead_cue_re().search(piece):
        return
    yield Finding(
        "LC-07",
        "info",
        start,
        end,
        _("La primera oración no dice qué pasa, cuándo ni dónde."),
        _(
            "Ponga primero lo más importante: la acción, la fecha y el lugar (por ejemplo: «Este sábado 15 de marzo entregamos 120 títulos en Ciudad Bolívar»)."
        ),
        source=DNP,
    )


# -- LC-08 readability ---------------------------------------------------------------------


def readability(ctx: Context) -> Iterator[Finding]:
    stats = ctx.stats
    if stats is None or stats.readability is None:
        return
    if stats.words < int(ctx.settings.threshold("readability_min_words")):
        return
    limit = float(ctx.settings.threshold("readability_warning"))
    if stats.readability >= limit:
        return
    text = ctx.doc.text
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    yield Finding(
        "LC-08",
        "warning",
        start,
        max(start, end),
        _(
            "Legibilidad de %(score)s en la escala de Fernández-Huerta (%(label)s); se recomienda %(limit)s o más."
        )
        % {
            "score": f"{stats.readability:.0f}",
            "label": stats.readability_label,
            "limit": f"{limit:g}",
        },
        _(
            "Use oraciones más cortas (%(average)s palabras por oración en promedio) y palabras de pocas sílabas."
        )
        % {"average": f"{stats.words_per_sentence:.1f}"},
        source=DNP + "; fórmula de Fernández-Huerta",
    )
