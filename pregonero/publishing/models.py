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
    # Handed to the workers (a task exists); cleared when the time moves.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    # Unknown outcome: when it became "sin confirmar", how many times the account
    # was read, and whether a person must say what happened.
    unconfirmed_at = models.DateTimeField(null=True, blank=True)
    reconcile_attempts = models.PositiveIntegerField(default=0)
    needs_review = models.BooleanField(_("requiere revisión"), default=False)
    failure_code = models.CharField(max_length=40, blank=True)
    withdrawn_at = models.DateTimeField(_("retirada"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retirada por"),
    )
    withdraw_reason = models.TextField(_("motivo del retiro"), blank=True)
    # A later approved version published on the same channel corrects this one.
    erratum_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="errata",
        verbose_name=_("fe de erratas de"),
    )
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
            # At most one live publication of each approved version (seal) of a
            # piece per channel; an erratum (a new seal) may follow the original.
            models.UniqueConstraint(
                fields=["piece", "channel", "seal_hash"],
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
            models.Index(fields=["status", "next_attempt_at"]),
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
    kind = models.CharField(_("operación"), max_length=20, default="publish")
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


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", _("Conectado")
    REFRESH_FAILED = "refresh_failed", _("Falló la renovación")
    EXPIRED = "expired", _("Vencido")
    REVOKED = "revoked", _("Revocado")
    DISCONNECTED = "disconnected", _("Desconectado")


class ChannelConnection(OrgScopedModel):
    """The institutional custody of one account (SEC-01): who connected it, when,
    the encrypted tokens, their expiry, and the last sign that they work."""

    channel = models.OneToOneField(
        Channel, on_delete=models.PROTECT, related_name="connection"
    )
    status = models.CharField(
        _("estado"),
        max_length=20,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.DISCONNECTED,
    )
    account_id = models.CharField(_("id de la cuenta"), max_length=200, blank=True)
    account_handle = models.CharField(_("cuenta"), max_length=200, blank=True)
    # A Mastodon instance or a Bluesky PDS; empty for networks with one host.
    base_url = models.URLField(_("servidor"), max_length=300, blank=True)
    scopes = models.TextField(_("permisos"), blank=True)
    access_token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    expires_at = models.DateTimeField(_("vence"), null=True, blank=True)
    refresh_expires_at = models.DateTimeField(
        _("la renovación vence"), null=True, blank=True
    )
    # Facts about the account the adapter needs and that are not secret
    # (an instance's limits, the PDS of a Bluesky account).
    extra = models.JSONField(default=dict, blank=True)
    connected_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("conectado por"),
    )
    connected_at = models.DateTimeField(_("conectado"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("renovado"), null=True, blank=True)
    last_success_at = models.DateTimeField(
        _("última llamada exitosa"), null=True, blank=True
    )
    last_error = models.TextField(_("último error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    refresh_failures = models.PositiveIntegerField(default=0)
    refresh_dispatched_at = models.DateTimeField(null=True, blank=True)
    expiry_alert_for = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("conexión de canal")
        verbose_name_plural = _("conexiones de canales")

    def __str__(self) -> str:
        return f"{self.channel} ({self.get_status_display()})"

    @property
    def access_token(self) -> str:
        from .crypto import decrypt

        return decrypt(self.access_token_encrypted)

    @property
    def refresh_token(self) -> str:
        from .crypto import decrypt

        return decrypt(self.refresh_token_encrypted)

    @property
    def is_usable(self) -> bool:
        return self.status in (
            ConnectionStatus.CONNECTED,
            ConnectionStatus.REFRESH_FAILED,
        )


class InstanceApp(OrgScopedModel):
    """Pregonero's OAuth application registered on a Mastodon instance."""

    network = models.CharField(max_length=20)
    base_url = models.URLField(max_length=300)
    client_id = models.CharField(max_length=300)
    client_secret_encrypted = models.TextField()
    redirect_uri = models.URLField(max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "base_url", "redirect_uri"],
                name="one_app_per_instance",
            )
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.base_url}"

    @property
    def client_secret(self) -> str:
        from .crypto import decrypt

        return decrypt(self.client_secret_encrypted)
