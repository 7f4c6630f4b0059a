from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pregonero.core.admin import OrgAdmin, readonly
from pregonero.core.adminsite import org_id

from .holidays_calendar import seed_years
from .models import Holiday, InboundItem, InboxSettings, SavedReply


@admin.register(Holiday)
class HolidayAdmin(OrgAdmin):
    """The calendar of non-business days; a year is seeded from Colombia's
    calendar the first time one of its dates is edited or a petition needs it."""

    list_display = ("date", "name", "is_holiday")
    list_filter = ("is_holiday",)
    date_hierarchy = "date"

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        organization_id = org_id(request)
        if organization_id is not None:
            seed_years(organization_id, [obj.date.year])
            existing = Holiday.objects.filter(
                organization_id=organization_id, date=obj.date
            ).first()
            if existing is not None and not change:
                # The date came with the seeded year: edit that row instead.
                obj.pk = existing.pk
                obj.created_at = existing.created_at
                change = True
        super().save_model(request, obj, form, change)


@admin.register(SavedReply)
class SavedReplyAdmin(OrgAdmin):
    list_display = ("title", "active")
    search_fields = ("title", "body")


@admin.register(InboxSettings)
class InboxSettingsAdmin(OrgAdmin):
    list_display = ("organization", "citizen_service_email", "first_response_days")
    fieldsets = (
        (
            _("Atención"),
            {
                "fields": (
                    "citizen_service_email",
                    "first_response_days",
                    "office_closes_at",
                )
            },
        ),
        (
            _("Conservación de los datos (Ley 1581 de 2012)"),
            {
                "description": _(
                    "Pasado cada plazo, el autor, el texto y los datos personales "
                    "del mensaje se anonimizan solos; las fechas, la tipología y los "
                    "términos se conservan para las estadísticas."
                ),
                "fields": (
                    "retention_interaction_months",
                    "retention_not_applicable_months",
                    "retention_petition_months",
                ),
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        organization_id = org_id(request)
        return (
            super().has_add_permission(request)
            and organization_id is not None
            and not InboxSettings.objects.filter(
                organization_id=organization_id
            ).exists()
        )


readonly(
    InboundItem,
    list_display=("received_at", "network", "kind", "author_handle", "state"),
    list_filter=("state", "kind", "network"),
    exclude=("raw",),
)
