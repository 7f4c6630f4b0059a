from pregonero.core.admin import readonly

from .models import AuditEvent

readonly(
    AuditEvent,
    list_display=("seq", "occurred_at", "action", "target_label", "actor_label", "ip"),
    list_filter=("action",),
    search_fields=("target_label", "actor_label", "action"),
)
