"""Adapters by network slug. An unknown slug fails loudly: publishing to the
wrong place is worse than not publishing."""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from .base import Adapter

ADAPTERS: dict[str, str] = {
    "sandbox": "pregonero.publishing.adapters.sandbox.SandboxAdapter",
    "manual": "pregonero.publishing.adapters.manual.ManualAdapter",
    "facebook": "pregonero.publishing.adapters.facebook.FacebookAdapter",
    "instagram": "pregonero.publishing.adapters.instagram.InstagramAdapter",
    "x": "pregonero.publishing.adapters.x.XAdapter",
    "linkedin": "pregonero.publishing.adapters.linkedin.LinkedInAdapter",
    "mastodon": "pregonero.publishing.adapters.mastodon.MastodonAdapter",
    "bluesky": "pregonero.publishing.adapters.bluesky.BlueskyAdapter",
    "youtube": "pregonero.publishing.adapters.youtube.YouTubeAdapter",
    "tiktok": "pregonero.publishing.adapters.tiktok.TikTokAdapter",
}


class UnknownAdapter(LookupError):
    pass


@cache
def get_adapter_class(slug: str) -> type[Adapter]:
    try:
        path = ADAPTERS[slug]
    except KeyError:
        raise UnknownAdapter(f"No adapter for network {slug!r}") from None
    adapter_class: type[Adapter] = import_string(path)
    return adapter_class


def has_adapter(slug: str) -> bool:
    return slug in ADAPTERS
