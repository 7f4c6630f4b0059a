"""The administration site: the Administrador manages users, channels and reference
data of their own organization; procedure records are read-only here; audit events
have no change or delete path at all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from pregonero.audit.actions import record

from .adminsite import is_org_admin, org_id
from .models import Audience, Campaign, Channel, Dependency, Organization, Program


class AdministratorOnly:
    """The organization's administrator manages these rows; nobody deletes them
    (they are deactivated instead: records point at them)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_org_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_org_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrgAdmin(AdministratorOnly, admin.ModelAdmin):
    """Reference data: scoped to the administrator's organization, and audited."""

    exclude = ("organization",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if request.user.is_superuser and not getattr(
            request.user, "organization_id", None
        ):
            return qs
        return qs.filter(organization_id=org_id(request))

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        related = db_field.related_model
        if related is not None and hasattr(related, "organization_id"):
            kwargs["queryset"] = related._default_manager.filter(
                organization_id=org_id(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            if not change:
                obj.organization_id = org_id(request)
            before = {}
            if change:
                before = {
                    k: str(v) for k, v in form.initial.items() if k in form.changed_data
                }
            super().save_model(request, obj, form, change)
            record(
                request.user,
                f"core.{obj._meta.model_name}.{'updated' if change else 'created'}",
                obj,
                {
                    "before": before,
                    "after": {
                        k: str(form.cleaned_data.get(k)) for k in form.changed_data
                    },
                },
                organization=obj.organization_id,
            )


@admin.register(Dependency)
class DependencyAdmin(OrgAdmin):
    list_display = ("name", "code", "is_communications_office", "active")
    search_fields = ("name", "code")


@admin.register(Audience)
class AudienceAdmin(OrgAdmin):
    list_display = ("name", "active")
    search_fields = ("name",)


@admin.register(Program)
class ProgramAdmin(OrgAdmin):
    list_display = ("name", "dependency", "active")


@admin.register(Campaign)
class CampaignAdmin(OrgAdmin):
    list_display = ("name", "hashtag", "starts_on", "ends_on", "is_district", "active")
    search_fields = ("name", "hashtag")


@admin.register(Channel)
class ChannelAdmin(OrgAdmin):
    list_display = (
        "name",
        "kind",
        "imitates",
        "handle",
        "owner_dependency",
        "is_fictitious",
        "active",
    )
    list_filter = ("kind", "active")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "acta_format_code", "acta_format_version")
    readonly_fields = ("slug", "is_demo", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        qs = super().get_queryset(request)
        return qs.filter(pk=org_id(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_org_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(
                request.user,
                "core.organization.updated",
                obj,
                {k: str(form.cleaned_data.get(k)) for k in form.changed_data},
                organization=obj.pk,
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Procedure records: visible to the administrator, changed only through actions."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        field_names = {f.name for f in self.model._meta.get_fields()}
        if "organization" in field_names:
            return qs.filter(organization_id=org_id(request))
        return qs

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_org_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def readonly(model: type[models.Model], **options: Any) -> None:
    admin.site.register(
        model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), options)
    )
