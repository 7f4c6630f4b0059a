"""Sandbox TikTok: OAuth v2 and the Content Posting API v2 subset the adapter uses.

Under the prefix ``/tiktok`` with production paths: ``/v2/auth/authorize/``
(www.tiktok.com), ``/v2/oauth/token/``, ``/v2/user/info/`` and
``/v2/post/publish/…`` (open.tiktokapis.com), ``/video/?upload_id=…`` (the
upload host) and ``/@<user>/video/<id>`` or ``/@<user>/photo/<id>`` (permalinks).

Default account for training: open_id ``cvp-open-id-0001``, username
``cvpbogota``, nickname "Caja de la Vivienda Popular".

Knobs (``state.config["tiktok"]``):

* ``processing_polls`` (1): status fetches that still say PROCESSING_* after the
  upload (or the init, for photos).
* ``publish_result`` ("PUBLISH_COMPLETE"): or ``"FAILED:<fail_reason>"``.
* ``privacy_level_options`` (all four), ``comment_disabled`` /
  ``duet_disabled`` / ``stitch_disabled`` (False), ``max_video_post_duration_sec``
  (600): what creator_info answers.
* ``min_chunk_size`` (5 MiB), ``max_chunk_size`` (64 MiB), ``max_final_chunk_size``
  (128 MiB): the chunk rules of the media transfer guide.
* ``daily_post_cap`` (None): posts per account per day before
  ``spam_risk_too_many_posts``.
* ``verified_url_prefixes`` (None = any): URL prefixes photo pulls may use,
  else ``url_ownership_unverified``.

Posts are recorded when the last byte arrives (photos: at init); a FAILED
outcome marks them deleted. ``publicaly_available_post_id`` is only given for
PUBLIC_TO_EVERYONE posts.

Metrics (Display API, deterministic figures from ``figures``): ``user/info``
``follower_count`` & co. (scope ``user.info.stats``), ``POST /v2/video/list/``
(cursor paging, ``max_count`` ≤ 20) and ``POST /v2/video/query/``
(``filters.video_ids`` ≤ 20) with ``view_count``, ``like_count``,
``comment_count``, ``share_count`` (scope ``video.list``).
"""

from __future__ import annotations

import datetime
import hashlib
import html
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from . import figures
from .core import (
    SandboxApp,
    authorize_page,
    bearer,
    json_response,
    token_grant,
    utcnow,
)

PREFIX = "tiktok"
OPEN_ID = "cvp-open-id-0001"
USERNAME = "cvpbogota"
NICKNAME = "Caja de la Vivienda Popular"

PRIVACY_LEVELS = [
    "PUBLIC_TO_EVERYONE",
    "MUTUAL_FOLLOW_FRIENDS",
    "FOLLOWER_OF_CREATOR",
    "SELF_ONLY",
]
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/webm"}
MAX_VIDEO_BYTES = 4 * 1024**3
MIB = 1024 * 1024
OAUTH_ERRORS = {
    "invalid_grant",
    "invalid_request",
    "invalid_client",
    "unsupported_grant_type",
    "invalid_scope",
}


def log_id() -> str:
    return utcnow().strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def tiktok_error(status: int, code: str, message: str) -> Response:
    """TikTok's envelope, or the OAuth shape at the token endpoint."""
    if code in OAUTH_ERRORS:
        return json_response(
            {"error": code, "error_description": message, "log_id": log_id()}, status
        )
    if code in ("", "internal", "error", "http"):
        code = {401: "access_token_invalid", 429: "rate_limit_exceeded"}.get(
            status, "internal" if status >= 500 else "invalid_param"
        )
    return json_response(
        {"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}},
        status,
    )


def ok(data: dict[str, Any], status: int = 200) -> Response:
    return json_response(
        {"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}},
        status,
    )


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


STATS_FIELDS = frozenset(
    {"follower_count", "following_count", "likes_count", "video_count"}
)
VIDEO_FIELDS = frozenset(
    {
        "id",
        "create_time",
        "title",
        "video_description",
        "share_url",
        "cover_image_url",
        "duration",
        "view_count",
        "like_count",
        "comment_count",
        "share_count",
    }
)


def _bogota_today() -> datetime.date:
    return (utcnow() - datetime.timedelta(hours=5)).date()


def register(app: SandboxApp) -> None:
    state = app.state
    app.errors(PREFIX, tiktok_error)

    def knob(name: str, default: Any) -> Any:
        return state.knob(PREFIX, name, default)

    def authorized(request: Request, scope: str) -> tuple[str, Response | None]:
        token = bearer(request)
        record = state.token(PREFIX, token)
        if record is None:
            problem = state.token_problem(PREFIX, token) or "missing"
            message = {
                "expired": "The access token has expired.",
                "revoked": "The access token has been revoked.",
            }.get(problem, "The access token is invalid or not found in the request.")
            return "", app.error(PREFIX, 401, "access_token_invalid", message)
        if record.scopes and scope not in record.scopes:
            return "", app.error(
                PREFIX,
                401,
                "scope_not_authorized",
                f"The user did not authorize the scope required ({scope}).",
            )
        return record.account_id, None

    def profile(account_id: str) -> dict[str, Any]:
        record = state.account(PREFIX, account_id)
        with state.lock:
            if account_id == OPEN_ID:
                record.setdefault("handle", USERNAME)
                record.setdefault("name", NICKNAME)
            record.setdefault("handle", account_id)
            record.setdefault("name", account_id)
        return record

    def body_json(request: Request) -> dict[str, Any]:
        data = request.get_json(force=True, silent=True)
        return data if isinstance(data, dict) else {}

    # -- OAuth ----------------------------------------------------------------------

    @app.route(PREFIX, "/v2/auth/authorize/", ("GET", "POST"))
    def authorize(request: Request) -> Response:
        params = request.values
        if not params.get("client_key") or params.get("response_type") != "code":
            return app.error(
                PREFIX,
                400,
                "invalid_request",
                "client_key and response_type=code are required.",
            )
        profile(params.get("account_id", OPEN_ID))
        return authorize_page(
            app, PREFIX, request, account_id=OPEN_ID, handle=USERNAME,
            client_param="client_key", scope_separator=",",
        )  # fmt: skip

    @app.route(PREFIX, "/v2/oauth/token/", ("POST",))
    def token(request: Request) -> Response:
        if not request.form.get("client_key") or not request.form.get("client_secret"):
            return app.error(
                PREFIX, 400, "invalid_client", "client_key or client_secret is invalid."
            )
        grant = token_grant(
            app,
            PREFIX,
            request,
            expires_in=86400,
            with_refresh=True,
            rotate_refresh=True,
        )
        if isinstance(grant, Response):
            return grant
        return json_response(
            {
                "access_token": grant.access_token,
                "expires_in": grant.expires_in,
                "open_id": grant.account_id,
                "refresh_token": grant.refresh_token,
                "refresh_expires_in": 31_536_000,
                "scope": ",".join(grant.scopes),
                "token_type": "Bearer",
            }
        )

    # -- user info and creator info ------------------------------------------------------

    @app.route(PREFIX, "/v2/user/info/", ("GET",))
    def user_info(request: Request) -> Response:
        account_id, denied = authorized(request, "user.info.basic")
        if denied:
            return denied
        fields = [f for f in request.args.get("fields", "").split(",") if f]
        if not fields:
            return app.error(PREFIX, 400, "invalid_param", "fields is required.")
        record = profile(account_id)
        known: dict[str, Any] = {
            "open_id": account_id,
            "union_id": f"union-{account_id}",
            "avatar_url": app.url(f"/{PREFIX}/avatar/{account_id}.jpeg"),
            "display_name": record["name"],
        }
        if set(fields) & STATS_FIELDS:
            _account, denied = authorized(request, "user.info.stats")
            if denied:
                return denied
            videos = state.live_posts(PREFIX, account_id)
            known.update(
                follower_count=figures.followers(PREFIX, account_id, _bogota_today()),
                following_count=35,
                likes_count=sum(
                    figures.lifetime(PREFIX, v["id"], "like_count", v["created_at"])
                    for v in videos
                ),
                video_count=len(videos),
            )
        return ok({"user": {k: v for k, v in known.items() if k in fields}})

    # -- Display API: video list and query (scope video.list) ------------------------

    def video_fields(request: Request) -> list[str] | Response:
        fields = [f for f in request.args.get("fields", "").split(",") if f]
        if not fields:
            return app.error(PREFIX, 400, "invalid_param", "fields is required.")
        unknown = [f for f in fields if f not in VIDEO_FIELDS]
        if unknown:
            return app.error(
                PREFIX, 400, "invalid_param", f"Invalid fields: {','.join(unknown)}."
            )
        return fields

    def video_object(post: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        created = post["created_at"]
        handle = profile(post["account_id"])["handle"]
        kind = "photo" if post.get("kind") == "photo" else "video"
        known: dict[str, Any] = {
            "id": post["id"],
            "create_time": int(created.timestamp()),
            "title": post.get("title") or post["text"][:150],
            "video_description": post["text"],
            "share_url": app.url(f"/{PREFIX}/@{handle}/{kind}/{post['id']}"),
            "cover_image_url": app.url(f"/{PREFIX}/cover/{post['id']}.jpeg"),
            "duration": 30,
            "view_count": figures.lifetime(PREFIX, post["id"], "view_count", created),
            "like_count": figures.lifetime(PREFIX, post["id"], "like_count", created),
            "comment_count": figures.lifetime(
                PREFIX, post["id"], "comment_count", created
            ),
            "share_count": figures.lifetime(PREFIX, post["id"], "share_count", created),
        }
        return {k: v for k, v in known.items() if k in fields}

    @app.route(PREFIX, "/v2/video/list/", ("POST",))
    def video_list(request: Request) -> Response:
        """The creator's public posts, newest first: ``max_count`` ≤ 20 and a
        ``cursor`` (UNIX milliseconds) to continue from."""
        account_id, denied = authorized(request, "video.list")
        if denied:
            return denied
        fields = video_fields(request)
        if isinstance(fields, Response):
            return fields
        body = request.get_json(silent=True) or {}
        size = int(body.get("max_count") or 10)
        if not 1 <= size <= 20:
            return app.error(PREFIX, 400, "invalid_param", "max_count must be 1 to 20.")
        cursor = int(body.get("cursor") or 0)
        videos = sorted(
            state.live_posts(PREFIX, account_id),
            key=lambda p: p["created_at"],
            reverse=True,
        )
        if cursor:
            videos = [v for v in videos if v["created_at"].timestamp() * 1000 < cursor]
        page = videos[:size]
        next_cursor = int(page[-1]["created_at"].timestamp() * 1000) if page else 0
        return ok(
            {
                "videos": [video_object(v, fields) for v in page],
                "cursor": next_cursor,
                "has_more": len(videos) > size,
            }
        )

    @app.route(PREFIX, "/v2/video/query/", ("POST",))
    def video_query(request: Request) -> Response:
        """The creator's posts among ``filters.video_ids`` (at most 20)."""
        account_id, denied = authorized(request, "video.list")
        if denied:
            return denied
        fields = video_fields(request)
        if isinstance(fields, Response):
            return fields
        body = request.get_json(silent=True) or {}
        ids = (body.get("filters") or {}).get("video_ids") or []
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
            return app.error(
                PREFIX, 400, "invalid_param", "filters.video_ids must hold 1 to 20 ids."
            )
        found = []
        for video_id in ids:
            post = state.find_post(PREFIX, str(video_id))
            if (
                post is not None
                and not post["deleted"]
                and post["account_id"] == account_id
            ):
                found.append(video_object(post, fields))
        return ok({"videos": found, "cursor": 0, "has_more": False})

    @app.route(PREFIX, "/v2/post/publish/creator_info/query/", ("POST",))
    def creator_info(request: Request) -> Response:
        account_id, denied = authorized(request, "video.publish")
        if denied:
            return denied
        record = profile(account_id)
        return ok(
            {
                "creator_avatar_url": app.url(f"/{PREFIX}/avatar/{account_id}.jpeg"),
                "creator_username": record["handle"],
                "creator_nickname": record["name"],
                "privacy_level_options": list(
                    knob("privacy_level_options", PRIVACY_LEVELS)
                ),
                "comment_disabled": bool(knob("comment_disabled", False)),
                "duet_disabled": bool(knob("duet_disabled", False)),
                "stitch_disabled": bool(knob("stitch_disabled", False)),
                "max_video_post_duration_sec": int(
                    knob("max_video_post_duration_sec", 600)
                ),
            }
        )

    def post_info_problem(
        account_id: str, info: dict[str, Any], *, photo: bool
    ) -> tuple[int, str, str] | None:
        level = info.get("privacy_level")
        if level not in knob("privacy_level_options", PRIVACY_LEVELS):
            return (
                400,
                "privacy_level_option_mismatch",
                f"privacy_level {level!r} is not among the creator's options.",
            )
        if photo:
            if utf16_length(str(info.get("title", ""))) > 90:
                return (
                    400,
                    "invalid_param",
                    "post_info.title is longer than 90 characters.",
                )
            if utf16_length(str(info.get("description", ""))) > 4000:
                return (
                    400,
                    "invalid_param",
                    "post_info.description is longer than 4000 characters.",
                )
        elif utf16_length(str(info.get("title", ""))) > 2200:
            return (
                400,
                "invalid_param",
                "post_info.title is longer than 2200 characters.",
            )
        cap = knob("daily_post_cap", None)
        since = utcnow() - datetime.timedelta(days=1)
        recent = [
            p for p in state.live_posts(PREFIX, account_id) if p["created_at"] > since
        ]
        if cap is not None and len(recent) >= int(cap):
            return (
                403,
                "spam_risk_too_many_posts",
                "The daily post cap of this creator was reached.",
            )
        return None

    def chunk_problem(source: dict[str, Any]) -> str:
        values = [
            source.get(k) for k in ("video_size", "chunk_size", "total_chunk_count")
        ]
        if not all(isinstance(v, int) and v > 0 for v in values):
            return "video_size, chunk_size and total_chunk_count must be positive integers."
        size, chunk, count = (int(v or 0) for v in values)
        low, high = (
            int(knob("min_chunk_size", 5 * MIB)),
            int(knob("max_chunk_size", 64 * MIB)),
        )
        final_high = int(knob("max_final_chunk_size", 128 * MIB))
        if size > MAX_VIDEO_BYTES:
            return "video_size is larger than 4 GB."
        if size < low and (chunk != size or count != 1):
            return "Files smaller than the minimum chunk go up whole, in one chunk."
        if chunk == size and count == 1:
            return (
                ""
                if size <= high
                else "Files larger than the maximum chunk must be chunked."
            )
        if not low <= chunk <= high:
            return f"chunk_size must be between {low} and {high} bytes."
        if count != size // chunk or not 1 <= count <= 1000:
            return "total_chunk_count must be floor(video_size / chunk_size), from 1 to 1000."
        if size - (count - 1) * chunk > final_high:
            return f"The final chunk may not exceed {final_high} bytes."
        return ""

    # -- video: init, upload, status ---------------------------------------------------------

    @app.route(PREFIX, "/v2/post/publish/video/init/", ("POST",))
    def video_init(request: Request) -> Response:
        account_id, denied = authorized(request, "video.publish")
        if denied:
            return denied
        data = body_json(request)
        info = data.get("post_info") or {}
        source = data.get("source_info") or {}
        problem = post_info_problem(account_id, info, photo=False)
        if problem:
            return app.error(PREFIX, *problem)
        if source.get("source") != "FILE_UPLOAD":
            return app.error(
                PREFIX,
                400,
                "invalid_param",
                "The sandbox takes source FILE_UPLOAD for videos.",
            )
        bad = chunk_problem(source)
        if bad:
            return app.error(PREFIX, 400, "invalid_param", bad)
        upload_id = secrets.token_urlsafe(12)
        upload_token = secrets.token_urlsafe(12)
        record = state.add_media(
            PREFIX,
            id=f"v_pub_file~v2-1.{state.new_id()}",
            kind="video",
            account_id=account_id,
            post_info=info,
            total=source["video_size"],
            chunk_size=source["chunk_size"],
            chunk_count=source["total_chunk_count"],
            chunks_received=0,
            hasher=hashlib.sha256(),
            received=0,
            upload_id=upload_id,
            upload_token=upload_token,
            content_type="",
            post_id="",
            polls_left=int(knob("processing_polls", 1)),
            status="PROCESSING_UPLOAD",
            fail_reason="",
        )
        upload_url = app.url(
            f"/{PREFIX}/video/?upload_id={upload_id}&upload_token={upload_token}"
        )
        return ok({"publish_id": record["id"], "upload_url": upload_url})

    @app.route(PREFIX, "/video/", ("PUT",))
    def upload(request: Request) -> Response:
        upload_id = request.args.get("upload_id", "")
        with state.lock:
            record = next(
                (
                    m
                    for m in state.media.get(PREFIX, {}).values()
                    if m.get("upload_id") == upload_id
                ),
                None,
            )
        if record is None or request.args.get("upload_token") != record["upload_token"]:
            return app.error(
                PREFIX, 404, "invalid_param", "The upload URL is invalid or expired."
            )
        content_type = request.headers.get("Content-Type", "")
        if content_type not in VIDEO_TYPES:
            return app.error(
                PREFIX,
                400,
                "invalid_param",
                f"Content-Type {content_type!r} is not a TikTok video type.",
            )
        data = request.get_data()
        with state.lock:
            bad = chunk_range_problem(
                record, request.headers.get("Content-Range", ""), len(data)
            )
            if bad:
                return app.error(PREFIX, 400, "invalid_param", bad)
            record["hasher"].update(data)
            record["received"] += len(data)
            record["chunks_received"] += 1
            record["content_type"] = content_type
            if record["received"] < record["total"]:
                return Response(status=206)
            post = state.add_post(
                PREFIX,
                record["account_id"],
                str(record["post_info"].get("title", "")),
                id=f"73{int(state.new_id()):017d}",
                kind="video",
                publish_id=record["id"],
                privacy_level=record["post_info"].get("privacy_level"),
                disable_comment=bool(record["post_info"].get("disable_comment")),
                media=[
                    {
                        "sha256": record["hasher"].hexdigest(),
                        "size": record["total"],
                        "content_type": content_type,
                    }
                ],
                publish_status="PROCESSING_UPLOAD",
            )
            record["post_id"] = post["id"]
        return Response(status=201)

    def chunk_range_problem(record: dict[str, Any], header: str, length: int) -> str:
        try:
            unit, _, span = header.partition(" ")
            first_last, _, size = span.partition("/")
            first, _, last = first_last.partition("-")
            start, end, total = int(first), int(last), int(size)
        except ValueError:
            return f"Invalid Content-Range {header!r}."
        index = record["chunks_received"]
        if index >= record["chunk_count"]:
            return "Every chunk was already uploaded."
        expected_end = (
            record["total"] - 1
            if index == record["chunk_count"] - 1
            else start + record["chunk_size"] - 1
        )
        if unit != "bytes" or total != record["total"]:
            return "Content-Range total does not match video_size."
        if start != record["received"]:
            return (
                f"Chunks go in order: expected byte {record['received']}, got {start}."
            )
        if end != expected_end or end - start + 1 != length:
            return f"Chunk {index + 1} must cover bytes {start}-{expected_end} and carry them all."
        return ""

    # -- photos (PULL_FROM_URL) ---------------------------------------------------------

    @app.route(PREFIX, "/v2/post/publish/content/init/", ("POST",))
    def content_init(request: Request) -> Response:
        account_id, denied = authorized(request, "video.publish")
        if denied:
            return denied
        data = body_json(request)
        info = data.get("post_info") or {}
        source = data.get("source_info") or {}
        if data.get("media_type") != "PHOTO" or data.get("post_mode") not in (
            "DIRECT_POST",
            "MEDIA_UPLOAD",
        ):
            return app.error(
                PREFIX,
                400,
                "invalid_param",
                "media_type must be PHOTO and post_mode DIRECT_POST or MEDIA_UPLOAD.",
            )
        problem = post_info_problem(account_id, info, photo=True)
        if problem:
            return app.error(PREFIX, *problem)
        images = source.get("photo_images") or []
        if source.get("source") != "PULL_FROM_URL" or not 1 <= len(images) <= 35:
            return app.error(
                PREFIX,
                400,
                "invalid_param",
                "Photos need source PULL_FROM_URL and 1 to 35 photo_images.",
            )
        if not 0 <= int(source.get("photo_cover_index", 0)) < len(images):
            return app.error(
                PREFIX, 400, "invalid_param", "photo_cover_index is out of range."
            )
        prefixes = knob("verified_url_prefixes", None)
        if prefixes is not None and not all(
            any(str(u).startswith(p) for p in prefixes) for u in images
        ):
            return app.error(
                PREFIX,
                403,
                "url_ownership_unverified",
                "The photo URLs are not on a verified domain or URL prefix.",
            )
        publish_id = f"p_pub_url~v2.{state.new_id()}"
        post = state.add_post(
            PREFIX,
            account_id,
            str(info.get("description", "")),
            id=f"73{int(state.new_id()):017d}",
            kind="photo",
            title=str(info.get("title", "")),
            publish_id=publish_id,
            privacy_level=info.get("privacy_level"),
            disable_comment=bool(info.get("disable_comment")),
            media=[{"url": str(u)} for u in images],
            publish_status="PROCESSING_DOWNLOAD",
        )
        state.add_media(
            PREFIX,
            id=publish_id,
            kind="photo",
            account_id=account_id,
            post_info=info,
            total=len(images),
            received=len(images),
            post_id=post["id"],
            polls_left=int(knob("processing_polls", 1)),
            status="PROCESSING_DOWNLOAD",
            fail_reason="",
        )
        return ok({"publish_id": publish_id})

    @app.route(PREFIX, "/v2/post/publish/status/fetch/", ("POST",))
    def status_fetch(request: Request) -> Response:
        account_id, denied = authorized(request, "video.publish")
        if denied:
            return denied
        record = state.get_media(PREFIX, str(body_json(request).get("publish_id", "")))
        if record is None or record["account_id"] != account_id:
            return app.error(PREFIX, 400, "invalid_param", "publish_id is invalid.")
        with state.lock:
            if record["post_id"] and record["status"].startswith("PROCESSING"):
                if record["polls_left"] > 0:
                    record["polls_left"] -= 1
                else:
                    finish(record)
            data: dict[str, Any] = {"status": record["status"]}
            if record["kind"] == "video":
                data["uploaded_bytes"] = record["received"]
            else:
                data["downloaded_bytes"] = record["received"]
            if record["fail_reason"]:
                data["fail_reason"] = record["fail_reason"]
            if record["status"] == "PUBLISH_COMPLETE":
                public = (
                    record["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
                )
                data["publicaly_available_post_id"] = (
                    [int(record["post_id"])] if public else []
                )
        return ok(data)

    def finish(record: dict[str, Any]) -> None:
        outcome, _, reason = str(knob("publish_result", "PUBLISH_COMPLETE")).partition(
            ":"
        )
        post = state.find_post(PREFIX, record["post_id"])
        record["status"] = "FAILED" if outcome == "FAILED" else "PUBLISH_COMPLETE"
        record["fail_reason"] = reason if outcome == "FAILED" else ""
        if post is not None:
            post["publish_status"] = record["status"]
            post["deleted"] = outcome == "FAILED"

    # -- permalink pages ----------------------------------------------------------------------

    @app.route(PREFIX, "/@<user>/video/<post_id>", ("GET",))
    def video_page(request: Request, user: str, post_id: str) -> Response:
        return post_page(user, post_id, "video")

    @app.route(PREFIX, "/@<user>/photo/<post_id>", ("GET",))
    def photo_page(request: Request, user: str, post_id: str) -> Response:
        return post_page(user, post_id, "photo")

    def post_page(user: str, post_id: str, kind: str) -> Response:
        post = state.find_post(PREFIX, post_id)
        if (
            post is None
            or post["deleted"]
            or post["kind"] != kind
            or profile(post["account_id"])["handle"] != user
        ):
            return Response(
                page(
                    "Publicación no disponible",
                    "<p>Esta publicación no existe o fue retirada.</p>",
                ),
                status=404,
                mimetype="text/html",
            )
        record = profile(post["account_id"])
        files = "video" if kind == "video" else f"{len(post['media'])} fotos"
        body = (
            f"<h1>@{html.escape(record['handle'])} · {html.escape(record['name'])}</h1>"
            + (f"<h2>{html.escape(post['title'])}</h2>" if post.get("title") else "")
            + f'<p style="white-space: pre-wrap">{html.escape(post["text"])}</p>'
            f"<p>Archivos: {html.escape(files)} · visibilidad: {html.escape(str(post['privacy_level']))} · "
            f"estado: {html.escape(post['publish_status'])}</p>"
        )
        return Response(
            page(f"@{record['handle']} en TikTok", body), mimetype="text/html"
        )


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · TikTok (práctica)</title></head><body>"
        f"{body}<footer><small>Red de práctica de Pregonero: nada de esto se publicó en TikTok."
        "</small></footer></body></html>"
    )
