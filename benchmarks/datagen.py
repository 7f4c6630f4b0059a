"""Bulk data for a large installation: 20 entities × 5 years (see ``generate.py``).

Import this module only after ``common.configure()``: it imports the models.

Rows are written in bulk, not through the actions (which would take hours for
120,000 pieces), but each piece is *simulated* through the same life the actions
give it: text versions written by its writer, submissions,
decisions at control points 1 and 2 bound to the exact version and asset set,
the seal of the visto bueno (computed with ``compute_seal``'s own canonical
form), publications per channel with their attempts, and the audit events of
every step. Each organization's audit chain is then built exactly as
``audit.record()`` builds it (``AuditEvent.compute_hash()``, one ``ChainHead``),
so ``pregonero audit verify`` proves it.

Primary keys are assigned here (the database is empty), which lets a piece point
at its latest text version before that row is inserted: Django creates foreign
keys ``DEFERRABLE INITIALLY DEFERRED`` on SQLite and PostgreSQL, and each
organization is written in one transaction.

Why not ``bulk_create``: on the reference machine it costs ~120 µs per row plus
~35 µs to build each model instance — about nine minutes for the 3.4 million rows
of scale 1.0. Rows here are plain dicts keyed by the fields' ``attname``, and
:class:`TableWriter` writes each table with one prepared ``INSERT``
(``executemany``) on SQLite or ``COPY`` on PostgreSQL, converting dates, JSON
and UUIDs with the backend's own adapters and filling omitted columns with each
field's default — the values ``bulk_create`` would send, several times faster.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
import zoneinfo
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from pregonero.accounts.models import (
    Delegation,
    Notification,
    Role,
    User,
    role_group_name,
)
from pregonero.audit.actions import GENESIS, chain_key
from pregonero.audit.models import AuditEvent, ChainHead
from pregonero.content.models import (
    Asset,
    AssetSet,
    ChannelVariant,
    Piece,
    PieceFormat,
    Review,
    ReviewDecision,
    TextVersion,
    VersionSource,
    canonical_hash,
)
from pregonero.content.workflow import PieceState
from pregonero.core.models import (
    Audience,
    Campaign,
    Channel,
    Dependency,
    NetworkKind,
    Organization,
    Program,
    Sequence,
)
from pregonero.intake.models import Need, NeedSource, Urgency
from pregonero.intake.workflow import NeedState
from pregonero.planning.models import (
    ActaVersion,
    AgendaItem,
    Commitment,
    JointAction,
    JointActionEvidence,
    Meeting,
    MeetingAttendee,
    MeetingState,
    PartnerEntity,
    PlanItem,
    PlanItemComment,
)
from pregonero.publishing.models import (
    Publication,
    PublicationAttempt,
    PublicationStatus,
)

# ---------------------------------------------------------------- sizes

ORGANIZATIONS = 20
YEARS = 5
FULL_SIZE = {"needs": 40_000, "pieces": 120_000, "audit_events": 600_000}
SEED = 20_260_101
# Organization sizes: the largest is ten times the smallest.
ORG_WEIGHTS = [2.5 - i * (2.25 / (ORGANIZATIONS - 1)) for i in range(ORGANIZATIONS)]
# Pieces younger than this are spread over every state; older ones are mostly done.
RECENT_DAYS = 45

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")
UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Targets:
    organizations: int
    needs: int
    pieces: int
    audit_events: int

    @classmethod
    def for_scale(cls, scale: float) -> Targets:
        return cls(
            organizations=ORGANIZATIONS,
            needs=max(ORGANIZATIONS * 5, round(FULL_SIZE["needs"] * scale)),
            pieces=max(ORGANIZATIONS * 15, round(FULL_SIZE["pieces"] * scale)),
            audit_events=max(
                ORGANIZATIONS * 75, round(FULL_SIZE["audit_events"] * scale)
            ),
        )


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; exact sum)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


# ---------------------------------------------------------------- vocabulary

ENTITIES = [
    ("cvp", "Caja de la Vivienda Popular", "CVP"),
    ("idu", "Instituto de Desarrollo Urbano", "IDU"),
    ("sdht", "Secretaría Distrital del Hábitat", "SDHT"),
    ("sed", "Secretaría de Educación del Distrito", "SED"),
    ("sds", "Secretaría Distrital de Salud", "SDS"),
    ("sdis", "Secretaría Distrital de Integración Social", "SDIS"),
    ("sdm", "Secretaría Distrital de Movilidad", "SDM"),
    ("idrd", "Instituto Distrital de Recreación y Deporte", "IDRD"),
    ("sda", "Secretaría Distrital de Ambiente", "SDA"),
    (
        "idiger",
        "Instituto Distrital de Gestión de Riesgos y Cambio Climático",
        "IDIGER",
    ),
    ("uaesp", "Unidad Administrativa Especial de Servicios Públicos", "UAESP"),
    ("ipes", "Instituto para la Economía Social", "IPES"),
    ("idartes", "Instituto Distrital de las Artes", "Idartes"),
    ("sdmujer", "Secretaría Distrital de la Mujer", "SDMujer"),
    ("renobo", "Empresa de Renovación y Desarrollo Urbano", "RenoBo"),
    ("idt", "Instituto Distrital de Turismo", "IDT"),
    ("idpc", "Instituto Distrital de Patrimonio Cultural", "IDPC"),
    ("jbb", "Jardín Botánico de Bogotá", "JBB"),
    ("veeduria", "Veeduría Distrital", "VD"),
    ("scrd", "Secretaría Distrital de Cultura, Recreación y Deporte", "SCRD"),
]

DEPENDENCIES = [
    ("Dirección General", "DG", False),
    ("Oficina Asesora de Comunicaciones", "OAC", True),
    ("Oficina Asesora de Planeación", "OAP", False),
    ("Oficina Asesora Jurídica", "OAJ", False),
    ("Oficina de Control Interno", "OCI", False),
    ("Dirección de Gestión Corporativa", "DGC", False),
    ("Subdirección Financiera", "SF", False),
    ("Servicio a la Ciudadanía", "SC", False),
    ("Dirección Técnica de Proyectos", "DTP", False),
    ("Dirección de Gestión Territorial", "DGT", False),
    ("Subdirección de Participación", "SP", False),
    ("Dirección de Programas Sociales", "DPS", False),
]
LIAISON_DEPS = ["DG", "OAP", "SC", "DTP", "DGT", "DPS", "SP"]
DIRECTOR_DEPS = ["DG", "DTP", "DGT", "DPS"]

AUDIENCES = [
    "Hogares en zonas de alto riesgo",
    "Líderes comunitarios y Juntas de Acción Comunal",
    "Alcaldías locales",
    "Entidades del Distrito",
    "Entes de control",
    "Medios de comunicación",
    "Público interno",
    "Mujeres cabeza de hogar",
    "Jóvenes",
    "Personas mayores",
]

PROGRAMS = [
    ("Mejoramiento de barrios", "DTP"),
    ("Atención a la ciudadanía", "SC"),
    ("Participación ciudadana", "SP"),
    ("Gestión territorial", "DGT"),
    ("Programas sociales", "DPS"),
    ("Rendición de cuentas", "OAP"),
]

CHANNEL_KINDS = [
    (NetworkKind.FACEBOOK, "Facebook"),
    (NetworkKind.INSTAGRAM, "Instagram"),
    (NetworkKind.X, "X"),
    (NetworkKind.YOUTUBE, "YouTube"),
    (NetworkKind.TIKTOK, "TikTok"),
]

PARTNERS = [
    "Secretaría General – Alcaldía Mayor",
    "Secretaría Distrital de Gobierno",
    "IDIGER",
    "Alcaldía Local de Ciudad Bolívar",
]

FIRST_NAMES = [
    "María Fernanda", "Andrés Felipe", "Laura Camila", "Diana Marcela",
    "Jorge Iván", "Carlos Alberto", "Patricia Helena", "Sergio Andrés",
    "Juliana", "Camilo", "Natalia", "Santiago", "Valentina", "Luis Eduardo",
    "Paula Andrea", "Óscar Javier", "Adriana", "Mauricio", "Carolina", "Felipe",
]  # fmt: skip
LAST_NAMES = [
    "Rojas", "Gómez", "Pérez", "Castro", "Martínez", "Ruiz", "Suárez", "Vargas",
    "Rodríguez", "López", "Hernández", "García", "Moreno", "Jiménez", "Díaz",
    "Torres", "Ramírez", "Sánchez", "Ortiz", "Salazar", "Peña", "Duarte",
]  # fmt: skip

LOCALIDADES = [
    "Usaquén", "Chapinero", "Santa Fe", "San Cristóbal", "Usme", "Tunjuelito",
    "Bosa", "Kennedy", "Fontibón", "Engativá", "Suba", "Barrios Unidos",
    "Teusaquillo", "Los Mártires", "Antonio Nariño", "Puente Aranda",
    "La Candelaria", "Rafael Uribe Uribe", "Ciudad Bolívar", "Sumapaz",
]  # fmt: skip
BARRIOS = [
    "El Curubo", "Caracolí", "Palermo Sur", "La Isabela", "Valles de Cafam",
    "Altos de la Estancia", "Paraíso", "Juan José Rondón", "Mochuelo Alto",
    "Bella Flor", "El Codito", "San Germán", "Villa Diana", "Lourdes",
    "Tocaimita", "Arborizadora Alta", "La Paz", "Santa Viviana", "Compartir",
    "Patio Bonito",
]  # fmt: skip
TOPICS = [
    "Jornada de atención en {barrio} ({localidad})",
    "Entrega de obras en {barrio}",
    "Convocatoria abierta: {program}",
    "Así avanzan las obras en {barrio} ({localidad})",
    "Feria de servicios en {localidad}",
    "Reunión informativa con la JAC de {barrio}",
    "Recomendaciones para la temporada de lluvias en {localidad}",
    "Horario de atención en fechas especiales",
    "Rendición de cuentas: resultados en {localidad}",
    "Testimonio: familias de {barrio} cuentan su experiencia",
    "Conozca {program}",
    "Inscripciones abiertas en {localidad}",
    "Recorrido de seguimiento en {barrio}",
    "Preguntas frecuentes sobre {program}",
]
SENTENCES = [
    "La jornada se realizará en el salón comunal de {barrio}, de 8 a. m. a 3 p. m.",
    "Las familias deben llevar su documento de identidad y el recibo de un servicio público.",
    "La atención es gratuita y no requiere intermediarios.",
    "Más información en las sedes de atención de la entidad y en nuestra línea de servicio.",
    "En {localidad} ya se beneficiaron cientos de hogares con este programa.",
    "Los equipos técnico, jurídico y social acompañarán a la comunidad durante el proceso.",
    "Consulte los requisitos en la página web de la entidad.",
    "La actividad cuenta con el apoyo de la Alcaldía Local de {localidad}.",
    "Recuerde que todos los trámites con la entidad son gratuitos.",
    "Los cupos son limitados: inscríbase con tiempo.",
]
NOTES = ["", "", "Ajustes de la revisión", "Cifra verificada con la dependencia",
         "Se agrega la fuente", "Texto más corto para redes"]  # fmt: skip
SOURCES = [
    "Informe de gestión de la dependencia",
    "Boletín de prensa de la entidad",
    "Circular interna",
    "Base de datos del programa",
    "Acta de la reunión con la comunidad",
    "Cronograma de obra de la interventoría",
]
RETURN_COMMENTS = [
    "Verificar la cifra con la dependencia y citar la fuente.",
    "El texto es muy largo para X: acortar a 280 caracteres.",
    "Usar lenguaje claro: evitar siglas sin explicar.",
    "Falta la fecha y el lugar exactos del evento.",
    "Revisar el uso de lenguaje incluyente.",
]
DESIGN_COMMENTS = [
    "Aumentar el contraste del texto sobre el fondo (accesibilidad).",
    "El logo de la Alcaldía debe ir en la esquina inferior.",
    "Completar el texto alternativo de la segunda imagen.",
    "Corregir la tilde en el titular.",
]
CANCEL_REASONS = [
    "El evento se aplazó.",
    "La dependencia retiró la solicitud.",
    "Se unificó con otra pieza.",
    "Perdió vigencia: la fecha ya pasó.",
]
DISCARD_REASONS = [
    "Ya se publicó la semana pasada.",
    "No corresponde a la oficina de comunicaciones.",
    "Información sin confirmar por la dependencia.",
]

CHECKS = {
    1: ["timeliness", "veracity", "clear_inclusive", "institutional_image"],
    2: ["importance", "text_matches", "accessibility", "institutional_image"],
}
FORMATS = [
    (PieceFormat.TEXT, 12),
    (PieceFormat.IMAGE, 45),
    (PieceFormat.CAROUSEL, 18),
    (PieceFormat.VIDEO, 15),
    (PieceFormat.DOCUMENT, 6),
    (PieceFormat.AUDIO, 4),
]
ASSET_KIND = {
    PieceFormat.IMAGE: ("image", "image/png", "png"),
    PieceFormat.CAROUSEL: ("image", "image/png", "png"),
    PieceFormat.VIDEO: ("video", "video/mp4", "mp4"),
    PieceFormat.DOCUMENT: ("document", "application/pdf", "pdf"),
    PieceFormat.AUDIO: ("audio", "audio/mpeg", "mp3"),
}
IN_PROGRESS = [
    PieceState.DRAFTING,
    PieceState.TEXT_REVIEW,
    PieceState.TEXT_CHANGES,
    PieceState.DESIGN,
    PieceState.DESIGN_REVIEW,
    PieceState.DESIGN_CHANGES,
]
TEXT_STATES = {PieceState.DRAFTING, PieceState.TEXT_REVIEW, PieceState.TEXT_CHANGES}


# ---------------------------------------------------------------- helpers


def _json(value: Any) -> Any:
    """A date or datetime as ``audit.record()`` stores it (DjangoJSONEncoder)."""
    if value is None or isinstance(value, str | int | bool):
        return value
    return DjangoJSONEncoder().default(value)


def _hex(rng: random.Random, bits: int = 256) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _local_year(moment: dt.datetime) -> int:
    return moment.astimezone(BOGOTA).year


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(BOGOTA).date()


def _office(
    rng: random.Random, day: dt.date, start: int = 7, end: int = 18
) -> dt.datetime:
    """A moment in office hours (Bogotá) on ``day``, as aware UTC."""
    seconds = rng.randrange(start * 3600, end * 3600)
    local = dt.datetime.combine(day, dt.time(), tzinfo=BOGOTA) + dt.timedelta(
        seconds=seconds, microseconds=rng.randrange(1_000_000)
    )
    return local.astimezone(UTC)


def _workday(rng: random.Random, day: dt.date) -> dt.date:
    """Most work happens Monday to Friday."""
    if day.weekday() >= 5 and rng.random() < 0.85:
        return day - dt.timedelta(days=day.weekday() - 4)
    return day


class Row(dict[str, Any]):
    """One row to insert: values by field ``attname``, also readable as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class UserRow(Row):
    def __str__(self) -> str:
        # As User.__str__: the full name, else the username.
        full = f"{self['first_name']} {self['last_name']}".strip()
        return full or str(self["username"])


class EventRow(Row):
    """An audit event row, hashed by the model's own code (the same functions)."""

    hash_payload = AuditEvent.hash_payload
    compute_hash = AuditEvent.compute_hash


ROW_CLASSES: dict[type[models.Model], type[Row]] = {User: UserRow, AuditEvent: EventRow}


def _identity(value: Any) -> Any:
    return value


def _text(value: Any) -> Any:
    # TextChoices members become plain strings for the database driver.
    return value if value is None or type(value) is str else str(value)


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What SQLite's ``adapt_datetimefield_value`` gives (naive UTC text), faster."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return str(value.replace(tzinfo=None))


class TableWriter:
    """Insert rows of one model: a prepared INSERT (``executemany``) on SQLite,
    ``COPY … FROM STDIN`` on PostgreSQL. Values go through the backend's own
    adapters, as ``bulk_create`` would send them."""

    CHUNK = 5_000

    def __init__(self, model: type[models.Model], with_pk: bool) -> None:
        opts = model._meta
        self.fields = [f for f in opts.concrete_fields if with_pk or not f.primary_key]
        quote = connection.ops.quote_name
        self.table = quote(opts.db_table)
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        # Identifiers come from the model's metadata; values are parameters.
        self.sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608
        self.plan = [(f.attname, f, self._converter(f)) for f in self.fields]

    @staticmethod
    def _converter(f: models.Field) -> Callable[[Any], Any]:
        ops = connection.ops
        if isinstance(f, models.DateTimeField):
            if connection.vendor == "sqlite":
                return _sqlite_datetime
            return ops.adapt_datetimefield_value
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value
        if isinstance(f, models.JSONField):
            encoder = f.encoder

            def json_value(value: Any) -> Any:
                return ops.adapt_json_value(value, encoder)

            return json_value
        if isinstance(f, models.UUIDField):
            if connection.features.has_native_uuid_field:
                return _identity
            return lambda value: None if value is None else value.hex
        if isinstance(f, models.CharField | models.TextField):
            return _text
        if isinstance(f, models.TimeField | models.DecimalField | models.BinaryField):

            def prepared(value: Any) -> Any:
                return f.get_db_prep_save(value, connection)

            return prepared
        return _identity

    def values(self, row: Row) -> tuple[Any, ...]:
        return tuple(
            convert(row[name] if name in row else f.get_default())
            for name, f, convert in self.plan
        )

    def write(self, rows: list[Row]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                copy_sql = f"COPY {self.table} ({self.columns}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(self.values(row))
                return
            for i in range(0, len(rows), self.CHUNK):
                cursor.executemany(
                    self.sql, [self.values(r) for r in rows[i : i + self.CHUNK]]
                )


@contextmanager
def bulk_load() -> Iterator[None]:
    """SQLite: skip the foreign-key lookups and fsyncs while loading, with a large
    page cache; the keys are checked once at the end (``foreign_key_check``)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-2000")


def foreign_key_problems() -> list[Any]:
    """Rows whose foreign keys point nowhere (SQLite's own check)."""
    if connection.vendor != "sqlite":
        return []  # PostgreSQL checked every key at each commit
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        return list(cursor.fetchall())


class Ids:
    """Primary keys handed out in creation order, after any existing rows."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model]) -> int:
        if model not in self._next:
            top = model._default_manager.aggregate(top=Max("pk"))["top"]
            self._next[model] = (top or 0) + 1
        value = self._next[model]
        self._next[model] = value + 1
        return value


# Insert order: parents before children (the constraints are deferred anyway).
FLUSH_ORDER: list[type[models.Model]] = [
    Organization,
    Dependency,
    Audience,
    Program,
    Campaign,
    Channel,
    PartnerEntity,
    User,
    User.groups.through,
    Delegation,
    Need,
    Need.audiences.through,
    Meeting,
    MeetingAttendee,
    AgendaItem,
    AgendaItem.channels.through,
    Commitment,
    ActaVersion,
    Piece,
    Piece.audiences.through,
    Piece.channels.through,
    TextVersion,
    ChannelVariant,
    VersionSource,
    AssetSet,
    Asset,
    Review,
    PlanItem,
    PlanItem.audiences.through,
    PlanItem.channels.through,
    PlanItemComment,
    Publication,
    PublicationAttempt,
    JointAction,
    JointAction.partners.through,
    JointAction.pieces.through,
    JointActionEvidence,
    Notification,
    AuditEvent,
    ChainHead,
    Sequence,
]


# ---------------------------------------------------------------- specs


@dataclass
class People:
    jefe: UserRow
    profs: list[UserRow]
    estratega: UserRow
    enlaces: dict[int, UserRow]
    directivos: dict[int, UserRow]
    auditor: UserRow
    admin: UserRow


@dataclass
class MeetingSpec:
    id: int
    starts_at: dt.datetime
    issued: bool
    needs: list[NeedSpec] = field(default_factory=list)
    agenda_ids: dict[int, int] = field(default_factory=dict)  # need id → agenda item


@dataclass
class NeedSpec:
    created_at: dt.datetime
    path: str  # registered, discarded, punctual, planning
    id: int = 0
    number: str = ""
    title: str = ""
    dependency_id: int = 0
    audiences: list[int] = field(default_factory=list)
    triaged_at: dt.datetime | None = None
    meeting: MeetingSpec | None = None
    planned_at: dt.datetime | None = None
    pieces: list[PieceSpec] = field(default_factory=list)
    wants_pieces: bool = True


@dataclass
class PieceSpec:
    created_at: dt.datetime
    need: NeedSpec | None
    planned: bool  # made from a plan item
    id: int = 0
    number: str = ""
    title: str = ""
    # Filled by the simulation.
    state: str = ""
    published_all: bool = False
    last_published: dt.datetime | None = None


# Event: (time, actor, action, target type, target id, target label, data)
Event = tuple[dt.datetime, UserRow | None, str, str, str, str, dict[str, Any]]


# ---------------------------------------------------------------- one organization


class OrgBuilder:
    """Everything of one organization, in memory, ready to be written."""

    def __init__(
        self,
        index: int,
        ids: Ids,
        groups: dict[str, int],
        password: str,
        now: dt.datetime,
        n_needs: int,
        n_pieces: int,
        n_events: int,
    ) -> None:
        self.index = index
        self.ids = ids
        self.groups = groups
        self.password = password
        self.now = now
        self.start = now - dt.timedelta(days=365 * YEARS)
        self.n_needs = n_needs
        self.n_pieces = n_pieces
        self.n_events = n_events
        self.rng = random.Random(SEED * 100 + index)
        self.rows: dict[type[models.Model], list[Row]] = defaultdict(list)
        self.events: list[Event] = []
        self.numbers: dict[tuple[str, int], int] = defaultdict(int)
        self.slug, self.name, self.short = ENTITIES[index % len(ENTITIES)]
        if index >= len(ENTITIES):
            self.slug = f"{self.slug}{index}"
        self.org_id = ids.take(Organization)

    # -- small helpers

    def add(self, model: type[models.Model], **values: Any) -> Any:
        row = ROW_CLASSES.get(model, Row)(values)
        self.rows[model].append(row)
        return row

    def link(self, through: type[models.Model], **values: int) -> None:
        self.rows[through].append(Row(values))

    def number(self, prefix: str, moment: dt.datetime) -> str:
        year = _local_year(moment)
        self.numbers[(prefix, year)] += 1
        return f"{prefix}-{year}-{self.numbers[(prefix, year)]:04d}"

    def event(
        self,
        moment: dt.datetime,
        actor: UserRow | None,
        action: str,
        target_type: str,
        target_id: int,
        label: str,
        data: dict[str, Any],
    ) -> None:
        self.events.append(
            (moment, actor, action, target_type, str(target_id), label[:300], data)
        )

    def gap(self, low: float, high: float) -> dt.timedelta:
        """A random wait, in hours."""
        return dt.timedelta(hours=self.rng.uniform(low, high))

    def moment(self, earliest: dt.datetime | None = None) -> dt.datetime:
        """A random moment in office hours over the five years (after ``earliest``)."""
        low = earliest or self.start
        span = (self.now - low).total_seconds()
        base = low + dt.timedelta(seconds=self.rng.random() * span)
        day = _workday(self.rng, _local_date(base))
        when = _office(self.rng, day)
        if when > self.now or when < low:
            return base
        return when

    def sentence(self) -> str:
        return self.rng.choice(SENTENCES).format(
            barrio=self.rng.choice(BARRIOS), localidad=self.rng.choice(LOCALIDADES)
        )

    def topic(self) -> str:
        return self.rng.choice(TOPICS).format(
            barrio=self.rng.choice(BARRIOS),
            localidad=self.rng.choice(LOCALIDADES),
            program=self.rng.choice(PROGRAMS)[0].lower(),
        )[:200]

    # -- reference data and people

    def build_reference(self) -> None:
        rng = self.rng
        created = self.start - dt.timedelta(days=30)
        self.created = created
        self.add(
            Organization,
            id=self.org_id,
            slug=self.slug,
            name=self.name,
            short_name=self.short,
            mailbox=f"redessociales@{self.slug}.gov.co",
            website=f"https://www.{self.slug}.gov.co",
            acta_format_date=_local_date(created),
            created_at=created,
        )
        common = {"organization_id": self.org_id, "created_at": created}
        self.deps: dict[str, Row] = {}
        for name, code, oac in DEPENDENCIES:
            self.deps[code] = self.add(
                Dependency,
                id=self.ids.take(Dependency),
                name=name,
                code=code,
                is_communications_office=oac,
                **common,
            )
        self.dep_names = {d.id: d.name for d in self.deps.values()}
        self.audiences = [
            self.add(Audience, id=self.ids.take(Audience), name=name, **common).id
            for name in AUDIENCES
        ]
        self.programs = [
            self.add(
                Program,
                id=self.ids.take(Program),
                name=name,
                dependency_id=self.deps[dep].id,
                **common,
            ).id
            for name, dep in PROGRAMS
        ]
        self.campaigns: list[Row] = []
        for year in range(self.start.year, self.now.year + 1):
            for i, (theme, district) in enumerate(
                [
                    (f"#{self.short}Cumple{year}", False),
                    (f"Temporada de lluvias {year}", True),
                    (f"#BogotáMiBarrio {year}", False),
                ]
            ):
                starts = dt.date(year, 2 + 4 * i, 1)
                self.campaigns.append(
                    self.add(
                        Campaign,
                        id=self.ids.take(Campaign),
                        name=theme,
                        hashtag="#" + theme.lstrip("#").split()[0],
                        starts_on=starts,
                        ends_on=starts + dt.timedelta(days=rng.randint(45, 100)),
                        is_district=district,
                        **common,
                    )
                )
        self.channels: list[Row] = [
            self.add(
                Channel,
                id=self.ids.take(Channel),
                kind=NetworkKind.SANDBOX,
                imitates=kind,
                name=f"{label} {self.short} (práctica)",
                handle=f"@{self.slug}_practica",
                owner_dependency_id=self.deps["OAC"].id,
                is_fictitious=True,
                **common,
            )
            for kind, label in CHANNEL_KINDS
        ]
        self.partners = [
            self.add(
                PartnerEntity, id=self.ids.take(PartnerEntity), name=n, **common
            ).id
            for n in PARTNERS
        ]

    def _user(self, username: str, role: str, dep: str, position: str) -> UserRow:
        rng = self.rng
        user = self.add(
            User,
            id=self.ids.take(User),
            username=f"{self.slug}.{username}",
            password=self.password,
            email=f"{username}@{self.slug}.bench.invalid",
            first_name=rng.choice(FIRST_NAMES),
            last_name=f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
            organization_id=self.org_id,
            dependency_id=self.deps[dep].id,
            position=position,
            is_staff=role == Role.ADMIN,
            date_joined=self.created,
        )
        self.link(User.groups.through, user_id=user.id, group_id=self.groups[role])
        self.event(
            self.created + dt.timedelta(minutes=len(self.rows[User])),
            None,
            "accounts.user.roles_changed",
            "accounts.user",
            user.id,
            str(user),
            {"before": [], "after": [role]},
        )
        return user

    def build_people(self) -> None:
        weight = ORG_WEIGHTS[self.index % ORGANIZATIONS]
        n_profs = max(3, round(2 + 3.2 * weight))
        self.people = People(
            jefe=self._user("jefe", Role.JEFE, "OAC", "Jefe Oficina Asesora de Comunicaciones"),
            profs=[
                self._user(f"profesional{i + 1}", Role.PROFESIONAL, "OAC", "Profesional OAC")
                for i in range(n_profs)
            ],
            estratega=self._user(
                "estrategia",
                Role.ESTRATEGIA,
                "OAC",
                "Profesional especializado en comunicación estratégica",
            ),
            enlaces={
                self.deps[d].id: self._user(f"enlace.{d.lower()}", Role.ENLACE, d, "Enlace de comunicaciones")
                for d in LIAISON_DEPS
            },
            directivos={
                self.deps[d].id: self._user(f"directivo.{d.lower()}", Role.DIRECTIVO, d, "Director(a)")
                for d in DIRECTOR_DEPS
            },
            auditor=self._user("auditor", Role.AUDITOR, "OCI", "Jefe Oficina de Control Interno"),
            admin=self._user("admin", Role.ADMIN, "DGC", "Profesional de sistemas"),
        )  # fmt: skip
        self.labels = {u.id: str(u) for u in self.rows[User]}
        self.ips = {
            u.id: f"10.{self.index}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
            for u in self.rows[User]
        }
        # An encargo each year over the holidays: the strategist reviews meanwhile.
        self.delegations: list[tuple[dt.datetime, dt.datetime, Row]] = []
        people = self.people
        for year in range(self.start.year, self.now.year):
            starts, ends = dt.date(year, 12, 20), dt.date(year + 1, 1, 8)
            begin = dt.datetime.combine(starts, dt.time(), tzinfo=BOGOTA)
            finish = dt.datetime.combine(ends + DAY, dt.time(), tzinfo=BOGOTA)
            if begin < self.start or finish > self.now:
                continue
            created = _office(self.rng, starts - dt.timedelta(days=7))
            delegation = self.add(
                Delegation,
                id=self.ids.take(Delegation),
                organization_id=self.org_id,
                created_at=created,
                delegator_id=people.jefe.id,
                delegate_id=people.estratega.id,
                starts_on=starts,
                ends_on=ends,
                reason="Vacaciones de la jefe de la oficina",
                act_reference=f"Resolución {self.rng.randint(100, 999)} de {year}",
                created_by_id=people.jefe.id,
            )
            self.delegations.append(
                (begin.astimezone(UTC), finish.astimezone(UTC), delegation)
            )
            self.event(
                created,
                people.jefe,
                "accounts.delegation.created",
                "accounts.delegation",
                delegation.id,
                f"{people.estratega} (del {starts:%d/%m/%Y} al {ends:%d/%m/%Y})",
                {
                    "delegator": str(people.jefe),
                    "delegate": str(people.estratega),
                    "starts_on": _json(starts),
                    "ends_on": _json(ends),
                    "reason": delegation.reason,
                    "act_reference": delegation.act_reference,
                },
            )
        self.delegation_starts = [d[0] for d in self.delegations]

    def reviewer_at(self, moment: dt.datetime) -> tuple[UserRow, Row | None]:
        """The Jefe, or the strategist while an encargo is in force."""
        i = bisect_right(self.delegation_starts, moment) - 1
        if i >= 0 and moment < self.delegations[i][1]:
            return self.people.estratega, self.delegations[i][2]
        return self.people.jefe, None

    # -- meetings

    def build_meeting_calendar(self) -> None:
        """A planning meeting every Tuesday at 9:00, up to two weeks ahead."""
        self.meetings: list[MeetingSpec] = []
        day = _local_date(self.start)
        day += dt.timedelta(days=(1 - day.weekday()) % 7)
        last = _local_date(self.now) + dt.timedelta(days=14)
        while day <= last:
            starts = dt.datetime.combine(day, dt.time(9), tzinfo=BOGOTA).astimezone(UTC)
            self.meetings.append(
                MeetingSpec(
                    id=self.ids.take(Meeting),
                    starts_at=starts,
                    issued=starts + 2 * HOUR <= self.now,
                )
            )
            day += dt.timedelta(days=7)
        self.meeting_starts = [m.starts_at for m in self.meetings]

    def next_meeting(self, after: dt.datetime) -> MeetingSpec | None:
        i = bisect_right(self.meeting_starts, after + HOUR)
        return self.meetings[i] if i < len(self.meetings) else None

    # -- needs

    def plan_needs(self) -> list[NeedSpec]:
        rng = self.rng
        specs = []
        for _ in range(self.n_needs):
            created = self.moment()
            age = (self.now - created).days
            if age < 7:
                path = rng.choices(
                    ["registered", "discarded", "punctual", "planning"], [35, 5, 30, 30]
                )[0]
            else:
                path = rng.choices(
                    ["registered", "discarded", "punctual", "planning"], [1, 10, 45, 44]
                )[0]
            spec = NeedSpec(created_at=created, path=path)
            if path != "registered":
                spec.triaged_at = min(created + self.gap(0.5, 72), self.now)
            if path == "planning":
                assert spec.triaged_at is not None
                spec.meeting = self.next_meeting(spec.triaged_at)
                if spec.meeting is not None and spec.meeting.issued:
                    spec.planned_at = spec.meeting.starts_at + 2 * HOUR
                    # A recent decision may not have produced its piece yet.
                    recent = self.now - spec.planned_at < dt.timedelta(days=14)
                    spec.wants_pieces = not (recent and rng.random() < 0.4)
                else:
                    spec.wants_pieces = False
            elif path != "punctual":
                spec.wants_pieces = False
            specs.append(spec)
        specs.sort(key=lambda s: s.created_at)
        dep_ids = [self.deps[d].id for d in LIAISON_DEPS]
        for spec in specs:
            spec.id = self.ids.take(Need)
            spec.number = self.number("NEC", spec.created_at)
            spec.title = self.topic()
            spec.dependency_id = rng.choice(dep_ids)
            spec.audiences = rng.sample(self.audiences, rng.randint(1, 2))
            if spec.meeting is not None:
                spec.meeting.needs.append(spec)
        return specs

    def plan_pieces(self, needs: list[NeedSpec]) -> list[PieceSpec]:
        rng = self.rng
        eligible = [n for n in needs if n.wants_pieces]
        linked = min(round(self.n_pieces * 0.7), max(len(eligible), 0))
        if len(eligible) > linked:
            eligible = rng.sample(eligible, linked)
        counts = dict.fromkeys((n.id for n in eligible), 1)
        for _ in range(linked - len(eligible)):
            counts[rng.choice(eligible).id] += 1
        pieces: list[PieceSpec] = []
        for need in eligible:
            origin = need.planned_at or need.triaged_at
            assert origin is not None
            for _ in range(counts[need.id]):
                created = min(
                    origin + self.gap(0.5, 72), self.now - dt.timedelta(minutes=5)
                )
                piece = PieceSpec(created, need, planned=need.path == "planning")
                need.pieces.append(piece)
                pieces.append(piece)
        for _ in range(self.n_pieces - len(pieces)):
            pieces.append(PieceSpec(self.moment(), None, planned=rng.random() < 0.15))
        pieces.sort(key=lambda p: p.created_at)
        for piece in pieces:
            piece.id = self.ids.take(Piece)
            piece.number = self.number("PZ", piece.created_at)
        return pieces

    # -- the life of a piece

    def choose_state(self, piece: PieceSpec, text_only: bool) -> str:
        rng = self.rng
        age = (self.now - piece.created_at).days
        if age > RECENT_DAYS:
            weights = [95, 4, 1] if piece.need is not None else [88, 7, 5]
            kind = rng.choices(["approved", "cancelled", "stuck"], weights)[0]
            state = (
                PieceState.APPROVED
                if kind == "approved"
                else PieceState.CANCELLED
                if kind == "cancelled"
                else rng.choice(IN_PROGRESS)
            )
        else:
            state = rng.choices(
                [*IN_PROGRESS, PieceState.APPROVED, PieceState.CANCELLED],
                [15, 12, 8, 15, 10, 6, 30, 4],
            )[0]
        if text_only and state in IN_PROGRESS and state not in TEXT_STATES:
            state = PieceState.TEXT_REVIEW
        return state

    def plan_steps(
        self, state: str, text_only: bool, urgent: bool
    ) -> list[tuple[str, float, str]]:
        """(step, hours since the previous step, argument), ending in ``state``."""
        rng = self.rng
        review = (0.2, 4) if urgent else (0.5, 48)
        steps: list[tuple[str, float, str]] = []

        def wait(low: float, high: float) -> float:
            return rng.uniform(low, high)

        def text_round(decision: str, first: bool) -> None:
            steps.append(("version", wait(1, 48) if first else wait(2, 48), ""))
            steps.append(("submit_text", wait(0.1, 24), ""))
            if decision:
                steps.append(("cp1", wait(*review), decision))

        def design_round(decision: str) -> None:
            steps.append(("design_set", wait(4, 96), ""))
            steps.append(("submit_design", wait(1, 24), ""))
            if decision:
                steps.append(("cp2", wait(*review), decision))

        if state == PieceState.CANCELLED:
            stop = rng.choices(IN_PROGRESS, [30, 15, 20, 15, 10, 10])[0]
            if text_only and stop not in TEXT_STATES:
                stop = PieceState.TEXT_CHANGES
            steps = self.plan_steps(stop, text_only, urgent)
            steps.append(("cancel", wait(1, 120), ""))
            return steps
        if state == PieceState.DRAFTING:
            return [("version", wait(1, 72), "")]
        if state == PieceState.TEXT_CHANGES:
            returns = rng.choices([1, 2, 3], [70, 22, 8])[0]
            for k in range(returns):
                text_round(ReviewDecision.RETURNED, k == 0)
            if returns < 3 and rng.random() < 0.5:
                steps.append(("version", wait(2, 48), ""))
            return steps
        returns = rng.choices([0, 1, 2, 3], [55, 30, 10, 5])[0]
        for k in range(returns):
            text_round(ReviewDecision.RETURNED, k == 0)
        if state == PieceState.TEXT_REVIEW:
            text_round("", returns == 0)
            return steps
        if text_only:
            text_round(ReviewDecision.APPROVED_FINAL, returns == 0)
            return steps
        text_round(ReviewDecision.APPROVED, returns == 0)
        if state == PieceState.DESIGN_CHANGES:
            for _ in range(rng.choices([1, 2], [80, 20])[0]):
                design_round(ReviewDecision.RETURNED)
            if rng.random() < 0.5:
                steps.append(("design_set", wait(2, 48), ""))
            return steps
        if state == PieceState.DESIGN:
            # A returned design would be "design_changes": this is the first one.
            steps.append(("design_set", wait(4, 96), ""))
            return steps
        for _ in range(rng.choices([0, 1, 2], [70, 22, 8])[0]):
            design_round(ReviewDecision.RETURNED)
        if state == PieceState.DESIGN_REVIEW:
            design_round("")
        else:
            design_round(ReviewDecision.APPROVED)
        return steps

    def simulate(self, spec: PieceSpec) -> Row:
        rng = self.rng
        people = self.people
        need = spec.need
        fmt = rng.choices([f for f, _w in FORMATS], [w for _f, w in FORMATS])[0]
        text_only = fmt == PieceFormat.TEXT
        urgent = rng.random() < 0.08
        state = self.choose_state(spec, text_only)
        spec.state = state
        writer, designer = rng.sample(people.profs, 2)
        creator = people.jefe if rng.random() < 0.15 else writer
        channels = rng.sample(
            self.channels, rng.choices([1, 2, 3, 4], [20, 35, 30, 15])[0]
        )
        channels.sort(key=lambda c: c.id)
        created_day = _local_date(spec.created_at)
        campaign = None
        if rng.random() < 0.3:
            live = [
                c
                for c in self.campaigns
                if c.starts_on and c.ends_on and c.starts_on <= created_day <= c.ends_on
            ]
            campaign = rng.choice(live) if live else None
        spec.title = (
            need.title if need is not None and rng.random() < 0.5 else self.topic()
        )
        if need is not None:
            dependency_id = need.dependency_id
            audiences = list(need.audiences)
        else:
            dependency_id = self.deps[rng.choice(LIAISON_DEPS)].id
            audiences = rng.sample(self.audiences, rng.randint(1, 3))
        desired = planned = None
        if spec.planned:
            planned = created_day + dt.timedelta(days=rng.randint(3, 14))
        elif rng.random() < 0.4:
            planned = created_day + dt.timedelta(days=rng.randint(2, 20))
        if rng.random() < 0.6:
            desired = created_day + dt.timedelta(days=rng.randint(2, 20))
        piece = self.add(
            Piece,
            id=spec.id,
            organization_id=self.org_id,
            created_at=spec.created_at,
            number=spec.number,
            title=spec.title,
            brief=self.sentence(),
            format=fmt,
            need_id=need.id if need else None,
            dependency_id=dependency_id,
            program_id=rng.choice(self.programs) if rng.random() < 0.5 else None,
            campaign_id=campaign.id if campaign else None,
            writer_id=writer.id,
            designer_id=None if text_only else designer.id,
            created_by_id=creator.id,
            state=PieceState.DRAFTING,
            urgent=urgent,
            desired_date=desired,
            planned_date=planned,
            state_changed_at=spec.created_at,
            lock_version=1,
        )
        for audience in audiences:
            self.link(Piece.audiences.through, piece_id=piece.id, audience_id=audience)
        for channel in channels:
            self.link(Piece.channels.through, piece_id=piece.id, channel_id=channel.id)
        label = f"{piece.number} · {piece.title}"
        self.event(
            spec.created_at,
            creator,
            "content.piece.created",
            "content.piece",
            piece.id,
            label,
            {
                "title": piece.title,
                "format": fmt,
                "need": need.number if need else None,
                "writer": str(writer),
                "designer": None if text_only else str(designer),
            },
        )
        self.add(
            Notification,
            organization_id=self.org_id,
            created_at=spec.created_at,
            recipient_id=writer.id,
            kind="piece.assigned",
            subject=f"Le asignaron la redacción de {piece.number}",
            body=f"Usted es redactor(a) de la pieza «{piece.title}».",
            link=f"/piezas/{piece.id}/",
            read_at=self._read_at(spec.created_at),
            email_status="sent",
            email_attempts=1,
            email_sent_at=spec.created_at + dt.timedelta(seconds=30),
        )

        steps = self.plan_steps(state, text_only, urgent)
        total = sum(hours for _s, hours, _a in steps)
        room = (self.now - spec.created_at).total_seconds() / 3600 - 0.1
        factor = min(1.0, room / total) if total > 0 else 1.0

        moment = spec.created_at
        body = f"{piece.title}. {self.sentence()} {self.sentence()}"
        version: Row | None = None
        canonical_text: dict[str, Any] = {}
        asset_set: Row | None = None
        assets: list[Row] = []
        for step, hours, arg in steps:
            moment += dt.timedelta(hours=hours * factor)
            if step == "version":
                number = (version.number if version else 0) + 1
                if version is not None:
                    parts = body.split(". ")
                    parts[-1] = self.sentence().rstrip(".")
                    body = ". ".join(parts) + f" {self.sentence()}"
                author = writer if rng.random() < 0.9 else rng.choice(people.profs)
                version, canonical_text = self._version(
                    piece, number, body, author, moment, channels
                )
                piece.latest_text_version_id = version.id
                piece.lock_version += 1
                self.event(
                    moment,
                    author,
                    "content.version.created",
                    "content.piece",
                    piece.id,
                    label,
                    {
                        "version": number,
                        "hash": version.content_hash,
                        "note": version.note,
                        "variants": len(canonical_text["variants"]),
                        "sources": len(canonical_text["sources"]),
                    },
                )
            elif step == "submit_text":
                assert version is not None
                self._move(piece, PieceState.TEXT_REVIEW, moment)
                self.event(
                    moment,
                    writer,
                    "content.text.submitted",
                    "content.piece",
                    piece.id,
                    label,
                    {"version": version.number, "comment": ""},
                )
            elif step == "design_set":
                number = asset_set.number + 1 if asset_set else 1
                asset_set, assets = self._design(
                    piece, fmt, designer, moment, number, assets, label
                )
                piece.latest_asset_set_id = asset_set.id
            elif step == "submit_design":
                assert asset_set is not None
                asset_set.submitted_at = moment
                asset_set.submitted_by_id = designer.id
                self._move(piece, PieceState.DESIGN_REVIEW, moment)
                self.event(
                    moment,
                    designer,
                    "content.design.submitted",
                    "content.piece",
                    piece.id,
                    label,
                    {"asset_set": asset_set.number, "comment": ""},
                )
            elif step in ("cp1", "cp2"):
                assert version is not None
                point = 1 if step == "cp1" else 2
                judged_set = asset_set if point == 2 else None
                review = self._review(
                    piece, point, arg, version, judged_set, moment, label
                )
                if arg == ReviewDecision.RETURNED:
                    target = (
                        PieceState.TEXT_CHANGES
                        if point == 1
                        else PieceState.DESIGN_CHANGES
                    )
                elif arg == ReviewDecision.APPROVED and point == 1:
                    target = PieceState.DESIGN
                else:
                    target = PieceState.APPROVED
                if point == 1:
                    piece.text_only = arg == ReviewDecision.APPROVED_FINAL
                self._move(piece, target, moment)
                if target == PieceState.APPROVED:
                    self._seal(
                        piece,
                        review,
                        version,
                        canonical_text,
                        judged_set,
                        assets,
                        moment,
                        label,
                    )
            elif step == "cancel":
                reason = rng.choice(CANCEL_REASONS)
                piece.cancel_reason = reason
                self._move(piece, PieceState.CANCELLED, moment)
                self.event(
                    moment,
                    people.jefe,
                    "content.piece.cancelled",
                    "content.piece",
                    piece.id,
                    label,
                    {"reason": reason},
                )
        assert piece.state == state, (piece.state, state, steps)
        piece.updated_at = moment
        if state == PieceState.APPROVED:
            assert version is not None
            variants = {v["channel"]: v["body"] for v in canonical_text["variants"]}
            self._publish(piece, spec, channels, version, variants, label)
        if state in (PieceState.TEXT_REVIEW, PieceState.DESIGN_REVIEW):
            self.add(
                Notification,
                organization_id=self.org_id,
                created_at=piece.state_changed_at,
                recipient_id=people.jefe.id,
                kind="piece.submitted",
                subject=f"Para revisar: {piece.number}",
                body=f"«{piece.title}» espera su revisión.",
                link=f"/piezas/{piece.id}/revision/",
                email_status="sent",
                email_attempts=1,
                email_sent_at=piece.state_changed_at,
            )
        return piece

    def _read_at(self, moment: dt.datetime) -> dt.datetime | None:
        if self.now - moment < dt.timedelta(days=3) and self.rng.random() < 0.5:
            return None
        return min(moment + self.gap(0.2, 30), self.now)

    def _move(self, piece: Row, state: str, moment: dt.datetime) -> None:
        piece.state = state
        piece.state_changed_at = moment
        piece.lock_version += 1

    def _version(
        self,
        piece: Row,
        number: int,
        body: str,
        author: UserRow,
        moment: dt.datetime,
        channels: list[Row],
    ) -> tuple[Row, dict[str, Any]]:
        rng = self.rng
        variants: list[tuple[int, str, str]] = []
        if rng.random() < 0.3:
            for channel in rng.sample(channels, min(len(channels), rng.randint(1, 2))):
                title = piece.title if channel.imitates == NetworkKind.YOUTUBE else ""
                variants.append((channel.id, title, body[:260]))
        variants.sort()
        sources = [
            (rng.choice(SOURCES), "" if rng.random() < 0.6 else f"https://www.{self.slug}.gov.co/noticias/{rng.randint(1000, 9999)}")
            for _ in range(rng.randint(1, 2))
        ]  # fmt: skip
        canonical = {
            "number": number,
            "body": body,
            "variants": [{"channel": c, "title": t, "body": b} for c, t, b in variants],
            "sources": [{"description": d, "url": u} for d, u in sources],
        }
        version = self.add(
            TextVersion,
            id=self.ids.take(TextVersion),
            piece_id=piece.id,
            number=number,
            body=body,
            note=rng.choice(NOTES) if number > 1 else "",
            author_id=author.id,
            created_at=moment,
            content_hash=canonical_hash(canonical),
        )
        for channel_id, title, text in variants:
            self.add(
                ChannelVariant,
                version_id=version.id,
                channel_id=channel_id,
                title=title,
                body=text,
            )
        for description, url in sources:
            self.add(
                VersionSource, version_id=version.id, description=description, url=url
            )
        return version, canonical

    def _design(
        self,
        piece: Row,
        fmt: str,
        designer: UserRow,
        moment: dt.datetime,
        number: int,
        previous: list[Row],
        label: str,
    ) -> tuple[Row, list[Row]]:
        """A new asset set: the first files, or a copy of the last set with one redone."""
        rng = self.rng
        asset_set = self.add(
            AssetSet,
            id=self.ids.take(AssetSet),
            piece_id=piece.id,
            number=number,
            created_by_id=designer.id,
            created_at=moment,
            note="" if number == 1 else "Ajustes de la revisión",
        )
        kind, content_type, extension = ASSET_KIND[PieceFormat(fmt)]
        count = len(previous) or (
            rng.randint(3, 6) if fmt == PieceFormat.CAROUSEL else 1
        )
        assets = []
        for position in range(count):
            redo = not previous or position == 0
            old = previous[position] if previous else None
            if redo or old is None:
                sha = _hex(rng)
                alt = (
                    f"Pieza gráfica: {piece.title}. {self.sentence()}"
                    if kind in ("image", "audio")
                    else ""
                )
                name = f"{piece.number.lower()}-{position + 1}.{extension}"
            else:
                sha, alt, name = old.sha256, old.alt_text, old.original_name
            asset = self.add(
                Asset,
                organization_id=self.org_id,
                created_at=moment,
                file=f"org_{self.org_id}/assets/{sha[:32]}.{extension}",
                original_name=name,
                kind=kind,
                content_type=content_type,
                size=rng.randint(80_000, 9_000_000 if kind == "video" else 2_000_000),
                sha256=sha,
                width=1080 if kind == "image" else None,
                height=1080 if kind == "image" else None,
                uploaded_by_id=designer.id,
                asset_set_id=asset_set.id,
                position=position,
                alt_text=alt,
                decorative=False,
                captions_mode="burned_in" if kind == "video" else "",
                captions_sha256="",
                captions_reviewed=kind == "video",
            )
            assets.append(asset)
            if redo:
                self.event(
                    moment,
                    designer,
                    "content.asset.added",
                    "content.piece",
                    piece.id,
                    label,
                    {
                        "asset_set": number,
                        "file": name,
                        "sha256": sha,
                        "kind": kind,
                        "alt_text": alt,
                    },
                )
        return asset_set, assets

    def _review(
        self,
        piece: Row,
        point: int,
        decision: str,
        version: Row,
        asset_set: Row | None,
        moment: dt.datetime,
        label: str,
    ) -> Row:
        rng = self.rng
        reviewer, delegation = self.reviewer_at(moment)
        approving = decision != ReviewDecision.RETURNED
        checklist = {key: approving or rng.random() < 0.6 for key in CHECKS[point]}
        if not approving and all(checklist.values()):
            checklist[CHECKS[point][1]] = False
        comment = (
            ""
            if approving
            else rng.choice(RETURN_COMMENTS if point == 1 else DESIGN_COMMENTS)
        )
        review = self.add(
            Review,
            id=self.ids.take(Review),
            organization_id=self.org_id,
            created_at=moment,
            piece_id=piece.id,
            control_point=point,
            text_version_id=version.id,
            asset_set_id=asset_set.id if asset_set else None,
            decision=decision,
            comment=comment,
            checklist=checklist,
            reviewer_id=reviewer.id,
            delegation_id=delegation.id if delegation else None,
        )
        action = {
            (1, ReviewDecision.APPROVED): "content.text.approved",
            (1, ReviewDecision.APPROVED_FINAL): "content.text.approved_final",
            (1, ReviewDecision.RETURNED): "content.text.returned",
            (2, ReviewDecision.APPROVED): "content.design.approved",
            (2, ReviewDecision.RETURNED): "content.design.returned",
        }[(point, ReviewDecision(decision))]
        self.event(
            moment,
            reviewer,
            action,
            "content.piece",
            piece.id,
            label,
            {
                "review": review.id,
                "control_point": point,
                "text_version": version.number,
                "asset_set": asset_set.number if asset_set else None,
                "checklist": checklist,
                "comment": comment,
                "as_delegate_of": str(self.people.jefe) if delegation else None,
            },
        )
        return review

    def _seal(
        self,
        piece: Row,
        review: Row,
        version: Row,
        canonical_text: dict[str, Any],
        asset_set: Row | None,
        assets: list[Row],
        moment: dt.datetime,
        label: str,
    ) -> None:
        """The visto bueno: the same hash ``content.models.compute_seal`` gives."""
        seal = canonical_hash(
            {
                "piece": piece.id,
                "text": canonical_text,
                "assets": [
                    {
                        "sha256": a.sha256,
                        "kind": a.kind,
                        "alt_text": a.alt_text,
                        "decorative": a.decorative,
                        "captions_sha256": a.captions_sha256,
                        "captions_mode": a.captions_mode,
                    }
                    for a in sorted(assets, key=lambda a: a.position)
                ]
                if asset_set is not None
                else [],
            }
        )
        piece.approved_text_version_id = version.id
        piece.approved_asset_set_id = asset_set.id if asset_set else None
        piece.seal_hash = seal
        piece.sealed_at = moment
        piece.sealed_by_id = review.reviewer_id
        review.seal_hash = seal
        self.event(
            moment,
            self.people.jefe if review.delegation_id is None else self.people.estratega,
            "content.piece.sealed",
            "content.piece",
            piece.id,
            label,
            {
                "seal": seal,
                "text_version": version.number,
                "asset_set": asset_set.number if asset_set else None,
            },
        )

    def _publish(
        self,
        piece: Row,
        spec: PieceSpec,
        channels: list[Row],
        version: Row,
        variants: dict[int, str],
        label: str,
    ) -> None:
        """One publication per planned channel: published, scheduled ahead, or failed."""
        rng = self.rng
        assert piece.sealed_at is not None
        sealed = piece.sealed_at
        fresh = self.now - sealed < dt.timedelta(days=2)
        if fresh and rng.random() < 0.5:
            return  # waiting in "Por programar o publicar"
        published_all = True
        last: dt.datetime | None = None
        for channel in channels:
            scheduled_by = sealed + self.gap(0.3, 24)
            if scheduled_by >= self.now:
                published_all = False
                continue
            when = scheduled_by + self.gap(0, 72)
            author = rng.choice(self.people.profs)
            text = variants.get(channel.id, version.body)
            publication = self.add(
                Publication,
                id=self.ids.take(Publication),
                organization_id=self.org_id,
                created_at=scheduled_by,
                piece_id=piece.id,
                channel_id=channel.id,
                scheduled_at=when,
                seal_hash=piece.seal_hash,
                text=text,
                idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4),
                created_by_id=author.id,
                updated_at=scheduled_by,
            )
            pub_label = f"{label} → {channel.name}"
            self.event(
                scheduled_by,
                author,
                "publishing.publication.scheduled",
                "publishing.publication",
                publication.id,
                pub_label,
                {
                    "piece": piece.number,
                    "channel": channel.name,
                    "scheduled_at": _json(when),
                    "seal": piece.seal_hash,
                    "manual": False,
                },
            )
            if when > self.now:
                publication.status = PublicationStatus.SCHEDULED
                published_all = False
            elif self.now - when < dt.timedelta(days=60) and rng.random() < 0.03:
                publication.status = PublicationStatus.FAILED
                publication.attempt_count = 1
                publication.last_error = (
                    "La red rechazó la publicación (prueba de carga)."
                )
                publication.updated_at = when + dt.timedelta(seconds=5)
                self.add(
                    PublicationAttempt,
                    publication_id=publication.id,
                    started_at=when,
                    finished_at=when + dt.timedelta(seconds=5),
                    duration_ms=5000,
                    outcome="failed",
                    error=publication.last_error,
                    worker="worker-1",
                )
                self.event(
                    when + dt.timedelta(seconds=5),
                    None,
                    "publishing.publication.failed",
                    "publishing.publication",
                    publication.id,
                    pub_label,
                    {"error": publication.last_error, "attempt": 1},
                )
                published_all = False
            else:
                done = min(when + dt.timedelta(seconds=rng.uniform(2, 40)), self.now)
                platform_id = f"sbx-{publication.idempotency_key.hex[:16]}"
                publication.status = PublicationStatus.PUBLISHED
                publication.platform_id = platform_id
                publication.permalink = f"http://127.0.0.1:8000/publicaciones/sandbox/{channel.id}/#{platform_id}"
                publication.published_at = done
                publication.attempt_count = 1
                publication.updated_at = done
                self.add(
                    PublicationAttempt,
                    publication_id=publication.id,
                    started_at=when,
                    finished_at=done,
                    duration_ms=int((done - when).total_seconds() * 1000),
                    outcome="published",
                    summary=f"sandbox → {channel.handle}; {len(text)} caracteres",
                    worker="worker-1",
                )
                self.event(
                    done,
                    None,
                    "publishing.publication.published",
                    "publishing.publication",
                    publication.id,
                    pub_label,
                    {
                        "piece": piece.number,
                        "channel": channel.name,
                        "platform_id": platform_id,
                        "permalink": publication.permalink,
                        "seal": piece.seal_hash,
                    },
                )
                last = max(last, done) if last else done
        spec.published_all = published_all and last is not None
        spec.last_published = last

    # -- needs, meetings and the plan, once the pieces are known

    def build_needs(self, needs: list[NeedSpec]) -> None:
        rng = self.rng
        people = self.people
        for spec in needs:
            source = rng.choices([s.value for s in NeedSource], [20, 15, 20, 35, 10])[0]
            requester: UserRow | None
            if source == NeedSource.LIAISON:
                requester = people.enlaces.get(spec.dependency_id) or people.jefe
            elif source == NeedSource.DIRECTORS_MEETING:
                requester = people.directivos.get(spec.dependency_id) or people.jefe
            elif source == NeedSource.MAILBOX:
                requester = None
            else:
                requester = (
                    people.jefe if rng.random() < 0.5 else rng.choice(people.profs)
                )
            creator = requester or rng.choice(people.profs)
            desired = _local_date(spec.created_at) + dt.timedelta(
                days=rng.randint(3, 30)
            )
            need = self.add(Need,
                id=spec.id,
                organization_id=self.org_id,
                created_at=spec.created_at,
                number=spec.number,
                title=spec.title,
                description=f"{self.sentence()} {self.sentence()}",
                source=source,
                dependency_id=spec.dependency_id,
                requester_id=requester.id if requester else None,
                requester_name="" if requester else "Ciudadano (correo)",
                requester_email="" if requester else f"contacto{rng.randint(1, 999)}@example.org",
                desired_date=desired,
                event_date=desired + dt.timedelta(days=rng.randint(0, 5)) if rng.random() < 0.4 else None,
                urgency=rng.choices([u.value for u in Urgency], [80, 15, 5])[0],
                state=NeedState.REGISTERED,
                created_by_id=creator.id,
                updated_at=spec.created_at,
                lock_version=1,
                triage_note="",
                email_from="",
                email_subject="",
                email_message_id="",
            )  # fmt: skip
            if source == NeedSource.MAILBOX:
                need.email_from = f"{need.requester_name} <{need.requester_email}>"
                need.email_subject = spec.title
                need.email_message_id = f"<{_hex(rng, 64)}@mail.example.org>"
                need.email_date = spec.created_at - dt.timedelta(
                    minutes=rng.randint(5, 600)
                )
            for audience in spec.audiences:
                self.link(Need.audiences.through, need_id=need.id, audience_id=audience)
            label = f"{need.number} · {need.title}"
            self.event(
                spec.created_at,
                creator,
                "intake.need.imported_email" if source == NeedSource.MAILBOX else "intake.need.registered",
                "intake.need",
                need.id,
                label,
                {
                    "title": need.title,
                    "source": source,
                    "dependency": self._dep_name(spec.dependency_id),
                    "urgency": need.urgency,
                    "desired_date": _json(desired),
                    "attachments": [],
                    "email_message_id": need.email_message_id or None,
                },
            )  # fmt: skip
            if spec.triaged_at is None:
                continue
            triager, _delegation = self.reviewer_at(spec.triaged_at)
            need.triaged_by_id = triager.id
            need.triaged_at = spec.triaged_at
            need.updated_at = spec.triaged_at
            need.lock_version += 1
            action, need.state = {
                "discarded": ("intake.need.discarded", NeedState.DISCARDED),
                "punctual": ("intake.need.triaged_punctual", NeedState.PUNCTUAL),
                "planning": ("intake.need.triaged_planning", NeedState.FOR_PLANNING),
            }[spec.path]
            if spec.path == "discarded":
                need.discard_reason = rng.choice(DISCARD_REASONS)
                need.triage_note = need.discard_reason
            self.event(
                spec.triaged_at,
                triager,
                action,
                "intake.need",
                need.id,
                label,
                {"state": need.state, "note": need.triage_note},
            )
            if spec.planned_at is not None:
                need.state = NeedState.IN_PLAN
                need.updated_at = spec.planned_at
                self.event(
                    spec.planned_at,
                    people.jefe,
                    "intake.need.planned",
                    "intake.need",
                    need.id,
                    label,
                    {},
                )
            live = [p for p in spec.pieces if p.state != PieceState.CANCELLED]
            if live and all(p.published_all for p in live):
                moments = [p.last_published for p in live if p.last_published]
                attended = min(max(moments) + self.gap(0.5, 24), self.now)
                need.state = NeedState.ATTENDED
                need.updated_at = attended
                self.event(
                    attended,
                    rng.choice(people.profs),
                    "intake.need.attended",
                    "intake.need",
                    need.id,
                    label,
                    {"pieces": [p.number for p in live]},
                )

    def _dep_name(self, dep_id: int) -> str:
        return self.dep_names[dep_id]

    def build_meetings(self) -> None:
        rng = self.rng
        people = self.people
        for spec in self.meetings:
            created = spec.starts_at - dt.timedelta(days=2, hours=rng.randint(0, 6))
            if created > self.now:
                created = self.now - dt.timedelta(hours=1)
            number = self.number("ACT", created)
            title = (
                f"Reunión de planeación OAC – {_local_date(spec.starts_at):%d/%m/%Y}"
            )
            meeting = self.add(
                Meeting,
                id=spec.id,
                organization_id=self.org_id,
                created_at=created,
                number=number,
                title=title,
                starts_at=spec.starts_at,
                ends_at=spec.starts_at + dt.timedelta(hours=1, minutes=30),
                place="Sala de juntas de la OAC",
                objective="Definir temas, fuentes, productos y medios de la semana.",
                development="Se revisaron las necesidades pendientes y el informe de la semana.",
                state=MeetingState.ISSUED if spec.issued else MeetingState.DRAFT,
                chaired_by_id=people.jefe.id,
                created_by_id=people.estratega.id,
                updated_at=spec.starts_at + 2 * HOUR if spec.issued else created,
                lock_version=2 if spec.issued else 1,
            )
            attendees = [people.jefe, people.estratega, *rng.sample(people.profs, 2)]
            for user in attendees:
                self.add(
                    MeetingAttendee,
                    meeting_id=meeting.id,
                    user_id=user.id,
                    name=str(user),
                    position=user.position,
                    affiliation="Oficina Asesora de Comunicaciones",
                )
            topics: list[tuple[NeedSpec | None, str]] = [
                (n, n.title) for n in spec.needs
            ]
            if not topics:
                topics = [(None, "Informe de comunicación estratégica de la semana")]
            for position, (need, topic) in enumerate(topics):
                item = self.add(
                    AgendaItem,
                        id=self.ids.take(AgendaItem),
                        meeting_id=meeting.id,
                        position=position,
                        need_id=need.id if need else None,
                        topic=topic[:300],
                        sources_to_consult=self._dep_name(need.dependency_id) if need else "",
                        products="Pieza gráfica y publicación en redes",
                        responsible_id=rng.choice(people.profs).id,
                        due_date=_local_date(spec.starts_at) + dt.timedelta(days=rng.randint(3, 14)),

                )  # fmt: skip
                if need is not None:
                    spec.agenda_ids[need.id] = item.id
                for channel in rng.sample(self.channels, rng.randint(1, 2)):
                    self.link(
                        AgendaItem.channels.through,
                        agendaitem_id=item.id,
                        channel_id=channel.id,
                    )
            if rng.random() < 0.5:
                self.add(
                    Commitment,
                    meeting_id=meeting.id,
                    description="Confirmar con la dependencia los datos de la pieza",
                    responsible_id=rng.choice(people.profs).id,
                    due_date=_local_date(spec.starts_at) + dt.timedelta(days=3),
                )
            self.event(
                created,
                people.estratega,
                "planning.meeting.created",
                "planning.meeting",
                meeting.id,
                f"{number} · {title}",
                {
                    "title": title,
                    "starts_at": _json(spec.starts_at),
                    "agenda": [t for _n, t in topics],
                },
            )
            if spec.issued:
                issued = spec.starts_at + 2 * HOUR
                snapshot = {
                    "meeting": {"number": number, "title": title},
                    "version": 1,
                    "agenda": [t for _n, t in topics],
                }
                snapshot["content_hash"] = canonical_hash(snapshot)
                acta = self.add(
                    ActaVersion,
                    organization_id=self.org_id,
                    created_at=issued,
                    meeting_id=meeting.id,
                    number=1,
                    snapshot=snapshot,
                    content_hash=snapshot["content_hash"],
                    docx=f"org_{self.org_id}/actas/{_hex(rng, 128)}.docx",
                    docx_sha256=_hex(rng),
                    pdf=f"org_{self.org_id}/actas/{_hex(rng, 128)}.pdf",
                    pdf_sha256=_hex(rng),
                    issued_by_id=people.jefe.id,
                )
                self.event(
                    issued,
                    people.jefe,
                    "planning.meeting.issued",
                    "planning.meeting",
                    meeting.id,
                    f"{number} · {title}",
                    {
                        "version": 1,
                        "content_hash": acta.content_hash,
                        "docx_sha256": acta.docx_sha256,
                        "pdf_sha256": acta.pdf_sha256,
                        "reason": "",
                    },
                )

    def build_plan(self, needs: list[NeedSpec], pieces_by_id: dict[int, Row]) -> None:
        """Plan items: one per piece made from a meeting's decision, one for each
        decision still waiting for its piece, and some OAC initiatives."""
        rng = self.rng
        people = self.people
        rows: list[tuple[NeedSpec | None, PieceSpec | None, dt.datetime, dt.date]] = []
        for need in needs:
            if need.planned_at is None:
                continue
            if need.pieces:
                for p in need.pieces:
                    planned = pieces_by_id[p.id].planned_date
                    assert planned is not None
                    rows.append((need, p, need.planned_at, planned))
            else:
                day = _local_date(need.planned_at) + dt.timedelta(
                    days=rng.randint(7, 21)
                )
                rows.append((need, None, need.planned_at, day))
        for p in self.pieces:
            if p.need is None and p.planned:
                planned = pieces_by_id[p.id].planned_date
                assert planned is not None
                rows.append((None, p, p.created_at - self.gap(0.1, 2), planned))
        for need, piece_spec, created, planned in rows:
            piece = pieces_by_id[piece_spec.id] if piece_spec else None
            dependency_id = (
                need.dependency_id
                if need
                else (piece.dependency_id if piece else self.deps["OAC"].id)
            )
            author = rng.choice(people.profs)
            item = self.add(
                PlanItem,
                    id=self.ids.take(PlanItem),
                    organization_id=self.org_id,
                    created_at=created,
                    title=(piece.title if piece else need.title if need else "Contenido")[:200],
                    description="",
                    need_id=need.id if need else None,
                    agenda_item_id=need.meeting.agenda_ids.get(need.id) if need and need.meeting else None,
                    dependency_id=dependency_id,
                    liaison_id=people.enlaces[dependency_id].id if dependency_id in people.enlaces else None,
                    responsible_id=piece.writer_id if piece else author.id,
                    planned_date=planned,
                    campaign_id=piece.campaign_id if piece else None,
                    piece_id=piece.id if piece else None,
                    created_by_id=author.id,
                    updated_at=piece.created_at if piece else created,
                    lock_version=2 if piece else 1,

            )  # fmt: skip
            for audience in need.audiences if need else rng.sample(self.audiences, 1):
                self.link(
                    PlanItem.audiences.through,
                    planitem_id=item.id,
                    audience_id=audience,
                )
            for channel in rng.sample(self.channels, rng.randint(1, 3)):
                self.link(
                    PlanItem.channels.through,
                    planitem_id=item.id,
                    channel_id=channel.id,
                )
            self.event(
                created,
                author,
                "planning.plan_item.created",
                "planning.planitem",
                item.id,
                item.title,
                {"title": item.title, "planned_date": _json(planned), "need": need.number if need else None},
            )  # fmt: skip
            if item.liaison_id and rng.random() < 0.05:
                liaison = people.enlaces[dependency_id]
                when = min(created + self.gap(1, 48), self.now)
                comment = "Por favor incluir el horario de atención y el lugar exacto."
                self.add(
                    PlanItemComment,
                    organization_id=self.org_id,
                    created_at=when,
                    plan_item_id=item.id,
                    author_id=liaison.id,
                    body=comment,
                )
                self.event(
                    when, liaison, "planning.plan_item.commented", "planning.planitem",
                    item.id, item.title, {"comment": comment},
                )  # fmt: skip

    def build_joint_actions(self, pieces: list[Row]) -> None:
        """Four actions a year with the Red Distrital, each with one or two pieces."""
        rng = self.rng
        approved = [p for p in pieces if p.state == PieceState.APPROVED]
        created_list = [p.created_at for p in approved]
        for _ in range(4 * YEARS):
            created = self.moment()
            i = bisect_left(created_list, created)
            chosen = approved[max(0, i - 2) : i]
            action = self.add(
                JointAction,
                id=self.ids.take(JointAction),
                organization_id=self.org_id,
                created_at=created,
                title=f"Jornada distrital: {self.topic()}"[:200],
                description="Publicación coordinada con la Secretaría General.",
                hashtags="#BogotáSePrepara",
                starts_on=_local_date(created),
                ends_on=_local_date(created) + DAY,
                created_by_id=self.people.profs[0].id,
            )
            for partner in rng.sample(self.partners, 2):
                self.link(
                    JointAction.partners.through,
                    jointaction_id=action.id,
                    partnerentity_id=partner,
                )
            for piece in chosen:
                self.link(
                    JointAction.pieces.through,
                    jointaction_id=action.id,
                    piece_id=piece.id,
                )
            self.add(
                JointActionEvidence,
                organization_id=self.org_id,
                created_at=created,
                joint_action_id=action.id,
                description="Correo de coordinación de la Secretaría General",
                url="https://www.bogota.gov.co",
                added_by_id=self.people.profs[0].id,
            )
            self.event(
                created, self.people.profs[0], "planning.joint_action.created",
                "planning.jointaction", action.id, action.title,
                {"title": action.title, "pieces": [p.number for p in chosen]},
            )  # fmt: skip

    # -- the audit chain

    def build_audit_chain(self, pieces: list[Row]) -> None:
        """Keep ``n_events`` of the events (uniformly), then chain them in time order."""
        rng = self.rng
        events = self.events
        events.sort(key=lambda e: e[0])
        if len(events) > self.n_events:
            keep = sorted(rng.sample(range(len(events)), self.n_events))
            events = [events[i] for i in keep]
        else:
            # Fewer natural events than wanted (tiny scales): edits of piece details.
            extra = []
            for _ in range(self.n_events - len(events)):
                piece = rng.choice(pieces)
                when = piece.created_at + (self.now - piece.created_at) * rng.random()
                user = self.people.profs[0]
                extra.append(
                    (when, user, "content.piece.updated", "content.piece", str(piece.id),
                     f"{piece.number} · {piece.title}",
                     {"before": {"urgent": False}, "after": {"urgent": True}})
                )  # fmt: skip
            events = sorted(events + extra, key=lambda e: e[0])
        key = chain_key(self.org_id)
        prev = GENESIS
        for seq, (moment, actor, action, ttype, tid, tlabel, data) in enumerate(
            events, 1
        ):
            event = self.add(
                AuditEvent,
                chain=key,
                seq=seq,
                organization_id=self.org_id,
                occurred_at=moment,
                actor_id=actor.id if actor else None,
                actor_label=(self.labels[actor.id] if actor else "Sistema")[:200],
                action=action,
                target_type=ttype,
                target_id=tid,
                target_label=tlabel,
                data=data,
                ip=self.ips[actor.id] if actor else None,
                request_id=_hex(rng, 128) if actor else "",
                prev_hash=prev,
            )
            event.hash = prev = event.compute_hash()
        self.add(ChainHead, chain=key, seq=len(events), hash=prev)
        self.events = []

    def build_sequences(self) -> None:
        for (prefix, year), value in sorted(self.numbers.items()):
            self.add(
                Sequence,
                organization_id=self.org_id,
                key=f"{prefix}-{year}",
                value=value,
            )

    # -- all of it

    def build(self) -> None:
        self.build_reference()
        self.build_people()
        self.build_meeting_calendar()
        needs = self.plan_needs()
        self.pieces = self.plan_pieces(needs)
        pieces = [self.simulate(spec) for spec in self.pieces]
        pieces_by_id = {p.id: p for p in pieces}
        self.build_needs(needs)
        self.build_meetings()
        self.build_plan(needs, pieces_by_id)
        self.build_joint_actions(pieces)
        self.build_audit_chain(pieces)
        self.build_sequences()

    def flush(self, writers: dict[type[models.Model], TableWriter]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for model in FLUSH_ORDER:
            rows = self.rows.pop(model, [])
            if not rows:
                continue
            if model not in writers:
                writers[model] = TableWriter(model, with_pk="id" in rows[0])
            writers[model].write(rows)
            counts[model._meta.label] = len(rows)
        assert not self.rows, f"rows of unlisted tables: {list(self.rows)}"
        return counts


# ---------------------------------------------------------------- the whole installation


@dataclass
class Report:
    seconds: float
    rows: dict[str, int]
    organizations: list[dict[str, Any]]


def generate(scale: float, *, log: Any = print) -> Report:
    """Fill the (empty, migrated) database with the installation of ``scale``."""
    targets = Targets.for_scale(scale)
    started = time.perf_counter()
    now = timezone.now()
    ids = Ids()
    groups = {}
    for role in Role.values:
        group, _created = Group.objects.get_or_create(name=role_group_name(role))
        groups[role] = group.pk
    password = make_password(None)  # unusable: the benchmark logs in with force_login
    needs = split(targets.needs, ORG_WEIGHTS)
    pieces = split(targets.pieces, ORG_WEIGHTS)
    events = split(targets.audit_events, ORG_WEIGHTS)
    totals: dict[str, int] = defaultdict(int)
    summary = []
    writers: dict[type[models.Model], TableWriter] = {}
    with bulk_load():
        for index in range(targets.organizations):
            t0 = time.perf_counter()
            builder = OrgBuilder(
                index,
                ids,
                groups,
                password,
                now,
                needs[index],
                pieces[index],
                events[index],
            )
            builder.build()
            t1 = time.perf_counter()
            with transaction.atomic():
                counts = builder.flush(writers)
            t2 = time.perf_counter()
            for label, n in counts.items():
                totals[label] += n
            summary.append(
                {
                    "organization": builder.slug,
                    "needs": needs[index],
                    "pieces": pieces[index],
                    "audit_events": events[index],
                }
            )
            log(
                f"  {builder.slug:<9} {pieces[index]:>7,} piezas {needs[index]:>6,} "
                f"necesidades {events[index]:>7,} eventos — armado {t1 - t0:5.1f} s, "
                f"escritura {t2 - t1:5.1f} s"
            )
    problems = foreign_key_problems()
    if problems:
        raise RuntimeError(f"broken foreign keys, e.g. {problems[:5]}")
    people = User.objects.filter(
        groups__name__in=[role_group_name(Role.JEFE), role_group_name(Role.ADMIN)]
    )
    for user in people:
        TOTP.activate(user, generate_totp_secret())
    _after_load()
    return Report(time.perf_counter() - started, dict(totals), summary)


def _after_load() -> None:
    """PostgreSQL: move the id sequences past the ids given, and analyze (what
    autovacuum would do shortly after a load). SQLite: checkpoint the WAL."""
    if connection.vendor == "postgresql":
        statements = connection.ops.sequence_reset_sql(no_style(), FLUSH_ORDER)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# ---------------------------------------------------------------- counts


def current_counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "needs": Need.objects.count(),
        "pieces": Piece.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def is_complete(counts: dict[str, int], targets: Targets) -> bool:
    """The benchmark itself appends a few audit events (API tokens), hence ≥."""
    return (
        counts["organizations"] == targets.organizations
        and counts["needs"] == targets.needs
        and counts["pieces"] == targets.pieces
        and counts["audit_events"] >= targets.audit_events
    )


def read_meta(path: Any) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}
