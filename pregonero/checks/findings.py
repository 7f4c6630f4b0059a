"""What a check returns: findings, statistics, and the assets it was told about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in the text (or in an attached asset).

    ``start``/``end`` are ``str`` offsets into the checked text. ``replacement``,
    when not None, is the exact text to put in place of ``text[start:end]``
    (the one-click fix); ``suggestion`` says in words what to do. Findings about
    an asset (ACC-01, ACC-02, ACC-04) carry ``asset`` (its index) and an empty
    span at 0.
    """

    rule: str
    severity: Severity
    start: int
    end: int
    message: str
    suggestion: str = ""
    replacement: str | None = None
    source: str = ""
    asset: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "suggestion": self.suggestion,
            "replacement": self.replacement,
            "source": self.source,
            "asset": self.asset,
        }


@dataclass(frozen=True, slots=True)
class Stats:
    words: int
    sentences: int
    paragraphs: int
    syllables: int
    words_per_sentence: float
    syllables_per_word: float
    readability: float | None  # Fernández-Huerta; None without words
    readability_label: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "sentences": self.sentences,
            "paragraphs": self.paragraphs,
            "syllables": self.syllables,
            "words_per_sentence": self.words_per_sentence,
            "syllables_per_word": self.syllables_per_word,
            "readability": self.readability,
            "readability_label": self.readability_label,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    findings: tuple[Finding, ...]
    stats: Stats

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "stats": self.stats.to_dict(),
            "has_errors": self.has_errors,
            "counts": self.counts(),
        }


AssetKind = Literal["image", "video", "other"]


@dataclass(frozen=True)
class AssetInfo:
    """What the checker needs to know of an attached file.

    ``captions_mode``: "" (none), "sidecar" (SRT/WebVTT file), "open" (burned
    in) or "auto" (automatic captions, not reviewed). ``text_in_image_confirmed``:
    True when someone confirmed that the text inside the image is also in the
    copy or the alt text (or that it has none), False when it is not, None when
    nobody said.
    """

    kind: AssetKind
    name: str = ""
    alt_text: str = ""
    decorative: bool = False
    captions_mode: str = ""
    has_captions: bool = False
    live: bool = False
    text_in_image_confirmed: bool | None = None

    @property
    def captioned(self) -> bool:
        return self.has_captions or self.captions_mode in ("sidecar", "open", "auto")
