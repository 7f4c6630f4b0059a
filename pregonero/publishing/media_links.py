"""Signed, time-limited links to approved design files, for the networks that
fetch media from a URL (Instagram, Facebook ``file_url``).

The link names the asset and its SHA-256, signed with ``SECRET_KEY``; it works
only for files of an approved design and only until it expires
(``PREGONERO_MEDIA_LINK_SECONDS``). Nothing else is reachable without logging in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "pregonero.publishing.media_link"


def media_link(asset: Any) -> str:
    if not asset.pk or not asset.file:
        return ""
    token = signing.dumps(
        {"a": asset.pk, "h": asset.sha256[:16]}, salt=SALT, compress=True
    )
    return f"{settings.SITE_URL}{reverse('publishing:media_link', args=[token])}"


def read_media_link(token: str) -> tuple[int, str] | None:
    """The asset id and hash prefix of a valid, unexpired link, or None."""
    try:
        data = signing.loads(
            token, salt=SALT, max_age=settings.PREGONERO_MEDIA_LINK_SECONDS
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        return None
    return data["a"], str(data.get("h", ""))
