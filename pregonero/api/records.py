"""API: who am I, reference data, the audit trail, the control register, delegations."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from pregonero.accounts import actions as account_actions
from pregonero.accounts.models import Delegation, User
from pregonero.accounts.permissions import Perm, perms_for
from pregonero.audit.actions import verify_chain
from pregonero.audit.models import AuditEvent, ChainHead, chain_key
from pregonero.audit.registry import label_for
from pregonero.content.models import Review
from pregonero.core.models import Audience, Campaign, Channel, Dependency, Program

from .base import ErrorOut, Page, get_or_404, in_org, paginate, require_perm, user_of

router = Router(tags=["Entidad, auditoría y control"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    organization: str
    dependency: str | None
    roles: list[str]
    permissions: list[str]


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Usuario actual")
def me(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.get_full_name(),
        "organization": str(user.organization),
        "dependency": str(user.dependency) if user.dependency else None,
        "roles": sorted(user.roles),
        "permissions": sorted(str(p) for p in perms_for(user)),
    }


class NamedOut(Schema):
    id: int
    name: str


class ChannelOut(Schema):
    id: int
    name: str
    kind: str
    imitates: str
    handle: str
    url: str
    is_fictitious: bool
    active: bool


class ReferenceOut(Schema):
    dependencies: list[NamedOut]
    audiences: list[NamedOut]
    campaigns: list[NamedOut]
    programs: list[NamedOut]
    channels: list[ChannelOut]


@router.get(
    "/reference", response={200: ReferenceOut, **ERRORS}, summary="Datos de referencia"
)
def reference(request: HttpRequest) -> dict[str, Any]:
    """Dependencies, audiences, campaigns, programs and channels of the organization."""
    org = user_of(request).organization_id
    return {
        "dependencies": list(Dependency.objects.for_org(org).filter(active=True)),
        "audiences": list(Audience.objects.for_org(org).filter(active=True)),
        "campaigns": list(Campaign.objects.for_org(org).filter(active=True)),
        "programs": list(Program.objects.for_org(org).filter(active=True)),
        "channels": list(Channel.objects.for_org(org)),
    }


class AuditEventOut(Schema):
    id: int
    seq: int
    occurred_at: datetime.datetime
    actor: str
    action: str
    action_label: str
    target_type: str
    target_id: str
    target_label: str
    data: dict[str, Any]
    ip: str | None
    request_id: str
    prev_hash: str
    hash: str


class AuditPage(Page):
    items: list[AuditEventOut]


def audit_out(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor": event.actor_label,
        "action": event.action,
        "action_label": label_for(event.action),
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "data": event.data,
        "ip": event.ip,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


@router.get(
    "/audit-events", response={200: AuditPage, **ERRORS}, summary="Eventos de auditoría"
)
def audit_events(
    request: HttpRequest,
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.AUDIT_VIEW)
    events = AuditEvent.objects.of_chain(user.organization_id)
    if action:
        events = events.filter(action__startswith=action)
    if target_type:
        events = events.filter(target_type=target_type)
    if target_id:
        events = events.filter(target_id=target_id)
    if since:
        events = events.filter(occurred_at__gte=since)
    if until:
        events = events.filter(occurred_at__lt=until)
    if any((action, target_type, target_id, since, until)):
        count, rows = paginate(events, offset, limit)
    else:
        # The whole chain: its length is the head's sequence number, no row count.
        count, rows = paginate(events, offset, limit, count=_chain_length(user))
    return {
        "count": count,
        "offset": offset,
        "limit": limit,
        "items": [audit_out(e) for e in rows],
    }


def _chain_length(user: User) -> int:
    head = ChainHead.objects.filter(chain=chain_key(user.organization_id)).first()
    return head.seq if head else 0


class VerifyOut(Schema):
    ok: bool
    events: int
    broken_at: int | None
    reason: str


@router.post(
    "/audit-events/verify",
    response={200: VerifyOut, **ERRORS},
    summary="Verificar la cadena de auditoría",
)
def audit_verify(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.AUDIT_VIEW)
    count, problem = verify_chain(chain_key(user.organization_id))
    return {
        "ok": problem is None,
        "events": count,
        "broken_at": problem.seq if problem else None,
        "reason": problem.reason if problem else "",
    }


class ReviewOut(Schema):
    id: int
    piece_id: int
    piece_number: str
    control_point: int
    text_version: int
    asset_set: int | None
    decision: str
    comment: str
    checklist: dict[str, bool]
    reviewer: str
    as_delegate_of: str | None
    created_at: datetime.datetime
    seal_hash: str


class ReviewPage(Page):
    items: list[ReviewOut]


def review_out(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "piece_id": review.piece_id,
        "piece_number": review.piece.number,
        "control_point": review.control_point,
        "text_version": review.text_version.number,
        "asset_set": review.asset_set.number if review.asset_set_id else None,  # type: ignore[union-attr]
        "decision": review.decision,
        "comment": review.comment,
        "checklist": review.checklist,
        "reviewer": str(review.reviewer),
        "as_delegate_of": str(review.delegation.delegator)
        if review.delegation
        else None,
        "created_at": review.created_at,
        "seal_hash": review.seal_hash,
    }


@router.get(
    "/control-register",
    response={200: ReviewPage, **ERRORS},
    summary="Registro de puntos de control",
)
def control_register(
    request: HttpRequest,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    control_point: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.CONTROL_REGISTER)
    reviews = (
        Review.objects.for_org(user.organization_id)
        .select_related(
            "piece", "text_version", "asset_set", "reviewer", "delegation__delegator"
        )
        .order_by("-created_at")
    )
    if since:
        reviews = reviews.filter(
            created_at__gte=timezone.make_aware(
                datetime.datetime.combine(since, datetime.time.min)
            )
        )
    if until:
        reviews = reviews.filter(
            created_at__lt=timezone.make_aware(
                datetime.datetime.combine(
                    until + datetime.timedelta(days=1), datetime.time.min
                )
            )
        )
    if control_point in (1, 2):
        reviews = reviews.filter(control_point=control_point)
    count, rows = paginate(reviews, offset, limit)
    return {
        "count": count,
        "offset": offset,
        "limit": limit,
        "items": [review_out(r) for r in rows],
    }


class DelegationIn(Schema):
    delegator_id: int
    delegate_id: int
    starts_on: datetime.date
    ends_on: datetime.date
    reason: str
    act_reference: str = ""


class DelegationOut(Schema):
    id: int
    delegator: str
    delegate: str
    starts_on: datetime.date
    ends_on: datetime.date
    reason: str
    act_reference: str
    active: bool
    revoked_at: datetime.datetime | None


def delegation_out(d: Delegation) -> dict[str, Any]:
    return {
        "id": d.pk,
        "delegator": str(d.delegator),
        "delegate": str(d.delegate),
        "starts_on": d.starts_on,
        "ends_on": d.ends_on,
        "reason": d.reason,
        "act_reference": d.act_reference,
        "active": d.is_active(),
        "revoked_at": d.revoked_at,
    }


@router.get(
    "/delegations", response={200: list[DelegationOut], **ERRORS}, summary="Encargos"
)
def delegations(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
    rows = Delegation.objects.for_org(user.organization_id).select_related(
        "delegator", "delegate"
    )
    if not (
        Perm.DELEGATION_MANAGE in perms_for(user) or Perm.READ_ALL in perms_for(user)
    ):
        rows = rows.filter(Q(delegate=user) | Q(delegator=user))
    return [delegation_out(d) for d in rows]


@router.post(
    "/delegations",
    response={201: DelegationOut, **ERRORS},
    summary="Registrar un encargo",
)
def create_delegation(
    request: HttpRequest, payload: DelegationIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    delegation = account_actions.create_delegation(
        user,
        delegator=in_org(User, user, payload.delegator_id, "delegator_id"),  # type: ignore[arg-type]
        delegate=in_org(User, user, payload.delegate_id, "delegate_id"),  # type: ignore[arg-type]
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
        act_reference=payload.act_reference,
    )
    return Status(201, delegation_out(delegation))


@router.post(
    "/delegations/{delegation_id}/revoke",
    response={200: DelegationOut, **ERRORS},
    summary="Revocar un encargo",
)
def revoke_delegation(request: HttpRequest, delegation_id: int) -> dict[str, Any]:
    user = user_of(request)
    delegation = get_or_404(
        Delegation.objects.select_related("delegator", "delegate"),
        user,
        pk=delegation_id,
    )
    return delegation_out(account_actions.revoke_delegation(user, delegation))
