"""TikTok Studio analytics downloads (CSV or .xlsx).

UNVERIFIED: social_apis.md §8 documents no TikTok export; these readers accept
the column names TikTok Studio shows (overview per day, followers per day,
content per video) in English and Spanish. A file that does not match opens
the mapping screen, and the mapping is remembered.

Post figures use the names of the API's video list fields (``view_count``,
``like_count``, ``comment_count``, ``share_count``).
"""

from __future__ import annotations

import re

from .base import Binding, Cell, col
from .reader import ACCOUNT, POST, ColumnsReader

_VIDEO_ID = re.compile(r"/video/(\d+)")


class TikTokOverview(ColumnsReader):
    key = "tiktok_overview"
    label = "TikTok Studio: resumen diario"
    network = "tiktok"
    scope = ACCOUNT
    columns = (
        col("date", "Date", "Fecha"),
        col(
            "video_views",
            "Video Views",
            "Visualizaciones de videos",
            "Visualizaciones del video",
        ),
        col("profile_views", "Profile Views", "Visualizaciones del perfil"),
        col("likes", "Likes", "Me gusta"),
        col("comments", "Comments", "Comentarios"),
        col("shares", "Shares", "Veces compartido", "Compartidos"),
    )
    required = ("date", "video_views")


class TikTokFollowers(ColumnsReader):
    key = "tiktok_followers"
    label = "TikTok Studio: seguidores por día"
    network = "tiktok"
    scope = ACCOUNT
    columns = (
        col("date", "Date", "Fecha"),
        col("follower_count", "Followers", "Seguidores"),
    )
    required = ("date", "follower_count")


class TikTokContent(ColumnsReader):
    key = "tiktok_content"
    label = "TikTok Studio: contenido (videos)"
    network = "tiktok"
    scope = POST
    columns = (
        col("post_id", "Video ID", "ID del video", "Id del video"),
        col(
            "text",
            "Video title",
            "Título del video",
            "Video description",
            "Descripción",
        ),
        col("permalink", "Video link", "Enlace del video"),
        col(
            "published_at",
            "Post time",
            "Posted on",
            "Hora de publicación",
            "Fecha de publicación",
        ),
        col("view_count", "Total views", "Video views", "Views", "Visualizaciones"),
        col("like_count", "Total likes", "Likes", "Me gusta"),
        col("comment_count", "Total comments", "Comments", "Comentarios"),
        col("share_count", "Total shares", "Shares", "Veces compartido", "Compartidos"),
    )
    required = ("published_at",)
    signals = ("post_id", "permalink")

    def post_id(self, row: list[Cell], binding: Binding) -> str:
        own = super().post_id(row, binding)
        if own:
            return own
        match = _VIDEO_ID.search(str(self.get(row, binding, "permalink") or ""))
        return match.group(1) if match else ""


READERS = (TikTokOverview(), TikTokFollowers(), TikTokContent())
