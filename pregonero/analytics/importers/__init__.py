"""Readers of hand-downloaded exports (social_apis.md §8): detection and rows.

:func:`detect` sniffs an opened file (see ``tables.open_container``), tries the
readers of the channel's network on each table's first rows (the header may be
on any of them: LinkedIn puts a note on row 1, Meta's page files a ``sep=``
line and a title) and returns a :class:`Plan`: which reader reads which table,
or, when no reader recognises the headers, the layout to map by hand (its
signature finds a mapping saved earlier). :func:`items` then streams the
records of the planned tables.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from . import linkedin, meta, tiktok, x, youtube
from .base import (
    Binding,
    Cell,
    Column,
    ImportRefused,
    Limits,
    PostInfo,
    Record,
    RowItem,
    Skip,
    bind,
    cell_text,
    chunks,
    col,
    norm,
    parse_number,
)
from .reader import ACCOUNT, POST, ColumnsReader
from .tables import Container, RowBudget, Table, open_container

__all__ = [
    "ACCOUNT",
    "POST",
    "Binding",
    "Container",
    "ImportRefused",
    "Limits",
    "MappedReader",
    "Plan",
    "PlannedTable",
    "PostInfo",
    "Record",
    "RowBudget",
    "RowItem",
    "Skip",
    "Unknown",
    "chunks",
    "detect",
    "items",
    "open_container",
    "signature_of",
]

READERS: tuple[ColumnsReader, ...] = (
    *meta.READERS,
    *x.READERS,
    *youtube.READERS,
    *linkedin.READERS,
    *tiktok.READERS,
)

NETWORK_LABELS = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
    "youtube": "YouTube",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
}

# Fields a person can give an unknown column on the mapping screen.
MAPPING_FIELDS = ("date", "post_id", "permalink", "text")


class MappedReader(ColumnsReader):
    """A layout a person mapped once (``models.ColumnMapping.mapping``)."""

    key = "mapped"

    def __init__(self, network: str, mapping: dict[str, Any], name: str = "") -> None:
        self.network = network
        self.label = name or _("Formato asignado a mano")
        columns: list[Column] = []
        post_id = mapping.get("post_id")
        self.scope = POST if post_id else ACCOUNT
        for field_name in MAPPING_FIELDS:
            header = mapping.get(field_name)
            if header:
                target = (
                    "published_at"
                    if field_name == "date" and self.scope == POST
                    else field_name
                )
                columns.append(col(target, header))
        for header, metric in (mapping.get("metrics") or {}).items():
            if metric:
                columns.append(col(metric, header))
        self.columns = tuple(columns)
        self.required = ("post_id",) if self.scope == POST else ("date",)


@dataclass
class PlannedTable:
    table: Table
    reader: ColumnsReader
    binding: Binding
    header_row: int  # 0-based, within the table's rows


@dataclass
class Unknown:
    """A layout no reader recognised: what the mapping screen shows."""

    table: str
    header_row: int
    headers: list[str]
    signature: str
    sample: list[list[str]] = field(default_factory=list)


@dataclass
class Plan:
    kind: str
    tables: list[PlannedTable] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unknown: Unknown | None = None
    mapping_id: int | None = None

    @property
    def format_key(self) -> str:
        if not self.tables:
            return "unknown"
        keys = sorted({p.reader.key for p in self.tables})
        if len(keys) == 1:
            return keys[0]
        networks = {p.reader.network for p in self.tables}
        if len(networks) == 1:
            network = networks.pop()
            short = [k.removeprefix(network + "_") for k in keys]
            return f"{network}:{'+'.join(short)}"[:40]
        return "+".join(keys)[:40]

    @property
    def format_label(self) -> str:
        labels: list[str] = []
        for planned in self.tables:
            if planned.reader.label not in labels:
                labels.append(str(planned.reader.label))
        return "; ".join(labels)


def signature_of(network: str, headers: list[str]) -> str:
    text = network + "\x1f" + "\x1f".join(norm(h) for h in headers)
    return hashlib.sha256(text.encode()).hexdigest()


def _header_candidates(table: Table) -> Iterator[tuple[int, list[Cell]]]:
    for index, row in enumerate(table.head):
        if sum(1 for cell in row if cell_text(cell)) >= 2:
            yield index, row


def _best(table: Table, readers: tuple[ColumnsReader, ...]) -> PlannedTable | None:
    for index, row in _header_candidates(table):
        best: tuple[int, PlannedTable] | None = None
        for reader in readers:
            binding = bind(row, reader.columns)
            score = reader.match(table, binding)
            if score is not None and (best is None or score > best[0]):
                best = (score, PlannedTable(table, reader, binding, index))
        if best is not None:
            return best[1]
    return None


def _unknown(network: str, table: Table) -> Unknown:
    for index, row in _header_candidates(table):
        texts = [cell_text(c) for c in row]
        numeric = sum(1 for t in texts if t and parse_number(t) is not None)
        if numeric <= len([t for t in texts if t]) // 2:
            headers = [
                t or _("(columna %(n)s)") % {"n": i + 1} for i, t in enumerate(texts)
            ]
            sample = [
                [cell_text(c)[:80] for c in r]
                for r in table.head[index + 1 : index + 4]
            ]
            return Unknown(
                table.name, index, headers, signature_of(network, headers), sample
            )
    raise ImportRefused(
        _(
            "No se encontró una fila de encabezados en «%(table)s»: el archivo no "
            "parece una exportación de estadísticas."
        )
        % {"table": table.name},
        code="no_headers",
    )


def detect(
    container: Container,
    network: str,
    saved_mapping: Callable[[str], tuple[int, str, dict[str, Any]] | None],
) -> Plan:
    """Which reader reads each table of ``container`` for a channel of ``network``.

    ``saved_mapping(signature)`` returns ``(id, name, mapping)`` of a mapping
    saved earlier for an unknown layout, or None.
    """
    plan = Plan(container.kind)
    own = tuple(r for r in READERS if r.network == network)
    for table in container.tables:
        planned = _best(table, own)
        if planned is None:
            plan.ignored.append(table.name)
        else:
            plan.tables.append(planned)
    if plan.tables:
        return plan
    plan.ignored = []
    others = tuple(r for r in READERS if r.network != network)
    for table in container.tables:
        planned = _best(table, others)
        if planned is not None:
            raise ImportRefused(
                _(
                    "Este archivo parece una exportación de %(file_network)s "
                    "(«%(format)s»), pero el canal elegido es de %(network)s. "
                    "Elija un canal de %(file_network)s."
                )
                % {
                    "file_network": NETWORK_LABELS.get(
                        planned.reader.network, planned.reader.network
                    ),
                    "format": planned.reader.label,
                    "network": NETWORK_LABELS.get(network, network),
                },
                code="wrong_network",
            )
    if not container.tables:
        raise ImportRefused(_("El archivo no contiene tablas."), code="no_tables")
    table = container.tables[0]
    unknown = _unknown(network, table)
    saved = saved_mapping(unknown.signature)
    if saved is None:
        plan.unknown = unknown
        return plan
    mapping_id, name, mapping = saved
    reader = MappedReader(network, mapping, name)
    binding = bind(table.head[unknown.header_row], reader.columns)
    plan.tables.append(PlannedTable(table, reader, binding, unknown.header_row))
    plan.mapping_id = mapping_id
    plan.ignored = [t.name for t in container.tables[1:]]
    return plan


def items(
    plan: Plan, budget: RowBudget, as_of: datetime.date
) -> Iterator[tuple[PlannedTable, RowItem]]:
    """Every record (or skipped row) of the planned tables, streamed."""
    for planned in plan.tables:
        ctx = planned.reader.context(planned.table, planned.binding, as_of)
        rows = (
            (number, row)
            for number, row in planned.table.rows(budget)
            if number > planned.header_row + 1
        )
        for item in planned.reader.read(rows, planned.binding, ctx):
            yield planned, item
