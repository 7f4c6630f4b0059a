"""Meta Business Suite exports (social_apis.md §8.1–§8.3).

* Facebook posts: one row per post, lifetime figures (``Date`` = ``Lifetime``),
  UTF-8 with BOM; the post id is joined to the Page id as the API writes it
  (``<page-id>_<post-id>``) so the file and the collector share one post.
* Facebook page-level daily files: UTF-16 LE, ``sep=,`` on line 1, the metric's
  title on line 2, then ``Date,Primary`` and one row per day.
* Instagram posts: one row per post, lifetime figures.

Spanish headers are those of Business Suite with the interface in Spanish
(UNVERIFIED spellings: several variants are accepted).
"""

from __future__ import annotations

from .base import Binding, Cell, col, norm
from .reader import ACCOUNT, POST, ColumnsReader
from .tables import Table

POST_ID = col(
    "post_id",
    "Post ID",
    "Identificador de la publicación",
    "ID de la publicación",
    "Id. de la publicación",
)
PUBLISHED = col(
    "published_at",
    "Publish time",
    "Hora de publicación",
    "Fecha de publicación",
)
PERMALINK = col("permalink", "Permalink", "Enlace permanente", "Vínculo permanente")
POST_TYPE = col("post_type", "Post type", "Tipo de publicación")
DESCRIPTION = col("text", "Description", "Descripción")
DATE_MARKER = col("date_marker", "Date", "Fecha")
SHARES = ("Shares", "Veces que se compartió", "Veces compartido", "Compartidos")


class FacebookPosts(ColumnsReader):
    key = "meta_facebook_posts"
    label = "Meta Business Suite: publicaciones de Facebook"
    network = "facebook"
    scope = POST
    columns = (
        POST_ID,
        col("page_id", "Page ID", "Identificador de la página", "ID de la página"),
        col("page_name", "Page name", "Nombre de la página"),
        col("title", "Title", "Título"),
        DESCRIPTION,
        PUBLISHED,
        PERMALINK,
        POST_TYPE,
        DATE_MARKER,
        col("post_media_view", "Views", "Visualizaciones", "Vistas"),
        col("post_total_media_view_unique", "Reach", "Alcance"),
        col("post_reactions_by_type_total", "Reactions", "Reacciones"),
        col("comments", "Comments", "Comentarios"),
        col("shares", *SHARES),
        col("post_clicks", "Total clicks", "Clics totales", "Total de clics"),
        col(
            "post_video_views",
            "3-Second Video Views",
            "Reproducciones de video de 3 segundos",
            "Reproducciones de 3 segundos",
        ),
        # Exports before Meta's switch to views (Nov 2025): the API's old name.
        col("post_impressions", "Impressions", "Impresiones"),
    )
    required = ("post_id", "published_at")
    signals = ("page_id", "page_name")

    def post_id(self, row: list[Cell], binding: Binding) -> str:
        post_id = super().post_id(row, binding)
        page_id = str(self.get(row, binding, "page_id") or "").strip()
        if post_id and page_id and "_" not in post_id:
            return f"{page_id}_{post_id}"
        return post_id


class InstagramPosts(ColumnsReader):
    key = "meta_instagram_posts"
    label = "Meta Business Suite: publicaciones de Instagram"
    network = "instagram"
    scope = POST
    columns = (
        POST_ID,
        col(
            "account_id", "Account ID", "Identificador de la cuenta", "ID de la cuenta"
        ),
        col(
            "account_name",
            "Account username",
            "Nombre de usuario de la cuenta",
            "Usuario de la cuenta",
        ),
        DESCRIPTION,
        PUBLISHED,
        PERMALINK,
        POST_TYPE,
        DATE_MARKER,
        col("views", "Views", "Visualizaciones", "Vistas"),
        col("reach", "Reach", "Alcance"),
        col("likes", "Likes", "Me gusta"),
        col("comments", "Comments", "Comentarios"),
        col("shares", *SHARES),
        col("saved", "Saves", "Veces guardado", "Guardados", "Veces que se guardó"),
        col("follows", "Follows", "Seguimientos"),
        col("profile_visits", "Profile visits", "Visitas al perfil"),
        col("impressions", "Impressions", "Impresiones"),
    )
    required = ("post_id", "published_at")
    signals = ("account_id", "account_name")


# The metric of each page-level file, by its title line (or its file name).
DAILY_TITLES: dict[str, str] = {
    norm(title): metric
    for metric, titles in {
        "page_media_view": ("Views", "Visualizaciones", "Vistas"),
        "page_total_media_view_unique": ("Viewers", "Espectadores", "Alcance"),
        "page_post_engagements": (
            "Content interactions",
            "Interactions",
            "Interacciones con el contenido",
            "Interacciones",
        ),
        "page_daily_follows": (
            "Facebook follows",
            "Follows",
            "Seguimientos de Facebook",
            "Seguidores de Facebook",
            "Seguimientos",
        ),
        "page_views_total": (
            "Facebook visits",
            "Visits",
            "Visitas de Facebook",
            "Visitas",
        ),
        # No API counterpart: stored under this name, not mapped to a concept.
        "page_link_clicks": (
            "Facebook link clicks",
            "Link clicks",
            "Clics en el enlace de Facebook",
            "Clics en enlaces",
        ),
    }.items()
    for title in titles
}


class FacebookDaily(ColumnsReader):
    """``"Date","Primary"`` under a title line: one metric per file."""

    key = "meta_facebook_daily"
    label = "Meta Business Suite: cifra diaria de la página de Facebook"
    network = "facebook"
    scope = ACCOUNT
    columns = (
        col("date", "Date", "Fecha"),
        col("value", "Primary", "Principal", "Value", "Valor"),
    )
    required = ("date", "value")

    @staticmethod
    def metric_of(table: Table) -> str | None:
        for candidate in (table.title, table.name.rsplit(".", 1)[0]):
            metric = DAILY_TITLES.get(norm(candidate))
            if metric:
                return metric
        return None

    def match(self, table: Table, binding: Binding) -> int | None:
        metric = self.metric_of(table)
        if metric is None or "date" not in binding.fields:
            return None
        index, factor, kind = binding.metrics.pop("value", (None, 1.0, "number"))
        if index is None:
            return None
        binding.metrics[metric] = (index, factor, kind)
        binding.used[index] = metric
        return len(binding.used)


READERS = (FacebookPosts(), InstagramPosts(), FacebookDaily())
