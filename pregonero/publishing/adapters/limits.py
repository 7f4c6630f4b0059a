"""Text limits per network (characters), used until each network's own adapter
validates with its exact rules."""

from __future__ import annotations

TEXT_LIMITS: dict[str, int] = {
    "x": 280,
    "bluesky": 300,
    "mastodon": 500,
    "instagram": 2200,
    "tiktok": 2200,
    "linkedin": 3000,
    "youtube": 5000,
    "facebook": 63206,
}
