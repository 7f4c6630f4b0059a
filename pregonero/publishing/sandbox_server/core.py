"""The sandbox networks' shared machinery: routing, state, OAuth, fault injection.

One WSGI application serves every imitated network under its own prefix
(``/facebook/…``, ``/x/…``, ``/youtube/…``). Each network module registers its
routes with ``SandboxApp.route`` and an error formatter with
``SandboxApp.errors``; this module keeps the accounts, tokens, posts and media
in memory and injects faults before or after a handler runs.

It follows the networks' documented contracts (see
``reference/social_apis.md``) closely enough for the adapters to speak their
real protocol to it; it is for tests, demos and training, never production.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import html
import itertools
import json
import secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

Handler = Callable[..., Response]
ErrorFormatter = Callable[[int, str, str], Response]


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers=headers or {},
    )


def default_error(status: int, code: str, message: str) -> Response:
    return json_response({"error": code, "message": message}, status)


def unsigned_jwt(claims: dict[str, Any]) -> str:
    """A JWT with ``alg: none`` (clients such as atproto only read its ``exp``)."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# ---------------------------------------------------------------- state


@dataclasses.dataclass
class TokenRecord:
    network: str
    account_id: str
    kind: str  # access or refresh
    expires_at: datetime.datetime | None
    scopes: tuple[str, ...] = ()
    revoked: bool = False


@dataclasses.dataclass
class CodeRecord:
    network: str
    account_id: str
    redirect_uri: str
    code_challenge: str
    scopes: tuple[str, ...]
    client_id: str
    used: bool = False


@dataclasses.dataclass
class Fault:
    """One injected fault.

    ``kind``: ``status`` (answer with ``status``/``code``/``message`` instead of
    running the handler), ``latency`` (sleep ``latency_ms`` then run it),
    ``timeout_after_commit`` (run the handler — the post exists — then hang for
    ``hang_seconds`` so the client times out), ``reset_before`` (close the
    connection without running the handler) or ``reset_after`` (run it, then
    close the connection without answering).
    """

    kind: str
    network: str = ""
    path: str = ""  # a prefix of the request path; "" matches any
    method: str = ""
    status: int = 500
    code: str = "internal"
    message: str = "Injected failure"
    retry_after: float | None = None
    latency_ms: int = 0
    hang_seconds: float = 5.0
    count: int = 1  # how many requests it applies to; 0 means "until cleared"

    def matches(self, network: str, path: str, method: str) -> bool:
        return (
            (not self.network or self.network == network)
            and path.startswith(self.path)
            and (not self.method or self.method.upper() == method.upper())
        )


class SandboxState:
    """Everything the sandbox networks remember, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, TokenRecord] = {}
            self.codes: dict[str, CodeRecord] = {}
            self.accounts: dict[tuple[str, str], dict[str, Any]] = {}
            self.posts: dict[str, list[dict[str, Any]]] = {}
            self.media: dict[str, dict[str, dict[str, Any]]] = {}
            self.idempotency: dict[tuple[str, str], Any] = {}
            self.faults: list[Fault] = []
            self.requests: list[tuple[str, str, str]] = []  # (network, method, path)
            self.latency_ms = 0
            self.access_token_seconds: dict[str, int] = {}
            # Per-network knobs a test may turn (how many polls before media is
            # ready, an instance's character limit, …); each module documents its own.
            self.config: dict[str, dict[str, Any]] = {}
            self._ids = itertools.count(1_000_001)
            # Comments, mentions and messages per network (see ``inbound.py``).
            self.inbound: dict[str, list[dict[str, Any]]] = {}
            self.inbound_seeded: set[tuple[str, str]] = set()
            self.stream_rate = 0.0
            self.stream_burst = 0
            self.stream_since = time.monotonic()
            self.stream_count = 0

    # -- ids, accounts, tokens ------------------------------------------------

    def new_id(self) -> str:
        with self.lock:
            return str(next(self._ids))

    def account(self, network: str, account_id: str, **defaults: Any) -> dict[str, Any]:
        with self.lock:
            return self.accounts.setdefault(
                (network, account_id), {"account_id": account_id, **defaults}
            )

    def issue_tokens(
        self,
        network: str,
        account_id: str,
        *,
        expires_in: int | None = 3600,
        with_refresh: bool = True,
        scopes: tuple[str, ...] = (),
        access_token: str | None = None,
        refresh_token: str | None = None,
    ) -> tuple[str, str | None]:
        with self.lock:
            lifetime = self.access_token_seconds.get(network, expires_in)
            access = access_token or f"{network}-at-{secrets.token_urlsafe(18)}"
            self.tokens[access] = TokenRecord(
                network, account_id, "access",
                utcnow() + datetime.timedelta(seconds=lifetime) if lifetime else None, scopes,
            )  # fmt: skip
            refresh = None
            if with_refresh:
                refresh = refresh_token or f"{network}-rt-{secrets.token_urlsafe(18)}"
                self.tokens[refresh] = TokenRecord(
                    network, account_id, "refresh", None, scopes
                )
            return access, refresh

    def token(
        self, network: str, value: str, kind: str = "access"
    ) -> TokenRecord | None:
        """The valid token record, or None (unknown, revoked, expired, wrong network)."""
        with self.lock:
            record = self.tokens.get(value)
        if (
            record is None
            or record.network != network
            or record.kind != kind
            or record.revoked
        ):
            return None
        if record.expires_at is not None and record.expires_at <= utcnow():
            return None
        return record

    def token_problem(self, network: str, value: str, kind: str = "access") -> str:
        """Why a token is not valid: "missing", "revoked", "expired" or "" when it is."""
        with self.lock:
            record = self.tokens.get(value)
        if record is None or record.network != network or record.kind != kind:
            return "missing"
        if record.revoked:
            return "revoked"
        if record.expires_at is not None and record.expires_at <= utcnow():
            return "expired"
        return ""

    def expire_tokens(self, network: str, account_id: str = "") -> None:
        with self.lock:
            for record in self.tokens.values():
                if (
                    record.network == network
                    and record.kind == "access"
                    and (not account_id or record.account_id == account_id)
                ):
                    record.expires_at = utcnow() - datetime.timedelta(seconds=1)

    def revoke(self, network: str, account_id: str = "") -> None:
        with self.lock:
            for record in self.tokens.values():
                if record.network == network and (
                    not account_id or record.account_id == account_id
                ):
                    record.revoked = True

    # -- posts and media ------------------------------------------------------

    def add_post(
        self, network: str, account_id: str, text: str, **extra: Any
    ) -> dict[str, Any]:
        post = {
            "id": extra.pop("id", None) or self.new_id(),
            "account_id": account_id,
            "text": text,
            "created_at": utcnow(),
            "deleted": False,
            **extra,
        }
        with self.lock:
            self.posts.setdefault(network, []).append(post)
        return post

    def live_posts(self, network: str, account_id: str = "") -> list[dict[str, Any]]:
        with self.lock:
            return [
                p for p in self.posts.get(network, [])
                if not p["deleted"] and (not account_id or p["account_id"] == account_id)
            ]  # fmt: skip

    def find_post(self, network: str, post_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next(
                (p for p in self.posts.get(network, []) if p["id"] == post_id), None
            )

    def add_media(self, network: str, **fields: Any) -> dict[str, Any]:
        media = {
            "id": fields.pop("id", None) or self.new_id(),
            "created_at": utcnow(),
            **fields,
        }
        with self.lock:
            self.media.setdefault(network, {})[media["id"]] = media
        return media

    def get_media(self, network: str, media_id: str) -> dict[str, Any] | None:
        with self.lock:
            return self.media.get(network, {}).get(media_id)

    def knob(self, network: str, name: str, default: Any) -> Any:
        with self.lock:
            return self.config.get(network, {}).get(name, default)

    # -- faults ---------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, network: str, path: str, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(network, path, method):
                    if fault.count == 1:
                        self.faults.remove(fault)
                    elif fault.count > 1:
                        fault.count -= 1
                    return fault
        return None


# ---------------------------------------------------------------- application


class SandboxApp:
    """The WSGI application. ``state`` is shared with the test that runs it."""

    def __init__(
        self, state: SandboxState | None = None, *, base_url: str = ""
    ) -> None:
        self.state = state or SandboxState()
        self.base_url = base_url.rstrip("/")
        self.url_map = Map(strict_slashes=False)
        self.handlers: dict[str, tuple[str, Handler]] = {}
        self.formatters: dict[str, ErrorFormatter] = {}
        self._register_control()

    # -- registration ---------------------------------------------------------

    def route(
        self, network: str, rule: str, methods: tuple[str, ...] = ("GET",)
    ) -> Callable[[Handler], Handler]:
        """Register ``handler(request, **values) -> Response`` at ``/<network><rule>``."""

        def decorator(handler: Handler) -> Handler:
            endpoint = f"{network}:{handler.__name__}:{len(self.handlers)}"
            self.url_map.add(
                Rule(f"/{network}{rule}", endpoint=endpoint, methods=list(methods))
            )
            self.handlers[endpoint] = (network, handler)
            return handler

        return decorator

    def errors(self, network: str, formatter: ErrorFormatter) -> None:
        """How the network writes an error body: ``formatter(status, code, message)``."""
        self.formatters[network] = formatter

    def error(self, network: str, status: int, code: str, message: str) -> Response:
        return self.formatters.get(network, default_error)(status, code, message)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    # -- WSGI -----------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Any:
        request = Request(environ)
        if not self.base_url:
            self.base_url = request.host_url.rstrip("/")
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = default_error(exc.code or 500, "http", exc.description or "")
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return default_error(
                404, "not_found", f"No route for {request.method} {request.path}"
            )
        network, handler = self.handlers[endpoint]
        self.state.requests.append((network, request.method, request.path))
        if self.state.latency_ms and network != "_control":
            time.sleep(self.state.latency_ms / 1000)
        fault = (
            self.state.take_fault(network, request.path, request.method)
            if network != "_control"
            else None
        )
        if fault is not None:
            if fault.kind == "latency":
                time.sleep(fault.latency_ms / 1000)
            elif fault.kind == "status":
                response = self.error(network, fault.status, fault.code, fault.message)
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = str(int(fault.retry_after))
                return response
            elif fault.kind == "reset_before":
                _drop_connection(request)
                return Response(status=500)
        response = handler(request, **values)
        if fault is not None and fault.kind == "timeout_after_commit":
            time.sleep(fault.hang_seconds)
        elif fault is not None and fault.kind == "reset_after":
            _drop_connection(request)
        return response

    # -- control endpoints (for a sandbox running in another process) ----------

    def _register_control(self) -> None:
        @self.route("_control", "/reset", ("POST",))
        def reset(request: Request) -> Response:
            self.state.reset()
            return json_response({"ok": True})

        @self.route("_control", "/faults", ("POST",))
        def faults(request: Request) -> Response:
            data = request.get_json(force=True) or {}
            names = {f.name for f in dataclasses.fields(Fault)}
            self.state.inject(Fault(**{k: v for k, v in data.items() if k in names}))
            return json_response({"ok": True})

        @self.route("_control", "/latency", ("POST",))
        def latency(request: Request) -> Response:
            self.state.latency_ms = int(
                (request.get_json(force=True) or {}).get("ms", 0)
            )
            return json_response({"ok": True})

        @self.route("_control", "/expire", ("POST",))
        def expire(request: Request) -> Response:
            data = request.get_json(force=True) or {}
            self.state.expire_tokens(data["network"], data.get("account_id", ""))
            return json_response({"ok": True})

        @self.route("_control", "/revoke", ("POST",))
        def revoke(request: Request) -> Response:
            data = request.get_json(force=True) or {}
            self.state.revoke(data["network"], data.get("account_id", ""))
            return json_response({"ok": True})

        @self.route("_control", "/stream", ("POST",))
        def stream(request: Request) -> Response:
            from . import inbound

            data = request.get_json(force=True) or {}
            inbound.set_stream(
                self.state, float(data.get("rate", 0)), int(data.get("burst", 0))
            )
            return json_response({"ok": True})

        @self.route("_control", "/inbound", ("POST",))
        def add_inbound(request: Request) -> Response:
            from . import inbound

            data = request.get_json(force=True) or {}
            created = data.get("created_at")
            item = inbound.add(
                self.state,
                str(data["network"]),
                str(data["account_id"]),
                str(data.get("kind", "mention")),
                str(data.get("text", "")),
                post_id=str(data.get("post_id", "")),
                author=str(data.get("author", "")),
                created_at=datetime.datetime.fromisoformat(created)
                if created
                else None,
            )
            return json_response({"id": item["id"]})

        @self.route("_control", "/posts", ("GET",))
        def posts(request: Request) -> Response:
            network = request.args.get("network", "")
            with self.state.lock:
                rows = [
                    {**p, "created_at": p["created_at"].isoformat()}
                    for p in self.state.posts.get(network, [])
                ]
            return json_response({"posts": rows})


def _drop_connection(request: Request) -> None:
    """Close the client's TCP connection with no answer (a reset, as networks do)."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


# ---------------------------------------------------------------- OAuth 2.0


def bearer(request: Request) -> str:
    """The token from ``Authorization: Bearer``/``OAuth``, or an ``access_token`` parameter."""
    header = request.headers.get("Authorization", "")
    for scheme in ("Bearer ", "OAuth ", "bearer "):
        if header.startswith(scheme):
            return header[len(scheme) :].strip()
    return request.values.get("access_token", "") or ""


def authorize_page(
    app: SandboxApp,
    network: str,
    request: Request,
    *,
    account_id: str,
    handle: str,
    client_param: str = "client_id",
    scope_separator: str = " ",
) -> Response:
    """The consent screen of a sandbox network's OAuth authorization endpoint.

    GET shows a Spanish page with an "Autorizar" button; POST (or GET with
    ``approve=1``, for tests) issues a one-time code and redirects to the
    client's ``redirect_uri`` with ``code`` and ``state``.
    """
    params = request.values
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        return app.error(network, 400, "invalid_request", "redirect_uri is required")
    if request.method == "POST" or params.get("approve") == "1":
        code = secrets.token_urlsafe(24)
        app.state.codes[code] = CodeRecord(
            network=network, account_id=params.get("account_id", account_id),
            redirect_uri=redirect_uri, code_challenge=params.get("code_challenge", ""),
            scopes=tuple(s for s in params.get("scope", "").replace(",", " ").split() if s),
            client_id=params.get(client_param, ""),
        )  # fmt: skip
        app.state.account(network, params.get("account_id", account_id), handle=handle)
        query = {"code": code, "state": params.get("state", "")}
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302,
            headers={
                "Location": f"{redirect_uri}{separator}{urllib.parse.urlencode(query)}"
            },
        )
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, values in params.lists()
        for v in values
    )
    body = (
        '<!doctype html><html lang="es-CO"><head><meta charset="utf-8"><title>Red de práctica</title></head>'
        f"<body><h1>{html.escape(network)} (red de práctica)</h1>"
        f"<p>Pregonero pide permiso para publicar en la cuenta <strong>{html.escape(handle)}</strong>.</p>"
        f'<form method="post">{hidden}<button type="submit">Autorizar</button></form></body></html>'
    )
    return Response(body, mimetype="text/html")


@dataclasses.dataclass
class Grant:
    account_id: str
    scopes: tuple[str, ...]
    access_token: str
    refresh_token: str | None
    expires_in: int | None


def token_grant(
    app: SandboxApp,
    network: str,
    request: Request,
    *,
    expires_in: int | None = 3600,
    with_refresh: bool = True,
    rotate_refresh: bool = False,
) -> Grant | Response:
    """Handle ``grant_type`` authorization_code (with PKCE when a challenge was
    sent) or refresh_token; return a ``Grant`` or an OAuth error response."""
    params = request.values
    grant_type = params.get("grant_type", "")
    state = app.state
    if grant_type == "authorization_code":
        code = state.codes.get(params.get("code", ""))
        if code is None or code.used or code.network != network:
            return app.error(
                network,
                400,
                "invalid_grant",
                "The authorization code is invalid or used.",
            )
        if (
            params.get("redirect_uri")
            and params.get("redirect_uri") != code.redirect_uri
        ):
            return app.error(
                network, 400, "invalid_grant", "redirect_uri does not match."
            )
        if code.code_challenge:
            verifier = params.get("code_verifier", "")
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .decode()
                .rstrip("=")
            )
            if digest != code.code_challenge:
                return app.error(
                    network, 400, "invalid_grant", "PKCE verification failed."
                )
        code.used = True
        access, refresh = state.issue_tokens(
            network, code.account_id, expires_in=expires_in, with_refresh=with_refresh,
            scopes=code.scopes,
        )  # fmt: skip
        return Grant(
            code.account_id,
            code.scopes,
            access,
            refresh,
            state.access_token_seconds.get(network, expires_in),
        )
    if grant_type == "refresh_token":
        value = params.get("refresh_token", "")
        problem = state.token_problem(network, value, "refresh")
        if problem:
            return app.error(
                network, 400, "invalid_grant", f"The refresh token is {problem}."
            )
        record = state.tokens[value]
        access, refresh = state.issue_tokens(
            network, record.account_id, expires_in=expires_in, with_refresh=rotate_refresh,
            scopes=record.scopes,
        )  # fmt: skip
        if rotate_refresh:
            record.revoked = True
        return Grant(
            record.account_id,
            record.scopes,
            access,
            refresh,
            state.access_token_seconds.get(network, expires_in),
        )
    return app.error(
        network,
        400,
        "unsupported_grant_type",
        f"grant_type {grant_type!r} is not supported.",
    )
