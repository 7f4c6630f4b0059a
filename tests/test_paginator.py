"""Counting only up to the page asked for, for lists of millions (the Bandeja)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from pregonero.audit.actions import record
from pregonero.audit.models import AuditEvent
from pregonero.core.viewutils import CappedPaginator, paginate_capped
from tests.conftest import World


@pytest.fixture
def events(world: World) -> int:
    with transaction.atomic():
        for n in range(23):
            record(world.writer, "core.channel.updated", None, {"n": n})
    return AuditEvent.objects.count()


def render(page: object, query: str) -> str:
    request = RequestFactory().get(f"/bandeja/?{query}")
    return render_to_string(
        "includes/pagination.html", {"page": page, "request": request}
    )


@pytest.mark.django_db
def test_counts_up_to_the_cap_plus_one(events: int) -> None:
    rows = AuditEvent.objects.order_by("pk")
    paginator = CappedPaginator(rows, 5, cap=10)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 11 and paginator.capped
    sql = queries.captured_queries[0]["sql"].upper()
    assert "LIMIT 11" in sql and "ORDER BY" not in sql
    assert paginator.num_pages == 3  # the two counted, and one more exists
    exact = CappedPaginator(rows, 5, cap=events)
    assert exact.count == events and not exact.capped
    assert exact.num_pages == -(-events // 5)


@pytest.mark.django_db
def test_a_page_counts_only_to_its_end_and_links_the_next(events: int) -> None:
    rows = AuditEvent.objects.order_by("pk")
    request = RequestFactory().get("/bandeja/?red=x&pagina=2")
    page = paginate_capped(request, rows, per_page=5)
    assert page.number == 2 and page.has_next() and page.has_previous()
    assert [e.pk for e in page] == [e.pk for e in rows[5:10]]
    html = render(page, "red=x&pagina=2")
    assert "Página 2<" in html and "red=x&amp;pagina=3" in html
    last = (events - 1) // 5 + 1
    request = RequestFactory().get(f"/bandeja/?pagina={last + 5}")
    page = paginate_capped(request, rows, per_page=5)
    assert page.number == last and not page.has_next()
    assert f"Página {last} de {last}" in render(page, "")
    page = paginate_capped(RequestFactory().get("/bandeja/?pagina=abc"), rows, 5)
    assert page.number == 1


@pytest.mark.django_db
def test_an_empty_list_has_one_page() -> None:
    paginator = CappedPaginator(AuditEvent.objects.none(), 25, cap=10)
    assert paginator.count == 0 and paginator.num_pages == 1
    assert list(paginator.get_page(1)) == []
