from pregonero.core.admin import readonly

from .models import Heartbeat, Publication

readonly(
    Publication,
    list_display=("piece", "channel", "status", "scheduled_at", "published_at"),
)
readonly(Heartbeat, list_display=("name", "kind", "seen_at"))
