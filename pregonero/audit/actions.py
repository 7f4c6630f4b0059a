"""Writing to and checking the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from pregonero.core.models import Organization
from pregonero.lib import context

from .models import AuditEvent, ChainHead, chain_key

GENESIS = "0" * 64


def target_type_of(target: models.Model) -> str:
    return f"{target._meta.app_label}.{target._meta.model_name}"


def _json_ready(data: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    *,
    organization: Organization | int | None = None,
    target_label: str | None = None,
) -> AuditEvent:
    """Append an event to the organization's chain, inside the caller's transaction.

    The caller must hold a transaction (``transaction.atomic``) that also contains
    the change being recorded, so that either both are stored or neither is.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")
    if organization is None:
        organization = getattr(target, "organization_id", None) or getattr(
            actor, "organization_id", None
        )
    org_id = organization.pk if isinstance(organization, Organization) else organization
    key = chain_key(org_id)
    ctx = context.current()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None

    # The conditional UPDATE takes the head row's lock (PostgreSQL) until commit;
    # on SQLite the IMMEDIATE transaction already serialises writers.
    if not ChainHead.objects.filter(chain=key).update(seq=F("seq") + 1):
        try:
            with transaction.atomic():
                ChainHead.objects.create(chain=key, seq=1, hash=GENESIS)
        except IntegrityError:
            ChainHead.objects.filter(chain=key).update(seq=F("seq") + 1)
    head = ChainHead.objects.get(chain=key)

    event = AuditEvent(
        chain=key,
        seq=head.seq,
        organization_id=org_id,
        occurred_at=timezone.now(),
        actor=actor_obj,
        actor_label=(
            str(actor_obj) if actor_obj else (str(actor) if actor else "Sistema")
        )[:200],
        action=action,
        target_type=target_type_of(target) if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[
            :300
        ],
        data=_json_ready(data),
        ip=ctx.ip,
        request_id=ctx.request_id,
        prev_hash=head.hash,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    ChainHead.objects.filter(chain=key).update(hash=event.hash)
    return event


@dataclass
class ChainProblem:
    chain: str
    seq: int
    event_id: int | None
    reason: str


@dataclass
class VerifyResult:
    chains: int
    events: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _iter_chain(chain: str, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(chain=chain, seq__gt=last).order_by("seq")[:batch]
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(chain: str) -> tuple[int, ChainProblem | None]:
    """Walk one chain from the start; return (events checked, first problem)."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for event in _iter_chain(chain):
        count += 1
        if event.seq != expected_seq:
            return count, ChainProblem(
                chain,
                expected_seq,
                None,
                f"falta el evento {expected_seq} (la cadena salta al {event.seq})",
            )
        if event.prev_hash != expected_prev:
            return count, ChainProblem(
                chain,
                event.seq,
                event.pk,
                "el hash anterior no coincide con el evento previo",
            )
        if event.compute_hash() != event.hash:
            return count, ChainProblem(
                chain, event.seq, event.pk, "el contenido del evento fue modificado"
            )
        expected_prev = event.hash
        expected_seq += 1
    head = ChainHead.objects.filter(chain=chain).first()
    if head is not None and (
        head.seq != expected_seq - 1 or head.hash != expected_prev
    ):
        return count, ChainProblem(
            chain,
            expected_seq,
            None,
            f"la cadena termina en {expected_seq - 1} pero la cabeza registra {head.seq}",
        )
    return count, None


def verify_all(organization: Organization | None = None) -> VerifyResult:
    if organization is not None:
        chains = [chain_key(organization)]
    else:
        chains = sorted(
            set(ChainHead.objects.values_list("chain", flat=True))
            | set(AuditEvent.objects.values_list("chain", flat=True).distinct())
        )
    total = 0
    problems: list[ChainProblem] = []
    for chain in chains:
        count, problem = verify_chain(chain)
        total += count
        if problem:
            problems.append(problem)
    return VerifyResult(chains=len(chains), events=total, problems=problems)
