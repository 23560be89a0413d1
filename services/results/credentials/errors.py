"""The two errors: a credential that cannot be accepted, keys that cannot be read or written."""
from __future__ import annotations


class CredentialError(Exception):
    """A credential that cannot be accepted, with a reason a person understands; ``kind``
    says which check failed (damaged, algorithm, key, signature, expired, not_yet, claims,
    issuer, status, withdrawn), for pages that explain it in the reader's language."""

    def __init__(self, message: str, kind: str = "claims"):
        super().__init__(message)
        self.kind = kind


class KeyRingError(Exception):
    """The signing keys cannot be read or written."""
