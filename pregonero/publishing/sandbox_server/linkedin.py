"""The practice LinkedIn: organization posts, the Images API, page roles, OAuth.

Routes (prefix ``/linkedin``, production paths kept; ``api.linkedin.com`` and
``www.linkedin.com`` share the prefix, their paths do not collide):

* ``GET|POST /oauth/v2/authorization`` (consent page) and
  ``POST /oauth/v2/accessToken`` (authorization code and refresh token; the
  client sends ``client_id`` and ``client_secret`` in the form). Access tokens
  last 5 184 000 s (60 days); refresh tokens 365 days and are not rotated;
  knob ``issue_refresh_tokens`` (default True) imitates apps without refresh.
* ``GET /rest/organizationAcls?q=roleAssignee`` and ``GET /rest/organizations/<id>``.
* ``GET /rest/organizationalEntityShareStatistics?q=organizationalEntity`` —
  lifetime, time-bound (``timeIntervals`` with DAY granularity) or per post
  (``shares=List(…)``/``ugcPosts=List(…)``), and ``GET /rest/networkSizes/<urn>``
  (the follower count); deterministic figures from ``figures``.
* ``POST /rest/images?action=initializeUpload``, ``PUT /dms-uploads/<key>``
  (201), ``GET /rest/images/<urn>`` (``PROCESSING`` for ``processing_polls``
  reads, knob, default 1; then ``AVAILABLE``, or ``PROCESSING_FAILED`` with
  knob ``processing_result`` or a file that is not JPG/PNG/GIF).
* ``POST /rest/posts`` (201, empty body, URN in ``x-restli-id``),
  ``GET /rest/posts?q=author&author=<urn>&count&start`` (newest first),
  ``DELETE /rest/posts/<urn>`` (204).
* ``GET /rest/socialActions/<post urn>/comments`` (the citizens' comments);
  ``POST|GET /rest/socialActions/<comment urn>/comments`` — the organization's
  nested comments (replies) under one of them (state ``linkedin:replies``).
* HTML pages at ``/feed/update/<urn>/`` and ``/company/<vanity>/``.

Default accounts for training: the consent page grants member
``urn:li:person:CVPcomms01``, ADMINISTRATOR of organization ``10203040`` "Caja de
la Vivienda Popular" (vanity ``caja-de-la-vivienda-popular``). Knob ``acls``
(``{member_id: [(organization_id, role), …]}``) changes who administers what;
a member without an entry administers the default organization.

Every ``/rest`` call must send ``LinkedIn-Version: YYYYMM`` (400
VERSION_MISSING without it; 426 NONEXISTENT_VERSION when older than knob
``oldest_version``, default "202511") and ``X-Restli-Protocol-Version: 2.0.0``.
Errors are ``{"status", "serviceErrorCode", "code", "message"}``; tokens fail
with EXPIRED_ACCESS_TOKEN (65602), REVOKED_ACCESS_TOKEN (65601) or
INVALID_ACCESS_TOKEN (65600). Commentary is "little" text: an unescaped
reserved character cuts the stored text there, as LinkedIn does; over 3 000
characters is a 422; the same text twice for one organization is a 422
"Content is a duplicate of <urn>".
"""

from __future__ import annotations

import datetime
import html
import secrets
import time
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

PREFIX = "linkedin"
DEFAULT_MEMBER = "CVPcomms01"
DEFAULT_ORGANIZATION = "10203040"
DEFAULT_NAME = "Caja de la Vivienda Popular"
DEFAULT_VANITY = "caja-de-la-vivienda-popular"
ORG = "urn:li:organization:"
POSTING_ROLES = ("ADMINISTRATOR", "CONTENT_ADMINISTRATOR")
OAUTH_ERRORS = {
    "invalid_grant",
    "invalid_request",
    "unsupported_grant_type",
    "invalid_client",
}
SERVICE_CODES = {
    "INVALID_ACCESS_TOKEN": 65600,
    "REVOKED_ACCESS_TOKEN": 65601,
    "EXPIRED_ACCESS_TOKEN": 65602,
    "ACCESS_DENIED": 100,
}
RESERVED = "\\|{}@[]()<>#*_~"
_LITTLE_TOKEN = regex.compile(
    r"https?://[^\s\\]+|\{hashtag\|\\#\|([^}]*)\}|(?<![\p{L}\p{N}_])#[\p{L}\p{N}_]+"
)


def _error(status: int, code: str, message: str) -> Response:
    if code in OAUTH_ERRORS:
        return json_response({"error": code, "error_description": message}, status)
    return json_response(
        {
            "status": status,
            "serviceErrorCode": SERVICE_CODES.get(code, 0),
            "code": code,
            "message": message,
        },
        status,
    )


def plain_text(commentary: str) -> str:
    """The text LinkedIn shows for a little-text commentary: escapes undone,
    hashtag templates as "#tag", cut at the first unescaped reserved character."""
    out: list[str] = []
    index = 0
    while index < len(commentary):
        token = _LITTLE_TOKEN.match(commentary, index)
        if token is not None:
            out.append(
                "#" + token.group(1) if token.group(1) is not None else token.group()
            )
            index = token.end()
            continue
        char = commentary[index]
        if (
            char == "\\"
            and index + 1 < len(commentary)
            and commentary[index + 1] in RESERVED
        ):
            out.append(commentary[index + 1])
            index += 2
            continue
        if char in RESERVED:
            break  # LinkedIn silently drops the rest
        out.append(char)
        index += 1
    return "".join(out)


def _millis(post: dict[str, Any]) -> int:
    return int(post["created_at"].timestamp() * 1000)


def _image_format(content: bytes) -> str:
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if content.startswith(b"GIF8"):
        return "image/gif"
    return ""


def _page(title: str, paragraphs: list[str]) -> Response:
    body = (
        '<!doctype html><html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        "<p><strong>Red de práctica de Pregonero</strong> — LinkedIn</p>"
        f"<h1>{html.escape(title)}</h1>"
        + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        + "</body></html>"
    )
    return Response(body, mimetype="text/html")


DAILY_STATS = (
    "impressionCount",
    "clickCount",
    "likeCount",
    "commentCount",
    "shareCount",
)
LIFETIME_STATS = (*DAILY_STATS, "uniqueImpressionsCount")


def _restli_list(value: str) -> list[str]:
    """``List(urn:li:share:1,urn:li:share:2)`` (already URL-decoded) as a list."""
    value = value.strip()
    if not (value.startswith("List(") and value.endswith(")")):
        return []
    return [v.strip() for v in value[5:-1].split(",") if v.strip()]


def _engagement(stats: dict[str, Any]) -> float:
    seen = stats.get("impressionCount") or 0
    acted = sum(
        stats.get(n, 0)
        for n in ("clickCount", "likeCount", "commentCount", "shareCount")
    )
    return round(acted / seen, 4) if seen else 0.0


def register(app: SandboxApp) -> None:
    state = app.state
    app.errors(PREFIX, _error)

    def organization(org_id: str) -> dict[str, Any]:
        if org_id == DEFAULT_ORGANIZATION:
            return state.account(
                PREFIX, org_id, localizedName=DEFAULT_NAME, vanityName=DEFAULT_VANITY
            )
        return state.account(
            PREFIX,
            org_id,
            localizedName=f"Organización {org_id}",
            vanityName=f"organizacion-{org_id}",
        )

    def acl(member: str) -> list[tuple[str, str]]:
        table: dict[str, list[tuple[str, str]]] = state.knob(PREFIX, "acls", {})
        return [
            (str(o), str(r))
            for o, r in table.get(member, [(DEFAULT_ORGANIZATION, "ADMINISTRATOR")])
        ]

    def can_post(member: str, author: str) -> bool:
        return any(
            f"{ORG}{org}" == author and role in POSTING_ROLES
            for org, role in acl(member)
        )

    def checked(request: Request) -> tuple[str, Response | None]:
        """The member behind the request, or the error LinkedIn would give."""
        version = request.headers.get("LinkedIn-Version", "")
        if not regex.fullmatch(r"20\d{4}", version):
            return "", app.error(
                PREFIX,
                400,
                "VERSION_MISSING",
                "A valid LinkedIn-Version header (YYYYMM) is required.",
            )
        if version < str(state.knob(PREFIX, "oldest_version", "202511")):
            return "", app.error(
                PREFIX,
                426,
                "NONEXISTENT_VERSION",
                f"Requested version {version} is not active.",
            )
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return "", app.error(
                PREFIX,
                400,
                "INVALID_REQUEST",
                "X-Restli-Protocol-Version: 2.0.0 is required.",
            )
        token = bearer(request)
        problem = state.token_problem(PREFIX, token)
        if problem == "expired":
            return "", app.error(
                PREFIX,
                401,
                "EXPIRED_ACCESS_TOKEN",
                "The token used in the request has expired",
            )
        if problem == "revoked":
            return "", app.error(
                PREFIX,
                401,
                "REVOKED_ACCESS_TOKEN",
                "The token used in the request has been revoked by the user",
            )
        if problem:
            return "", app.error(
                PREFIX, 401, "INVALID_ACCESS_TOKEN", "Invalid access token"
            )
        return state.tokens[token].account_id, None

    def denied(what: str) -> Response:
        return app.error(
            PREFIX, 403, "ACCESS_DENIED", f"Not enough permissions to access: {what}"
        )

    # -- OAuth ------------------------------------------------------------------

    @app.route(PREFIX, "/oauth/v2/authorization", ("GET", "POST"))
    def authorize(request: Request) -> Response:
        organization(DEFAULT_ORGANIZATION)
        return authorize_page(
            app, PREFIX, request, account_id=DEFAULT_MEMBER, handle=DEFAULT_NAME
        )

    @app.route(PREFIX, "/oauth/v2/accessToken", ("POST",))
    def access_token(request: Request) -> Response:
        if not request.form.get("client_id") or not request.form.get("client_secret"):
            return app.error(
                PREFIX,
                401,
                "invalid_client",
                "Client authentication failed: client_id and client_secret are required.",
            )
        issue_refresh = bool(state.knob(PREFIX, "issue_refresh_tokens", True))
        grant = token_grant(
            app, PREFIX, request, expires_in=5_184_000, with_refresh=issue_refresh
        )
        if not isinstance(grant, Grant):
            return grant
        payload: dict[str, Any] = {
            "access_token": grant.access_token,
            "expires_in": grant.expires_in,
            "scope": ",".join(grant.scopes),
        }
        refresh = grant.refresh_token or (
            request.form.get("refresh_token")
            if request.form.get("grant_type") == "refresh_token"
            else None
        )
        if refresh:
            payload.update(refresh_token=refresh, refresh_token_expires_in=31_536_000)
        return json_response(payload)

    # -- organizations ------------------------------------------------------------

    @app.route(PREFIX, "/rest/organizationAcls")
    def organization_acls(request: Request) -> Response:
        member, error = checked(request)
        if error:
            return error
        if request.args.get("q") != "roleAssignee":
            return app.error(
                PREFIX,
                400,
                "INVALID_REQUEST",
                "Only the roleAssignee finder is supported.",
            )
        role, status = request.args.get("role"), request.args.get("state")
        elements = [
            {
                "roleAssignee": f"urn:li:person:{member}",
                "role": r,
                "state": "APPROVED",
                "organization": f"{ORG}{org}",
            }
            for org, r in acl(member)
            if (not role or role == r) and (not status or status == "APPROVED")
        ]
        return json_response(
            {
                "paging": {"start": 0, "count": len(elements), "links": []},
                "elements": elements,
            }
        )

    @app.route(PREFIX, "/rest/organizations/<org_id>")
    def organization_lookup(request: Request, org_id: str) -> Response:
        _member, error = checked(request)
        if error:
            return error
        record = organization(org_id)
        return json_response(
            {
                "id": int(org_id) if org_id.isdigit() else org_id,
                "localizedName": record["localizedName"],
                "vanityName": record["vanityName"],
                "name": {
                    "localized": {"es_ES": record["localizedName"]},
                    "preferredLocale": {"country": "ES", "language": "es"},
                },
            }
        )

    # -- images -------------------------------------------------------------------

    @app.route(PREFIX, "/rest/images", ("POST",))
    def initialize_upload(request: Request) -> Response:
        member, error = checked(request)
        if error:
            return error
        if request.args.get("action") != "initializeUpload":
            return app.error(PREFIX, 400, "INVALID_REQUEST", "Unsupported action.")
        owner = str(
            (
                (request.get_json(silent=True) or {}).get("initializeUploadRequest")
                or {}
            ).get("owner", "")
        )
        if not can_post(member, owner):
            return denied(f"images.initializeUpload for owner {owner}")
        key = secrets.token_urlsafe(12)
        urn = f"urn:li:image:C4E10AQ{secrets.token_urlsafe(9)}"
        state.add_media(
            PREFIX,
            id=urn,
            owner=owner,
            upload_key=key,
            status="WAITING_UPLOAD",
            polls=0,
            size=0,
            content_type="",
        )
        return json_response(
            {
                "value": {
                    "uploadUrlExpiresAt": int((time.time() + 3600) * 1000),
                    "uploadUrl": app.url(f"/{PREFIX}/dms-uploads/{key}"),
                    "image": urn,
                }
            }
        )

    @app.route(PREFIX, "/dms-uploads/<key>", ("PUT",))
    def upload(request: Request, key: str) -> Response:
        if state.token_problem(PREFIX, bearer(request)):
            return app.error(
                PREFIX, 401, "INVALID_ACCESS_TOKEN", "Invalid access token"
            )
        with state.lock:
            record = next(
                (
                    m
                    for m in state.media.get(PREFIX, {}).values()
                    if m["upload_key"] == key
                ),
                None,
            )
            if record is None or record["status"] != "WAITING_UPLOAD":
                return app.error(
                    PREFIX, 400, "INVALID_REQUEST", "Unknown or used upload URL."
                )
            content = request.get_data()
            record.update(
                size=len(content), content_type=_image_format(content), status="PROCESSING",
                polls=int(state.knob(PREFIX, "processing_polls", 1)),
            )  # fmt: skip
        return Response(status=201)

    @app.route(PREFIX, "/rest/images/<urn>")
    def image_status(request: Request, urn: str) -> Response:
        member, error = checked(request)
        if error:
            return error
        record = state.get_media(PREFIX, urn)
        if record is None or not can_post(member, record["owner"]):
            return app.error(PREFIX, 404, "NOT_FOUND", f"Image {urn} not found.")
        with state.lock:
            if record["status"] == "PROCESSING":
                if record["polls"] > 0:
                    record["polls"] -= 1
                elif not record["content_type"]:
                    record["status"] = "PROCESSING_FAILED"
                else:
                    record["status"] = str(
                        state.knob(PREFIX, "processing_result", "AVAILABLE")
                    )
        return json_response(
            {"id": urn, "owner": record["owner"], "status": record["status"]}
        )

    # -- posts --------------------------------------------------------------------

    def content_problem(
        author: str, content: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str]:
        if not content:
            return [], ""
        if "media" in content:
            items = [content["media"]]
        elif "multiImage" in content:
            items = list((content["multiImage"] or {}).get("images") or [])
            if not 2 <= len(items) <= 20:
                return (
                    [],
                    "ERROR :: /content/multiImage/images :: multiImage takes 2 to 20 images",
                )
        else:
            return (
                [],
                "ERROR :: /content :: unsupported content type in the practice network",
            )
        media = []
        for item in items:
            record = state.get_media(PREFIX, str(item.get("id", "")))
            if record is None or record["owner"] != author:
                return (
                    [],
                    f"ERROR :: /content :: image {item.get('id')} does not exist or belongs to another owner",
                )
            if record["status"] != "AVAILABLE":
                return (
                    [],
                    f"ERROR :: /content :: image {item.get('id')} is {record['status']}",
                )
            media.append(
                {
                    "id": record["id"],
                    "alt_text": str(item.get("altText", "")),
                    "size": record["size"],
                }
            )
        return media, ""

    @app.route(PREFIX, "/rest/posts", ("POST",))
    def create_post(request: Request) -> Response:
        member, error = checked(request)
        if error:
            return error
        body = request.get_json(silent=True) or {}
        author = str(body.get("author", ""))
        if not can_post(member, author):
            return denied(f"posts.create as {author}")
        missing = [
            f
            for f in ("author", "visibility", "distribution", "lifecycleState")
            if f not in body
        ]
        if missing:
            return app.error(
                PREFIX,
                422,
                "UNPROCESSABLE_ENTITY",
                f"ERROR :: missing required fields {missing}",
            )
        commentary = str(body.get("commentary", ""))
        text = plain_text(commentary)
        if len(text) > 3000:
            return app.error(
                PREFIX,
                422,
                "UNPROCESSABLE_ENTITY",
                f"ERROR :: /commentary :: length {len(text)} exceeds maximum 3000",
            )
        media, problem = content_problem(author, body.get("content") or {})
        if problem:
            return app.error(PREFIX, 422, "UNPROCESSABLE_ENTITY", problem)
        with state.lock:
            duplicate = next(
                (
                    p
                    for p in state.live_posts(PREFIX, author)
                    if p["text"].strip() == text.strip()
                ),
                None,
            )
            if duplicate is not None:
                return json_response(
                    {
                        "message": f"Content is a duplicate of {duplicate['id']}",
                        "status": 422,
                    },
                    422,
                )
            urn = f"urn:li:share:7{int(state.new_id()):018d}"
            state.add_post(
                PREFIX,
                author,
                text,
                id=urn,
                commentary=commentary,
                media=media,
                content=body.get("content"),
            )
        return Response(status=201, headers={"x-restli-id": urn})

    # -- statistics (§5.5) -----------------------------------------------------

    @app.route(PREFIX, "/rest/organizationalEntityShareStatistics", ("GET",))
    def share_statistics(request: Request) -> Response:
        """Lifetime (no ``timeIntervals``) or time-bound DAY statistics of the
        organization, or per post with ``shares=List(…)``/``ugcPosts=List(…)``.
        ``uniqueImpressionsCount`` only in lifetime answers; 12 rolling months."""
        member, error = checked(request)
        if error:
            return error
        args = request.args
        entity = args.get("organizationalEntity", "")
        if args.get("q") != "organizationalEntity" or not entity.startswith(ORG):
            return app.error(
                PREFIX,
                400,
                "INVALID_REQUEST",
                "q=organizationalEntity and organizationalEntity are required.",
            )
        if not any(f"{ORG}{org}" == entity for org, _role in acl(member)):
            return denied(f"organizationalEntityShareStatistics of {entity}")
        urns = [
            urn
            for key in ("shares", "ugcPosts")
            for urn in _restli_list(args.get(key, ""))
        ]
        intervals = args.get("timeIntervals", "")
        elements: list[dict[str, Any]] = []
        if urns:
            for urn in urns:
                post = state.find_post(PREFIX, urn)
                if post is None or post["deleted"] or post["account_id"] != entity:
                    continue
                stats: dict[str, Any] = {
                    name: figures.lifetime(PREFIX, urn, name, post["created_at"])
                    for name in LIFETIME_STATS
                }
                stats["engagement"] = _engagement(stats)
                key = "ugcPost" if ":ugcPost:" in urn else "share"
                elements.append(
                    {
                        "organizationalEntity": entity,
                        key: urn,
                        "totalShareStatistics": stats,
                    }
                )
        elif intervals:
            match = regex.search(
                r"start:(\d+),end:(\d+)\).*timeGranularityType:(DAY|MONTH)", intervals
            )
            if match is None or match[3] != "DAY":
                return app.error(
                    PREFIX,
                    400,
                    "INVALID_REQUEST",
                    "timeIntervals must be (timeRange:(start:…,end:…),timeGranularityType:DAY).",
                )
            start = datetime.datetime.fromtimestamp(int(match[1]) / 1000, datetime.UTC)
            end = datetime.datetime.fromtimestamp(int(match[2]) / 1000, datetime.UTC)
            oldest = utcnow() - datetime.timedelta(days=365)
            posted = figures.posts_per_day(state.live_posts(PREFIX, entity), 0)
            moment = max(
                start, oldest.replace(hour=0, minute=0, second=0, microsecond=0)
            )
            today = utcnow().date()
            while moment < end and moment.date() < today:
                day = moment.date()
                stats = {
                    name: figures.daily(PREFIX, entity, name, day, posted.get(day, 0))
                    for name in DAILY_STATS
                }
                stats["engagement"] = _engagement(stats)
                following = moment + datetime.timedelta(days=1)
                elements.append(
                    {
                        "organizationalEntity": entity,
                        "timeRange": {
                            "start": int(moment.timestamp() * 1000),
                            "end": int(following.timestamp() * 1000),
                        },
                        "totalShareStatistics": stats,
                    }
                )
                moment = following
        else:
            posts = state.live_posts(PREFIX, entity)
            stats = {
                name: sum(
                    figures.lifetime(PREFIX, p["id"], name, p["created_at"])
                    for p in posts
                )
                for name in LIFETIME_STATS
            }
            stats["engagement"] = _engagement(stats)
            elements.append(
                {"organizationalEntity": entity, "totalShareStatistics": stats}
            )
        return json_response(
            {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}
        )

    @app.route(PREFIX, "/rest/networkSizes/<urn>", ("GET",))
    def network_size(request: Request, urn: str) -> Response:
        """The organization's follower count (``edgeType=COMPANY_FOLLOWED_BY_MEMBER``)."""
        _member, error = checked(request)
        if error:
            return error
        if not urn.startswith(ORG):
            return app.error(PREFIX, 404, "NOT_FOUND", f"{urn} not found")
        return json_response(
            {"firstDegreeSize": figures.followers(PREFIX, urn, utcnow().date())}
        )

    @app.route(PREFIX, "/rest/posts", ("GET",))
    def find_posts(request: Request) -> Response:
        member, error = checked(request)
        if error:
            return error
        author = request.args.get("author", "")
        if request.args.get("q") != "author" or not author:
            return app.error(
                PREFIX, 400, "INVALID_REQUEST", "q=author and author are required."
            )
        if not can_post(member, author):
            return denied(f"posts.finder as {author}")
        start = int(request.args.get("start", "0") or 0)
        count = min(100, int(request.args.get("count", "10") or 10))
        posts = sorted(state.live_posts(PREFIX, author), key=_millis, reverse=True)
        elements = [
            {
                "id": p["id"], "author": author, "commentary": p["commentary"], "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED", "createdAt": _millis(p), "publishedAt": _millis(p),
                "lastModifiedAt": _millis(p), "distribution": {"feedDistribution": "MAIN_FEED"},
                **({"content": p["content"]} if p.get("content") else {}),
            }
            for p in posts[start : start + count]
        ]  # fmt: skip
        return json_response(
            {
                "paging": {
                    "start": start,
                    "count": count,
                    "total": len(posts),
                    "links": [],
                },
                "elements": elements,
            }
        )

    def activity_of(post: dict[str, Any]) -> str:
        return f"urn:li:activity:7{int(post['id'].rsplit(':', 1)[-1][-9:]):018d}"

    def citizen_comment(urn: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The citizen's comment ``urn:li:comment:(<activity>,<id>)`` and its post."""
        inner = urn.removeprefix("urn:li:comment:(").removesuffix(")")
        activity, _sep, number = inner.rpartition(",")
        if not urn.startswith("urn:li:comment:(") or not number.isdigit():
            return None
        with state.lock:
            item = next(
                (
                    i
                    for i in state.inbound.get(PREFIX, [])
                    if i["id"] == number and i["kind"] == "comment"
                ),
                None,
            )
        post = state.find_post(PREFIX, str(item["post_id"])) if item else None
        if item is None or post is None or post["deleted"]:
            return None
        return (item, post) if activity_of(post) == activity else None

    def nested_row(reply: dict[str, Any]) -> dict[str, Any]:
        millis = int(reply["created_at"].timestamp() * 1000)
        return {
            "id": reply["id"].rstrip(")").rsplit(",", 1)[-1],
            "commentUrn": reply["id"],
            "actor": reply["account_id"],
            "created": {"actor": reply["account_id"], "time": millis},
            "lastModified": {"actor": reply["account_id"], "time": millis},
            "message": {"text": reply["text"], "attributes": []},
            "object": reply["object"],
            "parentComment": reply["parent"],
        }

    @app.route(PREFIX, "/rest/socialActions/<urn>/comments", ("POST",))
    def create_comment(request: Request, urn: str) -> Response:
        """A nested comment (a reply) under a citizen's comment, as the
        organization: body ``actor``, ``object`` (the post or its activity),
        ``message.text`` and ``parentComment`` (the comment in the path).
        Answered 201 with the comment and its URN in ``x-restli-id``. Not in
        our reference notes: shape after LinkedIn's Comments API page; the
        1 250-character limit (knob ``max_comment``) is UNVERIFIED."""
        member, error = checked(request)
        if error:
            return error
        found = citizen_comment(urn)
        if found is None:
            return app.error(PREFIX, 404, "NOT_FOUND", f"Not found: {urn}")
        _item, post = found
        body = request.get_json(silent=True) or {}
        missing = [f for f in ("actor", "object", "message") if not body.get(f)]
        if missing:
            return app.error(
                PREFIX,
                422,
                "UNPROCESSABLE_ENTITY",
                f"ERROR :: missing required fields {missing}",
            )
        actor = str(body["actor"])
        if not can_post(member, actor) or actor != post["account_id"]:
            return denied(f"socialActions.comments.create as {actor}")
        if str(body["object"]) not in (post["id"], activity_of(post)):
            return app.error(
                PREFIX, 400, "INVALID_REQUEST", f"object does not match {urn}"
            )
        if str(body.get("parentComment") or "") != urn:
            return app.error(
                PREFIX,
                400,
                "INVALID_REQUEST",
                "parentComment must be the comment in the request path",
            )
        text = str((body.get("message") or {}).get("text") or "")
        if not text.strip():
            return app.error(
                PREFIX, 422, "UNPROCESSABLE_ENTITY", "ERROR :: /message/text :: empty"
            )
        limit = int(state.knob(PREFIX, "max_comment", 1250))
        if len(text) > limit:
            return app.error(
                PREFIX,
                422,
                "UNPROCESSABLE_ENTITY",
                f"ERROR :: /message/text :: length {len(text)} exceeds maximum {limit}",
            )
        reply = state.add_post(
            f"{PREFIX}:replies", actor, text,
            id=f"urn:li:comment:({activity_of(post)},{state.new_id()})",
            parent=urn, object=str(body["object"]),
        )  # fmt: skip
        return json_response(nested_row(reply), 201, {"x-restli-id": reply["id"]})

    @app.route(PREFIX, "/rest/socialActions/<urn>/comments", ("GET",))
    def comments(request: Request, urn: str) -> Response:
        """Comments on one of the organization's posts (Community Management
        API ``socialActions/{urn}/comments``), oldest first, ``start``/``count``
        paging (count at most 100); for a comment URN, the nested comments
        under it."""
        member, error = checked(request)
        if error:
            return error
        start = int(request.args.get("start", "0") or 0)
        count = min(100, int(request.args.get("count", "10") or 10))
        if urn.startswith("urn:li:comment:"):
            found = citizen_comment(urn)
            if found is None:
                return app.error(PREFIX, 404, "NOT_FOUND", f"Not found: {urn}")
            if not can_post(member, str(found[1]["account_id"])):
                return denied(f"socialActions.comments of {urn}")
            nested = [
                r for r in state.live_posts(f"{PREFIX}:replies") if r["parent"] == urn
            ]
            return json_response(
                {
                    "paging": {
                        "start": start,
                        "count": count,
                        "total": len(nested),
                        "links": [],
                    },
                    "elements": [nested_row(r) for r in nested[start : start + count]],
                }
            )
        post = state.find_post(PREFIX, urn)
        if post is None or post["deleted"]:
            return app.error(PREFIX, 404, "NOT_FOUND", f"Not found: {urn}")
        if not can_post(member, str(post["account_id"])):
            return denied(f"socialActions.comments of {urn}")
        rows = [
            i
            for i in inbound.items(state, PREFIX, str(post["account_id"]))
            if i["kind"] == "comment" and i["post_id"] == urn
        ]
        rows.sort(key=lambda i: (i["created_at"], int(i["id"])))
        activity = activity_of(post)
        elements = []
        for item in rows[start : start + count]:
            millis = int(item["created_at"].timestamp() * 1000)
            actor = f"urn:li:person:{item['author']}"
            elements.append(
                {
                    "id": item["id"],
                    "commentUrn": f"urn:li:comment:({activity},{item['id']})",
                    "actor": actor,
                    "created": {"actor": actor, "time": millis},
                    "lastModified": {"actor": actor, "time": millis},
                    "message": {"text": item["text"], "attributes": []},
                    "object": urn,
                }
            )
        return json_response(
            {
                "paging": {
                    "start": start,
                    "count": count,
                    "total": len(rows),
                    "links": [],
                },
                "elements": elements,
            }
        )

    @app.route(PREFIX, "/rest/posts/<urn>", ("DELETE",))
    def delete_post(request: Request, urn: str) -> Response:
        member, error = checked(request)
        if error:
            return error
        with state.lock:
            post = state.find_post(PREFIX, urn)
            if post is None or post["deleted"]:
                return app.error(PREFIX, 404, "NOT_FOUND", f"Post {urn} not found.")
            if not can_post(member, post["account_id"]):
                return denied(f"posts.delete {urn}")
            post["deleted"] = True
        return Response(status=204)

    # -- web pages ----------------------------------------------------------------

    @app.route(PREFIX, "/feed/update/<urn>/")
    def post_page(request: Request, urn: str) -> Response:
        post = state.find_post(PREFIX, urn)
        if post is None:
            return Response(
                "<!doctype html><p>Esta publicación no existe en la red de práctica de Pregonero.</p>",
                status=404,
                mimetype="text/html",
            )
        org = organization(post["account_id"].removeprefix(ORG))
        paragraphs = [post["text"], f"Imágenes: {len(post.get('media') or [])}"]
        if post["deleted"]:
            paragraphs.append("Esta publicación fue eliminada.")
        return _page(org["localizedName"], paragraphs)

    @app.route(PREFIX, "/company/<vanity>/")
    def company_page(request: Request, vanity: str) -> Response:
        with state.lock:
            org = next(
                (
                    a
                    for (n, _id), a in state.accounts.items()
                    if n == PREFIX and a.get("vanityName") == vanity
                ),
                None,
            )
        if org is None:
            return Response(
                "<!doctype html><p>Página no encontrada.</p>",
                status=404,
                mimetype="text/html",
            )
        posts = state.live_posts(PREFIX, f"{ORG}{org['account_id']}")
        return _page(org["localizedName"], [f"Publicaciones: {len(posts)}"])
