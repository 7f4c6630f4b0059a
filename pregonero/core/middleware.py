from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from pregonero.lib import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Give every request an id and remember who called, for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        ctx = context.RequestContext(
            ip=request.META.get("REMOTE_ADDR") or None,
            request_id=request_id,
            user_agent=request.headers.get("User-Agent", "")[:300],
        )
        with context.use(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
