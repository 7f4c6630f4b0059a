"""The built-in practice network: an in-app feed, for demos and training.

Publishing records nothing outside Pregonero: the feed page lists the
publications of sandbox channels. The platform id derives from the idempotency
key, so publishing the same publication twice yields the same post.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .base import Adapter, OutboundPost, Receipt, ValidationIssue
from .limits import TEXT_LIMITS


class SandboxAdapter(Adapter):
    slug = "sandbox"
    label = "Sandbox"
    connect_method = "none"
    supports_recent_posts = False

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        """The imitated network's own rules, exactly (practice must not lie)."""
        from .registry import get_adapter_class, has_adapter

        imitated = self.credentials.imitates
        if imitated and imitated != self.slug and has_adapter(imitated):
            rules = get_adapter_class(imitated)
            if rules.publishes_automatically:
                return rules(self.credentials).validate(post)
        issues: list[ValidationIssue] = []
        if not post.text.strip() and not post.media:
            issues.append(
                ValidationIssue("text", _("La publicación no tiene texto ni archivos."))
            )
        limit = TEXT_LIMITS.get(self.credentials.imitates)
        if limit and len(post.text) > limit:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s caracteres; %(network)s admite %(limit)s."
                    )
                    % {
                        "length": len(post.text),
                        "network": self.credentials.imitates,
                        "limit": limit,
                    },
                )
            )
        return issues

    def publish(self, post: OutboundPost) -> Receipt:
        platform_id = f"sbx-{post.idempotency_key.replace('-', '')[:16]}"
        permalink = (
            f"{settings.SITE_URL}/publicaciones/sandbox/{self.credentials.channel_id}/"
            f"#{platform_id}"
        )
        return Receipt(
            platform_id=platform_id, permalink=permalink, published_at=timezone.now()
        )

    def delete(self, platform_id: str) -> None:
        """The feed shows only live publications: nothing to call."""
