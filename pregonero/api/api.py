"""Pregonero's HTTP API: /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Errors are JSON with a stable ``code`` and a Spanish ``message``:
401 unauthenticated, 403 permission, 404 unknown or another organization's,
409 illegal transition or stale version, 422 validation.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from pregonero.core.errors import DomainError

from . import (
    channels,
    checks,
    content,
    inbox,
    intake,
    metric_imports,
    metrics,
    planning,
    publishing,
    records,
    reports,
)
from .base import AUTH


class SpanishJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=SpanishJSONRenderer(),
    title="Pregonero API",
    version="1",
    description=(
        "API de Pregonero: todo el procedimiento Community Manager (necesidades, reuniones y "
        "actas, plan de contenidos, piezas, puntos de control, visto bueno, publicación y "
        "auditoría). Autenticación con token personal (Bearer) o con la sesión del navegador."
    ),
    urls_namespace="api",
    auth=AUTH,
    docs_decorator=csp_override(
        {
            "style-src": ["'self'", "'unsafe-inline'"],
            "script-src": ["'self'"],
            "img-src": ["'self'", "data:"],
            "default-src": ["'self'"],
        }
    ),
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    errors: dict[str, list[str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message, "errors": errors or {}}
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.errors, exc.extra)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(
        request, 404, "not_found", _("No existe, o pertenece a otra entidad.")
    )


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(
        request,
        403,
        "permission_denied",
        _("Su rol no le permite realizar esta acción."),
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(
        request,
        401,
        "unauthenticated",
        _("Inicie sesión o envíe un token válido (Authorization: Bearer …)."),
    )


@api.exception_handler(NinjaValidationError)
def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        location = [
            str(p)
            for p in item.get("loc", [])
            if p not in ("body", "payload", "query", "form")
        ]
        field = ".".join(location) or "body"
        errors.setdefault(field, []).append(_translate_pydantic(item))
    return _error(
        request,
        422,
        "validation_error",
        _("Los datos enviados no son válidos."),
        errors,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc))


_PYDANTIC_MESSAGES = {
    "missing": gettext_noop("Este campo es obligatorio."),
    "string_too_long": gettext_noop("El texto es demasiado largo."),
    "string_too_short": gettext_noop("El texto es demasiado corto."),
    "int_parsing": gettext_noop("Debe ser un número entero."),
    "int_type": gettext_noop("Debe ser un número entero."),
    "datetime_parsing": gettext_noop(
        "Fecha y hora no válidas (use ISO 8601 con zona horaria)."
    ),
    "datetime_from_date_parsing": gettext_noop(
        "Fecha y hora no válidas (use ISO 8601 con zona horaria)."
    ),
    "date_parsing": gettext_noop("Fecha no válida (use AAAA-MM-DD)."),
    "date_from_datetime_parsing": gettext_noop("Fecha no válida (use AAAA-MM-DD)."),
    "bool_parsing": gettext_noop("Debe ser verdadero o falso."),
    "literal_error": gettext_noop("Valor no permitido."),
    "enum": gettext_noop("Valor no permitido."),
    "list_type": gettext_noop("Debe ser una lista."),
    "dict_type": gettext_noop("Debe ser un objeto."),
    "string_type": gettext_noop("Debe ser un texto."),
    "json_invalid": gettext_noop("El cuerpo no es JSON válido."),
    "model_attributes_type": gettext_noop("El cuerpo debe ser un objeto JSON."),
    "value_error": gettext_noop("Valor no válido."),
    "timezone_aware": gettext_noop("La fecha y hora debe incluir la zona horaria."),
}


def _translate_pydantic(item: dict[str, Any]) -> str:
    message = _PYDANTIC_MESSAGES.get(str(item.get("type", "")))
    return _(message) if message else _("Valor no válido.")


api.add_router("/", records.router)
api.add_router("/", intake.router)
api.add_router("/", planning.router)
api.add_router("/", content.router)
api.add_router("/", publishing.router)
api.add_router("/", channels.router)
api.add_router("/", metrics.router)
api.add_router("/", metric_imports.router)
api.add_router("/", reports.router)
api.add_router("/", checks.router)
api.add_router("/", inbox.router)
