"""What a rule receives, and how it reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext

from pregonero.checks.config import CheckSettings
from pregonero.checks.findings import AssetInfo, Finding, Stats
from pregonero.checks.text import Document

DNP = "DNP, Lenguaje claro: 10 pasos"
ACUERDO_381 = "Acuerdo 381 de 2009"
RES_1519 = "Resolución 1519 de 2020, Anexo 1"
LEY_2345 = "Ley 2345 de 2023"


@dataclass
class Context:
    doc: Document
    settings: CheckSettings
    networks: tuple[str, ...] = ()
    assets: tuple[AssetInfo, ...] = ()
    stats: Stats | None = None
    # What one rule computed that another reuses (the shouted sentences).
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    id: str
    title: Promise  # Spanish, for the admin and the reviewer
    source: str
    run: Callable[[Context], Iterable[Finding]]


def match_case(original: str, replacement: str) -> str:
    """The replacement written the way the original was: Capitalised, UPPER or
    as given."""
    if not replacement or not original:
        return replacement
    letters = [c for c in original if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return replacement.upper()
    if letters and original.lstrip()[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


@lru_cache(maxsize=4096)
def _translated(language: str | None, message: str) -> str:
    return gettext(message)


def cached_gettext(message: str) -> str:
    """``gettext`` for the rules, remembered per language: a long text gives
    hundreds of findings, and Django's ``gettext`` walks its catalogs each time.
    Rules import it as ``_`` so that ``makemessages`` still finds their strings."""
    return _translated(get_language(), message)
