"""Activity 1: communication needs (necesidades de comunicación)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import (
    Audience,
    Dependency,
    OrgQuerySet,
    OrgScopedModel,
    StoredFile,
)

from .workflow import NeedState


class NeedSource(models.TextChoices):
    COMMITTEE = "committee", _("Comité")
    DIRECTORS_MEETING = "directors_meeting", _("Reunión con directivos")
    MAILBOX = "mailbox", _("Correo al buzón")
    LIAISON = "liaison", _("Enlace de dependencia")
    OAC_INITIATIVE = "oac_initiative", _("Iniciativa de la OAC")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("Alta")
    URGENT = "urgent", _("Urgente")


class NeedQuerySet(OrgQuerySet):
    def open(self) -> NeedQuerySet:
        return self.exclude(state__in=[NeedState.ATTENDED, NeedState.DISCARDED])


class Need(OrgScopedModel):
    number = models.CharField(_("número"), max_length=30)
    title = models.CharField(_("asunto"), max_length=200)
    description = models.TextField(_("descripción"))
    source = models.CharField(_("origen"), max_length=30, choices=NeedSource.choices)
    dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        related_name="needs",
        verbose_name=_("dependencia solicitante"),
    )
    requester = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs_requested",
        verbose_name=_("solicitante"),
    )
    requester_name = models.CharField(
        _("solicitante (si no es usuario)"), max_length=200, blank=True
    )
    requester_email = models.EmailField(_("correo del solicitante"), blank=True)
    audiences = models.ManyToManyField(
        Audience,
        related_name="needs",
        blank=True,
        verbose_name=_("públicos de interés"),
    )
    desired_date = models.DateField(
        _("fecha deseada de publicación (oportunidad)"), null=True, blank=True
    )
    event_date = models.DateField(_("fecha del evento"), null=True, blank=True)
    urgency = models.CharField(
        _("urgencia"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    state = models.CharField(
        _("estado"),
        max_length=20,
        choices=NeedState.choices,
        default=NeedState.REGISTERED,
    )
    triaged_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clasificada por"),
    )
    triaged_at = models.DateTimeField(_("clasificada"), null=True, blank=True)
    triage_note = models.TextField(_("observación de la clasificación"), blank=True)
    discard_reason = models.TextField(_("motivo del descarte"), blank=True)
    # When the need came from an e-mail (the mailbox or an uploaded .eml).
    email_from = models.CharField(_("remitente del correo"), max_length=300, blank=True)
    email_subject = models.CharField(_("asunto del correo"), max_length=500, blank=True)
    email_message_id = models.CharField(max_length=500, blank=True)
    email_date = models.DateTimeField(_("fecha del correo"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registrada por"),
    )
    updated_at = models.DateTimeField(_("modificada"), auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    objects = NeedQuerySet.as_manager()  # type: ignore[misc]  # narrows the base manager

    class Meta:
        verbose_name = _("necesidad de comunicación")
        verbose_name_plural = _("necesidades de comunicación")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="need_number"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "state", "-created_at"]),
            models.Index(fields=["organization", "dependency", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}"

    @property
    def requester_display(self) -> str:
        if self.requester_id:
            return str(self.requester)
        return self.requester_name or self.email_from


class NeedAttachment(StoredFile):
    need = models.ForeignKey(
        Need,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("necesidad"),
    )
    from_email = models.BooleanField(_("venía en el correo"), default=False)

    class Meta:
        verbose_name = _("adjunto de la necesidad")
        verbose_name_plural = _("adjuntos de la necesidad")
        ordering = ["created_at"]
