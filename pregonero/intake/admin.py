from pregonero.core.admin import readonly

from .models import Need

readonly(
    Need,
    list_display=("number", "title", "state", "dependency", "created_at"),
    search_fields=("number", "title"),
)
