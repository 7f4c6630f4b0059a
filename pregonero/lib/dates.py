"""Dates as the entity writes them (Spanish, es-CO)."""

from django.utils.translation import gettext_noop

# Translated where they are shown (``gettext(MONTHS[n - 1])``).
MONTHS = (
    gettext_noop("enero"),
    gettext_noop("febrero"),
    gettext_noop("marzo"),
    gettext_noop("abril"),
    gettext_noop("mayo"),
    gettext_noop("junio"),
    gettext_noop("julio"),
    gettext_noop("agosto"),
    gettext_noop("septiembre"),
    gettext_noop("octubre"),
    gettext_noop("noviembre"),
    gettext_noop("diciembre"),
)
