"""What every export reader shares: header normalisation, alias tables, values.

An export is read as *tables* (a CSV file, a member of a zip, a sheet of a
workbook) whose header row is matched **by name**, never by position
(social_apis.md §8): each header is normalised (case, accents, spaces and
punctuation removed) and looked up in the reader's alias table, which lists the
English headers and the ones users get with the interface in Spanish. The
columns become the metric names the API collectors use (the keys of
``mapping.DEFAULT_MAPPINGS``), so a figure imported from a file and the same
figure collected from the API share one natural key.

Requirement IDs: IND-07, IND-08 (the networks' figures behind the followers
and interaction indicators of the management report).
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from pregonero.core.errors import ValidationFailed

Cell = Any  # str | float | int | datetime | None, as the container gives it


# ---------------------------------------------------------------- limits


@dataclass(frozen=True)
class Limits:
    """How much an import may read before it is refused (settings, sane defaults)."""

    max_bytes: int
    max_rows: int
    max_uncompressed: int
    max_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=int(getattr(settings, "PREGONERO_IMPORT_MAX_BYTES", 100 << 20)),
            max_rows=int(getattr(settings, "PREGONERO_IMPORT_MAX_ROWS", 2_000_000)),
            max_uncompressed=int(
                getattr(settings, "PREGONERO_IMPORT_MAX_UNCOMPRESSED_BYTES", 500 << 20)
            ),
            max_ratio=int(getattr(settings, "PREGONERO_IMPORT_MAX_ZIP_RATIO", 200)),
        )


class ImportRefused(ValidationFailed):
    """The file cannot be imported; the message says why, in Spanish."""

    code = "import_refused"


def too_many_rows(limit: int) -> ImportRefused:
    return ImportRefused(
        _(
            "El archivo tiene más de %(limit)s filas, el máximo permitido por "
            "importación. Divídalo por periodos e impórtelo por partes."
        )
        % {"limit": f"{limit:,}".replace(",", ".")},
        code="too_many_rows",
    )


# ---------------------------------------------------------------- headers


def norm(text: object) -> str:
    """``"Hora de publicación "`` → ``"hora de publicacion"``."""
    value = unicodedata.normalize("NFKD", str(text or "")).lower()
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    value = re.sub(r"[^0-9a-z]+", " ", value)
    return value.strip()


@dataclass(frozen=True)
class Column:
    """A field of a reader: where to put it, and the headers that carry it."""

    target: str  # a metric name, or a field: post_id, date, published_at, ...
    aliases: tuple[str, ...]
    factor: float = 1.0
    kind: str = "number"  # number, duration (H:MM:SS → seconds), text, date

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(norm(a) for a in self.aliases)


def col(
    target: str, *aliases: str, factor: float = 1.0, kind: str | None = None
) -> Column:
    if kind is None:
        kind = "number" if target not in FIELD_NAMES else "text"
    return Column(target, aliases, factor, kind)


# The non-metric fields a reader may fill.
FIELD_NAMES = frozenset(
    {
        "post_id",
        "page_id",
        "date",
        "published_at",
        "permalink",
        "text",
        "title",
        "post_type",
        "date_marker",
    }
)


@dataclass
class Binding:
    """A table's headers resolved against a reader's columns."""

    fields: dict[str, int] = field(default_factory=dict)  # field → column index
    metrics: dict[str, tuple[int, float, str]] = field(default_factory=dict)
    used: dict[int, str] = field(default_factory=dict)  # column index → target
    headers: list[str] = field(default_factory=list)

    @property
    def ignored(self) -> list[str]:
        return [h for i, h in enumerate(self.headers) if i not in self.used and h]


def bind(headers: Sequence[object], columns: Iterable[Column]) -> Binding:
    """Give each column the first header (in alias order) that carries it."""
    keys = [norm(h) for h in headers]
    position: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key and key not in position:
            position[key] = index
    binding = Binding(headers=[str(h or "").strip() for h in headers])
    for column in columns:
        if column.target in binding.fields or column.target in binding.metrics:
            continue
        for key in column.keys:
            found = position.get(key)
            if found is not None and found not in binding.used:
                index = found
                binding.used[index] = column.target
                if column.target in FIELD_NAMES:
                    binding.fields[column.target] = index
                else:
                    binding.metrics[column.target] = (
                        index,
                        column.factor,
                        column.kind,
                    )
                break
    return binding


# ---------------------------------------------------------------- values


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3})+$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")


def parse_number(value: Cell) -> float | None:
    """``"1,200"`` → 1200, ``"1203.0"`` → 1203, ``"12,5"`` → 12.5, ``"-"`` → None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    text = text.removesuffix("%")
    if text in {"", "-", "--", "N/A", "n/a", "NA"}:
        return None
    negative = text.startswith("-")
    text = text.lstrip("+-")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = (
            text.replace(",", "")
            if _THOUSANDS_COMMA.match(text)
            else text.replace(",", ".")
        )
    elif _THOUSANDS_DOT.match(text):
        text = text.replace(".", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return -number if negative else number


def parse_duration(value: Cell) -> float | None:
    """``"0:02:05"`` → 125 seconds; a plain number is taken as seconds."""
    if isinstance(value, datetime.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    text = cell_text(value)
    if ":" in text:
        parts = text.split(":")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            return None
        total = 0.0
        for number in numbers:
            total = total * 60 + number
        return total
    return parse_number(value)


def convert(value: Cell, kind: str, factor: float) -> float | None:
    if kind == "duration":
        number = parse_duration(value)
    elif value.__class__ is str:
        if not value:
            return None
        # The common case first: a plain number ("1203", "12.5").
        try:
            number = float(value)
        except ValueError:
            number = parse_number(value)
        else:
            if not math.isfinite(number):
                return None
    else:
        number = parse_number(value)
    if number is None:
        return None
    return number * factor if factor != 1 else number


_MONTHS = {
    "jan": 1, "ene": 1, "january": 1, "enero": 1,
    "feb": 2, "february": 2, "febrero": 2,
    "mar": 3, "march": 3, "marzo": 3,
    "apr": 4, "abr": 4, "april": 4, "abril": 4,
    "may": 5, "mayo": 5,
    "jun": 6, "june": 6, "junio": 6,
    "jul": 7, "july": 7, "julio": 7,
    "aug": 8, "ago": 8, "august": 8, "agosto": 8,
    "sep": 9, "sept": 9, "set": 9, "september": 9, "septiembre": 9, "setiembre": 9,
    "oct": 10, "october": 10, "octubre": 10,
    "nov": 11, "november": 11, "noviembre": 11,
    "dec": 12, "dic": 12, "december": 12, "diciembre": 12,
}  # fmt: skip
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_SLASHED = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*([ap]\.?\s?m\.?)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$",
    re.IGNORECASE,
)
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?\s?m\.?)?", re.IGNORECASE)
_OFFSET = re.compile(r"(?:^|\s)(Z|UTC|GMT|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def _zone(text: str | None) -> datetime.tzinfo | None:
    if not text:
        return None
    text = text.upper()
    if text in {"Z", "UTC", "GMT"}:
        return datetime.UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return datetime.timezone(
        sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    )


def _hour(hour: int, meridiem: str | None) -> int:
    if meridiem:
        pm = meridiem.lower().startswith("p")
        if pm and hour < 12:
            return hour + 12
        if not pm and hour == 12:
            return 0
    return hour


@dataclass(frozen=True)
class When:
    """A parsed date, with its time and zone when the file gives them."""

    date: datetime.date
    time: datetime.time | None = None
    zone: datetime.tzinfo | None = None

    def aware(self, default_zone: datetime.tzinfo) -> datetime.datetime:
        moment = datetime.datetime.combine(self.date, self.time or datetime.time())
        return moment.replace(tzinfo=self.zone or default_zone)


def parse_when(value: Cell, *, dayfirst: bool = False) -> When | None:
    """Dates as the exports write them (ISO, ``09/28/2026 18:12``,
    ``Sat, Sep 12, 2026``, ``2020-02-10 18:00 +0000``, ``3 oct. 2026``)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        has_time = (value.hour, value.minute, value.second) != (0, 0, 0)
        return When(value.date(), value.time() if has_time else None, value.tzinfo)
    if isinstance(value, datetime.date):
        return When(value)
    text = str(value).strip()
    if not text or text.lower() in {"lifetime", "total", "de por vida"}:
        return None
    match = _ISO.match(text)
    if match:
        y, m, d, hh, mm, ss, zone = match.groups()
        try:
            day = datetime.date(int(y), int(m), int(d))
        except ValueError:
            return None
        clock = datetime.time(int(hh), int(mm), int(ss or 0)) if hh else None
        return When(day, clock, _zone(zone))
    match = _SLASHED.match(text)
    if match:
        a, b, y, hh, mm, ss, meridiem, zone = match.groups()
        first, second, year = int(a), int(b), int(y)
        if year < 100:
            year += 2000
        if first > 12:
            day_n, month_n = first, second
        elif second > 12:
            day_n, month_n = second, first
        elif dayfirst:
            day_n, month_n = first, second
        else:
            day_n, month_n = second, first
        try:
            day = datetime.date(year, month_n, day_n)
            clock = (
                datetime.time(_hour(int(hh), meridiem), int(mm), int(ss or 0))
                if hh
                else None
            )
        except ValueError:
            return None
        return When(day, clock, _zone(zone))
    # Dates with a month name, in English or Spanish.
    zone_match = _OFFSET.search(text)
    zone = _zone(zone_match.group(1)) if zone_match else None
    if zone_match:
        text = text[: zone_match.start()].strip()
    clock = None
    time_match = _TIME.search(text)
    if time_match:
        hh, mm, ss, meridiem = time_match.groups()
        try:
            clock = datetime.time(_hour(int(hh), meridiem), int(mm), int(ss or 0))
        except ValueError:
            return None
        text = text[: time_match.start()] + " " + text[time_match.end() :]
    month = None
    numbers: list[str] = []
    for token in re.findall(r"[^\W\d_]+|\d+", norm(text)):
        if token.isdigit():
            numbers.append(token)
        elif month is None and token in _MONTHS:
            month = _MONTHS[token]
    if month is None:
        return None
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if not years or not days:
        return None
    try:
        return When(datetime.date(int(years[0]), month, int(days[0])), clock, zone)
    except ValueError:
        return None


def snowflake_time(post_id: str) -> datetime.datetime | None:
    """When an X post was created, read from its id (Snowflake, since 2010)."""
    if not post_id.isdigit() or len(post_id) < 15:
        return None
    millis = (int(post_id) >> 22) + 1288834974657
    return datetime.datetime.fromtimestamp(millis / 1000, tz=datetime.UTC)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# ---------------------------------------------------------------- records


@dataclass
class PostInfo:
    platform_id: str
    published_at: datetime.datetime | None = None
    permalink: str = ""
    text: str = ""
    post_type: str = ""


@dataclass
class Record:
    """One row of an export, as Pregonero stores it.

    ``post`` set: lifetime figures of a post (dated by the export's date).
    ``post`` None: the account's figures of ``day``.
    """

    metrics: dict[str, float]
    day: datetime.date | None = None
    post: PostInfo | None = None


@dataclass
class Skip:
    """A row that was not imported, and why (shown in the preview)."""

    row: int
    reason: str


RowItem = Record | Skip


@dataclass
class TableInfo:
    """What the preview says about one table of the file."""

    name: str
    reader: str
    label: str
    scope: str
    binding: Binding
    header_row: int


def chunks[T](items: Iterator[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
