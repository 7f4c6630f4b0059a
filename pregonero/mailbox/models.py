"""The institutional mailbox (redessociales@…), read by IMAP (issue 6).

Each organization configures its mailbox (server, account, folder) and the
rules that turn each new message into a need (activity 1), an inbound item of
the Bandeja (kind e-mail), or nothing (the message is only marked). The
password is stored encrypted with ``PREGONERO_TOKEN_KEYS``, like the networks'
tokens. ``ProcessedMessage`` is the log of what was read: one row per
(mailbox, UIDVALIDITY, UID), written in the same transaction as the need or
item it produced, so nothing is created twice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import Dependency, OrgScopedModel, StoredFile


class Security(models.TextChoices):
    IMAPS = "imaps", _("IMAPS (TLS desde el inicio, puerto 993)")
    STARTTLS = "starttls", _("STARTTLS (puerto 143)")
    NONE = "none", _("Sin cifrado (solo servidores locales de prueba)")


class RuleAction(models.TextChoices):
    NEED = "need", _("Registrar una necesidad de comunicación")
    ITEM = "item", _("Llevar a la Bandeja de atención (posible petición)")
    IGNORE = "ignore", _("No registrar (solo marcar como leído por Pregonero)")


class Outcome(models.TextChoices):
    NEED = "need", _("Necesidad")
    ITEM = "item", _("Mensaje de la Bandeja")
    IGNORED = "ignored", _("No registrado")
    REJECTED = "rejected", _("Rechazado (revíselo en el buzón)")


class Mailbox(OrgScopedModel):
    name = models.CharField(_("nombre"), max_length=120, default="redessociales@")
    host = models.CharField(_("servidor IMAP"), max_length=200)
    port = models.PositiveIntegerField(_("puerto"), default=993)
    security = models.CharField(
        _("cifrado"), max_length=10, choices=Security.choices, default=Security.IMAPS
    )
    username = models.CharField(_("usuario"), max_length=200)
    password_encrypted = models.TextField(_("contraseña (cifrada)"), blank=True)
    folder = models.CharField(_("carpeta"), max_length=200, default="INBOX")
    enabled = models.BooleanField(_("activo"), default=True)
    default_action = models.CharField(
        _("acción por defecto"),
        max_length=10,
        choices=RuleAction.choices,
        default=RuleAction.ITEM,
        help_text=_("Para los correos que no cumplen ninguna regla."),
    )
    default_dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dependencia por defecto de las necesidades"),
    )
    registered_as = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrar las necesidades a nombre de"),
        help_text=_("Una persona de la OAC que puede registrar necesidades."),
    )
    last_run_at = models.DateTimeField(_("última lectura"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("último éxito"), null=True, blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    last_error_at = models.DateTimeField(
        _("hora del último error"), null=True, blank=True
    )
    failures = models.PositiveIntegerField(_("fallos seguidos"), default=0)
    messages_total = models.PositiveIntegerField(_("correos leídos"), default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("buzón institucional")
        verbose_name_plural = _("buzones institucionales")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "host", "username", "folder"],
                name="mailbox_unique_account_folder",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def set_password(self, raw: str) -> None:
        from pregonero.publishing.crypto import encrypt

        self.password_encrypted = encrypt(raw)

    def get_password(self) -> str:
        from pregonero.publishing.crypto import decrypt

        return decrypt(self.password_encrypted)


class MailboxRule(models.Model):
    """A rule of the OAC; the first that matches decides (all its conditions
    must hold; an empty condition always holds)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(_("orden"), default=0)
    sender = models.CharField(
        _("remitente o dominio"),
        max_length=200,
        blank=True,
        help_text=_(
            "Una dirección (prensa@cvp.gov.co) o un dominio (@bogota.gov.co); "
            "varios separados por comas."
        ),
    )
    subject_keywords = models.CharField(
        _("palabras en el asunto"),
        max_length=300,
        blank=True,
        help_text=_("Separadas por comas; basta con una."),
    )
    body_keywords = models.CharField(
        _("palabras en el texto"),
        max_length=300,
        blank=True,
        help_text=_("Separadas por comas; basta con una."),
    )
    action = models.CharField(_("acción"), max_length=10, choices=RuleAction.choices)
    dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dependencia de la necesidad"),
    )

    class Meta:
        verbose_name = _("regla del buzón")
        verbose_name_plural = _("reglas del buzón")
        ordering = ["mailbox", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_action_display()}"


class ProcessedMessage(OrgScopedModel):
    """One message read from the mailbox, and what it became."""

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="processed"
    )
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(_("Message-ID"), max_length=500, blank=True)
    sha256 = models.CharField(_("huella SHA-256"), max_length=64)
    sender = models.CharField(_("remitente"), max_length=300, blank=True)
    subject = models.CharField(_("asunto"), max_length=500, blank=True)
    outcome = models.CharField(_("resultado"), max_length=10, choices=Outcome.choices)
    detail = models.TextField(_("detalle"), blank=True)
    need = models.ForeignKey(
        "intake.Need",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("necesidad"),
    )
    item = models.ForeignKey(
        "inbox.InboundItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mensaje de la Bandeja"),
    )
    flagged_at = models.DateTimeField(
        _("marcado en el servidor"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("correo leído")
        verbose_name_plural = _("correos leídos")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                name="processed_message_unique_uid",
            )
        ]
        indexes = [
            models.Index(fields=["mailbox", "sha256"]),
            models.Index(fields=["mailbox", "message_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.uidvalidity}/{self.uid} {self.subject[:60]}"


class MessageAttachment(StoredFile):
    """The e-mail (.eml) and its attachments, kept for a message that became an
    inbound item (a need keeps them as its own attachments)."""

    message = models.ForeignKey(
        ProcessedMessage, on_delete=models.PROTECT, related_name="attachments"
    )
