"""People: the custom user, roles (Django groups), delegation and API tokens."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import Dependency, Organization, OrgQuerySet, OrgScopedModel


class Role(models.TextChoices):
    """The roles of the procedure; each is a Django group seeded by a migration."""

    JEFE = "jefe", _("Jefe(a) de la Oficina Asesora de Comunicaciones")
    PROFESIONAL = "profesional", _("Profesional OAC")
    ESTRATEGIA = (
        "estrategia",
        _("Profesional especializado en comunicación estratégica"),
    )
    ENLACE = "enlace", _("Enlace de dependencia")
    DIRECTIVO = "directivo", _("Directivo")
    AUDITOR = "auditor", _("Control interno / auditor")
    ADMIN = "admin", _("Administrador")


# Group names are stable identifiers (the label may be retranslated).
ROLE_GROUP_PREFIX = "rol:"


def role_group_name(role: str) -> str:
    return f"{ROLE_GROUP_PREFIX}{role}"


def _new_ical_token() -> str:
    return secrets.token_urlsafe(24)


class User(AbstractUser):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("entidad"),
    )
    dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("dependencia"),
    )
    position = models.CharField(_("cargo"), max_length=200, blank=True)
    ical_token = models.CharField(
        _("clave del calendario"), max_length=64, unique=True, default=_new_ical_token
    )

    REQUIRED_FIELDS = ["email", "organization"]

    class Meta:
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        """The user's role slugs (one query per request, cached on the instance)."""
        names = self.groups.values_list("name", flat=True)
        return frozenset(
            name.removeprefix(ROLE_GROUP_PREFIX)
            for name in names
            if name.startswith(ROLE_GROUP_PREFIX)
        )

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in Role.values if r in self.roles]


class DelegationQuerySet(OrgQuerySet):
    def active_on(self, day: datetime.date) -> DelegationQuerySet:
        return self.filter(
            starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True
        )


class Delegation(OrgScopedModel):
    """An encargo: the Jefe's approval power given to another person for a period."""

    delegator = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="delegations_given",
        verbose_name=_("quien delega"),
    )
    delegate = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="delegations_received",
        verbose_name=_("encargado(a)"),
    )
    starts_on = models.DateField(_("desde"))
    ends_on = models.DateField(_("hasta"))
    reason = models.CharField(_("motivo"), max_length=300)
    act_reference = models.CharField(
        _("acto administrativo"),
        max_length=200,
        blank=True,
        help_text=_("Resolución o memorando que asigna el encargo, si existe."),
    )
    created_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registrada por"),
    )
    revoked_at = models.DateTimeField(_("revocada"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = DelegationQuerySet.as_manager()  # type: ignore[misc]  # narrows the base manager

    class Meta:
        verbose_name = _("encargo")
        verbose_name_plural = _("encargos")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="delegation_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return _("%(delegate)s (del %(start)s al %(end)s)") % {
            "delegate": self.delegate,
            "start": self.starts_on.strftime("%d/%m/%Y"),
            "end": self.ends_on.strftime("%d/%m/%Y"),
        }

    def is_active(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on


TOKEN_PREFIX = "prg_"  # noqa: S105 (a public prefix, not a secret)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 hash is stored."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("usuario"),
    )
    name = models.CharField(_("nombre"), max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("último uso"), null=True, blank=True)
    expires_at = models.DateTimeField(_("vence"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocado"), null=True, blank=True)

    class Meta:
        verbose_name = _("token de API")
        verbose_name_plural = _("tokens de API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}{self.key_id}_…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > now
        )

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (full token, key id, hash)."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = f"{TOKEN_PREFIX}{key_id}_{secret}"
        return token, key_id, hash_token(token)


class Notification(OrgScopedModel):
    """An in-app notification at a hand-off (also sent by e-mail)."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    subject = models.CharField(_("asunto"), max_length=300)
    body = models.TextField(_("mensaje"))
    link = models.CharField(_("enlace"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("leída"), null=True, blank=True)
    email_status = models.CharField(
        max_length=12,
        default="pending",
        choices=[
            ("pending", _("pendiente")),
            ("sent", _("enviado")),
            ("failed", _("fallido")),
            ("skipped", _("sin correo")),
        ],
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_last_error = models.TextField(blank=True)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notificación")
        verbose_name_plural = _("notificaciones")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_status", "email_next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return self.subject
