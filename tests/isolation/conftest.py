"""The OAuth-mode bot of tests/install, shared here."""

from tests.install.conftest import oauth_bot

__all__ = ["oauth_bot"]
