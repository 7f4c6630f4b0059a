from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pregonero.core.admin import OrgAdmin, readonly
from pregonero.core.adminsite import org_id

from .models import Mailbox, MailboxRule, ProcessedMessage, RuleAction


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label=_("contraseña"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Se guarda cifrada. Déjela en blanco para conservar la contraseña actual."
        ),
    )

    class Meta:
        model = Mailbox
        fields = (
            "name",
            "host",
            "port",
            "security",
            "username",
            "folder",
            "enabled",
            "default_action",
            "default_dependency",
            "registered_as",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("default_action") == RuleAction.NEED and not data.get(
            "default_dependency"
        ):
            self.add_error(
                "default_dependency",
                _("Elija la dependencia de las necesidades que llegan por correo."),
            )
        if not self.instance.password_encrypted and not data.get("password"):
            self.add_error("password", _("Escriba la contraseña del buzón."))
        return data

    def save(self, commit: bool = True) -> Any:
        if self.cleaned_data.get("password"):
            self.instance.set_password(self.cleaned_data["password"])
        return super().save(commit)


class MailboxRuleInline(admin.TabularInline):
    model = MailboxRule
    extra = 1
    fields = (
        "position",
        "sender",
        "subject_keywords",
        "body_keywords",
        "action",
        "dependency",
    )

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "dependency":
            from pregonero.core.models import Dependency

            kwargs["queryset"] = Dependency.objects.filter(
                organization_id=org_id(request) or 0
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Mailbox)
class MailboxAdmin(OrgAdmin):
    form = MailboxForm
    inlines = [MailboxRuleInline]
    list_display = ("name", "username", "enabled", "last_success_at", "last_error")
    readonly_fields = (
        "last_run_at",
        "last_success_at",
        "last_error",
        "last_error_at",
        "failures",
        "messages_total",
    )

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return None


readonly(
    ProcessedMessage,
    list_display=(
        "created_at",
        "mailbox",
        "sender",
        "subject",
        "outcome",
        "flagged_at",
    ),
    list_filter=("outcome",),
)
