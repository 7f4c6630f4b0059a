"""Domain errors: what the actions raise, and what views and the API translate.

Each error carries a Spanish message for people and a stable code for programs.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.errors = errors or {}
        self.extra = extra or {}


class PermissionDeniedError(DomainError):
    """The user's role does not allow the action (HTTP 403)."""

    status = 403
    code = "permission_denied"


class NotFoundError(DomainError):
    """Unknown object, or one of another organization (HTTP 404)."""

    status = 404
    code = "not_found"


class TransitionNotAllowed(DomainError):
    """The object's current state does not admit the action (HTTP 409)."""

    status = 409
    code = "transition_not_allowed"


class ConflictError(DomainError):
    """Someone else changed the object first: a stale version (HTTP 409)."""

    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """The input is invalid; ``errors`` maps field names to messages (HTTP 422)."""

    status = 422
    code = "validation_error"
