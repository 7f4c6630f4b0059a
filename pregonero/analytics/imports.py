"""Importing hand-downloaded exports: preview, mapping, import, discard (activity 15).

Every write is here, with its permission check (``METRICS_IMPORT``) and its
audit event in the same transaction:

* :func:`preview_export` checks the upload (type from the content, size, zip
  bombs), reads it once, streaming, and keeps it as an ``ImportBatch`` in
  *Vista previa* with the detected format, the period, the rows, the posts, the
  first rows and how many values already exist and will be replaced — or in
  *Requiere asignar columnas* when no reader recognises the headers.
* :func:`save_column_mapping` remembers how an unknown layout maps (keyed by a
  signature of its normalised headers) and previews the file again.
* :func:`confirm_import` writes it, in batches, in one transaction. Values are
  upserted on their natural key (``MetricValue``: channel, metric, day for the
  account; post, metric, capture day for posts), so re-importing the same file
  or an overlapping period replaces values and never counts twice. Post
  figures are lifetime snapshots dated by the export's date (the day of the
  first import of the same file, so a repeated file lands on the same keys).
* :func:`discard_import` drops a preview.

A file refused before it is kept (hostile zip, too many rows, not an export)
still leaves an audit event ``analytics.import.refused`` with its hash.

Requirement IDs: REC-01 (a metrics snapshot is a record: the file is kept with its
hash), REC-02 (who, what, when in the audit log), IND-07 and IND-08 (the
figures the followers and interaction indicators are computed from).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, require
from pregonero.audit.actions import record
from pregonero.core.errors import NotFoundError, TransitionNotAllowed, ValidationFailed
from pregonero.core.models import Channel
from pregonero.lib.uploads import check_export_upload

from . import importers
from .importers import (
    ImportRefused,
    Limits,
    Plan,
    PlannedTable,
    Record,
    RowBudget,
    Skip,
)
from .mapping import mapper_for
from .models import (
    ColumnMapping,
    ImportBatch,
    ImportStatus,
    MetricSource,
    MetricValue,
    NetworkPost,
    Scope,
)

BATCH_ROWS = 5000
FIRST_ROWS = 10
SKIP_EXAMPLES = 20
IGNORE = "__ignore__"


IN_CHUNK = 900  # parameters per IN list: under every SQLite's variable limit


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _select_in(sql: str, head: list[Any], values: list[Any]) -> list[tuple[Any, ...]]:
    """``sql`` with ``{}`` where the ``IN`` test goes (``column {}``), run in
    chunks: raw, because Django compiles thousands of parameters slowly; on
    PostgreSQL one array parameter (``= ANY(%s)``), which plans with the index."""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for test, params in _in_tests(values):
            _execute_unprepared(cursor, sql.format(test), [*head, *params])
            rows.extend(cursor.fetchall())
    return rows


def _execute_unprepared(cursor: Any, sql: str, params: list[Any]) -> None:
    """Run ``sql`` planned for this very call.

    psycopg prepares a statement on its fifth run, and PostgreSQL may then keep a
    generic plan chosen while the table was nearly empty — a sequential scan
    that, on a table this import is filling, makes each lookup slower than the
    last (a 100,000-row first import took three minutes instead of seconds).
    """
    if connection.vendor == "postgresql":
        cursor.cursor.execute(sql, params, prepare=False)
    else:
        cursor.execute(sql, params)


def _in_tests(values: list[Any]) -> Iterator[tuple[str, list[Any]]]:
    if connection.vendor == "postgresql":
        # A semi-join on the unnested array: linear even when the table's
        # statistics are stale (a table filled by this very import), where
        # ``= ANY(array)`` over a sequential scan is quadratic.
        cast = "bigint[]" if values and isinstance(values[0], int) else "text[]"
        for start in range(0, len(values), 10 * IN_CHUNK):
            chunk = values[start : start + 10 * IN_CHUNK]
            yield f"IN (SELECT unnest(%s::{cast}))", [chunk]
        return
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        yield "IN ({})".format(", ".join(["%s"] * len(chunk))), chunk


def _write_rows(insert_sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

    ``insert_sql`` is ``INSERT INTO t (cols) VALUES (...)``; PostgreSQL gets
    ``COPY t (cols) FROM STDIN`` built from it.
    """
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            target = insert_sql.removeprefix("INSERT INTO ").split(" VALUES", 1)[0]
            with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), 2000):
            cursor.executemany(insert_sql, rows[start : start + 2000])


def _delete_in(sql: str, head: list[Any], values: list[Any]) -> int:
    deleted = 0
    with connection.cursor() as cursor:
        for test, params in _in_tests(values):
            _execute_unprepared(cursor, sql.format(test), [*head, *params])
            deleted += max(cursor.rowcount, 0)
    return deleted


# ---------------------------------------------------------------- reading


@dataclass
class Summary:
    """What one pass over the file found (the preview's figures)."""

    rows: int = 0
    skipped: int = 0
    skip_examples: list[dict[str, Any]] = field(default_factory=list)
    post_rows: int = 0
    posts_existing: int = 0
    account_rows: int = 0
    values: int = 0
    values_existing: int = 0
    metrics: set[str] = field(default_factory=set)
    first: datetime.date | None = None
    last: datetime.date | None = None
    first_rows: list[dict[str, Any]] = field(default_factory=list)

    def see(self, day: datetime.date | None) -> None:
        if day is None:
            return
        if self.first is None or day < self.first:
            self.first = day
        if self.last is None or day > self.last:
            self.last = day


def _saved_mapping(organization_id: int) -> Any:
    def lookup(signature: str) -> tuple[int, str, dict[str, Any]] | None:
        row = ColumnMapping.objects.filter(
            organization_id=organization_id, signature=signature
        ).first()
        return (row.pk, row.name, row.mapping) if row else None

    return lookup


def _batches(
    plan: Plan, limits: Limits, as_of: datetime.date
) -> Iterator[list[tuple[PlannedTable, Record | Skip]]]:
    budget = RowBudget(limits.max_rows)
    yield from importers.chunks(importers.items(plan, budget, as_of), BATCH_ROWS)


def _post_candidates(platform_id: str) -> list[str]:
    """The ids a Publication may carry for this post (``page_post`` or bare)."""
    ids = [platform_id]
    if "_" in platform_id:
        ids.append(platform_id.split("_", 1)[1])
    return ids


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def _row_preview(planned: PlannedTable, item: Record) -> dict[str, Any]:
    row: dict[str, Any] = {
        "table": planned.table.name,
        "metrics": {k: round(v, 4) for k, v in sorted(item.metrics.items())},
    }
    if item.post is not None:
        row["post_id"] = item.post.platform_id
        row["published_at"] = (
            timezone.localtime(item.post.published_at).strftime("%Y-%m-%d %H:%M")
            if item.post.published_at
            else ""
        )
        row["text"] = item.post.text[:120]
    else:
        row["date"] = item.day.isoformat() if item.day else ""
    return row


def _summarise(
    plan: Plan, channel: Channel, limits: Limits, as_of: datetime.date
) -> Summary:
    """Read the whole file once: counts, period, what exists already."""
    summary = Summary()
    for batch in _batches(plan, limits, as_of):
        posts: dict[str, set[str]] = {}
        days: dict[str, set[datetime.date]] = {}
        for planned, item in batch:
            summary.rows += 1
            if isinstance(item, Skip):
                summary.skipped += 1
                if len(summary.skip_examples) < SKIP_EXAMPLES:
                    summary.skip_examples.append(
                        {
                            "table": planned.table.name,
                            "row": item.row,
                            "reason": item.reason,
                        }
                    )
                continue
            if len(summary.first_rows) < FIRST_ROWS:
                summary.first_rows.append(_row_preview(planned, item))
            summary.values += len(item.metrics)
            summary.metrics.update(item.metrics)
            if item.post is not None:
                summary.post_rows += 1
                summary.see(_local_day(item.post.published_at))
                posts.setdefault(item.post.platform_id, set()).update(item.metrics)
            else:
                summary.account_rows += 1
                summary.see(item.day)
                assert item.day is not None
                for metric in item.metrics:
                    days.setdefault(metric, set()).add(item.day)
        if posts:
            existing = dict(
                _select_in(
                    f"SELECT platform_id, id FROM {_table(NetworkPost)} "  # noqa: S608
                    "WHERE channel_id = %s AND platform_id {}",
                    [channel.pk],
                    list(posts),
                )
            )
            summary.posts_existing += len(existing)
            by_pk = {pk: posts[pid] for pid, pk in existing.items()}
            if by_pk:
                for post_id, metric in _select_in(
                    f"SELECT post_id, metric FROM {_table(MetricValue)} "  # noqa: S608
                    "WHERE date = %s AND post_id {}",
                    [connection.ops.adapt_datefield_value(as_of)],
                    list(by_pk),
                ):
                    if metric in by_pk[post_id]:
                        summary.values_existing += 1
        for metric, metric_days in days.items():
            summary.values_existing += MetricValue.objects.filter(
                channel=channel,
                post__isnull=True,
                metric=metric,
                date__in=list(metric_days),
            ).count()
    return summary


def _plan_preview(plan: Plan, summary: Summary | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": plan.format_key,
        "format_label": plan.format_label,
        "container": plan.kind,
        "tables": [
            {
                "name": p.table.name,
                "reader": p.reader.key,
                "label": str(p.reader.label),
                "scope": p.reader.scope,
                "header_row": p.header_row + 1,
                "columns": {
                    p.binding.headers[i]: target
                    for i, target in sorted(p.binding.used.items())
                },
                "ignored_columns": p.binding.ignored,
            }
            for p in plan.tables
        ],
        "ignored_tables": plan.ignored,
    }
    if plan.unknown is not None:
        data["unknown"] = {
            "table": plan.unknown.table,
            "header_row": plan.unknown.header_row + 1,
            "headers": plan.unknown.headers,
            "signature": plan.unknown.signature,
            "sample": plan.unknown.sample,
        }
    if summary is not None:
        data.update(
            {
                "rows": summary.rows,
                "skipped": summary.skipped,
                "skip_examples": summary.skip_examples,
                "post_rows": summary.post_rows,
                "posts_existing": summary.posts_existing,
                "account_rows": summary.account_rows,
                "values": summary.values,
                "values_existing": summary.values_existing,
                "values_new": max(summary.values - summary.values_existing, 0),
                "metrics": sorted(summary.metrics),
                "first_rows": summary.first_rows,
            }
        )
    return data


@dataclass
class Analysis:
    plan: Plan
    summary: Summary | None
    preview: dict[str, Any]


def _analyse(
    fileobj: IO[bytes],
    name: str,
    channel: Channel,
    as_of: datetime.date,
    limits: Limits,
) -> Analysis:
    with importers.open_container(fileobj, name, limits) as container:
        plan = importers.detect(
            container, channel.network, _saved_mapping(channel.organization_id)
        )
        summary = None if plan.unknown else _summarise(plan, channel, limits, as_of)
        return Analysis(plan, summary, _plan_preview(plan, summary))


def _check_channel(user: User, channel: Channel) -> None:
    if channel.organization_id != user.organization_id:
        raise NotFoundError(_("El canal no existe, o pertenece a otra entidad."))


def _apply_analysis(
    batch: ImportBatch, analysis: Analysis, as_of: datetime.date
) -> None:
    preview = analysis.preview
    preview["as_of"] = as_of.isoformat()
    batch.preview = preview
    batch.file_format = analysis.plan.format_key
    batch.column_mapping_id = analysis.plan.mapping_id
    summary = analysis.summary
    if summary is None:
        batch.status = ImportStatus.NEEDS_MAPPING
        batch.rows_read = batch.rows_skipped = 0
        batch.period_start = batch.period_end = None
        return
    batch.status = ImportStatus.PREVIEW
    batch.rows_read = summary.rows
    batch.rows_skipped = summary.skipped
    batch.period_start, batch.period_end = summary.first, summary.last


def _audit_refusal(
    user: User, channel: Channel, name: str, sha256: str, error: ValidationFailed
) -> None:
    with transaction.atomic():
        record(
            user,
            "analytics.import.refused",
            channel,
            {
                "file": name[:200],
                "sha256": sha256,
                "code": error.code,
                "reason": error.message,
            },
        )


def _sha256(fileobj: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def preview_export(
    user: User, channel: Channel, fileobj: Any, name: str
) -> ImportBatch:
    """Check and read an uploaded export; keep it as a preview (or for mapping)."""
    require(user, Perm.METRICS_IMPORT)
    _check_channel(user, channel)
    limits = Limits.from_settings()
    try:
        checked = check_export_upload(
            fileobj,
            name,
            max_bytes=limits.max_bytes,
            max_uncompressed=limits.max_uncompressed,
            max_ratio=limits.max_ratio,
        )
    except ValidationFailed as error:
        size = getattr(fileobj, "size", 0) or 0
        sha = _sha256(fileobj) if 0 < size <= limits.max_bytes else ""
        _audit_refusal(user, channel, name, sha, error)
        raise
    earlier = (
        ImportBatch.objects.filter(
            channel=channel, sha256=checked.sha256, status=ImportStatus.IMPORTED
        )
        .order_by("imported_at")
        .first()
    )
    as_of = timezone.localdate()
    if earlier is not None and earlier.preview.get("as_of"):
        as_of = datetime.date.fromisoformat(earlier.preview["as_of"])
    try:
        analysis = _analyse(fileobj, checked.name, channel, as_of, limits)
    except ImportRefused as error:
        _audit_refusal(user, channel, checked.name, checked.sha256, error)
        raise
    with transaction.atomic():
        batch = ImportBatch(
            organization_id=channel.organization_id,
            channel=channel,
            uploaded_by=user,
        )
        batch.fill_from_upload(fileobj, checked, "imports")
        _apply_analysis(batch, analysis, as_of)
        if earlier is not None:
            batch.preview["same_file"] = {
                "id": earlier.pk,
                "imported_at": timezone.localtime(earlier.imported_at).isoformat()
                if earlier.imported_at
                else None,
            }
        batch.save()
        record(
            user,
            "analytics.import.previewed",
            batch,
            {
                "channel": channel.name,
                "file": batch.original_name,
                "sha256": batch.sha256,
                "format": batch.file_format,
                "status": batch.status,
                "rows": batch.rows_read,
            },
        )
    return batch


def _reanalyse(batch: ImportBatch) -> Analysis:
    as_of = datetime.date.fromisoformat(
        batch.preview.get("as_of") or timezone.localdate().isoformat()
    )
    with batch.file.open("rb") as stored:
        return _analyse(
            stored, batch.original_name, batch.channel, as_of, Limits.from_settings()
        )


def mapping_choices(channel: Channel) -> list[tuple[str, str]]:
    """The targets offered for a column on the mapping screen."""
    mapper = mapper_for(channel.organization_id)
    choices: list[tuple[str, str]] = [
        (IGNORE, _("Ignorar esta columna")),
        ("date", _("Fecha (día, o fecha de publicación)")),
        ("post_id", _("Identificador de la publicación")),
        ("permalink", _("Enlace de la publicación")),
        ("text", _("Texto o título de la publicación")),
    ]
    labels = dict(Scope.choices)
    for scope in (Scope.POST, Scope.ACCOUNT):
        for metric in mapper.metrics_for(channel.network, scope):
            concept = mapper.concept(channel.network, scope, metric)
            concept_label = concept[0] if concept else ""
            choices.append(
                (
                    metric,
                    _("Métrica %(metric)s (%(scope)s: %(concept)s)")
                    % {
                        "metric": metric,
                        "scope": labels[scope],
                        "concept": concept_label,
                    },
                )
            )
    seen: set[str] = set()
    unique = []
    for value, label in choices:
        if value not in seen:
            seen.add(value)
            unique.append((value, label))
    return unique


def save_column_mapping(
    user: User,
    batch: ImportBatch,
    assignments: dict[str, str],
    name: str = "",
) -> ImportBatch:
    """Remember how the columns of an unknown layout map, then preview again.

    ``assignments`` maps each header to ``date``, ``post_id``, ``permalink``,
    ``text``, a metric name offered by :func:`mapping_choices`, or ``__ignore__``.
    """
    require(user, Perm.METRICS_IMPORT)
    _check_channel(user, batch.channel)
    if batch.status != ImportStatus.NEEDS_MAPPING:
        raise TransitionNotAllowed(
            _("Esta importación no está esperando la asignación de columnas.")
        )
    unknown = batch.preview.get("unknown") or {}
    headers: list[str] = list(unknown.get("headers") or [])
    allowed = {value for value, _label in mapping_choices(batch.channel)}
    mapping: dict[str, Any] = {"metrics": {}}
    errors: dict[str, list[str]] = {}
    for header in headers:
        target = (assignments.get(header) or IGNORE).strip()
        if target == IGNORE:
            continue
        if target not in allowed:
            errors.setdefault(header, []).append(_("Opción no válida."))
        elif target in importers.MAPPING_FIELDS:
            if mapping.get(target):
                errors.setdefault(header, []).append(
                    _("Esa opción ya se asignó a la columna «%(other)s».")
                    % {"other": mapping[target]}
                )
            mapping[target] = header
        else:
            mapping["metrics"][header] = target
    if not errors and not (mapping.get("date") or mapping.get("post_id")):
        errors["__all__"] = [
            _(
                "Asigne la columna de fecha (cifras diarias) o la del identificador "
                "de la publicación (cifras por publicación)."
            )
        ]
    if not errors and not mapping["metrics"]:
        errors["__all__"] = [_("Asigne al menos una columna a una métrica.")]
    if errors:
        raise ValidationFailed(_("Revise la asignación de columnas."), errors=errors)
    scope = Scope.POST if mapping.get("post_id") else Scope.ACCOUNT
    with transaction.atomic():
        column_mapping, _created = ColumnMapping.objects.update_or_create(
            organization_id=batch.organization_id,
            signature=str(unknown.get("signature")),
            defaults={
                "network": batch.channel.network,
                "scope": scope,
                "name": (name or "").strip()[:120],
                "headers": headers,
                "mapping": mapping,
                "created_by": user,
            },
        )
        record(
            user,
            "analytics.column_mapping.saved",
            column_mapping,
            {"signature": column_mapping.signature, "mapping": mapping},
        )
    analysis = _reanalyse(batch)
    with transaction.atomic():
        _apply_analysis(
            batch, analysis, datetime.date.fromisoformat(batch.preview["as_of"])
        )
        batch.save()
        record(
            user,
            "analytics.import.previewed",
            batch,
            {
                "format": batch.file_format,
                "status": batch.status,
                "rows": batch.rows_read,
            },
        )
    return batch


def discard_import(user: User, batch: ImportBatch) -> ImportBatch:
    require(user, Perm.METRICS_IMPORT)
    _check_channel(user, batch.channel)
    with transaction.atomic():
        changed = ImportBatch.objects.filter(
            pk=batch.pk,
            status__in=[ImportStatus.PREVIEW, ImportStatus.NEEDS_MAPPING],
        ).update(status=ImportStatus.DISCARDED)
        if not changed:
            raise TransitionNotAllowed(
                _("Solo se descarta una importación en vista previa.")
            )
        batch.status = ImportStatus.DISCARDED
        record(
            user,
            "analytics.import.discarded",
            batch,
            {"file": batch.original_name, "sha256": batch.sha256},
        )
    return batch


# ---------------------------------------------------------------- writing


@dataclass
class Written:
    values: int = 0
    replaced: int = 0
    posts_new: int = 0
    posts_updated: int = 0


class Writer:
    """Upserts records batch by batch (portable: SQLite and PostgreSQL).

    ``MetricValue``'s natural keys are partial unique indexes, which
    ``bulk_create(update_conflicts=...)`` cannot target, so each batch deletes
    the keys it brings (one statement per metric) and inserts them again.
    """

    def __init__(self, batch: ImportBatch, as_of: datetime.date) -> None:
        self.batch = batch
        self.channel = batch.channel
        self.as_of = as_of
        self.now = timezone.now()
        self.written = Written()
        ops = connection.ops
        self.sql_as_of = ops.adapt_datefield_value(as_of)
        self.sql_now = ops.adapt_datetimefield_value(self.now)
        table = connection.ops.quote_name(MetricValue._meta.db_table)
        self.insert_sql = (
            f"INSERT INTO {table} (organization_id, channel_id, post_id, metric, "  # noqa: S608
            "api_version, date, value, captured_at, source, import_batch_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        posts = connection.ops.quote_name(NetworkPost._meta.db_table)
        self.post_sql = (
            f"INSERT INTO {posts} (organization_id, created_at, channel_id, "  # noqa: S608
            "platform_id, publication_id, published_at, permalink, text, post_type, "
            "thumbnail_url, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.post_update_sql = (
            f"UPDATE {posts} SET publication_id = %s, published_at = %s, "  # noqa: S608
            "permalink = %s, text = %s, post_type = %s, updated_at = %s WHERE id = %s"
        )

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        org, channel, batch_id = (
            self.batch.organization_id,
            self.channel.pk,
            self.batch.pk,
        )
        params = [
            (
                org,
                channel,
                post_id,
                metric,
                "",
                day,
                value,
                self.sql_now,
                MetricSource.IMPORT,
                batch_id,
            )
            for post_id, metric, day, value in rows
        ]
        _write_rows(self.insert_sql, params)
        self.written.values += len(rows)

    def posts(self, records: list[Record]) -> None:
        merged: dict[str, Record] = {}
        for item in records:
            assert item.post is not None
            earlier = merged.get(item.post.platform_id)
            if earlier is not None:
                item.metrics = {**earlier.metrics, **item.metrics}
            merged[item.post.platform_id] = item
        ids = list(merged)
        # platform_id → (id, publication_id, published_at, permalink, text, post_type)
        existing = {
            row[0]: row[1:]
            for row in _select_in(
                "SELECT platform_id, id, publication_id, published_at, permalink, "  # noqa: S608
                f"text, post_type FROM {_table(NetworkPost)} "
                "WHERE channel_id = %s AND platform_id {}",
                [self.channel.pk],
                ids,
            )
        }
        candidates = {c: pid for pid in ids for c in _post_candidates(pid)}
        from pregonero.publishing.models import Publication

        linked = {
            candidates[platform_id]: pk
            for platform_id, pk in _select_in(
                f"SELECT platform_id, id FROM {_table(Publication)} "  # noqa: S608
                "WHERE organization_id = %s AND channel_id = %s AND platform_id {}",
                [self.batch.organization_id, self.channel.pk],
                list(candidates),
            )
        }
        adapt = connection.ops.adapt_datetimefield_value
        new: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        for pid, item in merged.items():
            info = item.post
            assert info is not None
            published = adapt(info.published_at) if info.published_at else None
            row = existing.get(pid)
            if row is None:
                new.append(
                    (
                        self.batch.organization_id,
                        self.sql_now,
                        self.channel.pk,
                        pid,
                        linked.get(pid),
                        published,
                        info.permalink,
                        info.text,
                        info.post_type,
                        "",
                        self.sql_now,
                    )
                )
                continue
            pk, publication_id, old_published, permalink, text, post_type = row
            values = (
                linked.get(pid, publication_id),
                published or old_published,
                info.permalink or permalink,
                info.text or text,
                info.post_type or post_type,
            )
            if values != (publication_id, old_published, permalink, text, post_type):
                changed.append((*values, self.sql_now, pk))
        pk_of = {pid: row[0] for pid, row in existing.items()}
        _write_rows(self.post_sql, new)
        with connection.cursor() as cursor:
            for start in range(0, len(changed), 2000):
                cursor.executemany(self.post_update_sql, changed[start : start + 2000])
        if new:
            self.written.posts_new += len(new)
            pk_of.update(
                _select_in(
                    f"SELECT platform_id, id FROM {_table(NetworkPost)} "  # noqa: S608
                    "WHERE channel_id = %s AND platform_id {}",
                    [self.channel.pk],
                    [row[3] for row in new],
                )
            )
        self.written.posts_updated += len(changed)
        by_metric: dict[str, list[int]] = {}
        rows: list[tuple[Any, ...]] = []
        existing_pks = {row[0] for row in existing.values()}
        for pid, item in merged.items():
            post_pk = pk_of[pid]
            for metric, value in item.metrics.items():
                if post_pk in existing_pks:
                    by_metric.setdefault(metric, []).append(post_pk)
                rows.append((post_pk, metric, self.sql_as_of, value))
        for metric, targets in by_metric.items():
            self.written.replaced += _delete_in(
                f"DELETE FROM {_table(MetricValue)} "  # noqa: S608
                "WHERE metric = %s AND date = %s AND post_id {}",
                [metric, self.sql_as_of],
                targets,
            )
        self._insert(rows)

    def account(self, records: list[Record]) -> None:
        merged: dict[tuple[str, datetime.date], float] = {}
        for item in records:
            assert item.day is not None
            for metric, value in item.metrics.items():
                merged[(metric, item.day)] = value
        by_metric: dict[str, list[datetime.date]] = {}
        for metric, day in merged:
            by_metric.setdefault(metric, []).append(day)
        for metric, days in by_metric.items():
            deleted, _detail = MetricValue.objects.filter(
                channel=self.channel, post__isnull=True, metric=metric, date__in=days
            ).delete()
            self.written.replaced += deleted
        adapt = connection.ops.adapt_datefield_value
        self._insert(
            [
                (None, metric, adapt(day), value)
                for (metric, day), value in merged.items()
            ]
        )


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_table(MetricValue)}, {_table(NetworkPost)}")


def _restore_cache(pages: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size={int(pages)}")


def confirm_import(user: User, batch: ImportBatch) -> ImportBatch:
    """Write the previewed file; replaces values on the same natural keys."""
    require(user, Perm.METRICS_IMPORT)
    _check_channel(user, batch.channel)
    if batch.status != ImportStatus.PREVIEW:
        raise TransitionNotAllowed(
            _("Solo se importa un archivo en vista previa (estado actual: %(status)s).")
            % {"status": batch.get_status_display()}
        )
    as_of = datetime.date.fromisoformat(batch.preview["as_of"])
    limits = Limits.from_settings()
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(
            pk=batch.pk, status=ImportStatus.PREVIEW
        ).update(status=ImportStatus.IMPORTED)
        if not claimed:
            raise TransitionNotAllowed(
                _("Otra persona ya importó o descartó este archivo.")
            )
        writer = Writer(batch, as_of)
        rows = skipped = 0
        if connection.vendor == "sqlite":
            # Eight indexes per value row: a page cache larger than SQLite's 2 MB
            # default keeps them in memory for the length of the import.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                previous_cache = cursor.fetchone()[0]
                cursor.execute("PRAGMA cache_size=-131072")
            transaction.on_commit(lambda: _restore_cache(previous_cache))
        with (
            batch.file.open("rb") as stored,
            importers.open_container(stored, batch.original_name, limits) as container,
        ):
            plan = importers.detect(
                container,
                batch.channel.network,
                _saved_mapping(batch.organization_id),
            )
            if plan.format_key != batch.file_format:
                raise TransitionNotAllowed(
                    _(
                        "El formato del archivo cambió desde la vista previa; "
                        "vuelva a cargarlo."
                    )
                )
            for chunk in _batches(plan, limits, as_of):
                posts: list[Record] = []
                days: list[Record] = []
                for _planned, item in chunk:
                    rows += 1
                    if isinstance(item, Skip):
                        skipped += 1
                    elif item.metrics or item.post is not None:
                        (posts if item.post is not None else days).append(item)
                if posts:
                    writer.posts(posts)
                if days:
                    writer.account(days)
        written = writer.written
        batch.status = ImportStatus.IMPORTED
        batch.rows_read = rows
        batch.rows_skipped = skipped
        batch.values_written = written.values
        batch.posts_written = written.posts_new + written.posts_updated
        batch.imported_at = writer.now
        batch.preview = {
            **batch.preview,
            "result": {
                "values": written.values,
                "replaced": written.replaced,
                "posts_new": written.posts_new,
                "posts_updated": written.posts_updated,
            },
            "imported_by": user.get_full_name() or user.get_username(),
        }
        batch.save(
            update_fields=[
                "status",
                "rows_read",
                "rows_skipped",
                "values_written",
                "posts_written",
                "imported_at",
                "preview",
            ]
        )
        if connection.vendor == "postgresql" and written.values > 10_000:
            # Fresh statistics, so the next import's lookups use the indexes.
            transaction.on_commit(_analyze)
        record(
            user,
            "analytics.import.imported",
            batch,
            {
                "channel": batch.channel.name,
                "file": batch.original_name,
                "sha256": batch.sha256,
                "format": batch.file_format,
                "rows": rows,
                "skipped": skipped,
                "values": written.values,
                "replaced": written.replaced,
                "posts_new": written.posts_new,
                "as_of": as_of.isoformat(),
            },
        )
    return batch


def imports_for(user: User) -> Any:
    """The organization's imports, newest first (one query with their channel)."""
    return (
        ImportBatch.objects.for_org(user.organization_id)
        .select_related("channel", "uploaded_by")
        .order_by("-created_at", "-pk")
    )
