"""The one-time link that confirms a citizen's address and sets the account's password."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.auth.tokens import PasswordResetTokenGenerator


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Like the password-reset link (valid for ``PASSWORD_RESET_TIMEOUT``, three days), with a
    key of its own and the account's active flag in the hash: the link stops working once the
    account is active or has a password, so it works once."""

    key_salt = "complaints.tokens.ActivationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


activation_tokens = ActivationTokenGenerator()
