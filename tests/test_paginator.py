"""Counting at most a cap of rows, for lists of millions (the Bandeja)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from pregonero.audit.models import AuditEvent
from pregonero.core.viewutils import CappedPaginator
from tests.conftest import World


@pytest.fixture
def events(world: World) -> None:
    from django.db import transaction

    from pregonero.audit.actions import record

    with transaction.atomic():
        for n in range(23):
            record(world.writer, "core.channel.updated", None, {"n": n})


@pytest.mark.django_db
def test_counts_up_to_the_cap_and_says_more(events: None) -> None:
    rows = AuditEvent.objects.order_by("pk")
    total = rows.count()
    paginator = CappedPaginator(rows, 5, cap=10)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 11 and paginator.capped
    assert "LIMIT 11" in queries.captured_queries[0]["sql"].upper()
    assert paginator.num_pages == 2  # only the pages up to the cap
    assert paginator.get_page(99).number == 2
    request = RequestFactory().get("/bandeja/?red=x&pagina=1")
    html = render_to_string(
        "includes/pagination.html", {"page": paginator.get_page(1), "request": request}
    )
    assert "Página 1 de más de 2" in html and "red=x&amp;pagina=2" in html
    exact = CappedPaginator(rows, 5, cap=total)
    assert exact.count == total and not exact.capped
    assert exact.num_pages == -(-total // 5)


@pytest.mark.django_db
def test_an_empty_list_has_one_page() -> None:
    paginator = CappedPaginator(AuditEvent.objects.none(), 25, cap=10)
    assert paginator.count == 0 and paginator.num_pages == 1
    assert list(paginator.get_page(1)) == []
