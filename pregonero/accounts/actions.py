"""Writes about people: delegations (encargos), API tokens, calendar links, roles."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.audit.actions import record
from pregonero.core.errors import PermissionDeniedError, ValidationFailed

from .models import ApiToken, Delegation, Role, User, role_group_name
from .notify import notify
from .permissions import Perm, require


@transaction.atomic
def create_delegation(
    user: User,
    *,
    delegator: User,
    delegate: User,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str,
    act_reference: str = "",
) -> Delegation:
    """Give the Jefe's approval power to another person for a date range (encargo)."""
    require(user, Perm.DELEGATION_MANAGE)
    errors: dict[str, list[str]] = {}
    if (
        delegator.organization_id != user.organization_id
        or Role.JEFE not in delegator.roles
    ):
        errors["delegator"] = [
            _("Quien delega debe ser el (la) Jefe(a) de la oficina.")
        ]
    if delegate.organization_id != user.organization_id or not delegate.is_active:
        errors["delegate"] = [_("Elija una persona activa de la entidad.")]
    elif delegate.pk == delegator.pk:
        errors["delegate"] = [_("El (la) Jefe(a) no puede delegarse a sí mismo(a).")]
    elif delegate.has_role(Role.ENLACE, Role.DIRECTIVO) and not delegate.has_role(
        Role.PROFESIONAL, Role.ESTRATEGIA
    ):
        errors["delegate"] = [
            _("El encargo se da a una persona de la oficina de comunicaciones.")
        ]
    if ends_on < starts_on:
        errors["ends_on"] = [_("La fecha final no puede ser anterior a la inicial.")]
    if ends_on < timezone.localdate():
        errors["ends_on"] = [_("El periodo ya terminó.")]
    if not reason.strip():
        errors["reason"] = [
            _("Indique el motivo (vacaciones, comisión, incapacidad…).")
        ]
    overlapping = Delegation.objects.filter(
        organization_id=user.organization_id,
        delegator=delegator,
        revoked_at__isnull=True,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    )
    if overlapping.exists():
        errors["starts_on"] = [
            _("Ya hay un encargo vigente que se cruza con esas fechas.")
        ]
    if errors:
        raise ValidationFailed(_("Revise el encargo."), errors=errors)
    delegation = Delegation.objects.create(
        organization_id=user.organization_id,
        delegator=delegator,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        act_reference=act_reference.strip(),
        created_by=user,
    )
    record(
        user,
        "accounts.delegation.created",
        delegation,
        {
            "delegator": str(delegator),
            "delegate": str(delegate),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "reason": delegation.reason,
            "act_reference": delegation.act_reference,
        },
    )
    notify(
        [delegate],
        kind="delegation.created",
        subject=_("Encargo: usted aprueba publicaciones del %(start)s al %(end)s")
        % {
            "start": starts_on.strftime("%d/%m/%Y"),
            "end": ends_on.strftime("%d/%m/%Y"),
        },
        body=_(
            "%(delegator)s le encargó la aprobación de piezas (puntos de control y visto "
            "bueno). Motivo: %(reason)s. Deberá activar la verificación en dos pasos."
        )
        % {"delegator": delegator, "reason": delegation.reason},
        link="/",
    )
    return delegation


@transaction.atomic
def revoke_delegation(user: User, delegation: Delegation) -> Delegation:
    require(user, Perm.DELEGATION_MANAGE)
    if delegation.organization_id != user.organization_id:
        raise PermissionDeniedError(_("Encargo desconocido."))
    if not Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=user
    ):
        raise ValidationFailed(_("El encargo ya estaba revocado."))
    delegation.refresh_from_db()
    record(
        user,
        "accounts.delegation.revoked",
        delegation,
        {"delegate": str(delegation.delegate)},
    )
    return delegation


@transaction.atomic
def create_api_token(
    user: User, *, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; the secret is returned once and stored hashed."""
    if not name.strip():
        raise ValidationFailed(
            _("Dé un nombre al token (por ejemplo, «integración con el portal»)."),
            errors={"name": [_("Obligatorio.")]},
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            _("La fecha de vencimiento debe ser futura."),
            errors={"expires_at": [_("No válida.")]},
        )
    secret, key_id, token_hash = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        key_id=key_id,
        token_hash=token_hash,
        expires_at=expires_at,
    )
    record(
        user,
        "accounts.token.created",
        token,
        {"name": token.name, "key_id": key_id},
        organization=user.organization_id,
    )
    return token, secret


@transaction.atomic
def revoke_api_token(user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionDeniedError(_("Solo puede revocar sus propios tokens."))
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    record(
        user,
        "accounts.token.revoked",
        token,
        {"key_id": token.key_id},
        organization=user.organization_id,
    )


@transaction.atomic
def rotate_ical_token(user: User) -> str:
    """Issue a new secret calendar URL; the old one stops working at once."""
    new = secrets.token_urlsafe(24)
    User.objects.filter(pk=user.pk).update(ical_token=new)
    user.ical_token = new
    record(user, "accounts.ical.rotated", user, {}, organization=user.organization_id)
    return new


@transaction.atomic
def set_roles(actor: Any, user: User, roles: list[str]) -> None:
    """Replace a user's roles (groups), recording the change."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationFailed(
            _("Rol desconocido: %(roles)s") % {"roles": ", ".join(unknown)}
        )
    before = sorted(user.roles) if user.pk else []
    groups = [Group.objects.get_or_create(name=role_group_name(r))[0] for r in roles]
    other = [g for g in user.groups.all() if not g.name.startswith("rol:")]
    user.groups.set([*other, *groups])
    user.__dict__.pop("roles", None)
    user.__dict__.pop("_perm_cache", None)
    record(
        actor,
        "accounts.user.roles_changed",
        user,
        {"before": before, "after": sorted(roles)},
        organization=user.organization_id,
    )
