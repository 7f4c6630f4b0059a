"""Sandbox Google: OAuth 2.0 and the YouTube Data API v3 subset the adapter uses.

Every Google host lives under the one prefix ``/google``; the paths are the
production ones: ``/o/oauth2/v2/auth`` (accounts.google.com), ``/token``
(oauth2.googleapis.com), ``/youtube/v3/…`` and ``/upload/youtube/v3/…``
(www.googleapis.com) and ``/watch?v=`` (www.youtube.com, the permalinks).

Default account for training: the channel ``UCcvpBogota000000000000``, title
"Caja de la Vivienda Popular", handle ``@CVPBogota`` (its uploads playlist is
``UUcvpBogota000000000000``).

Knobs (``state.config["google"]``):

* ``processing_polls`` (1): videos.list reads before a new video is processed.
* ``processing_result`` ("processed"): or ``"failed:<failureReason>"`` /
  ``"rejected:<rejectionReason>"``. A second upload of the same file on the same
  channel is rejected as ``duplicate`` anyway, as YouTube does after processing.
* ``daily_upload_limit`` (None): uploads per channel per day before
  ``uploadLimitExceeded``.

Comments (issue 6): ``commentThreads.list`` reads the citizens' top-level
comments; ``comments.insert`` (a reply: ``snippet.parentId`` +
``snippet.textOriginal``) and ``comments.list?parentId=`` write and read the
channel's replies (state ``google:replies``).

Metrics (deterministic figures from ``figures``): ``channels.list`` with
``part=statistics``, ``videos.list`` with ``part=statistics`` (strings, as the
Data API writes them) and YouTube Analytics ``/v2/reports`` (the host
youtubeanalytics.googleapis.com) with ``dimensions=day`` or ``dimensions=video``
and ``filters=video==…``.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from . import figures, inbound
from .core import (
    SandboxApp,
    SandboxState,
    authorize_page,
    bearer,
    json_response,
    token_grant,
    utcnow,
)

PREFIX = "google"
CHANNEL_ID = "UCcvpBogota000000000000"
CHANNEL_TITLE = "Caja de la Vivienda Popular"
CHANNEL_HANDLE = "@CVPBogota"

SCOPE = "https://www.googleapis.com/auth/"
READ_SCOPES = {
    f"{SCOPE}youtube",
    f"{SCOPE}youtube.readonly",
    f"{SCOPE}youtube.force-ssl",
}
UPLOAD_SCOPES = {
    f"{SCOPE}youtube",
    f"{SCOPE}youtube.upload",
    f"{SCOPE}youtube.force-ssl",
}
WRITE_SCOPES = {f"{SCOPE}youtube", f"{SCOPE}youtube.force-ssl"}
ANALYTICS_SCOPES = {f"{SCOPE}yt-analytics.readonly"}
ANALYTICS_METRICS = frozenset(
    {
        "views",
        "estimatedMinutesWatched",
        "averageViewDuration",
        "averageViewPercentage",
        "subscribersGained",
        "subscribersLost",
        "likes",
        "dislikes",
        "comments",
        "shares",
    }
)


def _bogota_today() -> datetime.date:
    return (utcnow() - datetime.timedelta(hours=5)).date()


CHUNK_UNIT = 256 * 1024
MAX_VIDEO_BYTES = 256 * 1024**3
MAX_CAPTION_BYTES = 100 * 1024**2
OAUTH_ERRORS = {
    "invalid_grant",
    "invalid_request",
    "invalid_client",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
}
GRPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(status: int, code: str, message: str) -> Response:
    """Google's two error shapes: OAuth (token endpoint) and the JSON API envelope."""
    if code in OAUTH_ERRORS:
        return json_response({"error": code, "error_description": message}, status)
    reason = code
    if code in ("", "internal", "error", "http"):
        reason = {401: "authError", 403: "forbidden", 404: "notFound"}.get(
            status, "rateLimitExceeded" if status == 429 else "backendError"
        )
        reason = "badRequest" if status < 500 and reason == "backendError" else reason
    domain = (
        "youtube.quota"
        if reason == "quotaExceeded"
        else "usageLimits"
        if reason
        in ("rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded")
        else "global"
    )
    headers = (
        {
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        }
        if status == 401
        else {}
    )
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": GRPC_STATUS.get(status, "UNKNOWN"),
        }
    }
    return json_response(body, status, headers)


def rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def channel(state: SandboxState, account_id: str) -> dict[str, Any]:
    """The channel of an account (the CVP one unless a test made another)."""
    record = state.account(PREFIX, account_id)
    with state.lock:
        if account_id == CHANNEL_ID:
            record.setdefault("handle", CHANNEL_HANDLE)
            record.setdefault("title", CHANNEL_TITLE)
        record.setdefault("handle", f"@{account_id.lower()}")
        record.setdefault("title", account_id)
    return record


def uploads_playlist(account_id: str) -> str:
    return "UU" + account_id[2:] if account_id.startswith("UC") else f"UU{account_id}"


def register(app: SandboxApp) -> None:
    state = app.state
    app.errors(PREFIX, google_error)

    def authorized(request: Request, scopes: set[str]) -> tuple[str, Response | None]:
        """The channel the bearer token acts for, or Google's 401/403."""
        token = bearer(request)
        record = state.token(PREFIX, token)
        if record is None:
            problem = state.token_problem(PREFIX, token) or "missing"
            return "", app.error(
                PREFIX,
                401,
                "authError",
                f"Request had invalid authentication credentials ({problem} token). "
                "Expected OAuth 2 access token.",
            )
        if record.scopes and not scopes & set(record.scopes):
            return "", app.error(
                PREFIX,
                403,
                "insufficientPermissions",
                "Request had insufficient authentication scopes.",
            )
        return record.account_id, None

    # -- OAuth ----------------------------------------------------------------------

    @app.route(PREFIX, "/o/oauth2/v2/auth", ("GET", "POST"))
    def authorize(request: Request) -> Response:
        params = request.values
        if not params.get("client_id") or params.get("response_type") != "code":
            return app.error(
                PREFIX,
                400,
                "invalid_request",
                "client_id and response_type=code are required.",
            )
        channel(state, params.get("account_id", CHANNEL_ID))
        return authorize_page(
            app, PREFIX, request, account_id=CHANNEL_ID, handle=CHANNEL_HANDLE
        )

    @app.route(PREFIX, "/token", ("POST",))
    def token(request: Request) -> Response:
        if not request.form.get("client_id") or not request.form.get("client_secret"):
            return app.error(
                PREFIX, 401, "invalid_client", "The OAuth client was not found."
            )
        grant = token_grant(app, PREFIX, request, expires_in=3600, with_refresh=True)
        if isinstance(grant, Response):
            return grant
        payload: dict[str, Any] = {
            "access_token": grant.access_token,
            "expires_in": grant.expires_in,
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
        }
        if (
            grant.refresh_token
            and request.form.get("grant_type") == "authorization_code"
        ):
            payload["refresh_token"] = grant.refresh_token
        return json_response(payload)

    # -- channels --------------------------------------------------------------------

    @app.route(PREFIX, "/youtube/v3/channels", ("GET",))
    def channels(request: Request) -> Response:
        account_id, denied = authorized(request, READ_SCOPES | UPLOAD_SCOPES)
        if denied:
            return denied
        if request.args.get("mine") != "true":
            return app.error(PREFIX, 400, "missingRequiredParameter", "Use mine=true.")
        record = channel(state, account_id)
        parts = set(request.args.get("part", "").split(","))
        item: dict[str, Any] = {"kind": "youtube#channel", "id": account_id}
        if "snippet" in parts:
            item["snippet"] = {
                "title": record["title"],
                "description": "",
                "customUrl": record["handle"],
                "publishedAt": "2015-03-02T15:00:00Z",
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "relatedPlaylists": {
                    "likes": "",
                    "uploads": uploads_playlist(account_id),
                }
            }
        if "statistics" in parts:
            videos = state.live_posts(PREFIX, account_id)
            item["statistics"] = {  # strings, as the Data API writes them
                "viewCount": str(
                    sum(
                        figures.lifetime(PREFIX, v["id"], "views", v["created_at"])
                        for v in videos
                    )
                ),
                "subscriberCount": str(
                    figures.followers(PREFIX, account_id, _bogota_today())
                ),
                "hiddenSubscriberCount": False,
                "videoCount": str(len(videos)),
            }
        return json_response(
            {
                "kind": "youtube#channelListResponse",
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
                "items": [item],
            }
        )

    # -- videos.insert (resumable) ---------------------------------------------------------

    @app.route(PREFIX, "/upload/youtube/v3/videos", ("POST", "PUT"))
    def upload(request: Request) -> Response:
        if request.method == "POST":
            return start_session(request)
        return put_bytes(request)

    def start_session(request: Request) -> Response:
        account_id, denied = authorized(request, UPLOAD_SCOPES)
        if denied:
            return denied
        if request.args.get("uploadType") != "resumable":
            return app.error(
                PREFIX, 400, "badRequest", "This sandbox takes uploadType=resumable."
            )
        if "snippet" not in request.args.get("part", "").split(","):
            return app.error(
                PREFIX, 400, "missingRequiredParameter", "part must include snippet."
            )
        resource = request.get_json(force=True, silent=True) or {}
        problem = invalid_metadata(resource)
        if problem:
            return app.error(PREFIX, 400, problem[0], problem[1])
        length = request.headers.get("X-Upload-Content-Length", "")
        media_type = request.headers.get("X-Upload-Content-Type", "")
        if not length.isdigit() or not 0 < int(length) <= MAX_VIDEO_BYTES:
            return app.error(
                PREFIX,
                400,
                "badContent",
                "X-Upload-Content-Length is missing or too large.",
            )
        if not (
            media_type.startswith("video/") or media_type == "application/octet-stream"
        ):
            return app.error(
                PREFIX, 400, "badContent", f"Media type {media_type!r} is not a video."
            )
        limit = state.knob(PREFIX, "daily_upload_limit", None)
        since = utcnow() - datetime.timedelta(days=1)
        today = [
            p
            for p in state.posts.get(PREFIX, [])
            if p["account_id"] == account_id and p["created_at"] > since
        ]
        if limit is not None and len(today) >= int(limit):
            return app.error(
                PREFIX,
                400,
                "uploadLimitExceeded",
                "The user has exceeded the number of videos they may upload.",
            )
        session = state.add_media(
            PREFIX,
            id=secrets.token_urlsafe(16),
            kind="upload_session",
            account_id=account_id,
            resource=resource,
            total=int(length),
            content_type=media_type,
            data=bytearray(),
            video_id="",
        )
        location = app.url(
            f"/{PREFIX}/upload/youtube/v3/videos?uploadType=resumable&upload_id={session['id']}"
        )
        return Response(status=200, headers={"Location": location})

    def put_bytes(request: Request) -> Response:
        session = state.get_media(PREFIX, request.args.get("upload_id", ""))
        if session is None or session.get("kind") != "upload_session":
            return app.error(
                PREFIX, 404, "notFound", "The upload session does not exist or expired."
            )
        total = session["total"]
        header = request.headers.get("Content-Range", "")
        data = request.get_data()
        with state.lock:
            if session["video_id"]:
                return finished(session)
            received = len(session["data"])
            if header == f"bytes */{total}":
                return incomplete(received)
            problem = bad_chunk(header, data, received, total)
            if problem:
                return app.error(PREFIX, 400, "badRequest", problem)
            session["data"] += data
            if len(session["data"]) < total:
                return incomplete(len(session["data"]))
            session["video_id"] = create_video(session)["id"]
        return finished(session)

    def incomplete(received: int) -> Response:
        headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
        return Response(status=308, headers=headers)

    def finished(session: dict[str, Any]) -> Response:
        video = state.find_post(PREFIX, session["video_id"])
        if video is None:
            return app.error(
                PREFIX, 500, "backendError", "The uploaded video vanished."
            )
        return json_response(video_resource(video, {"snippet", "status"}, owner=True))

    def create_video(session: dict[str, Any]) -> dict[str, Any]:
        snippet = session["resource"].get("snippet") or {}
        status = session["resource"].get("status") or {}
        data = bytes(session["data"])
        session["data"] = bytearray()  # the video keeps the hash, not the bytes
        video = state.add_post(
            PREFIX,
            session["account_id"],
            str(snippet.get("description", "")),
            id=secrets.token_urlsafe(8)[:11],
            title=str(snippet.get("title", "")),
            tags=list(snippet.get("tags") or []),
            category_id=str(snippet.get("categoryId", "22")),
            privacy_status=str(status.get("privacyStatus", "public")),
            made_for_kids=bool(status.get("selfDeclaredMadeForKids", False)),
            media=[
                {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "content_type": session["content_type"],
                }
            ],
            upload_status="uploaded",
            reason="",
            polls_left=int(state.knob(PREFIX, "processing_polls", 1)),
            captions=[],
        )
        if video["polls_left"] <= 0:
            finish_processing(video)
        return video

    def finish_processing(video: dict[str, Any]) -> None:
        outcome = str(state.knob(PREFIX, "processing_result", "processed"))
        twin = any(
            other is not video
            and other["account_id"] == video["account_id"]
            and not other["deleted"]
            and other.get("upload_status") in ("uploaded", "processed")
            and other["media"][0]["sha256"] == video["media"][0]["sha256"]
            for other in state.posts.get(PREFIX, [])
        )
        if twin:
            outcome = "rejected:duplicate"
        kind, _, reason = outcome.partition(":")
        video["upload_status"] = kind if kind in ("failed", "rejected") else "processed"
        video["reason"] = reason

    def bad_chunk(header: str, data: bytes, received: int, total: int) -> str:
        try:
            unit, _, span = header.partition(" ")
            first_last, _, size = span.partition("/")
            first, _, last = first_last.partition("-")
            start, end, whole = int(first), int(last), int(size)
        except ValueError:
            return f"Invalid Content-Range {header!r}."
        if unit != "bytes" or whole != total:
            return f"Content-Range total {whole} does not match X-Upload-Content-Length {total}."
        if start != received:
            return f"Expected the chunk to start at byte {received}, not {start}."
        if end - start + 1 != len(data):
            return (
                f"Content-Range says {end - start + 1} bytes; the body has {len(data)}."
            )
        if end + 1 < total and len(data) % CHUNK_UNIT:
            return (
                f"Chunks other than the last must be a multiple of {CHUNK_UNIT} bytes."
            )
        if end + 1 > total:
            return "The chunk goes past the end of the file."
        return ""

    def invalid_metadata(resource: dict[str, Any]) -> tuple[str, str] | None:
        snippet = resource.get("snippet") or {}
        status = resource.get("status") or {}
        title = str(snippet.get("title", ""))
        description = str(snippet.get("description", ""))
        tags = [str(t) for t in snippet.get("tags") or []]
        if not title.strip() or len(title) > 100 or "<" in title or ">" in title:
            return (
                "invalidTitle",
                "The request metadata specifies an invalid video title.",
            )
        if len(description.encode()) > 5000 or "<" in description or ">" in description:
            return (
                "invalidDescription",
                "The request metadata specifies an invalid video description.",
            )
        tag_chars = sum(len(t) + (2 if " " in t else 0) for t in tags) + max(
            0, len(tags) - 1
        )
        if tag_chars > 500:
            return (
                "invalidTags",
                "The request metadata specifies invalid video keywords.",
            )
        if not str(snippet.get("categoryId", "22")).isdigit():
            return (
                "invalidCategoryId",
                "The snippet.categoryId property specifies an invalid category ID.",
            )
        if status.get("privacyStatus", "public") not in (
            "public",
            "unlisted",
            "private",
        ):
            return "invalidVideoMetadata", "The request metadata is invalid."
        return None

    # -- videos.list / videos.delete -----------------------------------------------------

    @app.route(PREFIX, "/youtube/v3/videos", ("GET", "DELETE"))
    def videos(request: Request) -> Response:
        if request.method == "DELETE":
            return delete_video(request)
        account_id, denied = authorized(request, READ_SCOPES | UPLOAD_SCOPES)
        if denied:
            return denied
        parts = set(request.args.get("part", "snippet").split(","))
        items = []
        for video_id in filter(None, request.args.get("id", "").split(",")):
            video = state.find_post(PREFIX, video_id)
            if video is None or video["deleted"]:
                continue
            owner = video["account_id"] == account_id
            with state.lock:
                if owner and video["upload_status"] == "uploaded":
                    video["polls_left"] -= 1
                    if video["polls_left"] <= 0:
                        finish_processing(video)
            items.append(video_resource(video, parts, owner=owner))
        return json_response(
            {
                "kind": "youtube#videoListResponse",
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
                "items": items,
            }
        )

    def delete_video(request: Request) -> Response:
        account_id, denied = authorized(request, WRITE_SCOPES)
        if denied:
            return denied
        video = state.find_post(PREFIX, request.args.get("id", ""))
        if video is None or video["deleted"]:
            return app.error(
                PREFIX,
                404,
                "videoNotFound",
                "The video that you are trying to delete cannot be found.",
            )
        if video["account_id"] != account_id:
            return app.error(
                PREFIX,
                403,
                "forbidden",
                "The video that you are trying to delete cannot be deleted.",
            )
        with state.lock:
            video["deleted"] = True
        return Response(status=204)

    # -- YouTube Analytics reports.query (§4.7) ----------------------------------------

    @app.route(PREFIX, "/v2/reports", ("GET",))
    def reports(request: Request) -> Response:
        """``ids=channel==MINE``, ``startDate``/``endDate``, ``metrics``; either
        ``dimensions=day`` (one row a day) or ``dimensions=video`` with
        ``filters=video==ID1,ID2`` (one lifetime row a video, up to ``endDate``)."""
        account_id, denied = authorized(request, READ_SCOPES | ANALYTICS_SCOPES)
        if denied:
            return denied
        args = request.args
        if args.get("ids") not in ("channel==MINE", f"channel=={account_id}"):
            return app.error(
                PREFIX, 400, "badRequest", "ids must be channel==MINE or the channel."
            )
        try:
            start = datetime.date.fromisoformat(args.get("startDate", ""))
            end = datetime.date.fromisoformat(args.get("endDate", ""))
        except ValueError:
            return app.error(
                PREFIX,
                400,
                "badRequest",
                "startDate and endDate are required (YYYY-MM-DD).",
            )
        if end < start:
            return app.error(PREFIX, 400, "badRequest", "endDate is before startDate.")
        metrics = [m for m in args.get("metrics", "").split(",") if m]
        unknown = [m for m in metrics if m not in ANALYTICS_METRICS]
        if not metrics or unknown:
            return app.error(
                PREFIX,
                400,
                "badRequest",
                f"Unknown identifier ({', '.join(unknown) or 'metrics'}) given in field parameters.metrics.",
            )
        dimensions = [d for d in args.get("dimensions", "").split(",") if d]
        headers: list[dict[str, str]] = []
        rows: list[list[Any]] = []
        videos = state.live_posts(PREFIX, account_id)
        if dimensions == ["day"]:
            headers.append(
                {"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}
            )
            posted = figures.posts_per_day(videos)
            day = start
            last = min(end, _bogota_today() - datetime.timedelta(days=1))
            while day <= last:
                rows.append(
                    [day.isoformat()]
                    + [
                        figures.daily(PREFIX, account_id, m, day, posted.get(day, 0))
                        for m in metrics
                    ]
                )
                day += datetime.timedelta(days=1)
        elif dimensions == ["video"]:
            filters = args.get("filters", "")
            if not filters.startswith("video=="):
                return app.error(
                    PREFIX, 400, "badRequest", "dimensions=video needs filters=video==…"
                )
            headers.append(
                {"name": "video", "columnType": "DIMENSION", "dataType": "STRING"}
            )
            wanted = filters[len("video==") :].split(",")
            own = {v["id"]: v for v in videos}
            for video_id in wanted:
                video = own.get(video_id)
                if video is None:
                    continue
                rows.append(
                    [video_id]
                    + [
                        figures.lifetime(PREFIX, video_id, m, video["created_at"])
                        for m in metrics
                    ]
                )
        else:
            return app.error(
                PREFIX,
                400,
                "badRequest",
                "The query is not supported: use dimensions=day or dimensions=video.",
            )
        for name in metrics:
            headers.append(
                {
                    "name": name,
                    "columnType": "METRIC",
                    "dataType": "FLOAT" if name.startswith("average") else "INTEGER",
                }
            )
        return json_response(
            {
                "kind": "youtubeAnalytics#resultTable",
                "columnHeaders": headers,
                "rows": rows,
            }
        )

    # -- playlistItems (the uploads playlist) --------------------------------------------

    @app.route(PREFIX, "/youtube/v3/playlistItems", ("GET",))
    def playlist_items(request: Request) -> Response:
        account_id, denied = authorized(request, READ_SCOPES)
        if denied:
            return denied
        playlist = request.args.get("playlistId", "")
        owner = "UC" + playlist[2:] if playlist.startswith("UU") else ""
        if not owner or owner not in {a for n, a in state.accounts if n == PREFIX} | {
            account_id
        }:
            return app.error(
                PREFIX,
                404,
                "playlistNotFound",
                "The playlist identified with the request's playlistId parameter cannot be found.",
            )
        posts = list(reversed(state.live_posts(PREFIX, owner)))
        posts.sort(key=lambda p: p["created_at"], reverse=True)
        if owner != account_id:
            posts = [p for p in posts if p["privacy_status"] == "public"]
        size = max(1, min(50, int(request.args.get("maxResults", "5") or 5)))
        start = int(request.args.get("pageToken", "0") or 0)
        page = posts[start : start + size]
        items = [
            {
                "kind": "youtube#playlistItem",
                "id": f"PLI{p['id']}",
                "snippet": {
                    "publishedAt": rfc3339(p["created_at"]),
                    "channelId": owner,
                    "title": p["title"],
                    "description": p["text"],
                    "playlistId": playlist,
                    "position": start + i,
                    "resourceId": {"kind": "youtube#video", "videoId": p["id"]},
                },
                "contentDetails": {
                    "videoId": p["id"],
                    "videoPublishedAt": rfc3339(p["created_at"]),
                },
            }
            for i, p in enumerate(page)
        ]
        payload: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "pageInfo": {"totalResults": len(posts), "resultsPerPage": size},
            "items": items,
        }
        if start + size < len(posts):
            payload["nextPageToken"] = str(start + size)
        return json_response(payload)

    # -- commentThreads.list (issue 6, reference §4.5) -------------------------------------

    @app.route(PREFIX, "/youtube/v3/commentThreads", ("GET",))
    def comment_threads(request: Request) -> Response:
        """Top-level comments of one video (``videoId``) or of every video of a
        channel (``allThreadsRelatedToChannelId``), newest first with
        ``order=time``, paged by ``pageToken`` (``maxResults`` 1–100)."""
        account_id, denied = authorized(request, READ_SCOPES)
        if denied:
            return denied
        video = request.args.get("videoId", "")
        channel = request.args.get("allThreadsRelatedToChannelId", "")
        if not video and not channel:
            return app.error(
                PREFIX,
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: id, videoId, "
                "allThreadsRelatedToChannelId, channelId.",
            )
        try:
            size = int(request.args.get("maxResults", "20"))
        except ValueError:
            size = 0
        if not 1 <= size <= 100:
            return app.error(
                PREFIX,
                400,
                "invalidParameter",
                "Invalid value for maxResults: it must be between 1 and 100.",
            )
        owner = channel or account_id
        rows = [
            i
            for i in inbound.items(state, PREFIX, owner)
            if i["kind"] == "comment" and (not video or i["post_id"] == video)
        ]
        rows.sort(key=lambda i: (i["created_at"], int(i["id"])), reverse=True)
        start = int(request.args.get("pageToken", "0") or 0)
        page = rows[start : start + size]
        items = []
        for item in page:
            comment_id = f"Ugz{int(item['id']):020d}"
            snippet = {
                "authorDisplayName": item["author_name"],
                "authorChannelUrl": f"http://www.youtube.com/@{item['author']}",
                "authorChannelId": {"value": f"UCciudadano{item['author']}"},
                "channelId": owner,
                "videoId": item["post_id"],
                "textDisplay": html.escape(item["text"]),
                "textOriginal": item["text"],
                "canRate": True,
                "viewerRating": "none",
                "likeCount": 0,
                "publishedAt": rfc3339(item["created_at"]),
                "updatedAt": rfc3339(item["created_at"]),
            }
            items.append(
                {
                    "kind": "youtube#commentThread",
                    "id": comment_id,
                    "snippet": {
                        "channelId": owner,
                        "videoId": item["post_id"],
                        "topLevelComment": {
                            "kind": "youtube#comment",
                            "id": comment_id,
                            "snippet": snippet,
                        },
                        "canReply": True,
                        "totalReplyCount": 0,
                        "isPublic": True,
                    },
                }
            )
        payload: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(rows), "resultsPerPage": size},
            "items": items,
        }
        if start + size < len(rows):
            payload["nextPageToken"] = str(start + size)
        return json_response(payload)

    # -- comments.insert and comments.list (issue 6, reference §4.5) ----------------------

    def top_level(comment_id: str) -> dict[str, Any] | None:
        """The citizen's top-level comment ``Ugz<20 digits>`` (an inbound item)."""
        if not comment_id.startswith("Ugz") or not comment_id[3:].isdigit():
            return None
        number = str(int(comment_id[3:]))
        with state.lock:
            return next(
                (
                    i
                    for i in state.inbound.get(PREFIX, [])
                    if i["id"] == number and i["kind"] == "comment"
                ),
                None,
            )

    def reply_resource(reply: dict[str, Any]) -> dict[str, Any]:
        owner = channel(state, reply["account_id"])
        return {
            "kind": "youtube#comment",
            "etag": hashlib.sha256(reply["id"].encode()).hexdigest()[:27],
            "id": reply["id"],
            "snippet": {
                "authorDisplayName": owner["title"],
                "authorChannelUrl": f"http://www.youtube.com/{owner['handle']}",
                "authorChannelId": {"value": reply["account_id"]},
                "channelId": reply["account_id"],
                "textDisplay": html.escape(reply["text"]),
                "textOriginal": reply["text"],
                "parentId": reply["parent_id"],
                "canRate": True,
                "viewerRating": "none",
                "likeCount": 0,
                "publishedAt": rfc3339(reply["created_at"]),
                "updatedAt": rfc3339(reply["created_at"]),
            },
        }

    @app.route(PREFIX, "/youtube/v3/comments", ("POST",))
    def insert_comment(request: Request) -> Response:
        """A reply (``comments.insert``): ``snippet.parentId`` (a top-level
        comment) and ``snippet.textOriginal``. Error reasons follow the
        comments.insert reference (``parentNotFound``, ``commentTextRequired``,
        ``commentTextTooLong``, ``operationNotSupported`` for a parent that is
        itself a reply); their exact messages here are ours."""
        account_id, denied = authorized(request, WRITE_SCOPES)
        if denied:
            return denied
        if "snippet" not in request.args.get("part", "").split(","):
            return app.error(
                PREFIX,
                400,
                "missingRequiredParameter",
                "No value for required parameter: part.",
            )
        body = request.get_json(silent=True)
        snippet = body.get("snippet") if isinstance(body, dict) else None
        if not isinstance(snippet, dict):
            return app.error(
                PREFIX,
                400,
                "invalidCommentMetadata",
                "The request metadata is invalid.",
            )
        parent_id = str(snippet.get("parentId") or "")
        text = str(snippet.get("textOriginal") or "")
        if not parent_id:
            return app.error(
                PREFIX,
                400,
                "invalidCommentMetadata",
                "The snippet.parentId property is required to reply to a comment.",
            )
        if not text.strip():
            return app.error(
                PREFIX, 400, "commentTextRequired", "The comment text is required."
            )
        if len(text) > int(state.knob(PREFIX, "max_comment_characters", 10_000)):
            return app.error(
                PREFIX, 400, "commentTextTooLong", "The comment text is too long."
            )
        if "." in parent_id:
            return app.error(
                PREFIX,
                400,
                "operationNotSupported",
                "The parentId must identify a top-level comment.",
            )
        item = top_level(parent_id)
        if item is None:
            return app.error(
                PREFIX,
                404,
                "parentNotFound",
                "The specified parent comment could not be found.",
            )
        reply = state.add_post(
            f"{PREFIX}:replies", account_id, text,
            id=f"{parent_id}.{secrets.token_hex(11)}",
            parent_id=parent_id, video_id=item["post_id"],
        )  # fmt: skip
        return json_response(reply_resource(reply))

    @app.route(PREFIX, "/youtube/v3/comments", ("GET",))
    def list_comments(request: Request) -> Response:
        """The replies under a top-level comment (``parentId``), oldest first,
        paged by ``pageToken`` (``maxResults`` 1–100)."""
        _account_id, denied = authorized(request, READ_SCOPES)
        if denied:
            return denied
        parent_id = request.args.get("parentId", "")
        if not parent_id and not request.args.get("id"):
            return app.error(
                PREFIX,
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: id, parentId.",
            )
        try:
            size = int(request.args.get("maxResults", "20"))
        except ValueError:
            size = 0
        if not 1 <= size <= 100:
            return app.error(
                PREFIX,
                400,
                "invalidParameter",
                "Invalid value for maxResults: it must be between 1 and 100.",
            )
        if parent_id and top_level(parent_id) is None:
            return app.error(
                PREFIX, 404, "commentNotFound", "The comment could not be found."
            )
        ids = set(filter(None, request.args.get("id", "").split(",")))
        rows = [
            r
            for r in state.live_posts(f"{PREFIX}:replies")
            if (not parent_id or r["parent_id"] == parent_id)
            and (not ids or r["id"] in ids)
        ]
        start = int(request.args.get("pageToken", "0") or 0)
        payload: dict[str, Any] = {
            "kind": "youtube#commentListResponse",
            "pageInfo": {"totalResults": len(rows), "resultsPerPage": size},
            "items": [reply_resource(r) for r in rows[start : start + size]],
        }
        if start + size < len(rows):
            payload["nextPageToken"] = str(start + size)
        return json_response(payload)

    # -- captions.insert (multipart) ------------------------------------------------------

    @app.route(PREFIX, "/upload/youtube/v3/captions", ("POST",))
    def captions(request: Request) -> Response:
        account_id, denied = authorized(request, WRITE_SCOPES)
        if denied:
            return denied
        parts = multipart_related(request)
        if request.args.get("uploadType") != "multipart" or len(parts) != 2:
            return app.error(
                PREFIX,
                400,
                "badRequest",
                "Send uploadType=multipart with a JSON part and the caption file.",
            )
        try:
            snippet = (json.loads(parts[0]) or {}).get("snippet") or {}
        except ValueError:
            return app.error(
                PREFIX, 400, "parseError", "The caption metadata is not JSON."
            )
        video = state.find_post(PREFIX, str(snippet.get("videoId", "")))
        if video is None or video["deleted"]:
            return app.error(
                PREFIX,
                404,
                "videoNotFound",
                "The video identified by the videoId parameter could not be found.",
            )
        if video["account_id"] != account_id:
            return app.error(
                PREFIX,
                403,
                "forbidden",
                "The permissions associated with the request are not sufficient to upload the caption track.",
            )
        if (
            not snippet.get("language")
            or not parts[1]
            or len(parts[1]) > MAX_CAPTION_BYTES
        ):
            return app.error(
                PREFIX,
                400,
                "invalidMetadata",
                "The caption needs a language and a file of at most 100 MB.",
            )
        caption = {
            "id": secrets.token_urlsafe(12),
            "language": str(snippet["language"]),
            "name": str(snippet.get("name", "")),
            "size": len(parts[1]),
            "sha256": hashlib.sha256(parts[1]).hexdigest(),
        }
        with state.lock:
            video["captions"].append(caption)
        return json_response(
            {
                "kind": "youtube#caption",
                "id": caption["id"],
                "snippet": {
                    "videoId": video["id"],
                    "lastUpdated": rfc3339(utcnow()),
                    "trackKind": "standard",
                    "language": caption["language"],
                    "name": caption["name"],
                    "audioTrackType": "unknown",
                    "isCC": False,
                    "isLarge": False,
                    "isEasyReader": False,
                    "isDraft": bool(snippet.get("isDraft", False)),
                    "isAutoSynced": False,
                    "status": "serving",
                },
            }
        )

    # -- the permalink page ------------------------------------------------------------------

    @app.route(PREFIX, "/watch", ("GET",))
    def watch(request: Request) -> Response:
        video = state.find_post(PREFIX, request.args.get("v", ""))
        if video is None or video["deleted"]:
            return Response(
                page(
                    "Video no disponible",
                    "<p>Este video no existe o fue eliminado.</p>",
                ),
                status=404,
                mimetype="text/html",
            )
        record = channel(state, video["account_id"])
        body = (
            f"<h1>{html.escape(video['title'])}</h1>"
            f"<p>Canal: {html.escape(record['title'])} ({html.escape(record['handle'])})</p>"
            f'<p style="white-space: pre-wrap">{html.escape(video["text"])}</p>'
            f"<p>Archivos: {len(video['media'])} video · subtítulos: {len(video['captions'])} · "
            f"estado: {html.escape(video['upload_status'])} · visibilidad: {html.escape(video['privacy_status'])}</p>"
        )
        return Response(page(video["title"], body), mimetype="text/html")


def video_resource(
    video: dict[str, Any], parts: set[str], *, owner: bool
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "kind": "youtube#video",
        "etag": video["id"],
        "id": video["id"],
    }
    if "snippet" in parts:
        resource["snippet"] = {
            "publishedAt": rfc3339(video["created_at"]),
            "channelId": video["account_id"],
            "title": video["title"],
            "description": video["text"],
            "tags": video["tags"],
            "categoryId": video["category_id"],
            "liveBroadcastContent": "none",
            "thumbnails": {},
        }
    if "status" in parts:
        status: dict[str, Any] = {
            "uploadStatus": video["upload_status"],
            "privacyStatus": video["privacy_status"],
            "license": "youtube",
            "embeddable": True,
            "publicStatsViewable": True,
            "madeForKids": video["made_for_kids"],
            "selfDeclaredMadeForKids": video["made_for_kids"],
        }
        if video["upload_status"] == "failed":
            status["failureReason"] = video["reason"]
        if video["upload_status"] == "rejected":
            status["rejectionReason"] = video["reason"]
        resource["status"] = status
    if "statistics" in parts:
        created = video["created_at"]
        resource["statistics"] = {
            "viewCount": str(figures.lifetime(PREFIX, video["id"], "views", created)),
            "likeCount": str(figures.lifetime(PREFIX, video["id"], "likes", created)),
            "favoriteCount": "0",
            "commentCount": str(
                figures.lifetime(PREFIX, video["id"], "comments", created)
            ),
        }
    if "processingDetails" in parts and owner:
        resource["processingDetails"] = {
            "processingStatus": {
                "uploaded": "processing",
                "processed": "succeeded",
                "failed": "failed",
                "rejected": "terminated",
            }.get(video["upload_status"], "processing")
        }
    return resource


def multipart_related(request: Request) -> list[bytes]:
    """The bodies of a ``multipart/related`` request, in order."""
    content_type = request.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/related"):
        return []
    boundary = ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return []
    parts = []
    for chunk in request.get_data().split(f"--{boundary}".encode())[1:]:
        if chunk.startswith(b"--"):
            break
        _, _, body = chunk.partition(b"\r\n\r\n")
        parts.append(body[:-2] if body.endswith(b"\r\n") else body)
    return parts


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · YouTube (práctica)</title></head><body>"
        f"{body}<footer><small>Red de práctica de Pregonero: nada de esto se publicó en YouTube."
        "</small></footer></body></html>"
    )
