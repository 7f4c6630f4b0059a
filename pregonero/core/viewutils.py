"""Helpers for views: organization scoping, domain errors, pagination."""

from __future__ import annotations

import math
from typing import Any, TypeVar

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.utils.functional import cached_property

from pregonero.accounts.models import User

from .errors import DomainError


class AuthedHttpRequest(HttpRequest):
    """A request behind ``login_required``: its user is a Pregonero user."""

    user: User


M = TypeVar("M", bound=Model)


def get_for_org[M: Model](
    queryset: QuerySet[M], request: HttpRequest, **lookup: Any
) -> M:
    """The object, if it belongs to the user's organization; 404 otherwise."""
    org_id = getattr(request.user, "organization_id", None)
    if org_id is None:
        raise Http404
    try:
        return queryset.get(organization_id=org_id, **lookup)
    except queryset.model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404 from None


def flash_error(request: HttpRequest, error: DomainError) -> None:
    text = error.message
    details = [
        m for messages_ in error.errors.values() for m in messages_ if m not in text
    ]
    if details:
        text = f"{text} {' '.join(details)}"
    messages.error(request, text)


def paginate(request: HttpRequest, queryset: Any, per_page: int = 25) -> Page:
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("pagina"))


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows (then says «hay más»).

    On a table of millions (the Bandeja of a large entity), ``COUNT(*)`` of a
    filter reads every matching row on each page view. Counting up to
    ``cap + 1`` rows is enough to know whether there is a next page; with
    ``cap`` at the end of the page asked for (``paginate_capped``) the count
    costs no more than the page itself, whatever the filters."""

    def __init__(self, object_list: Any, per_page: int, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list
        if isinstance(rows, QuerySet):
            # Any cap + 1 matching rows will do: no ORDER BY, so the database
            # may count through whichever index suits the filters.
            rows = rows.order_by()
        return min(int(rows[: self.cap + 1].count()), self.cap + 1)

    @cached_property
    def capped(self) -> bool:
        """There are more rows than were counted (the total is not known)."""
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))


def paginate_capped(request: HttpRequest, queryset: Any, per_page: int = 25) -> Page:
    """A page of ``queryset`` counting only up to the end of that page, plus one
    row to know whether another follows ("Página 3", no total)."""
    try:
        number = max(1, int(request.GET.get("pagina") or 1))
    except ValueError:
        number = 1
    paginator = CappedPaginator(queryset, per_page, cap=min(number, 100_000) * per_page)
    return paginator.get_page(number)


def download(
    stored: Any,
    *,
    field: str = "file",
    filename: str | None = None,
    content_type: str | None = None,
) -> FileResponse:
    """Serve a stored file as an attachment, never inline, never sniffed."""
    fieldfile = getattr(stored, field)
    response = FileResponse(
        fieldfile.open("rb"),
        as_attachment=True,
        filename=filename or getattr(stored, "original_name", None) or fieldfile.name,
        content_type=content_type or getattr(stored, "content_type", None),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
