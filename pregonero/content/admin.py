from pregonero.core.admin import readonly

from .models import Piece, Review, TextVersion

readonly(
    Piece,
    list_display=("number", "title", "state", "created_at"),
    search_fields=("number", "title"),
)
readonly(TextVersion, list_display=("piece", "number", "author", "created_at"))
readonly(
    Review,
    list_display=("piece", "control_point", "decision", "reviewer", "created_at"),
)
