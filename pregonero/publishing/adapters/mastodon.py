"""Mastodon: public statuses, with images, video or audio, on the channel's instance.

Mastodon is not one service but thousands of instances, so every URL is built
from the channel's own host (``credentials.base_url``, e.g.
``https://mastodon.social``); the settings only give the OAuth scopes and, per
instance, the app's client id and secret. Connecting is "register" then OAuth:
``register_app`` creates the app on the instance (the engine keeps the pair per
instance) and the authorization-code flow with PKCE S256 (Mastodon ≥ 4.3)
follows.

Facts come from ``reference/social_apis.md`` §7.A; the way the instance counts a
status's length (grapheme clusters, every URL as 23 characters, a remote
mention as its local part only) is Mastodon's ``StatusLengthValidator``.
"""

from __future__ import annotations

import datetime
import html.parser
import os
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import regex  # type: ignore[import-untyped]
from django.conf import settings
from django.utils.translation import gettext as _

from .base import (
    AccountInfo,
    Adapter,
    InboundEntry,
    InboundPage,
    MediaRef,
    MetricSample,
    NetworkSettings,
    OutboundPost,
    OutboundReply,
    PostSnapshot,
    Receipt,
    RemotePost,
    TokenSet,
    ValidationIssue,
)
from .errors import AdapterError, AuthError, ContentRejected, RateLimited

MB = 1024 * 1024

# What an instance answers in ``/api/v2/instance`` → ``configuration`` when it
# says nothing (Mastodon's own defaults). The engine stores the instance's real
# values in ``credentials.extra`` at connect time (see ``instance_limits``).
DEFAULT_LIMITS: dict[str, int] = {
    "max_characters": 500,
    "max_media_attachments": 4,
    "characters_reserved_per_url": 23,
    "description_limit": 1500,
    "image_size_limit": 16 * MB,
    "video_size_limit": 99 * MB,
}
DEFAULT_MIME_TYPES = frozenset(
    {
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
        "image/heif", "image/avif",
        "video/mp4", "video/quicktime", "video/webm", "video/ogg",
        "audio/mpeg", "audio/mp3", "audio/ogg", "audio/wav", "audio/x-wav",
        "audio/flac", "audio/aac", "audio/mp4", "audio/x-m4a", "audio/webm",
        "audio/3gpp",
    }
)  # fmt: skip
# Only what Pregonero needs: read the account and its statuses, post, upload.
SCOPES = (
    "read:accounts",
    "read:statuses",
    "read:notifications",
    "write:statuses",
    "write:media",
)

# Mastodon gives a length concession only to what its formatter will link: URLs
# with a scheme, and mentions (``@user`` or ``@user@domain``, counted as
# ``@user``). Trailing punctuation is not part of a URL.
URL_RE = regex.compile(r"(?<![\w/@.])https?://[^\s<>\"]+", regex.IGNORECASE)
MENTION_RE = regex.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w]+(?:[.-]+[\w]+)*)?",
    regex.IGNORECASE,
)
URL_TRAILING = ".,:;!?'\"¡¿"


def trim_url(url: str) -> str:
    """A URL without the punctuation that ends the sentence around it."""
    while url and (
        url[-1] in URL_TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))
    ):
        url = url[:-1]
    return url


def countable_text(text: str, url_weight: int = 23) -> str:
    """The text as the instance measures it: every URL replaced by ``url_weight``
    placeholder characters and every mention reduced to ``@user``."""
    spans: list[tuple[int, int, str]] = []
    for match in URL_RE.finditer(text):
        url = trim_url(match.group(0))
        spans.append((match.start(), match.start() + len(url), "x" * url_weight))
    for match in MENTION_RE.finditer(text):
        start, end = match.span()
        if any(start < e and s < end for s, e, _text in spans):
            continue  # inside a URL: not a mention
        spans.append((start, end, "@" + match.group(1)))
    pieces: list[str] = []
    cursor = 0
    for start, end, replacement in sorted(spans):
        pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def countable_length(text: str, url_weight: int = 23) -> int:
    """Grapheme clusters of ``countable_text`` (an emoji family counts 1)."""
    return len(regex.findall(r"\X", countable_text(text, url_weight)))


class _TextExtractor(html.parser.HTMLParser):
    """Mastodon returns ``content`` as HTML; this reads the text back out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self.paragraphs:
                self.parts.append("\n\n")
            self.paragraphs += 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    """The plain text of a status's HTML ``content`` (tags out, entities decoded)."""
    extractor = _TextExtractor()
    extractor.feed(content)
    extractor.close()
    return "".join(extractor.parts).strip()


def comparable(text: str) -> str:
    """Text normalised for matching a status: whitespace collapsed and remote
    mentions reduced to their local part (the HTML shows only ``@user``)."""
    reduced = MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    return " ".join(reduced.split())


def parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def reset_seconds(response: httpx.Response) -> float | None:
    """Seconds until the limit resets: Mastodon sends ``X-RateLimit-Reset`` as an
    ISO-8601 time, GoToSocial as a UNIX timestamp (reference §7.A.5)."""
    value = response.headers.get("x-ratelimit-reset", "")
    if not value:
        return None
    now = datetime.datetime.now(datetime.UTC)
    moment = parse_time(value)
    if moment is None:
        try:
            moment = datetime.datetime.fromtimestamp(float(value), datetime.UTC)
        except (ValueError, OverflowError):
            return None
    return max(0.0, (moment - now).total_seconds())


def error_text(response: httpx.Response) -> str:
    """Mastodon's error entity: ``{"error": "...", "error_description": "..."}``."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(data, dict):
        return response.text[:300]
    message = str(data.get("error", "") or "")
    description = str(data.get("error_description", "") or "")
    return f"{message}: {description}" if description else message


class MastodonAdapter(Adapter):
    """Mastodon over its REST API.

    Tokens do not expire (reference §7.A.1): they stay valid until the person
    or the instance revokes them, so there is no refresh (``supports_refresh``
    is False) and a 401 means "connect again". Status creation honours the
    ``Idempotency-Key`` header (kept for one hour per account), so a blind
    retry within the hour returns the status already created instead of a
    second one; ``find_post`` still reconciles by text for later retries.
    """

    slug = "mastodon"
    label = "Mastodon"
    connect_method = "register"
    uses_pkce = True
    supports_refresh = False
    honours_idempotency_key = True
    per_channel_host = True
    sandbox_prefix = "mastodon"
    # The instance comes from the channel; this host is only the fallback when
    # a channel has none (and what training rebases onto the sandbox).
    defaults = NetworkSettings(
        api_url="https://mastodon.social",
        web_url="https://mastodon.social",
        scopes=SCOPES,
    )

    # Video and audio are processed asynchronously: poll every ``poll_interval``
    # seconds, at most ``poll_attempts`` times (tests make the interval tiny).
    poll_interval: float = 2.0
    poll_attempts: int = 90
    supports_metrics = True
    inbound_kinds = ("comment", "mention", "direct_message")
    # A reply is a status with ``in_reply_to_id``; a private one is a ``direct``
    # status that mentions the author (Mastodon's direct messages).
    supports_public_reply = True
    supports_private_reply = True

    # -- URLs and limits ---------------------------------------------------------

    def _instance(self) -> str:
        base = (self.credentials.base_url or self.network.api_url).rstrip("/")
        if not base:
            raise AdapterError(
                _("El canal de Mastodon no tiene la dirección de su instancia."),
                permanent=True,
                code="no_instance",
            )
        return base

    def _url(self, path: str) -> str:
        return f"{self._instance()}{path}"

    def _auth(self, token: str | None = None) -> dict[str, str]:
        value = token or self.credentials.access_token
        return {"Authorization": f"Bearer {value}"} if value else {}

    def _scope(self) -> str:
        return " ".join(self.network.scopes or SCOPES)

    def limit(self, name: str) -> int:
        """An instance limit: the value stored at connect time, else Mastodon's default."""
        value = self.credentials.extra.get(name, "")
        try:
            return int(value) if value else DEFAULT_LIMITS[name]
        except ValueError:
            return DEFAULT_LIMITS[name]

    def _mime_types(self) -> frozenset[str]:
        stored = self.credentials.extra.get("supported_mime_types", "")
        if stored:
            return frozenset(t.strip() for t in stored.split(",") if t.strip())
        return DEFAULT_MIME_TYPES

    def instance_limits(self) -> dict[str, str]:
        """The instance's limits from ``GET /api/v2/instance``, as strings ready for
        ``credentials.extra`` (``validate`` cannot call the network itself)."""
        response = self.http.request(
            "GET", self._url("/api/v2/instance"), error_mapper=self._error
        )
        config = response.json().get("configuration", {}) or {}
        statuses = config.get("statuses", {}) or {}
        media = config.get("media_attachments", {}) or {}
        found: dict[str, str] = {}
        for name, source in (
            ("max_characters", statuses),
            ("max_media_attachments", statuses),
            ("characters_reserved_per_url", statuses),
            ("description_limit", media),
            ("image_size_limit", media),
            ("video_size_limit", media),
        ):
            if isinstance(source.get(name), int):
                found[name] = str(source[name])
        types = media.get("supported_mime_types")
        if isinstance(types, list) and types:
            found["supported_mime_types"] = ",".join(str(t) for t in types)
        return found

    # -- content -----------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        if not post.text.strip() and not post.media:
            issues.append(
                ValidationIssue(
                    "text", _("La publicación de Mastodon no tiene texto ni archivos.")
                )
            )
        url_weight = self.limit("characters_reserved_per_url")
        length = countable_length(post.text, url_weight)
        limit = self.limit("max_characters")
        if length > limit:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s caracteres (cada enlace cuenta "
                        "%(url)s); esta instancia de Mastodon admite %(limit)s."
                    )
                    % {"length": length, "url": url_weight, "limit": limit},
                )
            )
        issues.extend(self._validate_media(post.media))
        return issues

    def _validate_media(self, media: tuple[MediaRef, ...]) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        most = self.limit("max_media_attachments")
        if len(media) > most:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "La publicación tiene %(count)s archivos; Mastodon admite %(limit)s."
                    )
                    % {"count": len(media), "limit": most},
                )
            )
        moving = [m for m in media if m.kind in ("video", "audio")]
        if moving and len(media) > 1:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "Mastodon admite un solo video o audio por publicación, sin "
                        "imágenes; esta tiene %(count)s archivos."
                    )
                    % {"count": len(media)},
                )
            )
        described = self.limit("description_limit")
        types = self._mime_types()
        for index, item in enumerate(media):
            where = f"media[{index}]"
            if item.kind not in ("image", "video", "audio"):
                issues.append(
                    ValidationIssue(
                        where,
                        _("Mastodon no publica archivos de tipo %(kind)s (%(name)s).")
                        % {"kind": item.kind, "name": item.name},
                    )
                )
                continue
            if item.content_type not in types:
                issues.append(
                    ValidationIssue(
                        where,
                        _("Mastodon no admite el formato %(type)s (%(name)s).")
                        % {"type": item.content_type, "name": item.name},
                    )
                )
            size_key = (
                "image_size_limit" if item.kind == "image" else "video_size_limit"
            )
            size_limit = self.limit(size_key)
            if item.size > size_limit:
                issues.append(
                    ValidationIssue(
                        where,
                        _(
                            "El archivo %(name)s pesa %(size)s bytes; Mastodon admite "
                            "%(limit)s bytes para este tipo de archivo."
                        )
                        % {"name": item.name, "size": item.size, "limit": size_limit},
                    )
                )
            if not item.alt_text.strip():
                issues.append(
                    ValidationIssue(
                        f"{where}.alt_text",
                        _(
                            "El archivo %(name)s no tiene texto alternativo (descripción)."
                        )
                        % {"name": item.name},
                    )
                )
            elif len(item.alt_text) > described:
                issues.append(
                    ValidationIssue(
                        f"{where}.alt_text",
                        _(
                            "El texto alternativo de %(name)s tiene %(length)s "
                            "caracteres; Mastodon admite %(limit)s."
                        )
                        % {
                            "name": item.name,
                            "length": len(item.alt_text),
                            "limit": described,
                        },
                    )
                )
        return issues

    def publish(self, post: OutboundPost) -> Receipt:
        media_ids = [self._upload(item) for item in post.media]
        body: dict[str, Any] = {
            "status": post.text,
            "visibility": "public",
            "language": post.options.get("language", "es"),
        }
        if media_ids:
            body["media_ids"] = media_ids
        response = self.http.request(
            "POST",
            self._url("/api/v1/statuses"),
            creates=True,
            error_mapper=self._error,
            headers={**self._auth(), "Idempotency-Key": post.idempotency_key},
            json=body,
        )
        status = response.json()
        return Receipt(
            platform_id=str(status["id"]),
            permalink=str(status.get("url") or status.get("uri") or ""),
            published_at=parse_time(status.get("created_at"))
            or datetime.datetime.now(datetime.UTC),
        )

    def _upload(self, item: MediaRef) -> str:
        """Upload one file with its alt text; wait until the instance processed it."""
        name = item.name or os.path.basename(item.path)
        with item.open() as handle:
            response = self.http.request(
                "POST",
                self._url("/api/v2/media"),
                creates=True,
                error_mapper=self._error,
                headers=self._auth(),
                files={"file": (name, handle, item.content_type)},
                data={"description": item.alt_text},
            )
        attachment = response.json()
        if response.status_code == 202 or not attachment.get("url"):
            attachment = self._wait_for_media(str(attachment["id"]), name)
        return str(attachment["id"])

    def _wait_for_media(self, media_id: str, name: str) -> dict[str, Any]:
        """Poll ``GET /api/v1/media/:id``: 206 while processing, 200 when done."""

        def failed(response: httpx.Response) -> AdapterError | None:
            if response.status_code == 422:
                return ContentRejected(
                    _("Mastodon no pudo procesar el archivo %(name)s: %(detail)s")
                    % {"name": name, "detail": error_text(response)},
                    code="media_failed",
                )
            return self._error(response)

        for _attempt in range(self.poll_attempts):
            time.sleep(self.poll_interval)
            response = self.http.request(
                "GET",
                self._url(f"/api/v1/media/{media_id}"),
                error_mapper=failed,
                headers=self._auth(),
            )
            attachment: dict[str, Any] = response.json()
            if response.status_code == 200 and attachment.get("url"):
                return attachment
        raise AdapterError(
            _(
                "Mastodon sigue procesando el archivo %(name)s después de "
                "%(seconds)s segundos; se reintentará."
            )
            % {"name": name, "seconds": int(self.poll_interval * self.poll_attempts)},
            code="media_processing",
        )

    def delete(self, platform_id: str) -> None:
        """Delete the status; one already gone (404) counts as deleted."""
        self.http.request(
            "DELETE",
            self._url(f"/api/v1/statuses/{platform_id}"),
            creates=True,
            error_mapper=self._error,
            expect=(404,),
            headers=self._auth(),
        )

    def _own_statuses(self, limit: int) -> Iterator[dict[str, Any]]:
        """The account's own statuses, newest first (no reblogs), at most
        ``limit``, paged by ``max_id`` 40 at a time."""
        account_id = self.credentials.account_id or self.account().account_id
        seen = 0
        max_id = ""
        while seen < limit:
            params = {"limit": str(min(40, limit - seen)), "exclude_reblogs": "true"}
            if max_id:
                params["max_id"] = max_id
            response = self.http.request(
                "GET",
                self._url(f"/api/v1/accounts/{account_id}/statuses"),
                error_mapper=self._error,
                headers=self._auth(),
                params=params,
            )
            page = response.json()
            if not page:
                return
            for status in page:
                if isinstance(status, dict) and seen < limit:
                    seen += 1
                    yield status
            max_id = str(page[-1]["id"])

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        return [
            RemotePost(
                platform_id=str(status["id"]),
                text=html_to_text(str(status.get("content") or "")),
                created_at=parse_time(status.get("created_at")),
                permalink=str(status.get("url") or status.get("uri") or ""),
            )
            for status in self._own_statuses(limit)
        ]

    def find_post(
        self, post: OutboundPost, since: datetime.datetime
    ) -> RemotePost | None:
        """The status whose text (read back from its HTML) matches ``post``.

        A retry with the same ``Idempotency-Key`` is already safe for an hour;
        this is for reconciling later. The HTML drops the domain of a remote
        mention, so both sides are compared with mentions reduced to ``@user``.
        """
        wanted = comparable(post.text)
        for remote in self.recent_posts():
            if remote.created_at is not None and remote.created_at < since:
                continue
            if comparable(remote.text) == wanted:
                return remote
        return None

    # -- accounts ----------------------------------------------------------------

    def register_app(self, instance_url: str, redirect_uri: str) -> tuple[str, str]:
        """Register Pregonero on ``instance_url`` (``POST /api/v1/apps``) and return
        its ``(client_id, client_secret)`` for that instance."""
        base = (instance_url or self._instance()).rstrip("/")
        response = self.http.request(
            "POST",
            f"{base}/api/v1/apps",
            creates=True,
            error_mapper=self._error,
            data={
                "client_name": "Pregonero",
                "redirect_uris": redirect_uri,
                "scopes": self._scope(),
                "website": str(getattr(settings, "SITE_URL", "")),
            },
        )
        data = response.json()
        return str(data["client_id"]), str(data["client_secret"])

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": self.network.client_id,
            "redirect_uri": redirect_uri,
            "scope": self._scope(),
            "state": state,
        }
        if code_challenge:
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        return self.with_query(self._url("/oauth/authorize"), **params)

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.network.client_id,
            "client_secret": self.network.client_secret,
            "scope": self._scope(),
        }
        if code_verifier:
            data["code_verifier"] = code_verifier
        response = self.http.request(
            "POST", self._url("/oauth/token"), error_mapper=self._oauth_error, data=data
        )
        grant = response.json()
        token = str(grant["access_token"])
        person = self._verify(token)
        if (
            self.credentials.account_id
            and person.account_id != self.credentials.account_id
        ):
            raise ContentRejected(
                _(
                    "La cuenta autorizada en Mastodon (%(handle)s) no es la del "
                    "canal; inicie sesión con la cuenta de la entidad."
                )
                % {"handle": person.handle},
                code="wrong_account",
            )
        return TokenSet(
            access_token=token,
            scopes=tuple(str(grant.get("scope", "")).split()),
            account_id=person.account_id,
            handle=person.handle,
        )

    def account(self) -> AccountInfo:
        return self._verify(self.credentials.access_token)

    # -- metrics ---------------------------------------------------------------------

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """Mastodon keeps no daily figures: the follower count, a level read now
        from ``verify_credentials``."""
        response = self.http.request(
            "GET",
            self._url("/api/v1/accounts/verify_credentials"),
            error_mapper=self._error,
            headers=self._auth(),
        )
        data = response.json()
        if not isinstance(data, dict) or "followers_count" not in data:
            return []
        return [MetricSample("followers_count", self.total(data["followers_count"]))]

    def _snapshot(self, status: dict[str, Any]) -> PostSnapshot:
        media = status.get("media_attachments") or []
        first = media[0] if media and isinstance(media[0], dict) else {}
        return PostSnapshot(
            platform_id=str(status["id"]),
            published_at=parse_time(status.get("created_at")),
            permalink=str(status.get("url") or status.get("uri") or ""),
            text=html_to_text(str(status.get("content") or "")),
            post_type=str(first.get("type") or "status"),
            thumbnail_url=str(first.get("preview_url") or ""),
            metrics={
                name: self.total(status.get(name))
                for name in ("favourites_count", "reblogs_count", "replies_count")
            },
        )

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """``GET /api/v1/statuses/:id`` each; a status gone (404) is left out."""
        snapshots: list[PostSnapshot] = []
        for status_id in platform_ids:
            response = self.http.request(
                "GET",
                self._url(f"/api/v1/statuses/{urllib.parse.quote(status_id, safe='')}"),
                error_mapper=self._error,
                headers=self._auth(),
                expect=(404,),
            )
            if response.status_code == 404:
                continue
            data = response.json()
            if isinstance(data, dict) and data.get("id"):
                snapshots.append(self._snapshot(data))
        return snapshots

    def recent_posts_with_metrics(self, limit: int = 50) -> list[PostSnapshot]:
        """The account's statuses carry their counts: one listing is enough."""
        return [self._snapshot(status) for status in self._own_statuses(limit)]

    def _verify(self, token: str) -> AccountInfo:
        response = self.http.request(
            "GET",
            self._url("/api/v1/accounts/verify_credentials"),
            error_mapper=self._error,
            headers=self._auth(token),
        )
        data = response.json()
        return AccountInfo(
            account_id=str(data["id"]),
            handle=str(data.get("acct") or data.get("username") or ""),
            name=str(data.get("display_name") or ""),
            url=str(data.get("url") or ""),
        )

    # -- inbound (issue 6) ---------------------------------------------------------

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Mention notifications after ``cursor`` (a notification id), reading
        back by ``max_id`` through the ``Link`` header (reference §7.A.4).

        A reply to one of the account's posts is a comment on that post; a
        ``direct`` status is a private message; any other mention stands alone."""
        own = self.credentials.account_id
        found: dict[str, InboundEntry] = {}
        newest = cursor
        url = self._url("/api/v1/notifications")
        params: dict[str, str] | None = {"types[]": "mention", "limit": "80"}
        if cursor and params is not None:
            params["since_id"] = cursor
        while url:
            response = self.http.request(
                "GET",
                url,
                error_mapper=self._error,
                headers=self._auth(),
                params=params,
            )
            for notification in response.json() or []:
                if notification.get("type") != "mention":
                    continue
                entry = self._inbound_entry(notification, own)
                if entry is not None:
                    found[entry.platform_id] = entry
                number = str(notification.get("id") or "")
                if number.isdigit() and (
                    not newest or int(number) > int(newest or "0")
                ):
                    newest = number
            url = response.links.get("next", {}).get("url", "")
            params = None
        entries = sorted(
            found.values(), key=lambda e: int(e.raw.get("notification", "0") or 0)
        )
        return InboundPage(entries, newest)

    def _inbound_entry(
        self, notification: dict[str, Any], own: str
    ) -> InboundEntry | None:
        status = notification.get("status") or {}
        account = status.get("account") or notification.get("account") or {}
        created = parse_time(status.get("created_at") or notification.get("created_at"))
        if not status.get("id") or created is None:
            return None
        status_id = str(status["id"])
        handle = str(account.get("acct") or account.get("username") or "")
        if status.get("visibility") == "direct":
            kind, thread = "direct_message", f"dm:{handle}"
        elif status.get("in_reply_to_id") and (
            not own or str(status.get("in_reply_to_account_id") or "") == own
        ):
            kind, thread = "comment", str(status["in_reply_to_id"])
        else:
            kind, thread = "mention", status_id
        return InboundEntry(
            kind=kind,
            platform_id=status_id,
            author_handle=handle,
            author_name=str(account.get("display_name") or ""),
            text=html_to_text(str(status.get("content") or "")),
            received_at=created,
            thread_key=thread,
            url=str(status.get("url") or status.get("uri") or ""),
            raw={"notification": str(notification.get("id") or "")},
        )

    # -- replies (issue 6) -----------------------------------------------------------

    def _reply_text(self, reply: OutboundReply) -> str:
        handle = reply.author_handle.lstrip("@")
        mention = f"@{handle}"
        if handle and mention.lower() not in reply.text.lower():
            return f"{mention} {reply.text}"
        return reply.text

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        return self.validate(
            OutboundPost(text=self._reply_text(reply), idempotency_key="")
        )

    def reply(self, reply: OutboundReply) -> Receipt:
        """``POST /api/v1/statuses`` with ``in_reply_to_id`` and the reply's
        ``Idempotency-Key`` (a repeat within the hour returns the same status)."""
        response = self.http.request(
            "POST",
            self._url("/api/v1/statuses"),
            creates=True,
            error_mapper=self._error,
            headers={**self._auth(), "Idempotency-Key": reply.idempotency_key},
            json={
                "status": self._reply_text(reply),
                "in_reply_to_id": reply.in_reply_to,
                "visibility": "direct" if reply.private else "public",
                "language": "es",
            },
        )
        status = response.json()
        return Receipt(
            platform_id=str(status["id"]),
            permalink=str(status.get("url") or status.get("uri") or ""),
            published_at=parse_time(status.get("created_at"))
            or datetime.datetime.now(datetime.UTC),
        )

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """Our status among the replies under the entry
        (``GET /api/v1/statuses/:id/context``, its descendants)."""
        response = self.http.request(
            "GET",
            self._url(f"/api/v1/statuses/{reply.in_reply_to}/context"),
            error_mapper=self._error,
            headers=self._auth(),
        )
        own = self.credentials.account_id
        wanted = comparable(self._reply_text(reply))
        for status in (response.json() or {}).get("descendants") or []:
            account = str((status.get("account") or {}).get("id") or "")
            if own and account != own:
                continue
            if str(status.get("in_reply_to_id") or "") != reply.in_reply_to:
                continue
            if comparable(html_to_text(str(status.get("content") or ""))) == wanted:
                return RemotePost(
                    platform_id=str(status["id"]),
                    text=html_to_text(str(status.get("content") or "")),
                    created_at=parse_time(status.get("created_at")),
                    permalink=str(status.get("url") or status.get("uri") or ""),
                )
        return None

    # -- errors ------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> AdapterError | None:
        """Read Mastodon's ``{"error": ...}`` entity (reference §7.A.2, §7.A.5)."""
        status = response.status_code
        detail = error_text(response)
        if status == 401:
            if "expired" in detail.lower():
                return AuthError(
                    _("El token de Mastodon venció: %(detail)s") % {"detail": detail},
                    revoked=False,
                    code="token_expired",
                )
            return AuthError(
                _(
                    "Mastodon no acepta el token de acceso (%(detail)s); vuelva a "
                    "conectar el canal."
                )
                % {"detail": detail},
                revoked=True,
                code="token_revoked",
            )
        if status == 403:
            return AuthError(
                _(
                    "Mastodon no permite esta acción con la autorización actual: %(detail)s"
                )
                % {"detail": detail},
                revoked=True,
                code="forbidden",
            )
        if status == 429:
            return RateLimited(
                _("Mastodon limitó el número de solicitudes; se reintentará."),
                retry_after=reset_seconds(response),
            )
        if status == 422:
            if "not finished processing" in detail:
                return AdapterError(
                    _("Mastodon aún procesa un archivo adjunto; se reintentará."),
                    code="media_not_ready",
                )
            return ContentRejected(
                _("Mastodon rechazó la publicación: %(detail)s") % {"detail": detail},
                code="validation_failed",
            )
        if status >= 500:
            return AdapterError(
                _("Mastodon tuvo un error interno (HTTP %(status)s); se reintentará.")
                % {"status": status},
                code=f"http_{status}",
            )
        return None

    def _oauth_error(self, response: httpx.Response) -> AdapterError | None:
        """The token endpoint's OAuth errors (``invalid_grant``, ``invalid_client``)."""
        if response.status_code in (400, 401):
            return AuthError(
                _("Mastodon rechazó la autorización: %(detail)s")
                % {"detail": error_text(response)},
                revoked=True,
                code="invalid_grant",
            )
        return self._error(response)
