"""The administration site: only administrators (and superusers) get in."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pregonero.accounts.permissions import Perm, has_perm


def org_id(request: HttpRequest) -> int | None:
    return getattr(request.user, "organization_id", None)


def is_org_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_active and (user.is_superuser or has_perm(user, Perm.ORG_ADMIN))
    )


class PregoneroAdminSite(admin.AdminSite):
    site_header = _("Pregonero · administración")
    site_title = _("Pregonero")
    index_title = _("Usuarios, canales y datos de la entidad")

    def has_permission(self, request: HttpRequest) -> bool:
        return is_org_admin(request)
