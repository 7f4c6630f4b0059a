"""Sandbox Graph API: Facebook Pages and Instagram (with Facebook Login).

Served under the prefix ``facebook`` with production paths (any ``vNN.0``
version): the Login dialog ``/<version>/dialog/oauth`` (www.facebook.com in
production), the token endpoint ``/<version>/oauth/access_token`` (code and
``fb_exchange_token`` grants), ``/me/accounts`` and ``/me/permissions``, Page
``/feed``, ``/photos``, ``/videos`` and ``/posts``, Instagram ``/media`` and
``/media_publish``, Page, post, Instagram account and media ``/insights``
(see the insights section below), and ``GET``/``DELETE`` of any object id. Errors use Graph's
envelope ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``;
an injected ``Fault`` may name the Graph code as ``"190"`` or ``"190:463"``.

Training defaults (the accounts a trainee connects):

* practice user ``10160000000000001`` ("Persona de práctica CVP"), who manages
* the Page ``102030405060708`` "Caja de la Vivienda Popular" (username
  ``CVPBogota``), linked to
* the Instagram professional account ``17841400000000001`` (``cvpbogota``).

State: tokens (user and Page) under the network ``facebook``; Facebook posts in
``state.posts["facebook"]``, uploaded photos and videos in
``state.media["facebook"]``; Instagram posts in ``state.posts["instagram"]`` and
containers in ``state.media["instagram"]``. Permalinks point at small Spanish
pages: ``/facebook/web/<post id>`` and ``/facebook/web/instagram/<media id>``.

Knobs (``state.config["facebook"]``): ``pages`` (the Pages the practice user
manages, each ``{"id", "name", "username", "instagram": {"id", "username",
"name"} | None}``), ``processing_polls`` (status reads a video or container stays
in progress, default 1), ``video_fails`` and ``container_fails`` (processing ends
in error), ``regain_minutes`` (``estimated_time_to_regain_access`` in the
``X-Business-Use-Case-Usage`` header of throttling errors, default 5) and
``ig_publish_quota`` (Instagram posts per rolling 24 hours, default 100).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import re
import secrets
import urllib.parse
from typing import Any

from werkzeug.wrappers import Request, Response

from . import figures, inbound
from .core import (
    ErrorFormatter,
    SandboxApp,
    TokenRecord,
    authorize_page,
    bearer,
    json_response,
    utcnow,
)

PREFIX = "facebook"
IG = "instagram"  # the state key of Instagram posts and containers

USER_ID = "10160000000000001"
USER_NAME = "Persona de práctica CVP"
PAGE_ID = "102030405060708"
IG_USER_ID = "17841400000000001"
DEFAULT_PAGES: tuple[dict[str, Any], ...] = (
    {
        "id": PAGE_ID,
        "name": "Caja de la Vivienda Popular",
        "username": "CVPBogota",
        "category": "Organización gubernamental",
        "instagram": {
            "id": IG_USER_ID,
            "username": "cvpbogota",
            "name": "Caja de la Vivienda Popular",
        },
    },
)
ALL_PERMISSIONS = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "publish_video",
    "instagram_basic",
    "instagram_content_publish",
)

SHORT_LIVED = 3600  # "expiring in hours"
LONG_LIVED = 60 * 24 * 3600  # ~60 days
TEXT_LIMIT = 63_206
PHOTO_MAX_BYTES = 4 * 1024 * 1024
CAPTION_LIMIT = 2200
HASHTAG_LIMIT = 30
CAROUSEL_LIMIT = 10
DAY = datetime.timedelta(hours=24)
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
_CODE = re.compile(r"(\d+)(?::(\d+))?")


# ---------------------------------------------------------------- helpers


def graph_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _formatter(app: SandboxApp) -> ErrorFormatter:
    """Graph's error envelope; throttling errors carry the BUC usage header."""

    defaults = {400: (100, 0), 401: (190, 0), 403: (200, 0), 404: (100, 33)}

    def format_error(status: int, code: str, message: str) -> Response:
        match = _CODE.fullmatch(code)
        if match:
            number, sub = int(match[1]), int(match[2] or 0)
        elif status == 429:
            number, sub = 80001, 0
        elif status >= 500:
            number, sub = (2 if status == 503 else 1), 0
        else:
            number, sub = defaults.get(status, (100, 0))
        error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": number,
            "fbtrace_id": secrets.token_urlsafe(9),
        }
        if sub:
            error["error_subcode"] = sub
        if number in (1, 2):
            error["is_transient"] = True
        headers: dict[str, str] = {}
        if status == 429 or number in THROTTLE_CODES:
            usage = {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 30,
                "total_time": 45,
                "estimated_time_to_regain_access": app.state.knob(
                    PREFIX, "regain_minutes", 5
                ),
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps({PAGE_ID: [usage]})
        return json_response({"error": error}, status, headers)

    return format_error


def _pages(app: SandboxApp) -> list[dict[str, Any]]:
    return list(app.state.knob(PREFIX, "pages", DEFAULT_PAGES))


def _page(app: SandboxApp, page_id: str) -> dict[str, Any] | None:
    return next((p for p in _pages(app) if p["id"] == page_id), None)


def _instagram(
    app: SandboxApp, ig_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The Page an Instagram account is linked to, and the account."""
    for page in _pages(app):
        linked = page.get("instagram") or {}
        if linked.get("id") == ig_id:
            return page, linked
    return None


def _missing(app: SandboxApp, object_id: str, verb: str = "get") -> Response:
    return app.error(
        PREFIX,
        400,
        "100:33",
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation.",
    )


def _check_token(
    app: SandboxApp,
    request: Request,
    owners: set[str] | None = None,
    permission: str = "",
) -> TokenRecord | Response:
    """The caller's token record, or Graph's 190/200 error."""
    value = bearer(request)
    problem = app.state.token_problem(PREFIX, value)
    if problem == "expired":
        return app.error(
            PREFIX,
            400,
            "190:463",
            "Error validating access token: Session has expired.",
        )
    if problem == "revoked":
        return app.error(
            PREFIX,
            400,
            "190:460",
            "Error validating access token: The session has been invalidated because "
            "the user changed their password or Facebook has changed the session for "
            "security reasons.",
        )
    if problem:
        return app.error(
            PREFIX, 400, "190", "Invalid OAuth access token - Cannot parse access token"
        )
    record = app.state.tokens[value]
    if owners is not None and record.account_id not in owners:
        return app.error(
            PREFIX,
            403,
            "200",
            "(#200) The token does not belong to an account that can manage this object.",
        )
    if permission and record.scopes and permission not in record.scopes:
        return app.error(PREFIX, 403, "200", f"(#200) Requires {permission} permission")
    return record


def _add_page_post(
    app: SandboxApp, page_id: str, text: str, **extra: Any
) -> dict[str, Any]:
    post_id = f"{page_id}_{app.state.new_id()}"
    return app.state.add_post(
        PREFIX,
        page_id,
        text,
        id=post_id,
        permalink=app.url(f"/{PREFIX}/web/{post_id}"),
        **extra,
    )


def _file_summary(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "kind", "name", "content_type", "size", "sha256", "alt_text")
    return {k: item.get(k) for k in keys}


def _attached_media(values: Any) -> list[str] | None:
    """``attached_media`` as a JSON list or as ``attached_media[N]`` entries."""
    raw: list[Any] = []
    if values.get("attached_media"):
        try:
            parsed = json.loads(values["attached_media"])
        except ValueError:
            return None
        raw = parsed if isinstance(parsed, list) else [parsed]
    index = 0
    while f"attached_media[{index}]" in values:
        try:
            raw.append(json.loads(values[f"attached_media[{index}]"]))
        except ValueError:
            return None
        index += 1
    ids = [str(item.get("media_fbid", "")) for item in raw if isinstance(item, dict)]
    return ids if len(ids) == len(raw) else None


def _advance_video(app: SandboxApp, video: dict[str, Any]) -> str:
    """One status read of a processing video: ready after ``processing_polls``."""
    with app.state.lock:
        if video["video_status"] == "processing":
            if video["polls_left"] > 0:
                video["polls_left"] -= 1
            elif video["fails"]:
                video["video_status"] = "error"
                post = app.state.find_post(PREFIX, video["post_id"])
                if post is not None:
                    post["deleted"] = True
            else:
                video["video_status"] = "ready"
        return str(video["video_status"])


def _advance_container(app: SandboxApp, container: dict[str, Any]) -> None:
    with app.state.lock:
        code = container["status_code"]
        if (
            code in ("IN_PROGRESS", "FINISHED")
            and utcnow() - container["created_at"] > DAY
        ):
            container["status_code"] = "EXPIRED"
        elif code == "IN_PROGRESS":
            if container["polls_left"] > 0:
                container["polls_left"] -= 1
            elif container["fails"]:
                container["status_code"] = "ERROR"
                container["status"] = (
                    "Error: la red de práctica no pudo procesar el archivo (2207026)."
                )
            else:
                container["status_code"] = "FINISHED"


def _pick(data: dict[str, Any], request: Request) -> dict[str, Any]:
    """Only the requested ``fields`` (and ``id``), as Graph answers; modifiers such
    as ``comments.summary(true)`` or ``{id,username}`` name their field."""
    fields = {
        re.split(r"[{.(]", f)[0] for f in request.args.get("fields", "").split(",") if f
    }
    if not fields:
        return data
    return {k: v for k, v in data.items() if k == "id" or k in fields}


def _hashtags(text: str) -> int:
    return len(re.findall(r"(?<![\w#&/])#\w+", re.sub(r"https?://\S+", " ", text)))


def _http_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and len(value) > len("https://")


def _web_page(title: str, lines: list[str]) -> Response:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return Response(
        '<!doctype html><html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        "<footer>Red de práctica de Pregonero: nada de esto se publicó en Internet.</footer>"
        "</body></html>",
        mimetype="text/html",
    )


def _post_page(post: dict[str, Any], network: str) -> Response:
    lines = [
        post["text"] or "(sin texto)",
        f"Archivos: {len(post.get('media') or [])}",
        f"Publicado: {post['created_at']:%Y-%m-%d %H:%M} UTC",
    ]
    if post["deleted"]:
        lines.insert(0, "Esta publicación fue eliminada.")
    return _web_page(f"{network} — publicación {post['id']}", lines)


# ---------------------------------------------------------------- routes


def register(app: SandboxApp) -> None:
    app.errors(PREFIX, _formatter(app))
    _register_oauth(app)
    _register_facebook(app)
    _register_instagram(app)
    _register_insights(app)
    _register_inbound(app)
    _register_objects(app)
    _register_web(app)


def _register_oauth(app: SandboxApp) -> None:
    state = app.state

    @app.route(PREFIX, "/<version>/dialog/oauth", ("GET", "POST"))
    def dialog(request: Request, version: str) -> Response:
        return authorize_page(
            app,
            PREFIX,
            request,
            account_id=USER_ID,
            handle=USER_NAME,
            scope_separator=",",
        )

    @app.route(PREFIX, "/<version>/oauth/access_token", ("GET", "POST"))
    def access_token(request: Request, version: str) -> Response:
        params = request.values
        if not params.get("client_id") or not params.get("client_secret"):
            return app.error(
                PREFIX, 400, "101", "Missing client_id or client_secret parameter."
            )
        if params.get("grant_type") == "fb_exchange_token":
            return _exchange(app, params.get("fb_exchange_token", ""))
        with state.lock:
            code = state.codes.get(params.get("code", ""))
            if code is None or code.network != PREFIX:
                return app.error(
                    PREFIX, 400, "100", "Invalid verification code format."
                )
            if code.used:
                return app.error(
                    PREFIX, 400, "100:36009", "This authorization code has been used."
                )
            if params.get("redirect_uri", "") != code.redirect_uri:
                return app.error(
                    PREFIX,
                    400,
                    "100:36008",
                    "Error validating verification code. Please make sure your "
                    "redirect_uri is identical to the one you used in the OAuth dialog request",
                )
            if code.client_id and params["client_id"] != code.client_id:
                return app.error(
                    PREFIX, 400, "100", "The code was issued to another application."
                )
            if (
                code.code_challenge
                and _s256(params.get("code_verifier", "")) != code.code_challenge
            ):
                return app.error(PREFIX, 400, "100", "Invalid code verifier.")
            code.used = True
        access, _ = state.issue_tokens(
            PREFIX, code.account_id, expires_in=SHORT_LIVED, with_refresh=False,
            scopes=code.scopes,
        )  # fmt: skip
        return json_response(
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": state.access_token_seconds.get(PREFIX, SHORT_LIVED),
            }
        )

    @app.route(PREFIX, "/<version>/me/permissions")
    def permissions(request: Request, version: str) -> Response:
        record = _check_token(app, request)
        if isinstance(record, Response):
            return record
        granted = record.scopes or ALL_PERMISSIONS
        return json_response(
            {"data": [{"permission": p, "status": "granted"} for p in granted]}
        )

    @app.route(PREFIX, "/<version>/me/accounts")
    def accounts(request: Request, version: str) -> Response:
        record = _check_token(app, request)
        if isinstance(record, Response):
            return record
        if _page(app, record.account_id) is not None:
            return app.error(
                PREFIX,
                400,
                "100",
                "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
            )
        data = []
        for page in _pages(app):
            token, _ = state.issue_tokens(
                PREFIX, page["id"], expires_in=None, with_refresh=False,
                scopes=record.scopes,
            )  # fmt: skip
            row: dict[str, Any] = {
                "id": page["id"],
                "name": page["name"],
                "username": page.get("username", ""),
                "category": page.get("category", ""),
                "access_token": token,
                "tasks": [
                    "ADVERTISE",
                    "ANALYZE",
                    "CREATE_CONTENT",
                    "MESSAGING",
                    "MODERATE",
                    "MANAGE",
                ],
            }
            linked = page.get("instagram")
            if linked and "instagram_business_account" in request.args.get(
                "fields", ""
            ):
                row["instagram_business_account"] = {
                    "id": linked["id"],
                    "username": linked.get("username", ""),
                }
            data.append(row)
        return json_response(
            {"data": data, "paging": {"cursors": {"before": "", "after": ""}}}
        )


def _exchange(app: SandboxApp, short_token: str) -> Response:
    """``grant_type=fb_exchange_token``: a long-lived user token (~60 days)."""
    problem = app.state.token_problem(PREFIX, short_token)
    if problem:
        return app.error(
            PREFIX,
            400,
            "190",
            f"Error validating access token: the token is {problem}.",
        )
    record = app.state.tokens[short_token]
    access, _ = app.state.issue_tokens(
        PREFIX, record.account_id, expires_in=LONG_LIVED, with_refresh=False,
        scopes=record.scopes,
    )  # fmt: skip
    return json_response(
        {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": app.state.access_token_seconds.get(PREFIX, LONG_LIVED),
        }
    )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _register_facebook(app: SandboxApp) -> None:
    state = app.state

    @app.route(PREFIX, "/<version>/<page_id>/feed", ("POST",))
    def feed(request: Request, version: str, page_id: str) -> Response:
        if _page(app, page_id) is None:
            return _missing(app, page_id, "post")
        record = _check_token(app, request, {page_id}, "pages_manage_posts")
        if isinstance(record, Response):
            return record
        message = request.values.get("message", "")
        attached = _attached_media(request.values)
        if attached is None:
            return app.error(
                PREFIX,
                400,
                "100",
                "(#100) attached_media must be a list of {media_fbid}.",
            )
        if not message.strip() and not attached and not request.values.get("link"):
            return app.error(
                PREFIX,
                400,
                "100",
                "(#100) Requires one of the params: message, link, attached_media",
            )
        if len(message) > TEXT_LIMIT:
            return app.error(
                PREFIX,
                400,
                "100",
                f"(#100) The message is longer than {TEXT_LIMIT} characters.",
            )
        with state.lock:
            photos = [state.get_media(PREFIX, fbid) for fbid in attached]
            for fbid, photo in zip(attached, photos, strict=True):
                if (
                    photo is None
                    or photo["kind"] != "photo"
                    or photo["page_id"] != page_id
                    or photo["published"]
                    or photo["post_id"]
                ):
                    return app.error(
                        PREFIX,
                        400,
                        "100",
                        f"(#100) media_fbid {fbid} is not an unpublished photo of this Page.",
                    )
            latest = next(reversed(state.live_posts(PREFIX, page_id)), None)
            if message.strip() and latest is not None and latest["text"] == message:
                return app.error(PREFIX, 400, "506", "(#506) Duplicate status message")
            post = _add_page_post(
                app, page_id, message, kind="status" if not photos else "photos",
                media=[_file_summary(p) for p in photos if p is not None],
            )  # fmt: skip
            for photo in photos:
                if photo is not None:
                    photo["post_id"] = post["id"]
        return json_response({"id": post["id"]})

    @app.route(PREFIX, "/<version>/<page_id>/photos", ("POST",))
    def photos(request: Request, version: str, page_id: str) -> Response:
        if _page(app, page_id) is None:
            return _missing(app, page_id, "post")
        record = _check_token(app, request, {page_id}, "pages_manage_posts")
        if isinstance(record, Response):
            return record
        upload = request.files.get("source")
        if upload is None:
            return app.error(PREFIX, 400, "324", "(#324) Requires upload file")
        data = upload.read()
        if not (upload.mimetype or "").startswith("image/") or not data:
            return app.error(PREFIX, 400, "324", "(#324) Missing or invalid image file")
        if len(data) > PHOTO_MAX_BYTES:
            return app.error(
                PREFIX, 400, "100", "(#100) The photo is larger than 4 MB."
            )
        published = request.values.get("published", "true").lower() != "false"
        caption = request.values.get("caption") or request.values.get("message") or ""
        if len(caption) > TEXT_LIMIT:
            return app.error(
                PREFIX,
                400,
                "100",
                f"(#100) The caption is longer than {TEXT_LIMIT} characters.",
            )
        photo = state.add_media(
            PREFIX, kind="photo", page_id=page_id, name=upload.filename or "",
            content_type=upload.mimetype, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            alt_text=request.values.get("alt_text_custom", ""), caption=caption,
            published=published, post_id="",
        )  # fmt: skip
        if not published:
            return json_response({"id": photo["id"]})
        post = _add_page_post(
            app, page_id, caption, kind="photo", media=[_file_summary(photo)]
        )
        photo["post_id"] = post["id"]
        return json_response({"id": photo["id"], "post_id": post["id"]})

    @app.route(PREFIX, "/<version>/<page_id>/videos", ("POST",))
    def videos(request: Request, version: str, page_id: str) -> Response:
        if _page(app, page_id) is None:
            return _missing(app, page_id, "post")
        record = _check_token(app, request, {page_id}, "publish_video")
        if isinstance(record, Response):
            return record
        upload = request.files.get("source")
        if upload is None:
            return app.error(PREFIX, 400, "100", "(#100) Requires source or file_url.")
        data = upload.read()
        if not (upload.mimetype or "").startswith("video/") or not data:
            return app.error(
                PREFIX, 400, "352",
                "Sorry, the video file you selected is in a format that we don't support.",
            )  # fmt: skip
        description = request.values.get("description", "")
        title = request.values.get("title", "")
        video = state.add_media(
            PREFIX, kind="video", page_id=page_id, name=upload.filename or "",
            content_type=upload.mimetype, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), alt_text="", title=title,
            description=description, video_status="processing",
            polls_left=int(state.knob(PREFIX, "processing_polls", 1)),
            fails=bool(state.knob(PREFIX, "video_fails", False)), post_id="",
        )  # fmt: skip
        post = _add_page_post(
            app, page_id, description, kind="video", title=title,
            media=[_file_summary(video)], video_id=video["id"],
        )  # fmt: skip
        video["post_id"] = post["id"]
        return json_response({"id": video["id"]})

    @app.route(PREFIX, "/<version>/<page_id>/posts")
    def posts(request: Request, version: str, page_id: str) -> Response:
        if _page(app, page_id) is None:
            return _missing(app, page_id)
        record = _check_token(app, request, {page_id, USER_ID})
        if isinstance(record, Response):
            return record
        newest_first = list(reversed(state.live_posts(PREFIX, page_id)))
        page, paging = _cursor_page(request, newest_first)
        rows = []
        for post in page:
            row = {
                "id": post["id"],
                "created_time": graph_time(post["created_at"]),
                "permalink_url": post.get("permalink", ""),
            }
            if post["text"]:
                row["message"] = post["text"]
            rows.append(_pick(row, request))
        return json_response({"data": rows, "paging": paging})


def _cursor_page(
    request: Request, items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Graph's cursor paging: ``limit`` (25 by default, at most 100) and ``after``;
    ``paging.next`` only when there is a further page."""
    limit = min(max(int(request.args.get("limit", "25") or 25), 1), 100)
    after = request.args.get("after", "")
    try:
        start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
    except ValueError:
        start = 0
    page = items[start : start + limit]

    def cursor(offset: int) -> str:
        return base64.urlsafe_b64encode(str(offset).encode()).decode()

    paging: dict[str, Any] = {
        "cursors": {"before": cursor(start), "after": cursor(start + len(page))}
    }
    if start + limit < len(items):
        query = request.args.to_dict()
        query["after"] = cursor(start + len(page))
        paging["next"] = request.base_url + "?" + urllib.parse.urlencode(query)
    return page, paging


def _register_instagram(app: SandboxApp) -> None:
    state = app.state

    def owner_check(request: Request, ig_id: str) -> TokenRecord | Response:
        found = _instagram(app, ig_id)
        if found is None:
            return _missing(app, ig_id, "post")
        return _check_token(
            app, request, {found[0]["id"], USER_ID}, "instagram_content_publish"
        )

    @app.route(PREFIX, "/<version>/<ig_id>/media", ("POST",))
    def create_container(request: Request, version: str, ig_id: str) -> Response:
        record = owner_check(request, ig_id)
        if isinstance(record, Response):
            return record
        values = request.values
        caption = values.get("caption", "")
        if len(caption) > CAPTION_LIMIT:
            return app.error(
                PREFIX,
                400,
                "100",
                f"(#100) The caption is longer than {CAPTION_LIMIT} characters.",
            )
        if _hashtags(caption) > HASHTAG_LIMIT:
            return app.error(
                PREFIX,
                400,
                "100",
                f"(#100) The caption has more than {HASHTAG_LIMIT} hashtags.",
            )
        fields = _container_fields(app, ig_id, values)
        if isinstance(fields, Response):
            return fields
        container = state.add_media(
            IG, kind="container", ig_id=ig_id, caption=caption,
            status_code="IN_PROGRESS", status="",
            polls_left=int(state.knob(PREFIX, "processing_polls", 1)),
            fails=bool(state.knob(PREFIX, "container_fails", False)), **fields,
        )  # fmt: skip
        return json_response({"id": container["id"]})

    @app.route(PREFIX, "/<version>/<ig_id>/media_publish", ("POST",))
    def publish(request: Request, version: str, ig_id: str) -> Response:
        record = owner_check(request, ig_id)
        if isinstance(record, Response):
            return record
        creation_id = request.values.get("creation_id", "")
        with state.lock:
            container = state.get_media(IG, creation_id)
            if (
                container is None
                or container["ig_id"] != ig_id
                or container["carousel_item"]
            ):
                return app.error(
                    PREFIX, 400, "100", f"(#100) Invalid creation_id {creation_id}."
                )
            _advance_container(app, container)
            code = container["status_code"]
            if code == "IN_PROGRESS":
                return app.error(
                    PREFIX, 400, "9007:2207027", "Media ID is not available"
                )
            if code == "PUBLISHED":
                return app.error(
                    PREFIX, 400, "100", "(#100) This container was already published."
                )
            if code != "FINISHED":
                return app.error(
                    PREFIX, 400, "9007:2207020", f"The media container is {code}."
                )
            since = utcnow() - DAY
            recent = [
                p
                for p in state.posts.get(IG, [])
                if p["account_id"] == ig_id and p["created_at"] > since
            ]
            if len(recent) >= int(state.knob(PREFIX, "ig_publish_quota", 100)):
                return app.error(
                    PREFIX, 400, "9:2207042",
                    "The maximum number of posts that were published has been reached.",
                )  # fmt: skip
            media_id = f"179{state.new_id()}"
            post = state.add_post(
                IG, ig_id, container["caption"], id=media_id,
                media_type=container["media_type"], media=_container_media(app, container),
                container_id=creation_id,
                permalink=app.url(f"/{PREFIX}/web/instagram/{media_id}"),
            )  # fmt: skip
            container["status_code"] = "PUBLISHED"
        return json_response({"id": post["id"]})

    @app.route(PREFIX, "/<version>/<ig_id>/media")
    def list_media(request: Request, version: str, ig_id: str) -> Response:
        found = _instagram(app, ig_id)
        if found is None:
            return _missing(app, ig_id)
        record = _check_token(app, request, {found[0]["id"], USER_ID})
        if isinstance(record, Response):
            return record
        newest_first = list(reversed(state.live_posts(IG, ig_id)))
        page, paging = _cursor_page(request, newest_first)
        rows = [_pick(_ig_fields(post), request) for post in page]
        return json_response({"data": rows, "paging": paging})


def _container_fields(
    app: SandboxApp, ig_id: str, values: Any
) -> dict[str, Any] | Response:
    """Check one container request; return what to store about it."""
    media_type = values.get("media_type", "").upper()
    carousel_item = values.get("is_carousel_item", "").lower() == "true"
    unreachable = (
        "9004:2207052",
        "The media could not be fetched from this URI: it must be a public http(s) URL.",
    )
    if media_type == "CAROUSEL":
        ids = [c for c in values.get("children", "").split(",") if c]
        if not 2 <= len(ids) <= CAROUSEL_LIMIT:
            return app.error(
                PREFIX,
                400,
                "100",
                f"(#100) A carousel needs 2 to {CAROUSEL_LIMIT} children.",
            )
        for child_id in ids:
            child = app.state.get_media(IG, child_id)
            if child is None or child["ig_id"] != ig_id or not child["carousel_item"]:
                return app.error(
                    PREFIX,
                    400,
                    "100",
                    f"(#100) {child_id} is not a carousel item container.",
                )
            _advance_container(app, child)
            if child["status_code"] != "FINISHED":
                return app.error(
                    PREFIX, 400, "9007:2207027", "Media ID is not available"
                )
        return {
            "media_type": "CAROUSEL_ALBUM",
            "children": ids,
            "carousel_item": False,
            "url": "",
            "alt_text": "",
        }
    if media_type in ("REELS", "VIDEO"):
        if (media_type == "VIDEO") != carousel_item:
            return app.error(
                PREFIX, 400, "100",
                "(#100) Single videos are published as REELS; VIDEO is only for carousel items.",
            )  # fmt: skip
        if values.get("alt_text"):
            return app.error(
                PREFIX, 400, "100", "(#100) alt_text is only supported for images."
            )
        if not _http_url(values.get("video_url", "")):
            return app.error(PREFIX, 400, *unreachable)
        return {
            "media_type": "VIDEO" if carousel_item else "REELS",
            "url": values["video_url"],
            "alt_text": "",
            "carousel_item": carousel_item,
            "children": [],
        }
    if media_type in ("", "IMAGE"):
        if not _http_url(values.get("image_url", "")):
            return app.error(PREFIX, 400, *unreachable)
        return {
            "media_type": "IMAGE",
            "url": values["image_url"],
            "alt_text": values.get("alt_text", ""),
            "carousel_item": carousel_item,
            "children": [],
        }
    return app.error(
        PREFIX, 400, "100", f"(#100) media_type {media_type} is not supported here."
    )


def _container_media(
    app: SandboxApp, container: dict[str, Any]
) -> list[dict[str, Any]]:
    parts = [app.state.get_media(IG, c) for c in container["children"]] or [container]
    return [
        {"type": p["media_type"], "url": p["url"], "alt_text": p["alt_text"]}
        for p in parts
        if p is not None
    ]


def _ig_fields(post: dict[str, Any]) -> dict[str, Any]:
    media_type = post["media_type"]
    media = post.get("media") or []
    return {
        "id": post["id"],
        "caption": post["text"],
        "timestamp": graph_time(post["created_at"]),
        "permalink": post["permalink"],
        "media_type": "VIDEO" if media_type == "REELS" else media_type,
        "media_product_type": "REELS" if media_type == "REELS" else "FEED",
        "media_url": media[0]["url"] if media else "",
        "like_count": figures.lifetime(IG, post["id"], "likes", post["created_at"]),
        "comments_count": figures.lifetime(
            IG, post["id"], "comments", post["created_at"]
        ),
    }


# ---------------------------------------------------------------- inbound (issue 6)
#
# What citizens write, from ``inbound.items``: comments on a Page post or an
# Instagram media (``GET /{object-id}/comments`` with ``since``, ``order`` and
# cursor paging), the Page's Messenger conversations (``GET
# /{page-id}/conversations`` with nested ``messages``) and the Instagram media
# the account is tagged or mentioned in (``GET /{ig-user-id}/tags``). The
# Page's replies under a Page comment (``POST|GET /{comment-id}/comments``,
# state ``facebook:replies``) and the Instagram account's replies under a media
# comment (``POST|GET /{ig-comment-id}/replies``, state ``instagram:replies``).


def _since(request: Request) -> datetime.datetime | None:
    value = request.args.get("since", "")
    if not value:
        return None
    if value.isdigit():
        return datetime.datetime.fromtimestamp(int(value), datetime.UTC)
    try:
        return datetime.datetime.fromisoformat(value.replace("+0000", "+00:00"))
    except ValueError:
        return None


def _citizen_id(handle: str) -> str:
    return f"7{int(hashlib.sha256(handle.encode()).hexdigest()[:10], 16):015d}"


def _register_inbound(app: SandboxApp) -> None:
    state = app.state

    def page_comment(comment_id: str) -> dict[str, Any] | None:
        """A citizen's comment on a Page post, by its Graph id
        (``<post>_<comment>``), or one of the Page's replies under it."""
        number = comment_id.split("_")[-1]
        with state.lock:
            for item in state.inbound.get(PREFIX, []):
                if item["kind"] == "comment" and item["id"] == number:
                    return item
        return None

    def reply_row(reply: dict[str, Any]) -> dict[str, Any]:
        page = _page(app, reply["account_id"]) or {}
        return {
            "id": reply["id"],
            "message": reply["text"],
            "created_time": graph_time(reply["created_at"]),
            "from": {"id": reply["account_id"], "name": page.get("name", "")},
            "parent": {"id": reply["parent_id"]},
            "permalink_url": app.url(f"/{PREFIX}/web/{reply['id']}"),
        }

    @app.route(PREFIX, "/<version>/<comment_id>/comments", ("POST",))
    def reply_to_comment(request: Request, version: str, comment_id: str) -> Response:
        """A reply to a comment (reference §1.6): ``message`` → ``{"id"}``;
        needs ``pages_manage_engagement``."""
        item = page_comment(comment_id)
        if item is None:
            return _missing(app, comment_id, "post")
        record = _check_token(
            app, request, {str(item["account_id"])}, "pages_manage_engagement"
        )
        if isinstance(record, Response):
            return record
        message = request.values.get("message", "")
        if not message.strip():
            return app.error(
                PREFIX,
                400,
                "100",
                "(#100) Requires one of the params: message, attachment_url",
            )
        if len(message) > TEXT_LIMIT:
            return app.error(PREFIX, 400, "100", "(#100) Param message is too long.")
        reply = state.add_post(
            f"{PREFIX}:replies", str(item["account_id"]), message,
            id=f"{comment_id.split('_')[0]}_{state.new_id()}", parent_id=comment_id,
        )  # fmt: skip
        return json_response({"id": reply["id"]})

    def ig_comment(comment_id: str) -> dict[str, Any] | None:
        """A citizen's comment on an Instagram media, by its id (``1790`` and
        eleven digits)."""
        if not comment_id.startswith("1790") or not comment_id[4:].isdigit():
            return None
        number = str(int(comment_id[4:]))
        with state.lock:
            return next(
                (
                    i
                    for i in state.inbound.get(IG, [])
                    if i["id"] == number and i["kind"] == "comment"
                ),
                None,
            )

    def ig_owner(request: Request, item: dict[str, Any]) -> Response | None:
        found = _instagram(app, str(item["account_id"]))
        if found is None:
            return _missing(app, str(item["id"]))
        record = _check_token(
            app, request, {found[0]["id"], USER_ID}, "instagram_manage_comments"
        )
        return record if isinstance(record, Response) else None

    def ig_reply_row(reply: dict[str, Any]) -> dict[str, Any]:
        found = _instagram(app, reply["account_id"])
        username = found[1].get("username", "") if found else ""
        return {
            "id": reply["id"],
            "text": reply["text"],
            "timestamp": graph_time(reply["created_at"]),
            "username": username,
            "from": {"id": reply["account_id"], "username": username},
            "parent_id": reply["parent_id"],
        }

    @app.route(PREFIX, "/<version>/<comment_id>/replies", ("POST",))
    def ig_reply(request: Request, version: str, comment_id: str) -> Response:
        """A reply to a comment on the account's media (IG Comment Replies:
        ``POST /{ig-comment-id}/replies`` with ``message`` → ``{"id"}``; needs
        ``instagram_manage_comments``; only top-level comments take replies)."""
        item = ig_comment(comment_id)
        if item is None:
            return _missing(app, comment_id, "post")
        refused = ig_owner(request, item)
        if refused is not None:
            return refused
        message = request.values.get("message", "")
        if not message.strip():
            return app.error(
                PREFIX, 400, "100", "(#100) The parameter message is required"
            )
        if len(message) > CAPTION_LIMIT:
            return app.error(PREFIX, 400, "100", "(#100) Param message is too long.")
        reply = state.add_post(
            f"{IG}:replies", str(item["account_id"]), message,
            id=f"1792{int(state.new_id()):011d}", parent_id=comment_id,
        )  # fmt: skip
        return json_response({"id": reply["id"]})

    @app.route(PREFIX, "/<version>/<comment_id>/replies")
    def ig_replies(request: Request, version: str, comment_id: str) -> Response:
        item = ig_comment(comment_id)
        if item is None:
            return _missing(app, comment_id)
        refused = ig_owner(request, item)
        if refused is not None:
            return refused
        rows = [
            ig_reply_row(r)
            for r in state.live_posts(f"{IG}:replies")
            if r["parent_id"] == comment_id
        ]
        page, paging = _cursor_page(request, rows)
        return json_response(
            {"data": [_pick(r, request) for r in page], "paging": paging}
        )

    @app.route(PREFIX, "/<version>/<object_id>/comments")
    def comments(request: Request, version: str, object_id: str) -> Response:
        if state.find_post(PREFIX, object_id) is None:
            item = page_comment(object_id)
            if item is not None:
                # The replies under a comment (the Page's own, in this sandbox).
                record = _check_token(app, request, {str(item["account_id"]), USER_ID})
                if isinstance(record, Response):
                    return record
                rows = [
                    reply_row(r)
                    for r in state.live_posts(f"{PREFIX}:replies")
                    if r["parent_id"] == object_id
                ]
                page, paging = _cursor_page(request, rows)
                return json_response(
                    {"data": [_pick(r, request) for r in page], "paging": paging}
                )
        post = state.find_post(PREFIX, object_id)
        network, account = PREFIX, ""
        if post is not None:
            account = str(post["account_id"])
            owners = {account, USER_ID}
        else:
            post = state.find_post(IG, object_id)
            found = _instagram(app, str(post["account_id"])) if post else None
            if post is None or found is None:
                return _missing(app, object_id)
            network, account = IG, str(post["account_id"])
            owners = {found[0]["id"], USER_ID}
        record = _check_token(app, request, owners)
        if isinstance(record, Response):
            return record
        rows = [
            i
            for i in inbound.items(state, network, account)
            if i["kind"] == "comment" and i["post_id"] == object_id
        ]
        since = _since(request)
        if since is not None:
            rows = [i for i in rows if i["created_at"] >= since]
        if request.args.get("order", "chronological") == "reverse_chronological":
            rows.reverse()
        page, paging = _cursor_page(request, rows)
        data = []
        for item in page:
            if network == IG:
                row = {
                    "id": f"1790{int(item['id']):011d}",
                    "text": item["text"],
                    "timestamp": graph_time(item["created_at"]),
                    "username": item["author"],
                    "from": {
                        "id": _citizen_id(item["author"]),
                        "username": item["author"],
                    },
                }
            else:
                comment_id = f"{object_id.split('_')[-1]}_{item['id']}"
                row = {
                    "id": comment_id,
                    "message": item["text"],
                    "created_time": graph_time(item["created_at"]),
                    "from": {
                        "id": _citizen_id(item["author"]),
                        "name": item["author_name"],
                    },
                    "permalink_url": app.url(f"/{PREFIX}/web/{comment_id}"),
                }
            data.append(_pick(row, request))
        return json_response({"data": data, "paging": paging})

    @app.route(PREFIX, "/<version>/<page_id>/conversations")
    def conversations(request: Request, version: str, page_id: str) -> Response:
        page_row = _page(app, page_id)
        if page_row is None:
            return _missing(app, page_id)
        record = _check_token(app, request, {page_id}, "pages_messaging")
        if isinstance(record, Response):
            return record
        threads: dict[str, list[dict[str, Any]]] = {}
        for item in inbound.items(state, PREFIX, page_id):
            if item["kind"] == "message":
                threads.setdefault(item["author"], []).append(item)
        rows = []
        for author, messages in threads.items():
            messages.sort(key=lambda i: i["created_at"], reverse=True)
            thread_id = f"t_{_citizen_id(author)}"
            rows.append(
                {
                    "id": thread_id,
                    "updated_time": graph_time(messages[0]["created_at"]),
                    "link": f"/{page_row.get('username', page_id)}/inbox/{thread_id}",
                    "messages": {
                        "data": [
                            {
                                "id": f"m_{m['id']}",
                                "message": m["text"],
                                "created_time": graph_time(m["created_at"]),
                                "from": {
                                    "id": _citizen_id(author),
                                    "name": m["author_name"],
                                },
                            }
                            for m in messages
                        ]
                    },
                    "_sort": messages[0]["created_at"],
                }
            )
        rows.sort(key=lambda r: r.pop("_sort"), reverse=True)
        page, paging = _cursor_page(request, rows)
        return json_response(
            {"data": [_pick(r, request) for r in page], "paging": paging}
        )

    @app.route(PREFIX, "/<version>/<ig_id>/tags")
    def tags(request: Request, version: str, ig_id: str) -> Response:
        found = _instagram(app, ig_id)
        if found is None:
            return _missing(app, ig_id)
        record = _check_token(app, request, {found[0]["id"], USER_ID})
        if isinstance(record, Response):
            return record
        rows = [
            {
                "id": f"1791{int(i['id']):011d}",
                "caption": f"@{found[1].get('username', '')} {i['text']}",
                "timestamp": graph_time(i["created_at"]),
                "username": i["author"],
                "permalink": app.url(f"/{PREFIX}/web/instagram/{i['id']}"),
                "media_type": "IMAGE",
            }
            for i in reversed(inbound.items(state, IG, ig_id))
            if i["kind"] == "mention"
        ]
        page, paging = _cursor_page(request, rows)
        return json_response(
            {"data": [_pick(r, request) for r in page], "paging": paging}
        )


# ---------------------------------------------------------------- insights
#
# Page insights (§1.7): ``GET /{page-id}/insights?metric=…&period=day&since&until``
# answers one value per day with its ``end_time`` (07:00 UTC of the next day);
# at most 90 days per request, nothing older than two years; a deprecated or
# unknown metric name fails the whole request with (#100). Post insights
# (``period=lifetime``) and Instagram media insights answer one lifetime value;
# Instagram account insights with ``metric_type=total_value`` answer one total
# for the range (§2.6).

PAGE_METRICS = frozenset(
    {
        "page_follows",
        "page_daily_follows",
        "page_daily_follows_unique",
        "page_daily_unfollows_unique",
        "page_media_view",
        "page_total_media_view_unique",
        "page_post_engagements",
        "page_video_views",
        "page_views_total",
        "page_total_actions",
    }
)
POST_METRICS = frozenset(
    {
        "post_media_view",
        "post_total_media_view_unique",
        "post_clicks",
        "post_clicks_by_type",
        "post_reactions_by_type_total",
        "post_reactions_like_total",
        "post_video_views",
    }
)
IG_ACCOUNT_METRICS = frozenset(
    {
        "views",
        "reach",
        "accounts_engaged",
        "total_interactions",
        "likes",
        "comments",
        "shares",
        "saves",
        "replies",
        "profile_links_taps",
        "follows_and_unfollows",
    }
)
IG_MEDIA_METRICS = frozenset(
    {
        "views",
        "reach",
        "likes",
        "comments",
        "shares",
        "saved",
        "total_interactions",
        "profile_visits",
        "follows",
    }
)
MAX_WINDOW_DAYS = 90
HISTORY_DAYS = 2 * 365


def _bogota_today() -> datetime.date:
    return (utcnow() - datetime.timedelta(hours=5)).date()


def _status_type(post: dict[str, Any]) -> str:
    return {"photos": "added_photos", "video": "added_video"}.get(
        post.get("kind", ""), "mobile_status_update"
    )


def _post_counts(post: dict[str, Any]) -> dict[str, Any]:
    """The counts a Page token reads without insights permission (§1.7.1)."""
    created = post["created_at"]
    reactions = sum(figures.reactions_by_type(PREFIX, post["id"], created).values())
    comments = figures.lifetime(PREFIX, post["id"], "comments", created)
    return {
        "shares": {"count": figures.lifetime(PREFIX, post["id"], "shares", created)},
        "comments": {"data": [], "summary": {"total_count": comments}},
        "reactions": {"data": [], "summary": {"total_count": reactions}},
    }


def _metric_names(app: SandboxApp, request: Request) -> list[str] | Response:
    names = [m for m in request.args.get("metric", "").split(",") if m.strip()]
    if not names:
        return app.error(
            PREFIX,
            400,
            "3001:1504028",
            "No Metric Specified: the metric parameter is required.",
        )
    return [n.strip() for n in names]


def _invalid_metric(app: SandboxApp) -> Response:
    return app.error(
        PREFIX, 400, "100", "(#100) The value must be a valid insights metric"
    )


def _insight(
    object_id: str, name: str, period: str, values: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "name": name,
        "period": period,
        "values": values,
        "title": name.replace("_", " ").capitalize(),
        "description": f"{name} ({period})",
        "id": f"{object_id}/insights/{name}/{period}",
    }


def _range(
    app: SandboxApp, request: Request
) -> tuple[datetime.date, datetime.date] | Response:
    """The days ``since`` .. ``until`` (exclusive) of an insights request."""
    today = _bogota_today()
    until = figures.parse_day(request.args.get("until", "")) or today
    since = figures.parse_day(request.args.get("since", "")) or (
        until - datetime.timedelta(days=2)
    )
    if until <= since:
        return app.error(
            PREFIX, 400, "100", "(#100) The until parameter must be after since."
        )
    if (until - since).days > MAX_WINDOW_DAYS:
        return app.error(
            PREFIX,
            400,
            "100",
            "(#100) There cannot be more than 90 days (7776000 s) between since and until",
        )
    oldest = today - datetime.timedelta(days=HISTORY_DAYS)
    return max(since, oldest), min(until, today + datetime.timedelta(days=1))


def _register_insights(app: SandboxApp) -> None:
    state = app.state

    @app.route(PREFIX, "/<version>/<object_id>/insights")
    def insights(request: Request, version: str, object_id: str) -> Response:
        names = _metric_names(app, request)
        if isinstance(names, Response):
            return names
        page = _page(app, object_id)
        if page is not None:
            record = _check_token(app, request, {page["id"], USER_ID})
            if isinstance(record, Response):
                return record
            return _page_insights(app, request, page["id"], names)
        post = state.find_post(PREFIX, object_id)
        if post is not None and not post["deleted"]:
            record = _check_token(app, request, {post["account_id"], USER_ID})
            if isinstance(record, Response):
                return record
            if any(n not in POST_METRICS for n in names):
                return _invalid_metric(app)
            data = [
                _insight(object_id, n, "lifetime", [{"value": _post_value(post, n)}])
                for n in names
            ]
            return json_response({"data": data})
        account = _instagram(app, object_id)
        if account is not None:
            record = _check_token(app, request, {account[0]["id"], USER_ID})
            if isinstance(record, Response):
                return record
            return _ig_account_insights(app, request, object_id, names)
        media = state.find_post(IG, object_id)
        if media is not None and not media["deleted"]:
            linked = _instagram(app, media["account_id"])
            owners = {linked[0]["id"], USER_ID} if linked else {USER_ID}
            record = _check_token(app, request, owners)
            if isinstance(record, Response):
                return record
            if any(n not in IG_MEDIA_METRICS for n in names):
                return _invalid_metric(app)
            data = [
                _insight(
                    object_id,
                    n,
                    "lifetime",
                    [
                        {
                            "value": figures.lifetime(
                                IG, media["id"], n, media["created_at"]
                            )
                        }
                    ],
                )
                for n in names
            ]
            return json_response({"data": data})
        return _missing(app, object_id)


def _post_value(post: dict[str, Any], name: str) -> Any:
    created = post["created_at"]
    if name == "post_reactions_by_type_total":
        return figures.reactions_by_type(PREFIX, post["id"], created)
    if name == "post_clicks_by_type":
        clicks = figures.lifetime(PREFIX, post["id"], "post_clicks", created)
        links = clicks // 3
        return {"link clicks": links, "other clicks": clicks - links}
    if name == "post_reactions_like_total":
        return figures.reactions_by_type(PREFIX, post["id"], created).get("like", 0)
    if name == "post_video_views" and post.get("kind") != "video":
        return 0
    return figures.lifetime(PREFIX, post["id"], name, created)


def _page_insights(
    app: SandboxApp, request: Request, page_id: str, names: list[str]
) -> Response:
    if any(n not in PAGE_METRICS for n in names):
        return _invalid_metric(app)
    period = request.args.get("period", "day")
    if period != "day":
        return app.error(
            PREFIX,
            400,
            "100",
            "(#100) The sandbox Page insights answer period=day only.",
        )
    window = _range(app, request)
    if isinstance(window, Response):
        return window
    since, until = window
    posted = figures.posts_per_day(app.state.live_posts(PREFIX, page_id))
    days = [since + datetime.timedelta(days=i) for i in range((until - since).days)]
    data = []
    for name in names:
        values = []
        for day in days:
            if name == "page_follows":
                value = figures.followers(PREFIX, page_id, day)
            else:
                value = figures.daily(PREFIX, page_id, name, day, posted.get(day, 0))
            end = datetime.datetime.combine(
                day + datetime.timedelta(days=1), datetime.time(7), datetime.UTC
            )
            values.append({"value": value, "end_time": graph_time(end)})
        data.append(_insight(page_id, name, "day", values))
    return json_response({"data": data, "paging": {"previous": "", "next": ""}})


def _ig_account_insights(
    app: SandboxApp, request: Request, ig_id: str, names: list[str]
) -> Response:
    if any(n not in IG_ACCOUNT_METRICS for n in names):
        return _invalid_metric(app)
    if request.args.get("metric_type") != "total_value":
        return app.error(
            PREFIX,
            400,
            "100",
            "(#100) metric_type=total_value is required for these metrics.",
        )
    window = _range(app, request)
    if isinstance(window, Response):
        return window
    since, until = window
    posted = figures.posts_per_day(app.state.live_posts(IG, ig_id))
    days = [since + datetime.timedelta(days=i) for i in range((until - since).days)]
    data = []
    for name in names:
        total = sum(
            figures.daily(IG, ig_id, name, day, posted.get(day, 0)) for day in days
        )
        item = _insight(ig_id, name, "day", [])
        del item["values"]
        item["total_value"] = {"value": total}
        data.append(item)
    return json_response({"data": data})


def _register_objects(app: SandboxApp) -> None:
    state = app.state

    @app.route(PREFIX, "/<version>/<object_id>")
    def read(request: Request, version: str, object_id: str) -> Response:
        found = _read_object(app, object_id)
        if found is None:
            return _missing(app, object_id)
        owners, data = found
        record = _check_token(app, request, owners)
        if isinstance(record, Response):
            return record
        return json_response(_pick(data(), request))

    @app.route(PREFIX, "/<version>/<object_id>", ("DELETE",))
    def delete(request: Request, version: str, object_id: str) -> Response:
        post = state.find_post(PREFIX, object_id)
        item = state.get_media(PREFIX, object_id)
        if post is None and item is not None and item.get("post_id"):
            post = state.find_post(PREFIX, item["post_id"])
        if post is None or post["deleted"]:
            return _missing(app, object_id, "delete")
        record = _check_token(app, request, {post["account_id"]}, "pages_manage_posts")
        if isinstance(record, Response):
            return record
        with state.lock:
            post["deleted"] = True
        return json_response({"success": True})


def _read_object(app: SandboxApp, object_id: str) -> tuple[set[str], Any] | None:
    """Who may read ``object_id`` and a function building its fields."""
    state = app.state
    post = state.find_post(PREFIX, object_id)
    if post is not None and not post["deleted"]:
        return {post["account_id"], USER_ID}, lambda: {
            "id": post["id"],
            "message": post["text"],
            "created_time": graph_time(post["created_at"]),
            "permalink_url": post["permalink"],
            "status_type": _status_type(post),
            **_post_counts(post),
        }
    item = state.get_media(PREFIX, object_id)
    if item is not None and item["kind"] == "video":

        def video() -> dict[str, Any]:
            status = _advance_video(app, item)
            linked = state.find_post(PREFIX, item["post_id"])
            return {
                "id": item["id"],
                "status": {
                    "video_status": status,
                    "processing_phase": {
                        "status": "complete" if status == "ready" else status
                    },
                },
                "post_id": item["post_id"],
                "permalink_url": linked["permalink"] if linked else "",
                "created_time": graph_time(item["created_at"]),
                "title": item["title"],
                "description": item["description"],
            }

        return {item["page_id"], USER_ID}, video
    page = _page(app, object_id)
    if page is not None:
        return {page["id"], USER_ID}, lambda: {
            "id": page["id"],
            "name": page["name"],
            "username": page.get("username", ""),
            "link": app.url(f"/{PREFIX}/{page.get('username') or page['id']}"),
            "followers_count": figures.followers(PREFIX, page["id"], _bogota_today()),
        }
    container = state.get_media(IG, object_id)
    if container is not None:
        linked_page = _instagram(app, container["ig_id"])
        owners = {linked_page[0]["id"], USER_ID} if linked_page else {USER_ID}

        def status() -> dict[str, Any]:
            _advance_container(app, container)
            return {
                "id": container["id"],
                "status_code": container["status_code"],
                "status": container["status"],
            }

        return owners, status
    media = state.find_post(IG, object_id)
    if media is not None and not media["deleted"]:
        linked_page = _instagram(app, media["account_id"])
        owners = {linked_page[0]["id"], USER_ID} if linked_page else {USER_ID}
        return owners, lambda: _ig_fields(media)
    account = _instagram(app, object_id)
    if account is not None:
        page, linked = account
        return {page["id"], USER_ID}, lambda: {
            "id": linked["id"],
            "username": linked.get("username", ""),
            "name": linked.get("name", ""),
            "followers_count": figures.followers(IG, linked["id"], _bogota_today()),
            "media_count": len(state.live_posts(IG, linked["id"])),
        }
    return None


def _register_web(app: SandboxApp) -> None:
    state = app.state

    @app.route(PREFIX, "/web/<post_id>")
    def facebook_post(request: Request, post_id: str) -> Response:
        post = state.find_post(PREFIX, post_id)
        if post is None:
            return _web_page("Publicación no encontrada", [post_id])
        return _post_page(post, "Facebook")

    @app.route(PREFIX, "/web/instagram/<media_id>")
    def instagram_post(request: Request, media_id: str) -> Response:
        post = state.find_post(IG, media_id)
        if post is None:
            return _web_page("Publicación no encontrada", [media_id])
        return _post_page(post, "Instagram")

    @app.route(PREFIX, "/<name>")
    def profile(request: Request, name: str) -> Response:
        """www.facebook.com/<page or post> and www.instagram.com/<user>/."""
        post = state.find_post(PREFIX, name)
        if post is not None:
            return _post_page(post, "Facebook")
        for page in _pages(app):
            linked = page.get("instagram") or {}
            if name in (page["id"], page.get("username")):
                posts = state.live_posts(PREFIX, page["id"])
                return _web_page(
                    page["name"],
                    [
                        f"Página de Facebook @{page.get('username', '')}",
                        f"Publicaciones: {len(posts)}",
                    ],
                )
            if name in (linked.get("id"), linked.get("username")):
                posts = state.live_posts(IG, linked["id"])
                return _web_page(
                    f"@{linked.get('username', '')}",
                    ["Cuenta profesional de Instagram", f"Publicaciones: {len(posts)}"],
                )
        return _web_page("Página no encontrada", [name])
