from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from pregonero.accounts.permissions import perms_for


def pregonero(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    perms = {str(p) for p in perms_for(user)} if user is not None else set()
    unread = 0
    if user is not None and user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "user_perms": perms,
        "unread_notifications": unread,
        "training_mode": settings.PREGONERO_TRAINING,
    }
