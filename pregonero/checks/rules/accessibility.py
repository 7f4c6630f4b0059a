"""Accessibility of the post and its files: ACC-01, ACC-02, ACC-04 and the copy
checks of ACC-06 (Resolución 1519 de 2020, Anexo 1, and the networks' own
accessibility advice)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import PurePath

import regex  # type: ignore[import-untyped]

from pregonero.checks.datafiles import load
from pregonero.checks.findings import Finding
from pregonero.checks.text import Sentence, fold, fold_term

from .base import RES_1519, Context
from .base import cached_gettext as _

ACC06_SOURCE = RES_1519 + "; buenas prácticas de accesibilidad en redes sociales"

# -- ACC-01 / ACC-02 / ACC-04: the files --------------------------------------------------

_GENERIC_ALT = frozenset(
    {"imagen", "foto", "fotografia", "image", "img", "picture", "grafico", "pieza"}
)


def _asset_label(index: int, name: str) -> str:
    return name or _("n.º %(number)s") % {"number": index + 1}


def alt_text(ctx: Context) -> Iterator[Finding]:
    limit = int(ctx.settings.threshold("alt_text_max_chars"))
    for index, asset in enumerate(ctx.assets):
        if asset.kind != "image" or asset.decorative:
            continue
        label = _asset_label(index, asset.name)
        alt = " ".join(asset.alt_text.split())
        folded = fold_term(alt)
        if not alt:
            yield Finding(
                "ACC-01",
                "error",
                0,
                0,
                _("La imagen %(name)s no tiene texto alternativo.") % {"name": label},
                _(
                    "Describa lo que muestra la imagen y lo que comunica, o márquela como decorativa si no aporta información."
                ),
                source=RES_1519,
                asset=index,
            )
        elif folded in _GENERIC_ALT or (
            asset.name
            and folded in {fold_term(asset.name), fold_term(PurePath(asset.name).stem)}
        ):
            yield Finding(
                "ACC-01",
                "warning",
                0,
                0,
                _(
                    "El texto alternativo de la imagen %(name)s no la describe: «%(alt)s»."
                )
                % {"name": label, "alt": alt},
                _(
                    "Diga qué se ve y qué información da la imagen (personas, lugar, cifras, fechas)."
                ),
                source=RES_1519,
                asset=index,
            )
        elif len(alt) > limit:
            yield Finding(
                "ACC-01",
                "info",
                0,
                0,
                _(
                    "El texto alternativo de la imagen %(name)s tiene %(count)s caracteres."
                )
                % {"name": label, "count": len(alt)},
                _(
                    "Procure que sea breve (hasta %(limit)s caracteres); el detalle puede ir en el texto de la publicación."
                )
                % {"limit": limit},
                source=RES_1519,
                asset=index,
            )


def captions(ctx: Context) -> Iterator[Finding]:
    for index, asset in enumerate(ctx.assets):
        if asset.kind != "video" or asset.live:
            continue
        label = _asset_label(index, asset.name)
        if not asset.captioned:
            yield Finding(
                "ACC-02",
                "error",
                0,
                0,
                _("El video %(name)s no tiene subtítulos.") % {"name": label},
                _(
                    "Agregue un archivo de subtítulos (SRT o WebVTT) o subtítulos incrustados; solo las transmisiones en vivo están exentas."
                ),
                source=RES_1519,
                asset=index,
            )
        elif asset.captions_mode == "auto" and not asset.has_captions:
            yield Finding(
                "ACC-02",
                "warning",
                0,
                0,
                _("Los subtítulos del video %(name)s son automáticos.")
                % {"name": label},
                _("Revíselos: nombres, cifras y sincronización suelen quedar mal."),
                source=RES_1519,
                asset=index,
            )


def text_in_images(ctx: Context) -> Iterator[Finding]:
    for index, asset in enumerate(ctx.assets):
        if asset.kind != "image" or asset.decorative:
            continue
        if asset.text_in_image_confirmed is True:
            continue
        label = _asset_label(index, asset.name)
        if asset.text_in_image_confirmed is False:
            yield Finding(
                "ACC-04",
                "warning",
                0,
                0,
                _(
                    "El texto dentro de la imagen %(name)s no está en la publicación ni en el texto alternativo."
                )
                % {"name": label},
                _(
                    "Copie en el texto o en el texto alternativo lo que dice la imagen: los lectores de pantalla no pueden leerlo."
                ),
                source=RES_1519,
                asset=index,
            )
        else:
            yield Finding(
                "ACC-04",
                "info",
                0,
                0,
                _(
                    "Confirme que el texto dentro de la imagen %(name)s también está en la publicación o en el texto alternativo."
                )
                % {"name": label},
                _("Los lectores de pantalla no leen el texto de las imágenes."),
                source=RES_1519,
                asset=index,
            )


# -- ACC-06: the copy ------------------------------------------------------------------------


def shouted_sentences(ctx: Context) -> list[Sentence]:
    """Sentences written all in capitals (enough letters and words to be shouting
    rather than an acronym)."""
    found: list[Sentence] | None = ctx.memo.get("shouted")
    if found is None:
        prose = ctx.doc.prose
        min_letters = int(ctx.settings.threshold("allcaps_min_letters"))
        min_words = int(ctx.settings.threshold("allcaps_min_words"))
        found = []
        for sentence in ctx.doc.sentences:
            piece = prose[sentence.start : sentence.end]
            if piece != piece.upper() or sentence.word_count < min_words:
                continue
            if sum(1 for c in piece if c.isupper()) >= min_letters:
                found.append(sentence)
        ctx.memo["shouted"] = found
    return found


def all_caps(ctx: Context) -> Iterator[Finding]:
    for sentence in shouted_sentences(ctx):
        yield Finding(
            "ACC-06",
            "warning",
            sentence.start,
            sentence.end,
            _(
                "Oración en mayúsculas sostenidas: se lee como un grito y los lectores de pantalla pueden deletrearla."
            ),
            _(
                "Escríbala en mayúsculas y minúsculas; para destacar, póngala al principio."
            ),
            source=ACC06_SOURCE,
        )


_CLICK_HERE_RE = regex.compile(
    r"(?<![\p{L}\p{N}])(?:"
    r"(?:(?:haga|haz|hacer|hace|dar|da|de|dale|den|hagan)\s+)?(?:clic|click|clik|klik|cliquea|clickea|cliquee)\s+"
    r"(?:aqui|aca|en\s+(?:este|el|esta|la)\s+(?:enlace|link|vinculo|imagen))"
    r"|(?:pincha|pinche|pulse|pulsa|presiona|presione|toca|toque)\s+(?:aqui|aca)"
    r")(?![\p{L}\p{N}])"
)


def click_here(ctx: Context) -> Iterator[Finding]:
    folded = ctx.doc.folded
    if not any(w in folded for w in ("clic", "click", "clik", "klik", "aqui", "aca")):
        return
    for match in _CLICK_HERE_RE.finditer(folded):
        start, end = ctx.doc.span(*match.span())
        yield Finding(
            "ACC-06",
            "warning",
            start,
            end,
            _("«%(text)s» no dice a dónde lleva el enlace.")
            % {"text": ctx.doc.text[start:end]},
            _(
                "Describa el destino: «Consulte los requisitos en cajaviviendapopular.gov.co»."
            ),
            source=ACC06_SOURCE,
        )


def emoji_count(ctx: Context) -> Iterator[Finding]:
    limit = int(ctx.settings.threshold("emoji_max"))
    emojis = ctx.doc.emojis
    if limit <= 0 or len(emojis) <= limit:
        return
    yield Finding(
        "ACC-06",
        "warning",
        emojis[limit][0],
        emojis[-1][1],
        _(
            "La publicación tiene %(count)s emojis; los lectores de pantalla leen el nombre de cada uno."
        )
        % {"count": len(emojis)},
        _("Use %(limit)s o menos, al final de las frases y nunca en lugar de palabras.")
        % {"limit": limit},
        source=ACC06_SOURCE,
    )


def emoji_in_words(ctx: Context) -> Iterator[Finding]:
    text = ctx.doc.text
    for start, end in ctx.doc.emojis:
        if (
            start > 0
            and end < len(text)
            and text[start - 1].isalpha()
            and text[end].isalpha()
        ):
            yield Finding(
                "ACC-06",
                "warning",
                start,
                end,
                _(
                    "Un emoji dentro de una palabra la corta para los lectores de pantalla."
                ),
                _("Escriba la palabra completa y deje el emoji aparte."),
                source=ACC06_SOURCE,
            )


@cache
def _hashtag_words() -> frozenset[str]:
    return frozenset(load("hashtag_words")["words"])


def _segment(
    body: str, vocabulary: frozenset[str], extra: set[str]
) -> list[int] | None:
    """Cut points of ``body`` (folded) into the fewest known words; digit runs are
    words too. None when it cannot be cut entirely."""
    length = len(body)
    best: list[tuple[int, int] | None] = [None] * (length + 1)  # (count, previous)
    best[0] = (0, -1)
    for end in range(1, length + 1):
        for start in range(max(0, end - 24), end):
            if best[start] is None:
                continue
            piece = body[start:end]
            if piece.isdigit() or piece in vocabulary or piece in extra:
                count = best[start][0] + 1  # type: ignore[index]
                current = best[end]
                if current is None or count < current[0]:
                    best[end] = (count, start)
    if best[length] is None:
        return None
    cuts = []
    position = length
    while position > 0:
        cuts.append(position)
        position = best[position][1]  # type: ignore[index]
    return sorted(cuts)


def hashtags(ctx: Context) -> Iterator[Finding]:
    doc = ctx.doc
    run_on = int(ctx.settings.threshold("hashtag_run_on_min_letters"))
    extra: set[str] | None = None
    for entity in doc.hashtags():
        body = doc.text[entity.start + 1 : entity.end]
        rest = body[1:]
        if any(c.isupper() for c in rest) and any(c.islower() for c in body):
            continue  # already CamelCase
        letters = sum(1 for c in body if c.isalpha())
        if letters < 4:
            continue
        folded, positions = fold(body)
        cuts = None
        if positions is None and "_" not in body:
            if extra is None:
                extra = {
                    w
                    for w in (doc.folded[a:b] for a, b in doc.words)
                    if len(w) > 1 and w.isalpha()
                }
            if folded in _hashtag_words() or folded in extra:
                continue  # one word
            cuts = _segment(folded, _hashtag_words(), extra)
        if cuts is not None and len(cuts) > 1:
            parts = []
            previous = 0
            for cut in cuts:
                piece = body[previous:cut]
                parts.append(piece[:1].upper() + piece[1:].lower())
                previous = cut
            camel = "#" + "".join(parts)
            yield Finding(
                "ACC-06",
                "warning",
                entity.start,
                entity.end,
                _(
                    "Escriba la etiqueta con mayúscula inicial en cada palabra: los lectores de pantalla leen «%(tag)s» como una sola palabra."
                )
                % {"tag": doc.text[entity.start : entity.end]},
                _("Escriba «%(camel)s».") % {"camel": camel},
                camel,
                source=ACC06_SOURCE,
            )
        elif letters >= run_on:
            yield Finding(
                "ACC-06",
                "warning",
                entity.start,
                entity.end,
                _(
                    "Escriba la etiqueta con mayúscula inicial en cada palabra: los lectores de pantalla leen «%(tag)s» como una sola palabra."
                )
                % {"tag": doc.text[entity.start : entity.end]},
                _(
                    "Por ejemplo: #TitulaciónDePredios en lugar de #titulaciondepredios."
                ),
                source=ACC06_SOURCE,
            )


def copy(ctx: Context) -> Iterator[Finding]:
    """ACC-06: the copy checks, one switch for all of them."""
    yield from all_caps(ctx)
    yield from hashtags(ctx)
    yield from emoji_count(ctx)
    yield from emoji_in_words(ctx)
    yield from click_here(ctx)
