"""Each network's rules applied to a piece before approval (and again, by the
worker, before publishing): text length measured the network's way, titles,
hashtags, media types, sizes, ratios, counts and alt text.

``check_piece`` runs every channel's adapter on the channel's variant (or the
main text) and the design; it makes no network call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .adapters.base import ChannelCredentials, MediaRef, OutboundPost, ValidationIssue
from .networks import adapter_class, adapter_slug, connection_of, default_base_url

TEXT_FIELDS = {"text", "title"}


@dataclass(frozen=True)
class ChannelIssues:
    channel: Any
    issues: list[ValidationIssue]

    @property
    def errors(self) -> list[ValidationIssue]:
        return [i for i in self.issues if i.severity == "error"]


def _media(asset_set: Any) -> tuple[MediaRef, ...]:
    if asset_set is None:
        return ()
    return tuple(
        MediaRef(
            path="",
            kind=a.kind,
            content_type=a.content_type,
            sha256=a.sha256,
            size=a.size,
            name=a.original_name,
            alt_text=a.alt_text,
            width=a.width,
            height=a.height,
            captions_path=a.captions_file.name if a.captions_file else "",
        )
        for a in asset_set.assets.all()
    )


def _credentials(channel: Any) -> ChannelCredentials:
    """What validation may know of the account: its limits, never its token."""
    connection = connection_of(channel)
    extra = {
        k: str(v) for k, v in ((connection.extra if connection else None) or {}).items()
    }
    return ChannelCredentials(
        channel_id=channel.pk,
        handle=(connection.account_handle if connection else "") or channel.handle,
        imitates=channel.network,
        account_id=connection.account_id if connection else "",
        base_url=(connection.base_url if connection else "")
        or default_base_url(adapter_slug(channel)),
        extra=extra,
    )


def check_piece(
    piece: Any,
    text_version: Any,
    asset_set: Any = None,
    *,
    text_only: bool = False,
    channels: list[Any] | None = None,
) -> list[ChannelIssues]:
    """The issues of each of the piece's channels (text rules only when ``text_only``)."""
    variants = {v.channel_id: v for v in text_version.variants.all()}
    media = () if text_only else _media(asset_set)
    results = []
    for channel in channels if channels is not None else piece.channels.all():
        cls = adapter_class(channel)
        variant = variants.get(channel.pk)
        post = OutboundPost(
            text=variant.body if variant else text_version.body,
            title=(variant.title if variant and variant.title else piece.title),
            idempotency_key="validation",
            media=media,
        )
        issues = cls(_credentials(channel)).validate(post)
        if text_only:
            issues = [i for i in issues if i.field in TEXT_FIELDS]
        results.append(ChannelIssues(channel, issues))
    return results


def errors_by_channel(results: list[ChannelIssues]) -> dict[str, list[str]]:
    """``{"channel:<name>": [messages]}`` for a ``ValidationFailed``."""
    return {
        f"{r.channel.name}": [i.message for i in r.errors] for r in results if r.errors
    }
