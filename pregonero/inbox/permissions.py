"""Who sees the inbox: the OAC and Control Interno, in their own organization."""

from __future__ import annotations

from typing import Any

from pregonero.accounts.models import Role, User, role_group_name
from pregonero.accounts.permissions import Perm, has_perm

from .models import InboundItem, ItemQuerySet


def visible_items(user: Any) -> ItemQuerySet:
    if not getattr(user, "is_authenticated", False) or user.organization_id is None:
        return InboundItem.objects.none()
    if not has_perm(user, Perm.INBOX_VIEW):
        return InboundItem.objects.none()
    return InboundItem.objects.for_org(user.organization_id)


def inbox_staff(organization_id: int) -> list[User]:
    """People who may be assigned messages (the roles holding inbox.manage)."""
    return list(
        User.objects.filter(
            organization_id=organization_id,
            is_active=True,
            groups__name__in=[
                role_group_name(Role.JEFE),
                role_group_name(Role.PROFESIONAL),
            ],
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
