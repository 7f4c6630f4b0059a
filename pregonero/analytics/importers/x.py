"""X (Twitter) analytics exports (social_apis.md §8.4).

* Current "Account analytics" content export: one row per post, ``Date`` is a
  date without time (the time is read from the post id, a Snowflake).
* Current overview export: one row per day, account figures.
* Legacy "Tweet activity" export: one row per post, ``time`` in UTC.

Post figures use the API's public-metric names (§3.5); daily account figures
use the names of the analytics endpoint's fields.
"""

from __future__ import annotations

import datetime

from .base import Binding, Cell, col, parse_when, snowflake_time
from .reader import ACCOUNT, POST, ColumnsReader, Context

IMPRESSIONS = ("Impressions", "Impresiones")
LIKES = ("Likes", "Me gusta")
ENGAGEMENTS = ("Engagements", "Interacciones")
BOOKMARKS = ("Bookmarks", "Elementos guardados", "Guardados")
REPLIES = ("Replies", "Respuestas")
REPOSTS = ("Reposts", "Republicaciones", "Retuits", "Retweets")
PROFILE = ("Profile visits", "Visitas al perfil")
URL_CLICKS = ("URL Clicks", "Clics en URL", "Clics en el enlace", "Clics en la URL")


class XContent(ColumnsReader):
    key = "x_content"
    label = "X Analytics: contenido (publicaciones)"
    network = "x"
    scope = POST
    columns = (
        col(
            "post_id",
            "Post id",
            "Id del post",
            "ID de la publicación",
            "Id de la publicación",
        ),
        col("published_at", "Date", "Fecha"),
        col("text", "Post text", "Texto del post", "Texto de la publicación"),
        col("permalink", "Post Link", "Enlace del post", "Enlace de la publicación"),
        col("impression_count", *IMPRESSIONS),
        col("like_count", *LIKES),
        col("engagements", *ENGAGEMENTS),
        col("bookmark_count", *BOOKMARKS),
        col("reply_count", *REPLIES),
        col("retweet_count", *REPOSTS),
        col("user_profile_clicks", *PROFILE),
        col("url_link_clicks", *URL_CLICKS),
    )
    required = ("post_id",)
    signals = ("text", "permalink")

    def published(
        self, row: list[Cell], binding: Binding, ctx: Context
    ) -> datetime.datetime | None:
        exact = snowflake_time(self.post_id(row, binding))
        if exact is not None:
            return exact
        return super().published(row, binding, ctx)


class XOverview(ColumnsReader):
    key = "x_overview"
    label = "X Analytics: resumen diario de la cuenta"
    network = "x"
    scope = ACCOUNT
    columns = (
        col("date", "Date", "Fecha"),
        col("impressions", *IMPRESSIONS),
        col("likes", *LIKES),
        col("engagements", *ENGAGEMENTS),
        col("bookmarks", *BOOKMARKS),
        col("shares", "Shares", "Veces compartido", "Compartidos"),
        col("follows", "New follows", "Nuevos seguidores", "Nuevos seguimientos"),
        col("unfollows", "Unfollows", "Dejaron de seguir"),
        col("replies", *REPLIES),
        col("retweets", *REPOSTS),
        col("user_profile_clicks", *PROFILE),
        col("video_views", "Video views", "Reproducciones de video"),
        col("media_views", "Media views", "Visualizaciones de contenido multimedia"),
    )
    required = ("date", "impressions")
    min_metrics = 3


class XLegacy(ColumnsReader):
    key = "x_legacy"
    label = "X (Twitter) Analytics heredado: actividad de los tweets"
    network = "x"
    scope = POST
    columns = (
        col("post_id", "Tweet id", "Id del Tweet", "Identificador del Tweet"),
        col("permalink", "Tweet permalink", "Enlace permanente del Tweet"),
        col("text", "Tweet text", "Texto del Tweet"),
        col("published_at", "time", "tiempo", "hora"),
        col("impression_count", "impressions", "impresiones"),
        col("engagements", "engagements", "interacciones"),
        col("retweet_count", "retweets", "retuits"),
        col("reply_count", "replies", "respuestas"),
        col("like_count", "likes", "favorites", "me gusta", "favoritos"),
        col(
            "user_profile_clicks",
            "user profile clicks",
            "clics en el perfil de usuario",
        ),
        col("url_link_clicks", "url clicks", "clics en url"),
    )
    required = ("post_id", "published_at")

    def published(
        self, row: list[Cell], binding: Binding, ctx: Context
    ) -> datetime.datetime | None:
        # "2020-02-10 18:00 +0000": the legacy export writes UTC.
        when = parse_when(self.get(row, binding, "published_at"))
        if when is None:
            return snowflake_time(self.post_id(row, binding))
        return when.aware(datetime.UTC)


READERS = (XContent(), XOverview(), XLegacy())
