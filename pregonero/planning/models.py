"""Activities 2–4: the planning meeting and its acta, the content plan, joint actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import (
    Audience,
    Campaign,
    Channel,
    Dependency,
    OrgScopedModel,
    StoredFile,
)


class MeetingState(models.TextChoices):
    DRAFT = "draft", _("En preparación")
    ISSUED = "issued", _("Acta expedida")


class Meeting(OrgScopedModel):
    """A meeting of the OAC team (activity 2), recorded in format 208-SADM-Ft-06."""

    number = models.CharField(_("número"), max_length=30)
    title = models.CharField(_("tema"), max_length=200)
    starts_at = models.DateTimeField(_("fecha y hora de inicio"))
    ends_at = models.DateTimeField(_("hora de terminación"), null=True, blank=True)
    place = models.CharField(_("lugar"), max_length=200)
    objective = models.TextField(_("objetivo"), blank=True)
    development = models.TextField(_("desarrollo de la reunión"), blank=True)
    state = models.CharField(
        _("estado"),
        max_length=10,
        choices=MeetingState.choices,
        default=MeetingState.DRAFT,
    )
    chaired_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preside"),
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("reunión de planeación")
        verbose_name_plural = _("reuniones de planeación")
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="meeting_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}"

    @property
    def current_version_number(self) -> int:
        latest = self.acta_versions.order_by("-number").first()
        return latest.number if latest else 0


class MeetingAttendee(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendees"
    )
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("nombre"), max_length=200)
    position = models.CharField(_("cargo"), max_length=200, blank=True)
    affiliation = models.CharField(
        _("dependencia o entidad"), max_length=200, blank=True
    )
    is_external = models.BooleanField(_("invitado externo"), default=False)
    attended = models.BooleanField(_("asistió"), default=True)

    class Meta:
        verbose_name = _("asistente")
        verbose_name_plural = _("asistentes")
        ordering = ["is_external", "pk"]

    def __str__(self) -> str:
        return self.name


class AgendaItem(models.Model):
    """A topic on the agenda; usually a pending need, with the team's decision."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda"
    )
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    need = models.ForeignKey(
        "intake.Need",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("necesidad"),
    )
    topic = models.CharField(_("tema"), max_length=300)
    discussion = models.TextField(_("desarrollo"), blank=True)
    # The decision (activity 2): sources, products, channels, responsible, due date.
    sources_to_consult = models.TextField(_("fuentes a consultar"), blank=True)
    products = models.TextField(_("productos a realizar"), blank=True)
    channels = models.ManyToManyField(
        Channel, related_name="+", blank=True, verbose_name=_("medios de difusión")
    )
    responsible = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable"),
    )
    due_date = models.DateField(_("fecha de entrega"), null=True, blank=True)

    class Meta:
        verbose_name = _("punto del orden del día")
        verbose_name_plural = _("orden del día")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.topic


class Commitment(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="commitments"
    )
    description = models.CharField(_("compromiso"), max_length=500)
    responsible = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable"),
    )
    responsible_name = models.CharField(
        _("responsable (externo)"), max_length=200, blank=True
    )
    due_date = models.DateField(_("fecha"), null=True, blank=True)

    class Meta:
        verbose_name = _("compromiso")
        verbose_name_plural = _("compromisos")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def responsible_display(self) -> str:
        return str(self.responsible) if self.responsible_id else self.responsible_name


class MeetingDocument(StoredFile):
    """The strategic communication report presented at the meeting, or other annexes."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="documents"
    )
    is_strategic_report = models.BooleanField(
        _("informe de comunicación estratégica"), default=True
    )

    class Meta:
        verbose_name = _("documento de la reunión")
        verbose_name_plural = _("documentos de la reunión")


class ActaVersion(OrgScopedModel):
    """An issued acta: an immutable record, with its DOCX and PDF files."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="acta_versions"
    )
    number = models.PositiveIntegerField(_("versión"))
    snapshot = models.JSONField(_("contenido"))
    content_hash = models.CharField(max_length=64)
    docx = models.FileField(max_length=300)
    docx_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(max_length=300)
    pdf_sha256 = models.CharField(max_length=64)
    issued_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    change_reason = models.TextField(_("motivo del cambio"), blank=True)

    class Meta:
        verbose_name = _("versión del acta")
        verbose_name_plural = _("versiones del acta")
        ordering = ["meeting", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "number"], name="acta_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting.number} v{self.number}"


class PlanItem(OrgScopedModel):
    """An item of the content plan (activity 3)."""

    title = models.CharField(_("contenido"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    need = models.ForeignKey(
        "intake.Need",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_items",
        verbose_name=_("necesidad"),
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_items",
        verbose_name=_("decisión de la reunión"),
    )
    audiences = models.ManyToManyField(
        Audience,
        related_name="plan_items",
        blank=True,
        verbose_name=_("públicos de interés"),
    )
    channels = models.ManyToManyField(
        Channel, related_name="plan_items", blank=True, verbose_name=_("canales")
    )
    dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        related_name="plan_items",
        verbose_name=_("dependencia"),
    )
    liaison = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_items_liaison",
        verbose_name=_("enlace"),
    )
    responsible = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_items_responsible",
        verbose_name=_("responsable en la OAC"),
    )
    planned_date = models.DateField(_("fecha planeada"))
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_items",
        verbose_name=_("campaña"),
    )
    piece = models.OneToOneField(
        "content.Piece",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_item",
        verbose_name=_("pieza"),
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("ítem del plan de contenidos")
        verbose_name_plural = _("plan de contenidos")
        ordering = ["planned_date", "pk"]
        indexes = [models.Index(fields=["organization", "planned_date"])]

    def __str__(self) -> str:
        return self.title


class PlanItemComment(OrgScopedModel):
    plan_item = models.ForeignKey(
        PlanItem, on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comentario"))

    class Meta:
        verbose_name = _("comentario del plan")
        verbose_name_plural = _("comentarios del plan")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class PartnerEntity(OrgScopedModel):
    """An entity of the Red Distrital de Redes Sociales."""

    name = models.CharField(_("entidad"), max_length=200)
    handle = models.CharField(_("cuenta en redes"), max_length=120, blank=True)
    contact = models.CharField(
        _("contacto (jefe de prensa)"), max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("entidad de la Red Distrital")
        verbose_name_plural = _("entidades de la Red Distrital")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JointAction(OrgScopedModel):
    """Activity 4: an action coordinated with the Red Distrital de Redes Sociales."""

    title = models.CharField(_("acción"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    coordinator = models.CharField(
        _("coordinada por"),
        max_length=200,
        blank=True,
        default="Secretaría General – Alcaldía Mayor de Bogotá",
    )
    partners = models.ManyToManyField(
        PartnerEntity,
        related_name="joint_actions",
        blank=True,
        verbose_name=_("entidades"),
    )
    hashtags = models.CharField(_("etiquetas (hashtags)"), max_length=300, blank=True)
    starts_on = models.DateField(_("desde"))
    ends_on = models.DateField(_("hasta"), null=True, blank=True)
    pieces = models.ManyToManyField(
        "content.Piece",
        related_name="joint_actions",
        blank=True,
        verbose_name=_("piezas"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="joint_actions",
        verbose_name=_("campaña"),
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("acción conjunta")
        verbose_name_plural = _("acciones conjuntas")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.title


class JointActionEvidence(OrgScopedModel):
    joint_action = models.ForeignKey(
        JointAction, on_delete=models.PROTECT, related_name="evidence"
    )
    description = models.CharField(_("descripción"), max_length=300)
    url = models.URLField(_("enlace"), blank=True, max_length=500)
    file = models.ForeignKey(
        "JointActionFile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    added_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("evidencia")
        verbose_name_plural = _("evidencias")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.description


class JointActionFile(StoredFile):
    class Meta:
        verbose_name = _("archivo de evidencia")
        verbose_name_plural = _("archivos de evidencia")
