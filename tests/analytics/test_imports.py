"""Importing hand-downloaded exports (issue 4 §3, §7): every reader against files
built here to the documented formats (social_apis.md §8), Spanish headers,
idempotent re-import, overlapping periods, unknown layouts mapped once,
hostile files refused, and the pages, the API and the command.

The legacy LinkedIn ``.xls`` is a real BIFF8 workbook in an OLE2 compound file,
written by the small writer below (text cells only), and read back by xlrd.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import struct
import zipfile
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from pregonero.analytics import imports
from pregonero.analytics.models import (
    ColumnMapping,
    ImportBatch,
    ImportStatus,
    MetricSource,
    MetricValue,
    NetworkPost,
)
from pregonero.audit.models import AuditEvent
from pregonero.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)
from pregonero.core.models import Channel, NetworkKind
from tests.conftest import World, approved_piece

# ---------------------------------------------------------------- file builders


def csv_text(rows: list[list[Any]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


FB_HEADER = [
    "Post ID", "Page ID", "Page name", "Title", "Description", "Duration (sec)",
    "Publish time", "Caption type", "Permalink", "Is crosspost", "Is share",
    "Post type", "Languages", "Custom labels", "Funded content status",
    "Data comment", "Date", "Views", "Reach", "Reactions, Comments and Shares",
    "Reactions", "Comments", "Shares", "Total clicks", "Other Clicks",
    "Link Clicks", "Seconds viewed", "Average Seconds viewed",
]  # fmt: skip
FB_HEADER_ES = [
    "Identificador de la publicación", "Identificador de la página",
    "Nombre de la página", "Título", "Descripción", "Duración (s)",
    "Hora de publicación", "Tipo de subtítulo", "Enlace permanente",
    "Es una publicación cruzada", "Es contenido compartido", "Tipo de publicación",
    "Idiomas", "Etiquetas personalizadas", "Estado del contenido financiado",
    "Comentario sobre los datos", "Fecha", "Visualizaciones", "Alcance",
    "Reacciones, comentarios y veces que se compartió", "Reacciones",
    "Comentarios", "Veces que se compartió", "Clics totales",
]  # fmt: skip


def fb_posts(n: int = 3, *, spanish: bool = False, start: int = 100) -> bytes:
    """Meta's per-post export: UTF-8 with BOM, captions with newlines."""
    header = FB_HEADER_ES if spanish else FB_HEADER
    rows: list[list[Any]] = [header]
    for i in range(n):
        published = "28/09/2026 18:12" if spanish else "09/28/2026 18:12"
        row = [
            str(start + i), "555", "CVP", "", f"Texto {i}\nsegunda línea", "0",
            published, "N/A", f"https://www.facebook.com/555/posts/{start + i}",
            "0", "0", "Photos", "", "", "", "", "Lifetime" if not spanish else "De por vida",
            str(1000 + i), str(500 + i), "30", "20", "5", "5", "12", "7", "5", "0", "0",
        ]  # fmt: skip
        rows.append(row[: len(header)])
    return b"\xef\xbb\xbf" + csv_text(rows).encode()


def fb_daily(
    title: str,
    days: list[tuple[str, int]],
    *,
    sep: str = ",",
    bom: bool = True,
) -> bytes:
    """Meta's page-level file: UTF-16 LE, ``sep=`` line, title line, Date/Primary."""
    text = f"sep={sep}\r\n" + csv_text(
        [[title], ["Date", "Primary"], *[[f"{d}T00:00:00", str(v)] for d, v in days]],
        delimiter=sep,
    )
    return (b"\xff\xfe" if bom else b"") + text.encode("utf-16-le")


def ig_posts() -> bytes:
    header = [
        "Post ID", "Account ID", "Account username", "Account name", "Description",
        "Duration (sec)", "Publish time", "Permalink", "Post type", "Data comment",
        "Date", "Views", "Reach", "Likes", "Shares", "Follows", "Comments", "Saves",
    ]  # fmt: skip
    row = [
        "1789", "178", "cvp", "CVP", "Obras en Ciudad Bolívar", "0",
        "10/02/2026 09:30", "https://www.instagram.com/p/abc/", "IG carousel", "",
        "Lifetime", "2,400", "1,200", "80", "4", "1", "6", "9",
    ]  # fmt: skip
    return b"\xef\xbb\xbf" + csv_text([header, row]).encode()


def youtube_zip(*, with_chart: bool = True, bomb_mb: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "Table data.csv",
            csv_text(
                [
                    ["Content", "Video title", "Video publish time", "Duration",
                     "Views", "Watch time (hours)", "Likes", "Comments added",
                     "Shares", "Average view duration"],
                    ["Total", "", "", "", "150", "3.5", "9", "2", "1", ""],
                    ["vidA1", "Entrega de viviendas", "Oct 3, 2026", "95",
                     "100", "2.5", "7", "2", "1", "0:01:30"],
                    ["vidB2", "Mesa de trabajo", "Oct 10, 2026", "60",
                     "50", "1", "2", "0", "0", "0:00:45"],
                ]
            ),
        )  # fmt: skip
        if with_chart:
            archive.writestr(
                "Chart data.csv",
                csv_text(
                    [
                        ["Date", "Content", "Video title", "Video publish time", "Duration", "Views"],
                        ["2026-10-03", "vidA1", "Entrega de viviendas", "Oct 3, 2026", "95", "60"],
                    ]
                ),
            )  # fmt: skip
        archive.writestr(
            "Totals.csv",
            csv_text([["Date", "Views"], ["2026-10-03", "80"], ["2026-10-04", "70"]]),
        )
        if bomb_mb:
            archive.writestr("padding.csv", b"0" * (bomb_mb << 20))
    return buffer.getvalue()


LINKEDIN_SHEETS: list[tuple[str, list[list[Any]]]] = [
    (
        "Metrics",
        [
            ["Las métricas agregadas de la página (nota de LinkedIn)"],
            ["Date", "Impressions (organic)", "Impressions (sponsored)", "Impressions (total)",
             "Unique impressions (organic)", "Clicks (total)", "Reactions (total)",
             "Comments (total)", "Reposts (total)", "Engagement rate (total)"],
            ["10/01/2026", "100", "0", "100", "80", "5", "7", "1", "2", "0.15"],
            ["10/02/2026", "120", "0", "120", "90", "6", "8", "0", "1", "0.12"],
        ],
    ),
    (
        "All posts",
        [
            ["Las publicaciones de la página (nota de LinkedIn)"],
            ["Post title", "Post link", "Post type", "Campaign name", "Posted by",
             "Created date", "Audience", "Impressions", "Clicks", "Likes", "Comments",
             "Reposts", "Engagement rate"],
            ["Balance de gestión", "https://www.linkedin.com/feed/update/urn:li:activity:7001/",
             "Organic", "", "CVP", "10/01/2026", "All followers", "300", "12", "20", "3",
             "2", "0.1"],
        ],
    ),
    (
        "New followers",
        [
            ["Nuevos seguidores (nota)"],
            ["Date", "Sponsored followers", "Organic followers", "Auto-invited followers",
             "Total followers"],
            ["10/01/2026", "0", "4", "0", "4"],
        ],
    ),
    ("Location", [["nota"], ["Location", "Total followers"], ["Bogotá", "900"]]),
]  # fmt: skip


def linkedin_xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in LINKEDIN_SHEETS:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# A tiny BIFF8 writer (text cells only) in an OLE2 compound file, for .xls.


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def biff8(sheets: list[tuple[str, list[list[Any]]]]) -> bytes:
    head = _bof(0x0005) + _record(0x0042, struct.pack("<H", 1200))  # UTF-16
    offset = len(head) + sum(4 + 8 + len(n.encode("utf-16-le")) for n, _r in sheets) + 4
    bounds, bodies = b"", b""
    for name, rows in sheets:
        body = _bof(0x0010) + _record(
            0x0200, struct.pack("<IIHHH", 0, len(rows), 0, max(map(len, rows)), 0)
        )
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value not in (None, ""):
                    text = str(value)
                    body += _record(
                        0x0204,
                        struct.pack("<HHHHB", r, c, 0, len(text), 1)
                        + text.encode("utf-16-le"),
                    )
        body += _record(0x000A, b"")
        bounds += _record(
            0x0085,
            struct.pack("<IBBBB", offset, 0, 0, len(name), 1)
            + name.encode("utf-16-le"),
        )
        offset += len(body)
        bodies += body
    return head + bounds + _record(0x000A, b"") + bodies


def ole2(stream: bytes) -> bytes:
    stream = stream.ljust(4096, b"\x00")  # a regular (not mini) stream
    sectors = (len(stream) + 511) // 512
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    fat = [fat_sector, *range(2, sectors + 1), end, end]
    fat += [free] * (128 - len(fat))
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIIII", 0, 1, sectors + 1, 0, 4096, end, 0, end, 0, 0)
    header += struct.pack("<I", free) * 108

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = (name.encode("utf-16-le") + b"\x00\x00") if name else b""
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBBIII", len(raw), kind, 1, free, free, child)
            + b"\x00" * 20
            + b"\x00" * 16
            + struct.pack("<III", start, size, 0)
        )

    directory = entry("Root Entry", 5, 1, end, 0) + entry(
        "Workbook", 2, free, 1, len(stream)
    )
    directory += entry("", 0, free, free, 0) * 2
    body = stream.ljust(sectors * 512, b"\x00")
    return header + struct.pack("<128I", *fat) + body + directory


# ---------------------------------------------------------------- helpers


def preview(w: World, channel: Channel, name: str, data: bytes) -> ImportBatch:
    return imports.preview_export(w.writer, channel, upload(name, data), name)


def values(channel: Channel, **filters: Any) -> dict[tuple[str, str, str], float]:
    rows = MetricValue.objects.filter(channel=channel, **filters).select_related("post")
    return {
        (r.post.platform_id if r.post else "", r.metric, r.date.isoformat()): r.value
        for r in rows
    }


def channel(w: World, network: str) -> Channel:
    return Channel.objects.create(
        organization=w.org,
        kind=NetworkKind.SANDBOX,
        imitates=network,
        name=f"{network} práctica",
        is_fictitious=True,
    )


# ---------------------------------------------------------------- readers


def test_facebook_posts_preview_then_import(world: World) -> None:
    piece = approved_piece(world)
    from pregonero.publishing import actions as publishing

    publication = publishing.record_manual_publication(
        world.writer,
        piece,
        world.fb,
        permalink="https://www.facebook.com/555/posts/101",
        published_at=timezone.now(),
    )
    type(publication).objects.filter(pk=publication.pk).update(platform_id="555_101")

    batch = preview(world, world.fb, "Sep-01-2026_Sep-30-2026_1039.csv", fb_posts(3))
    assert batch.status == ImportStatus.PREVIEW
    assert batch.file_format == "meta_facebook_posts"
    assert batch.rows_read == 3 and batch.rows_skipped == 0
    assert batch.period_start == batch.period_end == datetime.date(2026, 9, 28)
    p = batch.preview
    assert p["values"] == 18 and p["values_existing"] == 0 and p["post_rows"] == 3
    assert p["first_rows"][0]["post_id"] == "555_100"
    assert p["first_rows"][0]["text"] == "Texto 0\nsegunda línea"
    assert p["tables"][0]["columns"]["Reach"] == "post_total_media_view_unique"
    assert p["tables"][0]["columns"]["Views"] == "post_media_view"
    assert "Reactions, Comments and Shares" in p["tables"][0]["ignored_columns"]
    assert not MetricValue.objects.exists()  # a preview writes nothing

    imports.confirm_import(world.writer, batch)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert batch.values_written == 18 and batch.posts_written == 3
    today = batch.preview["as_of"]
    stored = values(world.fb)
    assert stored[("555_100", "post_media_view", today)] == 1000
    assert stored[("555_102", "post_total_media_view_unique", today)] == 502
    assert stored[("555_101", "post_reactions_by_type_total", today)] == 20
    post = NetworkPost.objects.get(platform_id="555_101")
    assert post.publication_id == publication.pk
    assert post.post_type == "Photos"
    assert timezone.localtime(post.published_at).strftime("%Y-%m-%d %H:%M") == (
        "2026-09-28 18:12"
    )  # America/Bogota: the file states no zone
    assert MetricValue.objects.filter(source=MetricSource.IMPORT).count() == 18
    event = AuditEvent.objects.filter(action="analytics.import.imported").get()
    assert event.data["sha256"] == batch.sha256 and event.data["rows"] == 3


def test_facebook_posts_spanish_headers_day_first(world: World) -> None:
    batch = preview(world, world.fb, "publicaciones.csv", fb_posts(2, spanish=True))
    assert batch.file_format == "meta_facebook_posts"
    columns = batch.preview["tables"][0]["columns"]
    assert columns["Alcance"] == "post_total_media_view_unique"
    assert columns["Visualizaciones"] == "post_media_view"
    assert columns["Reacciones"] == "post_reactions_by_type_total"
    assert columns["Veces que se compartió"] == "shares"
    assert columns["Hora de publicación"] == "published_at"
    assert batch.period_start == datetime.date(2026, 9, 28)  # 28/09, day first
    imports.confirm_import(world.writer, batch)
    assert MetricValue.objects.count() == 12


def test_facebook_daily_utf16_with_sep_line(world: World) -> None:
    data = fb_daily("Views", [("2026-10-01", 20), ("2026-10-02", 35)])
    batch = preview(world, world.fb, "Views.csv", data)
    assert batch.file_format == "meta_facebook_daily"
    assert (batch.period_start, batch.period_end) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 10, 2),
    )
    imports.confirm_import(world.writer, batch)
    assert values(world.fb) == {
        ("", "page_media_view", "2026-10-01"): 20,
        ("", "page_media_view", "2026-10-02"): 35,
    }
    # Tab-separated, no BOM, title in Spanish.
    data = fb_daily(
        "Seguimientos de Facebook", [("2026-10-01", 4)], sep="\t", bom=False
    )
    batch = preview(world, world.fb, "Seguidores.csv", data)
    assert batch.file_format == "meta_facebook_daily"
    imports.confirm_import(world.writer, batch)
    assert values(world.fb)[("", "page_daily_follows", "2026-10-01")] == 4


def test_overlapping_periods_replace_not_add(world: World) -> None:
    first = preview(
        world,
        world.fb,
        "Views.csv",
        fb_daily("Views", [("2026-10-01", 1), ("2026-10-02", 2)]),
    )
    imports.confirm_import(world.writer, first)
    second = preview(
        world,
        world.fb,
        "Views.csv",
        fb_daily("Views", [("2026-10-02", 5), ("2026-10-03", 6)]),
    )
    assert second.preview["values_existing"] == 1 and second.preview["values_new"] == 1
    imports.confirm_import(world.writer, second)
    second.refresh_from_db()
    assert second.preview["result"]["replaced"] == 1
    assert values(world.fb) == {
        ("", "page_media_view", "2026-10-01"): 1,
        ("", "page_media_view", "2026-10-02"): 5,
        ("", "page_media_view", "2026-10-03"): 6,
    }


def test_same_file_twice_counts_once(world: World) -> None:
    data = fb_posts(4)
    first = preview(world, world.fb, "posts.csv", data)
    imports.confirm_import(world.writer, first)
    before = values(world.fb)
    again = preview(world, world.fb, "posts.csv", data)
    assert again.preview["same_file"]["id"] == first.pk
    assert again.preview["as_of"] == first.preview["as_of"]
    assert again.preview["values_existing"] == 24 and again.preview["values_new"] == 0
    assert again.preview["posts_existing"] == 4
    imports.confirm_import(world.writer, again)
    again.refresh_from_db()
    assert again.values_written == first.values_written == 24
    assert again.preview["result"]["replaced"] == 24
    assert values(world.fb) == before
    assert NetworkPost.objects.count() == 4


def test_file_and_api_share_the_natural_key(world: World) -> None:
    """A figure collected from the API is replaced by the file's, not added."""
    post = NetworkPost.objects.create(
        organization=world.org, channel=world.fb, platform_id="555_100"
    )
    today = timezone.localdate()
    MetricValue.objects.create(
        organization=world.org,
        channel=world.fb,
        post=post,
        metric="post_media_view",
        date=today,
        value=900,
        captured_at=timezone.now(),
        source=MetricSource.API,
        api_version="v26.0",
    )
    batch = preview(world, world.fb, "posts.csv", fb_posts(1))
    assert batch.preview["values_existing"] == 1
    imports.confirm_import(world.writer, batch)
    row = MetricValue.objects.get(post=post, metric="post_media_view")
    assert (row.value, row.source) == (1000, MetricSource.IMPORT)


def test_instagram_posts(world: World) -> None:
    batch = preview(world, world.ig, "instagram.csv", ig_posts())
    assert batch.file_format == "meta_instagram_posts"
    imports.confirm_import(world.writer, batch)
    today = batch.preview["as_of"]
    stored = values(world.ig)
    assert stored[("1789", "views", today)] == 2400  # "2,400"
    assert stored[("1789", "reach", today)] == 1200
    assert stored[("1789", "saved", today)] == 9
    assert stored[("1789", "likes", today)] == 80


def test_x_current_content_and_overview(world: World) -> None:
    post_id = str(((1_790_000_000_000 - 1288834974657) << 22) + 5)
    content = csv_text(
        [
            ["Post id", "Date", "Post text", "Post Link", "Impressions", "Likes",
             "Engagements", "Bookmarks", "Shares", "New follows", "Replies", "Reposts",
             "Profile visits", "Detail Expands", "URL Clicks", "Hashtag Clicks",
             "Permalink Clicks"],
            [post_id, "Sat, Sep 12, 2026", "Hola Bogotá", f"https://x.com/cvp/status/{post_id}",
             "1,200", "30", "45", "2", "1", "0", "3", "4", "5", "6", "7", "0", "1"],
        ]
    ).encode()  # fmt: skip
    batch = preview(
        world, world.x, "account_analytics_content_2026-09-01_2026-09-30.csv", content
    )
    assert batch.file_format == "x_content"
    imports.confirm_import(world.writer, batch)
    post = NetworkPost.objects.get(channel=world.x)
    assert post.published_at is not None
    assert int(post.published_at.timestamp() * 1000) == 1_790_000_000_000  # Snowflake
    stored = values(world.x)
    assert stored[(post_id, "impression_count", batch.preview["as_of"])] == 1200
    assert stored[(post_id, "retweet_count", batch.preview["as_of"])] == 4

    overview = csv_text(
        [
            ["Date", "Impressions", "Likes", "Engagements", "Bookmarks", "Shares",
             "New follows", "Unfollows", "Replies", "Reposts", "Profile visits",
             "Create Post", "Video views", "Media views"],
            ["Sat, Jun 6, 2026", "1,200", "10", "20", "1", "0", "3", "1", "2", "2", "4", "1", "0", "5"],
        ]
    ).encode()  # fmt: skip
    batch = preview(world, world.x, "account_overview_analytics.csv", overview)
    assert batch.file_format == "x_overview"
    imports.confirm_import(world.writer, batch)
    assert values(world.x, post__isnull=True)[("", "impressions", "2026-06-06")] == 1200


def test_x_legacy_tweet_activity(world: World) -> None:
    data = b"\xef\xbb\xbf" + csv_text(
        [
            ["Tweet id", "Tweet permalink", "Tweet text", "time", "impressions",
             "engagements", "engagement rate", "retweets", "replies", "favorites",
             "user profile clicks", "url clicks", "promoted impressions"],
            ["1227000000000000000", "https://twitter.com/cvp/status/1227000000000000000",
             "Viejo tweet", "2020-02-10 18:00 +0000", "1203.0", "40.0", "0.03", "2.0",
             "1.0", "9.0", "3.0", "1.0", "-"],
        ]
    ).encode()  # fmt: skip
    batch = preview(world, world.x, "tweet_activity.csv", data)
    assert batch.file_format == "x_legacy"
    imports.confirm_import(world.writer, batch)
    post = NetworkPost.objects.get(channel=world.x)
    assert post.published_at == datetime.datetime(
        2020, 2, 10, 18, 0, tzinfo=datetime.UTC
    )
    stored = values(world.x)
    assert stored[("1227000000000000000", "like_count", batch.preview["as_of"])] == 9


def test_youtube_studio_zip(world: World) -> None:
    yt = channel(world, "youtube")
    batch = preview(world, yt, "Contenido 2026-10-01_2026-10-31.zip", youtube_zip())
    assert batch.file_format == "youtube:table+totals"
    assert batch.preview["ignored_tables"] == ["Chart data.csv"]
    ids = [r.get("post_id") for r in batch.preview["first_rows"]]
    assert "Total" not in ids and "vidA1" in ids  # the Total row is dropped
    imports.confirm_import(world.writer, batch)
    today = batch.preview["as_of"]
    stored = values(yt)
    assert stored[("vidA1", "views", today)] == 100
    assert stored[("vidA1", "estimatedMinutesWatched", today)] == 150  # 2.5 h
    assert stored[("vidA1", "averageViewDuration", today)] == 90
    assert stored[("", "views", "2026-10-03")] == 80
    assert NetworkPost.objects.get(platform_id="vidB2").permalink.endswith("v=vidB2")
    assert MetricValue.objects.filter(channel=yt, post__isnull=True).count() == 2


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_linkedin_workbooks_header_on_row_two(world: World, kind: str) -> None:
    li = channel(world, "linkedin")
    data = linkedin_xlsx() if kind == "xlsx" else ole2(biff8(LINKEDIN_SHEETS))
    batch = preview(world, li, f"cvp_content_1.{kind}", data)
    assert batch.file_format == "linkedin:daily+followers+posts"
    assert batch.preview["ignored_tables"] == ["Location"]
    assert batch.preview["tables"][0]["header_row"] == 2
    imports.confirm_import(world.writer, batch)
    stored = values(li)
    assert stored[("", "impressionCount", "2026-10-02")] == 120  # the total column
    assert stored[("", "shareCount", "2026-10-01")] == 2
    assert stored[("", "followerGains", "2026-10-01")] == 4
    assert (
        stored[("urn:li:activity:7001", "impressionCount", batch.preview["as_of"])]
        == 300
    )


def test_tiktok_content(world: World) -> None:
    tk = channel(world, "tiktok")
    data = csv_text(
        [
            ["Video title", "Video link", "Post time", "Total likes", "Total comments",
             "Total shares", "Total views"],
            ["Recorrido", "https://www.tiktok.com/@cvp/video/7400000000000000001",
             "2026-10-05 10:00", "50", "4", "3", "900"],
        ]
    ).encode()  # fmt: skip
    batch = preview(world, tk, "tiktok.csv", data)
    assert batch.file_format == "tiktok_content"
    imports.confirm_import(world.writer, batch)
    assert (
        values(tk)[("7400000000000000001", "view_count", batch.preview["as_of"])] == 900
    )


def test_file_of_another_network_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        preview(world, world.fb, "instagram.csv", ig_posts())
    assert "Instagram" in caught.value.message and "Facebook" in caught.value.message
    assert not ImportBatch.objects.exists()
    assert AuditEvent.objects.filter(action="analytics.import.refused").count() == 1


# ---------------------------------------------------------------- unknown layouts


UNKNOWN = csv_text(
    [["Día", "Personas alcanzadas", "Clics en la página", "Notas"],
     ["2026-10-01", "300", "12", "x"], ["2026-10-02", "310", "15", ""]]
).encode()  # fmt: skip


def test_unknown_layout_is_mapped_once_and_remembered(world: World) -> None:
    batch = preview(world, world.fb, "raro.csv", UNKNOWN)
    assert batch.status == ImportStatus.NEEDS_MAPPING
    assert batch.preview["unknown"]["headers"] == [
        "Día",
        "Personas alcanzadas",
        "Clics en la página",
        "Notas",
    ]
    with pytest.raises(ValidationFailed):
        imports.save_column_mapping(
            world.writer, batch, {"Personas alcanzadas": "nope"}
        )
    with pytest.raises(ValidationFailed):  # neither a date nor a post id
        imports.save_column_mapping(
            world.writer, batch, {"Personas alcanzadas": "page_total_media_view_unique"}
        )
    imports.save_column_mapping(
        world.writer,
        batch,
        {
            "Día": "date",
            "Personas alcanzadas": "page_total_media_view_unique",
            "Clics en la página": "page_total_actions",
            "Notas": imports.IGNORE,
        },
        name="Informe de la agencia",
    )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEW and batch.file_format == "mapped"
    assert batch.column_mapping is not None
    imports.confirm_import(world.writer, batch)
    assert values(world.fb)[("", "page_total_media_view_unique", "2026-10-02")] == 310
    # The next file with the same columns is read without asking.
    again = preview(world, world.fb, "raro-noviembre.csv", UNKNOWN)
    assert again.status == ImportStatus.PREVIEW and again.file_format == "mapped"
    assert again.preview["values_existing"] == 4
    assert ColumnMapping.objects.count() == 1


# ---------------------------------------------------------------- hostile files


@override_settings(PREGONERO_IMPORT_MAX_UNCOMPRESSED_BYTES=8 << 20)
def test_zip_that_inflates_too_much_is_refused(world: World) -> None:
    yt = channel(world, "youtube")
    with pytest.raises(ValidationFailed) as caught:
        preview(world, yt, "youtube.zip", youtube_zip(bomb_mb=20))
    assert caught.value.code == "decompression_bomb"
    assert "bomba" in caught.value.message or "excesivo" in caught.value.message
    assert not ImportBatch.objects.exists()
    assert AuditEvent.objects.filter(action="analytics.import.refused").exists()


@override_settings(PREGONERO_IMPORT_MAX_ROWS=100)
def test_too_many_rows_is_refused_before_storing(world: World) -> None:
    data = fb_daily("Views", [(f"2026-10-{1 + i % 28:02d}", i) for i in range(150)])
    with pytest.raises(ValidationFailed) as caught:
        preview(world, world.fb, "Views.csv", data)
    assert caught.value.code == "too_many_rows"
    assert "100" in caught.value.message
    assert not ImportBatch.objects.exists() and not MetricValue.objects.exists()


def test_files_that_are_not_exports_are_refused(world: World) -> None:
    from tests.conftest import png_bytes

    with pytest.raises(ValidationFailed) as caught:
        preview(world, world.fb, "foto.csv", png_bytes().getvalue())
    assert caught.value.code == "unsupported_type"
    with pytest.raises(ValidationFailed):
        preview(world, world.fb, "vacio.csv", b"")
    with pytest.raises(ValidationFailed) as caught:
        preview(world, world.fb, "numeros.csv", b"1\n2\n3\n")
    assert caught.value.code == "no_headers"


def test_permission_and_organization(world: World, other_world: World) -> None:
    with pytest.raises(PermissionDeniedError):
        imports.preview_export(
            world.liaison, world.fb, upload("posts.csv", fb_posts(1)), "posts.csv"
        )
    with pytest.raises(NotFoundError):
        imports.preview_export(
            world.writer, other_world.fb, upload("posts.csv", fb_posts(1)), "posts.csv"
        )


# ---------------------------------------------------------------- pages


def test_pages_upload_preview_import(world: World, other_world: World) -> None:
    client = world.client(world.writer)
    page = client.get(reverse("analytics:import_upload"))
    assert page.status_code == 200
    # A bad file keeps the chosen channel and says why.
    response = client.post(
        reverse("analytics:import_upload"),
        {"channel": world.fb.pk, "file": upload("foto.csv", b"\x00\x01\x02\x03" * 10)},
    )
    assert response.status_code == 200
    assert "no es un archivo de estadísticas" in response.content.decode()
    assert f'value="{world.fb.pk}" selected' in response.content.decode()
    response = client.post(
        reverse("analytics:import_upload"),
        {"channel": world.fb.pk, "file": upload("posts.csv", fb_posts(2))},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:import_detail", args=[batch.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "Vista previa" in detail and "555_100" in detail and "Importar" in detail
    client.post(reverse("analytics:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    # Re-upload: the preview says values will be replaced.
    client.post(
        reverse("analytics:import_upload"),
        {"channel": world.fb.pk, "file": upload("posts.csv", fb_posts(2))},
    )
    second = ImportBatch.objects.exclude(pk=batch.pk).get()
    replaced = client.get(reverse("analytics:import_detail", args=[second.pk]))
    assert "12 valores ya existían y se reemplazarán" in replaced.content.decode()
    client.post(reverse("analytics:import_discard", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == ImportStatus.DISCARDED
    assert MetricValue.objects.count() == 12
    download = client.get(reverse("analytics:import_file", args=[batch.pk]))
    assert download.status_code == 200
    # Another organization's import does not exist; an Enlace cannot upload.
    other = other_world.client(other_world.writer)
    assert (
        other.get(reverse("analytics:import_detail", args=[batch.pk])).status_code
        == 404
    )
    assert (
        other.post(reverse("analytics:import_confirm", args=[second.pk])).status_code
        == 404
    )
    liaison = world.client(world.liaison)
    assert liaison.get(reverse("analytics:import_upload")).status_code == 403


def test_mapping_page(world: World) -> None:
    client = world.client(world.writer)
    response = client.post(
        reverse("analytics:import_upload"),
        {"channel": world.fb.pk, "file": upload("raro.csv", UNKNOWN)},
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("analytics:import_mapping", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Personas alcanzadas" in page and "Ejemplo: 300, 310" in page
    # Nothing but metrics: an error, and the choices stay.
    response = client.post(
        response["Location"],
        {"col_0": imports.IGNORE, "col_1": "page_total_media_view_unique"},
    )
    assert response.status_code == 200
    assert "Asigne la columna de fecha" in response.content.decode()
    assert 'value="page_total_media_view_unique" selected' in response.content.decode()
    response = client.post(
        reverse("analytics:import_mapping", args=[batch.pk]),
        {"col_0": "date", "col_1": "page_total_media_view_unique", "col_2": imports.IGNORE,
         "col_3": imports.IGNORE},
    )  # fmt: skip
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEW and batch.rows_read == 2


def test_import_list_constant_queries(world: World) -> None:
    client = world.client(world.writer)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("analytics:import_list")).status_code == 200
        return len(captured)

    preview(world, world.fb, "a.csv", fb_posts(1))
    small = count()
    for i in range(4):
        preview(world, world.fb, f"b{i}.csv", fb_posts(1, start=200 + i))
    preview(world, world.ig, "ig.csv", ig_posts())
    assert count() == small
    assert (
        world.client(world.auditor).get(reverse("analytics:import_list")).status_code
        == 200
    )


# ---------------------------------------------------------------- API


def token_for(user: Any) -> str:
    from pregonero.accounts.actions import create_api_token

    _token, secret = create_api_token(user, name="pruebas")
    return f"Bearer {secret}"


def test_api_upload_confirm_list_mapping(world: World, other_world: World) -> None:
    from django.test import Client

    api = Client(headers={"Authorization": token_for(world.writer)})
    response = api.post(
        "/api/v1/metric-imports",
        {"channel_id": world.fb.pk, "file": upload("Views.csv", fb_daily("Views", [("2026-10-01", 7)]))},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "preview" and body["file_format"] == "meta_facebook_daily"
    assert body["preview"]["values"] == 1
    confirm = api.post(f"/api/v1/metric-imports/{body['id']}/confirm")
    assert confirm.status_code == 200 and confirm.json()["values_written"] == 1
    again = api.post(f"/api/v1/metric-imports/{body['id']}/confirm")
    assert again.status_code == 409
    # Unknown layout → mapping through the API.
    response = api.post(
        "/api/v1/metric-imports",
        {"channel_id": world.fb.pk, "file": upload("raro.csv", UNKNOWN)},
    )
    unknown = response.json()
    assert unknown["status"] == "needs_mapping"
    choices = api.get(f"/api/v1/metric-imports/{unknown['id']}/mapping-choices").json()
    assert {"value": "date", "label": "Fecha (día, o fecha de publicación)"} in choices
    mapped = api.post(
        f"/api/v1/metric-imports/{unknown['id']}/mapping",
        data=json.dumps(
            {"columns": {"Día": "date", "Clics en la página": "page_total_actions"}}
        ),
        content_type="application/json",
    )
    assert mapped.status_code == 200 and mapped.json()["status"] == "preview"
    discarded = api.post(f"/api/v1/metric-imports/{unknown['id']}/discard")
    assert discarded.json()["status"] == "discarded"
    listing = api.get("/api/v1/metric-imports").json()
    assert listing["count"] == 2
    assert api.get(f"/api/v1/metric-imports/{body['id']}").json()["rows_read"] == 1
    # Another organization: 404 for the import and 422 for the channel.
    other = Client(headers={"Authorization": token_for(other_world.writer)})
    assert other.get(f"/api/v1/metric-imports/{body['id']}").status_code == 404
    assert other.post(f"/api/v1/metric-imports/{body['id']}/confirm").status_code == 404
    response = other.post(
        "/api/v1/metric-imports",
        {"channel_id": world.fb.pk, "file": upload("Views.csv", fb_daily("Views", [("2026-10-01", 7)]))},
    )  # fmt: skip
    assert response.status_code == 422
    # Hostile: a file that is not an export, in Spanish.
    response = api.post(
        "/api/v1/metric-imports",
        {"channel_id": world.fb.pk, "file": upload("x.csv", b"MZ\x90\x00" * 100)},
    )
    assert response.status_code == 422
    assert "no es un archivo de estadísticas" in response.json()["message"]


# ---------------------------------------------------------------- command


def test_command_imports_with_yes(world: World, tmp_path: Any) -> None:
    path = tmp_path / "Views.csv"
    path.write_bytes(fb_daily("Views", [("2026-10-01", 3), ("2026-10-02", 4)]))
    out = io.StringIO()
    call_command(
        "metrics", "import", str(path), "--channel", str(world.fb.pk),
        "--user", world.writer.username, "--yes", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "Meta Business Suite: cifra diaria" in text
    assert (
        "Valores: 2 (2 nuevos; 0 ya existían" in text and "Importado: 2 valores" in text
    )
    assert MetricValue.objects.count() == 2
    # Without --yes, answering no discards the preview.
    out = io.StringIO()
    import builtins

    original = builtins.input
    builtins.input = lambda prompt="": "n"
    try:
        call_command(
            "metrics", "import", str(path), "--channel", str(world.fb.pk),
            "--user", world.writer.username, stdout=out,
        )  # fmt: skip
    finally:
        builtins.input = original
    assert "ya existían y se reemplazarán" in out.getvalue()
    assert ImportBatch.objects.filter(status=ImportStatus.DISCARDED).count() == 1
