"""Manual channels: a person publishes by hand and records the URL and time."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .base import Adapter, AdapterError, OutboundPost, Receipt, ValidationIssue
from .limits import TEXT_LIMITS


class ManualAdapter(Adapter):
    slug = "manual"
    label = "Manual"
    publishes_automatically = False
    connect_method = "none"
    supports_delete = False
    supports_recent_posts = False

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        limit = TEXT_LIMITS.get(self.credentials.imitates)
        if limit and len(post.text) > limit:
            return [
                ValidationIssue(
                    "text",
                    _("El texto tiene %(length)s caracteres; la red admite %(limit)s.")
                    % {"length": len(post.text), "limit": limit},
                )
            ]
        return []

    def publish(self, post: OutboundPost) -> Receipt:
        raise AdapterError(
            _(
                "Este canal se publica a mano: registre el enlace y la hora de publicación."
            ),
            permanent=True,
            code="manual",
        )
