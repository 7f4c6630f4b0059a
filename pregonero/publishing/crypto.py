"""Encryption of the networks' tokens at rest (SEC-01).

Tokens are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256) made with the
keys of ``settings.PREGONERO_TOKEN_KEYS``: the first key encrypts, every key
decrypts, so keys can be rotated without downtime. A database dump holds only
ciphertext; the keys live in the environment (or ``var/token_keys``), never in
the database.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _


class TokenKeyError(RuntimeError):
    """A stored token cannot be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise TokenKeyError(
            _("No hay llaves de cifrado de tokens (PREGONERO_TOKEN_KEYS).")
        )
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.PREGONERO_TOKEN_KEYS))


def encrypt(value: str) -> str:
    """Ciphertext for ``value``; the empty string stays empty (no token)."""
    if not value:
        return ""
    return fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise TokenKeyError(
            _(
                "No se pudo descifrar un token guardado: falta la llave con la que se cifró "
                "(revise PREGONERO_TOKEN_KEYS)."
            )
        ) from None


def rotate(value: str) -> str:
    """The same secret re-encrypted with the first (newest) key."""
    if not value:
        return ""
    try:
        return fernet().rotate(value.encode()).decode()
    except InvalidToken:
        raise TokenKeyError(
            _("Un token no se puede descifrar con ninguna llave configurada.")
        ) from None
