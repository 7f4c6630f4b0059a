"""The Bandeja de atención: conversations, inbound items, triage, petitions (PQRSD).

DAT-01: a citizen's message keeps only what is needed (handle, display name,
text, time, URL, platform id); personal identifiers of a petitioner sit in the
petition's restricted fields, shown only to roles that hold
``petition.personal_data`` and masked in every list and export.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import (
    Channel,
    Dependency,
    Organization,
    OrgQuerySet,
    OrgScopedModel,
)

from .workflow import ItemKind, ItemState, PetitionState, TriageDecision, Typology


class InboxSettings(models.Model):
    """Per-organization settings of the inbox (edited by the Administrador)."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        related_name="inbox_settings",
        verbose_name=_("entidad"),
    )
    citizen_service_email = models.EmailField(
        _("correo de Servicio al Ciudadano"),
        blank=True,
        help_text=_("Recibe las alertas de términos de las peticiones (PET-07)."),
    )
    first_response_days = models.PositiveSmallIntegerField(
        _("días hábiles para la primera respuesta"),
        default=0,
        help_text=_("0 = el mismo día hábil en que llega el mensaje."),
    )
    office_closes_at = models.TimeField(
        _("hora de cierre de la atención"),
        default=datetime.time(17, 0),
        help_text=_(
            "Lo que llega después de esta hora se entiende recibido el día hábil siguiente."
        ),
    )
    # DAT-01 / Ley 1581 de 2012 (issue 6 §4): how long the content of an item is
    # kept before the scheduler anonymises it (0 = never). REC-01 leaves the TRD
    # values to Gestión Documental; these defaults are conservative placeholders.
    retention_interaction_months = models.PositiveSmallIntegerField(
        _("meses de conservación de las interacciones"),
        default=24,
        help_text=_(
            "Contados desde el recibo; incluye los mensajes que nunca se "
            "clasificaron. Pasado el plazo, el autor y el texto se anonimizan. "
            "0 = no anonimizar."
        ),
    )
    retention_not_applicable_months = models.PositiveSmallIntegerField(
        _("meses de conservación de lo que no procede (spam, insulto)"),
        default=6,
        help_text=_("Contados desde el recibo. 0 = no anonimizar."),
    )
    retention_petition_months = models.PositiveSmallIntegerField(
        _("meses de conservación de las peticiones cerradas"),
        default=60,
        help_text=_(
            "Contados desde el cierre de la petición; una petición abierta nunca se "
            "anonimiza. Valor provisional de 5 años: ajústelo a la serie PQRS de la "
            "Tabla de Retención Documental de la entidad (REC-01). 0 = no anonimizar."
        ),
    )

    class Meta:
        verbose_name = _("configuración de la bandeja")
        verbose_name_plural = _("configuración de la bandeja")

    def __str__(self) -> str:
        return str(self.organization)


class Holiday(OrgScopedModel):
    """A non-business day of the organization's calendar (seeded from Colombia's)."""

    date = models.DateField(_("fecha"))
    name = models.CharField(_("nombre"), max_length=120)
    is_holiday = models.BooleanField(
        _("es día no hábil"),
        default=True,
        help_text=_("Desmárquelo para que la fecha cuente como día hábil."),
    )

    class Meta:
        verbose_name = _("festivo")
        verbose_name_plural = _("calendario de festivos")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date"], name="holiday_unique_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class HolidayYear(models.Model):
    """Marks a year of an organization's calendar as seeded (then edited by hand)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"], name="holiday_year_unique"
            )
        ]

    def __str__(self) -> str:
        return str(self.year)


class Conversation(OrgScopedModel):
    """A thread: the comments under one post, or one private conversation."""

    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("canal"),
    )
    thread_key = models.CharField(_("id del hilo en la red"), max_length=200)
    publication = models.ForeignKey(
        "publishing.Publication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("publicación"),
    )
    post_url = models.URLField(_("publicación en la red"), max_length=500, blank=True)
    last_item_at = models.DateTimeField(_("último mensaje"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversación")
        verbose_name_plural = _("conversaciones")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "thread_key"],
                name="conversation_unique_thread",
            )
        ]

    def __str__(self) -> str:
        return self.thread_key


class ItemQuerySet(OrgQuerySet):
    pass


class InboundItem(OrgScopedModel):
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("conversación"),
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("canal"),
    )
    network = models.CharField(_("red"), max_length=20, blank=True)
    kind = models.CharField(_("tipo"), max_length=20, choices=ItemKind.choices)
    platform_id = models.CharField(_("id en la red"), max_length=200)
    author_handle = models.CharField(_("autor"), max_length=200)
    author_name = models.CharField(_("nombre visible"), max_length=200, blank=True)
    text = models.TextField(_("mensaje"))
    url = models.URLField(_("enlace"), max_length=500, blank=True)
    # PET-02: the platform's time; set once, never changed.
    received_at = models.DateTimeField(_("recibido"))
    ingested_at = models.DateTimeField(_("registrado en Pregonero"), auto_now_add=True)
    raw = models.JSONField(_("datos de la red"), default=dict, blank=True)
    state = models.CharField(
        _("estado"), max_length=20, choices=ItemState.choices, default=ItemState.NEW
    )
    typology = models.CharField(
        _("tipología"), max_length=30, choices=Typology.choices, blank=True
    )
    assignee = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asignado a"),
    )
    first_response_due = models.DateTimeField(
        _("primera respuesta antes de"), null=True, blank=True
    )
    responded_at = models.DateTimeField(_("respondido"), null=True, blank=True)
    response_url = models.URLField(
        _("enlace de la respuesta"), max_length=500, blank=True
    )
    registered_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrado a mano por"),
    )
    # DAT-01: set once the retention period ran out and the content was
    # anonymised (pregonero.inbox.retention).
    anonymised_at = models.DateTimeField(_("anonimizado el"), null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=1)

    objects = ItemQuerySet.as_manager()  # type: ignore[misc]  # narrows the base manager

    class Meta:
        verbose_name = _("mensaje recibido")
        verbose_name_plural = _("mensajes recibidos")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "platform_id"],
                name="inbound_item_unique_platform_id",
            )
        ]
        # The Bandeja's filters, each newest first (issue 6: p95 ≤ 100 ms with
        # 2 million items, make bench-inbox).
        indexes = [
            models.Index(fields=["organization", "-received_at"]),
            models.Index(fields=["organization", "state", "-received_at"]),
            models.Index(fields=["organization", "assignee", "-received_at"]),
            models.Index(
                fields=["organization", "network", "-received_at"],
                name="inbox_item_org_network",
            ),
            models.Index(
                fields=["organization", "kind", "-received_at"],
                name="inbox_item_org_kind",
            ),
            models.Index(
                fields=["organization", "-received_at"],
                condition=models.Q(responded_at__isnull=True),
                name="inbox_item_org_unanswered",
            ),
        ]

    def __str__(self) -> str:
        # No author and no text: this label is copied into the audit log, which
        # is never rewritten, so it must hold nothing the retention job would
        # have to anonymise (DAT-01).
        return f"{self.get_kind_display()} #{self.pk}"


class Triage(OrgScopedModel):
    """A triage decision on an item (PET-01): who decided, when and why."""

    item = models.ForeignKey(
        InboundItem,
        on_delete=models.PROTECT,
        related_name="triages",
        verbose_name=_("mensaje"),
    )
    decision = models.CharField(
        _("decisión"), max_length=20, choices=TriageDecision.choices
    )
    typology = models.CharField(
        _("tipología"), max_length=30, choices=Typology.choices, blank=True
    )
    reason = models.TextField(_("motivo"), blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decidió"),
    )

    class Meta:
        verbose_name = _("clasificación")
        verbose_name_plural = _("clasificaciones")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.get_decision_display()


class Note(OrgScopedModel):
    """An internal note on an item: never sent to the citizen."""

    item = models.ForeignKey(
        InboundItem,
        on_delete=models.PROTECT,
        related_name="notes",
        verbose_name=_("mensaje"),
    )
    author = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("autor"),
    )
    text = models.TextField(_("nota"))

    class Meta:
        verbose_name = _("nota interna")
        verbose_name_plural = _("notas internas")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class SavedReply(OrgScopedModel):
    """A plantilla de respuesta in plain language."""

    title = models.CharField(_("título"), max_length=120)
    body = models.TextField(_("texto"))
    active = models.BooleanField(_("activa"), default=True)
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("respuesta guardada")
        verbose_name_plural = _("respuestas guardadas")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Petition(OrgScopedModel):
    """A petition (PQRSD) with its legal term in business days."""

    item = models.OneToOneField(
        InboundItem,
        on_delete=models.PROTECT,
        related_name="petition",
        verbose_name=_("mensaje"),
    )
    number = models.CharField(_("número"), max_length=30)
    typology = models.CharField(_("tipología"), max_length=30, choices=Typology.choices)
    term_days = models.PositiveSmallIntegerField(_("término (días hábiles)"))
    received_at = models.DateTimeField(_("recibida"))
    start_date = models.DateField(
        _("fecha de recibo efectiva"),
        help_text=_("El término corre desde el día hábil siguiente."),
    )
    due_date = models.DateField(_("vence"))
    original_due_date = models.DateField(_("vencimiento inicial"))
    referral_due = models.DateField(_("remitir por competencia antes de"))
    state = models.CharField(
        _("estado"),
        max_length=20,
        choices=PetitionState.choices,
        default=PetitionState.OPEN,
    )
    dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dependencia que responde"),
    )
    radicado = models.CharField(
        _("número de radicado Bogotá te escucha"), max_length=40, blank=True
    )
    radicado_at = models.DateTimeField(_("radicado registrado"), null=True, blank=True)
    # PET-04
    referred_to = models.CharField(_("entidad competente"), max_length=200, blank=True)
    referred_at = models.DateTimeField(_("remitida"), null=True, blank=True)
    referral_note = models.TextField(_("nota de la remisión"), blank=True)
    # PET-06
    clarification_text = models.TextField(_("aclaración solicitada"), blank=True)
    clarification_requested_at = models.DateTimeField(
        _("aclaración solicitada el"), null=True, blank=True
    )
    clarification_due = models.DateField(
        _("plazo del peticionario para aclarar"), null=True, blank=True
    )
    clarification_received_at = models.DateTimeField(
        _("aclaración recibida"), null=True, blank=True
    )
    # PET-05
    extended_at = models.DateTimeField(_("término ampliado el"), null=True, blank=True)
    extension_reason = models.TextField(_("motivo de la ampliación"), blank=True)
    # PET-08: our answer, as evidence.
    answer_text = models.TextField(_("respuesta"), blank=True)
    answer_url = models.URLField(
        _("enlace de la respuesta"), max_length=500, blank=True
    )
    answered_at = models.DateTimeField(_("respondida el"), null=True, blank=True)
    answered_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("respondió"),
    )
    closed_at = models.DateTimeField(_("cerrada"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cerró"),
    )
    # DAT-01: restricted; masked in lists and exports.
    petitioner_name = models.CharField(
        _("nombre del peticionario"), max_length=200, blank=True
    )
    petitioner_document = models.CharField(
        _("documento de identidad"), max_length=40, blank=True
    )
    petitioner_contact = models.CharField(
        _("contacto (teléfono, correo o dirección)"), max_length=300, blank=True
    )
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("petición")
        verbose_name_plural = _("peticiones")
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="petition_number"
            )
        ]
        indexes = [models.Index(fields=["organization", "state", "due_date"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_running(self) -> bool:
        return self.state == PetitionState.OPEN

    @property
    def answered_on_time(self) -> bool | None:
        """On time: answered (or referred) by its due date; None while pending."""
        if self.state == PetitionState.REFERRED or (
            self.referred_at and not self.answered_at
        ):
            from django.utils import timezone

            assert self.referred_at is not None
            return timezone.localdate(self.referred_at) <= self.referral_due
        if self.answered_at is None:
            return None
        from django.utils import timezone

        return timezone.localdate(self.answered_at) <= self.due_date


class PetitionAlert(OrgScopedModel):
    """An alert at 50 / 80 / 100 % of a petition's term, sent once (PET-07)."""

    petition = models.ForeignKey(
        Petition, on_delete=models.PROTECT, related_name="alerts"
    )
    threshold = models.PositiveSmallIntegerField(_("umbral (%)"))
    due_date = models.DateField(_("vencimiento al avisar"))
    recipients = models.JSONField(_("destinatarios"), default=list)
    email_to = models.EmailField(_("correo externo"), blank=True)
    email_status = models.CharField(max_length=10, default="skipped")
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("alerta de término")
        verbose_name_plural = _("alertas de término")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "threshold", "due_date"],
                name="petition_alert_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.threshold} %"


class IngestState(OrgScopedModel):
    """The checkpoint of a channel's reading of comments, mentions and messages
    (issue 6): the network's cursor, advanced only once a batch is stored."""

    channel = models.OneToOneField(
        Channel, on_delete=models.CASCADE, related_name="ingest_state"
    )
    cursor = models.CharField(_("cursor"), max_length=500, blank=True)
    last_run_at = models.DateTimeField(_("última lectura"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("último éxito"), null=True, blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField(_("mensajes leídos"), default=0)
    # The last reading that stored something new: while recent, the channel
    # is read every few seconds (``ingest.active_poll_every``).
    last_new_at = models.DateTimeField(_("último mensaje nuevo"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lectura de un canal")
        verbose_name_plural = _("lecturas de los canales")


class ReplyState(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    QUEUED = "queued", _("En cola")
    SENDING = "sending", _("Enviando")
    SENT = "sent", _("Enviada")
    UNCONFIRMED = "unconfirmed", _("Sin confirmar")
    FAILED = "failed", _("Fallida")


class Reply(OrgScopedModel):
    """Our answer to an inbound item, sent through the network's adapter exactly
    once (the same rules as publications: claim by conditional UPDATE, an unknown
    outcome becomes *sin confirmar* and is reconciled by reading the thread)."""

    item = models.ForeignKey(
        InboundItem,
        on_delete=models.PROTECT,
        related_name="replies",
        verbose_name=_("mensaje"),
    )
    text = models.TextField(_("respuesta"))
    private = models.BooleanField(_("mensaje privado"), default=False)
    state = models.CharField(
        _("estado"),
        max_length=20,
        choices=ReplyState.choices,
        default=ReplyState.QUEUED,
    )
    idempotency_key = models.UUIDField(_("clave de idempotencia"), unique=True)
    platform_id = models.CharField(_("id en la red"), max_length=200, blank=True)
    permalink = models.URLField(_("enlace"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("enviada"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("escrita por"),
    )
    personal_data_confirmed = models.BooleanField(
        _("confirmó que no hay datos personales"), default=False
    )
    as_petition_answer = models.BooleanField(
        _("registrar como respuesta de la petición"), default=False
    )
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    unconfirmed_at = models.DateTimeField(null=True, blank=True)
    reconcile_attempts = models.PositiveSmallIntegerField(default=0)
    needs_review = models.BooleanField(default=False)
    last_error = models.TextField(_("último error"), blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("respuesta")
        verbose_name_plural = _("respuestas")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.item_id} {self.state}"


class ReplyAttempt(models.Model):
    """One try at sending (or reconciling) a reply, kept as evidence."""

    reply = models.ForeignKey(Reply, on_delete=models.PROTECT, related_name="attempts")
    kind = models.CharField(_("operación"), max_length=20, default="send")
    outcome = models.CharField(_("resultado"), max_length=20)
    started_at = models.DateTimeField(_("inicio"))
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    summary = models.CharField(_("detalle"), max_length=500, blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("intento de respuesta")
        verbose_name_plural = _("intentos de respuesta")
        ordering = ["reply", "started_at"]

    def __str__(self) -> str:
        return f"{self.reply_id} {self.outcome}"
