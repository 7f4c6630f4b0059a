"""Bluesky: posts written as records in the account's AT Protocol repository.

Every call is XRPC on the channel's own host (``credentials.base_url``: the
account's PDS, or the ``https://bsky.social`` entryway). Facts come from
``reference/social_apis.md`` §7.B: sessions from an app password
(``createSession``/``refreshSession``), blobs, the post record and its facets,
XRPC errors and rate-limit headers.

Never publishing twice. AT Protocol has no idempotency key and no duplicate
detection (§7.B.8), so the adapter chooses the record key itself: a TID derived
from the publication's idempotency key (``rkey_for``), the same on every attempt.
``publish`` first reads that record (``getRecord``): if it exists, an earlier
attempt already published it and its receipt is returned. Otherwise it writes
with ``putRecord`` and ``swapRecord: null`` — compare-and-swap "only if absent",
answered with ``InvalidSwap`` when the record appeared meanwhile (then the
existing record is returned). ``createRecord`` with an explicit key is not used
because the reference PDS answers a taken key with a bare HTTP 500, which
cannot be told from a real server error. Even a PDS that ignored the null swap
would overwrite the same record with the same post: still one post.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import regex  # type: ignore[import-untyped]
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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
from .errors import AdapterError, AuthError, ContentRejected, Duplicate, RateLimited

POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images maxSize
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_TAG_GRAPHEMES = 64

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# A TID is 64 bits: a zero bit, 53 bits of microseconds since the UNIX epoch and
# 10 bits of clock id. The record key only has to be a valid TID that the same
# publication always maps to; its time part is therefore taken from a hash and
# placed in 2023 (never in the future), so it carries no meaning for ordering.
RKEY_EPOCH_MICROS = 1_672_531_200 * 1_000_000  # 2023-01-01T00:00:00Z
RKEY_SPAN_BITS = 44  # about 200 days of microseconds

# Facets (§7.B.3). Links need a scheme; a mention is a handle with a dot; a
# hashtag ends at whitespace, without its trailing punctuation.
LINK_RE = regex.compile(r"(?<![\w@/.])https?://[^\s<>\"]+", regex.IGNORECASE)
MENTION_RE = regex.compile(
    r"(?<![\w@/.])@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)(?![\w-])",
    regex.IGNORECASE,
)
TAG_RE = regex.compile(
    r"(?<![\w#＃&])[#＃]((?!\ufe0f)[^\s\u00ad\u2060\u200a-\u200d\u20e2#＃]+)"
)
URL_TRAILING = ".,:;!?'\"¡¿"


POST_COUNTS = ("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount")


def rkey_for(idempotency_key: str) -> str:
    """The record key (a TID) of the publication with ``idempotency_key``.

    SHA-256 of the key gives 44 bits of microseconds after 2023-01-01 and 10
    bits of clock id; the 64-bit number is written in base32-sortable, 13
    characters.
    """
    digest = hashlib.sha256(f"pregonero:bluesky:{idempotency_key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    micros = RKEY_EPOCH_MICROS + (number >> (64 - RKEY_SPAN_BITS))
    clock = (number >> (64 - RKEY_SPAN_BITS - 10)) & 0x3FF
    value = (micros << 10) | clock
    chars = []
    for _position in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def _trim(url: str) -> str:
    while url and (
        url[-1] in URL_TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))
    ):
        url = url[:-1]
    return url


@dataclass(frozen=True)
class Entity:
    """A link, mention or hashtag found in the text (character offsets)."""

    kind: str  # link, mention, tag
    start: int
    end: int
    value: str  # the URI, the handle, or the tag without "#"


def entities(text: str) -> list[Entity]:
    """Links, then mentions and hashtags that do not overlap a link, in order."""
    found: list[Entity] = []
    for match in LINK_RE.finditer(text):
        url = _trim(match.group(0))
        found.append(Entity("link", match.start(), match.start() + len(url), url))

    def free(start: int, end: int) -> bool:
        return not any(start < e.end and e.start < end for e in found)

    for match in MENTION_RE.finditer(text):
        start, end = match.span()
        if free(start, end):
            found.append(Entity("mention", start, end, match.group(1).lower()))
    for match in TAG_RE.finditer(text):
        tag = regex.sub(r"\p{P}+$", "", match.group(1))
        end = match.start() + 1 + len(tag)
        if tag and not tag.isdigit() and free(match.start(), end):
            found.append(Entity("tag", match.start(), end, tag))
    return sorted(found, key=lambda e: e.start)


def facets(text: str, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """The record's facets, with UTF-8 byte offsets (start inclusive, end
    exclusive). A mention whose handle does not resolve stays plain text, and
    so does a hashtag over 64 graphemes."""
    result: list[dict[str, Any]] = []
    for entity in entities(text):
        feature: dict[str, Any]
        if entity.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": entity.value}
        elif entity.kind == "mention":
            did = resolve(entity.value)
            if not did:
                continue
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        else:
            if graphemes(entity.value) > MAX_TAG_GRAPHEMES:
                continue
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": entity.value}
        result.append(
            {
                "index": {
                    "byteStart": utf8_length(text[: entity.start]),
                    "byteEnd": utf8_length(text[: entity.end]),
                },
                "features": [feature],
            }
        )
    return result


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (the client only needs ``exp``)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def jwt_expiry(token: str) -> datetime.datetime | None:
    exp = jwt_claims(token).get("exp")
    if isinstance(exp, int | float):
        return datetime.datetime.fromtimestamp(exp, datetime.UTC)
    return None


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


def xrpc_error(response: httpx.Response) -> tuple[str, str]:
    """``(error, message)`` of an XRPC error body (§7.B.7)."""
    try:
        data = response.json()
    except ValueError:
        return "", response.text[:300]
    if not isinstance(data, dict):
        return "", response.text[:300]
    return str(data.get("error", "") or ""), str(data.get("message", "") or "")


def reset_seconds(response: httpx.Response) -> float | None:
    """Seconds until ``RateLimit-Reset`` (a UNIX time, §7.B.6)."""
    value = response.headers.get("ratelimit-reset", "")
    try:
        reset = float(value)
    except ValueError:
        return None
    now = datetime.datetime.now(datetime.UTC).timestamp()
    return max(0.0, reset - now)


class BlueskyAdapter(Adapter):
    """Bluesky with an app password.

    The person creates an app password in Bluesky's settings and gives it with
    their handle; ``login`` trades them for a session (short-lived access JWT,
    long-lived refresh JWT); ``refresh`` rotates them with ``refreshSession``.
    The app password itself is never stored.
    """

    slug = "bluesky"
    label = "Bluesky"
    connect_method = "password"
    supports_refresh = True
    # The record key is chosen in advance from the idempotency key and written
    # only if absent, so a blind retry cannot create a second post.
    honours_idempotency_key = True
    per_channel_host = True
    sandbox_prefix = "bluesky"
    defaults = NetworkSettings(
        api_url="https://bsky.social", web_url="https://bsky.app"
    )
    supports_metrics = True
    # Mentions and replies; chat messages (chat.bsky.*) are not read yet.
    inbound_kinds = ("comment", "mention")
    # A reply is a post record with ``reply{root, parent}`` (§7.B.2), written
    # like a post at a key derived from the reply's idempotency key. Chat
    # (chat.bsky.*) is another service, not in the reference contract.
    supports_public_reply = True
    private_reply_unavailable = _lazy(
        "Pregonero no envía mensajes directos de Bluesky: responda en público sin "
        "datos personales e invite a la persona a escribir por un canal privado."
    )

    # -- URLs --------------------------------------------------------------------

    def _xrpc(self, nsid: str) -> str:
        host = (self.credentials.base_url or self.network.api_url).rstrip("/")
        return f"{host}/xrpc/{nsid}"

    def _auth(self, token: str | None = None) -> dict[str, str]:
        value = token or self.credentials.access_token
        return {"Authorization": f"Bearer {value}"} if value else {}

    def _repo(self) -> str:
        return self.credentials.account_id or self.credentials.handle.lstrip("@")

    def _permalink(self, rkey: str, handle: str = "") -> str:
        who = (
            handle or self.credentials.handle.lstrip("@") or self.credentials.account_id
        )
        return f"{self.network.web_url.rstrip('/')}/profile/{who}/post/{rkey}"

    # -- content -----------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        if not post.text.strip() and not post.media:
            issues.append(
                ValidationIssue(
                    "text", _("La publicación de Bluesky no tiene texto ni imágenes.")
                )
            )
        length = graphemes(post.text)
        if length > MAX_GRAPHEMES:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s caracteres (grafemas); Bluesky admite %(limit)s."
                    )
                    % {"length": length, "limit": MAX_GRAPHEMES},
                )
            )
        size = utf8_length(post.text)
        if size > MAX_BYTES:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto ocupa %(size)s bytes en UTF-8; Bluesky admite %(limit)s."
                    )
                    % {"size": size, "limit": MAX_BYTES},
                )
            )
        for entity in entities(post.text):
            if entity.kind == "tag" and graphemes(entity.value) > MAX_TAG_GRAPHEMES:
                issues.append(
                    ValidationIssue(
                        "text",
                        _(
                            "La etiqueta #%(tag)s tiene más de %(limit)s caracteres; "
                            "Bluesky la mostrará como texto sin enlace."
                        )
                        % {"tag": entity.value[:20] + "…", "limit": MAX_TAG_GRAPHEMES},
                        severity="warning",
                    )
                )
        issues.extend(self._validate_media(post.media))
        return issues

    def _validate_media(self, media: tuple[MediaRef, ...]) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        if len(media) > MAX_IMAGES:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "La publicación tiene %(count)s imágenes; Bluesky admite %(limit)s."
                    )
                    % {"count": len(media), "limit": MAX_IMAGES},
                )
            )
        for index, item in enumerate(media):
            where = f"media[{index}]"
            if item.kind != "image":
                message = (
                    _(
                        "Pregonero aún no publica video en Bluesky (%(name)s); use imágenes."
                    )
                    if item.kind == "video"
                    else _(
                        "Bluesky solo admite imágenes; %(name)s es de tipo %(kind)s."
                    )
                )
                issues.append(
                    ValidationIssue(
                        where, message % {"name": item.name, "kind": item.kind}
                    )
                )
                continue
            if item.content_type not in IMAGE_TYPES:
                issues.append(
                    ValidationIssue(
                        where,
                        _(
                            "Bluesky admite imágenes JPEG, PNG, WebP o GIF; %(name)s es "
                            "%(type)s."
                        )
                        % {"name": item.name, "type": item.content_type},
                    )
                )
            if item.size > MAX_IMAGE_BYTES:
                issues.append(
                    ValidationIssue(
                        where,
                        _(
                            "La imagen %(name)s pesa %(size)s bytes; Bluesky admite %(limit)s."
                        )
                        % {
                            "name": item.name,
                            "size": item.size,
                            "limit": MAX_IMAGE_BYTES,
                        },
                    )
                )
            if not item.alt_text.strip():
                issues.append(
                    ValidationIssue(
                        f"{where}.alt_text",
                        _("La imagen %(name)s no tiene texto alternativo.")
                        % {"name": item.name},
                    )
                )
        return issues

    def publish(self, post: OutboundPost) -> Receipt:
        return self._write_once(
            rkey_for(post.idempotency_key), lambda: self._record(post)
        )

    def _write_once(self, rkey: str, build: Callable[[], dict[str, Any]]) -> Receipt:
        """The post record at ``rkey``, written only if absent: a retry (or a
        second worker) finds the first one instead of posting twice. ``build``
        runs only when the record is not there yet (it may upload images)."""
        existing = self._get_record(rkey)
        if existing is not None:
            return self._receipt(rkey, existing)
        record = build()
        try:
            self.http.request(
                "POST",
                self._xrpc("com.atproto.repo.putRecord"),
                creates=True,
                error_mapper=self._error,
                headers=self._auth(),
                json={
                    "repo": self._repo(),
                    "collection": POST_COLLECTION,
                    "rkey": rkey,
                    "validate": True,
                    "record": record,
                    "swapRecord": None,  # only if absent
                },
            )
        except Duplicate:
            existing = self._get_record(rkey)  # an earlier attempt got there first
            if existing is None:
                raise
            return self._receipt(rkey, existing)
        return self._receipt(rkey, record)

    def _record(self, post: OutboundPost) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": post.text,
            "createdAt": datetime.datetime.now(datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "langs": [post.options.get("language", "es")],
        }
        resolved: dict[str, str | None] = {}

        def resolve(handle: str) -> str | None:
            if handle not in resolved:
                resolved[handle] = self._resolve_handle(handle)
            return resolved[handle]

        found = facets(post.text, resolve)
        if found:
            record["facets"] = found
        if post.media:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [self._image(item) for item in post.media],
            }
        return record

    def _image(self, item: MediaRef) -> dict[str, Any]:
        with item.open() as handle:
            data = handle.read()
        response = self.http.request(
            "POST",
            self._xrpc("com.atproto.repo.uploadBlob"),
            creates=True,
            error_mapper=self._error,
            headers={**self._auth(), "Content-Type": item.content_type},
            content=data,
        )
        image: dict[str, Any] = {"alt": item.alt_text, "image": response.json()["blob"]}
        if item.width and item.height:
            image["aspectRatio"] = {"width": item.width, "height": item.height}
        return image

    def _resolve_handle(self, handle: str) -> str | None:
        response = self.http.request(
            "GET",
            self._xrpc("com.atproto.identity.resolveHandle"),
            error_mapper=self._error,
            expect=(400,),
            params={"handle": handle},
        )
        if response.status_code == 400:
            return None  # not a Bluesky handle: the mention stays plain text
        did = response.json().get("did")
        return str(did) if did else None

    def _get_record(self, rkey: str) -> dict[str, Any] | None:
        """The post record at ``rkey`` (its ``value``), or None when there is none."""
        response = self.http.request(
            "GET",
            self._xrpc("com.atproto.repo.getRecord"),
            error_mapper=self._error,
            expect=(400, 404),
            headers=self._auth(),
            params={"repo": self._repo(), "collection": POST_COLLECTION, "rkey": rkey},
        )
        if response.status_code in (400, 404):
            name, _message = xrpc_error(response)
            if name == "RecordNotFound" or response.status_code == 404:
                return None
            raise self._error(response) or ContentRejected(
                _("Bluesky rechazó la consulta del registro: %(detail)s")
                % {"detail": response.text[:200]}
            )
        value = response.json().get("value")
        return value if isinstance(value, dict) else None

    def _receipt(self, rkey: str, record: dict[str, Any]) -> Receipt:
        return Receipt(
            platform_id=f"at://{self._repo()}/{POST_COLLECTION}/{rkey}",
            permalink=self._permalink(rkey),
            published_at=parse_time(record.get("createdAt"))
            or datetime.datetime.now(datetime.UTC),
        )

    def delete(self, platform_id: str) -> None:
        """Delete the record (accepts its AT URI or its bare record key)."""
        self.http.request(
            "POST",
            self._xrpc("com.atproto.repo.deleteRecord"),
            creates=True,
            error_mapper=self._error,
            headers=self._auth(),
            json={
                "repo": self._repo(),
                "collection": POST_COLLECTION,
                "rkey": platform_id.rsplit("/", 1)[-1],
            },
        )

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        """The latest post records from the repository (``listRecords``).

        Records come in record-key order, and Pregonero's keys are derived from
        a hash (see ``rkey_for``), so the page is re-sorted by ``createdAt``.
        """
        posts: list[RemotePost] = []
        cursor = ""
        while len(posts) < limit:
            params = {
                "repo": self._repo(),
                "collection": POST_COLLECTION,
                "limit": str(min(100, limit - len(posts))),
            }
            if cursor:
                params["cursor"] = cursor
            response = self.http.request(
                "GET",
                self._xrpc("com.atproto.repo.listRecords"),
                error_mapper=self._error,
                headers=self._auth(),
                params=params,
            )
            data = response.json()
            for item in data.get("records", []):
                value = item.get("value", {})
                rkey = str(item["uri"]).rsplit("/", 1)[-1]
                posts.append(
                    RemotePost(
                        platform_id=str(item["uri"]),
                        text=str(value.get("text", "")),
                        created_at=parse_time(value.get("createdAt")),
                        permalink=self._permalink(rkey),
                    )
                )
            cursor = str(data.get("cursor") or "")
            if not cursor or not data.get("records"):
                break
        oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        posts.sort(key=lambda p: p.created_at or oldest, reverse=True)
        return posts[:limit]

    # -- inbound (issue 6, §7.B.5) --------------------------------------------------

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Mention and reply notifications (``listNotifications``, newest first)
        down to the checkpoint ``cursor`` (the ``indexedAt`` of the newest one
        already stored; equal times are read again and recognised as duplicates).
        A reply is a comment in the thread of its root post."""
        found: dict[str, InboundEntry] = {}
        newest = cursor
        page_cursor = ""
        while True:
            params: dict[str, Any] = {"limit": "100", "reasons": ["mention", "reply"]}
            if page_cursor:
                params["cursor"] = page_cursor
            response = self.http.request(
                "GET",
                self._xrpc("app.bsky.notification.listNotifications"),
                error_mapper=self._error,
                headers=self._auth(),
                params=params,
            )
            data = response.json()
            reached = False
            for note in data.get("notifications") or []:
                indexed = str(note.get("indexedAt") or "")
                if cursor and indexed and indexed < cursor:
                    reached = True
                    break
                entry = self._inbound_entry(note)
                if entry is not None:
                    found.setdefault(entry.platform_id, entry)
                if indexed > newest:
                    newest = indexed
            page_cursor = str(data.get("cursor") or "")
            if reached or not page_cursor or not data.get("notifications"):
                break
        entries = sorted(found.values(), key=lambda e: str(e.raw.get("indexedAt")))
        return InboundPage(entries, newest)

    def _inbound_entry(self, note: dict[str, Any]) -> InboundEntry | None:
        reason = note.get("reason")
        if reason not in ("mention", "reply"):
            return None
        record = note.get("record") or {}
        created = parse_time(record.get("createdAt") or note.get("indexedAt"))
        uri = str(note.get("uri") or "")
        if created is None or not uri:
            return None
        author = note.get("author") or {}
        handle = str(author.get("handle") or author.get("did") or "")
        root = ((record.get("reply") or {}).get("root") or {}).get("uri", "")
        kind, thread = ("comment", str(root)) if reason == "reply" else ("mention", uri)
        return InboundEntry(
            kind=kind,
            platform_id=uri,
            author_handle=handle,
            author_name=str(author.get("displayName") or ""),
            text=str(record.get("text") or ""),
            received_at=created,
            thread_key=thread or uri,
            url=self._permalink(uri.rsplit("/", 1)[-1], handle),
            raw={"indexedAt": str(note.get("indexedAt") or "")},
        )

    # -- metrics (§7.B.5) --------------------------------------------------------------

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """Bluesky keeps no daily figures: ``followersCount`` from
        ``app.bsky.actor.getProfile``, a level read now."""
        response = self.http.request(
            "GET",
            self._xrpc("app.bsky.actor.getProfile"),
            error_mapper=self._error,
            headers=self._auth(),
            params={"actor": self._repo()},
        )
        data = response.json()
        if not isinstance(data, dict) or "followersCount" not in data:
            return []
        return [MetricSample("followersCount", self.total(data["followersCount"]))]

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """``app.bsky.feed.getPosts``, 25 AT URIs a request; posts gone are left out."""
        snapshots: list[PostSnapshot] = []
        for start in range(0, len(platform_ids), 25):
            response = self.http.request(
                "GET",
                self._xrpc("app.bsky.feed.getPosts"),
                error_mapper=self._error,
                headers=self._auth(),
                params=[("uris", uri) for uri in platform_ids[start : start + 25]],
            )
            for view in response.json().get("posts") or []:
                if not isinstance(view, dict) or not view.get("uri"):
                    continue
                uri = str(view["uri"])
                record = view.get("record") or {}
                author = view.get("author") or {}
                snapshots.append(
                    PostSnapshot(
                        platform_id=uri,
                        published_at=parse_time(record.get("createdAt"))
                        or parse_time(view.get("indexedAt")),
                        permalink=self._permalink(
                            uri.rsplit("/", 1)[-1], str(author.get("handle") or "")
                        ),
                        text=str(record.get("text") or ""),
                        post_type="post",
                        metrics={
                            name: self.total(view[name])
                            for name in POST_COUNTS
                            if name in view
                        },
                    )
                )
        return snapshots

    def find_post(
        self, post: OutboundPost, since: datetime.datetime
    ) -> RemotePost | None:
        """The record at the key derived from the publication: a strong match, so
        neither the text nor ``since`` matters."""
        rkey = rkey_for(post.idempotency_key)
        record = self._get_record(rkey)
        if record is None:
            return None
        return RemotePost(
            platform_id=f"at://{self._repo()}/{POST_COLLECTION}/{rkey}",
            text=str(record.get("text", "")),
            created_at=parse_time(record.get("createdAt")),
            permalink=self._permalink(rkey),
        )

    # -- replies (issue 6, §7.B.2) -----------------------------------------------------

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        return self.validate(OutboundPost(text=reply.text, idempotency_key=""))

    def _reply_refs(self, uri: str) -> dict[str, Any]:
        """``reply{root, parent}`` for a reply to the post at ``uri``: its cid
        and its own root (the thread's first post) read with
        ``app.bsky.feed.getPosts`` (the inbox keeps only the entry's AT URI)."""
        response = self.http.request(
            "GET",
            self._xrpc("app.bsky.feed.getPosts"),
            error_mapper=self._error,
            headers=self._auth(),
            params=[("uris", uri)],
        )
        view = next(
            (
                v
                for v in response.json().get("posts") or []
                if isinstance(v, dict) and v.get("uri") == uri and v.get("cid")
            ),
            None,
        )
        if view is None:
            raise ContentRejected(
                _(
                    "Bluesky ya no muestra la publicación a la que se responde (fue "
                    "borrada o no es visible)."
                ),
                code="reply_target_missing",
            )
        parent = {"uri": uri, "cid": str(view["cid"])}
        root = ((view.get("record") or {}).get("reply") or {}).get("root") or {}
        if not (isinstance(root, dict) and root.get("uri") and root.get("cid")):
            root = parent
        return {
            "root": {"uri": str(root["uri"]), "cid": str(root["cid"])},
            "parent": parent,
        }

    def reply(self, reply: OutboundReply) -> Receipt:
        """Write the reply record at ``rkey_for(idempotency key)`` with
        ``putRecord`` "only if absent", as ``publish`` does: a retry after an
        unknown outcome finds the record instead of writing a second one."""
        if reply.private:
            raise ContentRejected(
                str(self.private_reply_unavailable), code="private_unavailable"
            )

        def build() -> dict[str, Any]:
            record = self._record(
                OutboundPost(text=reply.text, idempotency_key=reply.idempotency_key)
            )
            record["reply"] = self._reply_refs(reply.in_reply_to)
            return record

        return self._write_once(rkey_for(reply.idempotency_key), build)

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """The record at the reply's own key, if it answers the entry."""
        rkey = rkey_for(reply.idempotency_key)
        record = self._get_record(rkey)
        if record is None:
            return None
        parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
        if parent != reply.in_reply_to:
            return None
        return RemotePost(
            platform_id=f"at://{self._repo()}/{POST_COLLECTION}/{rkey}",
            text=str(record.get("text", "")),
            created_at=parse_time(record.get("createdAt")),
            permalink=self._permalink(rkey),
        )

    # -- accounts ----------------------------------------------------------------

    def login(self, identifier: str, app_password: str) -> TokenSet:
        """Open a session with the handle (or email) and an app password."""
        response = self.http.request(
            "POST",
            self._xrpc("com.atproto.server.createSession"),
            error_mapper=self._login_error,
            json={
                "identifier": identifier.strip().lstrip("@"),
                "password": app_password,
            },
        )
        return self._session(response.json())

    def refresh(self, refresh_token: str) -> TokenSet:
        response = self.http.request(
            "POST",
            self._xrpc("com.atproto.server.refreshSession"),
            creates=True,  # rotates the refresh token: a lost answer may have spent it
            error_mapper=lambda r: self._error(r, refreshing=True),
            headers=self._auth(refresh_token),
        )
        return self._session(response.json())

    def account(self) -> AccountInfo:
        response = self.http.request(
            "GET",
            self._xrpc("com.atproto.server.getSession"),
            error_mapper=self._error,
            headers=self._auth(),
        )
        data = response.json()
        handle = str(data.get("handle", ""))
        return AccountInfo(
            account_id=str(data.get("did", "")),
            handle=handle,
            url=f"{self.network.web_url.rstrip('/')}/profile/{handle}",
        )

    def _session(self, data: dict[str, Any]) -> TokenSet:
        """A TokenSet from a session; ``extra["pds"]`` when the account lives on
        another PDS than the host called (§7.B.1, §7.B.9): use it from then on."""
        access = str(data["accessJwt"])
        refresh = str(data["refreshJwt"])
        extra: dict[str, str] = {}
        pds = self._pds_endpoint(data.get("didDoc"))
        host = (self.credentials.base_url or self.network.api_url).rstrip("/")
        if pds and pds.rstrip("/") != host:
            extra["pds"] = pds.rstrip("/")
        scope = str(jwt_claims(access).get("scope", "") or "")
        return TokenSet(
            access_token=access,
            refresh_token=refresh,
            expires_at=jwt_expiry(access),
            refresh_expires_at=jwt_expiry(refresh),
            scopes=(scope,) if scope else (),
            account_id=str(data.get("did", "")),
            handle=str(data.get("handle", "")),
            extra=extra,
        )

    @staticmethod
    def _pds_endpoint(did_doc: Any) -> str:
        if not isinstance(did_doc, dict):
            return ""
        for service in did_doc.get("service", []) or []:
            if (
                isinstance(service, dict)
                and str(service.get("id", "")).endswith("#atproto_pds")
                and service.get("type") == "AtprotoPersonalDataServer"
            ):
                return str(service.get("serviceEndpoint", ""))
        return ""

    # -- errors ------------------------------------------------------------------

    def _error(
        self, response: httpx.Response, *, refreshing: bool = False
    ) -> AdapterError | None:
        """Read the XRPC error name (§7.B.7). An expired access token is renewed
        with the refresh token; an expired or invalid refresh token is not."""
        status = response.status_code
        name, message = xrpc_error(response)
        detail = f"{name}: {message}" if name else message
        if status == 429 or name == "RateLimitExceeded":
            return RateLimited(
                _("Bluesky limitó el número de solicitudes; se reintentará."),
                retry_after=reset_seconds(response),
            )
        if name == "ExpiredToken":
            return AuthError(
                _("La sesión de Bluesky venció (%(detail)s).") % {"detail": detail},
                revoked=refreshing,
                code="token_expired",
            )
        if name in (
            "InvalidToken",
            "AuthenticationRequired",
            "AccountTakedown",
        ) or status in (
            401,
            403,
        ):
            return AuthError(
                _(
                    "Bluesky no acepta la sesión (%(detail)s); vuelva a conectar el canal."
                )
                % {"detail": detail},
                revoked=True,
                code="token_revoked",
            )
        if name == "InvalidSwap":
            return Duplicate(
                _("Ese registro ya existe en Bluesky (%(detail)s).")
                % {"detail": detail}
            )
        if status >= 500:
            return AdapterError(
                _("Bluesky tuvo un error interno (HTTP %(status)s); se reintentará.")
                % {"status": status},
                code=f"http_{status}",
            )
        if status in (400, 413):
            return ContentRejected(
                _("Bluesky rechazó la publicación: %(detail)s") % {"detail": detail},
                code=name or f"http_{status}",
            )
        return None

    def _login_error(self, response: httpx.Response) -> AdapterError | None:
        name, message = xrpc_error(response)
        if name == "AuthFactorTokenRequired":
            return AuthError(
                _(
                    "Bluesky pide un código enviado por correo: use una contraseña de "
                    "aplicación, no la contraseña de la cuenta."
                ),
                code="auth_factor",
            )
        if name == "AuthenticationRequired" or response.status_code == 401:
            return AuthError(
                _(
                    "Bluesky no reconoce el usuario o la contraseña de aplicación (%(detail)s)."
                )
                % {"detail": message},
                code="bad_password",
            )
        return self._error(response)
