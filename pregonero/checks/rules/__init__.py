"""Every rule of the checker, in the order the reviewer reads them.

A rule has an id (the requirement it implements), a Spanish title for the
admin and the reviewer, the source it applies, and a function from the analysed
text to findings. ``NET-<network>`` rules are produced by ``network_limits``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import accessibility, brand, inclusive, networks, plain
from .base import ACUERDO_381, DNP, LEY_2345, RES_1519, Context, Rule

__all__ = ["NETWORK_RULE", "RULES", "RULES_BY_ID", "Context", "Rule"]

RULES: tuple[Rule, ...] = (
    Rule("LC-01", _("Oraciones largas"), DNP, plain.sentence_length),
    Rule("LC-02", _("Párrafos largos"), DNP, plain.paragraph_length),
    Rule("LC-03", _("Siglas sin explicar"), DNP, plain.acronyms),
    Rule("LC-04", _("Lenguaje técnico o jurídico"), DNP, plain.jargon),
    Rule("LC-05", _("Doble negación"), DNP, plain.double_negation),
    Rule("LC-06", _("Voz pasiva"), DNP, plain.passive_voice),
    Rule("LC-07", _("Lo más importante primero"), DNP, plain.lead_first),
    Rule("LC-08", _("Legibilidad (Fernández-Huerta)"), DNP, plain.readability),
    Rule("LI-01", _("Masculino genérico"), ACUERDO_381, inclusive.generic_masculine),
    Rule("LI-02", _("Cargos en femenino"), ACUERDO_381, inclusive.job_titles),
    Rule(
        "LI-03",
        _("Estereotipos y expresiones que justifican la violencia"),
        ACUERDO_381,
        inclusive.stereotypes,
    ),
    Rule(
        "LI-04", _("Marcas de género con @, x o e"), ACUERDO_381, inclusive.gender_marks
    ),
    Rule(
        "LI-05",
        _("Discapacidad, etnia, edad y víctimas"),
        ACUERDO_381,
        inclusive.diversity,
    ),
    Rule(
        "ACC-01",
        _("Texto alternativo de las imágenes"),
        RES_1519,
        accessibility.alt_text,
    ),
    Rule("ACC-02", _("Subtítulos de los videos"), RES_1519, accessibility.captions),
    Rule(
        "ACC-04",
        _("Texto dentro de las imágenes"),
        RES_1519,
        accessibility.text_in_images,
    ),
    Rule(
        "ACC-06",
        _("Etiquetas, emojis, mayúsculas y enlaces"),
        RES_1519,
        accessibility.copy,
    ),
    Rule("BRD-03", _("Eslóganes de gobierno y partidos"), LEY_2345, brand.slogans),
)
NETWORK_RULE = Rule("NET", _("Límites de cada red"), "", networks.network_limits)
RULES_BY_ID = {rule.id: rule for rule in (*RULES, NETWORK_RULE)}
