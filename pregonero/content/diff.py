"""Word-level differences between two text versions, for the review page."""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Segments ``(op, text)`` with op in equal/insert/delete, in reading order.

    The template renders them with <ins>/<del>; the text is escaped there like any
    other user text.
    """
    a = _TOKEN.findall(old)
    b = _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            segments.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(("insert", "".join(b[j1:j2])))
    return [s for s in segments if s[1]]


def has_changes(segments: list[tuple[str, str]]) -> bool:
    return any(op != "equal" for op, _text in segments)
