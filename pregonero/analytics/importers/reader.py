"""The common reader: a table whose header row names posts' or days' figures."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .base import (
    Binding,
    Cell,
    Column,
    PostInfo,
    Record,
    RowItem,
    Skip,
    cell_text,
    convert,
    local_zone,
    norm,
    parse_when,
)
from .tables import Table

POST = "post"
ACCOUNT = "account"

# Date headers that say the file was exported with the interface in Spanish:
# its dates are day-first (28/09/2026) unless a value proves otherwise.
SPANISH_DATE_HEADERS = frozenset(
    norm(h)
    for h in (
        "Fecha",
        "Hora de publicación",
        "Fecha de publicación",
        "Fecha de creación",
        "Hora de publicación del video",
        "Fecha de publicación del video",
        "Tiempo",
        "Hora",
    )
)


@dataclass
class Context:
    """What a reader needs besides the rows."""

    as_of: datetime.date
    zone: datetime.tzinfo
    table: Table
    dayfirst: bool = False


class ColumnsReader:
    """Headers matched by name through ``columns``; one record per data row."""

    key = ""
    label = ""
    network = ""
    scope = POST
    columns: tuple[Column, ...] = ()
    required: tuple[str, ...] = ()  # targets that must be present
    signals: tuple[str, ...] = ()  # at least one of these, when given
    min_metrics = 1

    def match(self, table: Table, binding: Binding) -> int | None:
        """A score (columns recognised) when this reader reads the table."""
        present = set(binding.fields) | set(binding.metrics)
        if any(r not in present for r in self.required):
            return None
        if self.signals and not any(s in present for s in self.signals):
            return None
        if len(binding.metrics) < self.min_metrics:
            return None
        return len(binding.used)

    def context(self, table: Table, binding: Binding, as_of: datetime.date) -> Context:
        date_column = binding.fields.get("published_at", binding.fields.get("date"))
        dayfirst = (
            date_column is not None
            and norm(binding.headers[date_column]) in SPANISH_DATE_HEADERS
        )
        return Context(as_of, local_zone(), table, dayfirst)

    def read(
        self,
        rows: Iterator[tuple[int, list[Cell]]],
        binding: Binding,
        ctx: Context,
    ) -> Iterator[RowItem]:
        for number, row in rows:
            if not any(cell not in (None, "") for cell in row):
                continue
            item = self.record(number, row, binding, ctx)
            if item is not None:
                yield item

    # ------------------------------------------------------------ helpers

    @staticmethod
    def get(row: list[Cell], binding: Binding, name: str) -> Cell:
        index = binding.fields.get(name)
        if index is None or index >= len(row):
            return None
        return row[index]

    @staticmethod
    def metrics(row: list[Cell], binding: Binding) -> dict[str, float]:
        values: dict[str, float] = {}
        for name, (index, factor, kind) in binding.metrics.items():
            if index < len(row):
                value = convert(row[index], kind, factor)
                if value is not None:
                    values[name] = value
        return values

    def post_id(self, row: list[Cell], binding: Binding) -> str:
        return cell_text(self.get(row, binding, "post_id"))

    def published(
        self, row: list[Cell], binding: Binding, ctx: Context
    ) -> datetime.datetime | None:
        when = parse_when(self.get(row, binding, "published_at"), dayfirst=ctx.dayfirst)
        return when.aware(ctx.zone) if when else None

    def record(
        self, number: int, row: list[Cell], binding: Binding, ctx: Context
    ) -> RowItem | None:
        metrics = self.metrics(row, binding)
        if self.scope == ACCOUNT:
            when = parse_when(self.get(row, binding, "date"), dayfirst=ctx.dayfirst)
            if when is None:
                raw = cell_text(self.get(row, binding, "date"))
                if norm(raw) in {"total", "totales", "lifetime"}:
                    return None
                return Skip(
                    number, _("Fecha no válida: «%(value)s».") % {"value": raw[:40]}
                )
            if when.zone is not None and when.time is not None:
                day = when.aware(ctx.zone).astimezone(ctx.zone).date()
            else:
                day = when.date
            return Record(metrics, day=day)
        platform_id = self.post_id(row, binding)
        if not platform_id:
            return Skip(number, _("Fila sin identificador de publicación."))
        text = cell_text(self.get(row, binding, "text")) or cell_text(
            self.get(row, binding, "title")
        )
        post = PostInfo(
            platform_id=platform_id[:200],
            published_at=self.published(row, binding, ctx),
            permalink=cell_text(self.get(row, binding, "permalink"))[:500],
            text=text,
            post_type=cell_text(self.get(row, binding, "post_type"))[:40],
        )
        return Record(metrics, post=post)
