"""The interface every network adapter implements. Adapters never touch the ORM:
they take plain dataclasses and return plain dataclasses or raise AdapterError."""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MediaRef:
    path: str
    kind: str  # image, video, audio, document
    content_type: str
    sha256: str
    size: int
    alt_text: str = ""
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class OutboundPost:
    text: str
    idempotency_key: str
    title: str = ""
    media: tuple[MediaRef, ...] = ()


@dataclass(frozen=True)
class Receipt:
    platform_id: str
    permalink: str
    published_at: datetime.datetime


@dataclass(frozen=True)
class ValidationIssue:
    field: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class ChannelCredentials:
    channel_id: int
    handle: str
    imitates: str = ""
    base_url: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class AdapterError(Exception):
    """A failed call. ``permanent`` failures are not retried; when the outcome is
    unknown (the request may have been processed) the call is never repeated
    blindly: the publication becomes unconfirmed and is reconciled."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class Adapter(ABC):
    slug: str = ""
    label: str = ""
    publishes_automatically: bool = True
    supports_delete: bool = False
    max_text_length: int | None = None

    def __init__(self, credentials: ChannelCredentials) -> None:
        self.credentials = credentials

    @abstractmethod
    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        """Check a post against the network's rules, without calling the network."""

    @abstractmethod
    def publish(self, post: OutboundPost) -> Receipt:
        """Publish the post and return its receipt, or raise AdapterError."""
