"""Opening an export as tables, streaming: a CSV, the CSVs of a zip, the sheets of
a workbook. Nothing here reads a whole file into memory (except legacy .xls,
whose format xlrd only reads whole; its size is bounded by the upload limit).

The container is sniffed from the content, never from the name: ``PK`` is a
zip (a workbook when it holds ``xl/``), the OLE2 magic is a legacy .xls, text
gets its encoding from the BOM (or the NUL pattern of UTF-16 without one) and
its separator from an Excel ``sep=`` first line or from the header line.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any, cast

from django.utils.translation import gettext as _

from .base import Cell, ImportRefused, Limits, too_many_rows

HEAD_ROWS = 15
MAX_LINE_CHARS = 1 << 20
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class RowBudget:
    """Counts every row read from the file; refuses past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def take(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise too_many_rows(self.limit)


@dataclass
class Table:
    """One table of the file: its name, its first rows, and a way to read it all."""

    name: str
    head: list[list[Cell]]
    opener: Callable[[], Iterator[list[Cell]]]
    siblings: tuple[str, ...] = ()
    title: str = ""

    def rows(self, budget: RowBudget) -> Iterator[tuple[int, list[Cell]]]:
        """(1-based row number, cells) for every row, counted against the budget."""
        for number, row in enumerate(self.opener(), start=1):
            budget.take()
            yield number, row


class _CountingRaw(io.RawIOBase):
    """A zip member that refuses to inflate past ``limit`` bytes."""

    def __init__(self, inner: IO[bytes], limit: int, total: list[int]) -> None:
        self.inner = inner
        self.limit = limit
        self.total = total

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        self.total[0] += len(data)
        if self.total[0] > self.limit:
            raise bomb()
        buffer[: len(data)] = data
        return len(data)


def bomb() -> ImportRefused:
    return ImportRefused(
        _(
            "El archivo comprimido se expande a un tamaño excesivo y fue rechazado "
            "(posible bomba de descompresión)."
        ),
        code="decompression_bomb",
    )


def check_zip(archive: zipfile.ZipFile, size: int, limits: Limits) -> None:
    """Refuse from the declared sizes before inflating anything."""
    total = sum(info.file_size for info in archive.infolist())
    if total > limits.max_uncompressed or (
        size and total / max(size, 1) > limits.max_ratio and total > 10 << 20
    ):
        raise bomb()


def _encoding(head: bytes) -> tuple[str, int]:
    """The text encoding and the length of its BOM."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    sample = head[:4000]
    if len(sample) >= 4:
        odd_nuls = sample[1::2].count(0)
        even_nuls = sample[0::2].count(0)
        half = len(sample) // 2
        if odd_nuls > half * 0.6:
            return "utf-16-le", 0
        if even_nuls > half * 0.6:
            return "utf-16-be", 0
    if b"\x00" in sample:
        raise ImportRefused(
            _("El archivo no es una hoja de cálculo ni un CSV que se pueda leer."),
            code="unsupported_format",
        )
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:
            return "cp1252", 0
    return "utf-8", 0


def _delimiter(lines: list[str]) -> str:
    best, best_count = ",", 0
    for line in lines[:5]:
        for candidate in (",", ";", "\t"):
            count = line.count(candidate)
            if count > best_count:
                best, best_count = candidate, count
    return best


def _csv_rows(
    binary_opener: Callable[[], IO[bytes]], name: str
) -> tuple[Callable[[], Iterator[list[Cell]]], list[list[Cell]], str]:
    """The opener of a CSV's rows, its first rows, and its title line if any."""
    with binary_opener() as probe:
        head = probe.read(8192)
    encoding, bom = _encoding(head)
    text = head[bom:].decode(encoding, errors="replace")
    first_lines = text.splitlines()[:10]
    skip_sep = bool(first_lines) and first_lines[0].strip().lower().startswith("sep=")
    if skip_sep:
        sep_value = first_lines[0].lstrip().rstrip("\r\n")[4:5]
        first_lines = first_lines[1:]
        delimiter = sep_value if sep_value.strip(" ") else _delimiter(first_lines)
    else:
        delimiter = _delimiter(first_lines)

    def opener() -> Iterator[list[Cell]]:
        with binary_opener() as raw:
            if bom:
                raw.read(bom)
            stream = io.TextIOWrapper(
                raw,
                encoding=encoding,
                errors="replace",
                newline="",
            )
            # Lines are read at most MAX_LINE_CHARS at a time: a file without
            # line breaks never becomes one huge string.
            lines = iter(partial(stream.readline, MAX_LINE_CHARS), "")
            if skip_sep:
                next(lines, None)
            try:
                reader = csv.reader(lines, delimiter=delimiter)
                first = next(reader, None)
                if first is None:
                    return
                yield [cell.lstrip("\ufeff") for cell in first]
                yield from reader
            except csv.Error as exc:
                raise ImportRefused(
                    _("El CSV está mal formado: %(error)s") % {"error": str(exc)},
                    code="bad_csv",
                ) from exc
            finally:
                stream.detach()

    head_rows: list[list[Cell]] = []
    rows = opener()
    try:
        for row in rows:
            head_rows.append(row)
            if len(head_rows) >= HEAD_ROWS:
                break
    finally:
        rows.close()  # type: ignore[attr-defined]
    title = ""
    if head_rows and len(head_rows[0]) == 1 and len(head_rows) > 1:
        title = str(head_rows[0][0])
    return opener, head_rows, title


@dataclass
class Container:
    """The opened file and its tables; closes what it opened."""

    kind: str  # csv, zip, xlsx, xls
    tables: list[Table] = field(default_factory=list)
    stack: ExitStack = field(default_factory=ExitStack)

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()


def _head(iterator: Iterator[list[Cell]]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for row in iterator:
        rows.append(row)
        if len(rows) >= HEAD_ROWS:
            break
    close = getattr(iterator, "close", None)
    if close:
        close()
    return rows


def open_container(fileobj: IO[bytes], name: str, limits: Limits) -> Container:
    """Sniff the file and open its tables (the caller closes the container)."""
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > limits.max_bytes:
        raise ImportRefused(
            _("El archivo pesa %(size).1f MB; el máximo para importar es %(limit)d MB.")
            % {"size": size / 1024 / 1024, "limit": limits.max_bytes >> 20},
            code="too_large",
        )
    magic = fileobj.read(8)
    fileobj.seek(0)
    if magic.startswith(b"PK"):
        return _open_zip(fileobj, size, limits)
    if magic == OLE_MAGIC:
        return _open_xls(fileobj)

    def opener() -> IO[bytes]:
        fileobj.seek(0)
        return cast(IO[bytes], _NoClose(fileobj))

    rows, head, title = _csv_rows(opener, name)
    container = Container("csv")
    container.tables.append(Table(name, head, rows, title=title))
    return container


class _NoClose(io.BufferedIOBase):
    """A view of the uploaded file that the CSV reader may 'close' freely."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self.inner.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self.inner.read(size if size and size > 0 else 65536)

    def close(self) -> None:
        pass


def _open_zip(fileobj: IO[bytes], size: int, limits: Limits) -> Container:
    try:
        archive = zipfile.ZipFile(fileobj)
    except zipfile.BadZipFile as exc:
        raise ImportRefused(
            _("El archivo comprimido está dañado."), code="corrupt_file"
        ) from exc
    check_zip(archive, size, limits)
    names = [i.filename for i in archive.infolist() if not i.is_dir()]
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        archive.close()
        fileobj.seek(0)
        return _open_xlsx(fileobj)
    container = Container("zip")
    container.stack.callback(archive.close)
    inflated = [0]
    members = [n for n in names if n.lower().endswith((".csv", ".tsv", ".txt"))]
    if not members:
        raise ImportRefused(
            _("El archivo comprimido no contiene archivos CSV."),
            code="unsupported_format",
        )
    base_names = tuple(n.rsplit("/", 1)[-1] for n in members)
    for member in members:

        def opener(member: str = member) -> IO[bytes]:
            return io.BufferedReader(
                _CountingRaw(archive.open(member), limits.max_uncompressed, inflated)
            )

        rows, head, title = _csv_rows(opener, member)
        container.tables.append(
            Table(member.rsplit("/", 1)[-1], head, rows, base_names, title)
        )
    inflated[0] = 0
    return container


def _open_xlsx(fileobj: IO[bytes]) -> Container:
    import openpyxl  # type: ignore[import-untyped]

    try:
        book = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ImportRefused(
            _("El libro de Excel está dañado o no se puede leer."),
            code="corrupt_file",
        ) from exc
    container = Container("xlsx")
    container.stack.callback(book.close)
    names = tuple(book.sheetnames)
    for sheet_name in names:
        sheet = book[sheet_name]

        def opener(sheet: Any = sheet) -> Iterator[list[Cell]]:
            for row in sheet.iter_rows(values_only=True):
                yield list(row)

        container.tables.append(Table(sheet_name, _head(opener()), opener, names))
    return container


def _open_xls(fileobj: IO[bytes]) -> Container:
    import xlrd  # type: ignore[import-untyped]

    try:
        book = xlrd.open_workbook(file_contents=fileobj.read(), on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct errors, ...
        raise ImportRefused(
            _("El libro de Excel (.xls) está dañado o no se puede leer."),
            code="corrupt_file",
        ) from exc
    container = Container("xls")
    container.stack.callback(book.release_resources)
    names = tuple(book.sheet_names())
    for index, sheet_name in enumerate(names):

        def opener(index: int = index) -> Iterator[list[Cell]]:
            sheet = book.sheet_by_index(index)
            for r in range(sheet.nrows):
                cells: list[Cell] = []
                for cell in sheet.row(r):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            value: Cell = xlrd.xldate_as_datetime(
                                cell.value, book.datemode
                            )
                        except (ValueError, OverflowError):
                            value = cell.value
                        if isinstance(value, datetime.datetime) and (
                            value.hour,
                            value.minute,
                            value.second,
                        ) == (0, 0, 0):
                            value = value.date()
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        value = None
                    else:
                        value = cell.value
                    cells.append(value)
                yield cells

        container.tables.append(Table(sheet_name, _head(opener()), opener, names))
    return container
