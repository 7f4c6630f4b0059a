"""``pregonero metrics <subcommand>``: the networks' figures from the shell.

* ``collect [--channel ID] [--since YYYY-MM-DD]``: collect now, from the
  networks' APIs, every connected channel (or one), whatever the hour.
* ``import FILE --channel ID [--user USERNAME] [--yes]``: import a
  hand-downloaded export (prints the preview; imports with ``--yes`` or after
  confirmation).

Each subcommand is a pair of functions, ``add_<name>(subparsers)`` and
``handle_<name>(command, options)``, listed in ``SUBCOMMANDS``; another one is
added the same way.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# ---------------------------------------------------------------- collect


def add_collect(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "collect",
        help="Recolecta ahora las estadísticas de las redes (API).",
    )
    parser.add_argument(
        "--channel", type=int, help="Id del canal (por omisión: todos los conectados)."
    )
    parser.add_argument(
        "--since",
        help="Vuelve a leer las cifras diarias desde esta fecha (AAAA-MM-DD).",
    )


def handle_collect(command: BaseCommand, options: dict[str, Any]) -> None:
    from pregonero.analytics.collect import (
        collect_channel,
        collectable,
        supports_metrics,
    )
    from pregonero.core.models import Channel

    since: datetime.date | None = None
    if options.get("since"):
        try:
            since = datetime.date.fromisoformat(options["since"])
        except ValueError:
            raise CommandError(
                f"Fecha no válida en --since: {options['since']!r} (use AAAA-MM-DD)."
            ) from None
    if options.get("channel"):
        channel = Channel.objects.filter(pk=options["channel"]).first()
        if channel is None:
            raise CommandError(f"No existe el canal {options['channel']}.")
        channels = [channel]
    else:
        channels = [c for c in collectable().order_by("pk") if supports_metrics(c)]
    if not channels:
        command.stdout.write("No hay canales conectados que entreguen estadísticas.")
        return
    failed = 0
    for channel in channels:
        result = collect_channel(channel, since=since)
        if not result.claimed:
            command.stdout.write(
                f"{channel} (#{channel.pk}): otro proceso lo está recolectando; se omite."
            )
            continue
        command.stdout.write(
            f"{channel} (#{channel.pk}): {result.values} valores de la cuenta, "
            f"{result.posts} publicaciones."
        )
        for message in result.errors.values():
            failed += 1
            command.stderr.write(f"  {message}")
    if failed:
        raise CommandError(f"{failed} serie(s) con error; vea los mensajes anteriores.")


# ---------------------------------------------------------------- import


def add_import(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import",
        help="Importa un archivo exportado a mano de una red (vista previa y confirmación).",
    )
    parser.add_argument(
        "file", help="Ruta del archivo (CSV, ZIP de YouTube, .xls, .xlsx)."
    )
    parser.add_argument("--channel", type=int, required=True, help="Id del canal.")
    parser.add_argument(
        "--user",
        help="Usuario que importa (queda en la auditoría). Por omisión, la única "
        "persona de la entidad con permiso para importar estadísticas.",
    )
    parser.add_argument(
        "--yes", action="store_true", help="Importa sin preguntar tras la vista previa."
    )


def _import_user(channel: Any, username: str | None) -> Any:
    from pregonero.accounts.models import User
    from pregonero.accounts.permissions import Perm, has_perm

    if username:
        user = User.objects.filter(
            username=username, organization_id=channel.organization_id, is_active=True
        ).first()
        if user is None:
            raise CommandError(
                f"No existe el usuario activo {username!r} en la entidad del canal."
            )
        return user
    able = [
        u
        for u in User.objects.filter(
            organization_id=channel.organization_id, is_active=True
        ).order_by("pk")
        if has_perm(u, Perm.METRICS_IMPORT)
    ]
    if len(able) != 1:
        raise CommandError(
            "Indique --user USUARIO: quién importa queda en la auditoría."
        )
    return able[0]


def handle_import(command: BaseCommand, options: dict[str, Any]) -> None:
    from pathlib import Path

    from pregonero.analytics import imports
    from pregonero.analytics.models import ImportStatus
    from pregonero.core.errors import DomainError
    from pregonero.core.models import Channel

    channel = Channel.objects.filter(pk=options["channel"]).first()
    if channel is None:
        raise CommandError(f"No existe el canal {options['channel']}.")
    user = _import_user(channel, options.get("user"))
    path = Path(options["file"])
    if not path.is_file():
        raise CommandError(f"No existe el archivo {path}.")
    out = command.stdout
    try:
        with path.open("rb") as handle:
            batch = imports.preview_export(user, channel, handle, path.name)
    except DomainError as error:
        raise CommandError(error.message) from None
    preview = batch.preview
    out.write(
        f"Importación #{batch.pk}: {batch.original_name} → {channel} (#{channel.pk})"
    )
    out.write(f"Huella SHA-256: {batch.sha256}")
    if batch.status == ImportStatus.NEEDS_MAPPING:
        unknown = preview.get("unknown") or {}
        out.write(
            "No se reconocieron las columnas: " + ", ".join(unknown.get("headers", []))
        )
        out.write(
            "Asígnelas una vez en Estadísticas → Importaciones (o POST "
            f"/api/v1/metric-imports/{batch.pk}/mapping); luego se leerán solas."
        )
        return
    out.write(f"Formato: {preview.get('format_label')}")
    if batch.period_start:
        out.write(f"Periodo: {batch.period_start} a {batch.period_end}")
    out.write(
        f"Filas: {batch.rows_read} ({batch.rows_skipped} omitidas); publicaciones: "
        f"{preview.get('post_rows', 0)}; días de la cuenta: {preview.get('account_rows', 0)}"
    )
    out.write(
        f"Valores: {preview.get('values', 0)} ({preview.get('values_new', 0)} nuevos; "
        f"{preview.get('values_existing', 0)} ya existían y se reemplazarán)"
    )
    for row in preview.get("first_rows", [])[:5]:
        key = row.get("post_id") or row.get("date")
        out.write(f"  {key}: {row.get('metrics')}")
    for skip in preview.get("skip_examples", [])[:5]:
        out.write(f"  omitida {skip['table']} fila {skip['row']}: {skip['reason']}")
    if not options.get("yes"):
        answer = input("¿Importar? [s/N] ").strip().lower()
        if answer not in {"s", "si", "sí", "y", "yes"}:
            imports.discard_import(user, batch)
            out.write("Vista previa descartada; no se importó nada.")
            return
    try:
        batch = imports.confirm_import(user, batch)
    except DomainError as error:
        raise CommandError(error.message) from None
    result = batch.preview.get("result", {})
    out.write(
        command.style.SUCCESS(
            f"Importado: {result.get('values', 0)} valores "
            f"({result.get('replaced', 0)} reemplazados), "
            f"{result.get('posts_new', 0)} publicaciones nuevas."
        )
    )


# ---------------------------------------------------------------- the command

SUBCOMMANDS: dict[
    str,
    tuple[Callable[[Any], None], Callable[[BaseCommand, dict[str, Any]], None]],
] = {
    "collect": (add_collect, handle_collect),
    "import": (add_import, handle_import),
}


class Command(BaseCommand):
    help = "Estadísticas de las redes: recolección desde las API."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True)
        for add, _handle in SUBCOMMANDS.values():
            add(subparsers)

    def handle(self, *args: Any, **options: Any) -> None:
        _add, handle = SUBCOMMANDS[options["subcommand"]]
        handle(self, options)
