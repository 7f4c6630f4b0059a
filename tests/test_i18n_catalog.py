"""The Spanish catalog: every string has a translation, and none was inherited
from a different string by msgmerge's fuzzy matching (which once turned
"en un carrusel" into "Carrusel")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CATALOG = Path(__file__).parent.parent / "pregonero/locale/es/LC_MESSAGES/django.po"
# Strings the entity chose to word differently from the source text.
DELIBERATE: set[str] = set()


def _entries() -> list[tuple[str, str]]:
    text = CATALOG.read_text(encoding="utf-8")
    pairs = []
    for block in text.split("\n\n")[1:]:
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if msgid and msgstr:
            pairs.append((msgid.group(1).strip(), msgstr.group(1).strip()))
    return pairs


def test_no_fuzzy_or_inherited_translations() -> None:
    text = CATALOG.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("\n\n", 1)[1]
    assert "#| msgid" not in text
    wrong = [(i, s) for i, s in _entries() if i != s and i not in DELIBERATE]
    assert not wrong, wrong[:5]


def test_compiled_catalog_is_current() -> None:
    """The committed .mo holds every string of the .po (bin/update-messages)."""
    import gettext

    with CATALOG.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog: dict[object, str] = compiled._catalog  # type: ignore[attr-defined]
    missing = [
        i
        for i, _s in _entries()
        if i != '""' and ast.literal_eval(i.replace('"\n"', "")) not in catalog
    ]
    assert not missing, missing[:5]
