"""The practice X: API v2 posts, v2 media upload, users and OAuth 2.0 with PKCE.

Routes (prefix ``/x``, production paths kept):

* ``GET /i/oauth2/authorize`` — the consent page; ``POST /2/oauth2/token`` —
  authorization code (PKCE S256) and refresh token grants; the refresh token
  rotates and access tokens last 7 200 s; the client authenticates with HTTP
  Basic (confidential) or ``client_id`` in the form (public).
* ``GET /2/users/me``; ``GET /2/users/<id>/tweets`` (newest first,
  ``max_results`` 5–100, ``pagination_token``/``meta.next_token``).
* ``POST /2/tweets`` (201), ``DELETE /2/tweets/<id>``; a reply carries
  ``reply.in_reply_to_tweet_id`` (the post must exist; under the self-serve
  rule, knob ``reply_restriction``, its author must have mentioned the account)
  and shows ``referenced_tweets`` in the timeline.
* ``POST /2/media/upload`` (one-shot image, multipart or base64 JSON),
  ``POST /2/media/upload/initialize``, ``/<id>/append``, ``/<id>/finalize``,
  ``GET /2/media/upload?command=STATUS&media_id=…``, ``POST /2/media/metadata``
  (alt text ≤ 1 000 characters).
* HTML pages at ``/<username>/status/<id>`` and ``/i/web/status/<id>``.

Default account for training: user id ``1500000000000000001``, username
``CVPBogota``, name "Caja de la Vivienda Popular" (the consent page grants it).

Behaviour worth knowing:

* Errors are problem+json (``title``, ``detail``, ``type``, ``status``); OAuth
  errors of the token endpoint are ``{"error", "error_description"}``.
* A bad token is a 401 "Unauthorized". Real X says nothing more; here an
  expired token's detail is just "Unauthorized" while a revoked or unknown one
  says so in the detail, so tests can tell them apart.
* A token with recorded scopes must hold the endpoint's scope (403 otherwise);
  tokens minted by tests without scopes may do anything.
* The same text twice from one account is a 403 "duplicate content"; text over
  280 (knob ``max_weighted_length``) by a lenient grapheme count is a 403
  "Your Tweet text is too long…" (the observed X answer; not in our notes).
* Timelines show text as X does: HTML-escaped, URLs as ``t.co`` links and one
  more ``t.co`` link at the end for the media.
* Video and GIF processing stays ``in_progress`` for ``processing_polls``
  status checks (knob, default 1), then ends ``succeeded`` or, with knob
  ``processing_result="failed"``, ``failed``.
* 429 responses carry ``x-rate-limit-limit/remaining/reset`` (reset = now +
  knob ``rate_limit_reset_seconds``, default 900).
* Metrics: ``GET /2/tweets?ids=…`` with ``public_metrics`` and (own posts under
  30 days) ``non_public_metrics``; ``users/me`` with
  ``user.fields=public_metrics``. Knob ``metric_names="2026"`` answers
  ``repost_count`` instead of ``retweet_count``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import html
import time
import unicodedata
import zlib
from typing import Any

import regex  # type: ignore[import-untyped]
from werkzeug.wrappers import Request, Response

from . import figures, inbound
from .core import (
    Grant,
    SandboxApp,
    authorize_page,
    bearer,
    json_response,
    token_grant,
    utcnow,
)

PREFIX = "x"
DEFAULT_USER_ID = "1500000000000000001"
DEFAULT_USERNAME = "CVPBogota"
DEFAULT_NAME = "Caja de la Vivienda Popular"
OAUTH_ERRORS = {
    "invalid_grant",
    "invalid_request",
    "unsupported_grant_type",
    "invalid_client",
}
MIB = 1024 * 1024
CATEGORY_LIMITS = {
    "tweet_image": 5 * MIB,
    "tweet_gif": 15 * MIB,
    "tweet_video": 512 * MIB,
    "amplify_video": 512 * MIB,
}
PROBLEM = "https://api.x.com/2/problems/"
_URL = regex.compile(r"https?://\S+")
_BARE_DOMAIN = regex.compile(
    r"(?<![\w@.])[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?", regex.IGNORECASE
)


def _problem(status: int, code: str, message: str) -> Response:
    if code in OAUTH_ERRORS:
        return json_response({"error": code, "error_description": message}, status)
    titles = {
        400: "Invalid Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        429: "Too Many Requests",
    }
    kind = "about:blank" if code in ("", "about:blank") or "/" not in code else code
    body = {
        "title": titles.get(status, "Error"),
        "detail": message,
        "type": kind,
        "status": status,
    }
    response = json_response(body, status)
    response.mimetype = "application/problem+json"
    return response


def _snowflake(app: SandboxApp) -> str:
    """A 19-digit id, like X's."""
    return f"188{int(app.state.new_id()):016d}"


def _user(app: SandboxApp, account_id: str) -> dict[str, Any]:
    if account_id == DEFAULT_USER_ID:
        return app.state.account(
            PREFIX,
            account_id,
            username=DEFAULT_USERNAME,
            handle=DEFAULT_USERNAME,
            name=DEFAULT_NAME,
        )
    return app.state.account(
        PREFIX,
        account_id,
        username=f"usuario{account_id[-6:]}",
        name=f"Usuario {account_id}",
    )


def _sandbox_length(text: str) -> int:
    """A lenient count to catch adapter bugs: URLs 23, a bare domain at most 23,
    a grapheme 1 when all its code points are light (< U+1100), else 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    text, count = _URL.subn("", text)
    total += 23 * count
    for match in list(_BARE_DOMAIN.finditer(text)):
        total += min(23, len(match.group()))
    text = _BARE_DOMAIN.sub("", text)
    for cluster in regex.findall(r"\X", text):
        total += (
            1 if all(ord(c) <= 4351 or 8192 <= ord(c) <= 8247 for c in cluster) else 2
        )
    return total


def _timeline_text(post: dict[str, Any]) -> str:
    """The text as X shows it back: HTML-escaped, links through t.co."""

    def tco(seed: str) -> str:
        return "https://t.co/" + hashlib.sha256(seed.encode()).hexdigest()[:10]

    text = html.escape(post["text"], quote=False)
    text = _URL.sub(lambda m: tco(m.group()), text)
    if post.get("media"):
        text = f"{text} {tco(post['id'])}".strip()
    return text


def _iso(moment: datetime.datetime) -> str:
    return (
        moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}Z"
    )


def _page(title: str, post: dict[str, Any]) -> Response:
    media = post.get("media") or []
    body = (
        '<!doctype html><html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        "<p><strong>Red de práctica de Pregonero</strong> — X</p>"
        f"<h1>@{html.escape(title)}</h1>"
        f"<p>{html.escape(post['text'])}</p>"
        f"<p>Archivos adjuntos: {len(media)}</p>"
        f"<p>Publicado: {html.escape(_iso(post['created_at']))}</p>"
        + ("<p><em>Esta publicación fue eliminada.</em></p>" if post["deleted"] else "")
        + "</body></html>"
    )
    return Response(body, mimetype="text/html")


def register(app: SandboxApp) -> None:
    state = app.state

    def rate_limited_headers(response: Response) -> Response:
        if response.status_code == 429:
            reset = int(
                time.time() + float(state.knob(PREFIX, "rate_limit_reset_seconds", 900))
            )
            response.headers["x-rate-limit-limit"] = "100"
            response.headers["x-rate-limit-remaining"] = "0"
            response.headers["x-rate-limit-reset"] = str(reset)
        return response

    def formatter(status: int, code: str, message: str) -> Response:
        return rate_limited_headers(_problem(status, code, message))

    app.errors(PREFIX, formatter)

    def authorized(request: Request, scope: str) -> tuple[str, Response | None]:
        token = bearer(request)
        problem = state.token_problem(PREFIX, token)
        if problem == "expired":
            return "", app.error(PREFIX, 401, "about:blank", "Unauthorized")
        if problem:
            return "", app.error(
                PREFIX,
                401,
                "about:blank",
                f"Unauthorized: the access token is {'revoked' if problem == 'revoked' else 'invalid'}.",
            )
        record = state.tokens[token]
        if record.scopes and scope not in record.scopes:
            return "", app.error(
                PREFIX,
                403,
                PROBLEM + "client-forbidden",
                f"The token lacks the OAuth 2.0 scope {scope}.",
            )
        _user(app, record.account_id)
        return record.account_id, None

    # -- OAuth ------------------------------------------------------------------

    @app.route(PREFIX, "/i/oauth2/authorize", ("GET", "POST"))
    def authorize(request: Request) -> Response:
        _user(app, DEFAULT_USER_ID)
        return authorize_page(
            app, PREFIX, request, account_id=DEFAULT_USER_ID, handle=DEFAULT_USERNAME
        )

    @app.route(PREFIX, "/2/oauth2/token", ("POST",))
    def token(request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        client_id = request.form.get("client_id", "")
        if header.startswith("Basic "):
            try:
                client_id = base64.b64decode(header[6:]).decode().split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError):
                return app.error(
                    PREFIX, 401, "invalid_client", "Malformed client credentials."
                )
        if not client_id:
            return app.error(
                PREFIX, 401, "invalid_client", "Missing client authentication."
            )
        grant = token_grant(app, PREFIX, request, expires_in=7200, rotate_refresh=True)
        if not isinstance(grant, Grant):
            return grant
        payload: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": grant.expires_in,
            "access_token": grant.access_token,
            "scope": " ".join(grant.scopes),
        }
        if grant.refresh_token:
            payload["refresh_token"] = grant.refresh_token
        return json_response(payload)

    # -- users and timelines ----------------------------------------------------

    @app.route(PREFIX, "/2/users/me")
    def me(request: Request) -> Response:
        account_id, error = authorized(request, "users.read")
        if error:
            return error
        user = _user(app, account_id)
        data: dict[str, Any] = {
            "id": account_id,
            "name": user["name"],
            "username": user["username"],
        }
        if "public_metrics" in request.args.get("user.fields", "").split(","):
            data["public_metrics"] = {
                "followers_count": figures.followers(
                    PREFIX, account_id, (utcnow() - datetime.timedelta(hours=5)).date()
                ),
                "following_count": 180,
                "tweet_count": len(state.live_posts(PREFIX, account_id)),
                "listed_count": 12,
            }
        return json_response({"data": data})

    @app.route(PREFIX, "/2/tweets", ("GET",))
    def lookup(request: Request) -> Response:
        """``GET /2/tweets?ids=…`` with ``public_metrics`` and, for the author's own
        posts younger than 30 days, ``non_public_metrics`` (§3.5). Knob
        ``metric_names="2026"`` answers ``repost_count`` instead of ``retweet_count``."""
        account_id, error = authorized(request, "tweet.read")
        if error:
            return error
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "The ids query parameter must hold 1 to 100 ids.",
            )
        fields = set(request.args.get("tweet.fields", "").split(","))
        renamed = state.knob(PREFIX, "metric_names", "classic") == "2026"
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for tweet_id in ids:
            post = state.find_post(PREFIX, tweet_id)
            if post is None or post["deleted"]:
                errors.append(
                    {
                        "resource_id": tweet_id,
                        "resource_type": "tweet",
                        "title": "Not Found Error",
                        "detail": f"Could not find tweet with ids: [{tweet_id}].",
                        "type": PROBLEM + "resource-not-found",
                    }
                )
                continue
            if "non_public_metrics" in fields and (
                post["account_id"] != account_id
                or utcnow() - post["created_at"] > datetime.timedelta(days=30)
            ):
                return app.error(
                    PREFIX,
                    400,
                    PROBLEM + "invalid-request",
                    "non_public_metrics are only available for the authenticated "
                    "user's posts created in the last 30 days.",
                )
            item: dict[str, Any] = {
                "id": post["id"],
                "text": _timeline_text(post),
                "edit_history_tweet_ids": [post["id"]],
            }
            if "created_at" in fields:
                item["created_at"] = _iso(post["created_at"])

            def value(name: str, post: dict[str, Any] = post) -> int:
                return figures.lifetime(PREFIX, post["id"], name, post["created_at"])

            if "public_metrics" in fields:
                item["public_metrics"] = {
                    "repost_count" if renamed else "retweet_count": value(
                        "retweet_count"
                    ),
                    "reply_count": value("reply_count"),
                    "like_count": value("like_count"),
                    "quote_count": value("quote_count"),
                    "bookmark_count": value("bookmark_count"),
                    "impression_count": value("impression_count"),
                }
            if "non_public_metrics" in fields:
                item["non_public_metrics"] = {
                    "impression_count": value("impression_count"),
                    "url_link_clicks": value("url_link_clicks"),
                    "user_profile_clicks": value("user_profile_clicks"),
                    "engagements": value("engagements"),
                }
            data.append(item)
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return json_response(body)

    @app.route(PREFIX, "/2/users/<user_id>/tweets")
    def timeline(request: Request, user_id: str) -> Response:
        _account, error = authorized(request, "tweet.read")
        if error:
            return error
        try:
            size = int(request.args.get("max_results", "10"))
        except ValueError:
            size = 0
        if not 5 <= size <= 100:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "max_results must be between 5 and 100.",
            )
        posts = sorted(
            state.live_posts(PREFIX, user_id),
            key=lambda p: (p["created_at"], int(p["id"])),
            reverse=True,
        )
        start = int(request.args.get("pagination_token") or 0)
        page = posts[start : start + size]
        fields = set(request.args.get("tweet.fields", "").split(","))
        data = []
        for post in page:
            item = {
                "id": post["id"],
                "text": _timeline_text(post),
                "edit_history_tweet_ids": [post["id"]],
            }
            if "created_at" in fields:
                item["created_at"] = _iso(post["created_at"])
            if post.get("in_reply_to") and "referenced_tweets" in fields:
                item["referenced_tweets"] = [
                    {"type": "replied_to", "id": post["in_reply_to"]}
                ]
            data.append(item)
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        if start + size < len(posts):
            meta["next_token"] = str(start + size)
        return json_response({"data": data, "meta": meta} if data else {"meta": meta})

    # -- mentions (issue 6) --------------------------------------------------------

    @app.route(PREFIX, "/2/users/<user_id>/mentions")
    def mentions(request: Request, user_id: str) -> Response:
        """The mentions timeline, newest first (reference §3.5): ``since_id``,
        ``max_results`` 5–100, ``pagination_token``, ``meta.next_token``,
        ``expansions=author_id`` with ``includes.users``. Replies to the
        account's posts carry ``referenced_tweets`` and ``conversation_id``.
        Direct messages are not mentions (they are not served here)."""
        account_id, error = authorized(request, "tweet.read")
        if error:
            return error
        if user_id != account_id:
            return app.error(
                PREFIX,
                403,
                PROBLEM + "not-authorized-for-resource",
                "You are not authorized to see this user's mentions.",
            )
        try:
            size = int(request.args.get("max_results", "10"))
        except ValueError:
            size = 0
        if not 5 <= size <= 100:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "max_results must be between 5 and 100.",
            )
        rows = [
            i
            for i in reversed(inbound.items(state, PREFIX, user_id))
            if i["kind"] in ("comment", "mention")
        ]
        if request.args.get("since_id"):
            since = int(request.args["since_id"])
            rows = [i for i in rows if int(i["id"]) > since]
        start = int(request.args.get("pagination_token") or 0)
        page = rows[start : start + size]
        username = _user(app, user_id)["username"]
        data = []
        users: dict[str, dict[str, Any]] = {}
        for item in page:
            author_id = f"9{zlib.crc32(item['author'].encode()):018d}"
            users[author_id] = {
                "id": author_id,
                "username": item["author"],
                "name": item["author_name"],
            }
            tweet: dict[str, Any] = {
                "id": item["id"],
                # An item with ``mentions_us`` False (a reply that does not
                # name the account) tests the self-serve reply restriction.
                "text": f"@{username} {item['text']}"
                if item.get("mentions_us", True)
                else item["text"],
                "author_id": author_id,
                "created_at": _iso(item["created_at"]),
                "edit_history_tweet_ids": [item["id"]],
                "conversation_id": item["post_id"] or item["id"],
            }
            if item["post_id"]:
                tweet["referenced_tweets"] = [
                    {"type": "replied_to", "id": item["post_id"]}
                ]
                tweet["in_reply_to_user_id"] = user_id
            data.append(tweet)
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        if start + size < len(rows):
            meta["next_token"] = str(start + size)
        body: dict[str, Any] = {"meta": meta}
        if data:
            body["data"] = data
            body["includes"] = {"users": list(users.values())}
        return json_response(body)

    # -- posts ------------------------------------------------------------------

    @app.route(PREFIX, "/2/tweets", ("POST",))
    def create(request: Request) -> Response:
        account_id, error = authorized(request, "tweet.write")
        if error:
            return error
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "The request body is not valid JSON.",
            )
        text = str(body.get("text") or "")
        media_ids = list((body.get("media") or {}).get("media_ids") or [])
        if not text and not media_ids:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "The text field is required when media is not present.",
            )
        limit = int(state.knob(PREFIX, "max_weighted_length", 280))
        if _sandbox_length(text) > limit:
            return app.error(
                PREFIX,
                403,
                "about:blank",
                "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.",
            )
        media, problem = check_media(account_id, media_ids)
        if problem:
            return app.error(PREFIX, 400, PROBLEM + "invalid-request", problem)
        in_reply_to = ""
        if "reply" in body:
            in_reply_to, refused = check_reply(account_id, body["reply"])
            if refused is not None:
                return refused
        with state.lock:
            normalised = unicodedata.normalize("NFC", text).strip()
            if any(
                unicodedata.normalize("NFC", p["text"]).strip() == normalised
                for p in state.live_posts(PREFIX, account_id)
            ):
                return app.error(
                    PREFIX,
                    403,
                    "about:blank",
                    "You are not allowed to create a Tweet with duplicate content.",
                )
            post = state.add_post(
                PREFIX,
                account_id,
                text,
                id=_snowflake(app),
                media=media,
                media_ids=media_ids,
                in_reply_to=in_reply_to,
            )
        data = {
            "id": post["id"],
            "text": _timeline_text(post),
            "edit_history_tweet_ids": [post["id"]],
        }
        return json_response({"data": data}, 201)

    def check_reply(account_id: str, reply: Any) -> tuple[str, Response | None]:
        """The post replied to (reference §3.3): ``reply.in_reply_to_tweet_id``
        is required and must be a post the account can see (one of its own or
        one that mentions it). Knob ``reply_restriction`` ("self_serve" by
        default, §3.1): a reply is only allowed when the author mentioned or
        quoted the account, else a 403 (the exact wording is ours)."""
        target = str((reply or {}).get("in_reply_to_tweet_id") or "")
        if not isinstance(reply, dict) or not target.isdigit():
            return "", app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "reply.in_reply_to_tweet_id: must be a post id (required).",
            )
        own = state.find_post(PREFIX, target)
        if own is not None and not own["deleted"]:
            return target, None
        item = next(
            (
                i
                for i in inbound.items(state, PREFIX, account_id)
                if i["id"] == target and i["kind"] in ("comment", "mention")
            ),
            None,
        )
        if item is None:
            return "", app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "You attempted to reply to a Tweet that is deleted or not visible to you.",
            )
        restricted = state.knob(PREFIX, "reply_restriction", "self_serve")
        if restricted == "self_serve" and not item.get("mentions_us", True):
            return "", app.error(
                PREFIX,
                403,
                "about:blank",
                "Reply to this conversation is not allowed because you have not "
                "been mentioned or otherwise engaged by the author of the post you "
                "are replying to.",
            )
        return target, None

    def check_media(
        account_id: str, media_ids: list[Any]
    ) -> tuple[list[dict[str, Any]], str]:
        if not media_ids:
            return [], ""
        if len(media_ids) > 4:
            return [], "media.media_ids: at most 4 items are allowed."
        media = []
        for media_id in media_ids:
            record = state.get_media(PREFIX, str(media_id))
            if record is None or record["owner"] != account_id:
                return [], f"Your media IDs are invalid: {media_id}."
            if record["state"] != "succeeded":
                return [], f"Media {media_id} is not ready (state {record['state']})."
            media.append(
                {
                    "id": record["id"],
                    "kind": record["category"],
                    "alt_text": record.get("alt_text", ""),
                    "size": record["size"],
                }
            )
        motion = [m for m in media if m["kind"] != "tweet_image"]
        if motion and len(media) > 1:
            return (
                [],
                "A post may carry up to 4 images, or 1 GIF, or 1 video, not a mix.",
            )
        return media, ""

    @app.route(PREFIX, "/2/tweets/<tweet_id>", ("DELETE",))
    def delete(request: Request, tweet_id: str) -> Response:
        account_id, error = authorized(request, "tweet.write")
        if error:
            return error
        with state.lock:
            post = state.find_post(PREFIX, tweet_id)
            if post is None or post["deleted"]:
                return app.error(
                    PREFIX,
                    404,
                    PROBLEM + "resource-not-found",
                    f"Could not find tweet with id: [{tweet_id}].",
                )
            if post["account_id"] != account_id:
                return app.error(
                    PREFIX,
                    403,
                    PROBLEM + "not-authorized-for-resource",
                    "You are not authorized to delete this Tweet.",
                )
            post["deleted"] = True
        return json_response({"data": {"deleted": True}})

    # -- media ------------------------------------------------------------------

    def new_media(
        account_id: str, category: str, media_type: str, total: int
    ) -> dict[str, Any]:
        media_id = _snowflake(app)
        return state.add_media(
            PREFIX, id=media_id, owner=account_id, category=category, media_type=media_type,
            total_bytes=total, size=0, segments={}, state="initialized", polls=0, alt_text="",
        )  # fmt: skip

    def media_data(record: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": record["id"],
            "media_key": f"{'3' if record['category'] == 'tweet_image' else '7'}_{record['id']}",
            "size": record["size"],
            "expires_after_secs": 86400,
        }
        if record["state"] in ("pending", "in_progress"):
            data["processing_info"] = {
                "state": record["state"],
                "check_after_secs": 1,
                "progress_percent": 0 if record["state"] == "pending" else 50,
            }
        elif record["state"] == "failed":
            data["processing_info"] = {
                "state": "failed",
                "progress_percent": 100,
                "error": {
                    "code": 1,
                    "name": "InvalidMedia",
                    "message": "Unsupported video format",
                },
            }
        elif record["category"] != "tweet_image":
            data["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return data

    @app.route(PREFIX, "/2/media/upload", ("POST",))
    def upload(request: Request) -> Response:
        account_id, error = authorized(request, "media.write")
        if error:
            return error
        category = request.form.get("media_category", "tweet_image")
        file = request.files.get("media")
        if file is not None:
            content = file.read()
            media_type = file.mimetype or ""
        else:
            body = request.get_json(silent=True) or {}
            category = body.get("media_category", category)
            try:
                content = base64.b64decode(str(body.get("media", "")), validate=True)
            except binascii.Error:
                return app.error(
                    PREFIX,
                    400,
                    PROBLEM + "invalid-request",
                    "media is not valid base64.",
                )
            media_type = str(body.get("media_type", "image/png"))
        if category != "tweet_image" or not content:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "The one-shot upload takes images (media_category tweet_image).",
            )
        if len(content) > CATEGORY_LIMITS["tweet_image"]:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "File size exceeds 5242880 bytes.",
            )
        record = new_media(account_id, category, media_type, len(content))
        record.update(size=len(content), state="succeeded")
        data = media_data(record)
        data["image"] = {"image_type": media_type, "w": 0, "h": 0}
        return json_response({"data": data})

    @app.route(PREFIX, "/2/media/upload/initialize", ("POST",))
    def initialize(request: Request) -> Response:
        account_id, error = authorized(request, "media.write")
        if error:
            return error
        body = request.get_json(silent=True) or {}
        category = str(body.get("media_category", ""))
        try:
            total = int(body.get("total_bytes", 0))
        except (TypeError, ValueError):
            total = 0
        if category not in CATEGORY_LIMITS or total <= 0:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "media_category and total_bytes are required.",
            )
        if total > CATEGORY_LIMITS[category]:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                f"total_bytes exceeds the {category} limit of {CATEGORY_LIMITS[category]} bytes.",
            )
        record = new_media(account_id, category, str(body.get("media_type", "")), total)
        return json_response(
            {
                "data": {
                    "id": record["id"],
                    "media_key": f"7_{record['id']}",
                    "expires_after_secs": 86400,
                }
            }
        )

    def owned(account_id: str, media_id: str) -> dict[str, Any] | None:
        record = state.get_media(PREFIX, media_id)
        return record if record is not None and record["owner"] == account_id else None

    @app.route(PREFIX, "/2/media/upload/<media_id>/append", ("POST",))
    def append(request: Request, media_id: str) -> Response:
        account_id, error = authorized(request, "media.write")
        if error:
            return error
        record = owned(account_id, media_id)
        if record is None or record["state"] != "initialized":
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                f"Media {media_id} is not awaiting segments.",
            )
        file = request.files.get("media")
        try:
            index = int(request.form.get("segment_index", "-1"))
        except ValueError:
            index = -1
        if file is None or not 0 <= index <= 999:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "media and segment_index (0-999) are required.",
            )
        with state.lock:
            record["segments"][index] = len(file.read())
        return json_response({"data": {"expires_at": int(time.time()) + 86400}})

    @app.route(PREFIX, "/2/media/upload/<media_id>/finalize", ("POST",))
    def finalize(request: Request, media_id: str) -> Response:
        account_id, error = authorized(request, "media.write")
        if error:
            return error
        record = owned(account_id, media_id)
        if record is None or record["state"] != "initialized":
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                f"Media {media_id} cannot be finalized.",
            )
        with state.lock:
            size = sum(record["segments"].values())
            if size != record["total_bytes"]:
                return app.error(
                    PREFIX,
                    400,
                    PROBLEM + "invalid-request",
                    f"Segments total {size} bytes, expected {record['total_bytes']}.",
                )
            record.update(
                size=size,
                state="pending",
                polls=int(state.knob(PREFIX, "processing_polls", 1)),
            )
        return json_response({"data": media_data(record)})

    @app.route(PREFIX, "/2/media/upload", ("GET",))
    def status(request: Request) -> Response:
        account_id, error = authorized(request, "media.write")
        if error:
            return error
        if request.args.get("command") != "STATUS":
            return app.error(
                PREFIX, 400, PROBLEM + "invalid-request", "command=STATUS is required."
            )
        record = owned(account_id, request.args.get("media_id", ""))
        if record is None:
            return app.error(
                PREFIX, 404, PROBLEM + "resource-not-found", "Unknown media_id."
            )
        with state.lock:
            if record["state"] in ("pending", "in_progress"):
                if record["polls"] > 0:
                    record["polls"] -= 1
                    record["state"] = "in_progress"
                else:
                    record["state"] = str(
                        state.knob(PREFIX, "processing_result", "succeeded")
                    )
        return json_response({"data": media_data(record)})

    @app.route(PREFIX, "/2/media/metadata", ("POST",))
    def metadata(request: Request) -> Response:
        account_id, error = authorized(request, "media.write")
        if error:
            return error
        body = request.get_json(silent=True) or {}
        record = owned(account_id, str(body.get("id", "")))
        if record is None:
            return app.error(
                PREFIX, 400, PROBLEM + "invalid-request", "Unknown media id."
            )
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text", "")
        if not isinstance(alt, str) or len(alt) > 1000:
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "alt_text.text must be at most 1000 characters.",
            )
        if record["category"] not in ("tweet_image", "tweet_gif"):
            return app.error(
                PREFIX,
                400,
                PROBLEM + "invalid-request",
                "Alt text is supported for images and GIFs only.",
            )
        with state.lock:
            record["alt_text"] = alt
        return json_response(
            {
                "data": {
                    "id": record["id"],
                    "associated_metadata": {"alt_text": {"text": alt}},
                }
            }
        )

    # -- web pages ----------------------------------------------------------------

    def show(tweet_id: str, username: str = "") -> Response:
        post = state.find_post(PREFIX, tweet_id)
        if post is None:
            return Response(
                "<!doctype html><p>Esta publicación no existe en la red de práctica de Pregonero.</p>",
                status=404,
                mimetype="text/html",
            )
        user = _user(app, post["account_id"])
        return _page(username or user["username"], post)

    @app.route(PREFIX, "/<username>/status/<tweet_id>")
    def status_page(request: Request, username: str, tweet_id: str) -> Response:
        return show(tweet_id, username)

    @app.route(PREFIX, "/i/web/status/<tweet_id>")
    def web_status_page(request: Request, tweet_id: str) -> Response:
        return show(tweet_id)
