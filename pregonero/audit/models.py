"""The audit trail: append-only events, hash-chained per organization.

Each event stores the hash of the previous event of its chain, so deleting,
inserting or editing any row breaks the chain at that point and
``pregonero audit verify`` finds it. There is no update or delete path: the
model and queryset refuse, the admin is read-only, and database triggers
(see the migrations) refuse UPDATE and DELETE even from raw SQL.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import Organization


def chain_key(organization: Organization | int | None) -> str:
    """Each organization has its own hash chain; events without one go to "system"."""
    if organization is None:
        return "system"
    org_id = organization if isinstance(organization, int) else organization.pk
    return f"org:{org_id}"


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be deleted.")

    def for_org(self, organization: Organization | int) -> AuditEventQuerySet:
        return self.filter(organization=organization)

    def of_chain(self, organization: Organization | int) -> AuditEventQuerySet:
        """The organization's chain, newest first, read along the (chain, seq) index."""
        return self.filter(chain=chain_key(organization)).order_by("-seq")

    def for_target(self, target_type: str, target_id: Any) -> AuditEventQuerySet:
        return self.filter(target_type=target_type, target_id=str(target_id))


class AuditEvent(models.Model):
    chain = models.CharField(max_length=40, editable=False)
    seq = models.PositiveBigIntegerField(editable=False)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("entidad"),
    )
    occurred_at = models.DateTimeField(_("fecha y hora"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor (nombre)"), max_length=200)
    action = models.CharField(_("acción"), max_length=80, db_index=True)
    target_type = models.CharField(_("tipo de objeto"), max_length=60, blank=True)
    target_id = models.CharField(_("objeto"), max_length=64, blank=True)
    target_label = models.CharField(
        _("descripción del objeto"), max_length=300, blank=True
    )
    data = models.JSONField(_("datos"), default=dict)
    ip = models.CharField(_("dirección IP"), max_length=45, null=True)
    request_id = models.CharField(_("id de la solicitud"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("evento de auditoría")
        verbose_name_plural = _("eventos de auditoría")
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq")
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id", "seq"]),
            models.Index(fields=["organization", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be deleted.")

    def hash_payload(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "organization": self.organization_id,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_label": self.target_label,
            "data": self.data,
            "ip": self.ip,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        blob = json.dumps(
            self.hash_payload(),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


class ChainHead(models.Model):
    """The latest link of each chain; its row is the lock that orders appends."""

    chain = models.CharField(max_length=40, unique=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("cabeza de cadena de auditoría")

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"
