"""LinkedIn organization pages: the Posts and Images APIs (Community Management).

Connection is OAuth 2.0 authorization code (3-legged, no PKCE for web apps).
The person who authorizes must administer the page: right after the code
exchange the adapter reads ``GET /rest/organizationAcls?q=roleAssignee`` (our
reference notes do not cover it; the shape follows LinkedIn's "Organization
Access Control by Role" page) and keeps the organization whose role is
ADMINISTRATOR or CONTENT_ADMINISTRATOR: the one of ``credentials.account_id``
when set, else the first. ``account_id`` is the organization URN
(``urn:li:organization:<id>``); its name comes from ``GET /rest/organizations/<id>``.

Access tokens last 60 days. Refresh tokens (365 days) are only issued to apps
LinkedIn approved for programmatic refresh: without one, the channel is
reconnected by a person before the access token expires.

Every REST call sends ``LinkedIn-Version: YYYYMM`` (``api_version``; LinkedIn
retires a version about a year after release) and
``X-Restli-Protocol-Version: 2.0.0``.

There is no idempotency key; a repeated post is refused with a 422 "Content is
a duplicate of urn:li:share:…", and reconciliation compares the text of the
organization's recent posts.
"""

from __future__ import annotations

import datetime
import time
import unicodedata
import urllib.parse
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
    day_windows,
)
from .errors import AdapterError, AuthError, ContentRejected, Duplicate, RateLimited

MAX_COMMENTARY = 3000
# A comment's text. Not in our reference notes: 1 250 characters is the limit
# LinkedIn's interface applies to comments (UNVERIFIED for the API).
MAX_COMMENT = 1250
MAX_IMAGES = 20
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
MAX_IMAGE_PIXELS = 36_152_320
POSTING_ROLES = ("ADMINISTRATOR", "CONTENT_ADMINISTRATOR", "CONTENT_ADMIN")
ORGANIZATION_URN = "urn:li:organization:"

# "little" text: these characters are markup and must be backslash-escaped in
# ``commentary``, or LinkedIn silently cuts the text at the first one. URLs are
# left as they are (so they still link) and "#word" stays a hashtag element.
RESERVED = "\\|{}@[]()<>#*_~"
_PROTECTED = regex.compile(
    r"https?://\S+?(?=[.,;:!?)\]}'\"»]*(?:\s|$))|(?<![\p{L}\p{N}_\\])#[\p{L}\p{N}_]+"
)
_ESCAPED = regex.compile(r"\\([\\|{}@\[\]()<>#*_~])")
_HASHTAG_TEMPLATE = regex.compile(r"\{hashtag\|\\?#\|([^}]*)\}")


def to_little_text(text: str) -> str:
    """``text`` as LinkedIn commentary, reserved characters escaped."""
    out: list[str] = []
    position = 0
    for match in _PROTECTED.finditer(text):
        out.append(_escape(text[position : match.start()]))
        out.append(match.group())
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in RESERVED else c for c in text)


def from_little_text(commentary: str) -> str:
    """The plain text of a commentary read back (templates and escapes undone)."""
    commentary = _HASHTAG_TEMPLATE.sub(lambda m: "#" + m.group(1), commentary)
    return _ESCAPED.sub(r"\1", commentary)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def seconds_to_utc_midnight() -> float:
    """LinkedIn's daily limits reset at midnight UTC."""
    now = datetime.datetime.now(datetime.UTC)
    tomorrow = (now + datetime.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return (tomorrow - now).total_seconds()


def api_error(response: httpx.Response) -> AdapterError | None:
    """Read LinkedIn's ``{"status", "serviceErrorCode", "code", "message"}``."""
    body = _body(response)
    status = response.status_code
    code = str(body.get("code") or "")
    service_code = body.get("serviceErrorCode")
    message = str(body.get("message") or "")
    lowered = message.lower()
    if status == 429:
        retry = response.headers.get("retry-after", "")
        return RateLimited(
            _("LinkedIn alcanzó el límite diario de solicitudes; se reintentará."),
            retry_after=float(retry)
            if retry.strip().isdigit()
            else seconds_to_utc_midnight(),
        )
    if status == 401:
        # The code names the cause; sources disagree on the number for expiry
        # (65600 or 65602), so the number and the message only count without it.
        if code:
            expired = code == "EXPIRED_ACCESS_TOKEN"
        else:
            expired = service_code in (65600, 65602) or "expired" in lowered
        return AuthError(
            _("LinkedIn rechazó el token de acceso (%(code)s: %(message)s).")
            % {"code": code or status, "message": message},
            revoked=not expired,
            code="expired" if expired else "revoked",
        )
    if status == 403:
        return AuthError(
            _(
                "LinkedIn negó el permiso (%(message)s): la cuenta conectada debe administrar la página y haber concedido w_organization_social."
            )
            % {"message": message},
            code="forbidden",
        )
    if status == 422 and "duplicate" in lowered:
        return Duplicate(
            _("LinkedIn rechazó la publicación por duplicada: %(message)s")
            % {"message": message}
        )
    if status == 426 or code in ("VERSION_MISSING", "NONEXISTENT_VERSION"):
        return AdapterError(
            _(
                "LinkedIn no acepta la versión de la API configurada (%(message)s); actualice api_version de LinkedIn."
            )
            % {"message": message},
            permanent=True,
            code="api_version",
        )
    if 400 <= status < 500:
        return ContentRejected(
            _("LinkedIn rechazó la solicitud (HTTP %(status)s): %(message)s")
            % {"status": status, "message": message or response.text[:200]},
            code=f"http_{status}",
        )
    return None


def token_error(response: httpx.Response) -> AdapterError | None:
    """OAuth errors of the token endpoint (``error``, ``error_description``)."""
    if response.status_code not in (400, 401, 403):
        return None
    body = _body(response)
    return AuthError(
        _(
            "LinkedIn no aceptó la autorización (%(error)s: %(description)s); conecte la cuenta de nuevo."
        )
        % {
            "error": body.get("error", response.status_code),
            "description": body.get("error_description", ""),
        },
        code=str(body.get("error") or "invalid_grant"),
    )


def _as_urn(account_id: str) -> str:
    """Channels may store the bare organization id or its URN."""
    return (
        account_id
        if account_id.startswith("urn:")
        else f"{ORGANIZATION_URN}{account_id}"
    )


def _org_id(urn: str) -> str:
    return urn.removeprefix(ORGANIZATION_URN)


class LinkedInAdapter(Adapter):
    """Publishes as an organization page with ``POST /rest/posts``."""

    slug = "linkedin"
    label = "LinkedIn"
    uses_pkce = False
    supports_refresh = True  # when LinkedIn issued a refresh token
    honours_idempotency_key = False
    defaults = NetworkSettings(
        api_url="https://api.linkedin.com/rest",
        auth_url="https://www.linkedin.com/oauth/v2/authorization",
        token_url="https://www.linkedin.com/oauth/v2/accessToken",
        web_url="https://www.linkedin.com",
        api_version="202611",
        scopes=(
            "w_organization_social",
            "r_organization_social",
            "rw_organization_admin",
        ),
    )
    sandbox_prefix = "linkedin"
    supports_metrics = True
    # Comments on the organization's posts only (see ``fetch_inbound``).
    inbound_kinds = ("comment",)
    # A reply is a nested comment as the organization (Comments API); member
    # messages are not offered to organizations.
    supports_public_reply = True
    private_reply_unavailable = _lazy(
        "LinkedIn no permite a las páginas de organización enviar mensajes "
        "privados por la API: responda en público sin datos personales e invite a "
        "la persona a escribir por un canal privado."
    )
    metrics_window_days = 90
    metrics_history_days = 365  # statistics cover a rolling 12 months (§5.5)

    # Seconds between image status checks (tests make it tiny).
    poll_interval = 1.0
    max_polls = 30

    # -- content ---------------------------------------------------------------

    def validate(self, post: OutboundPost) -> list[ValidationIssue]:
        issues: list[ValidationIssue] = []
        length = len(unicodedata.normalize("NFC", post.text))
        if not post.text.strip() and not post.media:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "La publicación para LinkedIn necesita texto o al menos una imagen."
                    ),
                )
            )
        elif length > MAX_COMMENTARY:
            issues.append(
                ValidationIssue(
                    "text",
                    _(
                        "El texto tiene %(length)s caracteres; LinkedIn admite %(limit)s."
                    )
                    % {"length": length, "limit": MAX_COMMENTARY},
                )
            )
        images = [m for m in post.media if m.kind == "image"]
        if len(images) > MAX_IMAGES:
            issues.append(
                ValidationIssue(
                    "media",
                    _(
                        "LinkedIn admite hasta %(limit)s imágenes por publicación; hay %(count)s."
                    )
                    % {"limit": MAX_IMAGES, "count": len(images)},
                )
            )
        for index, item in enumerate(post.media):
            issues.extend(self._validate_file(index, item))
        return issues

    def _validate_file(self, index: int, item: MediaRef) -> list[ValidationIssue]:
        field = f"media[{index}]"
        name = item.name or f"#{index + 1}"
        if item.kind == "video":
            return [
                ValidationIssue(
                    field,
                    _(
                        "LinkedIn: video no soportado aún por Pregonero (archivo %(name)s)."
                    )
                    % {"name": name},
                )
            ]
        if item.kind != "image" or item.content_type.lower() not in IMAGE_TYPES:
            return [
                ValidationIssue(
                    field,
                    _(
                        "El archivo %(name)s es de tipo %(type)s; LinkedIn acepta imágenes JPG, PNG o GIF."
                    )
                    % {"name": name, "type": item.content_type or item.kind},
                )
            ]
        issues: list[ValidationIssue] = []
        if item.width and item.height and item.width * item.height >= MAX_IMAGE_PIXELS:
            issues.append(
                ValidationIssue(
                    field,
                    _(
                        "La imagen %(name)s tiene %(pixels)s píxeles; LinkedIn admite menos de %(limit)s."
                    )
                    % {
                        "name": name,
                        "pixels": item.width * item.height,
                        "limit": MAX_IMAGE_PIXELS,
                    },
                )
            )
        if not item.alt_text.strip():
            issues.append(
                ValidationIssue(
                    f"{field}.alt_text",
                    _(
                        "La imagen %(name)s no tiene texto alternativo; LinkedIn lo admite y Pregonero lo exige."
                    )
                    % {"name": name},
                )
            )
        return issues

    def publish(self, post: OutboundPost) -> Receipt:
        author = self.organization_urn()
        images = [
            (self._upload_image(item, author), item.alt_text.strip())
            for item in post.media
        ]
        payload: dict[str, Any] = {
            "author": author,
            "commentary": to_little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(images) == 1:
            payload["content"] = {
                "media": {"id": images[0][0], "altText": images[0][1]}
            }
        elif images:
            payload["content"] = {
                "multiImage": {
                    "images": [{"id": urn, "altText": alt} for urn, alt in images]
                }
            }
        response = self.http.request(
            "POST",
            self._rest("posts"),
            creates=True,
            error_mapper=api_error,
            headers=self._headers(),
            json=payload,
        )
        urn = response.headers.get("x-restli-id", "")
        if not urn:
            raise AdapterError(
                _("LinkedIn no devolvió el identificador de la publicación."),
                outcome_unknown=True,
                code="no_id",
            )
        return Receipt(
            platform_id=urn,
            permalink=self.permalink(urn),
            published_at=datetime.datetime.now(datetime.UTC),
        )

    def permalink(self, urn: str) -> str:
        return f"{self.network.web_url}/feed/update/{urn}/"

    def delete(self, platform_id: str) -> None:
        response = self.http.request(
            "DELETE",
            self._rest(f"posts/{urllib.parse.quote(platform_id, safe='')}"),
            creates=True,
            error_mapper=api_error,
            expect=(404,),
            headers={**self._headers(), "X-RestLi-Method": "DELETE"},
        )
        if response.status_code == 404:
            return  # already gone

    def recent_posts(self, limit: int = 50) -> list[RemotePost]:
        author = urllib.parse.quote(self.organization_urn(), safe="")
        posts: list[RemotePost] = []
        start = 0
        while len(posts) < limit:
            count = min(100, limit - len(posts))
            response = self.http.request(
                "GET",
                f"{self._rest('posts')}?author={author}&q=author&count={count}&start={start}",
                error_mapper=api_error,
                headers=self._headers(),
            )
            elements = _body(response).get("elements") or []
            for item in elements:
                created = item.get("createdAt") or item.get("publishedAt")
                posts.append(
                    RemotePost(
                        platform_id=str(item.get("id", "")),
                        text=from_little_text(str(item.get("commentary", ""))),
                        created_at=datetime.datetime.fromtimestamp(
                            created / 1000, datetime.UTC
                        )
                        if created
                        else None,
                        permalink=self.permalink(str(item.get("id", ""))),
                    )
                )
            if len(elements) < count:
                break
            start += count
        posts.sort(
            key=lambda p: (
                p.created_at or datetime.datetime.min.replace(tzinfo=datetime.UTC)
            ),
            reverse=True,
        )
        return posts[:limit]

    # -- inbound (issue 6) --------------------------------------------------------------

    # LinkedIn lists a post's comments without a time filter: each run reads
    # the comments of the latest ``inbound_posts`` posts and keeps those newer
    # than the checkpoint less ``inbound_overlap`` (repeats are recognised).
    inbound_posts = 25
    inbound_overlap = datetime.timedelta(minutes=15)

    def fetch_inbound(self, cursor: str) -> InboundPage:
        """Comments on the organization's latest posts
        (``socialActions/{post-urn}/comments``, ``start``/``count`` paging).
        Mentions of the organization and member messages are not offered to
        organizations by the Community Management API."""
        organization = self.organization_urn()
        checkpoint = datetime.datetime.fromisoformat(cursor) if cursor else None
        floor = checkpoint - self.inbound_overlap if checkpoint else None
        found: dict[str, InboundEntry] = {}
        newest = checkpoint
        for post in self.recent_posts(self.inbound_posts):
            start = 0
            while True:
                response = self.http.request(
                    "GET",
                    f"{self._rest('socialActions')}/"
                    f"{urllib.parse.quote(post.platform_id, safe='')}/comments"
                    f"?start={start}&count=100",
                    error_mapper=api_error,
                    headers=self._headers(),
                )
                body = _body(response)
                elements = body.get("elements") or []
                for element in elements:
                    millis = (element.get("created") or {}).get("time")
                    actor = str(element.get("actor") or "")
                    if not isinstance(millis, int) or actor == organization:
                        continue
                    created = datetime.datetime.fromtimestamp(
                        millis / 1000, datetime.UTC
                    )
                    if floor is not None and created < floor:
                        continue
                    urn = str(element.get("commentUrn") or element.get("id") or "")
                    found.setdefault(
                        urn,
                        InboundEntry(
                            kind="comment",
                            platform_id=urn,
                            author_handle=actor,
                            text=str((element.get("message") or {}).get("text") or ""),
                            received_at=created,
                            thread_key=post.platform_id,
                            url=post.permalink,
                            post_url=post.permalink,
                        ),
                    )
                    if newest is None or created > newest:
                        newest = created
                start += len(elements)
                total = int((body.get("paging") or {}).get("total") or 0)
                if not elements or start >= total:
                    break
        entries = sorted(found.values(), key=lambda e: e.received_at)
        return InboundPage(entries, newest.isoformat() if newest else "")

    # -- replies (issue 6) ----------------------------------------------------------------
    #
    # Not in our reference notes (§5 covers posts); from LinkedIn's Comments API
    # page (Community Management): a nested comment is created with ``POST
    # /rest/socialActions/{parent comment URN}/comments`` and the body ``actor``
    # (the organization), ``object`` (the post), ``message.text`` and
    # ``parentComment``; it is answered 201 with the comment (its ``commentUrn``)
    # and the URN in ``x-restli-id``. Which URN ``object`` takes for a nested
    # comment (the post's or its activity's) is UNVERIFIED: the post's is sent.
    # ``message`` is attributed text, not "little" text: no escaping.

    def validate_reply(self, reply: OutboundReply) -> list[ValidationIssue]:
        length = len(unicodedata.normalize("NFC", reply.text))
        if not reply.text.strip():
            return [ValidationIssue("text", _("La respuesta de LinkedIn está vacía."))]
        if length > MAX_COMMENT:
            return [
                ValidationIssue(
                    "text",
                    _(
                        "La respuesta tiene %(length)s caracteres; un comentario de "
                        "LinkedIn admite %(limit)s."
                    )
                    % {"length": length, "limit": MAX_COMMENT},
                )
            ]
        return []

    def _comments_url(self, urn: str) -> str:
        return (
            f"{self._rest('socialActions')}/{urllib.parse.quote(urn, safe='')}/comments"
        )

    def _object_of(self, reply: OutboundReply) -> str:
        """The post the comment belongs to: the inbox's thread, or the activity
        named inside the comment URN ``urn:li:comment:(<activity>,<id>)``."""
        if reply.thread_key:
            return reply.thread_key
        inner = reply.in_reply_to.removeprefix("urn:li:comment:(").rstrip(")")
        return inner.rsplit(",", 1)[0]

    def _comment_link(self, reply: OutboundReply, urn: str) -> str:
        post = self._object_of(reply)
        return f"{self.permalink(post)}?commentUrn={urllib.parse.quote(urn, safe='')}"

    def reply(self, reply: OutboundReply) -> Receipt:
        if reply.private:
            raise ContentRejected(
                str(self.private_reply_unavailable), code="private_unavailable"
            )
        response = self.http.request(
            "POST",
            self._comments_url(reply.in_reply_to),
            creates=True,
            error_mapper=api_error,
            headers=self._headers(),
            json={
                "actor": self.organization_urn(),
                "object": self._object_of(reply),
                "message": {"text": reply.text},
                "parentComment": reply.in_reply_to,
            },
        )
        body = _body(response)
        urn = str(
            body.get("commentUrn") or response.headers.get("x-restli-id", "") or ""
        )
        if not urn:
            raise AdapterError(
                _("LinkedIn no devolvió el identificador del comentario."),
                outcome_unknown=True,
                code="no_id",
            )
        millis = (body.get("created") or {}).get("time")
        return Receipt(
            platform_id=urn,
            permalink=self._comment_link(reply, urn),
            published_at=datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC)
            if isinstance(millis, int)
            else datetime.datetime.now(datetime.UTC),
        )

    def find_reply(
        self, reply: OutboundReply, since: datetime.datetime
    ) -> RemotePost | None:
        """The organization's comment with our text under the citizen's
        (``GET /rest/socialActions/{comment URN}/comments``, paged)."""
        organization = self.organization_urn()
        wanted = " ".join(reply.text.split())
        start = 0
        while True:
            response = self.http.request(
                "GET",
                f"{self._comments_url(reply.in_reply_to)}?start={start}&count=100",
                error_mapper=api_error,
                headers=self._headers(),
            )
            body = _body(response)
            elements = body.get("elements") or []
            for element in elements:
                if str(element.get("actor") or "") != organization:
                    continue
                text = str((element.get("message") or {}).get("text") or "")
                if " ".join(text.split()) != wanted:
                    continue
                urn = str(element.get("commentUrn") or element.get("id") or "")
                millis = (element.get("created") or {}).get("time")
                return RemotePost(
                    platform_id=urn,
                    text=text,
                    created_at=datetime.datetime.fromtimestamp(
                        millis / 1000, datetime.UTC
                    )
                    if isinstance(millis, int)
                    else None,
                    permalink=self._comment_link(reply, urn),
                )
            start += len(elements)
            total = int((body.get("paging") or {}).get("total") or 0)
            if not elements or start >= total:
                return None

    # -- metrics (§5.5) -------------------------------------------------------------

    STAT_NAMES = (
        "impressionCount",
        "uniqueImpressionsCount",
        "clickCount",
        "likeCount",
        "commentCount",
        "shareCount",
    )

    def _statistics(self, query: str) -> list[dict[str, Any]]:
        entity = urllib.parse.quote(self.organization_urn(), safe="")
        response = self.http.request(
            "GET",
            f"{self._rest('organizationalEntityShareStatistics')}"
            f"?q=organizationalEntity&organizationalEntity={entity}{query}",
            error_mapper=api_error,
            headers=self._headers(),
        )
        return [e for e in _body(response).get("elements") or [] if isinstance(e, dict)]

    def _stats(self, element: dict[str, Any]) -> dict[str, float]:
        totals = element.get("totalShareStatistics") or {}
        return {n: self.total(totals[n]) for n in self.STAT_NAMES if n in totals}

    def account_metrics(
        self, since: datetime.date, until: datetime.date
    ) -> list[MetricSample]:
        """Time-bound share statistics with DAY granularity (days in UTC, as
        LinkedIn counts them), and the follower count from ``networkSizes``
        (UNVERIFIED in our notes: LinkedIn's documented follower-count finder)."""
        version = self.network.api_version
        samples: list[MetricSample] = []
        for start, end in day_windows(since, until, self.metrics_window_days):
            begin = datetime.datetime.combine(start, datetime.time(), datetime.UTC)
            finish = datetime.datetime.combine(
                end + datetime.timedelta(days=1), datetime.time(), datetime.UTC
            )
            intervals = (
                f"&timeIntervals=(timeRange:(start:{int(begin.timestamp() * 1000)},"
                f"end:{int(finish.timestamp() * 1000)}),timeGranularityType:DAY)"
            )
            for element in self._statistics(intervals):
                moment = (element.get("timeRange") or {}).get("start")
                if not isinstance(moment, int | float):
                    continue
                day = datetime.datetime.fromtimestamp(
                    moment / 1000, datetime.UTC
                ).date()
                for name, value in self._stats(element).items():
                    samples.append(MetricSample(name, value, day, api_version=version))
        urn = urllib.parse.quote(self.organization_urn(), safe="")
        response = self.http.request(
            "GET",
            f"{self._rest('networkSizes')}/{urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER",
            error_mapper=api_error,
            headers=self._headers(),
        )
        size = _body(response).get("firstDegreeSize")
        if size is not None:
            samples.append(
                MetricSample("followerCount", self.total(size), api_version=version)
            )
        return samples

    def post_metrics(self, platform_ids: list[str]) -> list[PostSnapshot]:
        """Lifetime statistics per post (``shares=List(…)``/``ugcPosts=List(…)``,
        20 at a time); LinkedIn gives figures only, not the post."""
        snapshots: list[PostSnapshot] = []
        for start in range(0, len(platform_ids), 20):
            chunk = platform_ids[start : start + 20]
            shares = [u for u in chunk if ":ugcPost:" not in u]
            ugc = [u for u in chunk if ":ugcPost:" in u]
            query = ""
            if shares:
                query += (
                    "&shares=List("
                    + ",".join(urllib.parse.quote(u, safe="") for u in shares)
                    + ")"
                )
            if ugc:
                query += (
                    "&ugcPosts=List("
                    + ",".join(urllib.parse.quote(u, safe="") for u in ugc)
                    + ")"
                )
            for element in self._statistics(query):
                urn = str(element.get("share") or element.get("ugcPost") or "")
                if not urn:
                    continue
                snapshots.append(
                    PostSnapshot(
                        platform_id=urn,
                        permalink=self.permalink(urn),
                        post_type="post",
                        metrics=self._stats(element),
                        api_version=self.network.api_version,
                    )
                )
        return snapshots

    # -- images ------------------------------------------------------------------

    def _upload_image(self, item: MediaRef, owner: str) -> str:
        """initializeUpload, PUT the bytes to the upload URL, wait for AVAILABLE."""
        response = self.http.request(
            "POST",
            f"{self._rest('images')}?action=initializeUpload",
            creates=True,
            error_mapper=api_error,
            headers=self._headers(),
            json={"initializeUploadRequest": {"owner": owner}},
        )
        value = _body(response).get("value") or {}
        upload_url, urn = str(value.get("uploadUrl", "")), str(value.get("image", ""))
        if not upload_url or not urn:
            raise AdapterError(
                _("LinkedIn no devolvió la dirección de carga de la imagen."),
                code="no_upload_url",
            )
        with item.open() as handle:
            content = handle.read()
        self.http.request(
            "PUT",
            upload_url,
            creates=True,
            error_mapper=api_error,
            headers={
                "Authorization": f"Bearer {self.credentials.access_token}",
                "Content-Type": item.content_type,
            },
            content=content,
        )
        self._await_image(urn, item.name or urn)
        return urn

    def _await_image(self, urn: str, name: str) -> None:
        for attempt in range(self.max_polls):
            response = self.http.request(
                "GET",
                self._rest(f"images/{urllib.parse.quote(urn, safe='')}"),
                error_mapper=api_error,
                headers=self._headers(),
            )
            status = str(_body(response).get("status", ""))
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                raise ContentRejected(
                    _("LinkedIn no pudo procesar la imagen %(name)s.") % {"name": name},
                    code="media_failed",
                )
            if attempt + 1 < self.max_polls:
                time.sleep(self.poll_interval)
        raise AdapterError(
            _("LinkedIn aún procesa la imagen %(name)s; se reintentará la publicación.")
            % {"name": name},
            code="media_processing",
        )

    # -- accounts ----------------------------------------------------------------

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": self.network.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(self.network.scopes),
        }
        return f"{self.network.auth_url}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        grant = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
            }
        )
        token = str(grant["access_token"])
        organization = self._choose_organization(token)
        return self._token_set(grant, organization)

    def refresh(self, refresh_token: str) -> TokenSet:
        grant = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        organization = {
            "urn": self.credentials.account_id,
            "name": self.credentials.handle,
            "vanity": "",
        }
        return self._token_set(grant, organization)

    def account(self) -> AccountInfo:
        """The page the token may post for (checked against the member's roles)."""
        organization = self._choose_organization(self.credentials.access_token)
        return AccountInfo(
            account_id=organization["urn"],
            handle=organization["name"],
            name=organization["name"],
            url=f"{self.network.web_url}/company/{organization['vanity'] or _org_id(organization['urn'])}/",
        )

    def organization_urn(self) -> str:
        return _as_urn(self.credentials.account_id)

    def _choose_organization(self, token: str) -> dict[str, str]:
        administered = self._administered(token)
        wanted = self.credentials.account_id
        if wanted:
            urn = _as_urn(wanted)
            if urn not in administered:
                raise ContentRejected(
                    _(
                        "La persona que autorizó no administra la página de LinkedIn %(urn)s de este canal (se requiere el rol ADMINISTRATOR o CONTENT_ADMINISTRATOR)."
                    )
                    % {"urn": urn},
                    code="not_admin",
                )
        elif administered:
            urn = administered[0]
        else:
            raise ContentRejected(
                _(
                    "La persona que autorizó no administra ninguna página de LinkedIn (se requiere el rol ADMINISTRATOR o CONTENT_ADMINISTRATOR)."
                ),
                code="not_admin",
            )
        return self._organization(token, urn)

    def _administered(self, token: str) -> list[str]:
        """Organizations the token's member may post for, in LinkedIn's order."""
        response = self.http.request(
            "GET",
            f"{self._rest('organizationAcls')}?q=roleAssignee&state=APPROVED",
            error_mapper=api_error,
            headers=self._headers(token),
        )
        urns: list[str] = []
        for element in _body(response).get("elements") or []:
            urn = str(
                element.get("organization") or element.get("organizationalTarget") or ""
            )
            if (
                element.get("role") in POSTING_ROLES
                and element.get("state", "APPROVED") == "APPROVED"
                and urn not in urns
            ):
                urns.append(urn)
        return urns

    def _organization(self, token: str, urn: str) -> dict[str, str]:
        response = self.http.request(
            "GET",
            self._rest(f"organizations/{urllib.parse.quote(_org_id(urn), safe='')}"),
            error_mapper=api_error,
            headers=self._headers(token),
        )
        body = _body(response)
        return {
            "urn": urn,
            "name": str(body.get("localizedName") or ""),
            "vanity": str(body.get("vanityName") or ""),
        }

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        response = self.http.request(
            "POST",
            self.network.token_url,
            error_mapper=token_error,
            data={
                **form,
                "client_id": self.network.client_id,
                "client_secret": self.network.client_secret,
            },
        )
        body = _body(response)
        if not body.get("access_token"):
            raise AdapterError(
                _("LinkedIn no devolvió un token de acceso."), code="no_token"
            )
        return body

    @staticmethod
    def _token_set(grant: dict[str, Any], organization: dict[str, str]) -> TokenSet:
        now = datetime.datetime.now(datetime.UTC)

        def moment(seconds: Any) -> datetime.datetime | None:
            return now + datetime.timedelta(seconds=int(seconds)) if seconds else None

        extra = (
            {"vanity_name": organization["vanity"]}
            if organization.get("vanity")
            else {}
        )
        return TokenSet(
            access_token=str(grant["access_token"]),
            refresh_token=grant.get("refresh_token") or None,
            expires_at=moment(grant.get("expires_in")),
            refresh_expires_at=moment(grant.get("refresh_token_expires_in")),
            scopes=tuple(
                s for s in str(grant.get("scope", "")).replace(",", " ").split() if s
            ),
            account_id=organization["urn"],
            handle=organization["name"],
            extra=extra,
        )

    # -- helpers -----------------------------------------------------------------

    def _rest(self, path: str) -> str:
        return f"{self.network.api_url}/{path}"

    def _headers(self, token: str = "") -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.credentials.access_token}",
            "LinkedIn-Version": self.network.api_version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
