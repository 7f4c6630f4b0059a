"""Who may do what: one table of role permissions, and the Jefe's delegation.

Actions call ``require(user, perm)``; templates and the API read ``has_perm``.
Object-level rules (the author never approves; a liaison sees only the
dependency's needs) live next to the objects, in each app's ``permissions.py``.
"""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.core.errors import PermissionDeniedError

from .models import Delegation, Role

if TYPE_CHECKING:
    from .models import User


class Perm(StrEnum):
    NEED_CREATE = "need.create"
    NEED_VIEW_ALL = "need.view_all"
    NEED_TRIAGE = "need.triage"
    MEETING_MANAGE = "meeting.manage"
    MEETING_ISSUE = "meeting.issue"
    PLAN_MANAGE = "plan.manage"
    PLAN_COMMENT = "plan.comment"
    JOINT_ACTION_MANAGE = "joint_action.manage"
    PIECE_CREATE = "piece.create"
    PIECE_WRITE = "piece.write"
    PIECE_DESIGN = "piece.design"
    PIECE_REVIEW = "piece.review"
    PIECE_CANCEL = "piece.cancel"
    PIECE_VIEW = "piece.view"
    PUBLISH = "publication.manage"
    CHANNEL_MANAGE = "channel.manage"
    AUDIT_VIEW = "audit.view"
    EVIDENCE_EXPORT = "evidence.export"
    CONTROL_REGISTER = "control.register"
    DELEGATION_MANAGE = "delegation.manage"
    ORG_ADMIN = "org.admin"
    READ_ALL = "read.all"
    STATS_VIEW = "stats.view"
    METRICS_IMPORT = "metrics.import"
    REPORT_WRITE = "report.write"
    REPORT_APPROVE = "report.approve"
    INBOX_VIEW = "inbox.view"
    INBOX_MANAGE = "inbox.manage"
    PETITION_PERSONAL_DATA = "petition.personal_data"


# Powers that the Jefe's delegate (encargo) exercises during the delegation.
JEFE_DELEGABLE = {
    Perm.NEED_TRIAGE,
    Perm.REPORT_APPROVE,
    Perm.PIECE_REVIEW,
    Perm.PIECE_CANCEL,
    Perm.MEETING_ISSUE,
}

_OAC_READ = {
    Perm.NEED_VIEW_ALL,
    Perm.PIECE_VIEW,
    Perm.READ_ALL,
    Perm.STATS_VIEW,
    Perm.INBOX_VIEW,
}

ROLE_PERMS: dict[str, set[Perm]] = {
    Role.JEFE: _OAC_READ
    | JEFE_DELEGABLE
    | {
        Perm.NEED_CREATE,
        Perm.MEETING_MANAGE,
        Perm.PLAN_MANAGE,
        Perm.PLAN_COMMENT,
        Perm.JOINT_ACTION_MANAGE,
        Perm.PIECE_CREATE,
        Perm.PUBLISH,
        Perm.CHANNEL_MANAGE,
        Perm.AUDIT_VIEW,
        Perm.EVIDENCE_EXPORT,
        Perm.CONTROL_REGISTER,
        Perm.DELEGATION_MANAGE,
        Perm.METRICS_IMPORT,
        Perm.REPORT_WRITE,
        Perm.INBOX_MANAGE,
        Perm.PETITION_PERSONAL_DATA,
    },
    Role.PROFESIONAL: _OAC_READ
    | {
        Perm.NEED_CREATE,
        Perm.MEETING_MANAGE,
        Perm.PLAN_MANAGE,
        Perm.PLAN_COMMENT,
        Perm.JOINT_ACTION_MANAGE,
        Perm.PIECE_CREATE,
        Perm.PIECE_WRITE,
        Perm.PIECE_DESIGN,
        Perm.PUBLISH,
        Perm.CHANNEL_MANAGE,
        Perm.EVIDENCE_EXPORT,
        Perm.METRICS_IMPORT,
        Perm.REPORT_WRITE,
        Perm.INBOX_MANAGE,
        Perm.PETITION_PERSONAL_DATA,
    },
    Role.ESTRATEGIA: _OAC_READ
    | {Perm.NEED_CREATE, Perm.MEETING_MANAGE, Perm.PLAN_MANAGE, Perm.PLAN_COMMENT},
    Role.ENLACE: {Perm.NEED_CREATE, Perm.PLAN_COMMENT},
    Role.DIRECTIVO: {Perm.NEED_CREATE, Perm.STATS_VIEW},
    Role.AUDITOR: _OAC_READ
    | {Perm.AUDIT_VIEW, Perm.EVIDENCE_EXPORT, Perm.CONTROL_REGISTER},
    Role.ADMIN: {
        Perm.ORG_ADMIN,
        Perm.AUDIT_VIEW,
        Perm.DELEGATION_MANAGE,
        Perm.CHANNEL_MANAGE,
    },
}


def _today() -> datetime.date:
    return timezone.localdate()


def active_delegation(
    user: User, day: datetime.date | None = None
) -> Delegation | None:
    """The delegation (encargo) that makes ``user`` act as Jefe today, if any."""
    if not user.is_authenticated or user.organization_id is None:
        return None
    cache: dict[Any, Delegation | None] = user.__dict__.setdefault(
        "_delegation_cache", {}
    )
    day = day or _today()
    if day not in cache:
        cache[day] = (
            Delegation.objects.active_on(day)
            .filter(delegate=user, organization_id=user.organization_id)
            .select_related("delegator")
            .first()
        )
    return cache[day]


def perms_for(user: Any) -> set[Perm]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if getattr(user, "organization_id", None) is None:
        return set()
    cached = user.__dict__.get("_perm_cache")
    if cached is not None:
        return cached
    perms: set[Perm] = set()
    for role in user.roles:
        perms |= ROLE_PERMS.get(role, set())
    if Role.JEFE not in user.roles and active_delegation(user):
        perms |= JEFE_DELEGABLE | _OAC_READ
    user.__dict__["_perm_cache"] = perms
    return perms


def has_perm(user: Any, perm: Perm) -> bool:
    return perm in perms_for(user)


def require(user: Any, perm: Perm) -> None:
    """Raise PermissionDeniedError (HTTP 403) unless the user holds ``perm``."""
    if not has_perm(user, perm):
        raise PermissionDeniedError(
            _("Su rol no le permite realizar esta acción."),
            extra={"permission": str(perm)},
        )


def acting_as_delegate(user: User, perm: Perm) -> Delegation | None:
    """The delegation used when the user exercises a Jefe power without the Jefe role."""
    if perm in JEFE_DELEGABLE and Role.JEFE not in user.roles:
        return active_delegation(user)
    return None


def needs_mfa(user: Any) -> bool:
    """Approvers (the Jefe and any active delegate) and administrators need MFA."""
    from django.conf import settings

    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    required = set(settings.PREGONERO_MFA_REQUIRED_ROLES)
    return bool(user.roles & required) or active_delegation(user) is not None


def users_with_role(organization_id: int, role: str) -> list[User]:
    from .models import User, role_group_name

    return list(
        User.objects.filter(
            organization_id=organization_id,
            is_active=True,
            groups__name=role_group_name(role),
        ).distinct()
    )


def approvers(organization_id: int, day: datetime.date | None = None) -> list[User]:
    """The Jefe(s) and whoever holds an active encargo today."""
    day = day or _today()
    people = users_with_role(organization_id, Role.JEFE)
    for delegation in (
        Delegation.objects.active_on(day)
        .filter(organization_id=organization_id)
        .select_related("delegate")
    ):
        people.append(delegation.delegate)
    return people


def active_delegates(
    organization_id: int, day: datetime.date | None = None
) -> list[User]:
    day = day or _today()
    return [
        d.delegate
        for d in Delegation.objects.active_on(day)
        .filter(organization_id=organization_id)
        .select_related("delegate")
    ]
