"""Instagram professional accounts through the Graph API with Facebook Login
(reference ``social_apis.md`` §2).

Publishing is a container flow: ``POST /{ig-user-id}/media`` makes a container
that Meta fills by fetching the file from a public URL, ``GET
/{container-id}?fields=status_code,status`` is polled until ``FINISHED``, and
``POST /{ig-user-id}/media_publish`` turns it into a post. A single video is a
Reel (``media_type=REELS``; plain feed video is deprecated); several files make
a carousel of child containers under one ``CAROUSEL`` container.
"""

from __future__ import annotations

import datetime
import re
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

# Caption rules of the IG media reference: 2,200 characters (counted here in
# Unicode code points, an assumption), 30 hashtags and 20 @mentions.
CAPTION_LIMIT = 2200
HASHTAG_LIMIT = 30
MENTION_LIMIT = 20
CAROUSEL_LIMIT = 10  # reference §2.2
# Images: JPEG only, up to 8 MB, aspect ratio from 4:5 to 1.91:1.
IMAGE_TYPES = frozenset({"image/jpeg"})
IMAGE_MAX_BYTES = 8 * 1024 * 1024
# Reels (Meta's Reels specs, not in the reference: assumptions): MP4 or MOV,
# 3 seconds to 15 minutes, up to 300 MB, aspect ratio from 0.01:1 to 10:1.
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
REEL_MIN_SECONDS = 3
REEL_MAX_SECONDS = 15 * 60
REEL_MAX_BYTES = 300 * 1024 * 1024
# Videos inside a carousel: 3 to 60 seconds, up to 100 MB (same source).
CAROUSEL_VIDEO_MAX_SECONDS = 60
CAROUSEL_VIDEO_MAX_BYTES = 100 * 1024 * 1024

_URL = re.compile(r"https?://\S+")
_HASHTAG = re.compile(r"(?<![\w#&/])#\w+")
_MENTION = re.compile(r"(?<![\w@])@[\w.]+")


def hashtags(text: str) -> list[str]:
    """The caption's hashtags (a ``#`` inside a link is not one)."""
    return _HASHTAG.findall(_URL.sub(" ", text))


def feed_ratio_ok(width: int, height: int) -> bool:
    """4:5 ≤ width/height ≤ 1.91:1, in integers so the edges are exact."""
    return 4 * height <= 5 * width and 100 * width <= 191 * height


def reel_ratio_ok(width: int, height: int) -> bool:
    """0.01:1 ≤ width/height ≤ 10:1 (9:16 is the recommended shape)."""
    return height <= 100 * width and width <= 10 * height


def mentions(text: str) -> list[str]:
    """The caption's @mentions (not the ``@`` of an e-mail address)."""
    return _MENTION.findall(_URL.sub(" ", text))


# Account insights with ``metric_type=total_value`` and media insights (§2.6);
# ``impressions``, ``plays`` and ``video_views`` are deprecated and never asked.
ACCOUNT_METRICS = (
    "views",
    "reach",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "profile_links_taps",
)
MEDIA_METRICS = (
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saved",
    "total_interactions",
)
MEDIA_FIELDS = "id,caption,timestamp,permalink,media_type,media_product_type,media_url,thumbnail_url"
BOGOTA = datetime.timezone(datetime.timedelta(hours=-5))


def _day_start(day: datetime.date) -> str:
    """The UNIX time of midnight in Bogotá (Colombia has no daylight saving)."""
    return str(int(datetime.datetime.combine(day, datetime.time(), BOGOTA).timestamp()))


class InstagramAdapter(GraphAdapter):
    """An Instagram Business or Creator account linked to a Facebook Page.

    ``credentials.account_id`` is the Instagram user id; the token is the linked
    Page's token (no expiry, no refresh: see ``GraphAdapter``). Meta fetches
    every file from ``MediaRef.public_url``, so a file without one is refused
    before any call. ``supports_delete`` is False: the reference documents no
    way to delete published feed media through the Graph API (Meta's IG Media
    reference listed deletion as unsupported), so a person removes the post by
    hand in the app. There is no idempotency key: a container is published once.
    """

    slug = "instagram"
    label = "Instagram"
    supports_delete = False
    publish_permission = "instagram_content_publish"
    defaults = NetworkSettings(
        api_url=GRAPH_API_URL,
        auth_url=FACEBOOK_DIALOG_URL,
        token_url=GRAPH_TOKEN_URL,
        web_url="https://www.instagram.com",
        api_version=GRAPH_VERSION,
        scopes=(
            "instagram_basic",
            "instagram_content_publish",
            "pages_show_list",
            "pages_read_engagement",
            "instagram_manage_comments",
        ),
    )
    poll_interval = 3.0
    max_polls = 40
    supports_metrics = True
    inbound_kinds = ("comment", "mention")
    # A public reply under a comment (IG Comment Replies); Instagram Messaging
    # (private replies) is not in the reference contract.
    supports_public_reply = True
    private_reply_unavailable = _lazy(
        "Pregonero no envía mensajes privados de Instagram: responda en público "
        "sin datos personales e invite a la persona a escribir por un canal privado."
    )
    metrics_window_days = 30
    metrics_history_days = 730  # insights are kept two years

    # -- content ---------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        issues = self._caption_issues(post.text)
        count = len(post.media)
        if not count:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "Instagram no publica solo texto: la publicación necesita al menos una imagen o un video."
                    ),
                )
            )
        elif count > CAROUSEL_LIMIT:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "La publicación tiene %(count)s archivos; un carrusel de Instagram admite de 2 a %(limit)s."
                    )
                    % {"count": count, "limit": CAROUSEL_LIMIT},
                )
            )
        carousel = count > 1
        for index, item in enumerate(post.media):
            issues.extend(self._item_issues(index, item, carousel=carousel))
        return issues

    def _caption_issues(self, text: str) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        if len(text) > CAPTION_LIMIT:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s caracteres; Instagram admite %(limit)s."
                    )
                    % {"length": len(text), "limit": CAPTION_LIMIT},
                )
            )
        tags = len(hashtags(text))
        if tags > HASHTAG_LIMIT:
            issues.append(
                ValidationIssue(
                    "text",
                    _("El texto tiene %(count)s hashtags; Instagram admite %(limit)s.")
                    % {"count": tags, "limit": HASHTAG_LIMIT},
                )
            )
        people = len(mentions(text))
        if people > MENTION_LIMIT:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto menciona %(count)s cuentas con @; Instagram admite %(limit)s."
                    )
                    % {"count": people, "limit": MENTION_LIMIT},
                )
            )
        return issues

    def _item_issues(
        self, index: int, item: MediaRef, *, carousel: bool
    ) -> list[ValidationIssue]:
        field = f"media[{index}]"
        values: dict[str, Any] = {"number": index + 1, "type": item.content_type}
        if item.kind == "image":
            return self._image_issues(index, item, values)
        if item.kind == "video":
            return self._video_issues(field, item, values, carousel=carousel)
        return [
            ValidationIssue(
                field,
                _(
                    "El archivo %(number)s es de tipo %(type)s; Instagram solo publica imágenes y video."
                )
                % values,
            )
        ]

    def _image_issues(
        self, index: int, item: MediaRef, values: dict[str, Any]
    ) -> list[ValidationIssue]:
        field = f"media[{index}]"
        issues: list[ValidationIssue] = []
        if item.content_type not in IMAGE_TYPES:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "La imagen %(number)s es %(type)s; Instagram solo admite imágenes JPEG."
                    )
                    % values,
                )
            )
        if item.size > IMAGE_MAX_BYTES:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "La imagen %(number)s pesa %(size)s MB; Instagram admite hasta %(limit)s MB."
                    )
                    % {
                        **values,
                        "size": megabytes(item.size),
                        "limit": megabytes(IMAGE_MAX_BYTES),
                    },
                )
            )
        if item.width and item.height and not feed_ratio_ok(item.width, item.height):
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "La imagen %(number)s mide %(width)s×%(height)s; Instagram admite proporciones entre 4:5 (vertical) y 1,91:1 (horizontal)."
                    )
                    % {**values, "width": item.width, "height": item.height},
                )
            )
        missing_alt = alt_text_issue(index, item, self.label)
        if missing_alt is not None:
            issues.append(missing_alt)
        return issues

    def _video_issues(
        self, field: str, item: MediaRef, values: dict[str, Any], *, carousel: bool
    ) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        max_seconds = CAROUSEL_VIDEO_MAX_SECONDS if carousel else REEL_MAX_SECONDS
        max_bytes = CAROUSEL_VIDEO_MAX_BYTES if carousel else REEL_MAX_BYTES
        where = _("en un carrusel") if carousel else _("como reel")
        values = {**values, "where": where}
        if item.content_type not in VIDEO_TYPES:
            issues.append(
                ValidationIssue(
                    field,
                    _("El video %(number)s es %(type)s; Instagram admite MP4 o MOV.")
                    % values,
                )
            )
        if item.size > max_bytes:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video %(number)s pesa %(size)s MB; Instagram admite hasta %(limit)s MB %(where)s."
                    )
                    % {
                        **values,
                        "size": megabytes(item.size),
                        "limit": megabytes(max_bytes),
                    },
                )
            )
        if item.duration is not None and not (
            REEL_MIN_SECONDS <= item.duration <= max_seconds
        ):
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video %(number)s dura %(seconds)s segundos; Instagram admite de %(min)s a %(max)s segundos %(where)s."
                    )
                    % {
                        **values,
                        "seconds": f"{item.duration:g}",
                        "min": REEL_MIN_SECONDS,
                        "max": max_seconds,
                    },
                )
            )
        if (
            item.width
            and item.height
            and not carousel
            and not reel_ratio_ok(item.width, item.height)
        ):
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "El video %(number)s mide %(width)s×%(height)s; un reel admite proporciones entre 0,01:1 y 10:1."
                    )
                    % {**values, "width": item.width, "height": item.height},
                )
            )
        return issues

    def publish(self, post: OutboundPost) -> Receipt:
        if not post.media:
            raise ContentRejected(
                _("Instagram no publica solo texto: falta una imagen o un video."),
                code="no_media",
            )
        for index, item in enumerate(post.media):
            if not item.public_url:
                raise ContentRejected(
                    _(
                        "El archivo %(number)s no tiene un enlace público; Instagram descarga cada archivo desde una URL pública."
                    )
                    % {"number": index + 1},
                    code="no_public_url",
                )
        ig_user = self.credentials.account_id
        if len(post.media) == 1:
            params = self._item_params(post.media[0], carousel=False)
        else:
            children = [
                self._create_container(ig_user, self._item_params(m, carousel=True))
                for m in post.media
            ]
            for child in children:
                self._wait_until_ready(child)
            params = {"media_type": "CAROUSEL", "children": ",".join(children)}
        if post.text:
            params["caption"] = post.text
        container = self._create_container(ig_user, params)
        self._wait_until_ready(container)
        published = self.call(
            "POST",
            self.graph_url(ig_user, "media_publish"),
            creates=True,
            data={"creation_id": container},
        )
        return self._receipt(str(published.get("id", "")))

    @staticmethod
    def _item_params(item: MediaRef, *, carousel: bool) -> dict[str, str]:
        if item.kind == "image":
            params = {"image_url": item.public_url, "alt_text": item.alt_text}
        elif carousel:
            params = {"media_type": "VIDEO", "video_url": item.public_url}
        else:
            params = {
                "media_type": "REELS",
                "video_url": item.public_url,
                "share_to_feed": "true",
            }
        if carousel:
            params["is_carousel_item"] = "true"
        return params

    def _create_container(self, ig_user: str, params: dict[str, str]) -> str:
        created = self.call(
            "POST", self.graph_url(ig_user, "media"), creates=True, data=params
        )
        return str(created.get("id", ""))

    def _wait_until_ready(self, container: str) -> None:
        """Poll the container until ``FINISHED``. Nothing is published yet, so
        giving up is a plain passing failure (the retry makes new containers)."""
        for attempt in range(self.max_polls):
            info = self.call(
                "GET",
                self.graph_url(container),
                params={"fields": "status_code,status"},
            )
            code = str(info.get("status_code", ""))
            if code == "FINISHED":
                return
            if code in ("ERROR", "EXPIRED"):
                raise ContentRejected(
                    _(
                        "Instagram no pudo preparar el archivo (%(state)s: %(detail)s); revise el formato y el enlace."
                    )
                    % {"state": code, "detail": info.get("status") or "-"},
                    code=f"container_{code.lower()}",
                )
            if attempt + 1 < self.max_polls:
                self.sleep()
        raise AdapterError(
            _(
                "Instagram sigue procesando el archivo después de %(polls)s consultas; se reintentará."
            )
            % {"polls": self.max_polls},
            code="processing",
        )

    def _receipt(self, media_id: str) -> Receipt:
        """The permalink is read back; the post exists, so a failure here falls
        back to the profile's address instead of failing the publication."""
        try:
            info = self.call(
                "GET",
                self.graph_url(media_id),
                params={"fields": "permalink,timestamp"},
            )
        except AdapterError:
            info = {}
        return Receipt(
            platform_id=media_id,
            permalink=str(info.get("permalink") or self._profile_url()),
            published_at=parse_graph_time(info.get("timestamp"))
            or datetime.datetime.now(datetime.UTC),
        )

    def _profile_url(self, username: str = "") -> str:
        handle = username or self.credentials.handle.lstrip("@")
        return f"{self.network.web_url.rstrip('/')}/{handle}/" if handle else ""

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        return self.edge_posts(
            "media", text="caption", created="timestamp", link="permalink", limit=limit
        )

    # -- inbound (issue 6) ---------------------------------------------------------------

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Comments on the account's latest media (``/{media-id}/comments``) and
        the media other accounts tagged or mentioned it in (``/{ig-user-id}/tags``),
        newer than the checkpoint less ``inbound_overlap`` (the edges take no
        ``since``: the times are compared here). Direct messages (Instagram
        Messaging) are not read."""
        ig_user = self.credentials.account_id
        moments = load_cursor(cursor)
        entries: dict[str, InboundEntry] = {}
        newest = dict(moments)

        def fresh(stream: str, created: datetime.datetime) -> bool:
            moment = moments.get(stream)
            return moment is None or created >= moment - self.inbound_overlap

        def keep(stream: str, entry: InboundEntry) -> None:
            entries.setdefault(entry.platform_id, entry)
            if stream not in newest or entry.received_at > newest[stream]:
                newest[stream] = entry.received_at

        for post in self.recent_posts(self.inbound_posts):
            for row in self.all_pages(
                self.graph_url(post.platform_id, "comments"),
                {"fields": "id,text,timestamp,username,from"},
            ):
                created = parse_graph_time(row.get("timestamp"))
                if created is None or not fresh("comments", created):
                    continue
                if str((row.get("from") or {}).get("id", "")) == ig_user:
                    continue
                keep(
                    "comments",
                    InboundEntry(
                        kind="comment",
                        platform_id=str(row["id"]),
                        author_handle=str(row.get("username") or ""),
                        text=str(row.get("text") or ""),
                        received_at=created,
                        thread_key=post.platform_id,
                        url=post.permalink,
                        post_url=post.permalink,
                    ),
                )
        for row in self.all_pages(
            self.graph_url(ig_user, "tags"),
            {"fields": "id,caption,timestamp,username,permalink"},
        ):
            created = parse_graph_time(row.get("timestamp"))
            if created is None or not fresh("tags", created):
                continue
            keep(
                "tags",
                InboundEntry(
                    kind="mention",
                    platform_id=str(row["id"]),
                    author_handle=str(row.get("username") or ""),
                    text=str(row.get("caption") or ""),
                    received_at=created,
                    thread_key=str(row["id"]),
                    url=str(row.get("permalink") or ""),
                ),
            )
        ordered = sorted(entries.values(), key=lambda e: e.received_at)
        return InboundPage(ordered, dump_cursor(newest))

    # -- replies (issue 6) ------------------------------------------------------------------
    #
    # Not in our reference notes (§2 covers publishing); from Meta's IG Comment
    # Replies reference: ``POST /{ig-comment-id}/replies`` with ``message`` →
    # ``{"id"}`` and ``GET /{ig-comment-id}/replies``; needs
    # ``instagram_manage_comments``; a reply to a reply lands under the
    # top-level comment. Media the account was tagged in cannot be commented
    # through the API (IG User Mentions), so mentions are answered in the app.
    # The text limits of a comment are UNVERIFIED: the caption's are applied.

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        if reply.kind == "mention":
            return [
                ValidationIssue(
                    "text",
                    _(
                        "Instagram no permite comentar por la API las publicaciones "
                        "en que etiquetaron la cuenta: responda en Instagram y marque "
                        "el mensaje como respondido."
                    ),
                )
            ]
        if not reply.text.strip():
            return [ValidationIssue("text", _("La respuesta de Instagram está vacía."))]
        return self._caption_issues(reply.text)

    def reply(self, reply: OutboundReply) -> Receipt:
        """``POST /{ig-comment-id}/replies``; Graph takes no idempotency key: an
        unknown outcome is reconciled by ``find_reply``."""
        if reply.private:
            raise ContentRejected(
                str(self.private_reply_unavailable), code="private_unavailable"
            )
        if reply.kind == "mention":
            raise ContentRejected(
                self.validate_reply(reply)[0].message, code="reply_unavailable"
            )
        data = self.call(
            "POST",
            self.graph_url(reply.in_reply_to, "replies"),
            creates=True,
            data={"message": reply.text},
        )
        reply_id = str(data.get("id") or "")
        if not reply_id:
            raise AdapterError(
                _("Instagram no devolvió el identificador de la respuesta."),
                outcome_unknown=True,
                code="no_id",
            )
        return Receipt(
            platform_id=reply_id,
            permalink=self._media_link(reply.thread_key),
            published_at=datetime.datetime.now(datetime.UTC),
        )

    def _media_link(self, media_id: str) -> str:
        """The commented media's permalink (comments have none of their own);
        a failure here falls back to the profile, the reply exists."""
        if not media_id:
            return self._profile_url()
        try:
            info = self.call(
                "GET", self.graph_url(media_id), params={"fields": "permalink"}
            )
        except AdapterError:
            info = {}
        return str(info.get("permalink") or self._profile_url())

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """The account's reply with our text under the comment
        (``GET /{ig-comment-id}/replies``)."""
        own = self.credentials.account_id
        wanted = " ".join(reply.text.split())
        for row in self.all_pages(
            self.graph_url(reply.in_reply_to, "replies"),
            {"fields": "id,text,timestamp,username,from"},
        ):
            author = str((row.get("from") or {}).get("id") or "")
            if own and author != own:
                continue
            if " ".join(str(row.get("text") or "").split()) == wanted:
                return RemotePost(
                    platform_id=str(row["id"]),
                    text=str(row.get("text") or ""),
                    created_at=parse_graph_time(row.get("timestamp")),
                    permalink=self._media_link(reply.thread_key),
                )
        return None

    # -- metrics ---------------------------------------------------------------------

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """Account insights, one request per day: with ``metric_type=total_value``
        Instagram answers one total for the range, so a day-sized range gives the
        day's figure. The follower count is a level read from the user object."""
        samples: list[MetricSample] = []
        version = self.network.api_version
        day = since
        while day <= until:
            data = self.call(
                "GET",
                self.graph_url(self.credentials.account_id, "insights"),
                params={
                    "metric": ",".join(ACCOUNT_METRICS),
                    "period": "day",
                    "metric_type": "total_value",
                    "since": _day_start(day),
                    "until": _day_start(day + datetime.timedelta(days=1)),
                },
            )
            for name, rows in insights_values(data).items():
                if rows:
                    samples.append(
                        MetricSample(
                            name,
                            self.total(rows[0].get("value")),
                            day,
                            api_version=version,
                        )
                    )
            day += datetime.timedelta(days=1)
        user = self.call(
            "GET",
            self.graph_url(self.credentials.account_id),
            params={"fields": "id,username,followers_count,media_count"},
        )
        if "followers_count" in user:
            samples.append(
                MetricSample(
                    "followers_count",
                    self.total(user["followers_count"]),
                    api_version=version,
                )
            )
        return samples

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        snapshots: list[PostSnapshot] = []
        for media_id in platform_ids:
            try:
                fields = self.call(
                    "GET", self.graph_url(media_id), params={"fields": MEDIA_FIELDS}
                )
                data = self.call(
                    "GET",
                    self.graph_url(media_id, "insights"),
                    params={"metric": ",".join(MEDIA_METRICS)},
                )
            except ContentRejected as exc:
                if missing_object(exc):
                    continue
                raise
            metrics = {
                name: self.total(rows[-1].get("value"))
                for name, rows in insights_values(data).items()
                if rows
            }
            snapshots.append(
                PostSnapshot(
                    platform_id=str(fields.get("id") or media_id),
                    published_at=parse_graph_time(fields.get("timestamp")),
                    permalink=str(fields.get("permalink") or ""),
                    text=str(fields.get("caption") or ""),
                    post_type=str(
                        fields.get("media_product_type")
                        or fields.get("media_type")
                        or ""
                    ),
                    thumbnail_url=str(
                        fields.get("thumbnail_url") or fields.get("media_url") or ""
                    ),
                    metrics=metrics,
                    api_version=self.network.api_version,
                )
            )
        return snapshots

    # -- accounts ----------------------------------------------------------------

    def token_set(self, pages: list[ManagedPage], scopes: tuple[str, ...]) -> TokenSet:
        """The Instagram account to publish to, through the Page it is linked to."""
        wanted = self.credentials.account_id
        linked = [p for p in pages if p.instagram_id]
        chosen = next(
            (p for p in linked if not wanted or p.instagram_id == wanted), None
        )
        if chosen is None:
            if wanted and linked:
                raise ContentRejected(
                    _(
                        "La persona que autorizó no administra la cuenta de Instagram %(account)s; conéctela con quien administre su página de Facebook."
                    )
                    % {"account": wanted},
                    code="no_instagram",
                )
            raise ContentRejected(
                _(
                    "Ninguna página de Facebook de quien autorizó tiene una cuenta profesional de Instagram vinculada; vincúlela en Meta Business Suite y conecte de nuevo."
                ),
                code="no_instagram",
            )
        return TokenSet(
            access_token=chosen.access_token,
            expires_at=None,  # the linked Page's token does not expire
            scopes=scopes,
            account_id=chosen.instagram_id,
            handle=chosen.instagram_username,
            extra={"page_id": chosen.id, "page_name": chosen.name},
        )

    def account(self) -> AccountInfo:
        data = self.call(
            "GET",
            self.graph_url(self.credentials.account_id),
            params={"fields": "id,username,name"},
        )
        username = str(data.get("username") or "")
        return AccountInfo(
            account_id=str(data.get("id", "")),
            handle=username,
            name=str(data.get("name") or ""),
            url=self._profile_url(username),
        )
