"""The entity and its reference data: dependencies, audiences, campaigns, channels.

Every row in Pregonero belongs to one organization, and every query a user makes
is scoped to the user's organization (``OrgQuerySet.for_org``).
"""

from __future__ import annotations

from typing import Any, Self

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    slug = models.SlugField(_("identificador"), max_length=40, unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    short_name = models.CharField(_("sigla"), max_length=30, blank=True)
    office_name = models.CharField(
        _("oficina de comunicaciones"),
        max_length=200,
        default="Oficina Asesora de Comunicaciones",
    )
    mailbox = models.EmailField(_("buzón de redes sociales"), blank=True)
    email_domains = models.CharField(
        _("dominios de correo institucional"),
        max_length=300,
        blank=True,
        help_text=_("Separados por comas, p. ej. cajaviviendapopular.gov.co."),
    )
    website = models.URLField(_("sitio web"), blank=True)
    city = models.CharField(_("ciudad"), max_length=80, default="Bogotá D.C.")
    # The entity's document formats (the procedure's "Documentos/Registros").
    acta_format_code = models.CharField(
        _("código del formato de acta"), max_length=40, default="208-SADM-Ft-06"
    )
    acta_format_version = models.CharField(
        _("versión del formato de acta"), max_length=20, default="7"
    )
    acta_format_date = models.DateField(
        _("fecha del formato de acta"), null=True, blank=True
    )
    process_name = models.CharField(
        _("proceso"),
        max_length=200,
        default="Gestión de Comunicaciones",
    )
    urgent_review_hours = models.PositiveIntegerField(
        _("horas para revisar una pieza urgente antes de avisar al encargado"),
        default=4,
    )
    is_demo = models.BooleanField(_("entidad de demostración"), default=False)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("entidad")
        verbose_name_plural = _("entidades")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def institutional_domains(self) -> list[str]:
        """The entity's e-mail domains: the configured ones, else the mailbox's."""
        domains = [
            d.strip().lower().lstrip("@")
            for d in self.email_domains.split(",")
            if d.strip()
        ]
        if not domains and "@" in self.mailbox:
            domains = [self.mailbox.rsplit("@", 1)[1].lower()]
        return domains


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization: Organization | int | None) -> Self:
        if organization is None:
            return self.none()
        return self.filter(organization=organization)


class OrgScopedModel(models.Model):
    """Base for every row that belongs to an organization."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entidad"),
    )
    created_at = models.DateTimeField(_("creado"), default=timezone.now, editable=False)

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True


class Dependency(OrgScopedModel):
    name = models.CharField(_("nombre"), max_length=200)
    code = models.CharField(_("sigla"), max_length=20, blank=True)
    is_communications_office = models.BooleanField(
        _("es la oficina de comunicaciones"), default=False
    )
    active = models.BooleanField(_("activa"), default=True)

    class Meta:
        verbose_name = _("dependencia")
        verbose_name_plural = _("dependencias")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="dependency_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Audience(OrgScopedModel):
    """A público de interés (grupo de valor)."""

    name = models.CharField(_("nombre"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    active = models.BooleanField(_("activo"), default=True)

    class Meta:
        verbose_name = _("público de interés")
        verbose_name_plural = _("públicos de interés")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="audience_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(OrgScopedModel):
    name = models.CharField(_("nombre"), max_length=200)
    hashtag = models.CharField(_("etiqueta (hashtag)"), max_length=100, blank=True)
    description = models.TextField(_("descripción"), blank=True)
    starts_on = models.DateField(_("inicio"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    is_district = models.BooleanField(
        _("campaña distrital"),
        default=False,
        help_text=_(
            "Campaña de la Alcaldía Mayor o del sector que la entidad amplifica."
        ),
    )
    active = models.BooleanField(_("activa"), default=True)

    class Meta:
        verbose_name = _("campaña")
        verbose_name_plural = _("campañas")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class Program(OrgScopedModel):
    """A missional program or line of work the pieces talk about."""

    name = models.CharField(_("nombre"), max_length=200)
    dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programs",
        verbose_name=_("dependencia"),
    )
    active = models.BooleanField(_("activo"), default=True)

    class Meta:
        verbose_name = _("programa")
        verbose_name_plural = _("programas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NetworkKind(models.TextChoices):
    SANDBOX = "sandbox", _("Red de práctica (sandbox)")
    MANUAL = "manual", _("Publicación manual")
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    X = "x", _("X (Twitter)")
    YOUTUBE = "youtube", _("YouTube")
    LINKEDIN = "linkedin", _("LinkedIn")
    TIKTOK = "tiktok", _("TikTok")
    MASTODON = "mastodon", _("Mastodon")
    BLUESKY = "bluesky", _("Bluesky")
    WEBSITE = "website", _("Sitio web")


class Channel(OrgScopedModel):
    """An account of the entity on a network (the publishing app adds credentials)."""

    kind = models.CharField(_("red"), max_length=20, choices=NetworkKind.choices)
    name = models.CharField(_("nombre"), max_length=120)
    handle = models.CharField(_("usuario"), max_length=120, blank=True)
    url = models.URLField(_("dirección"), blank=True)
    owner_dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="channels",
        verbose_name=_("dependencia responsable"),
    )
    # The sandbox and manual kinds answer to a "real" network for limits and labels.
    imitates = models.CharField(
        _("imita a"),
        max_length=20,
        choices=NetworkKind.choices,
        blank=True,
        help_text=_("Para canales de práctica: la red cuyas reglas sigue."),
    )
    is_fictitious = models.BooleanField(
        _("cuenta ficticia (demostración)"), default=False
    )
    # SEC-01: the account recovers to an institutional mailbox, never a personal one.
    recovery_email = models.EmailField(
        _("correo institucional de recuperación"),
        blank=True,
        help_text=_(
            "Buzón de la entidad con el que se recupera la cuenta (no personal)."
        ),
    )
    active = models.BooleanField(_("activo"), default=True)

    class Meta:
        verbose_name = _("canal")
        verbose_name_plural = _("canales")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def network(self) -> str:
        """The network whose rules apply (the imitated one for practice channels)."""
        return self.imitates or self.kind

    @property
    def network_label(self) -> str:
        return str(NetworkKind(self.imitates or self.kind).label)


class Sequence(models.Model):
    """Per-organization counters for human-readable numbers (NEC-2026-0001)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=40)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="sequence_key")
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"


def next_number(
    organization: Organization, prefix: str, year: int | None = None
) -> str:
    """Return the next number of a series, e.g. ``NEC-2026-0007``.

    Must run inside the caller's transaction: the conditional UPDATE holds the
    counter row until commit, so two requests never get the same number.
    """
    year = year or timezone.localdate().year
    key = f"{prefix}-{year}"
    for _attempt in range(3):
        updated = Sequence.objects.filter(organization=organization, key=key).update(
            value=F("value") + 1
        )
        if updated:
            break
        try:
            with transaction.atomic():
                Sequence.objects.create(organization=organization, key=key, value=1)
            break
        except IntegrityError:
            continue
    value = Sequence.objects.get(organization=organization, key=key).value
    return f"{key}-{value:04d}"


def model_snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-ready dict of some fields, for audit before/after values."""
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[name] = value
    return data


class StoredFile(OrgScopedModel):
    """Base for every uploaded file: checked, hashed, stored under a random name."""

    file = models.FileField(_("archivo"), max_length=300)
    original_name = models.CharField(_("nombre del archivo"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=20)
    content_type = models.CharField(_("tipo de contenido"), max_length=120)
    size = models.PositiveBigIntegerField(_("tamaño (bytes)"))
    sha256 = models.CharField(_("huella SHA-256"), max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("cargado por"),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    def fill_from_upload(self, fileobj: Any, checked: Any, folder: str) -> None:
        """Store ``fileobj`` (already passed through lib.uploads.check_upload)."""
        from django.core.files import File

        from pregonero.lib.uploads import storage_path

        self.original_name = checked.name
        self.kind = checked.kind
        self.content_type = checked.content_type
        self.size = checked.size
        self.sha256 = checked.sha256
        self.width = checked.width
        self.height = checked.height
        fileobj.seek(0)
        path = storage_path(self.organization_id, folder, checked.extension)
        self.file.save(path, File(fileobj, name=path), save=False)
