"""An organization's settings of the checker: rules switched off, thresholds, and
its own entries in the word lists (added or removed). The shipped lists and
thresholds live in ``data/*.json``; ``config.settings_for`` merges both."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pregonero.core.models import OrgScopedModel

from .config import (
    WORD_LISTS,
    CheckSettings,
    WordEntry,
    build_settings,
    default_thresholds,
    threshold_type_ok,
)


class WordList(models.TextChoices):
    GLOSSARY = "glossary", _("Siglas y su nombre completo (LC-03)")
    JARGON = "jargon", _("Lenguaje técnico o jurídico (LC-04)")
    GENERIC_MASCULINE = "generic_masculine", _("Masculino genérico (LI-01)")
    JOB_TITLES = "job_titles", _("Cargos en femenino (LI-02)")
    STEREOTYPES = "stereotypes", _("Estereotipos y violencia (LI-03)")
    NEUTRAL_FORMS = "neutral_forms", _("Formas con «e» de género (LI-04)")
    DIVERSITY = "diversity", _("Discapacidad, etnia, edad y víctimas (LI-05)")
    SLOGANS = "slogans", _("Eslóganes de gobierno y partidos (BRD-03)")


assert set(WordList.values) == set(WORD_LISTS)


class EntryAction(models.TextChoices):
    ADD = "add", _("Agregar (o reemplazar la de fábrica)")
    REMOVE = "remove", _("Quitar de la lista de fábrica")


class CheckSeverity(models.TextChoices):
    INFO = "info", _("Sugerencia")
    WARNING = "warning", _("Advertencia")
    ERROR = "error", _("Error")


class CheckProfile(OrgScopedModel):
    """One per organization; without it the shipped settings apply."""

    disabled_rules = models.JSONField(
        _("reglas desactivadas"),
        default=list,
        blank=True,
        help_text=_("Identificadores de las reglas que no se aplican (p. ej. LC-06)."),
    )
    thresholds = models.JSONField(
        _("umbrales"),
        default=dict,
        blank=True,
        help_text=_(
            'Solo los umbrales que cambian, p. ej. {"sentence_words_warning": 25}.'
        ),
    )
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("configuración de la revisión del lenguaje")
        verbose_name_plural = _("configuración de la revisión del lenguaje")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], name="checkprofile_one_per_org"
            )
        ]

    def __str__(self) -> str:
        return str(_("Revisión del lenguaje de %(org)s") % {"org": self.organization})

    def clean(self) -> None:
        super().clean()
        from .rules import RULES_BY_ID

        errors: dict[str, list[str]] = {}
        unknown = [
            r
            for r in self.disabled_rules or []
            if r not in RULES_BY_ID and not str(r).startswith("NET-")
        ]
        if not isinstance(self.disabled_rules, list) or unknown:
            errors["disabled_rules"] = [
                str(
                    _("Reglas desconocidas: %(rules)s.")
                    % {"rules": ", ".join(map(str, unknown))}
                )
            ]
        defaults = default_thresholds()
        if not isinstance(self.thresholds, dict):
            errors["thresholds"] = [str(_("Debe ser un objeto JSON."))]
        else:
            bad = [
                name
                for name, value in self.thresholds.items()
                if name not in defaults or not threshold_type_ok(defaults[name], value)
            ]
            if bad:
                errors["thresholds"] = [
                    str(
                        _("Umbrales desconocidos o de tipo incorrecto: %(names)s.")
                        % {"names": ", ".join(bad)}
                    )
                ]
        if errors:
            raise ValidationError(errors)

    def build_settings(self) -> CheckSettings:
        added: dict[str, list[WordEntry]] = {}
        removed: dict[str, list[str]] = {}
        for entry in self.entries.all():
            if entry.action == EntryAction.REMOVE:
                removed.setdefault(entry.word_list, []).append(entry.term)
            else:
                added.setdefault(entry.word_list, []).append(entry.as_entry())
        thresholds: dict[str, Any] = (
            self.thresholds if isinstance(self.thresholds, dict) else {}
        )
        return build_settings(
            disabled=[str(r) for r in self.disabled_rules or []],
            thresholds=thresholds,
            added=added,
            removed=removed,
        )


class WordListEntry(models.Model):
    profile = models.ForeignKey(
        CheckProfile,
        on_delete=models.CASCADE,
        related_name="entries",
        verbose_name=_("configuración"),
    )
    word_list = models.CharField(_("lista"), max_length=30, choices=WordList.choices)
    action = models.CharField(
        _("acción"), max_length=10, choices=EntryAction.choices, default=EntryAction.ADD
    )
    term = models.CharField(
        _("término"),
        max_length=200,
        help_text=_(
            "La sigla, palabra o frase tal como se escribe (sin importar tildes ni mayúsculas)."
        ),
    )
    alternative = models.CharField(
        _("alternativa"),
        max_length=300,
        blank=True,
        help_text=_(
            "La forma clara o incluyente que se propone (en las siglas, el nombre completo)."
        ),
    )
    note = models.CharField(_("nota"), max_length=300, blank=True)
    severity = models.CharField(
        _("gravedad"),
        max_length=10,
        choices=CheckSeverity.choices,
        blank=True,
        help_text=_("Vacía: la de la regla."),
    )
    offer_replacement = models.BooleanField(
        _("ofrecer el reemplazo con un clic"), default=True
    )

    class Meta:
        verbose_name = _("término de una lista")
        verbose_name_plural = _("términos de las listas")
        ordering = ["word_list", "term"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "word_list", "term"],
                name="wordlistentry_unique_term",
            )
        ]

    def __str__(self) -> str:
        return self.term

    def as_entry(self) -> WordEntry:
        return WordEntry(
            term=self.term,
            alternative=self.alternative,
            note=self.note,
            severity=self.severity or None,  # type: ignore[arg-type]
            replace=self.offer_replacement,
        )
