"""A practice Bluesky PDS under ``/bluesky`` (reference §7.B).

XRPC at the real paths (``/xrpc/<nsid>``), plus the AppView reads a PDS
proxies for metrics (``app.bsky.feed.getPosts`` with the posts' counts,
``app.bsky.actor.getProfile`` with ``followersCount``; figures from
``figures``): sessions from an app password
(``createSession``, ``refreshSession``, ``getSession``; the tokens are unsigned
JWTs with ``exp``, as the atproto client expects, §7.B.9), ``resolveHandle``,
``uploadBlob``, ``putRecord`` (compare-and-swap with ``swapRecord``; ``null``
means "only if absent" → ``InvalidSwap``), ``getRecord``, ``listRecords`` and
``deleteRecord`` for ``app.bsky.feed.post``. A reply record's
``reply{root, parent}`` must be two strong refs whose parent is a post this
server knows (the account's or a citizen's from the inbound store, which
``getPosts`` also serves). Records are validated as the PDS
does (300 graphemes and 3,000 bytes of text, at most 4 images of at most
1,000,000 bytes, the ``alt`` field, a TID record key) and the facets' byte
ranges are checked against the text so an offset bug shows. Errors are XRPC
``{"error": Name, "message": ...}``; a 429 carries ``RateLimit-*`` headers
with a UNIX reset time (§7.B.6).

Training account: did ``did:plc:cvpbogota0000000000000000``, handle
``cvpbogota.bsky.social`` ("Caja de la Vivienda Popular"), app password
``abcd-efgh-ijkl-mnop``; ``bogota.gov.co`` also resolves, for mentions. Posts
are shown at ``/bluesky/profile/<handle>/post/<rkey>``.

Knobs (``state.config["bluesky"]``): ``pds_endpoint`` (this server: the PDS
named in the session's didDoc), ``refresh_token_seconds`` (90 days),
``rate_limit_reset_seconds`` (60), ``max_blob_size`` (50 MB). The access
token lifetime is ``state.access_token_seconds["bluesky"]`` (2 hours).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import re
import secrets
import time
import zlib
from typing import Any

import regex  # type: ignore[import-untyped]
from werkzeug.wrappers import Request, Response

from . import figures, inbound
from .core import SandboxApp, SandboxState, bearer, json_response, unsigned_jwt
from .core import utcnow as now

NETWORK = "bluesky"
COLLECTION = "app.bsky.feed.post"
DEFAULT_DID = "did:plc:cvpbogota0000000000000000"
DEFAULT_HANDLE = "cvpbogota.bsky.social"
DEFAULT_ACCOUNT = {
    "handle": DEFAULT_HANDLE,
    "display_name": "Caja de la Vivienda Popular",
    "email": "comunicaciones@cajaviviendapopular.gov.co",
    "app_password": "abcd-efgh-ijkl-mnop",
}
# Other handles a trainee may mention.
DIRECTORY = {"bogota.gov.co": "did:plc:bogotagovco000000000000000"}
ACCESS_SECONDS = 7200
REFRESH_SECONDS = 90 * 24 * 3600
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def cid_for(data: bytes, prefix: str = "bafyrei") -> str:
    digest = (
        base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")
    )
    return prefix + digest[:52]


def accounts(state: SandboxState) -> dict[str, dict[str, Any]]:
    """Every account by did: the training one plus any a test added with
    ``state.account("bluesky", did, handle=..., app_password=...)``."""
    with state.lock:
        found = {DEFAULT_DID: {"account_id": DEFAULT_DID, **DEFAULT_ACCOUNT}}
        for (network, did), record in state.accounts.items():
            if network == NETWORK:
                found[did] = {**found.get(did, {}), **record}
        return found


def register(app: SandboxApp) -> None:
    state = app.state

    def formatter(status: int, code: str, message: str) -> Response:
        headers: dict[str, str] = {}
        if status == 429:
            code, message = "RateLimitExceeded", "Rate Limit Exceeded"
            reset = time.time() + float(
                state.knob(NETWORK, "rate_limit_reset_seconds", 60)
            )
            headers = {
                "RateLimit-Limit": "3000",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(int(reset)),
                "RateLimit-Policy": "3000;w=300",
            }
        elif status >= 500 and code == "internal":
            code = "InternalServerError"
        return json_response({"error": code, "message": message}, status, headers)

    app.errors(NETWORK, formatter)

    def error(status: int, name: str, message: str) -> Response:
        return app.error(NETWORK, status, name, message)

    def authenticate(request: Request) -> str | Response:
        """The session's did, or the PDS's XRPC auth error."""
        token = bearer(request)
        if not token:
            return error(401, "AuthenticationRequired", "Authentication Required")
        record = state.token(NETWORK, token)
        if record is not None:
            return record.account_id
        problem = state.token_problem(NETWORK, token)
        if problem == "expired":
            return error(400, "ExpiredToken", "Token has expired")
        if problem == "revoked":
            return error(401, "InvalidToken", "Token has been revoked")
        return error(400, "InvalidToken", "Malformed token")

    def repo_did(value: str) -> str | None:
        for did, account in accounts(state).items():
            if value in (did, account.get("handle")):
                return did
        return None

    def pds() -> str:
        return str(state.knob(NETWORK, "pds_endpoint", "") or app.url("/bluesky"))

    # -- sessions -------------------------------------------------------------------

    def session(did: str) -> dict[str, Any]:
        account = accounts(state)[did]
        lifetime = state.access_token_seconds.get(NETWORK, ACCESS_SECONDS)
        refresh_lifetime = int(
            state.knob(NETWORK, "refresh_token_seconds", REFRESH_SECONDS)
        )
        issued = int(time.time())
        audience = "did:web:sandbox.pregonero"
        access = unsigned_jwt(
            {"scope": "com.atproto.appPass", "sub": did, "aud": audience, "iat": issued,
             "exp": issued + lifetime, "jti": secrets.token_hex(8)}
        )  # fmt: skip
        refresh = unsigned_jwt(
            {"scope": "com.atproto.refresh", "sub": did, "aud": audience, "iat": issued,
             "exp": issued + refresh_lifetime, "jti": secrets.token_hex(8)}
        )  # fmt: skip
        state.issue_tokens(
            NETWORK,
            did,
            expires_in=lifetime,
            access_token=access,
            refresh_token=refresh,
        )
        with state.lock:
            state.tokens[refresh].expires_at = now() + datetime.timedelta(
                seconds=refresh_lifetime
            )
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": account["handle"],
            "did": did,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "alsoKnownAs": [f"at://{account['handle']}"],
                "verificationMethod": [],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": pds(),
                    }
                ],
            },
            "email": account.get("email", ""),
            "emailConfirmed": True,
            "active": True,
        }

    @app.route(NETWORK, "/xrpc/com.atproto.server.createSession", ("POST",))
    def create_session(request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        identifier = str(data.get("identifier", "")).lower()
        password = str(data.get("password", ""))
        if not identifier or not password:
            return error(
                400,
                "InvalidRequest",
                'Input must have the property "identifier" and "password"',
            )
        for did, account in accounts(state).items():
            if identifier in (did, account.get("handle"), account.get("email")):
                if password == account.get("app_password"):
                    return json_response(session(did))
                break
        return error(401, "AuthenticationRequired", "Invalid identifier or password")

    @app.route(NETWORK, "/xrpc/com.atproto.server.refreshSession", ("POST",))
    def refresh_session(request: Request) -> Response:
        token = bearer(request)
        problem = state.token_problem(NETWORK, token, "refresh")
        if problem == "expired":
            return error(400, "ExpiredToken", "Token has expired")
        if problem:
            return error(400, "InvalidToken", "Token has been revoked")
        with state.lock:
            record = state.tokens[token]
            record.revoked = True  # rotated: the old refresh token is spent
        return json_response(session(record.account_id))

    @app.route(NETWORK, "/xrpc/com.atproto.server.getSession")
    def get_session(request: Request) -> Response:
        did = authenticate(request)
        if isinstance(did, Response):
            return did
        account = accounts(state).get(did, {"handle": did})
        return json_response(
            {"handle": account["handle"], "did": did, "email": account.get("email", ""),
             "emailConfirmed": True, "active": True}
        )  # fmt: skip

    @app.route(NETWORK, "/xrpc/com.atproto.identity.resolveHandle")
    def resolve_handle(request: Request) -> Response:
        handle = request.args.get("handle", "").lower()
        did = DIRECTORY.get(handle) or repo_did(handle)
        if not did:
            return error(400, "InvalidRequest", "Unable to resolve handle")
        return json_response({"did": did})

    # -- blobs and records ---------------------------------------------------------

    @app.route(NETWORK, "/xrpc/com.atproto.repo.uploadBlob", ("POST",))
    def upload_blob(request: Request) -> Response:
        did = authenticate(request)
        if isinstance(did, Response):
            return did
        data = request.get_data()
        mime = request.mimetype or "application/octet-stream"
        if len(data) > int(state.knob(NETWORK, "max_blob_size", 52_428_800)):
            return error(400, "BlobTooLarge", "This file is too large.")
        cid = cid_for(data, "bafkrei")
        state.add_media(NETWORK, id=cid, account_id=did, mime=mime, size=len(data))
        return json_response(
            {
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": mime,
                    "size": len(data),
                }
            }
        )

    def check_facets(text: str, facets: Any) -> str:
        raw = text.encode("utf-8")
        for number, facet in enumerate(facets if isinstance(facets, list) else []):
            index = facet.get("index", {}) if isinstance(facet, dict) else {}
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (
                isinstance(start, int)
                and isinstance(end, int)
                and 0 <= start < end <= len(raw)
            ):
                return f"Record/facets/{number}/index is out of range"
            try:
                raw[start:end].decode("utf-8")
            except UnicodeDecodeError:
                return f"Record/facets/{number}/index does not fall on character boundaries"
        return ""

    def check_reply(reply: Any) -> str:
        """The lexicon's ``reply{root, parent}``: two strong refs (``uri`` an AT
        URI, ``cid``). The parent must be a post this server knows."""
        if not isinstance(reply, dict):
            return "Record/reply must be an object"
        for name in ("root", "parent"):
            ref = reply.get(name)
            if not isinstance(ref, dict):
                return f'Record/reply must have the property "{name}"'
            for field in ("uri", "cid"):
                if not isinstance(ref.get(field), str) or not ref[field]:
                    return f'Record/reply/{name} must have the property "{field}"'
            if not ref["uri"].startswith("at://"):
                return f"Record/reply/{name}/uri must be a valid at-uri"
        parent = post_view(reply["parent"]["uri"])
        if parent is None or parent["cid"] != reply["parent"]["cid"]:
            return "Record/reply/parent: could not locate the post replied to"
        return ""

    def check_record(did: str, record: Any) -> Response | None:
        """The PDS's lexicon validation of an app.bsky.feed.post (the main rules)."""
        if not isinstance(record, dict) or record.get("$type") != COLLECTION:
            return error(
                400, "InvalidRequest", "Invalid $type: expected app.bsky.feed.post"
            )
        text = record.get("text")
        if not isinstance(text, str) or not isinstance(record.get("createdAt"), str):
            return error(
                400,
                "InvalidRequest",
                'Record must have the properties "text" and "createdAt"',
            )
        if len(regex.findall(r"\X", text)) > 300:
            return error(
                400,
                "InvalidRequest",
                "Record/text must not be longer than 300 graphemes",
            )
        if len(text.encode("utf-8")) > 3000:
            return error(
                400,
                "InvalidRequest",
                "Record/text must not be longer than 3000 characters",
            )
        if len(record.get("langs", [])) > 3:
            return error(
                400, "InvalidRequest", "Record/langs must not have more than 3 elements"
            )
        problem = check_facets(text, record.get("facets", []))
        if problem:
            return error(400, "InvalidRequest", problem)
        if "reply" in record:
            problem = check_reply(record["reply"])
            if problem:
                return error(400, "InvalidRequest", problem)
        embed = record.get("embed")
        if embed is None:
            return None
        if embed.get("$type") != "app.bsky.embed.images":
            return error(
                400,
                "InvalidRequest",
                "Record/embed: only app.bsky.embed.images in the sandbox",
            )
        images = embed.get("images", [])
        if not 1 <= len(images) <= 4:
            return error(
                400,
                "InvalidRequest",
                "Record/embed/images must not have more than 4 elements",
            )
        for number, image in enumerate(images):
            if not isinstance(image.get("alt"), str):
                return error(
                    400,
                    "InvalidRequest",
                    f'Record/embed/images/{number} must have the property "alt"',
                )
            ref = (image.get("image") or {}).get("ref", {}).get("$link", "")
            blob = state.get_media(NETWORK, ref)
            if blob is None or blob["account_id"] != did:
                return error(400, "InvalidRequest", f"Could not find blob: {ref}")
            if not str(blob["mime"]).startswith("image/"):
                return error(
                    400,
                    "InvalidMimeType",
                    f"Wrong type of file. It is {blob['mime']} but it must match image/*.",
                )
            if blob["size"] > 1_000_000:
                return error(
                    400,
                    "BlobTooLarge",
                    f"This file is too large. It is {blob['size']} bytes but the maximum size is 1000000 bytes.",
                )
        return None

    def live_record(did: str, rkey: str) -> dict[str, Any] | None:
        post = state.find_post(NETWORK, f"at://{did}/{COLLECTION}/{rkey}")
        return post if post is not None and not post["deleted"] else None

    @app.route(NETWORK, "/xrpc/com.atproto.repo.putRecord", ("POST",))
    def put_record(request: Request) -> Response:
        did = authenticate(request)
        if isinstance(did, Response):
            return did
        data = request.get_json(silent=True) or {}
        if repo_did(str(data.get("repo", ""))) != did and data.get("repo") != did:
            return error(
                400, "InvalidRequest", "Invalid repo: not the session's account"
            )
        if data.get("collection") != COLLECTION:
            return error(
                400, "InvalidRequest", "The sandbox stores only app.bsky.feed.post"
            )
        rkey = str(data.get("rkey", ""))
        if not TID_RE.match(rkey):
            return error(
                400,
                "InvalidRequest",
                "Invalid record key: app.bsky.feed.post needs a TID",
            )
        record = data.get("record")
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            return error(
                400, "InvalidRequest", "Input/record must be an object with text"
            )
        if data.get("validate") is not False:
            problem = check_record(did, record)
            if problem is not None:
                return problem
        cid = cid_for(json.dumps(record, sort_keys=True).encode())
        uri = f"at://{did}/{COLLECTION}/{rkey}"
        with state.lock:
            current = live_record(did, rkey)
            if "swapRecord" in data:
                swap = data["swapRecord"]
                if (swap is None and current is not None) or (
                    swap is not None and (current is None or current["cid"] != swap)
                ):
                    found = current["cid"] if current else "null"
                    return error(400, "InvalidSwap", f"Record was at {found}")
            parent = ((record.get("reply") or {}).get("parent") or {}).get("uri", "")
            if current is not None:
                current.update(
                    text=record["text"], record=record, cid=cid, reply_to=parent
                )
            else:
                state.add_post(
                    NETWORK,
                    did,
                    record["text"],
                    id=uri,
                    rkey=rkey,
                    cid=cid,
                    record=record,
                    reply_to=parent,
                    # A reply is not a post citizens comment on in the sandbox.
                    inbound_seeded=bool(parent),
                )
        rev = cid_for(f"{uri}{time.time_ns()}".encode())
        return json_response(
            {"uri": uri, "cid": cid, "commit": {"cid": rev, "rev": rkey}, "validationStatus": "valid"}
        )  # fmt: skip

    # -- AppView reads proxied by the PDS (§7.B.5) ----------------------------------

    @app.route(NETWORK, "/xrpc/app.bsky.feed.getPosts")
    def get_posts(request: Request) -> Response:
        """PostViews with their counts for up to 25 ``uris``; unknown ones are
        left out, as the AppView does."""
        caller = authenticate(request)
        if isinstance(caller, Response):
            return caller
        uris = request.args.getlist("uris")
        if not 1 <= len(uris) <= 25:
            return error(400, "InvalidRequest", "uris must hold 1 to 25 AT URIs")
        views = []
        for uri in uris:
            parts = uri.removeprefix("at://").split("/")
            if len(parts) != 3:
                continue
            did = repo_did(parts[0]) or parts[0]
            post = live_record(did, parts[2]) if parts[1] == COLLECTION else None
            if post is None:
                citizen = citizen_post(uri)
                if citizen is not None:
                    views.append(citizen)
                continue
            account = accounts(state).get(did, {"handle": did})
            created = post["created_at"]
            views.append(
                {
                    "uri": post["id"],
                    "cid": post["cid"],
                    "author": {
                        "did": did,
                        "handle": account["handle"],
                        "displayName": account.get("display_name", ""),
                    },
                    "record": post["record"],
                    "indexedAt": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    **{
                        name: figures.lifetime(NETWORK, post["id"], name, created)
                        for name in (
                            "likeCount",
                            "repostCount",
                            "replyCount",
                            "quoteCount",
                            "bookmarkCount",
                        )
                    },
                }
            )
        return json_response({"posts": views})

    def stamp(moment: datetime.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def citizen_view(item: dict[str, Any]) -> dict[str, Any]:
        """A citizen's post (an inbound item) as the AppView shows it."""
        author = f"{item['author'].replace('_', '-').replace('.', '-')}.bsky.social"
        did = f"did:plc:ciudadano{zlib.crc32(author.encode()):016d}"
        record: dict[str, Any] = {
            "$type": COLLECTION,
            "text": item["text"],
            "createdAt": stamp(item["created_at"]),
        }
        if item["post_id"]:
            post = state.find_post(NETWORK, item["post_id"])
            ref = {"uri": item["post_id"], "cid": (post or {}).get("cid", "")}
            record["reply"] = {"root": ref, "parent": ref}
        return {
            "uri": f"at://{did}/{COLLECTION}/3l{int(item['id']):011d}",
            "cid": f"bafyrei{int(item['id']):020d}",
            "author": {
                "did": did,
                "handle": author,
                "displayName": item["author_name"],
            },
            "record": record,
            "indexedAt": stamp(item["indexed_at"]),
        }

    def citizen_post(uri: str) -> dict[str, Any] | None:
        """The inbound item whose post is at ``uri``, as a PostView."""
        rkey = uri.rsplit("/", 1)[-1]
        if not rkey.startswith("3l") or not rkey[2:].isdigit():
            return None
        number = str(int(rkey[2:]))
        with state.lock:
            for item in state.inbound.get(NETWORK, []):
                if item["id"] == number:
                    view = citizen_view(item)
                    return view if view["uri"] == uri else None
        return None

    def post_view(uri: str) -> dict[str, Any] | None:
        """``uri`` and ``cid`` of a post this server knows (ours or a citizen's)."""
        parts = uri.removeprefix("at://").split("/")
        if len(parts) == 3 and parts[1] == COLLECTION:
            post = live_record(repo_did(parts[0]) or parts[0], parts[2])
            if post is not None:
                return {"uri": post["id"], "cid": post["cid"]}
        return citizen_post(uri)

    @app.route(NETWORK, "/xrpc/app.bsky.notification.listNotifications")
    def list_notifications(request: Request) -> Response:
        """Notifications newest first (by ``indexedAt``), paged by ``cursor``,
        filtered by ``reasons``; mentions and replies to the account's posts
        (reference §7.B.5). Chat messages live in another service (not here)."""
        caller = authenticate(request)
        if isinstance(caller, Response):
            return caller
        try:
            size = int(request.args.get("limit", "50"))
        except ValueError:
            size = 0
        if not 1 <= size <= 100:
            return error(400, "InvalidRequest", "limit must be between 1 and 100")
        reasons = set(request.args.getlist("reasons")) or {"mention", "reply"}
        rows = []
        for item in reversed(inbound.items(state, NETWORK, caller)):
            reason = {"comment": "reply", "mention": "mention"}.get(item["kind"])
            if reason in reasons:
                rows.append((reason, item))
        start = int(request.args.get("cursor") or 0)
        page = rows[start : start + size]

        views: list[dict[str, Any]] = []
        for reason, item in page:
            views.append(
                {
                    **citizen_view(item),
                    "reason": reason,
                    "reasonSubject": item["post_id"] or None,
                    "isRead": False,
                    "labels": [],
                }
            )
        body: dict[str, Any] = {"notifications": views}
        if start + size < len(rows):
            body["cursor"] = str(start + size)
        return json_response(body)

    @app.route(NETWORK, "/xrpc/app.bsky.actor.getProfile")
    def get_profile(request: Request) -> Response:
        caller = authenticate(request)
        if isinstance(caller, Response):
            return caller
        actor = request.args.get("actor", "")
        did = repo_did(actor)
        if did is None:
            return error(400, "InvalidRequest", "Profile not found")
        account = accounts(state).get(did, {"handle": did})
        return json_response(
            {
                "did": did,
                "handle": account["handle"],
                "displayName": account.get("display_name", ""),
                "followersCount": figures.followers(
                    NETWORK, did, (now() - datetime.timedelta(hours=5)).date()
                ),
                "followsCount": 120,
                "postsCount": len(state.live_posts(NETWORK, did)),
            }
        )

    @app.route(NETWORK, "/xrpc/com.atproto.repo.getRecord")
    def get_record(request: Request) -> Response:
        if bearer(request):
            caller = authenticate(request)
            if isinstance(caller, Response):
                return caller
        args = request.args
        did = repo_did(args.get("repo", "")) or args.get("repo", "")
        rkey = args.get("rkey", "")
        post = live_record(did, rkey) if args.get("collection") == COLLECTION else None
        uri = f"at://{did}/{args.get('collection', '')}/{rkey}"
        if post is None:
            return error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return json_response({"uri": uri, "cid": post["cid"], "value": post["record"]})

    @app.route(NETWORK, "/xrpc/com.atproto.repo.listRecords")
    def list_records(request: Request) -> Response:
        args = request.args
        did = repo_did(args.get("repo", "")) or args.get("repo", "")
        try:
            count = max(1, min(100, int(args.get("limit", "50"))))
        except ValueError:
            return error(400, "InvalidRequest", "limit must be an integer")
        reverse = args.get("reverse") == "true"
        posts = [
            p
            for p in state.live_posts(NETWORK, did)
            if args.get("collection") == COLLECTION
        ]
        posts.sort(key=lambda p: p["rkey"], reverse=not reverse)  # newest key first
        cursor = args.get("cursor", "")
        if cursor:
            posts = [
                p
                for p in posts
                if (p["rkey"] > cursor if reverse else p["rkey"] < cursor)
            ]
        page = posts[:count]
        body: dict[str, Any] = {
            "records": [
                {"uri": p["id"], "cid": p["cid"], "value": p["record"]} for p in page
            ]
        }
        if len(posts) > count:
            body["cursor"] = page[-1]["rkey"]
        return json_response(body)

    @app.route(NETWORK, "/xrpc/com.atproto.repo.deleteRecord", ("POST",))
    def delete_record(request: Request) -> Response:
        did = authenticate(request)
        if isinstance(did, Response):
            return did
        data = request.get_json(silent=True) or {}
        if repo_did(str(data.get("repo", ""))) != did and data.get("repo") != did:
            return error(
                400, "InvalidRequest", "Invalid repo: not the session's account"
            )
        with state.lock:
            post = live_record(did, str(data.get("rkey", "")))
            if post is not None:
                post["deleted"] = True
        return json_response(
            {"commit": {"cid": cid_for(str(time.time_ns()).encode()), "rev": ""}}
        )

    # -- the web page of a post ------------------------------------------------------

    @app.route(NETWORK, "/profile/<handle>/post/<rkey>")
    def post_page(request: Request, handle: str, rkey: str) -> Response:
        did = repo_did(handle) or handle
        post = live_record(did, rkey)
        if post is None:
            return _page(
                "Publicación no encontrada",
                "<p>Esta publicación no existe o fue eliminada.</p>",
                404,
            )
        account = accounts(state).get(did, {"handle": handle})
        images = (post["record"].get("embed") or {}).get("images", [])
        body = (
            f"<p><strong>{html.escape(str(account.get('display_name', '')))}</strong> "
            f"@{html.escape(str(account['handle']))}</p>"
            f"<article><p>{html.escape(post['text']).replace(chr(10), '<br>')}</p></article>"
            f"<p>Imágenes: {len(images)}</p>"
            f"<p><small>Publicado el {html.escape(str(post['record'].get('createdAt', '')))}</small></p>"
        )
        return _page("Bluesky (red de práctica)", body)


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
