"""Government brands and party references: BRD-03 (Ley 2345 de 2023)."""

from __future__ import annotations

from collections.abc import Iterator

from pregonero.checks.findings import Finding

from .base import LEY_2345, Context
from .base import cached_gettext as _


def slogans(ctx: Context) -> Iterator[Finding]:
    text = ctx.doc.text
    for start, end, entry in ctx.settings.matcher("slogans").finditer(ctx.doc):
        found = text[start:end]
        yield Finding(
            "BRD-03",
            entry.severity or "error",
            start,
            end,
            _("«%(term)s» es un eslogan de gobierno o una referencia partidista.")
            % {"term": found},
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
