from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .permissions import needs_mfa

# Paths a user without a second factor may still reach (to set it up, or leave).
_ALLOWED_PREFIXES = ("/cuenta/", "/static/", "/health", "/api/")


class RequireMFAMiddleware:
    """Approvers (Jefe, delegates) and administrators must enrol a second factor.

    Until they do, every page sends them to the TOTP activation page. API calls
    are left to the API's own rule (tokens are issued only from the profile, which
    itself requires the second factor).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.PREGONERO_MFA_ENFORCED
            and request.user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and needs_mfa(request.user)
            and not _has_mfa(request.user)
        ):
            messages.warning(
                request,
                _(
                    "Su rol aprueba publicaciones o administra la entidad: active la "
                    "verificación en dos pasos para continuar."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _has_mfa(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    cache = user.__dict__
    if "_has_mfa" not in cache:
        cache["_has_mfa"] = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists()
    return bool(cache["_has_mfa"])
