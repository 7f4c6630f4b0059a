"""Government brands and party references: BRD-03 (Ley 2345 de 2023)."""

from __future__ import annotations

from collections.abc import Iterator

from pregonero.checks.config import WordEntry
from pregonero.checks.findings import Finding
from pregonero.checks.text import fold

from .base import LEY_2345, Context
from .base import cached_gettext as _


def _finding(ctx: Context, start: int, end: int, entry: WordEntry) -> Finding:
    return Finding(
        "BRD-03",
        entry.severity or "error",
        start,
        end,
        _("«%(term)s» es un eslogan de gobierno o una referencia partidista.")
        % {"term": ctx.doc.text[start:end]},
        " ".join(
            p
            for p in (
                _(
                    "Retírelo: la Ley 2345 de 2023 prohíbe las marcas de gobierno en la comunicación de las entidades."
                ),
                entry.note,
            )
            if p
        ),
        source=LEY_2345,
    )


def slogans(ctx: Context) -> Iterator[Finding]:
    matcher = ctx.settings.matcher("slogans")
    for start, end, entry in matcher.finditer(ctx.doc):
        yield _finding(ctx, start, end, entry)
    # In a hashtag the words run together: #BogotáMejorParaTodos.
    hashtags = list(ctx.doc.hashtags())
    if not hashtags or not matcher.entries:
        return
    joined = {key.replace(" ", ""): entry for key, entry in matcher.entries.items()}
    for tag in hashtags:
        body, _positions = fold(ctx.doc.text[tag.start + 1 : tag.end])
        body = body.replace("_", "")
        for key, entry in joined.items():
            if key and key in body:
                yield _finding(ctx, tag.start, tag.end, entry)
                break
