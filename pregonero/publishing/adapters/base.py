"""The interface every network adapter implements.

Adapters never touch the ORM: they take plain dataclasses (the post, the
channel's credentials, the network's settings) and return plain dataclasses or
raise ``AdapterError``. All HTTP goes through ``pregonero.lib.http.HttpClient``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import secrets
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import IO, Any, ClassVar

from .errors import AdapterError, AuthError, ContentRejected, Duplicate, RateLimited

__all__ = [
    "AccountInfo",
    "Adapter",
    "AdapterError",
    "AuthError",
    "ChannelCredentials",
    "ContentRejected",
    "Duplicate",
    "InboundEntry",
    "InboundPage",
    "MediaRef",
    "MetricSample",
    "NetworkSettings",
    "OutboundPost",
    "OutboundReply",
    "PostSnapshot",
    "RateLimited",
    "Receipt",
    "RemotePost",
    "TokenSet",
    "ValidationIssue",
    "day_windows",
    "pkce_pair",
]


@dataclass(frozen=True)
class MediaRef:
    """A design file as the adapter sees it.

    ``path`` is a local file path (read it with ``open()``); ``public_url`` is a
    signed, time-limited URL Pregonero serves for networks that fetch media
    themselves (Instagram, TikTok ``PULL_FROM_URL``, Facebook ``file_url``).
    """

    path: str
    kind: str  # image, video, audio, document
    content_type: str
    sha256: str
    size: int
    name: str = ""
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds, for video and audio when known
    captions_path: str = ""  # SRT/WebVTT sidecar, for video
    public_url: str = ""

    def open(self) -> IO[bytes]:
        return open(self.path, "rb")  # the caller closes it


@dataclass(frozen=True)
class OutboundPost:
    """Exactly what was sealed for one channel."""

    text: str
    idempotency_key: str
    title: str = ""
    media: tuple[MediaRef, ...] = ()
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundReply:
    """Our answer to one inbound entry (issue 6): a public reply under it, or a
    private message to its author where the network allows one."""

    text: str
    idempotency_key: str
    in_reply_to: str  # the entry's platform id
    kind: str = "comment"  # the entry's kind (comment, mention, direct_message)
    thread_key: str = ""  # the post or conversation the entry belongs to
    author_handle: str = ""
    private: bool = False


@dataclass(frozen=True)
class Receipt:
    platform_id: str
    permalink: str
    published_at: datetime.datetime


@dataclass(frozen=True)
class RemotePost:
    """A post read back from the account, for reconciliation."""

    platform_id: str
    text: str
    created_at: datetime.datetime | None
    permalink: str = ""


@dataclass(frozen=True)
class InboundEntry:
    """A comment, mention or message read from the network (issue 6).

    ``kind`` is one of the inbox's item kinds (``comment``, ``mention``,
    ``message``); ``thread_key`` groups it with the post or conversation it
    belongs to; ``received_at`` is the network's own time (aware)."""

    kind: str
    platform_id: str
    author_handle: str
    text: str
    received_at: datetime.datetime
    thread_key: str = ""
    url: str = ""
    post_url: str = ""
    author_name: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundPage:
    """Everything read after a cursor, and the cursor to store once it is kept."""

    entries: list[InboundEntry]
    cursor: str


@dataclass(frozen=True)
class MetricSample:
    """One account figure as the network gives it (activity 15).

    ``metric`` is the network's own name (the keys of
    ``pregonero.analytics.mapping.DEFAULT_MAPPINGS``); ``date`` is the day the
    value belongs to (None: a level read now, such as the follower count).
    """

    metric: str
    value: float
    date: datetime.date | None = None
    post_id: str | None = None
    api_version: str = ""


@dataclass(frozen=True)
class PostSnapshot:
    """A post of the account with its lifetime figures so far."""

    platform_id: str
    published_at: datetime.datetime | None = None
    permalink: str = ""
    text: str = ""
    post_type: str = ""
    thumbnail_url: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    api_version: str = ""


@dataclass(frozen=True)
class ValidationIssue:
    field: str  # "text", "title", "media", "media[0]", "media[0].alt_text", …
    message: str  # Spanish, names the field and the limit
    severity: str = "error"  # or "warning"


@dataclass(frozen=True)
class TokenSet:
    """What a connect or refresh gives back. ``refresh_token`` is None when the
    network sent none (keep the stored one)."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime.datetime | None = None
    refresh_expires_at: datetime.datetime | None = None
    scopes: tuple[str, ...] = ()
    account_id: str = ""
    handle: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    handle: str
    name: str = ""
    url: str = ""


@dataclass(frozen=True)
class ChannelCredentials:
    """The channel as an adapter may know it (built by the action layer)."""

    channel_id: int
    handle: str = ""
    imitates: str = ""
    account_id: str = ""
    access_token: str = ""
    base_url: str = ""  # per-channel host: a Mastodon instance, a Bluesky PDS
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkSettings:
    """Where the network lives and the app's OAuth client, from the settings."""

    api_url: str = ""
    auth_url: str = ""  # the browser-facing authorization endpoint
    token_url: str = ""
    upload_url: str = ""
    web_url: str = ""  # where permalinks live (https://x.com, https://www.youtube.com)
    client_id: str = ""
    client_secret: str = ""
    api_version: str = ""
    scopes: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def rebased(self, base: str) -> NetworkSettings:
        """The same settings with every URL's scheme and host replaced by ``base``
        (the sandbox's ``http://127.0.0.1:PORT/<network>``), paths kept."""

        def move(url: str) -> str:
            if not url:
                return url
            parts = urllib.parse.urlsplit(url)
            return base.rstrip("/") + urllib.parse.urlunsplit(
                ("", "", parts.path, parts.query, "")
            )

        return replace(
            self,
            api_url=move(self.api_url),
            auth_url=move(self.auth_url),
            token_url=move(self.token_url),
            upload_url=move(self.upload_url),
            web_url=move(self.web_url),
        )

    def merged(self, overrides: dict[str, Any]) -> NetworkSettings:
        """These settings with the non-empty values of ``overrides`` applied."""
        known = {f.name for f in fields(self)}
        values: dict[str, Any] = {
            k: (tuple(v) if k == "scopes" else v)
            for k, v in overrides.items()
            if k in known and v
        }
        return replace(self, **values)


def day_windows(
    since: datetime.date, until: datetime.date, size: int
) -> list[tuple[datetime.date, datetime.date]]:
    """``since``..``until`` (both included) cut into spans of at most ``size`` days."""
    spans: list[tuple[datetime.date, datetime.date]] = []
    start = since
    while start <= until:
        end = min(start + datetime.timedelta(days=max(size, 1) - 1), until)
        spans.append((start, end))
        start = end + datetime.timedelta(days=1)
    return spans


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` with the S256 method."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()
    ).decode()
    return verifier, challenge.rstrip("=")


class Adapter(ABC):
    """One network. Subclasses set the class attributes and implement the methods
    their capabilities promise; the rest raise ``NotImplementedError``."""

    slug: ClassVar[str] = ""
    label: ClassVar[str] = ""
    publishes_automatically: ClassVar[bool] = True
    # How a person connects the account: "oauth" (authorization code, PKCE when
    # ``uses_pkce``), "password" (Bluesky app password), "register" (Mastodon:
    # register the app on the instance first, then OAuth), or "none".
    connect_method: ClassVar[str] = "oauth"
    uses_pkce: ClassVar[bool] = False
    supports_refresh: ClassVar[bool] = False
    supports_delete: ClassVar[bool] = True
    supports_recent_posts: ClassVar[bool] = True
    # The adapter reads the account's and the posts' figures (activity 15).
    supports_metrics: ClassVar[bool] = False
    # The longest span of days one account-metrics request may cover, and how
    # far back the network keeps daily figures (days).
    metrics_window_days: ClassVar[int] = 90
    metrics_history_days: ClassVar[int] = 730
    # The inbound kinds the adapter reads through the network's API (issue 6),
    # and, for a network that reads none, why (Spanish, shown on the channel).
    inbound_kinds: ClassVar[tuple[str, ...]] = ()
    inbound_unavailable: ClassVar[object] = ""  # a (lazy) Spanish string
    # Seconds between readings of a channel with fresh activity, where the
    # network's quota asks for more than ``PREGONERO_INBOX_ACTIVE_POLL_SECONDS``.
    inbound_active_poll_seconds: ClassVar[float] = 0.0
    # A network that honours an idempotency key makes a blind retry safe.
    honours_idempotency_key: ClassVar[bool] = False
    # Production endpoints and OAuth scopes; ``settings.PREGONERO_NETWORKS[slug]``
    # overrides them (client id and secret come from there).
    defaults: ClassVar[NetworkSettings] = NetworkSettings()
    # The path prefix of this network on the sandbox server ("facebook", "x", …);
    # in training mode every URL of ``defaults`` is rebased onto it.
    sandbox_prefix: ClassVar[str] = ""
    # Mastodon and Bluesky live on a per-channel host (``credentials.base_url``).
    per_channel_host: ClassVar[bool] = False

    def __init__(
        self,
        credentials: ChannelCredentials,
        network: NetworkSettings | None = None,
        http: Any = None,
    ) -> None:
        from pregonero.lib.http import shared_client

        self.credentials = credentials
        self.network = network or self.defaults
        self.http = http or shared_client()

    # -- content ---------------------------------------------------------------

    @abstractmethod
    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        """Check the post against the network's rules, without calling it."""

    @abstractmethod
    def publish(self, post: OutboundPost) -> Receipt:
        """Publish with the network's real protocol; return the receipt or raise."""

    def delete(self, platform_id: str) -> None:
        """Take a published post down."""
        raise NotImplementedError

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        """The account's latest posts, newest first (for reconciliation)."""
        raise NotImplementedError

    def find_post(
        self, post: OutboundPost, since: datetime.datetime
    ) -> RemotePost | None:
        """The published post matching ``post`` among the recent ones, if any.

        The default compares the text (whitespace-normalised); adapters that can
        match on something stronger (an idempotency key, a record key chosen in
        advance) override this.
        """
        wanted = " ".join(post.text.split())
        for remote in self.posts_since(since):
            if " ".join(remote.text.split()) == wanted:
                return remote
        return None

    # How many posts reconciliation reads at most, in growing pages: a busy
    # account may have published many posts since the uncertain attempt.
    reconcile_scan: ClassVar[tuple[int, ...]] = (50, 200, 1000)

    def posts_since(self, since: datetime.datetime) -> Iterator[RemotePost]:
        """The account's posts made at or after ``since``, newest first, reading
        further back until a post older than ``since`` (or the last one) shows up."""
        seen: set[str] = set()
        for limit in self.reconcile_scan:
            posts = self.recent_posts(limit)
            for remote in posts:
                if remote.platform_id in seen:
                    continue
                seen.add(remote.platform_id)
                if remote.created_at is None or remote.created_at >= since:
                    yield remote
            if len(posts) < limit:
                return
            oldest = posts[-1].created_at
            if oldest is not None and oldest < since:
                return

    # -- inbound (issue 6) -----------------------------------------------------------

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Comments, mentions and messages after ``cursor`` ("" on the first run),
        oldest first, with the cursor to keep once they are stored."""
        raise NotImplementedError

    # -- replies (issue 6) ------------------------------------------------------------

    # A public reply under the entry, a private message to its author; for a
    # network that cannot send one of them, why (Spanish, shown in the editor).
    supports_public_reply: ClassVar[bool] = False
    supports_private_reply: ClassVar[bool] = False
    reply_unavailable: ClassVar[object] = ""
    private_reply_unavailable: ClassVar[object] = ""

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        """The reply's text against the network's rules (the post rules by default)."""
        return self.validate(OutboundPost(text=reply.text, idempotency_key=""))

    def reply(self, reply: OutboundReply) -> Receipt:
        """Send the reply; return its receipt or raise ``AdapterError``."""
        raise NotImplementedError

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """Our reply read back from the thread (reconciliation), if it is there."""
        raise NotImplementedError

    # -- metrics (activity 15) ----------------------------------------------------

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """Daily account figures for ``since``..``until`` (both included), plus
        levels read now (``date`` None, e.g. the follower count). Callers keep
        each request within ``metrics_window_days``."""
        raise NotImplementedError

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """Lifetime figures of the given posts; posts the network no longer has
        are left out."""
        raise NotImplementedError

    def recent_posts_with_metrics(self, limit: int = 50) -> list[PostSnapshot]:
        """The account's latest posts with their figures (also those not published
        through Pregonero)."""
        remote = {p.platform_id: p for p in self.recent_posts(limit)}
        snapshots = self.post_metrics(list(remote))
        merged: list[PostSnapshot] = []
        for snapshot in snapshots:
            known = remote.get(snapshot.platform_id)
            if known is not None:
                snapshot = replace(
                    snapshot,
                    published_at=snapshot.published_at or known.created_at,
                    text=snapshot.text or known.text,
                    permalink=snapshot.permalink or known.permalink,
                )
            merged.append(snapshot)
        return merged

    # -- accounts ----------------------------------------------------------------

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        """Where the browser goes to grant access (OAuth authorization code)."""
        raise NotImplementedError

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        """Trade the authorization code for tokens (and the account's identity)."""
        raise NotImplementedError

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens from a refresh token. Raise ``AuthError(revoked=True)`` when the
        grant was revoked, ``AdapterError`` (not permanent) for a passing failure."""
        raise NotImplementedError

    def account(self) -> AccountInfo:
        """Who the stored token acts as (the "test connection" button)."""
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------

    @staticmethod
    def total(value: Any) -> float:
        """A figure as one number: objects of counts (reactions by type) are summed;
        numeric strings (YouTube's statistics) are read."""
        if isinstance(value, bool) or value is None:
            return 0.0
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return 0.0
        if isinstance(value, dict):
            return sum(Adapter.total(v) for v in value.values())
        if isinstance(value, list):
            return sum(Adapter.total(v) for v in value)
        return 0.0

    @staticmethod
    def with_query(url: str, **params: str) -> str:
        return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"

    @staticmethod
    def error_for_status(status: int, message: str) -> AdapterError:
        """A common reading of statuses for adapters whose bodies say little."""
        if status == 429:
            return RateLimited(message)
        if status in (401, 403):
            return AuthError(message)
        if status >= 500:
            return AdapterError(message, code=f"http_{status}")
        return ContentRejected(message, code=f"http_{status}")
