from django.contrib import admin

from pregonero.core.admin import OrgAdmin, readonly

from .models import JointAction, Meeting, PartnerEntity, PlanItem


@admin.register(PartnerEntity)
class PartnerEntityAdmin(OrgAdmin):
    list_display = ("name", "handle", "contact")


readonly(Meeting, list_display=("number", "title", "starts_at", "state"))
readonly(PlanItem, list_display=("title", "planned_date", "dependency"))
readonly(JointAction, list_display=("title", "starts_on", "hashtags"))
