"""X (Twitter) API v2: posts as the connected user, with images, GIFs or a video.

Connection is OAuth 2.0 authorization code with PKCE (confidential client:
HTTP Basic with the app's id and secret at the token endpoint). Access tokens
last two hours; the refresh token (granted by ``offline.access``) rotates on
every refresh, so the new one must always be stored.

X has no idempotency key: after an unknown outcome the post is looked up among
the user's recent posts (``GET /2/users/{id}/tweets``) by its text, compared
with URLs and X's HTML escaping taken out (X answers with its ``t.co`` links in
place of the URLs and appends one for the media).

Text length follows twitter-text v3: the NFC-normalised text is weighed code
point by code point (1 for the Latin, Cyrillic, Greek, Hebrew, Arabic… ranges,
2 for the rest, CJK included), every URL weighs 23 whatever its length, and an
emoji sequence (ZWJ, skin tone, flag, keycap) weighs 2 in total.
"""

from __future__ import annotations

import datetime
import html
import time
import unicodedata
import urllib.parse
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

# ---------------------------------------------------------------- text weight

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
EMOJI_WEIGHT = 2
# Code points weighing 1; everything else weighs 2 (twitter-text v3 config).
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
# twitter-text refuses these outright.
INVALID_CHARACTERS = frozenset("\ufffe\ufeff\uffff")

# One emoji: a pictograph with its skin tone, presentation selector or tag
# sequence (subdivision flags); several joined by ZWJ; a country flag (two
# regional indicators); a keycap. Bare digits, "#" and "*" are not emoji.
_EMOJI_ELEMENT = (
    r"(?:(?:(?![0-9#*])\p{Emoji}|\p{Extended_Pictographic})"
    r"(?:\p{Emoji_Modifier}|\uFE0F|[\U000E0020-\U000E007E]+\U000E007F)*)"
)
EMOJI_RE = regex.compile(
    rf"\p{{Regional_Indicator}}\p{{Regional_Indicator}}"
    rf"|[0-9#*]\uFE0F?\u20E3"
    rf"|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ccTLDs (IANA) and the generic TLDs an entity's text is likely to carry; a
# domain written without http(s):// counts as a URL only with one of these.
_CCTLDS = _words(
    """ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj
    bm bn bo br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx
    cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm fo fr ga gb gd ge gf gg
    gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir
    is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv
    ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf
    ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs
    ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td tf
    tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf
    ws ye yt za zm zw"""
)
_GTLDS = _words(
    """com net org edu gov mil int info biz name pro mobi app dev online site store
    tech xyz blog news media agency digital website cloud live lat travel museum aero
    coop jobs tel asia cat top club shop email art eco ong ngo global world social
    network community center city law abogado health help link page life work studio
    design foundation education school university gallery radio video audio photo
    photos pics press events today earth green map services solutions support systems
    team technology tools zone wiki web one red rio uno vip"""
)
# A bare "name.cc" without a path is not a link, except for these two ccTLDs.
_SPECIAL_SHORT_CCTLDS = frozenset({"co", "tv"})

_LABEL = r"[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}_-]*[\p{L}\p{N}\p{M}])?"
URL_RE = regex.compile(
    rf"""
    (?<![A-Za-z0-9@＠$#＃])
    (?P<protocol>https?://)?
    (?P<host>(?:{_LABEL}\.)+(?P<tld>[\p{{L}}][\p{{L}}\p{{M}}]+|xn--[A-Za-z0-9-]+))
    (?P<port>:[0-9]{{1,5}})?
    (?P<rest>[/?#][^\s"<>]*)?
    """,
    regex.VERBOSE | regex.IGNORECASE,
)
_URL_END_OK = regex.compile(r"[\p{L}\p{N}=_#/+&-]$")


@dataclass(frozen=True)
class UrlSpan:
    start: int
    end: int


def _label_too_long(label: str) -> bool:
    if label.isascii():
        return len(label) > 63
    try:
        encoded = "xn--" + label.encode("punycode").decode("ascii")
    except UnicodeError:
        return True
    return len(encoded) > 63


def _trim_rest(rest: str) -> str:
    """Drop the punctuation that ends a sentence rather than the URL."""
    while rest:
        if rest.endswith(")") and rest.count("(") >= rest.count(")"):
            break
        if _URL_END_OK.search(rest):
            break
        rest = rest[:-1]
    return rest


def _valid_url(match: Any, text: str, rest: str) -> bool:
    host: str = match.group("host")
    labels = host.split(".")
    if any(_label_too_long(label) for label in labels):
        return False
    # Underscores are allowed in subdomains only.
    if "_" in labels[-2]:
        return False
    if match.group("protocol"):
        return True
    start = match.start()
    if start > 0 and text[start - 1] in "-_./":
        return False
    tld = match.group("tld").lower()
    if not host.isascii() or (tld not in _CCTLDS and tld not in _GTLDS):
        return False
    short = len(labels) == 2 and tld in _CCTLDS and tld not in _SPECIAL_SHORT_CCTLDS
    return not (short and not rest and not match.group("port"))


def find_urls(text: str) -> list[UrlSpan]:
    """The spans X counts as links: http(s) URLs and bare domains with a known TLD."""
    spans: list[UrlSpan] = []
    position = 0
    while True:
        match = URL_RE.search(text, position)
        if match is None:
            return spans
        rest = match.group("rest") or ""
        kept = _trim_rest(rest)
        if not _valid_url(match, text, kept):
            position = match.start() + 1
            continue
        end = match.end() - len(rest) + len(kept)
        spans.append(UrlSpan(match.start(), end))
        position = end


def _code_point_weight(character: str) -> int:
    point = ord(character)
    if any(low <= point <= high for low, high in LIGHT_RANGES):
        return 1
    return 2


def weighted_length(text: str) -> int:
    """The length X measures (twitter-text v3), on the NFC-normalised text."""
    text = unicodedata.normalize("NFC", text)
    url_ends = {span.start: span.end for span in find_urls(text)}
    total = 0
    index = 0
    while index < len(text):
        if index in url_ends:
            total += URL_WEIGHT
            index = url_ends[index]
            continue
        emoji = EMOJI_RE.match(text, index)
        if emoji is not None and emoji.end() > index:
            total += EMOJI_WEIGHT
            index = emoji.end()
            continue
        total += _code_point_weight(text[index])
        index += 1
    return total


def comparable_text(text: str) -> str:
    """The text as X's timeline can be compared with what was sent: HTML entities
    undone, NFC, URLs (which X turns into ``t.co`` links) dropped, spaces folded."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    kept: list[str] = []
    position = 0
    for span in find_urls(text):
        kept.append(text[position : span.start])
        position = span.end
    kept.append(text[position:])
    return " ".join("".join(kept).split())


# ---------------------------------------------------------------- media rules

MAX_IMAGES = 4
MIB = 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
GIF_TYPE = "image/gif"
VIDEO_TYPES = ("video/mp4",)
IMAGE_MAX_BYTES = 5 * MIB
GIF_MAX_BYTES = 15 * MIB
VIDEO_MAX_BYTES = 512 * MIB
VIDEO_MIN_SECONDS = 0.5
VIDEO_MAX_SECONDS = 140.0
VIDEO_MIN_RATIO = 1 / 3
VIDEO_MAX_RATIO = 3.0
ALT_TEXT_MAX = 1000


def media_class(media: MediaRef) -> str:
    """``image``, ``gif``, ``video`` or ``other`` as X sees the file."""
    content_type = media.content_type.lower()
    if content_type == GIF_TYPE:
        return "gif"
    if media.kind == "image" and content_type in IMAGE_TYPES:
        return "image"
    if media.kind == "video" and content_type in VIDEO_TYPES:
        return "video"
    return "other"


def _megabytes(size: int) -> str:
    return f"{size / MIB:.1f}".replace(".", ",")


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _utc(value: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def x_retry_after(response: httpx.Response) -> float | None:
    """Seconds until X lets the user post again: the exhausted 24-hour window
    if that is the one hit, else the 15-minute window, else ``Retry-After``."""
    now = time.time()
    headers = response.headers
    for window in ("x-user-limit-24hour", "x-app-limit-24hour", "x-rate-limit"):
        reset = headers.get(f"{window}-reset")
        remaining = headers.get(f"{window}-remaining")
        if not reset or (window != "x-rate-limit" and remaining != "0"):
            continue
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            continue
    retry = headers.get("retry-after", "")
    return float(retry) if retry.strip().isdigit() else None


def api_error(response: httpx.Response) -> AdapterError | None:
    """Read X's problem+json (``title``, ``detail``, ``type``, ``status``) or the
    legacy ``errors[]`` body into the adapter's error classes."""
    body = _body(response)
    legacy = body.get("errors") if isinstance(body.get("errors"), list) else []
    messages = [str(e.get("message") or e.get("detail") or "") for e in legacy or []]
    detail = str(body.get("detail") or body.get("title") or "; ".join(messages))
    kind = str(body.get("type") or "")
    lowered = detail.lower()
    status = response.status_code
    if status == 429 or kind.endswith(("/rate-limit-exceeded", "/usage-capped")):
        return RateLimited(
            _("X limitó el número de solicitudes; se reintentará."),
            retry_after=x_retry_after(response),
        )
    if status == 401:
        # X answers every bad token with the same "Unauthorized": treat it as
        # expiry (refresh and retry) unless the body says revoked or invalid;
        # a revoked grant then fails the refresh with invalid_grant.
        revoked = "revoked" in lowered or "invalid" in lowered
        return AuthError(
            _("X rechazó el token de acceso (%(detail)s).") % {"detail": detail},
            revoked=revoked,
            code="revoked" if revoked else "expired",
        )
    if status == 403:
        if "duplicate content" in lowered:
            return Duplicate(
                _(
                    "X rechazó la publicación por contenido duplicado: ya existe una igual en la cuenta."
                )
            )
        if kind.endswith(
            (
                "/client-forbidden",
                "/not-authorized-for-resource",
                "/unsupported-authentication",
            )
        ) or any(word in lowered for word in ("scope", "oauth", "permission")):
            return AuthError(
                _(
                    "X negó el permiso para esta acción (%(detail)s); reconecte la cuenta."
                )
                % {"detail": detail},
                code="forbidden",
            )
        return ContentRejected(
            _("X rechazó la publicación: %(detail)s") % {"detail": detail}
        )
    if 400 <= status < 500:
        return ContentRejected(
            _("X rechazó la solicitud (HTTP %(status)s): %(detail)s")
            % {"status": status, "detail": detail},
            code=f"http_{status}",
        )
    return None


def token_error(response: httpx.Response) -> AdapterError | None:
    """OAuth errors of the token endpoint (``error``, ``error_description``)."""
    body = _body(response)
    error = str(body.get("error") or "")
    if response.status_code in (400, 401, 403):
        return AuthError(
            _(
                "X no aceptó la autorización (%(error)s: %(description)s); conecte la cuenta de nuevo."
            )
            % {
                "error": error or response.status_code,
                "description": body.get("error_description", ""),
            },
            code=error or "invalid_grant",
        )
    return None


def reply_error(response: httpx.Response) -> AdapterError | None:
    """``api_error`` plus what X answers a reply: the self-serve restriction (a
    403: the author did not mention or quote the account; the exact text is
    UNVERIFIED in our notes, so any 403 about a reply or a mention counts) and
    a post that is gone or not visible (400)."""
    body = _body(response)
    detail = str(body.get("detail") or body.get("title") or "")
    lowered = detail.lower()
    status = response.status_code
    if (
        status == 403
        and "duplicate content" not in lowered
        and any(w in lowered for w in ("reply", "replies", "mentioned", "engaged"))
    ):
        return ContentRejected(
            _(
                "X no permite responder esta publicación desde Pregonero: con el "
                "plan de autoservicio de la API solo se puede responder a quien "
                "mencionó o citó la cuenta. Responda directamente en X y marque el "
                "mensaje como respondido."
            ),
            code="reply_restricted",
        )
    if status in (400, 404) and any(
        w in lowered for w in ("deleted", "not visible", "not found", "could not find")
    ):
        return ContentRejected(
            _(
                "X no encuentra la publicación a la que se responde (fue borrada o no "
                "es visible para la cuenta): %(detail)s"
            )
            % {"detail": detail},
            code="reply_target_missing",
        )
    return api_error(response)


# ---------------------------------------------------------------- adapter


class XAdapter(Adapter):
    """Publishes to X with API v2 (``POST /2/tweets``) and the v2 media upload."""

    slug = "x"
    label = "X (Twitter)"
    uses_pkce = True
    supports_refresh = True
    honours_idempotency_key = False
    defaults = NetworkSettings(
        api_url="https://api.x.com",
        auth_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",
        upload_url="https://api.x.com",
        web_url="https://x.com",
        api_version="2",
        scopes=(
            "tweet.read",
            "tweet.write",
            "users.read",
            "media.write",
            "offline.access",
        ),
    )
    sandbox_prefix = "x"
    supports_metrics = True
    # Mentions and replies; direct messages (/2/dm_events) are not read yet.
    inbound_kinds = ("comment", "mention")
    # A reply is a post with ``reply.in_reply_to_tweet_id`` (§3.3); direct
    # messages are not in the reference contract.
    supports_public_reply = True
    private_reply_unavailable = _lazy(
        "Pregonero no envía mensajes directos de X: responda en público sin datos "
        "personales e invite a la persona a escribir por un canal privado."
    )

    # Seconds between media status checks; None follows X's check_after_secs.
    poll_interval: float | None = None
    max_polls = 60
    chunk_size = 4 * MIB

    # -- content ---------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        issues = self._validate_text(post.text, has_media=bool(post.media))
        issues.extend(self._validate_media(post.media))
        return issues

    def _validate_text(self, text: str, *, has_media: bool) -> list[ValidationIssue]:
        if not text.strip():
            if has_media:
                return []
            return [
                ValidationIssue(
                    "text",
                    _("La publicación para X necesita texto o al menos un archivo."),
                )
            ]
        issues: list[ValidationIssue] = []
        length = weighted_length(text)
        if length > MAX_WEIGHTED_LENGTH:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s caracteres ponderados; X admite %(limit)s."
                    )
                    % {"length": length, "limit": MAX_WEIGHTED_LENGTH},
                )
            )
        bad = sorted({f"U+{ord(c):04X}" for c in text if c in INVALID_CHARACTERS})
        if bad:
            issues.append(
                ValidationIssue(
                    "text",
                    _("El texto contiene caracteres que X no acepta: %(chars)s.")
                    % {"chars": ", ".join(bad)},
                )
            )
        return issues

    def _validate_media(self, media: tuple[MediaRef, ...]) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        classes = [media_class(m) for m in media]
        images = classes.count("image")
        motion = classes.count("gif") + classes.count("video")
        if motion and len(media) > 1:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "X admite hasta %(limit)s imágenes, o 1 video, o 1 GIF por publicación, sin mezclarlos; hay %(count)s archivos."
                    )
                    % {"limit": MAX_IMAGES, "count": len(media)},
                )
            )
        elif images > MAX_IMAGES:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "X admite hasta %(limit)s imágenes por publicación; hay %(count)s."
                    )
                    % {"limit": MAX_IMAGES, "count": images},
                )
            )
        for index, (item, kind) in enumerate(zip(media, classes, strict=True)):
            issues.extend(self._validate_file(index, item, kind))
        return issues

    def _validate_file(
        self, index: int, item: MediaRef, kind: str
    ) -> list[ValidationIssue]:
        field = f"media[{index}]"
        name = item.name or f"#{index + 1}"
        if kind == "other":
            return [
                ValidationIssue(
                    field,
                    _(
                        "El archivo %(name)s es de tipo %(type)s; X acepta imágenes JPEG, PNG o WEBP, GIF y video MP4."
                    )
                    % {"name": name, "type": item.content_type or item.kind},
                )
            ]
        issues: list[ValidationIssue] = []
        limit = {
            "image": IMAGE_MAX_BYTES,
            "gif": GIF_MAX_BYTES,
            "video": VIDEO_MAX_BYTES,
        }[kind]
        if item.size > limit:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El archivo %(name)s pesa %(size)s MB; X admite hasta %(limit)s MB para este tipo."
                    )
                    % {
                        "name": name,
                        "size": _megabytes(item.size),
                        "limit": limit // MIB,
                    },
                )
            )
        if kind == "video":
            issues.extend(self._validate_video(field, name, item))
        else:
            issues.extend(self._validate_alt_text(field, name, item))
        return issues

    def _validate_video(
        self, field: str, name: str, item: MediaRef
    ) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        if item.duration is None:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "No se conoce la duración del video %(name)s; X admite entre %(min)s y %(max)s segundos."
                    )
                    % {
                        "name": name,
                        "min": _seconds(VIDEO_MIN_SECONDS),
                        "max": _seconds(VIDEO_MAX_SECONDS),
                    },
                    severity="warning",
                )
            )
        elif not VIDEO_MIN_SECONDS <= item.duration <= VIDEO_MAX_SECONDS:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video %(name)s dura %(duration)s segundos; X admite entre %(min)s y %(max)s."
                    )
                    % {
                        "name": name,
                        "duration": _seconds(round(item.duration, 2)),
                        "min": _seconds(VIDEO_MIN_SECONDS),
                        "max": _seconds(VIDEO_MAX_SECONDS),
                    },
                )
            )
        if item.width and item.height:
            ratio = item.width / item.height
            if not VIDEO_MIN_RATIO <= ratio <= VIDEO_MAX_RATIO:
                issues.append(
                    ValidationIssue(
                        field,
                        _(
                            "El video %(name)s mide %(width)s×%(height)s; X admite proporciones entre 1:3 y 3:1."
                        )
                        % {"name": name, "width": item.width, "height": item.height},
                    )
                )
        return issues

    def _validate_alt_text(
        self, field: str, name: str, item: MediaRef
    ) -> list[ValidationIssue]:
        alt = item.alt_text.strip()
        if not alt:
            return [
                ValidationIssue(
                    f"{field}.alt_text",
                    _(
                        "La imagen %(name)s no tiene texto alternativo; es obligatorio y X admite hasta %(limit)s caracteres."
                    )
                    % {"name": name, "limit": ALT_TEXT_MAX},
                )
            ]
        if len(item.alt_text) > ALT_TEXT_MAX:
            return [
                ValidationIssue(
                    f"{field}.alt_text",
                    _(
                        "El texto alternativo de la imagen %(name)s tiene %(length)s caracteres; X admite %(limit)s."
                    )
                    % {
                        "name": name,
                        "length": len(item.alt_text),
                        "limit": ALT_TEXT_MAX,
                    },
                )
            ]
        return []

    def publish(self, post: OutboundPost) -> Receipt:
        media_ids = [self._upload(item) for item in post.media]
        payload: dict[str, Any] = {"text": post.text}
        if media_ids:
            payload["media"] = {"media_ids": media_ids}
        response = self.http.request(
            "POST",
            self._api("tweets"),
            creates=True,
            error_mapper=api_error,
            headers=self._auth(),
            json=payload,
        )
        return self._receipt(
            response, _("X no devolvió el identificador de la publicación.")
        )

    def _receipt(self, response: httpx.Response, missing: str) -> Receipt:
        """The created post's receipt; no id means the outcome is unknown."""
        tweet_id = str(_body(response).get("data", {}).get("id", ""))
        if not tweet_id:
            raise AdapterError(missing, outcome_unknown=True, code="no_id")
        return Receipt(
            platform_id=tweet_id,
            permalink=self.permalink(tweet_id),
            published_at=datetime.datetime.now(datetime.UTC),
        )

    def permalink(self, tweet_id: str, username: str = "") -> str:
        handle = (username or self.credentials.handle).lstrip("@")
        if handle:
            return f"{self.network.web_url}/{handle}/status/{tweet_id}"
        return f"{self.network.web_url}/i/web/status/{tweet_id}"

    def delete(self, platform_id: str) -> None:
        response = self.http.request(
            "DELETE",
            self._api(f"tweets/{urllib.parse.quote(platform_id, safe='')}"),
            creates=True,
            error_mapper=api_error,
            expect=(404,),
            headers=self._auth(),
        )
        # A post already gone is as deleted as it gets.
        if response.status_code == 404:
            return

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        user_id = (
            self.credentials.account_id or self._me(self.credentials.access_token)["id"]
        )
        posts: list[RemotePost] = []
        token = ""
        while len(posts) < limit:
            params = {
                "tweet.fields": "created_at",
                "max_results": str(min(100, max(5, limit - len(posts)))),
            }
            if token:
                params["pagination_token"] = token
            response = self.http.request(
                "GET",
                self._api(f"users/{urllib.parse.quote(user_id, safe='')}/tweets"),
                error_mapper=api_error,
                headers=self._auth(),
                params=params,
            )
            body = _body(response)
            for item in body.get("data") or []:
                posts.append(
                    RemotePost(
                        platform_id=str(item["id"]),
                        text=str(item.get("text", "")),
                        created_at=_utc(str(item.get("created_at", ""))),
                        permalink=self.permalink(str(item["id"])),
                    )
                )
            token = str((body.get("meta") or {}).get("next_token") or "")
            if not token:
                break
        return posts[:limit]

    # -- inbound (issue 6, §3.5) ------------------------------------------------------

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Mentions after ``cursor`` (a tweet id) through ``since_id``, following
        ``meta.next_token``. A reply to one of the account's posts is a comment
        in that post's conversation; any other mention stands alone."""
        user_id = (
            self.credentials.account_id or self._me(self.credentials.access_token)["id"]
        )
        found: dict[str, InboundEntry] = {}
        newest = cursor
        token = ""
        while True:
            params = {
                "max_results": "100",
                "tweet.fields": "created_at,author_id,conversation_id,referenced_tweets",
                "expansions": "author_id",
                "user.fields": "username,name",
            }
            if cursor:
                params["since_id"] = cursor
            if token:
                params["pagination_token"] = token
            response = self.http.request(
                "GET",
                self._api(f"users/{urllib.parse.quote(user_id, safe='')}/mentions"),
                error_mapper=api_error,
                headers=self._auth(),
                params=params,
            )
            body = _body(response)
            users = {
                str(u.get("id")): u
                for u in (body.get("includes") or {}).get("users", [])
            }
            for tweet in body.get("data") or []:
                entry = self._inbound_entry(tweet, users)
                if entry is None:
                    continue
                found[entry.platform_id] = entry
                if not newest or int(entry.platform_id) > int(newest):
                    newest = entry.platform_id
            token = str((body.get("meta") or {}).get("next_token") or "")
            if not token:
                break
        entries = sorted(found.values(), key=lambda e: int(e.platform_id))
        return InboundPage(entries, newest)

    def _inbound_entry(
        self, tweet: dict[str, Any], users: dict[str, dict[str, Any]]
    ) -> InboundEntry | None:
        created = _utc(str(tweet.get("created_at", "")))
        tweet_id = str(tweet.get("id") or "")
        if created is None or not tweet_id.isdigit():
            return None
        author = users.get(str(tweet.get("author_id") or ""), {})
        handle = str(author.get("username") or tweet.get("author_id") or "")
        replied = next(
            (
                str(r.get("id"))
                for r in tweet.get("referenced_tweets")
                or tweet.get("referenced_posts")
                or []
                if r.get("type") == "replied_to"
            ),
            "",
        )
        kind, thread = "mention", tweet_id
        if replied:
            kind = "comment"
            thread = str(tweet.get("conversation_id") or replied)
        return InboundEntry(
            kind=kind,
            platform_id=tweet_id,
            author_handle=handle,
            author_name=str(author.get("name") or ""),
            text=html.unescape(str(tweet.get("text", ""))),
            received_at=created,
            thread_key=thread,
            url=self.permalink(tweet_id, handle),
        )

    # -- replies (issue 6, §3.3) ---------------------------------------------------------

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        return self._validate_text(reply.text, has_media=False)

    def reply(self, reply: OutboundReply) -> Receipt:
        """``POST /2/tweets`` with ``reply.in_reply_to_tweet_id``. X takes no
        idempotency key: an unknown outcome is reconciled by ``find_reply``."""
        if reply.private:
            raise ContentRejected(
                str(self.private_reply_unavailable), code="private_unavailable"
            )
        response = self.http.request(
            "POST",
            self._api("tweets"),
            creates=True,
            error_mapper=reply_error,
            headers=self._auth(),
            json={
                "text": reply.text,
                "reply": {"in_reply_to_tweet_id": reply.in_reply_to},
            },
        )
        return self._receipt(
            response, _("X no devolvió el identificador de la respuesta.")
        )

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """Our post replying to the entry among the account's recent posts
        (``GET /2/users/{id}/tweets`` with ``referenced_tweets``), matched on the
        post replied to and the text (URLs and HTML escaping left out), read
        back until a post older than ``since``."""
        user_id = (
            self.credentials.account_id or self._me(self.credentials.access_token)["id"]
        )
        wanted = comparable_text(reply.text)
        token = ""
        read = 0
        while read < self.reconcile_scan[-1]:
            params = {
                "tweet.fields": "created_at,referenced_tweets,conversation_id",
                "max_results": "100",
            }
            if token:
                params["pagination_token"] = token
            response = self.http.request(
                "GET",
                self._api(f"users/{urllib.parse.quote(user_id, safe='')}/tweets"),
                error_mapper=api_error,
                headers=self._auth(),
                params=params,
            )
            body = _body(response)
            older = False
            for item in body.get("data") or []:
                read += 1
                created = _utc(str(item.get("created_at", "")))
                if created is not None and created < since:
                    older = True
                    continue
                replied = {
                    str(r.get("id"))
                    for r in item.get("referenced_tweets")
                    or item.get("referenced_posts")
                    or []
                    if r.get("type") == "replied_to"
                }
                if reply.in_reply_to not in replied:
                    continue
                if comparable_text(str(item.get("text", ""))) == wanted:
                    return RemotePost(
                        platform_id=str(item["id"]),
                        text=html.unescape(str(item.get("text", ""))),
                        created_at=created,
                        permalink=self.permalink(str(item["id"])),
                    )
            token = str((body.get("meta") or {}).get("next_token") or "")
            if older or not token:
                break
        return None

    # -- metrics (§3.5) -----------------------------------------------------------------

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """X's v2 API gives no daily account figures: the follower count, a level
        read now from ``users/me`` ``public_metrics``."""
        response = self.http.request(
            "GET",
            self._api("users/me"),
            error_mapper=api_error,
            headers=self._auth(),
            params={"user.fields": "public_metrics"},
        )
        counts = (_body(response).get("data") or {}).get("public_metrics") or {}
        if "followers_count" not in counts:
            return []
        return [
            MetricSample(
                "followers_count",
                self.total(counts["followers_count"]),
                api_version=self.network.api_version,
            )
        ]

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """``GET /2/tweets?ids=…`` (100 at a time) with ``public_metrics`` and, for
        posts younger than 30 days, ``non_public_metrics``; when X refuses the
        private ones (older posts) the public ones are read alone. Both the classic
        (``retweet_count``) and the 2026 (``repost_count``) names are accepted;
        only one of them is kept so a repost never counts twice."""
        snapshots: list[PostSnapshot] = []
        for start in range(0, len(platform_ids), 100):
            ids = platform_ids[start : start + 100]
            try:
                body = self._lookup(ids, private=True)
            except ContentRejected:
                body = self._lookup(ids, private=False)
            for item in body.get("data") or []:
                if not isinstance(item, dict) or not item.get("id"):
                    continue
                metrics: dict[str, float] = {}
                for group in ("non_public_metrics", "public_metrics"):
                    for name, value in (item.get(group) or {}).items():
                        metrics[str(name)] = self.total(value)
                if "retweet_count" in metrics:
                    metrics.pop("repost_count", None)
                snapshots.append(
                    PostSnapshot(
                        platform_id=str(item["id"]),
                        published_at=_utc(str(item.get("created_at", ""))),
                        permalink=self.permalink(str(item["id"])),
                        text=html.unescape(str(item.get("text", ""))),
                        post_type="post",
                        metrics=metrics,
                        api_version=self.network.api_version,
                    )
                )
        return snapshots

    def _lookup(self, ids: list[str], *, private: bool) -> dict[str, Any]:
        fields = "created_at,public_metrics" + (
            ",non_public_metrics" if private else ""
        )
        response = self.http.request(
            "GET",
            self._api("tweets"),
            error_mapper=api_error,
            headers=self._auth(),
            params={"ids": ",".join(ids), "tweet.fields": fields},
        )
        return _body(response)

    def find_post(
        self, post: OutboundPost, since: datetime.datetime
    ) -> RemotePost | None:
        """X has no idempotency key: match the text, leaving out the URLs (X shows
        its ``t.co`` links, plus one for the media) and its HTML escaping."""
        wanted = comparable_text(post.text)
        for remote in self.posts_since(since):
            if comparable_text(remote.text) == wanted:
                return remote
        return None

    # -- media -------------------------------------------------------------------

    def _upload(self, item: MediaRef) -> str:
        kind = media_class(item)
        if kind == "image":
            media_id, info = self._upload_simple(item)
        else:
            media_id, info = self._upload_chunked(item, kind)
        self._await_processing(media_id, info, item)
        if kind != "video" and item.alt_text.strip():
            self._set_alt_text(media_id, item.alt_text.strip())
        return media_id

    def _upload_simple(self, item: MediaRef) -> tuple[str, dict[str, Any]]:
        with item.open() as handle:
            content = handle.read()
        response = self.http.request(
            "POST",
            self._upload_url("media/upload"),
            creates=True,
            error_mapper=api_error,
            headers=self._auth(),
            data={"media_category": "tweet_image"},
            files={"media": (item.name or "imagen", content, item.content_type)},
        )
        data = _body(response).get("data", {})
        return str(data["id"]), data.get("processing_info") or {}

    def _upload_chunked(self, item: MediaRef, kind: str) -> tuple[str, dict[str, Any]]:
        """INIT, APPEND each chunk, FINALIZE (the dedicated v2 endpoints)."""
        category = "tweet_gif" if kind == "gif" else "tweet_video"
        response = self.http.request(
            "POST",
            self._upload_url("media/upload/initialize"),
            creates=True,
            error_mapper=api_error,
            headers=self._auth(),
            json={
                "media_type": item.content_type,
                "total_bytes": item.size,
                "media_category": category,
            },
        )
        media_id = str(_body(response)["data"]["id"])
        quoted = urllib.parse.quote(media_id, safe="")
        with item.open() as handle:
            segment = 0
            while chunk := handle.read(self.chunk_size):
                self.http.request(
                    "POST",
                    self._upload_url(f"media/upload/{quoted}/append"),
                    creates=True,
                    error_mapper=api_error,
                    headers=self._auth(),
                    data={"segment_index": str(segment)},
                    files={"media": ("chunk", chunk, "application/octet-stream")},
                )
                segment += 1
        response = self.http.request(
            "POST",
            self._upload_url(f"media/upload/{quoted}/finalize"),
            creates=True,
            error_mapper=api_error,
            headers=self._auth(),
        )
        return media_id, _body(response).get("data", {}).get("processing_info") or {}

    def _await_processing(
        self, media_id: str, info: dict[str, Any], item: MediaRef
    ) -> None:
        """Poll STATUS until the media succeeds or fails (no processing_info: ready)."""
        name = item.name or media_id
        for _attempt in range(self.max_polls):
            state = info.get("state")
            if not state or state == "succeeded":
                return
            if state == "failed":
                error = info.get("error") or {}
                raise ContentRejected(
                    _("X no pudo procesar el archivo %(name)s: %(reason)s")
                    % {
                        "name": name,
                        "reason": error.get("message") or error.get("name") or state,
                    },
                    code="media_failed",
                )
            time.sleep(self._poll_delay(info))
            response = self.http.request(
                "GET",
                self._upload_url("media/upload"),
                error_mapper=api_error,
                headers=self._auth(),
                params={"command": "STATUS", "media_id": media_id},
            )
            info = _body(response).get("data", {}).get("processing_info") or {}
        raise AdapterError(
            _("X aún procesa el archivo %(name)s; se reintentará la publicación.")
            % {"name": name},
            code="media_processing",
        )

    def _poll_delay(self, info: dict[str, Any]) -> float:
        if self.poll_interval is not None:
            return self.poll_interval
        try:
            return max(0.5, min(float(info.get("check_after_secs", 1)), 30.0))
        except (TypeError, ValueError):
            return 1.0

    def _set_alt_text(self, media_id: str, alt_text: str) -> None:
        # Not in our reference notes: X's v2 "Create Media metadata" endpoint
        # (POST /2/media/metadata, docs.x.com), images and GIFs only.
        self.http.request(
            "POST",
            self._upload_url("media/metadata"),
            creates=True,
            error_mapper=api_error,
            headers=self._auth(),
            json={"id": media_id, "metadata": {"alt_text": {"text": alt_text}}},
        )

    # -- accounts ----------------------------------------------------------------

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": self.network.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.network.scopes),
            "state": state,
        }
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.network.auth_url}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        grant = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        me = self._me(str(grant["access_token"]))
        wanted = self.credentials.account_id
        if wanted and wanted != str(me["id"]):
            raise ContentRejected(
                _(
                    "La cuenta autorizada en X (@%(username)s) no es la de este canal; inicie sesión en X con la cuenta correcta."
                )
                % {"username": me.get("username", "")},
                code="wrong_account",
            )
        return self._token_set(
            grant, account_id=str(me["id"]), handle=str(me.get("username", ""))
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        grant = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        return self._token_set(
            grant,
            account_id=self.credentials.account_id,
            handle=self.credentials.handle,
        )

    def account(self) -> AccountInfo:
        me = self._me(self.credentials.access_token)
        username = str(me.get("username", ""))
        return AccountInfo(
            account_id=str(me["id"]),
            handle=username,
            name=str(me.get("name", "")),
            url=f"{self.network.web_url}/{username}",
        )

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        auth: tuple[str, str] | None = None
        if self.network.client_secret:
            auth = (self.network.client_id, self.network.client_secret)
        else:
            form = {**form, "client_id": self.network.client_id}
        response = self.http.request(
            "POST",
            self.network.token_url,
            error_mapper=token_error,
            auth=auth,
            data=form,
        )
        body = _body(response)
        if not body.get("access_token"):
            raise AdapterError(_("X no devolvió un token de acceso."), code="no_token")
        return body

    @staticmethod
    def _token_set(grant: dict[str, Any], *, account_id: str, handle: str) -> TokenSet:
        expires_in = grant.get("expires_in")
        expires_at = None
        if expires_in:
            expires_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
                seconds=int(expires_in)
            )
        return TokenSet(
            access_token=str(grant["access_token"]),
            refresh_token=grant.get("refresh_token") or None,
            expires_at=expires_at,
            scopes=tuple(str(grant.get("scope", "")).split()),
            account_id=account_id,
            handle=handle,
        )

    def _me(self, access_token: str) -> dict[str, Any]:
        response = self.http.request(
            "GET",
            self._api("users/me"),
            error_mapper=api_error,
            headers={"Authorization": f"Bearer {access_token}"},
        )
        data = _body(response).get("data") or {}
        if not data.get("id"):
            raise AdapterError(
                _("X no devolvió la cuenta del token."), code="no_account"
            )
        return dict(data)

    # -- helpers -----------------------------------------------------------------

    def _api(self, path: str) -> str:
        return f"{self.network.api_url}/{self.network.api_version}/{path}"

    def _upload_url(self, path: str) -> str:
        base = self.network.upload_url or self.network.api_url
        return f"{base}/{self.network.api_version}/{path}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.access_token}"}
