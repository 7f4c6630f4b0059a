"""Activities 5–13: the communication piece, its immutable versions and reviews."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import (
    Audience,
    Campaign,
    Channel,
    Dependency,
    OrgQuerySet,
    OrgScopedModel,
    Program,
    StoredFile,
)

from .workflow import IN_PROGRESS, PieceState


def attach_publication_counts(pieces: Iterable[Piece]) -> None:
    """Set ``pub_total``, ``pub_published`` and ``pub_failed`` on each piece of a page —
    the per-channel status ("publicada en 4 de 5"), derived and never stored — with
    one query, whatever the size of the page."""
    by_id = {piece.pk: piece for piece in pieces}
    for piece in by_id.values():
        piece.pub_total = piece.pub_published = piece.pub_failed = 0  # type: ignore[attr-defined]
    rows = (
        Piece.objects.filter(pk__in=by_id)
        .values_list("pk", "publications__status")
        .annotate(n=models.Count("publications"))
        .order_by()
    )
    for pk, status, n in rows:
        if status not in _LIVE_PUBLICATION:
            continue  # statuses are filtered here: in SQL it steers SQLite to a worse index
        piece = by_id[pk]
        piece.pub_total += n  # type: ignore[attr-defined]
        if status == "published":
            piece.pub_published += n  # type: ignore[attr-defined]
        if status in _PROBLEM_PUBLICATION:
            piece.pub_failed += n  # type: ignore[attr-defined]


class PieceFormat(models.TextChoices):
    TEXT = "text", _("Solo texto")
    IMAGE = "image", _("Imagen")
    CAROUSEL = "carousel", _("Carrusel")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Documento PDF")
    AUDIO = "audio", _("Audio")


# Publication statuses by value: content never imports publishing.
_LIVE_PUBLICATION = ("scheduled", "publishing", "published", "unconfirmed", "failed")
_PROBLEM_PUBLICATION = ("failed", "unconfirmed")


class PieceQuerySet(OrgQuerySet):
    def in_progress(self) -> PieceQuerySet:
        return self.filter(state__in=IN_PROGRESS)


class Piece(OrgScopedModel):
    """A pieza comunicativa: one message, produced once, published on channels."""

    number = models.CharField(_("número"), max_length=30)
    title = models.CharField(_("título"), max_length=200)
    brief = models.TextField(_("enfoque / instrucciones"), blank=True)
    format = models.CharField(
        _("formato"),
        max_length=20,
        choices=PieceFormat.choices,
        default=PieceFormat.IMAGE,
    )
    need = models.ForeignKey(
        "intake.Need",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pieces",
        verbose_name=_("necesidad"),
    )
    dependency = models.ForeignKey(
        Dependency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pieces",
        verbose_name=_("dependencia"),
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pieces",
        verbose_name=_("programa"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pieces",
        verbose_name=_("campaña"),
    )
    audiences = models.ManyToManyField(
        Audience,
        related_name="pieces",
        blank=True,
        verbose_name=_("públicos de interés"),
    )
    channels = models.ManyToManyField(
        Channel, related_name="pieces", blank=True, verbose_name=_("canales previstos")
    )
    writer = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pieces_writing",
        verbose_name=_("redactor(a)"),
    )
    designer = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pieces_designing",
        verbose_name=_("diseñador(a)"),
    )
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("creada por"),
    )
    state = models.CharField(
        _("estado"),
        max_length=20,
        choices=PieceState.choices,
        default=PieceState.DRAFTING,
    )
    urgent = models.BooleanField(_("urgente"), default=False)
    text_only = models.BooleanField(
        _("sin diseño"),
        default=False,
        help_text=_("Lo decide el (la) Jefe(a) en el punto de control 1."),
    )
    desired_date = models.DateField(
        _("fecha deseada (oportunidad)"), null=True, blank=True
    )
    planned_date = models.DateField(_("fecha planeada"), null=True, blank=True)
    latest_text_version = models.ForeignKey(
        "TextVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    latest_asset_set = models.ForeignKey(
        "AssetSet", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state_changed_at = models.DateTimeField(_("último cambio de estado"), null=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The visto bueno (activity 13): what was approved, sealed by its hash.
    approved_text_version = models.ForeignKey(
        "TextVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_asset_set = models.ForeignKey(
        "AssetSet", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seal_hash = models.CharField(_("sello (SHA-256)"), max_length=64, blank=True)
    sealed_at = models.DateTimeField(_("visto bueno"), null=True, blank=True)
    sealed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.TextField(_("motivo de la cancelación"), blank=True)
    updated_at = models.DateTimeField(_("modificada"), auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    objects = PieceQuerySet.as_manager()  # type: ignore[misc]  # narrows the base manager

    class Meta:
        verbose_name = _("pieza comunicativa")
        verbose_name_plural = _("piezas comunicativas")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="piece_number"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "state", "-created_at"]),
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "planned_date"]),
            models.Index(fields=["organization", "state", "sealed_at"]),
            models.Index(fields=["writer", "state"]),
            models.Index(fields=["designer", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}"

    @property
    def is_sealed(self) -> bool:
        return self.state == PieceState.APPROVED and bool(self.seal_hash)

    @property
    def due_date(self) -> Any:
        return self.desired_date or self.planned_date


class TextVersion(models.Model):
    """One immutable version of a piece's text, with its channel variants and sources."""

    piece = models.ForeignKey(
        Piece, on_delete=models.PROTECT, related_name="text_versions"
    )
    number = models.PositiveIntegerField(_("versión"))
    body = models.TextField(_("texto"))
    note = models.CharField(_("nota del cambio"), max_length=300, blank=True)
    author = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("autor(a)"),
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    content_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("versión del texto")
        verbose_name_plural = _("versiones del texto")
        ordering = ["piece", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["piece", "number"], name="text_version_number"
            )
        ]

    def __str__(self) -> str:
        return _("Versión %(number)s") % {"number": self.number}

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Text versions are immutable.")
        super().save(*args, **kwargs)

    def canonical(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "body": self.body,
            "variants": [
                {"channel": v.channel_id, "title": v.title, "body": v.body}
                for v in sorted(self.variants.all(), key=lambda v: v.channel_id)
            ],
            "sources": [
                {"description": s.description, "url": s.url}
                for s in sorted(self.sources.all(), key=lambda s: s.pk)
            ],
        }


class ChannelVariant(models.Model):
    """The text adapted to one channel, part of an immutable version."""

    version = models.ForeignKey(
        TextVersion, on_delete=models.PROTECT, related_name="variants"
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("canal")
    )
    title = models.CharField(
        _("título (YouTube, LinkedIn)"), max_length=200, blank=True
    )
    body = models.TextField(_("texto para el canal"))

    class Meta:
        verbose_name = _("variante por canal")
        verbose_name_plural = _("variantes por canal")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "channel"], name="variant_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} · {self.channel}"


class VersionSource(models.Model):
    """A source consulted for the veracity of a version (control point 1)."""

    version = models.ForeignKey(
        TextVersion, on_delete=models.PROTECT, related_name="sources"
    )
    description = models.CharField(_("fuente consultada"), max_length=300)
    url = models.URLField(_("enlace"), blank=True, max_length=500)

    class Meta:
        verbose_name = _("fuente consultada")
        verbose_name_plural = _("fuentes consultadas")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class TextDraft(OrgScopedModel):
    """Text kept aside when a save was refused as stale: nothing typed is lost."""

    piece = models.ForeignKey(Piece, on_delete=models.PROTECT, related_name="drafts")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    based_on = models.PositiveIntegerField(_("basado en la versión"), null=True)
    body = models.TextField(_("texto"))
    payload = models.JSONField(default=dict)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("borrador por conflicto")
        verbose_name_plural = _("borradores por conflicto")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.piece.number} · {self.created_at:%Y-%m-%d %H:%M}"


class AssetSet(models.Model):
    """The set of design files judged together at control point 2.

    A set is a draft until it is submitted; from then on it never changes, and
    any change is a new set (which copies the files it keeps).
    """

    piece = models.ForeignKey(
        Piece, on_delete=models.PROTECT, related_name="asset_sets"
    )
    number = models.PositiveIntegerField(_("versión del diseño"))
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("nota del cambio"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("versión del diseño")
        verbose_name_plural = _("versiones del diseño")
        ordering = ["piece", "number"]
        constraints = [
            models.UniqueConstraint(fields=["piece", "number"], name="asset_set_number")
        ]

    def __str__(self) -> str:
        return _("Diseño v%(number)s") % {"number": self.number}

    @property
    def is_frozen(self) -> bool:
        return self.submitted_at is not None

    def canonical(self) -> list[dict[str, Any]]:
        return [
            {
                "sha256": a.sha256,
                "kind": a.kind,
                "alt_text": a.alt_text,
                "decorative": a.decorative,
                "captions_sha256": a.captions_sha256,
                "captions_mode": a.captions_mode,
            }
            for a in sorted(self.assets.all(), key=lambda a: (a.position, a.pk))
        ]


class CaptionsMode(models.TextChoices):
    NONE = "", _("Sin subtítulos")
    SIDECAR = "sidecar", _("Archivo de subtítulos (SRT/WebVTT)")
    BURNED_IN = "burned_in", _("Subtítulos incrustados en el video")
    LIVE = "live", _("Transmisión en vivo (no aplica)")


class Asset(StoredFile):
    asset_set = models.ForeignKey(
        AssetSet, on_delete=models.PROTECT, related_name="assets"
    )
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    alt_text = models.TextField(_("texto alternativo"), blank=True)
    decorative = models.BooleanField(_("imagen decorativa"), default=False)
    captions_mode = models.CharField(
        _("subtítulos"),
        max_length=12,
        choices=CaptionsMode.choices,
        blank=True,
        default="",
    )
    captions_file = models.FileField(
        _("archivo de subtítulos"), blank=True, max_length=300
    )
    captions_sha256 = models.CharField(max_length=64, blank=True)
    captions_reviewed = models.BooleanField(
        _("subtítulos revisados (no automáticos)"), default=False
    )

    class Meta:
        verbose_name = _("archivo de diseño")
        verbose_name_plural = _("archivos de diseño")
        ordering = ["position", "pk"]

    @property
    def accessibility_problem(self) -> str:
        """A Spanish sentence saying what is missing, or '' (ACC-01, ACC-02)."""
        if self.kind == "image" and not self.decorative and not self.alt_text.strip():
            return str(_("Falta el texto alternativo (o marcarla como decorativa)."))
        if self.kind == "video" and not self.captions_mode:
            return str(_("Faltan los subtítulos del video."))
        if (
            self.kind == "video"
            and self.captions_mode == CaptionsMode.SIDECAR
            and not (self.captions_file)
        ):
            return str(_("Falta el archivo de subtítulos."))
        if self.kind == "audio" and not self.alt_text.strip():
            return str(_("Falta la transcripción o descripción del audio."))
        return ""


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("Aprobado")
    APPROVED_FINAL = "approved_final", _("Aprobado sin diseño (visto bueno)")
    RETURNED = "returned", _("Devuelto para ajustes")


CHECKLISTS: dict[int, list[tuple[str, Any]]] = {
    1: [
        (
            "timeliness",
            _("Oportunidad: la información es oportuna para la fecha prevista"),
        ),
        (
            "veracity",
            _("Veracidad: los datos están verificados con las fuentes consultadas"),
        ),
        ("clear_inclusive", _("Lenguaje claro, incluyente y respetuoso")),
        (
            "institutional_image",
            _("Imagen institucional y ausencia de marcas de gobierno"),
        ),
    ],
    2: [
        ("importance", _("Importancia y necesidad de comunicación del tema")),
        ("text_matches", _("El diseño corresponde al texto aprobado")),
        ("accessibility", _("Accesibilidad: texto alternativo y subtítulos completos")),
        ("institutional_image", _("Imagen institucional del Distrito y de la entidad")),
    ],
}


class Review(OrgScopedModel):
    """A decision at a control point, bound to the exact version judged."""

    piece = models.ForeignKey(Piece, on_delete=models.PROTECT, related_name="reviews")
    control_point = models.PositiveSmallIntegerField(_("punto de control"))
    text_version = models.ForeignKey(
        TextVersion,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("texto"),
    )
    asset_set = models.ForeignKey(
        AssetSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("diseño"),
    )
    decision = models.CharField(
        _("decisión"), max_length=20, choices=ReviewDecision.choices
    )
    comment = models.TextField(_("observaciones"), blank=True)
    checklist = models.JSONField(_("lista de chequeo"), default=dict)
    # Issue 5: what the text checker found in the version judged, the reviewer's
    # answers to what it cannot judge (rule id → bool), and the written reason
    # for approving in spite of errors.
    findings = models.JSONField(
        _("hallazgos de la revisión del lenguaje"), default=list
    )
    checker_checklist = models.JSONField(
        _("lista de chequeo del lenguaje y la accesibilidad"), default=dict
    )
    override_justification = models.TextField(
        _("justificación para aprobar con errores"), blank=True
    )
    reviewer = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revisor(a)"),
    )
    delegation = models.ForeignKey(
        "accounts.Delegation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actuó como encargado(a)"),
    )
    seal_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("revisión")
        verbose_name_plural = _("revisiones")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.piece.number} · PC{self.control_point} · {self.get_decision_display()}"


def canonical_hash(payload: Any) -> str:
    blob = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def compute_seal(text_version: TextVersion, asset_set: AssetSet | None) -> str:
    """The hash that the visto bueno seals: text, variants, sources and assets."""
    return canonical_hash(
        {
            "piece": text_version.piece_id,
            "text": text_version.canonical(),
            "assets": asset_set.canonical() if asset_set is not None else [],
        }
    )
