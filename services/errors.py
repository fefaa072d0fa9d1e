"""The one shape of a refusal the UI shows: a catalog key and the values that fill it."""

from __future__ import annotations


class UserFacingError(Exception):
    """A refusal shown to the user in plain language: `message_key` and `params` fill the catalog."""

    def __init__(self, message_key: str, **params: object) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params


class ProgressError(UserFacingError):
    """A refusal of a progress-report action."""
