"""What the Facebook and Instagram adapters share: both speak Meta's Graph API.

Instagram with Facebook Login lives on ``graph.facebook.com`` too, so the two
adapters share the error envelope and its codes, the rate-limit headers, the
Facebook Login connect flow (code → short-lived user token → long-lived user
token → the Pages the person manages, each with its own Page token) and the
bounded polling of media that is still processing.

Facts come from ``reference/social_apis.md`` §1–§2 (error codes §1.8,
rate-limit headers §1.9, token lifetimes §1.2).
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from django.utils.translation import gettext as _

from .base import (
    Adapter,
    InboundEntry,
    MediaRef,
    OutboundPost,
    RemotePost,
    TokenSet,
    ValidationIssue,
)
from .errors import AdapterError, AuthError, ContentRejected, Duplicate, RateLimited

GRAPH_VERSION = "v26.0"
GRAPH_API_URL = "https://graph.facebook.com"
FACEBOOK_DIALOG_URL = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"
GRAPH_TOKEN_URL = f"{GRAPH_API_URL}/{GRAPH_VERSION}/oauth/access_token"

# Graph error codes (reference §1.8, §2.4) grouped by what the worker does next.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613})
BUC_RATE_LIMIT_CODES = range(80001, 80015)  # Business Use Case throttles, per type
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 190, 2500})
PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
CONTENT_CODES = frozenset({100, 324, 352, 368, 1609005, 9004})
DUPLICATE_CODE = 506
EXPIRED_SUBCODE = 463
IG_NOT_READY = (9007, 2207027)
IG_PUBLISH_LIMIT_SUBCODE = 2207042
# Instagram's publishing quota is a rolling 24 hours (reference §2.5); without a
# header saying otherwise, trying again within minutes only burns attempts.
IG_PUBLISH_LIMIT_RETRY = 3600.0

GraphMapper = Callable[[httpx.Response], AdapterError | None]


def response_json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a Graph response ({} when the body is not one)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def parse_graph_time(value: Any) -> datetime.datetime | None:
    """Graph writes times as ``2026-09-01T10:00:05+0000``; return aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def regain_seconds(response: httpx.Response) -> float | None:
    """Seconds until Meta lets the app call again, from the usage headers.

    ``X-Business-Use-Case-Usage`` maps an id to a list of usages, each with
    ``estimated_time_to_regain_access`` in minutes; ``X-Page-Usage`` and
    ``X-App-Usage`` carry one usage object (reference §1.9). The longest wait wins.
    """
    minutes: list[float] = []
    for name in ("x-business-use-case-usage", "x-page-usage", "x-app-usage"):
        raw = response.headers.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        usages: list[Any] = []
        if isinstance(data, dict) and "call_count" in data:
            usages = [data]
        elif isinstance(data, dict):
            for value in data.values():
                usages.extend(value if isinstance(value, list) else [value])
        for usage in usages:
            if isinstance(usage, dict):
                wait = usage.get("estimated_time_to_regain_access")
                if isinstance(wait, int | float) and wait > 0:
                    minutes.append(float(wait))
    if minutes:
        return max(minutes) * 60
    header = response.headers.get("retry-after", "")
    return float(header) if header.strip().isdigit() else None


def graph_error_mapper(label: str) -> GraphMapper:
    """Read Graph's ``{"error": {"code", "error_subcode", …}}`` into our errors."""

    def mapper(response: httpx.Response) -> AdapterError | None:
        error = response_json(response).get("error")
        if not isinstance(error, dict):
            return None
        code = _int(error.get("code"))
        subcode = _int(error.get("error_subcode"))
        detail = str(error.get("error_user_msg") or error.get("message") or "")
        values = {"network": label, "detail": detail, "code": code}
        name = f"graph_{code}_{subcode}" if subcode else f"graph_{code}"
        if code in TOKEN_CODES:
            if subcode == EXPIRED_SUBCODE:
                return AuthError(
                    _(
                        "El token de %(network)s venció; vuelva a conectar la cuenta. (%(detail)s)"
                    )
                    % values,
                    revoked=False,
                    code="token_expired",
                )
            return AuthError(
                _(
                    "%(network)s invalidó el acceso de Pregonero; una persona debe conectar la cuenta de nuevo. (%(detail)s)"
                )
                % values,
                code="token_revoked",
            )
        if code in PERMISSION_CODES:
            return AuthError(
                _(
                    "%(network)s dice que falta un permiso para esta acción; conecte la cuenta de nuevo y conceda todos los permisos. (%(detail)s)"
                )
                % values,
                code="permission",
            )
        if code in RATE_LIMIT_CODES or code in BUC_RATE_LIMIT_CODES:
            return RateLimited(
                _(
                    "%(network)s limitó las solicitudes (código %(code)s); se reintentará."
                )
                % values,
                retry_after=regain_seconds(response),
            )
        if subcode == IG_PUBLISH_LIMIT_SUBCODE:
            return RateLimited(
                _(
                    "La cuenta llegó al límite de publicaciones por API de %(network)s en 24 horas; se reintentará."
                )
                % values,
                retry_after=regain_seconds(response) or IG_PUBLISH_LIMIT_RETRY,
            )
        if (code, subcode) == IG_NOT_READY:
            return AdapterError(
                _(
                    "%(network)s aún procesa el contenido y no deja publicarlo; se reintentará."
                )
                % values,
                code="not_ready",
            )
        if code == DUPLICATE_CODE:
            return Duplicate(
                _(
                    "%(network)s rechazó la publicación por estar duplicada: ya existe una igual. (%(detail)s)"
                )
                % values
            )
        if code in TRANSIENT_CODES or error.get("is_transient") is True:
            return AdapterError(
                _("%(network)s tuvo una falla pasajera; se reintentará. (%(detail)s)")
                % values,
                code=name,
            )
        if code in CONTENT_CODES or 2207000 <= (subcode or 0) < 2208000:
            return ContentRejected(
                _("%(network)s rechazó el contenido (código %(code)s): %(detail)s")
                % values,
                code=name,
            )
        if response.status_code >= 500:
            return None
        return AdapterError(
            _("%(network)s rechazó la solicitud (código %(code)s): %(detail)s")
            % values,
            permanent=True,
            code=name,
        )

    return mapper


def oauth_error_mapper(label: str) -> GraphMapper:
    """Errors of the token endpoint: a refused code or token is an invalid grant."""
    graph = graph_error_mapper(label)

    def mapper(response: httpx.Response) -> AdapterError | None:
        mapped = graph(response)
        if mapped is None or isinstance(mapped, RateLimited):
            return mapped
        if not mapped.permanent:
            return mapped
        return AuthError(
            _(
                "%(network)s no aceptó la autorización; inicie la conexión de nuevo. (%(detail)s)"
            )
            % {"network": label, "detail": mapped.message},
            code="invalid_grant",
        )

    return mapper


def insights_values(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``{"data": [{"name", "values" | "total_value"}]}`` as name → value rows."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in data.get("data", []):
        if not isinstance(item, dict) or not item.get("name"):
            continue
        rows = item.get("values")
        if not isinstance(rows, list):
            total = item.get("total_value")
            rows = [total] if isinstance(total, dict) else []
        found[str(item["name"])] = [r for r in rows if isinstance(r, dict)]
    return found


def missing_object(exc: AdapterError) -> bool:
    """Graph's "object does not exist" (#100, subcode 33): a post taken down."""
    return exc.code == "graph_100_33"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ManagedPage:
    """One Page from ``/me/accounts``, with its Page token and linked Instagram."""

    id: str
    name: str
    username: str
    access_token: str
    instagram_id: str = ""
    instagram_username: str = ""


class GraphAdapter(Adapter):
    """Graph API plumbing shared by ``FacebookAdapter`` and ``InstagramAdapter``.

    Connecting uses Facebook Login's authorization code (PKCE optional: Meta
    accepts ``code_challenge`` but does not require it). The code buys a
    short-lived user token, exchanged at once for a long-lived one (~60 days),
    which lists the Pages the person manages with a Page token each. Page tokens
    obtained that way do not expire; they stop working when the person loses
    the Page role, changes the password or removes the app, and there is no
    refresh grant (reference §1.2): the channel is connected again by a person.
    """

    uses_pkce = False
    supports_refresh = False
    sandbox_prefix = "facebook"
    # The permission without which the channel cannot publish at all.
    publish_permission: ClassVar[str] = ""
    # Media still processing is polled this often, this many times (tests and
    # the worker may set them per instance).
    poll_interval: float = 3.0
    max_polls: int = 40

    # -- HTTP -------------------------------------------------------------------

    def graph_url(self, *parts: str) -> str:
        return "/".join(
            [self.network.api_url.rstrip("/"), self.network.api_version, *parts]
        )

    def call(
        self,
        method: str,
        url: str,
        *,
        creates: bool = False,
        token: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One Graph call with the channel's token as a Bearer header (kept out of
        URLs and logs); returns the JSON object."""
        headers = {"Authorization": f"Bearer {token or self.credentials.access_token}"}
        response = self.http.request(
            method,
            url,
            creates=creates,
            error_mapper=graph_error_mapper(self.label),
            headers=headers,
            **kwargs,
        )
        return response_json(response)

    def edge_posts(
        self, edge: str, *, text: str, created: str, link: str, limit: int
    ) -> list[RemotePost]:
        """The account's latest posts on ``edge`` (``posts`` for a Page, ``media``
        for Instagram), newest first; the field names differ per network."""
        rows = self.list_edge(
            self.graph_url(self.credentials.account_id, edge),
            f"id,{text},{created},{link}",
            limit,
        )
        return [
            RemotePost(
                platform_id=str(row.get("id", "")),
                text=str(row.get(text) or ""),
                created_at=parse_graph_time(row.get(created)),
                permalink=str(row.get(link) or ""),
            )
            for row in rows
        ]

    def list_edge(self, url: str, fields: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` rows of an edge (``/posts``, ``/media``), newest first,
        following the ``after`` cursor while Graph announces a ``next`` page."""
        rows: list[dict[str, Any]] = []
        after = ""
        while len(rows) < limit:
            params = {
                "fields": fields,
                "limit": str(min(max(limit - len(rows), 1), 100)),
            }
            if after:
                params["after"] = after
            data = self.call("GET", url, params=params)
            rows.extend(row for row in data.get("data", []) if isinstance(row, dict))
            paging = data.get("paging") or {}
            after = str((paging.get("cursors") or {}).get("after") or "")
            if not paging.get("next") or not after:
                break
        return rows[:limit]

    def sleep(self) -> None:
        time.sleep(self.poll_interval)

    # -- inbound (issue 6) -------------------------------------------------------------

    # Graph filters comments by their own time: an item that reaches the
    # network late (with an earlier time than one already read) is still found
    # when it is this much older than the checkpoint; repeats are deduplicated.
    inbound_overlap = datetime.timedelta(minutes=15)
    # Comments are read on the account's latest posts.
    inbound_posts = 25

    def all_pages(self, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every row of an edge, following the ``after`` cursor while Graph
        announces a ``next`` page."""
        rows: list[dict[str, Any]] = []
        after = ""
        while True:
            query = dict(params, limit="100")
            if after:
                query["after"] = after
            data = self.call("GET", url, params=query)
            rows.extend(row for row in data.get("data", []) if isinstance(row, dict))
            paging = data.get("paging") or {}
            after = str((paging.get("cursors") or {}).get("after") or "")
            if not paging.get("next") or not after:
                return rows

    def find_post(
        self, post: OutboundPost, since: datetime.datetime
    ) -> RemotePost | None:
        """Graph gives times in whole seconds, so ``since`` is floored to its
        second: a post made in the same second as ``since`` still matches.
        Nothing stronger than the text identifies a Graph post."""
        return super().find_post(post, since.replace(microsecond=0))

    # -- connect ------------------------------------------------------------------

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        params = {
            "client_id": self.network.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": ",".join(self.network.scopes),
        }
        if code_challenge:
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        return self.with_query(self.network.auth_url, **params)

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        params = {
            "client_id": self.network.client_id,
            "client_secret": self.network.client_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        }
        if code_verifier:
            params["code_verifier"] = code_verifier
        short = self._token_request(params)
        long_lived = self._token_request(
            {
                "grant_type": "fb_exchange_token",
                "client_id": self.network.client_id,
                "client_secret": self.network.client_secret,
                "fb_exchange_token": short,
            }
        )
        scopes = self._granted_permissions(long_lived)
        if self.publish_permission and self.publish_permission not in scopes:
            raise AuthError(
                _(
                    "No se concedió el permiso %(permission)s de %(network)s; conecte la cuenta de nuevo y acéptelo."
                )
                % {"permission": self.publish_permission, "network": self.label},
                code="permission",
            )
        return self.token_set(self._managed_pages(long_lived), scopes)

    def token_set(self, pages: list[ManagedPage], scopes: tuple[str, ...]) -> TokenSet:
        """The publishing account among ``pages`` (each adapter chooses its own)."""
        raise NotImplementedError

    def _token_request(self, params: dict[str, str]) -> str:
        response = self.http.request(
            "GET",
            self.network.token_url,
            error_mapper=oauth_error_mapper(self.label),
            params=params,
        )
        token = response_json(response).get("access_token")
        if not isinstance(token, str) or not token:
            raise AdapterError(
                _("%(network)s no devolvió un token de acceso.")
                % {"network": self.label},
                code="no_token",
            )
        return token

    def _granted_permissions(self, user_token: str) -> tuple[str, ...]:
        data = self.call("GET", self.graph_url("me", "permissions"), token=user_token)
        return tuple(
            str(row.get("permission"))
            for row in data.get("data", [])
            if isinstance(row, dict) and row.get("status") == "granted"
        )

    def _managed_pages(self, user_token: str) -> list[ManagedPage]:
        data = self.call(
            "GET",
            self.graph_url("me", "accounts"),
            token=user_token,
            params={
                "fields": "id,name,username,access_token,"
                "instagram_business_account{id,username}",
                "limit": "100",
            },
        )
        pages: list[ManagedPage] = []
        for row in data.get("data", []):
            if not isinstance(row, dict) or not row.get("access_token"):
                continue
            instagram = row.get("instagram_business_account") or {}
            pages.append(
                ManagedPage(
                    id=str(row.get("id", "")),
                    name=str(row.get("name", "")),
                    username=str(row.get("username") or ""),
                    access_token=str(row["access_token"]),
                    instagram_id=str(instagram.get("id") or ""),
                    instagram_username=str(instagram.get("username") or ""),
                )
            )
        return pages


def alt_text_issue(index: int, media: MediaRef, label: str) -> ValidationIssue | None:
    """Pregonero's accessibility rule: every image carries a description."""
    if media.kind != "image" or media.alt_text.strip():
        return None
    return ValidationIssue(
        f"media[{index}].alt_text",
        _(
            "La imagen %(number)s no tiene texto alternativo; %(network)s lo recibe y Pregonero lo exige en toda imagen."
        )
        % {"number": index + 1, "network": label},
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def load_cursor(cursor: str) -> dict[str, datetime.datetime]:
    """A Graph inbound checkpoint: the newest time read per stream."""
    try:
        data = json.loads(cursor) if cursor else {}
    except ValueError:
        data = {}
    moments: dict[str, datetime.datetime] = {}
    for key, value in (data if isinstance(data, dict) else {}).items():
        moment = parse_graph_time(value)
        if moment is not None:
            moments[str(key)] = moment
    return moments


def dump_cursor(moments: dict[str, datetime.datetime]) -> str:
    return json.dumps(
        {k: v.astimezone(datetime.UTC).isoformat() for k, v in sorted(moments.items())}
    )


# -- webhooks (issue 6) -------------------------------------------------------------
#
# Meta delivers Page ``feed`` changes (``item: comment``, ``verb: add``), Page
# ``messaging`` events (Messenger) and Instagram ``comments`` changes to the
# app's callback. The ids are the ones the Graph API reads, so an item delivered
# both ways is stored once.


@dataclass(frozen=True)
class WebhookItem:
    network: str  # "facebook" or "instagram"
    account_id: str  # the Page or Instagram account the entry is for
    entry: InboundEntry


def _epoch(value: Any) -> datetime.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return parse_graph_time(value)
    seconds = value / 1000 if value > 10**11 else value  # Messenger: milliseconds
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def webhook_items(payload: dict[str, Any]) -> list[WebhookItem]:
    """The comments and messages of a webhook delivery; anything else (likes,
    edits, removals, our own messages, echoes) is left out."""
    kind = payload.get("object")
    if kind not in ("page", "instagram"):
        return []
    network = "facebook" if kind == "page" else "instagram"
    items: list[WebhookItem] = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        account = str(entry.get("id") or "")
        entry_time = _epoch(entry.get("time"))
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            found = None
            if network == "facebook" and change.get("field") == "feed":
                found = _page_comment(value, account)
            elif network == "instagram" and change.get("field") == "comments":
                found = _instagram_comment(value, account, entry_time)
            if found is not None:
                items.append(WebhookItem(network, account, found))
        for event in entry.get("messaging") or []:
            message = event.get("message") or {}
            sender = str((event.get("sender") or {}).get("id") or "")
            created = _epoch(event.get("timestamp"))
            if (
                network != "facebook"
                or not message.get("mid")
                or message.get("is_echo")
                or sender in ("", account)
                or created is None
            ):
                continue
            items.append(
                WebhookItem(
                    network,
                    account,
                    InboundEntry(
                        kind="direct_message",
                        platform_id=str(message["mid"]),
                        author_handle=sender,
                        text=str(message.get("text") or ""),
                        received_at=created,
                        thread_key=f"dm:{sender}",
                    ),
                )
            )
    return items


def _page_comment(value: dict[str, Any], page_id: str) -> InboundEntry | None:
    author = value.get("from") or {}
    created = _epoch(value.get("created_time"))
    if (
        value.get("item") != "comment"
        or value.get("verb") != "add"
        or not value.get("comment_id")
        or str(author.get("id") or "") == page_id
        or created is None
    ):
        return None
    return InboundEntry(
        kind="comment",
        platform_id=str(value["comment_id"]),
        author_handle=str(author.get("name") or author.get("id") or ""),
        author_name=str(author.get("name") or ""),
        text=str(value.get("message") or ""),
        received_at=created,
        thread_key=str(value.get("post_id") or ""),
    )


def _instagram_comment(
    value: dict[str, Any], ig_user: str, entry_time: datetime.datetime | None
) -> InboundEntry | None:
    author = value.get("from") or {}
    created = _epoch(value.get("timestamp")) or entry_time
    if not value.get("id") or str(author.get("id") or "") == ig_user or created is None:
        return None
    return InboundEntry(
        kind="comment",
        platform_id=str(value["id"]),
        author_handle=str(author.get("username") or author.get("id") or ""),
        text=str(value.get("text") or ""),
        received_at=created,
        thread_key=str((value.get("media") or {}).get("id") or ""),
    )
