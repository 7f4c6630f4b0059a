"""LinkedIn Page analytics workbooks, .xls or .xlsx (social_apis.md §8.6).

A note on row 1 and the header on row 2 (found by the header search, not by
position). Sheets read:

* ``Metrics`` (content export): the Page's figures per day; the *total*
  columns are preferred, the *organic* ones are used when totals are absent.
* ``All posts``: one row per post, its figures as of the export's date.
* ``New followers``: new followers per day (not a running total).

Metric names are those of the organization share statistics API (§5.5).
"""

from __future__ import annotations

import re

from .base import Binding, Cell, col
from .reader import ACCOUNT, POST, ColumnsReader

_URN = re.compile(r"urn:li:(?:activity|share|ugcPost):\d+")


class LinkedInDaily(ColumnsReader):
    key = "linkedin_daily"
    label = "LinkedIn: métricas diarias de la página"
    network = "linkedin"
    scope = ACCOUNT
    columns = (
        col("date", "Date", "Fecha"),
        col(
            "impressionCount",
            "Impressions (total)",
            "Impresiones (total)",
            "Impressions (organic)",
            "Impresiones (orgánicas)",
        ),
        col(
            "uniqueImpressionsCount",
            "Unique impressions (organic)",
            "Impresiones únicas (orgánicas)",
        ),
        col(
            "clickCount",
            "Clicks (total)",
            "Clics (total)",
            "Clicks (organic)",
            "Clics (orgánicos)",
        ),
        col(
            "likeCount",
            "Reactions (total)",
            "Reacciones (total)",
            "Reactions (organic)",
            "Reacciones (orgánicas)",
        ),
        col(
            "commentCount",
            "Comments (total)",
            "Comentarios (total)",
            "Comments (organic)",
            "Comentarios (orgánicos)",
        ),
        col(
            "shareCount",
            "Reposts (total)",
            "Shares (total)",
            "Veces compartido (total)",
            "Publicaciones compartidas (total)",
            "Reposts (organic)",
            "Shares (organic)",
            "Veces compartido (orgánico)",
        ),
    )
    required = ("date", "impressionCount")


class LinkedInPosts(ColumnsReader):
    key = "linkedin_posts"
    label = "LinkedIn: todas las publicaciones"
    network = "linkedin"
    scope = POST
    columns = (
        col(
            "text",
            "Post title",
            "Update title",
            "Título de la publicación",
            "Título de la actualización",
        ),
        col(
            "permalink",
            "Post link",
            "Update link",
            "Enlace de la publicación",
            "Enlace de la actualización",
        ),
        col(
            "post_type",
            "Post type",
            "Content Type",
            "Tipo de publicación",
            "Tipo de contenido",
        ),
        col("published_at", "Created date", "Date", "Fecha de creación", "Fecha"),
        col("impressionCount", "Impressions", "Impresiones"),
        col("clickCount", "Clicks", "Clics"),
        col("likeCount", "Likes", "Reactions", "Me gusta", "Reacciones"),
        col("commentCount", "Comments", "Comentarios"),
        col(
            "shareCount",
            "Reposts",
            "Shares",
            "Veces compartido",
            "Publicaciones compartidas",
        ),
    )
    required = ("permalink", "published_at")

    def post_id(self, row: list[Cell], binding: Binding) -> str:
        link = str(self.get(row, binding, "permalink") or "").strip()
        match = _URN.search(link)
        return match.group(0) if match else link


class LinkedInFollowers(ColumnsReader):
    key = "linkedin_followers"
    label = "LinkedIn: nuevos seguidores por día"
    network = "linkedin"
    scope = ACCOUNT
    columns = (
        col("date", "Date", "Fecha"),
        col(
            "followerGains",
            "Total followers",
            "Total de seguidores",
            "Seguidores totales",
        ),
        col("organicFollowerGain", "Organic followers", "Seguidores orgánicos"),
        col("paidFollowerGain", "Sponsored followers", "Seguidores patrocinados"),
    )
    required = ("date", "followerGains")


READERS = (LinkedInDaily(), LinkedInPosts(), LinkedInFollowers())
