"""The API's shared parts: authentication, errors in Spanish, organization scoping."""

from __future__ import annotations

import datetime
import hmac
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth

from pregonero.accounts.models import TOKEN_PREFIX, ApiToken, User, hash_token
from pregonero.accounts.permissions import Perm, has_perm
from pregonero.core.errors import PermissionDeniedError

M = TypeVar("M", bound=Model)


class TokenAuth(HttpBearer):
    """Personal API tokens: ``Authorization: Bearer prg_<id>_<secret>``."""

    openapi_description = "Token personal creado en el perfil de Pregonero."

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        key_id = token[len(TOKEN_PREFIX) :].split("_", 1)[0]
        record = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
        if record is None or not record.is_usable or not record.user.is_active:
            return None
        if not hmac.compare_digest(record.token_hash, hash_token(token)):
            return None
        now = timezone.now()
        if (
            record.last_used_at is None
            or now - record.last_used_at > datetime.timedelta(minutes=5)
        ):
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        request.user = record.user
        return record.user


class Session(SessionAuth):
    """The browser session, with Django's CSRF check on unsafe methods."""

    openapi_description = "Sesión del navegador (requiere el token CSRF en escrituras)."


AUTH = [TokenAuth(), Session()]


class ErrorOut(Schema):
    code: str
    message: str
    errors: dict[str, list[str]] = {}


class Page(Schema):
    count: int
    offset: int
    limit: int


def user_of(request: HttpRequest) -> User:
    auth = getattr(request, "auth", None)
    user = auth if isinstance(auth, User) else request.user
    assert isinstance(user, User)
    if user.organization_id is None:
        raise PermissionDeniedError(_("Su usuario no pertenece a ninguna entidad."))
    return user


def require_perm(user: User, perm: Perm) -> None:
    if not has_perm(user, perm):
        raise PermissionDeniedError(
            _("Su rol no le permite realizar esta acción."),
            extra={"permission": str(perm)},
        )


def get_or_404[M: Model](queryset: QuerySet[M], user: User, **lookup: Any) -> M:
    """The object when it belongs to the user's organization; 404 otherwise."""
    try:
        return queryset.get(organization_id=user.organization_id, **lookup)
    except queryset.model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404 from None


def in_org[M: Model](
    model: type[M], user: User, pk: int | None, field: str
) -> M | None:
    """Resolve an id sent by the client inside the user's organization, or 422."""
    from pregonero.core.errors import ValidationFailed

    if pk is None:
        return None
    obj = model._default_manager.filter(
        pk=pk, organization_id=user.organization_id
    ).first()
    if obj is None:
        raise ValidationFailed(
            _("Valor desconocido para «%(field)s».") % {"field": field},
            errors={field: [_("No existe en su entidad.")]},
        )
    return obj


def many_in_org[M: Model](
    model: type[M], user: User, ids: list[int], field: str
) -> list[M]:
    from pregonero.core.errors import ValidationFailed

    if not ids:
        return []
    found = list(
        model._default_manager.filter(pk__in=ids, organization_id=user.organization_id)
    )
    if len(found) != len(set(ids)):
        raise ValidationFailed(
            _("Algún valor de «%(field)s» no existe en su entidad.") % {"field": field},
            errors={field: [_("Valor desconocido.")]},
        )
    return found


def paginate(
    queryset: Any, offset: int, limit: int, *, count: int | None = None
) -> tuple[int, list[Any]]:
    """One page (at most 100 rows) and the total, counted unless the caller knows it."""
    limit = max(1, min(limit, 100))
    offset = max(0, offset)
    total = queryset.count() if count is None else count
    return total, list(queryset[offset : offset + limit])
