"""The keys that encrypt stored tokens: OKR_BOT_ENCRYPTION_KEY, comma-separated Fernet keys.

The first key encrypts; every key decrypts, so a new key goes first and the old ones stay
after it until `okr-bot keys rotate` has re-encrypted every stored token with the new one.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import DomainError

MAKE_ONE = "make one with `okr-bot keys new`"


class UnknownKey(DomainError):
    """A stored token was encrypted with a key OKR_BOT_ENCRYPTION_KEY no longer holds."""

    def __init__(self) -> None:
        super().__init__("a stored token was encrypted with a key that is not in "
                         "OKR_BOT_ENCRYPTION_KEY; put the old key back after the new one "
                         "(comma-separated) and run `okr-bot keys rotate`")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def check_keys(value: str) -> None:
    """Raise ValueError naming which key is malformed (by position, never by value)."""
    keys = _split(value)
    if not keys:
        raise ValueError(f"holds no key: {MAKE_ONE}")
    for number, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ValueError(f"key {number} is not a Fernet key (32 url-safe base64-encoded "
                             f"bytes): {MAKE_ONE}")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class Keyring:
    """Encrypts with the first key, decrypts with any."""

    def __init__(self, value: str) -> None:
        check_keys(value)
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in _split(value)])

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise UnknownKey() from None

    def rotate(self, stored: str) -> str:
        """The same secret, encrypted with the first key."""
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise UnknownKey() from None
