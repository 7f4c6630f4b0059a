"""Activity 14: publications per channel, their attempts, and worker liveness."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import Channel, OrgQuerySet, OrgScopedModel


class PublicationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Programada")
    PUBLISHING = "publishing", _("Publicando")
    PUBLISHED = "published", _("Publicada")
    UNCONFIRMED = "unconfirmed", _("Sin confirmar")
    FAILED = "failed", _("Fallida")
    CANCELLED = "cancelled", _("Cancelada")
    WITHDRAWN = "withdrawn", _("Retirada")


ACTIVE_STATUSES = {
    PublicationStatus.SCHEDULED,
    PublicationStatus.PUBLISHING,
    PublicationStatus.PUBLISHED,
    PublicationStatus.UNCONFIRMED,
}


class PublicationQuerySet(OrgQuerySet):
    def due(self, now: object) -> PublicationQuerySet:
        return self.filter(status=PublicationStatus.SCHEDULED, scheduled_at__lte=now)


class Publication(OrgScopedModel):
    """The piece on one channel: scheduled, then published (or recorded by hand)."""

    piece = models.ForeignKey(
        "content.Piece", on_delete=models.PROTECT, related_name="publications"
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        related_name="publications",
        verbose_name=_("canal"),
    )
    status = models.CharField(
        _("estado"),
        max_length=12,
        choices=PublicationStatus.choices,
        default=PublicationStatus.SCHEDULED,
    )
    scheduled_at = models.DateTimeField(_("programada para"), null=True, blank=True)
    seal_hash = models.CharField(_("sello aprobado"), max_length=64)
    text = models.TextField(_("texto publicado"), blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform_id = models.CharField(_("id en la red"), max_length=200, blank=True)
    permalink = models.URLField(_("enlace permanente"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("publicada"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrada por"),
    )
    manual_note = models.TextField(_("observaciones"), blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("motivo"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    objects = PublicationQuerySet.as_manager()  # type: ignore[misc]  # narrows the base manager

    class Meta:
        verbose_name = _("publicación")
        verbose_name_plural = _("publicaciones")
        ordering = ["scheduled_at", "pk"]
        constraints = [
            # At most one live publication of a piece per channel.
            models.UniqueConstraint(
                fields=["piece", "channel"],
                condition=models.Q(
                    status__in=["scheduled", "publishing", "published", "unconfirmed"]
                ),
                name="one_live_publication_per_channel",
            )
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_at"]),
            models.Index(fields=["organization", "scheduled_at"]),
            models.Index(fields=["organization", "published_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.piece} → {self.channel}"


class PublicationAttempt(models.Model):
    """One try at publishing, with its outcome, kept as evidence."""

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="attempts"
    )
    started_at = models.DateTimeField(_("inicio"))
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duración (ms)"), null=True, blank=True)
    outcome = models.CharField(_("resultado"), max_length=20)
    summary = models.CharField(_("solicitud"), max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("intento de publicación")
        verbose_name_plural = _("intentos de publicación")
        ordering = ["publication", "started_at"]

    def __str__(self) -> str:
        return f"{self.publication_id} {self.outcome}"


class Heartbeat(models.Model):
    """The last sign of life of each background process (worker, scheduler)."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("señal de vida")
        verbose_name_plural = _("señales de vida")

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"
