"""A practice Mastodon instance under ``/mastodon`` (reference §7.A).

It speaks the subset of the REST API Pregonero uses, at the real paths: app
registration (``POST /api/v1/apps``), OAuth with PKCE S256 (``/oauth/authorize``,
``/oauth/token``; tokens never expire), ``verify_credentials``, the instance's
limits (``GET /api/v2/instance``), media (``POST /api/v2/media`` → 200 for
images, 202 then 206/200 polls for video and audio), statuses with the
``Idempotency-Key`` header (one status per key and account for an hour),
deletion and the account's statuses. Errors use Mastodon's entity
``{"error": "..."}`` (OAuth errors add ``error_description``); a 429 carries
``X-RateLimit-*`` headers with an ISO-8601 reset time. Accounts carry a
``followers_count`` and statuses their ``favourites_count``, ``reblogs_count``
and ``replies_count`` (deterministic figures from ``figures``);
``GET /api/v1/statuses/<id>`` reads one status.

Training account: id ``109000000000000001``, username ``cvpbogota`` ("Caja de la
Vivienda Popular"); its statuses live at ``/mastodon/@cvpbogota/<id>`` as a small
Spanish page.

Knobs (``state.config["mastodon"]``): ``max_characters`` (500),
``max_media_attachments`` (4), ``characters_reserved_per_url`` (23),
``description_limit`` (1500), ``image_size_limit`` (16 MB), ``video_size_limit``
(99 MB), ``processing_polls`` (1: polls answered 206 before a video is ready),
``async_images`` (False), ``processing_fails`` (False), ``idempotency_seconds``
(3600), ``rate_limit_reset_seconds`` (120).
"""

from __future__ import annotations

import datetime
import html
import re
import secrets
import time
import zlib
from typing import Any

import regex  # type: ignore[import-untyped]
from werkzeug.wrappers import Request, Response

from . import figures, inbound
from .core import (
    SandboxApp,
    SandboxState,
    authorize_page,
    bearer,
    json_response,
    token_grant,
)
from .core import utcnow as now

NETWORK = "mastodon"
APPS = "mastodon-apps"  # registered OAuth apps, kept as accounts of this pseudo-network
DEFAULT_ACCOUNT_ID = "109000000000000001"
DEFAULT_ACCOUNT = {
    "username": "cvpbogota",
    "display_name": "Caja de la Vivienda Popular",
}
MB = 1024 * 1024
SUPPORTED_TYPES = (
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif",
    "image/avif", "video/mp4", "video/quicktime", "video/webm", "video/ogg",
    "audio/mpeg", "audio/mp3", "audio/ogg", "audio/wav", "audio/x-wav", "audio/flac",
    "audio/aac", "audio/mp4", "audio/x-m4a", "audio/webm", "audio/3gpp",
)  # fmt: skip
OAUTH_ERRORS = frozenset(
    {"invalid_grant", "invalid_client", "invalid_request", "invalid_scope",
     "unsupported_grant_type", "unauthorized_client", "access_denied"}
)  # fmt: skip
LIMITS: dict[str, int] = {
    "max_characters": 500,
    "max_media_attachments": 4,
    "characters_reserved_per_url": 23,
    "description_limit": 1500,
    "image_size_limit": 16 * MB,
    "video_size_limit": 99 * MB,
}

URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
MENTION_RE = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@\w+(?:[.-]+\w+)*)?",
    re.IGNORECASE,
)
TAG_RE = re.compile(r"(?<![\w/])#(\w+)")
TOKEN_RE = re.compile(f"{URL_RE.pattern}|{MENTION_RE.pattern}|{TAG_RE.pattern}", re.I)


def _strip_url(url: str) -> str:
    while url and (
        url[-1] in ".,:;!?'\"" or (url[-1] == ")" and url.count("(") < url.count(")"))
    ):
        url = url[:-1]
    return url


def status_length(text: str, url_weight: int) -> int:
    """Mastodon's count: grapheme clusters, each URL as ``url_weight``, a mention
    as its local part."""
    counted = URL_RE.sub(
        lambda m: "x" * url_weight + m.group(0)[len(_strip_url(m.group(0))) :], text
    )
    counted = MENTION_RE.sub(lambda m: "@" + m.group(1), counted)
    return len(regex.findall(r"\X", counted))


def limit(state: SandboxState, name: str) -> int:
    return int(state.knob(NETWORK, name, LIMITS[name]))


def iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- rendering


def render_line(app: SandboxApp, line: str) -> str:
    """One line of a status as Mastodon's formatter writes it: links, mentions
    (without the domain) and hashtags become anchors; the rest is escaped."""
    out: list[str] = []
    cursor = 0
    for match in TOKEN_RE.finditer(line):
        token = match.group(0)
        out.append(html.escape(line[cursor : match.start()]))
        cursor = match.end()
        if token.lower().startswith("http"):
            url = _strip_url(token)
            scheme, _sep, rest = url.partition("://")
            out.append(
                f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
                f'translate="no"><span class="invisible">{html.escape(scheme)}://</span>'
                f'<span class="">{html.escape(rest)}</span></a>'
            )
            out.append(html.escape(token[len(url) :]))
        elif token.startswith("@"):
            user = MENTION_RE.match(token)
            local = user.group(1) if user else token[1:]
            out.append(
                f'<span class="h-card" translate="no"><a href="'
                f'{html.escape(app.url(f"/mastodon/@{local}"))}" class="u-url mention">'
                f"@<span>{html.escape(local)}</span></a></span>"
            )
        else:
            tag = token[1:]
            out.append(
                f'<a href="{html.escape(app.url(f"/mastodon/tags/{tag}"))}" '
                f'class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>'
            )
    out.append(html.escape(line[cursor:]))
    return "".join(out)


def render_content(app: SandboxApp, text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br />".join(render_line(app, line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def account_record(state: SandboxState, account_id: str) -> dict[str, Any]:
    defaults = (
        DEFAULT_ACCOUNT
        if account_id == DEFAULT_ACCOUNT_ID
        else {
            "username": f"usuario{account_id[-6:]}",
            "display_name": "Cuenta de práctica",
        }
    )
    with state.lock:
        record = state.account(NETWORK, account_id)
        record.setdefault("username", record.get("handle") or defaults["username"])
        record.setdefault("display_name", defaults["display_name"])
        return record


def account_json(app: SandboxApp, account_id: str) -> dict[str, Any]:
    record = account_record(app.state, account_id)
    username = str(record["username"])
    return {
        "id": account_id,
        "username": username,
        "acct": username,
        "display_name": record["display_name"],
        "locked": False,
        "bot": False,
        "created_at": "2022-11-01T00:00:00.000Z",
        "note": "<p>Cuenta de práctica de Pregonero.</p>",
        "url": app.url(f"/mastodon/@{username}"),
        "avatar": "",
        "followers_count": figures.followers(
            NETWORK, account_id, (now() - datetime.timedelta(hours=5)).date()
        ),
        "following_count": 0,
        "statuses_count": len(app.state.live_posts(NETWORK, account_id)),
    }


def media_json(app: SandboxApp, media: dict[str, Any]) -> dict[str, Any]:
    ready = media["polls_left"] <= 0 and not media["failed"]
    url = app.url(f"/mastodon/system/media_attachments/{media['id']}/original")
    return {
        "id": media["id"],
        "type": media["type"],
        "url": url if ready else None,
        "preview_url": url if ready else None,
        "remote_url": None,
        "text_url": None,
        "meta": {"original": {"size": media["size"]}},
        "description": media["description"] or None,
        "blurhash": None,
    }


def status_json(app: SandboxApp, post: dict[str, Any]) -> dict[str, Any]:
    account = account_json(app, post["account_id"])
    media = [app.state.get_media(NETWORK, m) for m in post["media_ids"]]
    return {
        "id": post["id"],
        "created_at": iso(post["created_at"]),
        "in_reply_to_id": post.get("in_reply_to_id") or None,
        "in_reply_to_account_id": post.get("in_reply_to_account_id") or None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": post["visibility"],
        "language": post["language"],
        "uri": app.url(f"/mastodon/users/{account['username']}/statuses/{post['id']}"),
        "url": app.url(f"/mastodon/@{account['username']}/{post['id']}"),
        "replies_count": figures.lifetime(
            NETWORK, post["id"], "replies_count", post["created_at"]
        ),
        "reblogs_count": figures.lifetime(
            NETWORK, post["id"], "reblogs_count", post["created_at"]
        ),
        "favourites_count": figures.lifetime(
            NETWORK, post["id"], "favourites_count", post["created_at"]
        ),
        "content": render_content(app, post["text"]),
        "reblog": None,
        "application": {"name": post.get("application", ""), "website": None},
        "account": account,
        "media_attachments": [media_json(app, m) for m in media if m],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


# ---------------------------------------------------------------- registration


def register(app: SandboxApp) -> None:
    state = app.state

    def formatter(status: int, code: str, message: str) -> Response:
        if code in OAUTH_ERRORS:
            return json_response({"error": code, "error_description": message}, status)
        if status == 429:
            reset = now() + datetime.timedelta(
                seconds=float(state.knob(NETWORK, "rate_limit_reset_seconds", 120))
            )
            return json_response(
                {"error": "Too many requests"},
                429,
                headers={
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": iso(reset),
                },
            )
        return json_response({"error": message}, status)

    app.errors(NETWORK, formatter)

    def error(status: int, message: str, code: str = "") -> Response:
        return app.error(NETWORK, status, code or "error", message)

    def authenticate(request: Request, *scopes: str) -> str | Response:
        """The token's account id, or Doorkeeper's 401 (or 403 for a scope)."""
        token = bearer(request)
        record = state.token(NETWORK, token)
        if record is None:
            problem = state.token_problem(NETWORK, token)
            message = {
                "expired": "The access token expired",
                "revoked": "The access token was revoked",
            }.get(problem, "The access token is invalid")
            return error(401, message)
        if scopes and record.scopes and not set(scopes) & set(record.scopes):
            return error(403, "This action is outside the authorized scopes")
        return record.account_id

    # -- apps and OAuth ----------------------------------------------------------

    @app.route(NETWORK, "/api/v1/apps", ("POST",))
    def create_app(request: Request) -> Response:
        data = request.get_json(silent=True) or request.form
        name = str(data.get("client_name", "") or "")
        uris = data.get("redirect_uris", "")
        redirect_uris = uris if isinstance(uris, list) else str(uris).split()
        if not name or not redirect_uris:
            return error(
                422,
                "Validation failed: Application name can't be blank, Redirect URI can't be blank",
            )
        client_id = secrets.token_urlsafe(32)
        secret = secrets.token_urlsafe(32)
        scopes = str(data.get("scopes", "read") or "read")
        state.account(APPS, client_id, client_secret=secret, redirect_uris=redirect_uris,
                      scopes=scopes.split(), name=name)  # fmt: skip
        return json_response(
            {
                "id": state.new_id(),
                "name": name,
                "website": data.get("website") or None,
                "scopes": scopes.split(),
                "redirect_uri": "\n".join(redirect_uris),
                "redirect_uris": redirect_uris,
                "client_id": client_id,
                "client_secret": secret,
                "vapid_key": "",
            }
        )

    def registered(client_id: str) -> dict[str, Any] | None:
        with state.lock:
            return state.accounts.get((APPS, client_id))

    @app.route(NETWORK, "/oauth/authorize", ("GET", "POST"))
    def authorize(request: Request) -> Response:
        params = request.values
        client = registered(params.get("client_id", ""))
        if client is None:
            return error(
                401,
                "Client authentication failed due to unknown client.",
                "invalid_client",
            )
        if params.get("redirect_uri", "") not in client["redirect_uris"]:
            return error(
                400, "The redirect uri included is not valid.", "invalid_request"
            )
        if (
            params.get("code_challenge")
            and params.get("code_challenge_method") != "S256"
        ):
            return error(
                400,
                "Only the S256 code challenge method is supported.",
                "invalid_request",
            )
        wanted = set(params.get("scope", "read").split())
        if not wanted <= set(client["scopes"]):
            return error(
                400,
                "The requested scope is invalid, unknown, or malformed.",
                "invalid_scope",
            )
        return authorize_page(
            app, NETWORK, request, account_id=DEFAULT_ACCOUNT_ID,
            handle=DEFAULT_ACCOUNT["username"],
        )  # fmt: skip

    @app.route(NETWORK, "/oauth/token", ("POST",))
    def token(request: Request) -> Response:
        params = request.values
        client = registered(params.get("client_id", ""))
        if client is None or client["client_secret"] != params.get("client_secret"):
            return error(
                401,
                "Client authentication failed due to unknown client, no client "
                "authentication included, or unsupported authentication method.",
                "invalid_client",
            )
        code = state.codes.get(params.get("code", ""))
        if code is not None and code.client_id != params.get("client_id"):
            return error(
                400, "The provided authorization grant is invalid.", "invalid_grant"
            )
        grant = token_grant(app, NETWORK, request, expires_in=None, with_refresh=False)
        if isinstance(grant, Response):
            return grant
        return json_response(
            {
                "access_token": grant.access_token,
                "token_type": "Bearer",
                "scope": " ".join(grant.scopes) or "read",
                "created_at": int(time.time()),
            }
        )

    # -- accounts and instance ----------------------------------------------------

    @app.route(NETWORK, "/api/v1/accounts/verify_credentials")
    def verify_credentials(request: Request) -> Response:
        account_id = authenticate(request, "read", "read:accounts", "profile")
        if isinstance(account_id, Response):
            return account_id
        return json_response(account_json(app, account_id))

    @app.route(NETWORK, "/api/v2/instance")
    def instance(request: Request) -> Response:
        return json_response(
            {
                "domain": request.host,
                "title": "Mastodon de práctica (Pregonero)",
                "version": "4.5.0",
                "description": "Instancia de práctica: nada sale de este servidor.",
                "languages": ["es"],
                "configuration": {
                    "urls": {"streaming": ""},
                    "statuses": {
                        "max_characters": limit(state, "max_characters"),
                        "max_media_attachments": limit(state, "max_media_attachments"),
                        "characters_reserved_per_url": limit(state, "characters_reserved_per_url"),
                    },
                    "media_attachments": {
                        "supported_mime_types": list(SUPPORTED_TYPES),
                        "description_limit": limit(state, "description_limit"),
                        "image_size_limit": limit(state, "image_size_limit"),
                        "image_matrix_limit": 33177600,
                        "video_size_limit": limit(state, "video_size_limit"),
                        "video_frame_rate_limit": 120,
                        "video_matrix_limit": 8294400,
                    },
                },
                "rules": [],
            }
        )  # fmt: skip

    # -- media -------------------------------------------------------------------

    @app.route(NETWORK, "/api/v2/media", ("POST",))
    def upload(request: Request) -> Response:
        account_id = authenticate(request, "write", "write:media")
        if isinstance(account_id, Response):
            return account_id
        upload = request.files.get("file")
        if upload is None:
            return error(422, "Validation failed: File can't be blank")
        data = upload.read()
        mime = upload.mimetype or ""
        description = request.form.get("description", "")
        if mime not in SUPPORTED_TYPES:
            return error(422, "Validation failed: File content type is invalid")
        kind = (
            "gifv" if mime == "image/gif" else mime.split("/")[0]
        )  # image, video, audio
        size_limit = limit(
            state, "image_size_limit" if kind == "image" else "video_size_limit"
        )
        if len(data) > size_limit:
            return error(
                422,
                f"Validation failed: File file size must be less than {size_limit // MB} MB",
            )
        if len(description) > limit(state, "description_limit"):
            return error(
                422,
                "Validation failed: Description is too long (maximum is "
                f"{limit(state, 'description_limit')} characters)",
            )
        asynchronous = kind != "image" or bool(
            state.knob(NETWORK, "async_images", False)
        )
        media = state.add_media(
            NETWORK,
            id=str(110_000_000_000_000_000 + int(state.new_id())),
            account_id=account_id, type=kind, mime=mime, size=len(data),
            description=description, status_id=None,
            polls_left=int(state.knob(NETWORK, "processing_polls", 1)) if asynchronous else 0,
            failed=bool(state.knob(NETWORK, "processing_fails", False)) and asynchronous,
        )  # fmt: skip
        return json_response(media_json(app, media), 202 if asynchronous else 200)

    @app.route(NETWORK, "/api/v1/media/<media_id>")
    def media_status(request: Request, media_id: str) -> Response:
        account_id = authenticate(request, "write", "write:media")
        if isinstance(account_id, Response):
            return account_id
        media = state.get_media(NETWORK, media_id)
        if media is None or media["account_id"] != account_id or media["status_id"]:
            return error(404, "Record not found")
        if media["failed"]:
            return error(422, "Error processing thumbnail for uploaded media")
        with state.lock:
            if media["polls_left"] > 0:
                media["polls_left"] -= 1
                return json_response(
                    {**media_json(app, media), "url": None, "preview_url": None}, 206
                )
        return json_response(media_json(app, media))

    # -- statuses ------------------------------------------------------------------

    def status_params(request: Request) -> dict[str, Any]:
        data = request.get_json(silent=True) if request.is_json else None
        if isinstance(data, dict):
            ids = data.get("media_ids") or []
            return {**data, "media_ids": [str(i) for i in ids]}
        form = request.form
        return {
            "status": form.get("status", ""),
            "media_ids": form.getlist("media_ids[]") or form.getlist("media_ids"),
            "visibility": form.get("visibility", "public"),
            "language": form.get("language", ""),
            "in_reply_to_id": form.get("in_reply_to_id", ""),
        }

    def check_status(account_id: str, params: dict[str, Any]) -> Response | None:
        text = str(params.get("status") or "")
        media_ids: list[str] = params["media_ids"]
        if not text.strip() and not media_ids:
            return error(422, "Validation failed: Text can't be blank")
        most = limit(state, "max_characters")
        if status_length(text, limit(state, "characters_reserved_per_url")) > most:
            return error(
                422, f"Validation failed: Text character limit of {most} exceeded"
            )
        if len(media_ids) > limit(state, "max_media_attachments"):
            return error(
                422,
                f"Cannot attach more than {limit(state, 'max_media_attachments')} files",
            )
        media = [state.get_media(NETWORK, m) for m in media_ids]
        missing = [
            m for m, found in zip(media_ids, media, strict=True)
            if found is None or found["account_id"] != account_id or found["status_id"]
        ]  # fmt: skip
        if missing:
            return error(422, f"Media with ID(s) {', '.join(missing)} not found")
        found_media = [m for m in media if m is not None]
        if any(m["failed"] or m["polls_left"] > 0 for m in found_media):
            return error(
                422,
                "Cannot attach files that have not finished processing. Try again in a moment!",
            )
        if len(found_media) > 1 and any(
            m["type"] in ("video", "audio") for m in found_media
        ):
            return error(
                422, "Cannot attach a video to a post that already contains images"
            )
        if params.get("visibility", "public") not in (
            "public",
            "unlisted",
            "private",
            "direct",
        ):
            return error(
                422, "Validation failed: Visibility is not included in the list"
            )
        return None

    @app.route(NETWORK, "/api/v1/statuses", ("POST",))
    def create_status(request: Request) -> Response:
        account_id = authenticate(request, "write", "write:statuses")
        if isinstance(account_id, Response):
            return account_id
        params = status_params(request)
        key = request.headers.get("Idempotency-Key", "")
        window = datetime.timedelta(
            seconds=float(state.knob(NETWORK, "idempotency_seconds", 3600))
        )
        with state.lock:
            # Mastodon keeps the key per account; a repeat returns the first status.
            remembered = (
                state.idempotency.get((NETWORK, f"{account_id}:{key}")) if key else None
            )
            if remembered and now() - remembered["at"] < window:
                earlier = state.find_post(NETWORK, remembered["status_id"])
                if earlier is not None:
                    return json_response(status_json(app, earlier))
            problem = check_status(account_id, params)
            if problem is not None:
                return problem
            parent = str(params.get("in_reply_to_id") or "")
            parent_account = ""
            if parent:
                # A reply: the status it answers must exist (a post or an
                # inbound status), or Mastodon answers 404.
                known = state.find_post(NETWORK, parent)
                if known is not None and not known["deleted"]:
                    parent_account = str(known["account_id"])
                else:
                    entry = next(
                        (
                            i
                            for i in state.inbound.get(NETWORK, [])
                            if i["id"] == parent
                        ),
                        None,
                    )
                    if entry is None:
                        return error(404, "Record not found")
                    parent_account = (
                        f"2{zlib.crc32(str(entry['author']).encode()):017d}"
                    )
            post = state.add_post(
                NETWORK, account_id, str(params.get("status") or ""),
                id=str(110_000_000_000_000_000 + int(state.new_id())),
                media_ids=list(params["media_ids"]),
                visibility=params.get("visibility") or "public",
                language=params.get("language") or "es",
                idempotency_key=key, application="Pregonero",
                in_reply_to_id=parent, in_reply_to_account_id=parent_account,
            )  # fmt: skip
            for media_id in post["media_ids"]:
                media = state.get_media(NETWORK, media_id)
                if media is not None:
                    media["status_id"] = post["id"]
            if key:
                state.idempotency[(NETWORK, f"{account_id}:{key}")] = {
                    "status_id": post["id"],
                    "at": now(),
                }
        return json_response(status_json(app, post))

    @app.route(NETWORK, "/api/v1/statuses/<status_id>", ("DELETE",))
    def delete_status(request: Request, status_id: str) -> Response:
        account_id = authenticate(request, "write", "write:statuses")
        if isinstance(account_id, Response):
            return account_id
        post = state.find_post(NETWORK, status_id)
        if post is None or post["deleted"]:
            return error(404, "Record not found")
        if post["account_id"] != account_id:
            return error(403, "This action is not allowed")
        with state.lock:
            post["deleted"] = True
        return json_response({**status_json(app, post), "text": post["text"]})

    @app.route(NETWORK, "/api/v1/statuses/<status_id>", ("GET",))
    def get_status(request: Request, status_id: str) -> Response:
        """One status with its counts (public statuses need no token)."""
        if bearer(request):
            caller = authenticate(request)
            if isinstance(caller, Response):
                return caller
        post = state.find_post(NETWORK, status_id)
        if post is None or post["deleted"]:
            return json_response({"error": "Record not found"}, 404)
        return json_response(status_json(app, post))

    @app.route(NETWORK, "/api/v1/statuses/<status_id>/context", ("GET",))
    def status_context(request: Request, status_id: str) -> Response:
        """The thread around a status: its replies (``descendants``), oldest first."""
        if bearer(request):
            caller = authenticate(request)
            if isinstance(caller, Response):
                return caller
        known = state.find_post(NETWORK, status_id)
        inbound_ids = {i["id"] for i in state.inbound.get(NETWORK, [])}
        if (known is None or known["deleted"]) and status_id not in inbound_ids:
            return error(404, "Record not found")
        below: list[dict[str, Any]] = []
        parents = {status_id}
        for post in sorted(
            state.live_posts(NETWORK), key=lambda p: (p["created_at"], int(p["id"]))
        ):
            if str(post.get("in_reply_to_id") or "") in parents:
                below.append(post)
                parents.add(post["id"])
        return json_response(
            {"ancestors": [], "descendants": [status_json(app, p) for p in below]}
        )

    @app.route(NETWORK, "/api/v1/accounts/<account_id>/statuses")
    def account_statuses(request: Request, account_id: str) -> Response:
        if bearer(request):
            caller = authenticate(request)
            if isinstance(caller, Response):
                return caller
        try:
            count = max(1, min(40, int(request.args.get("limit", "20"))))
        except ValueError:
            count = 20
        posts = sorted(
            state.live_posts(NETWORK, account_id),
            key=lambda p: int(p["id"]),
            reverse=True,
        )
        if request.args.get("max_id"):
            posts = [p for p in posts if int(p["id"]) < int(request.args["max_id"])]
        if request.args.get("since_id"):
            posts = [p for p in posts if int(p["id"]) > int(request.args["since_id"])]
        page = posts[:count]
        headers = {}
        if page:
            headers["Link"] = (
                f"<{app.url(f'/mastodon/api/v1/accounts/{account_id}/statuses')}"
                f'?max_id={page[-1]["id"]}>; rel="next"'
            )
        return json_response([status_json(app, p) for p in page], headers=headers)

    # -- notifications (issue 6: mentions, replies and direct messages) -----------

    @app.route(NETWORK, "/api/v1/notifications")
    def notifications(request: Request) -> Response:
        """Mention notifications, newest first, paged by ``max_id`` through the
        ``Link`` header (reference §7.A.4); replies to the account's posts and
        direct messages arrive as mentions too."""
        caller = authenticate(request, "read:notifications", "read")
        if isinstance(caller, Response):
            return caller
        types = request.args.getlist("types[]")
        if types and "mention" not in types:
            return json_response([])
        try:
            count = max(1, min(80, int(request.args.get("limit", "40"))))
        except ValueError:
            count = 40
        rows = list(reversed(inbound.items(state, NETWORK, caller)))
        if request.args.get("max_id"):
            below = int(request.args["max_id"])
            rows = [i for i in rows if int(i["id"]) < below]
        if request.args.get("since_id"):
            above = int(request.args["since_id"])
            rows = [i for i in rows if int(i["id"]) > above]
        page = rows[:count]
        headers = {}
        if len(rows) > count:
            query = f"max_id={page[-1]['id']}&limit={count}&types[]=mention"
            if request.args.get("since_id"):
                query += f"&since_id={request.args['since_id']}"
            headers["Link"] = (
                f'<{app.url("/mastodon/api/v1/notifications")}?{query}>; rel="next"'
            )
        own = account_json(app, caller)
        return json_response(
            [notification_json(app, own, item) for item in page], headers=headers
        )

    # -- the web page of a status --------------------------------------------------

    @app.route(NETWORK, "/@<acct>/<status_id>")
    def status_page(request: Request, acct: str, status_id: str) -> Response:
        post = state.find_post(NETWORK, status_id)
        if post is None or post["deleted"]:
            body = "<p>Esta publicación no existe o fue eliminada.</p>"
            return _page("Publicación no encontrada", body, 404)
        account = account_json(app, post["account_id"])
        body = (
            f"<p><strong>{html.escape(account['display_name'])}</strong> "
            f"@{html.escape(account['acct'])}</p>"
            f"<article>{render_content(app, post['text'])}</article>"
            f"<p>Archivos adjuntos: {len(post['media_ids'])}</p>"
            f"<p><small>Publicado el {iso(post['created_at'])}</small></p>"
        )
        return _page("Mastodon (red de práctica)", body)


def notification_json(
    app: SandboxApp, own: dict[str, Any], item: dict[str, Any]
) -> dict[str, Any]:
    author = str(item["author"])
    account = {
        "id": f"2{zlib.crc32(author.encode()):017d}",
        "username": author,
        "acct": f"{author}@mastodon.example",
        "display_name": item["author_name"],
        "url": f"https://mastodon.example/@{author}",
    }
    status = {
        "id": item["id"],
        "created_at": iso(item["created_at"]),
        "in_reply_to_id": item["post_id"] or None,
        "in_reply_to_account_id": own["id"] if item["post_id"] else None,
        "visibility": "direct" if item["kind"] == "message" else "public",
        "content": f"<p>@{html.escape(own['acct'])} {html.escape(item['text'])}</p>",
        "url": f"https://mastodon.example/@{author}/{item['id']}",
        "account": account,
        "mentions": [
            {"id": own["id"], "acct": own["acct"], "username": own["username"]}
        ],
    }
    return {
        "id": item["id"],
        "type": "mention",
        "created_at": iso(item["created_at"]),
        "account": account,
        "status": status,
    }


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(
        '<!doctype html><html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        "<footer><p>Red de práctica de Pregonero: esta publicación no salió a internet.</p>"
        "</footer></body></html>",
        status=status,
        mimetype="text/html",
    )
