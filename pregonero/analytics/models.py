"""Activity 15: the networks' figures and the monthly management report.

Metrics are stored generically, under the name the network gives them (Meta
renamed ``impressions`` to ``views`` in 2025; see social_apis.md §1.7, §2.6),
and mapped to the report's concepts by a configurable table.

* ``NetworkPost``: a post on one of the entity's accounts, whether Pregonero
  published it (``publication``) or it came from the network or an export.
* ``MetricValue``: one figure. Account figures are daily (``date`` is the day in
  America/Bogota); post figures are lifetime snapshots (``date`` is the day of
  capture, the value is the total so far). Re-capturing a day replaces it: the
  natural key is unique, so re-running a collection or re-importing a file
  never counts twice.
* ``MetricMapping``: network metric → report concept (organization-specific
  rows override the defaults, which have no organization).
* ``FillState``: the checkpoint of each collection stream per channel.
* ``ImportBatch`` / ``ColumnMapping``: every import is a record; a mapping
  made once for an unknown file layout is remembered.
* ``Report``: the management report, drafted by the scheduler, completed by a
  Profesional and approved by the Jefe; reopening makes a new version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import Channel, Organization, OrgScopedModel, StoredFile


class Scope(models.TextChoices):
    ACCOUNT = "account", _("Cuenta")
    POST = "post", _("Publicación")


class Concept(models.TextChoices):
    FOLLOWERS = "followers", _("Seguidores")
    REACH = "reach", _("Alcance")
    VIEWS = "views", _("Visualizaciones")
    INTERACTIONS = "interactions", _("Interacciones")
    REACTIONS = "reactions", _("Reacciones")
    COMMENTS = "comments", _("Comentarios")
    SHARES = "shares", _("Compartidos")
    SAVES = "saves", _("Guardados")
    CLICKS = "clicks", _("Clics")
    VIDEO_VIEWS = "video_views", _("Reproducciones")
    WATCH_TIME = "watch_time", _("Tiempo de visualización (minutos)")


# Concepts that are a level at a point in time (take the last value of a
# period), as opposed to flows that add up over the days of a period.
LEVEL_CONCEPTS = frozenset({Concept.FOLLOWERS})


class MetricSource(models.TextChoices):
    API = "api", _("Recolección automática")
    IMPORT = "import", _("Archivo importado")
    DEMO = "demo", _("Datos de demostración")


class MetricMapping(models.Model):
    """Which report concept a network's metric feeds."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entidad"),
        help_text=_("Vacío: aplica a todas las entidades."),
    )
    network = models.CharField(_("red"), max_length=20)
    scope = models.CharField(_("ámbito"), max_length=10, choices=Scope.choices)
    metric = models.CharField(_("métrica de la red"), max_length=120)
    concept = models.CharField(
        _("concepto del informe"), max_length=20, choices=Concept.choices
    )
    factor = models.FloatField(
        _("factor"),
        default=1.0,
        help_text=_("Multiplica el valor (p. ej., segundos a minutos: 0,0166667)."),
    )

    class Meta:
        verbose_name = _("equivalencia de métrica")
        verbose_name_plural = _("equivalencias de métricas")
        ordering = ["network", "scope", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "scope", "metric"],
                name="analytics_mapping_unique",
            ),
            models.UniqueConstraint(
                fields=["network", "scope", "metric"],
                condition=Q(organization__isnull=True),
                name="analytics_mapping_default_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.metric} → {self.concept}"


class NetworkPost(OrgScopedModel):
    """A post on one of the entity's accounts."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="network_posts"
    )
    platform_id = models.CharField(_("id en la red"), max_length=200)
    publication = models.ForeignKey(
        "publishing.Publication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="network_posts",
        verbose_name=_("publicación de Pregonero"),
    )
    published_at = models.DateTimeField(_("publicada"), null=True, blank=True)
    permalink = models.URLField(_("enlace"), max_length=500, blank=True)
    text = models.TextField(_("texto"), blank=True)
    post_type = models.CharField(_("tipo"), max_length=40, blank=True)
    thumbnail_url = models.URLField(_("miniatura"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("publicación en la red")
        verbose_name_plural = _("publicaciones en la red")
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "platform_id"], name="analytics_post_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "published_at"]),
            models.Index(fields=["channel", "published_at"]),
        ]

    def __str__(self) -> str:
        return self.permalink or self.platform_id


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Vista previa")
    NEEDS_MAPPING = "needs_mapping", _("Requiere asignar columnas")
    IMPORTED = "imported", _("Importado")
    FAILED = "failed", _("Rechazado")
    DISCARDED = "discarded", _("Descartado")


class ColumnMapping(OrgScopedModel):
    """How the columns of a file layout Pregonero did not recognise map to fields.

    ``signature`` identifies the layout (a hash of its normalised headers), so
    the next file with the same headers is read without asking again.
    """

    signature = models.CharField(max_length=64)
    network = models.CharField(_("red"), max_length=20)
    scope = models.CharField(_("ámbito"), max_length=10, choices=Scope.choices)
    name = models.CharField(_("nombre"), max_length=120, blank=True)
    headers = models.JSONField(_("encabezados"), default=list)
    # {"date": "Fecha", "post_id": "Id", "metrics": {"Alcance": "reach", ...}, ...}
    mapping = models.JSONField(_("asignación"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("asignación de columnas")
        verbose_name_plural = _("asignaciones de columnas")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "signature"],
                name="analytics_column_mapping_unique",
            )
        ]


class ImportBatch(StoredFile):
    """One uploaded export: who, when, which file (hash), what it held."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="metric_imports"
    )
    status = models.CharField(
        _("estado"),
        max_length=20,
        choices=ImportStatus.choices,
        default=ImportStatus.PREVIEW,
    )
    file_format = models.CharField(_("formato detectado"), max_length=40, blank=True)
    column_mapping = models.ForeignKey(
        ColumnMapping,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    period_start = models.DateField(_("desde"), null=True, blank=True)
    period_end = models.DateField(_("hasta"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("filas leídas"), default=0)
    rows_skipped = models.PositiveIntegerField(_("filas omitidas"), default=0)
    values_written = models.PositiveIntegerField(_("valores guardados"), default=0)
    posts_written = models.PositiveIntegerField(_("publicaciones"), default=0)
    preview = models.JSONField(_("vista previa"), default=dict, blank=True)
    error = models.TextField(_("motivo"), blank=True)
    imported_at = models.DateTimeField(_("importado"), null=True, blank=True)

    class Meta:
        verbose_name = _("importación de estadísticas")
        verbose_name_plural = _("importaciones de estadísticas")
        ordering = ["-created_at"]


class MetricValue(models.Model):
    """One figure of an account (per day) or of a post (lifetime, per capture day)."""

    # No single-column indexes on the foreign keys: the composite indexes below
    # serve every lookup, and each extra index slows the bulk writes of imports
    # and collections.
    #
    # None of the four foreign keys carries a database constraint. PostgreSQL
    # checks each constraint row by row at commit (SQLite too, deferred); a
    # 200,000-row import writes 1.3 million values, and the channel and post
    # checks took 7 of its 8.6 seconds of commit (1.3 s without them). The
    # values are derived figures, written only by the collectors, the importer
    # and the demo, from rows each has just read or written in the same
    # transaction; Django still applies ``on_delete`` to every one of them
    # (deleting a post deletes its values; a channel or an organization with
    # values cannot be deleted), and every deletion in Pregonero goes through
    # Django.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        related_name="metric_values",
        db_index=False,
        db_constraint=False,
    )
    post = models.ForeignKey(
        NetworkPost,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="metric_values",
        db_index=False,
        db_constraint=False,
    )
    metric = models.CharField(_("métrica"), max_length=120)
    api_version = models.CharField(_("versión de la API"), max_length=40, blank=True)
    date = models.DateField(_("fecha"))
    value = models.FloatField(_("valor"))
    captured_at = models.DateTimeField(_("capturado"))
    source = models.CharField(_("origen"), max_length=10, choices=MetricSource.choices)
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="values",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("valor de métrica")
        verbose_name_plural = _("valores de métricas")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "metric", "date"],
                condition=Q(post__isnull=True),
                name="analytics_account_value_unique",
            ),
            models.UniqueConstraint(
                fields=["post", "metric", "date"],
                condition=Q(post__isnull=False),
                name="analytics_post_value_unique",
            ),
        ]
        # Account values are found through their unique (channel, metric, date)
        # index, post values through (post, metric, date); a third index on
        # (channel, metric, date) for every value only slowed the writes.
        indexes = [
            models.Index(fields=["organization", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} ({self.date})"


class FillState(OrgScopedModel):
    """The checkpoint of one collection stream (a metric or a group) of a channel."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="fill_states"
    )
    stream = models.CharField(_("serie"), max_length=60)
    filled_through = models.DateField(_("completo hasta"), null=True, blank=True)
    cursor = models.CharField(max_length=500, blank=True)
    last_run_at = models.DateTimeField(_("última ejecución"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("último éxito"), null=True, blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("estado de recolección")
        verbose_name_plural = _("estados de recolección")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "stream"], name="analytics_fill_state_unique"
            )
        ]


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Mensual")
    QUARTERLY = "quarterly", _("Trimestral")
    CUSTOM = "custom", _("Periodo personalizado")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    SUBMITTED = "submitted", _("En aprobación")
    APPROVED = "approved", _("Aprobado")
    SUPERSEDED = "superseded", _("Reemplazado por otra versión")


class Report(OrgScopedModel):
    """A management report for a period (activity 15)."""

    kind = models.CharField(
        _("tipo"), max_length=20, choices=ReportKind.choices, default=ReportKind.MONTHLY
    )
    period_start = models.DateField(_("desde"))
    period_end = models.DateField(_("hasta"))
    version = models.PositiveIntegerField(_("versión"), default=1)
    previous_version = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_versions",
        verbose_name=_("versión anterior"),
    )
    status = models.CharField(
        _("estado"),
        max_length=20,
        choices=ReportStatus.choices,
        default=ReportStatus.DRAFT,
    )
    title = models.CharField(_("título"), max_length=200)
    # The figures, computed when drafted (and refreshed while a draft), frozen
    # at approval: the approved report never changes under the auditor's eyes.
    data = models.JSONField(_("cifras"), default=dict)
    data_sha256 = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField(_("cifras calculadas"), null=True, blank=True)
    analysis = models.TextField(_("análisis"), blank=True)
    conclusions = models.TextField(_("conclusiones"), blank=True)
    actions = models.TextField(
        _("acciones para fortalecer las estrategias"), blank=True
    )
    drafted_automatically = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("creado por"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("aprobado por"),
    )
    approved_at = models.DateTimeField(_("aprobado"), null=True, blank=True)
    reopen_reason = models.TextField(_("motivo de la nueva versión"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("informe de gestión")
        verbose_name_plural = _("informes de gestión")
        ordering = ["-period_start", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "organization",
                    "kind",
                    "period_start",
                    "period_end",
                    "version",
                ],
                name="analytics_report_version_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ReportFile(StoredFile):
    """A rendering of an approved report kept as the record (PDF, DOCX, XLSX)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="files")
    output_format = models.CharField(_("formato"), max_length=10)

    class Meta:
        verbose_name = _("archivo del informe")
        verbose_name_plural = _("archivos del informe")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "output_format"], name="analytics_report_file_unique"
            )
        ]
