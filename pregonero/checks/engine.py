"""``check_text``: the whole checker in one call.

    result = check_text("Los beneficiarios deberán allegar…", networks=["x"])
    result.findings  # sorted by position
    result.stats     # words, sentences, Fernández-Huerta…
    result.has_errors

Pure Python: no network, no database (``settings`` comes from
``config.settings_for(org)`` or the shipped defaults).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .config import CheckSettings, default_settings
from .findings import SEVERITY_RANK, AssetInfo, CheckResult, Finding, Stats
from .rules import NETWORK_RULE, RULES, Context
from .text import Document, syllables

__all__ = [
    "REVIEWER_CHECKLIST",
    "AssetInfo",
    "CheckResult",
    "CheckSettings",
    "Finding",
    "Stats",
    "check_text",
    "readability_label",
]

# What the checker cannot judge alone: the reviewer ticks these at the control
# points (rule id → the question).
REVIEWER_CHECKLIST: tuple[tuple[str, Promise], ...] = (
    (
        "LC-07",
        gettext_lazy(
            "Lo más importante (qué, cuándo y dónde) está al principio del texto."
        ),
    ),
    (
        "ACC-04",
        gettext_lazy(
            "El texto que aparece dentro de las imágenes también está en la publicación o en el texto alternativo."
        ),
    ),
    (
        "ACC-02",
        gettext_lazy(
            "Los subtítulos de los videos fueron revisados (no son automáticos sin revisar)."
        ),
    ),
)

# Fernández-Huerta's scale: (lowest score, label), highest first.
_SCALE: tuple[tuple[float, Promise], ...] = (
    (90, gettext_lazy("muy fácil")),
    (80, gettext_lazy("fácil")),
    (70, gettext_lazy("bastante fácil")),
    (60, gettext_lazy("normal")),
    (50, gettext_lazy("bastante difícil")),
    (30, gettext_lazy("difícil")),
)


def readability_label(score: float | None) -> str:
    if score is None:
        return ""
    for lowest, label in _SCALE:
        if score >= lowest:
            return str(label)
    return _("muy difícil")


def _stats(doc: Document) -> Stats:
    text = doc.text
    alphabetic = [
        text[a:b] for a, b in doc.words if any(c.isalpha() for c in text[a:b])
    ]
    sentences = sum(1 for s in doc.sentences if s.word_count)
    word_count = len(doc.words)
    syllable_count = sum(syllables(w) for w in alphabetic)
    score: float | None = None
    per_sentence = word_count / sentences if sentences else 0.0
    per_word = syllable_count / len(alphabetic) if alphabetic else 0.0
    if alphabetic and sentences:
        alphabetic_per_sentence = len(alphabetic) / sentences
        score = round(206.84 - 60 * per_word - 1.02 * alphabetic_per_sentence, 1)
    return Stats(
        words=word_count,
        sentences=sentences,
        paragraphs=sum(1 for a, b in doc.paragraphs if doc.words_between(a, b)),
        syllables=syllable_count,
        words_per_sentence=round(per_sentence, 1),
        syllables_per_word=round(per_word, 2),
        readability=score,
        readability_label=readability_label(score),
    )


def check_text(
    text: str,
    *,
    networks: Sequence[str] = (),
    assets: Sequence[AssetInfo] = (),
    settings: CheckSettings | None = None,
) -> CheckResult:
    """Check a Spanish text (and its attached files) against every enabled rule."""
    settings = settings or default_settings()
    doc = Document(text)
    stats = _stats(doc)
    ctx = Context(
        doc=doc,
        settings=settings,
        networks=tuple(networks),
        assets=tuple(assets),
        stats=stats,
    )
    findings: list[Finding] = []
    for rule in RULES:
        if settings.enabled(rule.id):
            findings.extend(rule.run(ctx))
    if networks and settings.enabled(NETWORK_RULE.id):
        findings.extend(NETWORK_RULE.run(ctx))
    findings.sort(
        key=lambda f: (
            f.start,
            f.end,
            -1 if f.asset is None else f.asset,
            -SEVERITY_RANK[f.severity],
            f.rule,
        )
    )
    return CheckResult(findings=tuple(findings), stats=stats)
