"""The checker's settings in the admin: the organization's administrator switches
rules off, changes thresholds and adds or removes words of the lists."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pregonero.audit.actions import record
from pregonero.core.admin import OrgAdmin
from pregonero.core.adminsite import is_org_admin, org_id

from .config import default_thresholds
from .models import CheckProfile, WordListEntry
from .rules import RULES


def _rule_choices() -> list[tuple[str, str]]:
    return [(r.id, f"{r.id} · {r.title}") for r in RULES] + [
        ("NET", str(_("NET · Límites de cada red")))
    ]


class CheckProfileForm(forms.ModelForm):
    disabled_rules = forms.MultipleChoiceField(
        label=_("Reglas desactivadas"),
        choices=_rule_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CheckProfile
        fields = ["disabled_rules", "thresholds"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = json.dumps(default_thresholds(), ensure_ascii=False)
        self.fields["thresholds"].help_text = _(
            "Solo los umbrales que cambian. Valores de fábrica: %(defaults)s"
        ) % {"defaults": defaults}


class WordListEntryInline(admin.TabularInline):
    model = WordListEntry
    extra = 1
    fields = (
        "word_list",
        "action",
        "term",
        "alternative",
        "note",
        "severity",
        "offer_replacement",
    )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)


@admin.register(CheckProfile)
class CheckProfileAdmin(OrgAdmin):
    form = CheckProfileForm
    inlines = [WordListEntryInline]
    list_display = ("__str__", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        organization = org_id(request)
        return (
            super().has_add_permission(request)
            and organization is not None
            and not CheckProfile.objects.filter(organization_id=organization).exists()
        )

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            if not change:
                obj.organization_id = org_id(request)
            admin.ModelAdmin.save_model(self, request, obj, form, change)
            record(
                request.user,
                "checks.profile.updated" if change else "checks.profile.created",
                obj,
                {k: str(form.cleaned_data.get(k)) for k in form.changed_data},
                organization=obj.organization_id,
            )

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            changed = [
                f"{e.word_list}:{e.action}:{e.term}"
                for formset in formsets
                for e in (
                    *formset.new_objects,
                    *(obj for obj, _fields in formset.changed_objects),
                )
            ]
            deleted = [
                f"{e.word_list}:{e.term}"
                for formset in formsets
                for e in formset.deleted_objects
            ]
            if changed or deleted:
                record(
                    request.user,
                    "checks.profile.words_changed",
                    form.instance,
                    {"changed": changed, "deleted": deleted},
                    organization=form.instance.organization_id,
                )
