"""Facebook Pages through the Graph API (reference ``social_apis.md`` §1).

A post is one of: text (``POST /{page-id}/feed``), one photo (``POST
/{page-id}/photos`` with the file as multipart ``source``), several photos
(each uploaded unpublished, then one ``/feed`` post with ``attached_media``) or
one video (``POST /{page-id}/videos``, then its processing status polled).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .base import (
    AccountInfo,
    AdapterError,
    ContentRejected,
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
    day_windows,
)
from .meta_common import (
    FACEBOOK_DIALOG_URL,
    GRAPH_API_URL,
    GRAPH_TOKEN_URL,
    GRAPH_VERSION,
    GraphAdapter,
    ManagedPage,
    alt_text_issue,
    dump_cursor,
    insights_values,
    load_cursor,
    megabytes,
    missing_object,
    parse_graph_time,
)

# Text: Facebook's documented post limit, counted here in Unicode code points
# (what the text holds as sent); assumption: Meta does not say how it counts.
TEXT_LIMIT = 63_206
# Photos per post: Facebook takes more through ``attached_media`` in practice,
# but 10 is the commonly cited safe number; Pregonero keeps to it.
PHOTO_LIMIT = 10
# Page Photos reference: files under 4 MB in these formats.
PHOTO_MAX_BYTES = 4 * 1024 * 1024
PHOTO_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/tiff",
        "image/heif",
        "image/bmp",
    }
)
# Page video uploads: MP4 or MOV, up to 10 GB and 240 minutes (widely documented
# Facebook video specs; not in the reference, so treat as assumptions).
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
VIDEO_MAX_BYTES = 10 * 1024 * 1024 * 1024
VIDEO_MAX_SECONDS = 240 * 60
# Page and post insights (§1.7.1): the names Meta gives after the November 2025
# deprecation of impressions (views replace them); never the deprecated ones,
# since one bad name fails the whole request.
PAGE_METRICS = (
    "page_follows",
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_video_views",
    "page_total_actions",
)
POST_METRICS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_reactions_by_type_total",
    "post_video_views",
)
POST_FIELDS = (
    "id,message,created_time,permalink_url,full_picture,status_type,"
    "shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)"
)


class FacebookAdapter(GraphAdapter):
    """A Facebook Page, published with its Page access token.

    The token comes from Facebook Login (see ``GraphAdapter``): a Page token
    fetched with a long-lived user token has no expiry (``expires_at`` None) and
    there is no refresh grant, so ``supports_refresh`` is False; when the token
    stops working (code 190) a person connects the Page again. Graph has no
    idempotency key: it refuses a consecutive identical post with code 506,
    which the worker reads as ``Duplicate``.
    """

    slug = "facebook"
    label = "Facebook"
    publish_permission = "pages_manage_posts"
    defaults = NetworkSettings(
        api_url=GRAPH_API_URL,
        auth_url=FACEBOOK_DIALOG_URL,
        token_url=GRAPH_TOKEN_URL,
        upload_url="https://graph-video.facebook.com",
        web_url="https://www.facebook.com",
        api_version=GRAPH_VERSION,
        scopes=(
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_posts",
            "publish_video",
            "pages_read_user_content",
            "pages_messaging",
            "pages_manage_engagement",
        ),
    )
    poll_interval = 3.0
    max_polls = 60
    supports_metrics = True
    supports_public_reply = True
    private_reply_unavailable = _lazy(
        "Pregonero todavía no envía mensajes privados por Messenger: responda en "
        "público sin datos personales, o responda el mensaje en la bandeja de "
        "Meta y márquelo como respondido."
    )
    inbound_kinds = ("comment", "direct_message")
    metrics_window_days = 90  # since/until at most 90 days apart (§1.7)
    metrics_history_days = 730  # only the last two years

    # -- content ---------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        if not post.text.strip() and not post.media:
            issues.append(
                ValidationIssue(
                    "text", _("La publicación de Facebook no tiene texto ni archivos.")
                )
            )
        if len(post.text) > TEXT_LIMIT:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s caracteres; Facebook admite %(limit)s."
                    )
                    % {"length": len(post.text), "limit": TEXT_LIMIT},
                )
            )
        issues.extend(self._media_issues(post.media))
        return issues

    def _media_issues(self, media: tuple[MediaRef, ...]) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        images = [m for m in media if m.kind == "image"]
        videos = [m for m in media if m.kind == "video"]
        if images and videos:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "Facebook no mezcla fotos y video en una publicación: use solo fotos o un video."
                    ),
                )
            )
        if len(videos) > 1:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "La publicación tiene %(count)s videos; Facebook admite 1 por publicación."
                    )
                    % {"count": len(videos)},
                )
            )
        if len(images) > PHOTO_LIMIT:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "La publicación tiene %(count)s fotos; Pregonero publica hasta %(limit)s por publicación de Facebook."
                    )
                    % {"count": len(images), "limit": PHOTO_LIMIT},
                )
            )
        for index, item in enumerate(media):
            issues.extend(self._item_issues(index, item))
        return issues

    def _item_issues(self, index: int, item: MediaRef) -> list[ValidationIssue]:
        field = f"media[{index}]"
        values: dict[str, Any] = {"number": index + 1, "type": item.content_type}
        if item.kind == "image":
            issues: list[ValidationIssue] = []
            if item.content_type not in PHOTO_TYPES:
                issues.append(
                    ValidationIssue(
                        field,
                        _(
                            "La imagen %(number)s es %(type)s; Facebook admite JPEG, PNG, GIF, WebP, TIFF, HEIF o BMP."
                        )
                        % values,
                    )
                )
            if item.size > PHOTO_MAX_BYTES:
                issues.append(
                    ValidationIssue(
                        field,
                        _(
                            "La imagen %(number)s pesa %(size)s MB; Facebook admite hasta %(limit)s MB por foto."
                        )
                        % {
                            **values,
                            "size": megabytes(item.size),
                            "limit": megabytes(PHOTO_MAX_BYTES),
                        },
                    )
                )
            missing_alt = alt_text_issue(index, item, self.label)
            if missing_alt is not None:
                issues.append(missing_alt)
            return issues
        if item.kind == "video":
            return self._video_issues(field, item, values)
        return [
            ValidationIssue(
                field,
                _(
                    "El archivo %(number)s es de tipo %(type)s; Facebook solo publica fotos y video."
                )
                % values,
            )
        ]

    def _video_issues(
        self, field: str, item: MediaRef, values: dict[str, Any]
    ) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        if item.content_type not in VIDEO_TYPES:
            issues.append(
                ValidationIssue(
                    field,
                    _("El video %(number)s es %(type)s; Facebook admite MP4 o MOV.")
                    % values,
                )
            )
        if item.size > VIDEO_MAX_BYTES:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video %(number)s pesa %(size)s MB; Facebook admite hasta %(limit)s MB."
                    )
                    % {
                        **values,
                        "size": megabytes(item.size),
                        "limit": megabytes(VIDEO_MAX_BYTES),
                    },
                )
            )
        if item.duration is not None and item.duration > VIDEO_MAX_SECONDS:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video %(number)s dura %(seconds)s segundos; Facebook admite hasta %(limit)s segundos (240 minutos)."
                    )
                    % {
                        **values,
                        "seconds": round(item.duration),
                        "limit": VIDEO_MAX_SECONDS,
                    },
                )
            )
        return issues

    def publish(self, post: OutboundPost) -> Receipt:
        page_id = self.credentials.account_id
        videos = [m for m in post.media if m.kind == "video"]
        images = [m for m in post.media if m.kind == "image"]
        if videos:
            return self._publish_video(page_id, post, videos[0])
        if len(images) == 1:
            data = self._upload_photo(page_id, images[0], caption=post.text)
            post_id = str(data.get("post_id") or data.get("id", ""))
        elif images:
            photo_ids = [
                str(self._upload_photo(page_id, image, published=False)["id"])
                for image in images
            ]
            attached = [{"media_fbid": photo_id} for photo_id in photo_ids]
            post_id = self._create_feed_post(
                page_id,
                {"message": post.text, "attached_media": json.dumps(attached)},
            )
        else:
            post_id = self._create_feed_post(page_id, {"message": post.text})
        return self._receipt(post_id)

    def _create_feed_post(self, page_id: str, data: dict[str, str]) -> str:
        created = self.call(
            "POST", self.graph_url(page_id, "feed"), creates=True, data=data
        )
        return str(created.get("id", ""))

    def _upload_photo(
        self,
        page_id: str,
        image: MediaRef,
        *,
        caption: str = "",
        published: bool = True,
    ) -> dict[str, Any]:
        data = {"alt_text_custom": image.alt_text}
        if caption:
            data["caption"] = caption
        if not published:
            data["published"] = "false"
        with image.open() as handle:
            return self.call(
                "POST",
                self.graph_url(page_id, "photos"),
                creates=True,
                data=data,
                files={"source": (image.name or "foto", handle, image.content_type)},
            )

    def _publish_video(
        self, page_id: str, post: OutboundPost, video: MediaRef
    ) -> Receipt:
        data = {"description": post.text}
        if post.title:
            data["title"] = post.title
        upload_base = (self.network.upload_url or self.network.api_url).rstrip("/")
        with video.open() as handle:
            created = self.call(
                "POST",
                f"{upload_base}/{self.network.api_version}/{page_id}/videos",
                creates=True,
                data=data,
                files={"source": (video.name or "video", handle, video.content_type)},
            )
        video_id = str(created.get("id", ""))
        info = self._wait_for_video(video_id)
        post_id = str(info.get("post_id") or video_id)
        return Receipt(
            platform_id=post_id,
            permalink=str(
                info.get("permalink_url") or self._fallback_permalink(post_id)
            ),
            published_at=parse_graph_time(info.get("created_time")) or _now(),
        )

    def _wait_for_video(self, video_id: str) -> dict[str, Any]:
        """Poll the video until Facebook says it is ready.

        The upload already happened, so giving up says ``outcome_unknown``: the
        video may still become a post, and the worker reconciles before retrying.
        """
        for attempt in range(self.max_polls):
            info = self.call(
                "GET",
                self.graph_url(video_id),
                params={"fields": "status,permalink_url,post_id,created_time"},
            )
            status = info.get("status") or {}
            state = str(status.get("video_status", "ready"))
            if state == "ready":
                return info
            if state == "error":
                raise ContentRejected(
                    _(
                        "Facebook no pudo procesar el video (%(detail)s); revise el archivo."
                    )
                    % {"detail": status.get("processing_phase") or state},
                    code="video_error",
                )
            if attempt + 1 < self.max_polls:
                self.sleep()
        raise AdapterError(
            _(
                "Facebook sigue procesando el video después de %(polls)s consultas; se verificará si quedó publicado."
            )
            % {"polls": self.max_polls},
            outcome_unknown=True,
            code="processing",
        )

    def _receipt(self, post_id: str) -> Receipt:
        """Read the permalink back; the post exists already, so a failure here
        must not fail the publication (a retry would duplicate it)."""
        try:
            info = self.call(
                "GET",
                self.graph_url(post_id),
                params={"fields": "permalink_url,created_time"},
            )
        except AdapterError:
            info = {}
        return Receipt(
            platform_id=post_id,
            permalink=str(
                info.get("permalink_url") or self._fallback_permalink(post_id)
            ),
            published_at=parse_graph_time(info.get("created_time")) or _now(),
        )

    def _fallback_permalink(self, post_id: str) -> str:
        # www.facebook.com/<page-id>_<post-id> opens the post.
        return f"{self.network.web_url.rstrip('/')}/{post_id}"

    def delete(self, platform_id: str) -> None:
        """``DELETE /{post-id}``; a post that no longer exists counts as deleted."""
        try:
            self.call("DELETE", self.graph_url(platform_id), creates=True)
        except ContentRejected as exc:
            if exc.code != "graph_100_33":  # the object does not exist (any more)
                raise

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        return self.edge_posts(
            "posts",
            text="message",
            created="created_time",
            link="permalink_url",
            limit=limit,
        )

    # -- inbound (issue 6, §1.6) -------------------------------------------------------

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Comments on the Page's latest posts (``/{post-id}/comments`` with
        ``filter=stream``, ``order=chronological`` and ``since``) and the
        citizens' messages of the Page's Messenger conversations
        (``/{page-id}/conversations``), after the checkpoint less
        ``inbound_overlap``. Comments thread by their post, messages by their
        conversation."""
        page_id = self.credentials.account_id
        moments = load_cursor(cursor)
        entries: dict[str, InboundEntry] = {}
        newest = dict(moments)

        def floor(stream: str) -> datetime.datetime | None:
            moment = moments.get(stream)
            return moment - self.inbound_overlap if moment else None

        def keep(stream: str, entry: InboundEntry) -> None:
            entries.setdefault(entry.platform_id, entry)
            if stream not in newest or entry.received_at > newest[stream]:
                newest[stream] = entry.received_at

        since = floor("comments")
        for post in self.recent_posts(self.inbound_posts):
            params = {
                "fields": "id,message,created_time,from,permalink_url",
                "filter": "stream",
                "order": "chronological",
            }
            if since is not None:
                params["since"] = str(int(since.timestamp()))
            for row in self.all_pages(
                self.graph_url(post.platform_id, "comments"), params
            ):
                created = parse_graph_time(row.get("created_time"))
                author = row.get("from") or {}
                if created is None or str(author.get("id", "")) == page_id:
                    continue
                keep(
                    "comments",
                    InboundEntry(
                        kind="comment",
                        platform_id=str(row["id"]),
                        author_handle=str(author.get("name") or author.get("id") or ""),
                        author_name=str(author.get("name") or ""),
                        text=str(row.get("message") or ""),
                        received_at=created,
                        thread_key=post.platform_id,
                        url=str(row.get("permalink_url") or post.permalink),
                        post_url=post.permalink,
                    ),
                )
        since = floor("messages")
        for thread in self.all_pages(
            self.graph_url(page_id, "conversations"),
            {
                "platform": "messenger",
                "fields": "id,updated_time,link,messages{id,message,created_time,from}",
            },
        ):
            updated = parse_graph_time(thread.get("updated_time"))
            if since is not None and updated is not None and updated < since:
                break  # newest first: the rest is older
            link = str(thread.get("link") or "")
            for message in (thread.get("messages") or {}).get("data", []):
                created = parse_graph_time(message.get("created_time"))
                author = message.get("from") or {}
                if created is None or str(author.get("id", "")) == page_id:
                    continue
                if since is not None and created < since:
                    continue
                keep(
                    "messages",
                    InboundEntry(
                        kind="direct_message",
                        platform_id=str(message["id"]),
                        author_handle=str(author.get("name") or author.get("id") or ""),
                        author_name=str(author.get("name") or ""),
                        text=str(message.get("message") or ""),
                        received_at=created,
                        # The sender's page-scoped id, as Messenger webhooks
                        # name it: both ways thread into one conversation.
                        thread_key=f"dm:{author.get('id') or thread.get('id')}",
                        url=f"{self.network.web_url.rstrip('/')}{link}" if link else "",
                    ),
                )
        ordered = sorted(entries.values(), key=lambda e: e.received_at)
        return InboundPage(ordered, dump_cursor(newest))

    # -- replies (issue 6) -----------------------------------------------------------

    def _reply_text_issues(self, reply: OutboundReply) -> list[ValidationIssue]:
        return self.validate(OutboundPost(text=reply.text, idempotency_key=""))

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        return self._reply_text_issues(reply)

    def reply(self, reply: OutboundReply) -> Receipt:
        """A public reply under the comment: ``POST /{comment-id}/comments``
        (reference §1.6, ``pages_manage_engagement``). Graph takes no
        idempotency key: an unknown outcome is reconciled by ``find_reply``."""
        if reply.private:
            raise ContentRejected(
                _(
                    "Pregonero todavía no envía mensajes privados por Messenger; "
                    "responda en público sin datos personales."
                ),
                code="private_unavailable",
            )
        data = self.call(
            "POST",
            self.graph_url(reply.in_reply_to, "comments"),
            creates=True,
            data={"message": reply.text},
        )
        reply_id = str(data["id"])
        return Receipt(
            platform_id=reply_id,
            permalink=f"{self.network.web_url.rstrip('/')}/{reply_id}",
            published_at=_now(),
        )

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """The Page's reply with our text among the replies under the comment
        (``GET /{comment-id}/comments``)."""
        page_id = self.credentials.account_id
        wanted = " ".join(reply.text.split())
        for row in self.all_pages(
            self.graph_url(reply.in_reply_to, "comments"),
            {
                "fields": "id,message,created_time,from,permalink_url",
                "filter": "stream",
            },
        ):
            author = str((row.get("from") or {}).get("id") or "")
            if page_id and author != page_id:
                continue
            if " ".join(str(row.get("message") or "").split()) == wanted:
                return RemotePost(
                    platform_id=str(row["id"]),
                    text=str(row.get("message") or ""),
                    created_at=parse_graph_time(row.get("created_time")),
                    permalink=str(row.get("permalink_url") or ""),
                )
        return None

    # -- metrics ---------------------------------------------------------------------

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """Page insights with ``period=day``, in windows of at most 90 days.

        Each value carries ``end_time``, the end of its day (07:00 UTC, midnight
        in California); the value belongs to the day before ``end_time``."""
        samples: list[MetricSample] = []
        for start, end in day_windows(since, until, self.metrics_window_days):
            data = self.call(
                "GET",
                self.graph_url(self.credentials.account_id, "insights"),
                params={
                    "metric": ",".join(PAGE_METRICS),
                    "period": "day",
                    "since": start.isoformat(),
                    "until": (end + datetime.timedelta(days=1)).isoformat(),
                },
            )
            for name, rows in insights_values(data).items():
                for row in rows:
                    moment = parse_graph_time(row.get("end_time"))
                    if moment is None:
                        continue
                    day = moment.date() - datetime.timedelta(days=1)
                    if start <= day <= end:
                        samples.append(
                            MetricSample(
                                name,
                                self.total(row.get("value")),
                                day,
                                api_version=self.network.api_version,
                            )
                        )
        return samples

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """Per post: its counts (shares, comments, reactions) and lifetime insights;
        a post no longer on the Page is left out."""
        snapshots: list[PostSnapshot] = []
        for post_id in platform_ids:
            try:
                fields = self.call(
                    "GET", self.graph_url(post_id), params={"fields": POST_FIELDS}
                )
                data = self.call(
                    "GET",
                    self.graph_url(post_id, "insights"),
                    params={"metric": ",".join(POST_METRICS), "period": "lifetime"},
                )
            except ContentRejected as exc:
                if missing_object(exc):
                    continue
                raise
            metrics: dict[str, float] = {
                name: self.total(rows[-1].get("value")) if rows else 0.0
                for name, rows in insights_values(data).items()
            }
            metrics["comments"] = self.total(
                (fields.get("comments") or {}).get("summary", {}).get("total_count")
            )
            metrics["shares"] = self.total((fields.get("shares") or {}).get("count"))
            if "post_reactions_by_type_total" not in metrics:
                metrics["post_reactions_by_type_total"] = self.total(
                    (fields.get("reactions") or {})
                    .get("summary", {})
                    .get("total_count")
                )
            snapshots.append(
                PostSnapshot(
                    platform_id=str(fields.get("id") or post_id),
                    published_at=parse_graph_time(fields.get("created_time")),
                    permalink=str(fields.get("permalink_url") or ""),
                    text=str(fields.get("message") or ""),
                    post_type=str(fields.get("status_type") or ""),
                    thumbnail_url=str(fields.get("full_picture") or ""),
                    metrics=metrics,
                    api_version=self.network.api_version,
                )
            )
        return snapshots

    # -- accounts ----------------------------------------------------------------

    def token_set(self, pages: list[ManagedPage], scopes: tuple[str, ...]) -> TokenSet:
        """The Page to publish to: the channel's own when it names one, else the first."""
        wanted = self.credentials.account_id
        chosen = next((p for p in pages if not wanted or p.id == wanted), None)
        if chosen is None:
            if wanted:
                raise ContentRejected(
                    _(
                        "La persona que autorizó no administra la página de Facebook %(page)s; conéctela con una cuenta que sí la administre."
                    )
                    % {"page": wanted},
                    code="no_page",
                )
            raise ContentRejected(
                _(
                    "La persona que autorizó no administra ninguna página de Facebook; Pregonero publica en páginas, no en perfiles."
                ),
                code="no_page",
            )
        return TokenSet(
            access_token=chosen.access_token,
            expires_at=None,  # Page tokens from a long-lived user token do not expire
            scopes=scopes,
            account_id=chosen.id,
            handle=chosen.username or chosen.name,
            extra={"page_name": chosen.name},
        )

    def account(self) -> AccountInfo:
        data = self.call(
            "GET",
            self.graph_url(self.credentials.account_id),
            params={"fields": "id,name,username,link"},
        )
        return AccountInfo(
            account_id=str(data.get("id", "")),
            handle=str(data.get("username") or data.get("name") or ""),
            name=str(data.get("name") or ""),
            url=str(data.get("link") or ""),
        )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
