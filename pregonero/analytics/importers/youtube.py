"""YouTube Studio "Export current view" as CSV: a zip with ``Table data.csv``,
``Chart data.csv`` and ``Totals.csv`` (social_apis.md §8.5).

* ``Table data.csv`` with the *Content* dimension: one row per video, figures
  for the period chosen in Studio, stored as the video's snapshot on the
  export's date (choose "Lifetime" in Studio for lifetime figures). The first
  data row is a ``Total`` row and is dropped.
* ``Totals.csv``: the channel's figures per day (account, daily). A
  ``Chart data.csv`` without a content column is the same series and is read
  only when ``Totals.csv`` is missing; one with a content column (a series per
  video and day) is not imported: post figures are lifetime snapshots.

Metric names are those of the YouTube Analytics API (§4.7); watch time in
hours becomes ``estimatedMinutesWatched``.
"""

from __future__ import annotations

from .base import Binding, Cell, Record, RowItem, col, norm
from .reader import ACCOUNT, POST, ColumnsReader, Context
from .tables import Table

METRICS = (
    col("views", "Views", "Visualizaciones", "Vistas"),
    col(
        "estimatedMinutesWatched",
        "Watch time (hours)",
        "Tiempo de visualización (horas)",
        factor=60.0,
    ),
    col("likes", "Likes", "Me gusta"),
    col("comments", "Comments added", "Comentarios añadidos", "Comentarios agregados"),
    col(
        "shares", "Shares", "Veces compartido", "Veces que se compartió", "Compartidos"
    ),
    col(
        "subscribersGained",
        "Subscribers gained",
        "Suscriptores obtenidos",
        "Suscriptores ganados",
    ),
    col("subscribersLost", "Subscribers lost", "Suscriptores perdidos"),
    col(
        "averageViewDuration",
        "Average view duration",
        "Duración promedio de visualización",
        "Duración media de visualización",
        kind="duration",
    ),
)
CONTENT = col("post_id", "Content", "Contenido", "Video", "ID del video")


class YouTubeTable(ColumnsReader):
    key = "youtube_table"
    label = "YouTube Studio: datos de la tabla (videos)"
    network = "youtube"
    scope = POST
    columns = (
        CONTENT,
        col("text", "Video title", "Título del video"),
        col(
            "published_at",
            "Video publish time",
            "Hora de publicación del video",
            "Fecha de publicación del video",
        ),
        col("date_marker", "Date", "Fecha"),
        *METRICS,
    )
    required = ("post_id",)
    signals = ("text", "published_at")

    def match(self, table: Table, binding: Binding) -> int | None:
        if "date_marker" in binding.fields:
            return None  # Chart data: a series per video and day, not a snapshot
        return super().match(table, binding)

    def record(
        self, number: int, row: list[Cell], binding: Binding, ctx: Context
    ) -> RowItem | None:
        if norm(self.get(row, binding, "post_id")) in {"total", "totales"}:
            return None  # the Total row
        item = super().record(number, row, binding, ctx)
        if isinstance(item, Record) and item.post is not None:
            post = item.post
            post.permalink = f"https://www.youtube.com/watch?v={post.platform_id}"
        return item


class YouTubeTotals(ColumnsReader):
    key = "youtube_totals"
    label = "YouTube Studio: totales diarios del canal"
    network = "youtube"
    scope = ACCOUNT
    columns = (col("date", "Date", "Fecha"), CONTENT, *METRICS)
    required = ("date",)

    def match(self, table: Table, binding: Binding) -> int | None:
        if "post_id" in binding.fields:
            return None  # a series per video and day: not a snapshot
        if (
            norm(table.name) == norm("Chart data.csv")
            and "Totals.csv" in table.siblings
        ):
            return None  # the same series as Totals.csv
        return super().match(table, binding)


READERS = (YouTubeTable(), YouTubeTotals())
