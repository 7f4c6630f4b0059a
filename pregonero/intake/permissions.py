"""Who sees which needs: the OAC and Control Interno all; others their dependency's."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from pregonero.accounts.permissions import Perm, has_perm

from .models import Need, NeedQuerySet


def visible_needs(user: Any) -> NeedQuerySet:
    if not getattr(user, "is_authenticated", False) or user.organization_id is None:
        return Need.objects.none()
    qs = Need.objects.for_org(user.organization_id)
    if has_perm(user, Perm.NEED_VIEW_ALL):
        return qs
    if not has_perm(user, Perm.NEED_CREATE):
        return qs.none()
    # A liaison or director sees the needs of their own dependency, and their own.
    condition = Q(requester=user) | Q(created_by=user)
    if user.dependency_id:
        condition |= Q(dependency_id=user.dependency_id)
    return qs.filter(condition)
