"""What every rule needs to know about a text, computed once per check.

All offsets are ``str`` indexes into the original text. Matching happens on a
*folded* copy (lower case, without accents but keeping the ñ) of the *prose*
(the text with links, e-mail addresses, mentions and hashtags blanked out); a
map from folded to original offsets brings every match back to the original.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

import regex  # type: ignore[import-untyped]

from .datafiles import load

# A word: letters, marks and digits, with inner apostrophes or hyphens (the
# ``re`` form when the text has no combining marks: the same words, faster).
WORD_RE = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*")
_PLAIN_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
# A link: with its scheme or www., or a bare host whose last label is a known
# top-level domain (checked in ``find_entities``), with its path. (``re`` is
# much faster than ``regex`` here, and ``\w`` is enough for hosts and e-mail.)
_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"«»]+"
    r"|(?<![\w@.\-])(?P<host>[\w\-]+(?:\.[\w\-]+)+)(?:/[^\s<>\"«»]*)?",
    re.IGNORECASE,
)
_TLDS = frozenset({"co", "com", "org", "net", "gov", "edu", "info", "la"})
_EMAIL_RE = re.compile(r"(?<![\w.%+\-])[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_MENTION_RE = regex.compile(r"(?<![\p{L}\p{N}_@])@[\p{L}\p{N}_.]{1,60}")
_HASHTAG_RE = regex.compile(
    r"(?<![\p{L}\p{N}_&#])#(?=[\p{L}\p{M}\p{N}_]*\p{L})[\p{L}\p{M}\p{N}_]+"
)
_TRAILING = ".,;:!?)]}»\"'’”…"
# One emoji as people see it: a flag, a keycap, or a pictograph with its skin
# tone, variation selector, tag characters and zero-width-joined companions.
EMOJI_RE = regex.compile(
    r"\p{RI}\p{RI}"
    r"|[#*0-9]\uFE0F?\u20E3"
    r"|(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F)"
    r"(?:\p{EMod}|\uFE0F|[\U000E0020-\U000E007F])*"
    r"(?:\u200D(?:\p{Extended_Pictographic}|\p{Emoji_Presentation})"
    r"(?:\p{EMod}|\uFE0F)*)*"
)
_LINE_RE = regex.compile(r"[^\n\r\u2028\u2029\x0b\x0c\x85]+")


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str  # url, email, mention, hashtag
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    first_word: int  # index into Document.words
    last_word: int  # exclusive

    @property
    def word_count(self) -> int:
        return self.last_word - self.first_word


def find_entities(text: str) -> list[Entity]:
    """Links, e-mail addresses, mentions and hashtags, sorted, without overlaps."""
    found: list[Entity] = []
    patterns: tuple[tuple[str, re.Pattern[str] | regex.Pattern[str]], ...] = (
        ("email", _EMAIL_RE),
        ("url", _URL_RE),
        ("mention", _MENTION_RE),
        ("hashtag", _HASHTAG_RE),
    )
    for kind, pattern in patterns:
        if kind in ("email", "mention") and "@" not in text:
            continue
        if kind == "hashtag" and "#" not in text:
            continue
        if kind == "url" and "." not in text:
            continue
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url" and match.lastgroup == "host":
                host = match.group("host").rstrip(".-")
                if host.rsplit(".", 1)[-1].lower() not in _TLDS:
                    continue
            if kind == "url":
                while end > start and text[end - 1] in _TRAILING:
                    end -= 1
            if end > start:
                found.append(Entity(kind, start, end))
    found.sort(key=lambda e: (e.start, -e.end))
    kept: list[Entity] = []
    for entity in found:
        if kept and entity.start < kept[-1].end:
            continue
        kept.append(entity)
    return kept


def mask(text: str, entities: list[Entity]) -> str:
    """The text with each entity replaced by spaces (offsets unchanged)."""
    if not entities:
        return text
    parts: list[str] = []
    position = 0
    for entity in entities:
        parts.append(text[position : entity.start])
        parts.append(" " * (entity.end - entity.start))
        position = entity.end
    parts.append(text[position:])
    return "".join(parts)


# -- folding ------------------------------------------------------------------

_FOLDS: dict[str, str] = {}
_IRREGULAR: set[str] = set()  # characters that do not fold to exactly one


def _fold_char(character: str) -> str:
    folded = _FOLDS.get(character)
    if folded is None:
        out = []
        for lower in character.lower():
            if lower == "ñ":
                out.append(lower)
                continue
            out.extend(
                c
                for c in unicodedata.normalize("NFD", lower)
                if not unicodedata.combining(c)
            )
        folded = "".join(out)
        _FOLDS[character] = folded
        if len(folded) != 1 or len(character.lower()) != 1:
            _IRREGULAR.add(character)
    return folded


def fold(text: str) -> tuple[str, list[int] | None]:
    """Lower case without accents (ñ kept), and a map of folded → original offsets
    (``None`` when they are the same)."""
    if text.isascii():
        return text.lower(), None
    characters = set(text)
    for character in characters - _FOLDS.keys():
        _fold_char(character)
    if not characters & _IRREGULAR:
        # Every character folds to one: lower case, then replace each accented
        # letter present (str.replace is far faster than a per-character table).
        folded = text.lower()
        for character in set(folded):
            replacement = _FOLDS.get(character) or _fold_char(character)
            if replacement != character:
                folded = folded.replace(character, replacement)
        return folded, None
    out: list[str] = []
    positions: list[int] = []
    for index, character in enumerate(text):
        folded = _FOLDS[character]
        if (
            character == "\u0303"
            and out
            and out[-1] == "n"
            and index
            and text[index - 1] in "nN"
        ):
            out[-1] = "ñ"
            continue
        for piece in folded:
            out.append(piece)
            positions.append(index)
    positions.append(len(text))
    return "".join(out), positions


def fold_term(term: str) -> str:
    folded, _positions = fold(unicodedata.normalize("NFC", term))
    return " ".join(folded.split())


# -- syllables ------------------------------------------------------------------

_VOWELS = frozenset("aeiouáéíóúüàèìòù")
_STRONG = frozenset("aeoáéíóúàèìòù")


@lru_cache(maxsize=200_000)
def syllables(word: str) -> int:
    """Spanish syllables of a word, counted by vowel nuclei: two strong vowels (or
    an accented i/u next to a vowel) are a hiatus; a weak vowel joins its
    neighbour (diphthongs, triphthongs); «h» separates; «y» is a vowel only
    when no vowel follows (muy, hoy, y). pyphen's hyphenation points under-count
    here (día, poeta, reasentamiento), so they are not used for counting."""
    w = unicodedata.normalize("NFC", word.lower())
    count = 0
    index = 0
    length = len(w)
    while index < length:
        if not _is_vowel(w, index, length):
            index += 1
            continue
        strong = 0
        doubled = 0
        previous = ""
        while index < length and _is_vowel(w, index, length):
            character = w[index]
            if character in _STRONG:
                strong += 1
            elif character == previous and character in "iu":
                doubled += 1
            previous = character
            index += 1
        count += strong or 1 + doubled
    return max(count, 1)


def _is_vowel(w: str, index: int, length: int) -> bool:
    character = w[index]
    if character in _VOWELS:
        return True
    if character == "y":
        return index + 1 >= length or w[index + 1] not in _VOWELS
    return False


# -- sentences -----------------------------------------------------------------

_local = threading.local()


def _segmenter() -> object:
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        import pysbd  # type: ignore[import-untyped]

        segmenter = pysbd.Segmenter(language="es", clean=False, char_span=False)
        _local.segmenter = segmenter
    return segmenter


@cache
def _abbreviation_re() -> regex.Pattern[str]:
    """A piece of text that ends in an abbreviation that ends no sentence."""
    words = sorted(
        {a.lower().rstrip(".") for a in load("grammar")["abbreviations"]},
        key=len,
        reverse=True,
    )
    alternatives = "|".join(regex.escape(w).replace(r"\ ", r"\s*") for w in words)
    return regex.compile(rf"(?i)(?<![\p{{L}}\p{{N}}])(?:{alternatives})\.\s*$")


# Where a sentence clearly ends: a word that is no abbreviation, the stop, closing
# quotes, space, and a capital (after any opening signs).
_BOUNDARY_RE = regex.compile(
    r"(?P<word>[\p{L}\p{N}]*)(?P<stop>[.!?…]+)[\"»”’')\]]*(?P<space>\s+)"
    r"(?=[¿¡«\"“(]*\p{Lu})"
)
_STOPS = ".!?…"
_CLOSING = " \t\"»”’')]"


@cache
def _not_final() -> frozenset[str]:
    """Words that may end in a period without ending the sentence: pysbd's Spanish
    abbreviations and ours."""
    from pysbd.lang.spanish import Spanish  # type: ignore[import-untyped]

    words = {str(a).lower() for a in Spanish.Abbreviation.ABBREVIATIONS}
    words |= {a.lower().rstrip(".") for a in load("grammar")["abbreviations"]}
    return frozenset(words)


def _clear_cuts(paragraph: str) -> list[tuple[int, int]]:
    """``(end of sentence, start of the next)`` where no segmenter could doubt."""
    cuts = []
    not_final = _not_final()
    for match in _BOUNDARY_RE.finditer(paragraph):
        word, stop = match.group("word"), match.group("stop")
        if "!" in stop or "?" in stop:
            clear = True
        elif word.isalpha():
            clear = len(word) > 1 and word.lower() not in not_final
        else:
            clear = word.isdigit() and len(word) > 2
        if clear:
            cuts.append((match.start("space"), match.end()))
    return cuts


def _pysbd(chunk: str, offset: int) -> list[tuple[int, int]]:
    pieces: list[str] = _segmenter().processor(chunk).process()  # type: ignore[attr-defined]
    spans: list[tuple[int, int]] = []
    position = 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        found = chunk.find(piece, position)
        if found < 0:
            break
        spans.append((offset + found, offset + found + len(piece)))
        position = found + len(piece)
    end = offset + len(chunk.rstrip())
    if not spans:
        return [(offset + x, offset + y) for x, y in _trimmed(chunk, 0, len(chunk))]
    # Whatever pysbd did not give back belongs to the last sentence.
    spans[-1] = (spans[-1][0], max(spans[-1][1], end))
    return spans


# pysbd's time grows with the square of what it is given: a long piece full of
# doubtful stops is cut, after a stop and a space, into windows of about this
# many characters (the joining step below mends a cut after an abbreviation).
_PYSBD_WINDOW = 800
_ANY_STOP_RE = re.compile(r"[.!?…]+[\"»”’')\]]*\s+")


def _windows(
    paragraph: str, chunks: list[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    for a, b in chunks:
        if b - a <= _PYSBD_WINDOW:
            yield a, b
            continue
        start = a
        for match in _ANY_STOP_RE.finditer(paragraph, a, b):
            if match.end() - start >= _PYSBD_WINDOW and match.end() < b:
                yield start, match.end()
                start = match.end()
        yield start, b


@lru_cache(maxsize=4096)
def split_sentences(paragraph: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans inside one paragraph, whitespace trimmed.

    Clear ends (a stop after an ordinary word, then a capital) cut the paragraph
    first; pysbd (Spanish) splits each piece that still holds a stop inside
    (abbreviations, initials, «a. m.», numbers, ellipses) — it is slow on long
    texts, so it only sees what needs it. A piece that ends in a known
    abbreviation (Sr., Cra.) or is followed by one that starts in lower case
    is joined to the next one.
    """
    if not any(c in paragraph for c in _STOPS):
        return _trimmed(paragraph, 0, len(paragraph))
    chunks: list[tuple[int, int]] = []
    start = 0
    for end, next_start in _clear_cuts(paragraph):
        chunks.append((start, end))
        start = next_start
    chunks.append((start, len(paragraph)))
    spans: list[tuple[int, int]] = []
    for a, b in _windows(paragraph, chunks):
        chunk = paragraph[a:b]
        core = chunk.rstrip(_CLOSING).rstrip(_STOPS)
        if any(c in core for c in _STOPS):
            spans.extend(_pysbd(chunk, a))
        else:
            spans.extend((a + x, a + y) for x, y in _trimmed(chunk, 0, len(chunk)))
    if not spans:
        return ()
    merged: list[tuple[int, int]] = [spans[0]]
    for start, end in spans[1:]:
        previous_start, previous_end = merged[-1]
        # Abbreviations are short: the end of the previous piece is enough.
        previous = paragraph[max(previous_start, previous_end - 24) : previous_end]
        first = _first_letter(paragraph, start, end)
        if (first is not None and first.islower()) or _abbreviation_re().search(
            previous
        ):
            merged[-1] = (previous_start, end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _first_letter(text: str, start: int, end: int) -> str | None:
    for character in text[start:end]:
        if character.isalpha():
            return character
        if character.isdigit():
            return None
    return None


def _trimmed(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return ((start, end),) if end > start else ()


# -- the document ---------------------------------------------------------------


class Document:
    """A text as the rules see it. Everything is computed at most once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.entities = find_entities(text)
        self.prose = mask(text, self.entities)
        self.folded, self._positions = fold(self.prose)

    @property
    def aligned(self) -> bool:
        """Folded and original offsets are the same."""
        return self._positions is None

    def original(self, folded_offset: int) -> int:
        """The original offset of a folded offset."""
        if self._positions is None:
            return folded_offset
        return self._positions[folded_offset]

    def span(self, folded_start: int, folded_end: int) -> tuple[int, int]:
        return self.original(folded_start), self.original(folded_end)

    @cached_property
    def words(self) -> list[tuple[int, int]]:
        pattern = WORD_RE if self._positions is not None else _PLAIN_WORD_RE
        return [m.span() for m in pattern.finditer(self.prose)]

    @cached_property
    def word_starts(self) -> list[int]:
        return [start for start, _end in self.words]

    @cached_property
    def paragraphs(self) -> list[tuple[int, int]]:
        """Each non-blank line (posts separate paragraphs with one line break)."""
        spans: list[tuple[int, int]] = []
        for match in _LINE_RE.finditer(self.text):
            spans.extend(_trimmed(self.text, *match.span()))
        return spans

    @cached_property
    def sentences(self) -> list[Sentence]:
        sentences: list[Sentence] = []
        for start, end in self.paragraphs:
            for s_start, s_end in split_sentences(self.prose[start:end]):
                a, b = start + s_start, start + s_end
                first = bisect_left(self.word_starts, a)
                last = bisect_left(self.word_starts, b)
                sentences.append(Sentence(a, b, first, last))
        return sentences

    def sentence_words(self) -> Iterator[tuple[Sentence, int]]:
        for sentence in self.sentences:
            yield sentence, sentence.word_count

    def words_between(self, start: int, end: int) -> int:
        return bisect_left(self.word_starts, end) - bisect_left(self.word_starts, start)

    @cached_property
    def emojis(self) -> list[tuple[int, int]]:
        if self.text.isascii():
            return []
        return [m.span() for m in EMOJI_RE.finditer(self.text)]

    def hashtags(self) -> Iterator[Entity]:
        return (e for e in self.entities if e.kind == "hashtag")

    def in_entity(self, start: int, end: int) -> bool:
        return any(e.start < end and start < e.end for e in self.entities)


def term_pattern(folded_term: str) -> str:
    """A folded term as a pattern (``re`` and ``regex`` alike): literal, any run
    of spaces between words."""
    return re.escape(folded_term).replace("\\ ", r"\s+")
