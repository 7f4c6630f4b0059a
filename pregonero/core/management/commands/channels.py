"""`pregonero channels`: custody chores for the networks' tokens.

``rotate-keys`` re-encrypts every stored token with the first key of
``PREGONERO_TOKEN_KEYS``; ``list`` shows each channel's connection (never a token);
``refresh`` renews the tokens due now; ``check-keys`` proves every stored token
can be decrypted with the configured keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from pregonero.publishing import crypto
from pregonero.publishing.channels import dispatch_token_upkeep, rotate_keys
from pregonero.publishing.models import ChannelConnection


class Command(BaseCommand):
    help = "Custodia de cuentas: rotar llaves de cifrado, listar conexiones, renovar tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["rotate-keys", "check-keys", "list", "refresh"]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rotate-keys":
            count = rotate_keys()
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(n)s registros cifrados de nuevo con la llave principal.")
                    % {"n": count}
                )
            )
        elif action == "check-keys":
            broken = 0
            for connection in ChannelConnection.objects.select_related("channel"):
                try:
                    crypto.decrypt(connection.access_token_encrypted)
                    crypto.decrypt(connection.refresh_token_encrypted)
                except crypto.TokenKeyError:
                    broken += 1
                    self.stderr.write(
                        _("No se puede descifrar: %(channel)s")
                        % {"channel": connection.channel}
                    )
            if broken:
                raise CommandError(
                    _("%(n)s conexiones no se pueden descifrar.") % {"n": broken}
                )
            self.stdout.write(
                self.style.SUCCESS(_("Todas las conexiones se descifran."))
            )
        elif action == "list":
            for connection in ChannelConnection.objects.select_related(
                "channel", "connected_by"
            ).order_by("organization_id", "channel__name"):
                self.stdout.write(
                    f"{connection.channel.name}\t{connection.get_status_display()}\t"
                    f"{connection.account_handle}\t{connection.expires_at or '-'}\t"
                    f"{connection.connected_by or '-'}\t{connection.last_success_at or '-'}"
                )
        else:
            count = dispatch_token_upkeep()
            self.stdout.write(_("%(n)s tareas de renovación o avisos.") % {"n": count})
