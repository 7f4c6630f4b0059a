"""The checker's settings: the shipped word lists and thresholds (``data/*.json``)
merged with an organization's overrides (``CheckProfile`` in the admin).

A ``CheckSettings`` compiles its regular expressions once, on first use, and is
shared: ``settings_for(org)`` keeps one per organization in the process and
rebuilds it when the organization's profile changes (its ``updated_at``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from .datafiles import load
from .findings import SEVERITIES, Severity
from .text import Document, fold_term, term_pattern

if TYPE_CHECKING:
    from pregonero.core.models import Organization

# Word list → the rule that uses it. Each has a ``data/<name>.json``.
WORD_LISTS: dict[str, str] = {
    "glossary": "LC-03",
    "jargon": "LC-04",
    "generic_masculine": "LI-01",
    "job_titles": "LI-02",
    "stereotypes": "LI-03",
    "neutral_forms": "LI-04",
    "diversity": "LI-05",
    "slogans": "BRD-03",
}

# Words before a job title that say the person is a woman (LI-02).
FEMININE_DETERMINERS = (
    "la",
    "una",
    "esta",
    "esa",
    "aquella",
    "nuestra",
    "otra",
    "nueva",
    "la señora",
    "la doctora",
)

# Word boundaries on the folded text (no combining marks left there), for ``re``.
_BEFORE = r"(?<!\w)"
_AFTER = r"(?!\w)"


@dataclass(frozen=True, slots=True)
class WordEntry:
    term: str
    alternative: str = ""
    note: str = ""
    severity: Severity | None = None
    replace: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WordEntry:
        severity = data.get("severity")
        return cls(
            term=str(data["term"]),
            alternative=str(data.get("alternative") or ""),
            note=str(data.get("note") or ""),
            severity=severity if severity in SEVERITIES else None,
            replace=bool(data.get("replace", True)),
        )


class TermMatcher:
    """A word list compiled into one expression over the folded prose: accent-
    and case-insensitive, on word boundaries, any run of spaces between words,
    the longest term first."""

    def __init__(self, entries: Iterable[WordEntry], prefix: str = "") -> None:
        self.entries: dict[str, WordEntry] = {}
        for entry in entries:
            key = fold_term(entry.term)
            if key:
                self.entries.setdefault(key, entry)
        terms = sorted(self.entries, key=len, reverse=True)
        self.pattern: re.Pattern[str] | None = None
        if terms:
            alternation = "|".join(term_pattern(t) for t in terms)
            self.pattern = re.compile(
                rf"{_BEFORE}{prefix}(?P<term>{alternation}){_AFTER}"
            )

    def finditer(self, doc: Document) -> Iterator[tuple[int, int, WordEntry]]:
        """``(start, end, entry)`` in original offsets, inside the prose only."""
        if self.pattern is None:
            return
        for match in self.pattern.finditer(doc.folded):
            start, end = match.span("term")
            entry = self.entries.get(" ".join(match.group("term").split()))
            if entry is None:  # pragma: no cover - the alternation is built from keys
                continue
            yield (*doc.span(start, end), entry)


@dataclass(frozen=True, eq=False)
class CheckSettings:
    """Thresholds, word lists and switched-off rules for one organization."""

    thresholds: Mapping[str, Any]
    word_lists: Mapping[str, tuple[WordEntry, ...]]
    disabled_rules: frozenset[str] = frozenset()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enabled(self, rule: str) -> bool:
        if rule in self.disabled_rules:
            return False
        return not (rule.startswith("NET-") and "NET" in self.disabled_rules)

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]

    def matcher(self, name: str) -> TermMatcher:
        """The compiled matcher of a word list (built once, thread-safe)."""
        matchers = self._matchers
        found = matchers.get(name)
        if found is None:
            with self._lock:
                found = matchers.get(name)
                if found is None:
                    prefix = ""
                    if name == "job_titles":
                        determiners = "|".join(
                            term_pattern(d) for d in FEMININE_DETERMINERS
                        )
                        prefix = rf"(?:{determiners})\s+"
                    found = TermMatcher(self.word_lists.get(name, ()), prefix)
                    matchers[name] = found
        return found

    @cached_property
    def _matchers(self) -> dict[str, TermMatcher]:
        return {}

    @cached_property
    def glossary(self) -> dict[str, WordEntry]:
        """Acronym (upper case, without accents) → its expansion."""
        return {
            fold_term(e.term).upper(): e for e in self.word_lists.get("glossary", ())
        }

    @cached_property
    def acronym_ignore(self) -> frozenset[str]:
        return frozenset(
            fold_term(str(t)).upper() for t in self.thresholds["acronym_ignore"]
        )

    @cached_property
    def short_networks(self) -> frozenset[str]:
        return frozenset(str(n) for n in self.thresholds["short_networks"])


def default_thresholds() -> dict[str, Any]:
    return dict(load("thresholds")["thresholds"])


def default_word_list(name: str) -> tuple[WordEntry, ...]:
    return tuple(WordEntry.from_dict(e) for e in load(name)["entries"])


def list_source(name: str) -> str:
    return str(load(name).get("source", ""))


def build_settings(
    *,
    disabled: Iterable[str] = (),
    thresholds: Mapping[str, Any] | None = None,
    added: Mapping[str, Iterable[WordEntry]] | None = None,
    removed: Mapping[str, Iterable[str]] | None = None,
) -> CheckSettings:
    """The shipped settings with overrides: thresholds of a known name and type
    replace the default; ``added`` entries replace a shipped entry of the same
    term (accents and case aside); ``removed`` terms are dropped."""
    merged = default_thresholds()
    for name, value in (thresholds or {}).items():
        if name in merged and threshold_type_ok(merged[name], value):
            merged[name] = value
    lists: dict[str, tuple[WordEntry, ...]] = {}
    for name in WORD_LISTS:
        gone = {fold_term(t) for t in (removed or {}).get(name, ())}
        extra = list((added or {}).get(name, ()))
        replaced = {fold_term(e.term) for e in extra}
        kept = [e for e in default_word_list(name) if fold_term(e.term) not in replaced]
        lists[name] = tuple(e for e in (*extra, *kept) if fold_term(e.term) not in gone)
    return CheckSettings(
        thresholds=merged, word_lists=lists, disabled_rules=frozenset(disabled)
    )


def threshold_type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


@cache
def default_settings() -> CheckSettings:
    """The shipped lists and thresholds, every rule on."""
    return build_settings()


# -- per organization --------------------------------------------------------------

_cache: dict[int, tuple[Any, CheckSettings]] = {}
_cache_lock = threading.Lock()


def settings_for(organization: Organization | int | None) -> CheckSettings:
    """The organization's settings: one small query to see whether its profile
    changed since this process last built them."""
    from .models import CheckProfile

    if organization is None:
        return default_settings()
    org_id = organization if isinstance(organization, int) else organization.pk
    stamp = (
        CheckProfile.objects.filter(organization_id=org_id)
        .values_list("pk", "updated_at")
        .first()
    )
    if stamp is None:
        return default_settings()
    cached = _cache.get(org_id)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    profile = CheckProfile.objects.prefetch_related("entries").get(pk=stamp[0])
    built = profile.build_settings()
    with _cache_lock:
        _cache[org_id] = (stamp, built)
    return built


def forget(org_id: int | None) -> None:
    """Drop this process's copy (the profile was saved or an entry changed)."""
    with _cache_lock:
        if org_id is None:
            _cache.clear()
        else:
            _cache.pop(org_id, None)
