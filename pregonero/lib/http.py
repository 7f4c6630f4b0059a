"""The one HTTP client every network call goes through.

It sets timeouts and the user agent, and turns transport failures and HTTP
statuses into ``AdapterError`` values that say whether to retry, when, and
whether the request may already have taken effect (so it is never repeated
blindly). Network adapters add their own reading of error bodies through
``error_mapper``.
"""

from __future__ import annotations

import datetime
import email.utils
import http.cookiejar
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings

from pregonero.publishing.adapters.errors import AdapterError, RateLimited

ErrorMapper = Callable[[httpx.Response], AdapterError | None]


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait, from ``Retry-After`` or the common rate-limit reset headers."""
    header = response.headers.get("retry-after")
    if header:
        if header.strip().isdigit():
            return float(header)
        try:
            moment = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            return max(
                0.0, (moment - datetime.datetime.now(datetime.UTC)).total_seconds()
            )
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        value = response.headers.get(name)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return max(
                0.0, (moment - datetime.datetime.now(datetime.UTC)).total_seconds()
            )
        # An epoch timestamp (X, Mastodon) or a number of seconds (IETF draft).
        return max(0.0, number - time.time()) if number > 10**9 else number
    return None


class HttpClient:
    """A small wrapper around ``httpx.Client`` with Pregonero's error policy."""

    def __init__(
        self,
        *,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        read = timeout or float(getattr(settings, "PREGONERO_HTTP_TIMEOUT", 30))
        connect = connect_timeout or float(
            getattr(settings, "PREGONERO_HTTP_CONNECT_TIMEOUT", 5)
        )
        # No cookie jar: the client is shared by every channel's adapter, and no
        # network's state may leak from one account to another.
        no_cookies = http.cookiejar.CookieJar(
            policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        )
        self.client = httpx.Client(
            cookies=no_cookies,
            timeout=httpx.Timeout(read, connect=connect),
            headers={"User-Agent": f"Pregonero/0.1 (+{settings.SITE_URL})"},
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        creates: bool = False,
        error_mapper: ErrorMapper | None = None,
        expect: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request and return the response, or raise ``AdapterError``.

        ``creates`` marks a call that changes something on the network (a post,
        an upload): when such a call times out or loses its connection after the
        request went out, the outcome is unknown and the error says so.
        ``expect`` lists extra statuses returned to the caller instead of raised
        (for example 308 in resumable uploads).
        """
        try:
            response = self.client.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the network: safe to retry.
            raise AdapterError(
                f"No se pudo conectar con la red: {exc.__class__.__name__}",
                code="connect",
            ) from exc
        except (
            httpx.ReadTimeout,
            httpx.WriteTimeout,
            httpx.RemoteProtocolError,
            httpx.ReadError,
        ) as exc:
            raise AdapterError(
                f"La red no respondió a tiempo o cortó la conexión ({exc.__class__.__name__}).",
                outcome_unknown=creates,
                code="timeout",
            ) from exc
        except httpx.HTTPError as exc:
            raise AdapterError(
                f"Error de red: {exc}", outcome_unknown=creates, code="http"
            ) from exc
        if response.status_code < 400 or response.status_code in expect:
            return response
        if error_mapper is not None:
            mapped = error_mapper(response)
            if mapped is not None:
                if mapped.retry_after is None and response.status_code == 429:
                    mapped.retry_after = _retry_after(response)
                raise mapped
        raise default_error(response)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


_local = threading.local()


def shared_client() -> HttpClient:
    """This thread's client (one connection pool per thread, reused by every
    adapter), rebuilt when the timeout settings change."""
    key = (
        float(getattr(settings, "PREGONERO_HTTP_TIMEOUT", 30)),
        float(getattr(settings, "PREGONERO_HTTP_CONNECT_TIMEOUT", 5)),
    )
    cached: tuple[tuple[float, float], HttpClient] | None = getattr(
        _local, "client", None
    )
    if cached is not None and cached[0] == key:
        return cached[1]
    if cached is not None:
        cached[1].close()
    client = HttpClient(timeout=key[0], connect_timeout=key[1])
    _local.client = (key, client)
    return client


def default_error(response: httpx.Response) -> AdapterError:
    """The generic reading of an HTTP error status."""
    status = response.status_code
    detail = response.text[:300]
    if status == 429:
        return RateLimited(
            "La red limitó el número de solicitudes; se reintentará.",
            retry_after=_retry_after(response),
        )
    if status >= 500:
        return AdapterError(
            f"La red tuvo un error interno (HTTP {status}); se reintentará.",
            retry_after=_retry_after(response),
            code=f"http_{status}",
        )
    if status in (401, 403):
        return AdapterError(
            f"La red rechazó la autorización (HTTP {status}): {detail}",
            permanent=True,
            code="auth",
        )
    return AdapterError(
        f"La red rechazó la solicitud (HTTP {status}): {detail}",
        permanent=True,
        code=f"http_{status}",
    )
