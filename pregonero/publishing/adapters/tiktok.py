"""TikTok: Direct Post through the Content Posting API v2.

OAuth v2 with PKCE; TikTok names the app ``client_key`` (not ``client_id``) and
separates scopes with commas. Access tokens last 24 hours and refresh tokens
about a year; TikTok may hand back a new refresh token on every refresh, so the
one in the answer replaces the stored one.

A video goes up with ``FILE_UPLOAD``: ask the creator's settings, initialise the
post (which gives a ``publish_id`` and an upload URL), PUT the file in chunks,
then poll the status until TikTok publishes it. Photo posts (JPEG/WebP, up to
35) use ``PULL_FROM_URL``: TikTok downloads each image from its signed
``public_url``, whose domain must be verified in the TikTok developer portal.

What TikTok does not offer, and what that means here:

* No delete in the Content Posting API (``supports_delete = False``): a post is
  taken down by hand in the TikTok app.
* No way to list the account's posts with the scopes Pregonero asks for
  (``supports_recent_posts = False``): when a publication's outcome is unknown
  (the connection dropped while TikTok was finishing it), a person checks the
  profile and records the result; the error message carries the ``publish_id``.
* No idempotency key: a ``publish_id`` is never re-initialised blindly.

Apps that have not passed TikTok's audit can only post privately
(``SELF_ONLY``); the creator's ``privacy_level_options`` say what is allowed.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ContentRejected,
    MediaRef,
    MetricSample,
    NetworkSettings,
    OutboundPost,
    PostSnapshot,
    RateLimited,
    Receipt,
    TokenSet,
    ValidationIssue,
)

logger = logging.getLogger(__name__)

TIKTOK_TOKEN_URL = "https://open.tiktokapis.com/v2/oauth/token/"
CAPTION_LIMIT = 2200  # UTF-16 code units, video caption ("title")
PHOTO_TITLE_LIMIT = 90  # UTF-16 code units
PHOTO_DESCRIPTION_LIMIT = 4000  # UTF-16 code units
MAX_PHOTOS = 35
MAX_VIDEO_BYTES = 4 * 1024**3
MAX_DURATION_SECONDS = 600  # the usual ceiling; the creator's own limit rules
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm"})
PHOTO_TYPES = frozenset({"image/jpeg", "image/webp"})
PRIVACY_LEVELS = (
    "PUBLIC_TO_EVERYONE",
    "MUTUAL_FOLLOW_FRIENDS",
    "FOLLOWER_OF_CREATOR",
    "SELF_ONLY",
)
DAY = 24 * 3600.0
# error.code values that mean "this content, as sent, will not be posted".
CONTENT_CODES = frozenset(
    {
        "invalid_param",
        "privacy_level_option_mismatch",
        "unaudited_client_can_only_post_to_private_accounts",
        "url_ownership_unverified",
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
        "picture_size_check_failed",
        "video_pull_failed",
        "photo_pull_failed",
    }
)
FAIL_REASONS = {
    "file_format_check_failed": "el formato del archivo no es válido",
    "duration_check_failed": "la duración del video no es válida",
    "frame_rate_check_failed": "la velocidad de cuadros no es válida",
    "picture_size_check_failed": "el tamaño de la imagen no es válido",
    "video_pull_failed": "TikTok no pudo descargar el video",
    "photo_pull_failed": "TikTok no pudo descargar las fotos",
    "publish_cancelled": "la publicación se canceló",
    "spam_risk_too_many_posts": "la cuenta alcanzó el límite diario de publicaciones",
}


def utf16_length(text: str) -> int:
    """TikTok counts text in UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: httpx.Response, default: float) -> float:
    header = response.headers.get("retry-after", "").strip()
    return float(header) if header.isdigit() else default


VIDEO_METRICS = ("view_count", "like_count", "comment_count", "share_count")
VIDEO_FIELDS = (
    "id,create_time,title,video_description,share_url,cover_image_url,"
    + ",".join(VIDEO_METRICS)
)


class TikTokAdapter(Adapter):
    """Publishes a video (or a photo post) to a TikTok creator account."""

    # The Content Posting and Display APIs give no comments, mentions or
    # messages; the comment API is for research, not for the account's owner.
    inbound_unavailable = gettext_lazy(
        "La API de TikTok no entrega a la entidad los comentarios, las menciones "
        "ni los mensajes de su cuenta; regístrelos a mano desde la aplicación."
    )
    slug = "tiktok"
    label = "TikTok"
    uses_pkce = True
    supports_refresh = True
    supports_delete = False
    supports_recent_posts = False
    defaults = NetworkSettings(
        api_url="https://open.tiktokapis.com",
        auth_url="https://www.tiktok.com/v2/auth/authorize/",
        token_url=TIKTOK_TOKEN_URL,
        web_url="https://www.tiktok.com",
        api_version="v2",
        scopes=("user.info.basic", "user.info.stats", "video.list", "video.publish"),
    )
    sandbox_prefix = "tiktok"
    supports_metrics = True
    # Reading figures needs these scopes besides the publishing ones (TikTok's
    # Display API); a channel connected without them gets a clear error.
    metrics_scopes: ClassVar[tuple[str, ...]] = ("user.info.stats", "video.list")

    # Chunking (media transfer guide): files up to ``single_chunk_limit`` go in
    # one PUT; larger ones in ``chunk_size`` chunks (5–64 MB), the last chunk
    # taking the remainder (up to 128 MB). Tests lower both.
    chunk_size: ClassVar[int] = 10_000_000
    single_chunk_limit: ClassVar[int] = 64_000_000
    # Status polling: 30 requests a minute per token at most.
    status_polls: ClassVar[int] = 40
    poll_interval: ClassVar[float] = 3.0

    # -- validation ---------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        photos = [m for m in post.media if m.kind == "image"]
        videos = [m for m in post.media if m.kind == "video"]
        issues = self._validate_privacy(post)
        if photos and not videos:
            return issues + self._validate_photo_post(post)
        issues += self._validate_caption(post.text)
        issues += [
            ValidationIssue(
                f"media[{i}]",
                _("TikTok publica un video o fotos, no ambos: quite «%(name)s».")
                % {"name": m.name or m.path},
            )
            for i, m in enumerate(post.media)
            if m.kind != "video"
        ]
        if len(videos) != 1:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "TikTok publica exactamente un video (o de 1 a %(limit)s fotos); "
                        "la publicación tiene %(count)s videos."
                    )
                    % {"limit": MAX_PHOTOS, "count": len(videos)},
                )
            )
        for i, media in enumerate(post.media):
            if media.kind == "video":
                issues += self._validate_video(i, media)
        return issues

    def _validate_privacy(self, post: OutboundPost) -> list[ValidationIssue]:
        level = post.options.get("privacy_level", PRIVACY_LEVELS[0])
        if level in PRIVACY_LEVELS:
            return []
        return [
            ValidationIssue(
                "privacy_level",
                _(
                    "La visibilidad %(level)s no existe en TikTok; use una de: %(options)s."
                )
                % {"level": level, "options": ", ".join(PRIVACY_LEVELS)},
            )
        ]

    def _validate_caption(self, text: str) -> list[ValidationIssue]:
        length = utf16_length(text)
        if length <= CAPTION_LIMIT:
            return []
        return [
            ValidationIssue(
                "text",
                _(
                    "El texto tiene %(length)s unidades UTF-16 (los emoji cuentan 2); "
                    "TikTok admite %(limit)s."
                )
                % {"length": length, "limit": CAPTION_LIMIT},
            )
        ]

    def _validate_video(self, i: int, video: MediaRef) -> list[ValidationIssue]:
        field = f"media[{i}]"
        issues = []
        if video.content_type not in VIDEO_TYPES:
            issues.append(
                ValidationIssue(
                    field,
                    _("TikTok no acepta el formato %(type)s; use MP4, MOV o WebM.")
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
                        "El video pesa %(size)s bytes; TikTok admite hasta %(limit)s (4 GB)."
                    )
                    % {"size": video.size, "limit": MAX_VIDEO_BYTES},
                )
            )
        if video.duration is not None and video.duration > MAX_DURATION_SECONDS:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video dura %(duration)s segundos; TikTok admite hasta "
                        "%(limit)s (10 minutos) por la API."
                    )
                    % {
                        "duration": round(video.duration),
                        "limit": MAX_DURATION_SECONDS,
                    },
                )
            )
        return issues

    def _validate_photo_post(self, post: OutboundPost) -> list[ValidationIssue]:
        issues = []
        title, description = utf16_length(post.title), utf16_length(post.text)
        if title > PHOTO_TITLE_LIMIT:
            issues.append(
                ValidationIssue(
                    "title",
                    _(
                        "El título tiene %(length)s unidades UTF-16; TikTok admite "
                        "%(limit)s en publicaciones de fotos."
                    )
                    % {"length": title, "limit": PHOTO_TITLE_LIMIT},
                )
            )
        if description > PHOTO_DESCRIPTION_LIMIT:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s unidades UTF-16; TikTok admite "
                        "%(limit)s en publicaciones de fotos."
                    )
                    % {"length": description, "limit": PHOTO_DESCRIPTION_LIMIT},
                )
            )
        if len(post.media) > MAX_PHOTOS:
            issues.append(
                ValidationIssue(
                    "media",
                    _("La publicación tiene %(count)s fotos; TikTok admite %(limit)s.")
                    % {"count": len(post.media), "limit": MAX_PHOTOS},
                )
            )
        issues += [
            ValidationIssue(
                f"media[{i}]",
                _("TikTok solo acepta fotos JPEG o WebP; «%(name)s» es %(type)s.")
                % {"name": m.name or m.path, "type": m.content_type},
            )
            for i, m in enumerate(post.media)
            if m.content_type not in PHOTO_TYPES
        ]
        return issues

    # -- publishing ------------------------------------------------------------------

    def publish(self, post: OutboundPost) -> Receipt:
        photos = [m for m in post.media if m.kind == "image"]
        videos = [m for m in post.media if m.kind == "video"]
        if photos and len(photos) == len(post.media):
            return self._publish_photos(post, photos)
        if len(videos) == 1 and len(post.media) == 1:
            return self._publish_video(post, videos[0])
        raise ContentRejected(
            _("TikTok publica exactamente un video, o solo fotos."), code="media"
        )

    def creator_info(self) -> dict[str, Any]:
        """The creator's settings, required before every Direct Post."""
        return self._call("POST", "post/publish/creator_info/query/", json={})

    def _publish_video(self, post: OutboundPost, video: MediaRef) -> Receipt:
        creator = self.creator_info()
        limit = creator.get("max_video_post_duration_sec")
        if (
            video.duration is not None
            and isinstance(limit, int | float)
            and video.duration > limit
        ):
            raise ContentRejected(
                _(
                    "El video dura %(duration)s segundos; esta cuenta de TikTok "
                    "admite hasta %(limit)s."
                )
                % {"duration": round(video.duration), "limit": int(limit)},
                code="duration",
            )
        chunk_size, count = self.chunk_plan(video.size)
        post_info = self._post_info(post, creator) | {
            "title": post.text,
            "disable_duet": self._disabled(post, creator, "duet"),
            "disable_stitch": self._disabled(post, creator, "stitch"),
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
            "is_aigc": post.options.get("is_aigc") == "true",
        }
        if post.options.get("video_cover_timestamp_ms", "").isdigit():
            post_info["video_cover_timestamp_ms"] = int(
                post.options["video_cover_timestamp_ms"]
            )
        # Nothing is posted until the last byte arrives, so a lost answer here
        # is safe to retry: ``creates`` stays False.
        data = self._call(
            "POST",
            "post/publish/video/init/",
            json={
                "post_info": post_info,
                "source_info": {
                    "source": "FILE_UPLOAD",
                    "video_size": video.size,
                    "chunk_size": chunk_size,
                    "total_chunk_count": count,
                },
            },
        )
        publish_id = str(data.get("publish_id", ""))
        upload_url = str(data.get("upload_url", ""))
        if not publish_id or not upload_url:
            raise AdapterError(
                _("TikTok no devolvió el identificador ni la dirección de subida."),
                code="no_upload_url",
            )
        self._upload(publish_id, upload_url, video, chunk_size, count)
        status = self._await(publish_id)
        return self._receipt(publish_id, status, creator, "video")

    def _publish_photos(self, post: OutboundPost, photos: list[MediaRef]) -> Receipt:
        missing = [m.name or m.path for m in photos if not m.public_url]
        if missing:
            raise AdapterError(
                _(
                    "TikTok descarga las fotos desde una dirección pública y estas no "
                    "tienen: %(names)s."
                )
                % {"names": ", ".join(missing)},
                permanent=True,
                code="no_public_url",
            )
        creator = self.creator_info()
        # With PULL_FROM_URL the init itself makes the post: creates=True.
        data = self._call(
            "POST",
            "post/publish/content/init/",
            creates=True,
            json={
                "media_type": "PHOTO",
                "post_mode": "DIRECT_POST",
                "post_info": self._post_info(post, creator)
                | {
                    "title": post.title,
                    "description": post.text,
                    "auto_add_music": post.options.get("auto_add_music", "true")
                    == "true",
                },
                "source_info": {
                    "source": "PULL_FROM_URL",
                    "photo_cover_index": 0,
                    "photo_images": [m.public_url for m in photos],
                },
            },
        )
        publish_id = str(data.get("publish_id", ""))
        if not publish_id:
            raise AdapterError(
                _("TikTok no devolvió el identificador de la publicación."),
                outcome_unknown=True,
                code="no_publish_id",
            )
        status = self._await(publish_id)
        return self._receipt(publish_id, status, creator, "photo")

    def chunk_plan(self, size: int) -> tuple[int, int]:
        """``(chunk_size, total_chunk_count)`` by TikTok's rules: the count is
        ``floor(size / chunk_size)`` and the last chunk takes the remainder."""
        if size <= self.single_chunk_limit:
            return size, 1
        return self.chunk_size, size // self.chunk_size

    def _post_info(self, post: OutboundPost, creator: dict[str, Any]) -> dict[str, Any]:
        level = post.options.get("privacy_level", PRIVACY_LEVELS[0])
        allowed = [str(o) for o in creator.get("privacy_level_options") or []]
        if level not in allowed:
            raise ContentRejected(
                _(
                    "La cuenta de TikTok no permite publicar con visibilidad %(level)s; "
                    "admite: %(options)s."
                )
                % {"level": level, "options": ", ".join(allowed) or "—"},
                code="privacy_level",
            )
        return {
            "privacy_level": level,
            "disable_comment": self._disabled(post, creator, "comment"),
        }

    @staticmethod
    def _disabled(post: OutboundPost, creator: dict[str, Any], what: str) -> bool:
        """Off when the creator turned it off in TikTok, or the post asks so."""
        return bool(creator.get(f"{what}_disabled")) or (
            post.options.get(f"disable_{what}") == "true"
        )

    def _upload(
        self,
        publish_id: str,
        upload_url: str,
        video: MediaRef,
        chunk_size: int,
        count: int,
    ) -> None:
        total = video.size
        with video.open() as handle:
            for index in range(count):
                start = index * chunk_size
                final = index == count - 1
                end = total - 1 if final else start + chunk_size - 1
                handle.seek(start)
                data = handle.read(end - start + 1)
                try:
                    # Only the last chunk can make the post.
                    self.http.request(
                        "PUT",
                        upload_url,
                        content=data,
                        headers={
                            "Content-Type": video.content_type,
                            "Content-Range": f"bytes {start}-{end}/{total}",
                        },
                        creates=final,
                        error_mapper=self._api_error,
                    )
                except AdapterError as exc:
                    if (
                        not final
                        or exc.permanent
                        or not self._upload_arrived(publish_id, total)
                    ):
                        raise
                    logger.info("TikTok had the last chunk of %s after all", publish_id)

    def _upload_arrived(self, publish_id: str, total: int) -> bool:
        """After a failed last chunk: does the status show every byte arrived?"""
        try:
            status = self._fetch_status(publish_id)
        except AdapterError:
            return False
        return status.get("status") != "PROCESSING_UPLOAD" or (
            int(status.get("uploaded_bytes") or 0) >= total
        )

    def _await(self, publish_id: str) -> dict[str, Any]:
        """Poll the status (bounded). The post may exist from here on, so any
        failure to learn the result leaves the outcome unknown."""
        for attempt in range(self.status_polls):
            if attempt:
                time.sleep(self.poll_interval)
            try:
                status = self._fetch_status(publish_id)
            except AdapterError as exc:
                raise AdapterError(
                    _(
                        "No se pudo confirmar la publicación %(id)s en TikTok "
                        "(%(error)s); revise el perfil antes de reintentar."
                    )
                    % {"id": publish_id, "error": exc.message},
                    outcome_unknown=True,
                    retry_after=exc.retry_after,
                    code=exc.code,
                ) from exc
            state = status.get("status")
            if state == "PUBLISH_COMPLETE":
                return status
            if state == "FAILED":
                self._failed(publish_id, str(status.get("fail_reason", "")))
            if state == "SEND_TO_USER_INBOX":
                raise AdapterError(
                    _(
                        "TikTok dejó la publicación %(id)s en la bandeja de la cuenta: "
                        "termínela en la aplicación."
                    )
                    % {"id": publish_id},
                    permanent=True,
                    code="sent_to_inbox",
                )
        raise AdapterError(
            _(
                "TikTok sigue procesando la publicación %(id)s; revise el perfil antes "
                "de reintentar."
            )
            % {"id": publish_id},
            outcome_unknown=True,
            code="processing",
        )

    @staticmethod
    def _failed(publish_id: str, reason: str) -> None:
        if reason == "internal":
            raise AdapterError(
                _(
                    "TikTok tuvo un error interno con la publicación %(id)s; se reintentará."
                )
                % {"id": publish_id},
                code="failed_internal",
            )
        raise ContentRejected(
            _("TikTok no publicó %(id)s: %(reason)s.")
            % {"id": publish_id, "reason": FAIL_REASONS.get(reason, reason or "?")},
            code=reason or "failed",
        )

    def _fetch_status(self, publish_id: str) -> dict[str, Any]:
        return self._call(
            "POST", "post/publish/status/fetch/", json={"publish_id": publish_id}
        )

    def _receipt(
        self,
        publish_id: str,
        status: dict[str, Any],
        creator: dict[str, Any],
        kind: str,
    ) -> Receipt:
        """The public post id when TikTok gives it (it spells the field
        ``publicaly_available_post_id`` and sometimes sends a list); otherwise
        the publish_id and the profile as the link."""
        ids = status.get("publicaly_available_post_id")
        if isinstance(ids, list):
            post_id = str(ids[0]) if ids else ""
        else:
            post_id = str(ids or "")
        handle = str(creator.get("creator_username") or self.credentials.handle).lstrip(
            "@"
        )
        profile = f"{self.network.web_url}/@{handle}"
        return Receipt(
            platform_id=post_id or publish_id,
            permalink=f"{profile}/{kind}/{post_id}" if post_id else profile,
            published_at=timezone.now(),
        )

    # -- accounts ---------------------------------------------------------------------------

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        params = {
            # TikTok's name for the client id.
            "client_key": self.network.client_id,
            "response_type": "code",
            "scope": ",".join(self.network.scopes),
            "redirect_uri": redirect_uri,
            "state": state,
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
            "client_key": self.network.client_id,
            "client_secret": self.network.client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        tokens = self._token_request(form)
        wanted = self.credentials.account_id
        if wanted and tokens.account_id != wanted:
            raise ContentRejected(
                _(
                    "La cuenta de TikTok autorizada no es la de este canal (%(account)s); "
                    "conéctese con la cuenta correcta."
                )
                % {"account": self.credentials.handle or wanted},
                code="wrong_account",
            )
        info = self._account(tokens.access_token)
        return TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            refresh_expires_at=tokens.refresh_expires_at,
            scopes=tokens.scopes,
            account_id=tokens.account_id or info.account_id,
            handle=info.handle,
            extra={"name": info.name},
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token_request(
            {
                "client_key": self.network.client_id,
                "client_secret": self.network.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            }
        )

    def account(self) -> AccountInfo:
        return self._account(self.credentials.access_token)

    # -- metrics (Display API) ---------------------------------------------------------

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """TikTok gives no daily account figures: the follower count, a level read
        now from ``user/info`` (scope ``user.info.stats``)."""
        user = (
            self._call(
                "GET", "user/info/", params={"fields": "open_id,follower_count"}
            ).get("user")
            or {}
        )
        if "follower_count" not in user:
            return []
        return [
            MetricSample(
                "follower_count",
                self.total(user["follower_count"]),
                api_version=self.network.api_version,
            )
        ]

    def _snapshots(self, videos: Any) -> list[PostSnapshot]:
        snapshots: list[PostSnapshot] = []
        for video in videos if isinstance(videos, list) else []:
            if not isinstance(video, dict) or not video.get("id"):
                continue
            created = video.get("create_time")
            snapshots.append(
                PostSnapshot(
                    platform_id=str(video["id"]),
                    published_at=datetime.datetime.fromtimestamp(
                        int(created), datetime.UTC
                    )
                    if isinstance(created, int | float)
                    else None,
                    permalink=str(video.get("share_url") or ""),
                    text=str(
                        video.get("video_description") or video.get("title") or ""
                    ),
                    post_type="video",
                    thumbnail_url=str(video.get("cover_image_url") or ""),
                    metrics={
                        name: self.total(video[name])
                        for name in VIDEO_METRICS
                        if name in video
                    },
                    api_version=self.network.api_version,
                )
            )
        return snapshots

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """``video/query`` (20 ids a request, scope ``video.list``)."""
        snapshots: list[PostSnapshot] = []
        for start in range(0, len(platform_ids), 20):
            data = self._call(
                "POST",
                "video/query/",
                params={"fields": VIDEO_FIELDS},
                json={"filters": {"video_ids": platform_ids[start : start + 20]}},
            )
            snapshots += self._snapshots(data.get("videos"))
        return snapshots

    def recent_posts_with_metrics(self, limit: int = 50) -> list[PostSnapshot]:
        """``video/list``, newest first, 20 a page with TikTok's cursor."""
        snapshots: list[PostSnapshot] = []
        cursor: int | None = None
        while len(snapshots) < limit:
            body: dict[str, Any] = {"max_count": min(20, limit - len(snapshots))}
            if cursor:
                body["cursor"] = cursor
            data = self._call(
                "POST", "video/list/", params={"fields": VIDEO_FIELDS}, json=body
            )
            page = self._snapshots(data.get("videos"))
            snapshots += page
            cursor = data.get("cursor") if isinstance(data.get("cursor"), int) else None
            if not page or not data.get("has_more") or not cursor:
                break
        return snapshots[:limit]

    def _account(self, token: str) -> AccountInfo:
        """user/info for the id and name; the username comes from creator_info
        (``username`` in user/info needs another scope, user.info.profile)."""
        user = (
            self._call(
                "GET",
                "user/info/",
                params={"fields": "open_id,union_id,avatar_url,display_name"},
                token=token,
            ).get("user")
            or {}
        )
        creator = self._call(
            "POST", "post/publish/creator_info/query/", json={}, token=token
        )
        handle = str(creator.get("creator_username", ""))
        return AccountInfo(
            account_id=str(user.get("open_id", "")),
            handle=handle,
            name=str(user.get("display_name") or creator.get("creator_nickname", "")),
            url=f"{self.network.web_url}/@{handle}" if handle else "",
        )

    def _token_request(self, form: dict[str, str]) -> TokenSet:
        response = self.http.request(
            "POST", self.network.token_url, data=form, error_mapper=self._token_error
        )
        data = _body(response)
        if not data.get("access_token"):
            # TikTok may answer an OAuth error with HTTP 200.
            raise self._token_error(response) or AdapterError(
                _("TikTok no devolvió un token de acceso."), code="no_token"
            )
        now = timezone.now()
        expires_in = data.get("expires_in")
        refresh_in = data.get("refresh_expires_in")
        return TokenSet(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token") or None,
            expires_at=now + datetime.timedelta(seconds=int(expires_in))
            if expires_in
            else None,
            refresh_expires_at=now + datetime.timedelta(seconds=int(refresh_in))
            if refresh_in
            else None,
            scopes=tuple(
                s for s in str(data.get("scope", "")).replace(" ", ",").split(",") if s
            ),
            account_id=str(data.get("open_id", "")),
        )

    # -- HTTP helpers and error reading ----------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        creates: bool = False,
        token: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One API call; returns ``data`` or raises what ``error.code`` says (TikTok
        sends the error object with every answer, ``"ok"`` when all went well)."""
        response = self.http.request(
            method,
            f"{self.network.api_url}/{self.network.api_version}/{path}",
            headers={
                "Authorization": f"Bearer {token if token is not None else self.credentials.access_token}",
                "Content-Type": "application/json; charset=UTF-8",
            },
            creates=creates,
            error_mapper=self._api_error,
            **kwargs,
        )
        body = _body(response)
        error = body.get("error")
        if isinstance(error, dict) and error.get("code") not in (None, "", "ok"):
            raise self._api_error(response) or AdapterError(
                str(error.get("message", "")), code=str(error.get("code"))
            )
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def _token_error(self, response: httpx.Response) -> AdapterError | None:
        """OAuth errors: ``{"error": "invalid_grant", "error_description", "log_id"}``."""
        body = _body(response)
        error = body.get("error")
        if response.status_code >= 500 or not isinstance(error, str):
            return self._api_error(response)
        description = str(body.get("error_description", ""))
        if error == "invalid_grant":
            return AuthError(
                _(
                    "TikTok rechazó la autorización (%(detail)s): vuelva a conectar la "
                    "cuenta."
                )
                % {"detail": description or error},
                revoked=True,
                code="invalid_grant",
            )
        return AdapterError(
            _("TikTok rechazó la solicitud de token (%(error)s: %(detail)s).")
            % {"error": error, "detail": description},
            permanent=True,
            code=error,
        )

    def _api_error(self, response: httpx.Response) -> AdapterError | None:
        """``{"error": {"code", "message", "log_id"}}`` with the HTTP status."""
        status = response.status_code
        error = _body(response).get("error")
        error = error if isinstance(error, dict) else {}
        code = str(error.get("code", ""))
        detail = str(error.get("message", ""))[:200]
        log_id = str(error.get("log_id", ""))
        if code == "access_token_invalid" or (status == 401 and not code):
            return AuthError(
                _("El token de TikTok venció o no es válido (%(detail)s).")
                % {"detail": detail or code},
                revoked=False,
                code="access_token_invalid",
            )
        if code in ("scope_not_authorized", "scope_permission_missed"):
            return AuthError(
                _(
                    "La cuenta no dio a Pregonero el permiso necesario en TikTok: "
                    "vuelva a conectarla."
                ),
                revoked=True,
                code=code,
            )
        if code == "rate_limit_exceeded" or status == 429:
            return RateLimited(
                _("TikTok limitó el ritmo de solicitudes; se reintentará."),
                retry_after=_retry_after(response, 60.0),
            )
        if code in ("spam_risk_too_many_posts", "reached_active_user_cap"):
            return RateLimited(
                _("TikTok alcanzó su límite diario (%(code)s); se reintentará mañana.")
                % {"code": code},
                retry_after=_retry_after(response, DAY),
            )
        if code == "spam_risk_user_banned_from_posting":
            return AdapterError(
                _(
                    "TikTok no deja publicar a esta cuenta por ahora; revísela en la aplicación."
                ),
                permanent=True,
                code=code,
            )
        if code in CONTENT_CODES:
            return ContentRejected(
                _("TikTok rechazó la publicación (%(code)s: %(detail)s; log %(log)s).")
                % {"code": code, "detail": detail, "log": log_id},
                code=code,
            )
        if code == "internal" or status >= 500:
            return AdapterError(
                _("TikTok tuvo un error interno (%(code)s); se reintentará.")
                % {"code": code or status},
                retry_after=_retry_after(response, 0) or None,
                code=code or f"http_{status}",
            )
        if status < 400:
            return AdapterError(
                _("TikTok respondió con un error (%(code)s: %(detail)s).")
                % {"code": code, "detail": detail},
                permanent=True,
                code=code or "error",
            )
        return ContentRejected(
            _("TikTok rechazó la solicitud (%(code)s: %(detail)s).")
            % {"code": code or status, "detail": detail},
            code=code or f"http_{status}",
        )
