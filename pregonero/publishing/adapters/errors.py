"""The single error type of the adapters, with the facts the worker acts on."""

from __future__ import annotations


class AdapterError(Exception):
    """A failed network call.

    ``permanent``: retrying will not help (revoked token, rejected content).
    ``retry_after``: seconds to wait before the next try, when the network says.
    ``outcome_unknown``: the request may have taken effect (a timeout after it was
    sent, a connection dropped mid-response): it is never repeated blindly; the
    publication becomes unconfirmed and is reconciled against the account's posts.
    ``code``: a short stable name for logs and attempt rows.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        code: str = "error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        self.code = code


class AuthError(AdapterError):
    """The token is expired, revoked or lacks a permission: the channel needs a person."""

    def __init__(
        self, message: str, *, revoked: bool = True, code: str = "auth"
    ) -> None:
        super().__init__(message, permanent=True, code=code)
        self.revoked = revoked


class RateLimited(AdapterError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after, code="rate_limited")


class ContentRejected(AdapterError):
    """The network refused this content (too long, bad media, policy)."""

    def __init__(self, message: str, *, code: str = "rejected") -> None:
        super().__init__(message, permanent=True, code=code)


class Duplicate(AdapterError):
    """The network says the same post already exists."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True, code="duplicate")
