from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: accounts are created by the entity's administrator."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
