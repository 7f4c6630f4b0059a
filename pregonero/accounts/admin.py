"""Users are managed by the organization's administrator: created in their
organization, roles set through the audited action, never deleted (deactivated)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pregonero.audit.actions import record
from pregonero.core.admin import AdministratorOnly, readonly
from pregonero.core.adminsite import org_id
from pregonero.core.models import Dependency

from .actions import set_roles
from .models import Delegation, Role, User


class RolesMixin(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class UserChangeForm(RolesMixin):
    class Meta:
        model = User
        fields = (
            "username",
            "first_name",
            "last_name",
            "email",
            "position",
            "dependency",
            "is_active",
        )


class UserCreationForm(RolesMixin):
    password = forms.CharField(
        label=_("Contraseña inicial"), widget=forms.PasswordInput
    )

    class Meta:
        model = User
        fields = (
            "username",
            "first_name",
            "last_name",
            "email",
            "position",
            "dependency",
        )

    def clean_password(self) -> str:
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        validate_password(password)
        return str(password)


@admin.register(User)
class UserAdmin(AdministratorOnly, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = (
        "username",
        "first_name",
        "last_name",
        "position",
        "dependency",
        "is_active",
    )
    list_filter = ("is_active", "groups")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "position",
                    "dependency",
                )
            },
        ),
        (_("Acceso"), {"fields": ("is_active", "roles")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "password",
                    "first_name",
                    "last_name",
                    "email",
                    "position",
                    "dependency",
                    "roles",
                )
            },
        ),
    )
    filter_horizontal = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).filter(organization_id=org_id(request))

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "dependency":
            kwargs["queryset"] = Dependency.objects.for_org(org_id(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(
        self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "roles" in form.base_fields:
            form.base_fields["roles"].initial = sorted(obj.roles)
        return form

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            if not change:
                obj.organization_id = org_id(request)
                obj.set_password(form.cleaned_data["password"])
            super().save_model(request, obj, form, change)
            record(
                request.user,
                "accounts.user.updated" if change else "accounts.user.created",
                obj,
                {"changed": list(form.changed_data)},
                organization=obj.organization_id,
            )
            set_roles(request.user, obj, list(form.cleaned_data.get("roles") or []))

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        # Roles are set in save_model through the audited action; nothing else is related.
        return None


readonly(
    Delegation,
    list_display=("delegate", "delegator", "starts_on", "ends_on", "revoked_at"),
)
