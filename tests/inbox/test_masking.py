"""DAT-01: the petitioner's identifiers leave masked in every list and export
format, even for a role that may read them on the petition itself."""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from pregonero.inbox.reports import export_csv, export_xlsx
from tests.conftest import World

from .test_retention import MARCH
from .test_views_api import api, with_personal_data

IDENTIFIERS = ("Ana María", "1012345678", "ana.perez@correo.example", "ana.perez")


def xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return " ".join(
        str(c.value) for sheet in book for row in sheet.iter_rows() for c in row
    )


def assert_masked(text: str) -> None:
    for value in IDENTIFIERS:
        assert value not in text, value


def test_identifiers_are_masked_in_every_format(world: World) -> None:
    p = with_personal_data(world)
    # The writer may read them on the petition itself...
    detail = reverse("inbox:item_detail", args=[p.item_id])
    assert "1012345678" in world.client(world.writer).get(detail).content.decode()
    # ...but never in a list or an export, whoever asks.
    csv_text = export_csv(world.org, *MARCH).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(csv_text)))[1][0] == p.number
    assert_masked(csv_text)
    assert "•••••••678" in csv_text
    assert_masked(xlsx_text(export_xlsx(world.org, *MARCH)))
    client = world.client(world.writer)
    for fmt in ("csv", "xlsx"):
        response = client.get(
            reverse("inbox:export"), {"mes": "2026-03", "formato": fmt}
        )
        body = response.content
        assert_masked(xlsx_text(body) if fmt == "xlsx" else body.decode("utf-8-sig"))
    assert_masked(client.get(reverse("inbox:item_list")).content.decode())
    writer = api(world, world.writer)
    for fmt in ("csv", "xlsx"):
        body = writer.get(
            "/api/v1/inbox/export", {"month": "2026-03", "format": fmt}
        ).content
        assert_masked(xlsx_text(body) if fmt == "xlsx" else body.decode("utf-8-sig"))
    listed = writer.get("/api/v1/inbox/items").content.decode()
    assert str(p.item_id) in listed
    assert_masked(listed)
