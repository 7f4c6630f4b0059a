"""YouTube: one video per post, through the Data API v3 resumable upload.

Google OAuth 2.0 with PKCE; ``access_type=offline`` and ``prompt=consent`` make
Google send a refresh token every time a person connects (access tokens last
about an hour, refresh tokens until revoked). The publishing account is the
YouTube channel of the Google account that consented.

The upload follows Google's resumable protocol: a session URI, chunks whose
size is a multiple of 256 KiB, and after an interruption a status query that
says where to continue, so an interrupted upload never becomes a second video.
YouTube has no idempotency key: every post carries a hidden tag derived from
its key (``pregonero-<12 hex>``) so reconciliation can recognise the video.

Videos uploaded by an API project that has not passed Google's compliance
audit stay private whatever ``privacyStatus`` says.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import secrets
import time
import zoneinfo
from pathlib import Path
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ContentRejected,
    Duplicate,
    InboundEntry,
    InboundPage,
    MediaRef,
    MetricSample,
    NetworkSettings,
    OutboundPost,
    OutboundReply,
    PostSnapshot,
    RateLimited,
    Receipt,
    RemotePost,
    TokenSet,
    ValidationIssue,
)

logger = logging.getLogger(__name__)

SCOPE_BASE = "https://www.googleapis.com/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
CHUNK_UNIT = 256 * 1024  # Google's resumable chunks are multiples of this
# A comment's text (YouTube's comment length limit; not in our reference notes,
# UNVERIFIED: taken from YouTube's help pages).
MAX_COMMENT_CHARACTERS = 10_000
MAX_VIDEO_BYTES = 256 * 1024**3  # videos.insert maxSize: 274 877 906 944
MAX_DURATION_SECONDS = 12 * 3600
MAX_CAPTION_BYTES = 100 * 1024**2
TITLE_LIMIT = 100  # characters
DESCRIPTION_LIMIT = 5000  # UTF-8 bytes
TAGS_LIMIT = 500  # characters, commas and quotes included
HASHTAG_LIMIT = 60  # with more, YouTube ignores every hashtag of the video
VIDEO_TYPES = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/x-msvideo",
        "video/avi",
        "video/x-matroska",
        "video/mpeg",
        "video/3gpp",
        "video/x-flv",
        "video/x-ms-wmv",
        "application/octet-stream",
    }
)
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
PERMISSION_REASONS = frozenset(
    {"insufficientPermissions", "youtubeSignupRequired", "forbiddenPrivacySetting"}
)
PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
HASHTAG = re.compile(r"(?<!\w)#\w+")


class SessionExpired(AdapterError):
    """The resumable session URI is gone (404): the upload starts over once."""


def key_tag(idempotency_key: str) -> str:
    """The hidden tag that lets reconciliation recognise a post's video."""
    return "pregonero-" + re.sub(r"[^0-9a-z]", "", idempotency_key.lower())[:12]


def tags_length(tags: list[str]) -> int:
    """YouTube's count: commas between tags, and quotes around tags with spaces."""
    if not tags:
        return 0
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1


def seconds_until_quota_reset(now: datetime.datetime | None = None) -> float:
    """YouTube quotas reset at midnight Pacific time."""
    here = (now or datetime.datetime.now(datetime.UTC)).astimezone(PACIFIC)
    midnight = datetime.datetime.combine(
        here.date() + datetime.timedelta(days=1), datetime.time(0), tzinfo=PACIFIC
    )
    return max(1.0, (midnight - here).total_seconds())


def parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _interrupted(exc: AdapterError) -> bool:
    """A dropped connection, a timeout or a 5xx: the session may still be alive."""
    return not exc.permanent and (
        exc.code in ("timeout", "http", "backendError") or exc.code.startswith("http_5")
    )


def _timed_out(exc: AdapterError) -> bool:
    return isinstance(exc.__cause__, httpx.TimeoutException)


ANALYTICS_URL = "https://youtubeanalytics.googleapis.com/v2/reports"
# YouTube Analytics metrics (§4.7) read per day for the channel and per video.
CHANNEL_METRICS = ("views", "estimatedMinutesWatched", "likes", "comments", "shares")
VIDEO_METRICS = CHANNEL_METRICS


class YouTubeAdapter(Adapter):
    """Publishes a video (title, description, tags, optional captions) to a channel."""

    slug = "youtube"
    label = "YouTube"
    uses_pkce = True
    supports_refresh = True
    defaults = NetworkSettings(
        api_url="https://www.googleapis.com/youtube",
        upload_url="https://www.googleapis.com/upload/youtube",
        auth_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url=GOOGLE_TOKEN_URL,
        web_url="https://www.youtube.com",
        api_version="v3",
        scopes=(
            f"{SCOPE_BASE}/youtube.upload",
            f"{SCOPE_BASE}/youtube.readonly",
            f"{SCOPE_BASE}/youtube.force-ssl",
        ),
    )
    sandbox_prefix = "google"
    supports_metrics = True
    # Comments on the channel's videos; YouTube has no mentions or messages.
    inbound_kinds = ("comment",)
    # 10,000 quota units a day shared with uploads' metadata, captions and
    # replies (50 each): an active channel is read every 15 s (240 units an
    # hour), not every 3 s (1,200), so a crisis day cannot exhaust it.
    inbound_active_poll_seconds = 15.0
    # A reply is a comment under the top-level one (``comments.insert``, §4.5);
    # YouTube has no private messages.
    supports_public_reply = True
    private_reply_unavailable = _lazy(
        "YouTube no tiene mensajes privados: responda en público sin datos "
        "personales e invite a la persona a escribir por un canal privado."
    )
    metrics_window_days = 366
    metrics_history_days = 730

    # A multiple of 256 KiB; tests lower it to 256 KiB to exercise chunking.
    chunk_size: ClassVar[int] = 32 * CHUNK_UNIT  # 8 MiB
    # How many interruptions one upload survives before giving up, and the
    # first wait before asking where to resume (doubled each time).
    max_resumes: ClassVar[int] = 5
    resume_backoff: ClassVar[float] = 1.0
    # The short processing check after the upload (catches immediate rejections;
    # a video still processing afterwards is published all the same).
    processing_polls: ClassVar[int] = 5
    poll_interval: ClassVar[float] = 3.0

    # -- validation ---------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        issues = self._validate_title(post.title)
        issues += self._validate_description(post.text)
        issues += self._validate_tags(post)
        issues += self._validate_media(post.media)
        return issues

    def _validate_title(self, title: str) -> list[ValidationIssue]:
        if not title.strip():
            return [
                ValidationIssue("title", _("YouTube exige un título para el video."))
            ]
        issues = []
        if len(title) > TITLE_LIMIT:
            issues.append(
                ValidationIssue(
                    "title",
                    _(
                        "El título tiene %(length)s caracteres; YouTube admite %(limit)s."
                    )
                    % {"length": len(title), "limit": TITLE_LIMIT},
                )
            )
        if "<" in title or ">" in title:
            issues.append(
                ValidationIssue(
                    "title", _("El título no puede contener los signos «<» ni «>».")
                )
            )
        return issues

    def _validate_description(self, text: str) -> list[ValidationIssue]:
        issues = []
        size = len(text.encode("utf-8"))
        if size > DESCRIPTION_LIMIT:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "La descripción ocupa %(length)s bytes en UTF-8; YouTube admite "
                        "%(limit)s (las tildes y los emoji ocupan más de un byte)."
                    )
                    % {"length": size, "limit": DESCRIPTION_LIMIT},
                )
            )
        if "<" in text or ">" in text:
            issues.append(
                ValidationIssue(
                    "text", _("La descripción no puede contener los signos «<» ni «>».")
                )
            )
        hashtags = len(HASHTAG.findall(text))
        if hashtags > HASHTAG_LIMIT:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "La descripción tiene %(count)s etiquetas (#); con más de "
                        "%(limit)s YouTube las ignora todas."
                    )
                    % {"count": hashtags, "limit": HASHTAG_LIMIT},
                    severity="warning",
                )
            )
        return issues

    def _validate_tags(self, post: OutboundPost) -> list[ValidationIssue]:
        tags = self.tags(post)
        length = tags_length(tags)
        if length <= TAGS_LIMIT:
            return []
        return [
            ValidationIssue(
                "tags",
                _(
                    "Las etiquetas del video suman %(length)s caracteres (con comas y "
                    "la etiqueta interna de Pregonero); YouTube admite %(limit)s."
                )
                % {"length": length, "limit": TAGS_LIMIT},
            )
        ]

    def _validate_media(self, media: tuple[MediaRef, ...]) -> list[ValidationIssue]:
        issues = [
            ValidationIssue(
                f"media[{i}]",
                _("YouTube solo publica video: quite el archivo «%(name)s».")
                % {"name": m.name or m.path},
            )
            for i, m in enumerate(media)
            if m.kind != "video"
        ]
        videos = [(i, m) for i, m in enumerate(media) if m.kind == "video"]
        if len(videos) != 1:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "YouTube publica exactamente un video; la publicación tiene %(count)s."
                    )
                    % {"count": len(videos)},
                )
            )
        for i, video in videos:
            issues += self._validate_video(i, video)
        return issues

    def _validate_video(self, i: int, video: MediaRef) -> list[ValidationIssue]:
        field = f"media[{i}]"
        issues = []
        if video.content_type not in VIDEO_TYPES:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "YouTube no acepta el formato %(type)s; use MP4, MOV, WebM o AVI."
                    )
                    % {"type": video.content_type},
                )
            )
        if video.size <= 0:
            issues.append(ValidationIssue(field, _("El archivo de video está vacío.")))
        elif video.size > MAX_VIDEO_BYTES:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video pesa %(size)s bytes; YouTube admite hasta %(limit)s (256 GB)."
                    )
                    % {"size": video.size, "limit": MAX_VIDEO_BYTES},
                )
            )
        if video.duration is not None and video.duration > MAX_DURATION_SECONDS:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video dura %(duration)s segundos; YouTube admite hasta %(limit)s (12 horas)."
                    )
                    % {
                        "duration": round(video.duration),
                        "limit": MAX_DURATION_SECONDS,
                    },
                )
            )
        if not video.captions_path:
            issues.append(
                ValidationIssue(
                    f"{field}.captions",
                    _(
                        "El video no tiene subtítulos (SRT o WebVTT): agréguelos para "
                        "cumplir las pautas de accesibilidad (WCAG 1.2.2)."
                    ),
                    severity="warning",
                )
            )
        elif Path(video.captions_path).is_file() and (
            Path(video.captions_path).stat().st_size > MAX_CAPTION_BYTES
        ):
            issues.append(
                ValidationIssue(
                    f"{field}.captions",
                    _(
                        "El archivo de subtítulos supera los %(limit)s bytes que admite YouTube."
                    )
                    % {"limit": MAX_CAPTION_BYTES},
                )
            )
        return issues

    # -- publishing ------------------------------------------------------------------

    def publish(self, post: OutboundPost) -> Receipt:
        video = self._the_video(post)
        resource = self._upload(video, self.metadata(post))
        video_id = str(resource.get("id", ""))
        if not video_id:
            raise AdapterError(
                _("YouTube terminó la subida sin devolver el identificador del video."),
                outcome_unknown=True,
                code="no_id",
            )
        resource = self._check_processing(video_id, resource)
        if video.captions_path:
            self._add_captions(video_id, video, post)
        snippet = resource.get("snippet") or {}
        return Receipt(
            platform_id=video_id,
            permalink=self.permalink(video_id),
            published_at=parse_time(snippet.get("publishedAt")) or timezone.now(),
        )

    def tags(self, post: OutboundPost) -> list[str]:
        """The post's tags (``options["tags"]``, comma-separated) plus the key tag."""
        chosen = [t.strip() for t in post.options.get("tags", "").split(",")]
        return [t for t in chosen if t] + [key_tag(post.idempotency_key)]

    def metadata(self, post: OutboundPost) -> dict[str, Any]:
        """The video resource sent when the upload session starts."""
        return {
            "snippet": {
                "title": post.title.strip(),
                "description": post.text,
                "tags": self.tags(post),
                "categoryId": post.options.get("category_id", "22"),
                "defaultLanguage": post.options.get("language", "es"),
            },
            "status": {
                "privacyStatus": post.options.get("privacy_status", "public"),
                "selfDeclaredMadeForKids": False,
                "embeddable": True,
                "license": "youtube",
            },
        }

    def permalink(self, video_id: str) -> str:
        return f"{self.network.web_url}/watch?v={video_id}"

    def _the_video(self, post: OutboundPost) -> MediaRef:
        videos = [m for m in post.media if m.kind == "video"]
        if len(videos) != 1 or len(post.media) != 1:
            raise ContentRejected(
                _("YouTube publica exactamente un video y nada más."), code="media"
            )
        return videos[0]

    def _upload(self, video: MediaRef, metadata: dict[str, Any]) -> dict[str, Any]:
        """Upload the file; an expired session (404) starts over once."""
        try:
            return self._send(self._start_session(video, metadata), video)
        except SessionExpired:
            logger.info("YouTube upload session expired; starting a new one")
        try:
            return self._send(self._start_session(video, metadata), video)
        except SessionExpired as exc:
            raise AdapterError(
                _("La sesión de subida de YouTube expiró dos veces; se reintentará."),
                code="session_expired",
            ) from exc

    def _start_session(self, video: MediaRef, metadata: dict[str, Any]) -> str:
        # No video exists until the last byte arrives, so a lost answer here is
        # safe to retry: ``creates`` stays False.
        response = self.http.request(
            "POST",
            f"{self.network.upload_url}/{self.network.api_version}/videos",
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=metadata,
            headers={
                **self._auth(),
                "X-Upload-Content-Length": str(video.size),
                "X-Upload-Content-Type": video.content_type,
            },
            error_mapper=self._api_error,
        )
        location = response.headers.get("location", "")
        if not location:
            raise AdapterError(
                _("YouTube no abrió la sesión de subida (falta la cabecera Location)."),
                code="no_session",
            )
        return location

    def _send(self, session: str, video: MediaRef) -> dict[str, Any]:
        """PUT the chunks; after an interruption ask where to resume."""
        total = video.size
        offset = 0
        interruptions = 0
        with video.open() as handle:
            while True:
                handle.seek(offset)
                data = handle.read(self.chunk_size)
                last = offset + len(data) - 1
                final = last + 1 >= total
                interrupted = False
                try:
                    # Only the last chunk can create the video.
                    response = self.http.request(
                        "PUT",
                        session,
                        content=data,
                        headers={
                            "Content-Type": video.content_type,
                            "Content-Range": f"bytes {offset}-{last}/{total}",
                        },
                        creates=final,
                        expect=(308,),
                        error_mapper=self._session_error,
                    )
                except SessionExpired:
                    raise
                except AdapterError as exc:
                    # A final chunk that timed out may still be finishing on
                    # Google's side: the outcome is unknown (reconciliation finds
                    # the video by its key tag). Resets and 5xx are resumed.
                    if not _interrupted(exc) or (final and _timed_out(exc)):
                        raise
                    interruptions += 1
                    if interruptions > self.max_resumes:
                        raise
                    interrupted = True
                    time.sleep(self.resume_backoff * 2 ** (interruptions - 1))
                    response = self._query_session(session, total, final=final)
                if response.status_code in (200, 201):
                    return _body(response)
                session = response.headers.get("location") or session
                resumed = self._resume_offset(response)
                if resumed <= offset and not interrupted:
                    # A chunk accepted without progress: do not loop forever.
                    interruptions += 1
                    if interruptions > self.max_resumes:
                        raise AdapterError(
                            _("La subida a YouTube no avanza; se reintentará."),
                            code="upload_stalled",
                        )
                offset = resumed

    def _query_session(
        self, session: str, total: int, *, final: bool
    ) -> httpx.Response:
        """``Content-Range: bytes */total``: 308 with the bytes kept, or the video."""
        return self.http.request(
            "PUT",
            session,
            content=b"",
            headers={"Content-Range": f"bytes */{total}"},
            creates=final,
            expect=(308,),
            error_mapper=self._session_error,
        )

    @staticmethod
    def _resume_offset(response: httpx.Response) -> int:
        """The byte after ``Range: bytes=0-N``; no Range means nothing was kept."""
        match = re.search(r"(\d+)-(\d+)", response.headers.get("range", ""))
        return int(match.group(2)) + 1 if match else 0

    def _check_processing(
        self, video_id: str, resource: dict[str, Any]
    ) -> dict[str, Any]:
        """A short, bounded look at processing: refusals that come at once (a
        duplicate, an unreadable file) fail the publication; a video still
        processing is published. The video exists already, so a failed check
        never fails the publication."""
        for attempt in range(self.processing_polls + 1):
            status = resource.get("status") or {}
            upload_status = status.get("uploadStatus", "")
            if upload_status == "processed":
                return resource
            if upload_status in ("failed", "rejected", "deleted"):
                self._refuse(video_id, status)
            if attempt == self.processing_polls:
                break
            time.sleep(self.poll_interval)
            try:
                found = self._videos([video_id], "snippet,status,processingDetails")
            except AdapterError as exc:
                logger.warning("YouTube processing check failed: %s", exc.message)
                break
            if found:
                resource = found[0]
        logger.info("YouTube video %s still processing", video_id)
        return resource

    @staticmethod
    def _refuse(video_id: str, status: dict[str, Any]) -> None:
        reason = status.get("rejectionReason") or status.get("failureReason") or ""
        if reason == "duplicate":
            raise Duplicate(
                _(
                    "YouTube rechazó el video %(id)s por estar duplicado: el canal ya "
                    "tiene ese mismo archivo."
                )
                % {"id": video_id}
            )
        raise ContentRejected(
            _(
                "YouTube no procesó el video %(id)s (%(status)s: %(reason)s); quedó "
                "en el canal como rechazado."
            )
            % {
                "id": video_id,
                "status": status.get("uploadStatus", ""),
                "reason": reason or "?",
            },
            code=f"processing_{reason or 'failed'}",
        )

    def _add_captions(self, video_id: str, video: MediaRef, post: OutboundPost) -> None:
        """captions.insert (multipart). The video is already published, so a
        failure here is logged, not raised: retrying would upload it twice."""
        snippet = {
            "videoId": video_id,
            "language": post.options.get("captions_language", "es"),
            "name": post.options.get("captions_name", "Español"),
            "isDraft": False,
        }
        boundary = f"pregonero-{secrets.token_hex(12)}"
        data = Path(video.captions_path).read_bytes()
        body = (
            (
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
                f"{json.dumps({'snippet': snippet})}\r\n"
                f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        try:
            self.http.request(
                "POST",
                f"{self.network.upload_url}/{self.network.api_version}/captions",
                params={"part": "snippet", "uploadType": "multipart"},
                content=body,
                headers={
                    **self._auth(),
                    "Content-Type": f"multipart/related; boundary={boundary}",
                },
                creates=True,
                error_mapper=self._api_error,
            )
        except AdapterError as exc:
            logger.warning(
                "YouTube captions for video %s failed: %s", video_id, exc.message
            )

    # -- deleting and reading back ------------------------------------------------------

    def delete(self, platform_id: str) -> None:
        """videos.delete; a video already gone (404) counts as deleted."""
        self.http.request(
            "DELETE",
            self._api("videos"),
            params={"id": platform_id},
            headers=self._auth(),
            creates=True,
            expect=(404,),
            error_mapper=self._api_error,
        )

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        """The channel's uploads playlist, newest first (1 quota unit a page,
        where search.list has its own bucket of 100 calls a day)."""
        items = self._uploads(limit)
        posts = [
            RemotePost(
                platform_id=video_id,
                text=str(snippet.get("description", "")),
                created_at=created_at,
                permalink=self.permalink(video_id),
            )
            for video_id, snippet, created_at in items
        ]
        epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        posts.sort(key=lambda p: p.created_at or epoch, reverse=True)
        return posts[:limit]

    def find_post(
        self, post: OutboundPost, since: datetime.datetime
    ) -> RemotePost | None:
        """The upload carrying this post's key tag (YouTube has no idempotency key)."""
        wanted = key_tag(post.idempotency_key)
        # A margin for clock differences: the tag, not the time, decides.
        cutoff = since - datetime.timedelta(hours=1)
        recent = [
            (video_id, snippet, created_at)
            for video_id, snippet, created_at in self._uploads(50)
            if created_at is None or created_at >= cutoff
        ]
        by_id = {
            video_id: (snippet, created_at) for video_id, snippet, created_at in recent
        }
        for resource in self._videos(list(by_id), "snippet"):
            snippet = resource.get("snippet") or {}
            if wanted in (snippet.get("tags") or []):
                video_id = str(resource.get("id", ""))
                return RemotePost(
                    platform_id=video_id,
                    text=str(snippet.get("description", "")),
                    created_at=parse_time(snippet.get("publishedAt"))
                    or by_id.get(video_id, ({}, None))[1],
                    permalink=self.permalink(video_id),
                )
        return None

    def _uploads(
        self, limit: int
    ) -> list[tuple[str, dict[str, Any], datetime.datetime | None]]:
        """(video id, playlist snippet, published time) of the channel's uploads."""
        channel = self._channels(self.credentials.access_token, "contentDetails")[0]
        playlist = (
            (channel.get("contentDetails") or {}).get("relatedPlaylists") or {}
        ).get("uploads", "")
        if not playlist:
            return []
        found: list[tuple[str, dict[str, Any], datetime.datetime | None]] = []
        page = ""
        while len(found) < limit:
            params = {
                "part": "snippet,contentDetails",
                "playlistId": playlist,
                "maxResults": str(min(50, limit - len(found))),
            }
            if page:
                params["pageToken"] = page
            data = _body(
                self.http.request(
                    "GET",
                    self._api("playlistItems"),
                    params=params,
                    headers=self._auth(),
                    error_mapper=self._api_error,
                )
            )
            for item in data.get("items") or []:
                snippet = item.get("snippet") or {}
                details = item.get("contentDetails") or {}
                video_id = details.get("videoId") or (
                    snippet.get("resourceId") or {}
                ).get("videoId", "")
                created = parse_time(details.get("videoPublishedAt")) or parse_time(
                    snippet.get("publishedAt")
                )
                if video_id:
                    found.append((str(video_id), snippet, created))
            page = str(data.get("nextPageToken") or "")
            if not page:
                break
        return found

    def _videos(self, ids: list[str], part: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), 50):
            data = _body(
                self.http.request(
                    "GET",
                    self._api("videos"),
                    params={"part": part, "id": ",".join(ids[start : start + 50])},
                    headers=self._auth(),
                    error_mapper=self._api_error,
                )
            )
            found += [v for v in data.get("items") or [] if isinstance(v, dict)]
        return found

    # -- metrics (§4.7) ------------------------------------------------------------------

    def analytics_url(self) -> str:
        """``reports.query``: from the settings' ``extra``, else the production host,
        moved to the practice server when the Data API was (its ``/youtube`` path
        kept under the same prefix)."""
        configured = self.network.extra.get("analytics_url", "")
        if configured:
            return configured
        api = self.network.api_url.rstrip("/")
        if api == self.defaults.api_url or not api.endswith("/youtube"):
            return ANALYTICS_URL
        return api[: -len("/youtube")] + "/v2/reports"

    def _report(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """The rows of a result table as dicts keyed by the column headers."""
        data = _body(
            self.http.request(
                "GET",
                self.analytics_url(),
                params={"ids": "channel==MINE", **params},
                headers=self._auth(),
                error_mapper=self._api_error,
            )
        )
        names = [
            str(h.get("name", ""))
            for h in data.get("columnHeaders") or []
            if isinstance(h, dict)
        ]
        return [
            dict(zip(names, row, strict=False))
            for row in data.get("rows") or []
            if isinstance(row, list)
        ]

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """``reports.query`` with ``dimensions=day`` for the channel, and the
        subscriber count (a level) from ``channels.list`` ``statistics``."""
        samples: list[MetricSample] = []
        rows = self._report(
            {
                "startDate": since.isoformat(),
                "endDate": until.isoformat(),
                "metrics": ",".join(CHANNEL_METRICS),
                "dimensions": "day",
                "sort": "day",
            }
        )
        for row in rows:
            try:
                day = datetime.date.fromisoformat(str(row.get("day", "")))
            except ValueError:
                continue
            for name in CHANNEL_METRICS:
                if name in row:
                    samples.append(
                        MetricSample(name, self.total(row[name]), day, api_version="v2")
                    )
        statistics = (
            self._channels(self.credentials.access_token, "statistics")[0].get(
                "statistics"
            )
            or {}
        )
        if "subscriberCount" in statistics and not statistics.get(
            "hiddenSubscriberCount"
        ):
            samples.append(
                MetricSample(
                    "subscriberCount",
                    self.total(statistics["subscriberCount"]),
                    api_version=self.network.api_version,
                )
            )
        return samples

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """Each video's snippet (videos.list) and its lifetime figures from
        ``reports.query`` with ``dimensions=video`` and ``filters=video==…``
        (from its publication day to today); videos gone are left out."""
        resources = {
            str(v.get("id")): v
            for v in self._videos(platform_ids, "snippet,statistics")
            if v.get("id")
        }
        if not resources:
            return []
        today = timezone.localdate()
        oldest = min(
            (
                parse_time((v.get("snippet") or {}).get("publishedAt"))
                or timezone.now()
                for v in resources.values()
            ),
        )
        figures: dict[str, dict[str, Any]] = {}
        ids = list(resources)
        for start in range(0, len(ids), 50):
            for row in self._report(
                {
                    "startDate": min(oldest.date(), today).isoformat(),
                    "endDate": today.isoformat(),
                    "metrics": ",".join(VIDEO_METRICS),
                    "dimensions": "video",
                    "filters": "video==" + ",".join(ids[start : start + 50]),
                }
            ):
                figures[str(row.get("video", ""))] = row
        snapshots: list[PostSnapshot] = []
        for video_id, resource in resources.items():
            snippet = resource.get("snippet") or {}
            found = figures.get(video_id)
            if found is not None:
                metrics = {m: self.total(found[m]) for m in VIDEO_METRICS if m in found}
            else:  # Analytics has nothing yet: the public counters
                stats = resource.get("statistics") or {}
                metrics = {
                    "views": self.total(stats.get("viewCount")),
                    "likes": self.total(stats.get("likeCount")),
                    "comments": self.total(stats.get("commentCount")),
                }
            thumbnails = snippet.get("thumbnails") or {}
            thumbnail = next(
                (
                    str(thumbnails[size].get("url", ""))
                    for size in ("high", "medium", "default")
                    if isinstance(thumbnails.get(size), dict)
                ),
                "",
            )
            snapshots.append(
                PostSnapshot(
                    platform_id=video_id,
                    published_at=parse_time(snippet.get("publishedAt")),
                    permalink=self.permalink(video_id),
                    text=str(snippet.get("title") or snippet.get("description") or ""),
                    post_type="video",
                    thumbnail_url=thumbnail,
                    metrics=metrics,
                    api_version="v2",
                )
            )
        return snapshots

    # -- accounts ---------------------------------------------------------------------------

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        params = {
            "client_id": self.network.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.network.scopes),
            "state": state,
            # A refresh token only comes with offline access, and Google sends it
            # again only when the consent screen is shown.
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
        }
        if code_challenge:
            params |= {
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        return self.with_query(self.network.auth_url, **params)

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.network.client_id,
            "client_secret": self.network.client_secret,
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        tokens = self._token_request(form)
        channel = self._pick_channel(self._channels(tokens.access_token, "snippet"))
        snippet = channel.get("snippet") or {}
        return TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            scopes=tokens.scopes,
            account_id=str(channel.get("id", "")),
            handle=str(snippet.get("customUrl") or snippet.get("title", "")),
            extra={"name": str(snippet.get("title", ""))},
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """Google keeps the refresh token: the answer brings only a new access token."""
        return self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.network.client_id,
                "client_secret": self.network.client_secret,
            }
        )

    def account(self) -> AccountInfo:
        channel = self._channels(self.credentials.access_token, "snippet")[0]
        snippet = channel.get("snippet") or {}
        channel_id = str(channel.get("id", ""))
        handle = str(snippet.get("customUrl", ""))
        return AccountInfo(
            account_id=channel_id,
            handle=handle or str(snippet.get("title", "")),
            name=str(snippet.get("title", "")),
            url=f"{self.network.web_url}/{handle}"
            if handle.startswith("@")
            else f"{self.network.web_url}/channel/{channel_id}",
        )

    def _token_request(self, form: dict[str, str]) -> TokenSet:
        data = _body(
            self.http.request(
                "POST",
                self.network.token_url,
                data=form,
                error_mapper=self._token_error,
            )
        )
        access = data.get("access_token")
        if not access:
            raise AdapterError(
                _("Google no devolvió un token de acceso."), code="no_token"
            )
        expires_in = data.get("expires_in")
        return TokenSet(
            access_token=str(access),
            refresh_token=data.get("refresh_token") or None,
            expires_at=timezone.now() + datetime.timedelta(seconds=int(expires_in))
            if expires_in
            else None,
            scopes=tuple(str(data.get("scope", "")).split()),
        )

    def _channels(self, token: str, part: str) -> list[dict[str, Any]]:
        data = _body(
            self.http.request(
                "GET",
                self._api("channels"),
                params={"part": part, "mine": "true"},
                headers={"Authorization": f"Bearer {token}"},
                error_mapper=self._api_error,
            )
        )
        channels = [c for c in data.get("items") or [] if isinstance(c, dict)]
        if not channels:
            raise ContentRejected(
                _("La cuenta de Google autorizada no tiene un canal de YouTube."),
                code="no_channel",
            )
        return channels

    def _pick_channel(self, channels: list[dict[str, Any]]) -> dict[str, Any]:
        wanted = self.credentials.account_id
        if not wanted:
            return channels[0]
        for channel in channels:
            if str(channel.get("id", "")) == wanted:
                return channel
        raise ContentRejected(
            _(
                "La cuenta de Google autorizada no administra el canal %(channel)s; "
                "conéctese con la cuenta dueña del canal."
            )
            % {"channel": wanted},
            code="wrong_channel",
        )

    # -- inbound (issue 6, §4.5) ----------------------------------------------------------

    # Comments are listed by their own time; one that reaches the list late
    # (with an earlier time) is still read when this much older than the
    # checkpoint. Repeats are recognised by their id.
    inbound_overlap = datetime.timedelta(minutes=15)

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Top-level comments on the channel's videos (``commentThreads`` with
        ``allThreadsRelatedToChannelId``, ``order=time``), newest first, down to
        the checkpoint (the newest ``publishedAt`` stored) less the overlap.
        Each list call costs 1 quota unit."""
        channel_id = self.credentials.account_id
        checkpoint = parse_time(cursor) if cursor else None
        floor = checkpoint - self.inbound_overlap if checkpoint else None
        found: dict[str, InboundEntry] = {}
        newest = checkpoint
        token = ""
        while True:
            params = {
                "part": "snippet",
                "allThreadsRelatedToChannelId": channel_id,
                "order": "time",
                "textFormat": "plainText",
                "maxResults": "100",
            }
            if token:
                params["pageToken"] = token
            response = self.http.request(
                "GET",
                self._api("commentThreads"),
                error_mapper=self._api_error,
                headers=self._auth(),
                params=params,
            )
            data = response.json()
            reached = False
            for thread in data.get("items") or []:
                top = (thread.get("snippet") or {}).get("topLevelComment") or {}
                snippet = top.get("snippet") or {}
                created = parse_time(snippet.get("publishedAt"))
                if created is None:
                    continue
                if floor is not None and created < floor:
                    reached = True
                    break
                author = str((snippet.get("authorChannelId") or {}).get("value") or "")
                if author == channel_id:
                    continue  # the entity's own comment
                video = str(snippet.get("videoId") or "")
                comment_id = str(top.get("id") or thread.get("id") or "")
                found.setdefault(
                    comment_id,
                    InboundEntry(
                        kind="comment",
                        platform_id=comment_id,
                        author_handle=str(
                            snippet.get("authorChannelUrl", "").rsplit("/", 1)[-1]
                            or snippet.get("authorDisplayName")
                            or author
                        ),
                        author_name=str(snippet.get("authorDisplayName") or ""),
                        text=str(
                            snippet.get("textOriginal")
                            or snippet.get("textDisplay")
                            or ""
                        ),
                        received_at=created,
                        thread_key=video,
                        url=f"{self.permalink(video)}&lc={comment_id}",
                        post_url=self.permalink(video),
                    ),
                )
                if newest is None or created > newest:
                    newest = created
            token = str(data.get("nextPageToken") or "")
            if reached or not token:
                break
        entries = sorted(found.values(), key=lambda e: e.received_at)
        return InboundPage(entries, newest.isoformat() if newest else "")

    # -- replies (issue 6, §4.5) ---------------------------------------------------------

    @staticmethod
    def top_level_id(comment_id: str) -> str:
        """``parentId`` must be a top-level comment: a reply's id is
        ``<top-level id>.<reply id>``, so a reply to a reply goes under its
        top-level comment."""
        return comment_id.split(".", 1)[0]

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        if not reply.text.strip():
            return [ValidationIssue("text", _("La respuesta de YouTube está vacía."))]
        length = len(reply.text)
        if length > MAX_COMMENT_CHARACTERS:
            return [
                ValidationIssue(
                    "text",
                    _(
                        "La respuesta tiene %(length)s caracteres; un comentario de "
                        "YouTube admite %(limit)s."
                    )
                    % {"length": length, "limit": MAX_COMMENT_CHARACTERS},
                )
            ]
        return []

    def reply(self, reply: OutboundReply) -> Receipt:
        """``POST comments?part=snippet`` with ``parentId`` and ``textOriginal``
        (50 quota units). No idempotency key: an unknown outcome is reconciled
        by ``find_reply``."""
        if reply.private:
            raise ContentRejected(
                str(self.private_reply_unavailable), code="private_unavailable"
            )
        parent = self.top_level_id(reply.in_reply_to)
        response = self.http.request(
            "POST",
            self._api("comments"),
            creates=True,
            error_mapper=self._api_error,
            headers=self._auth(),
            params={"part": "snippet"},
            json={"snippet": {"parentId": parent, "textOriginal": reply.text}},
        )
        comment = _body(response)
        comment_id = str(comment.get("id") or "")
        if not comment_id:
            raise AdapterError(
                _("YouTube no devolvió el identificador de la respuesta."),
                outcome_unknown=True,
                code="no_id",
            )
        snippet = comment.get("snippet") or {}
        return Receipt(
            platform_id=comment_id,
            permalink=self._comment_link(reply, comment_id),
            published_at=parse_time(snippet.get("publishedAt"))
            or datetime.datetime.now(datetime.UTC),
        )

    def _comment_link(self, reply: OutboundReply, comment_id: str) -> str:
        if not reply.thread_key:
            return ""
        return f"{self.permalink(reply.thread_key)}&lc={comment_id}"

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """The channel's reply with our text under the top-level comment
        (``GET comments?part=snippet&parentId=…``, paged)."""
        channel_id = self.credentials.account_id
        wanted = " ".join(reply.text.split())
        token = ""
        while True:
            params = {
                "part": "snippet",
                "parentId": self.top_level_id(reply.in_reply_to),
                "textFormat": "plainText",
                "maxResults": "100",
            }
            if token:
                params["pageToken"] = token
            response = self.http.request(
                "GET",
                self._api("comments"),
                error_mapper=self._api_error,
                headers=self._auth(),
                params=params,
            )
            data = _body(response)
            for comment in data.get("items") or []:
                snippet = comment.get("snippet") or {}
                author = str((snippet.get("authorChannelId") or {}).get("value") or "")
                if channel_id and author != channel_id:
                    continue
                text = str(
                    snippet.get("textOriginal") or snippet.get("textDisplay") or ""
                )
                if " ".join(text.split()) != wanted:
                    continue
                comment_id = str(comment.get("id") or "")
                return RemotePost(
                    platform_id=comment_id,
                    text=text,
                    created_at=parse_time(snippet.get("publishedAt")),
                    permalink=self._comment_link(reply, comment_id),
                )
            token = str(data.get("nextPageToken") or "")
            if not token:
                return None

    # -- HTTP helpers and error reading ----------------------------------------------------

    def _api(self, resource: str) -> str:
        return f"{self.network.api_url}/{self.network.api_version}/{resource}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.access_token}"}

    def _session_error(self, response: httpx.Response) -> AdapterError | None:
        if response.status_code in (404, 410):
            return SessionExpired(
                _("La sesión de subida de YouTube expiró."), code="session_expired"
            )
        return self._api_error(response)

    def _token_error(self, response: httpx.Response) -> AdapterError | None:
        """The OAuth error body: ``{"error": "invalid_grant", "error_description"}``."""
        body = _body(response)
        error = body.get("error")
        if response.status_code >= 500 or not isinstance(error, str):
            return self._api_error(response)
        description = str(body.get("error_description", ""))
        if error == "invalid_grant":
            return AuthError(
                _(
                    "Google rechazó la autorización (%(detail)s): vuelva a conectar el "
                    "canal de YouTube."
                )
                % {"detail": description or error},
                revoked=True,
                code="invalid_grant",
            )
        return AdapterError(
            _("Google rechazó la solicitud de token (%(error)s: %(detail)s).")
            % {"error": error, "detail": description},
            permanent=True,
            code=error,
        )

    def _api_error(self, response: httpx.Response) -> AdapterError | None:
        """Google's JSON error: ``error.errors[0].reason`` says what happened."""
        status = response.status_code
        error = _body(response).get("error")
        error = error if isinstance(error, dict) else {}
        reasons = [
            str(e.get("reason", ""))
            for e in error.get("errors") or []
            if isinstance(e, dict)
        ]
        reason = reasons[0] if reasons else ""
        detail = re.sub(r"<[^>]+>", "", str(error.get("message", "")))[:200]
        if reason in QUOTA_REASONS:
            return RateLimited(
                _(
                    "Se agotó la cuota diaria de la API de YouTube; se reanuda a la "
                    "medianoche, hora del Pacífico."
                ),
                retry_after=seconds_until_quota_reset(),
            )
        if reason in RATE_REASONS or status == 429:
            # A 429 without Retry-After is left to the HTTP client's reading.
            header = response.headers.get("retry-after", "").strip()
            wait = float(header) if header.isdigit() else None
            return RateLimited(
                _("YouTube limitó el ritmo de solicitudes; se reintentará."),
                retry_after=wait if wait is not None or status == 429 else 60.0,
            )
        if status == 401:
            return AuthError(
                _("El token de YouTube venció o no es válido (%(detail)s).")
                % {"detail": detail or reason},
                revoked=False,
                code="auth_expired",
            )
        if reason in PERMISSION_REASONS:
            return AuthError(
                _(
                    "La cuenta no dio a Pregonero el permiso necesario en YouTube "
                    "(%(reason)s): vuelva a conectar el canal."
                )
                % {"reason": reason},
                revoked=True,
                code=reason,
            )
        if reason == "uploadLimitExceeded":
            return ContentRejected(
                _(
                    "El canal alcanzó el límite diario de videos subidos a YouTube; "
                    "publique mañana."
                ),
                code="upload_limit",
            )
        if status >= 500:
            return None  # the default reading: transient, retried
        if status == 403:
            return AdapterError(
                _("YouTube no permitió la operación (%(reason)s: %(detail)s).")
                % {"reason": reason or status, "detail": detail},
                permanent=True,
                code=reason or "forbidden",
            )
        return ContentRejected(
            _("YouTube rechazó la solicitud (%(reason)s: %(detail)s).")
            % {"reason": reason or status, "detail": detail},
            code=reason or f"http_{status}",
        )
