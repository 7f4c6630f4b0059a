from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecksConfig(AppConfig):
    name = "pregonero.checks"
    label = "checks"
    verbose_name = _("Revisión del lenguaje y la accesibilidad")

    def ready(self) -> None:
        from . import signals  # noqa: F401
