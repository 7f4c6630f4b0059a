from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxConfig(AppConfig):
    name = "pregonero.mailbox"
    label = "mailbox"
    verbose_name = _("Buzón institucional")
