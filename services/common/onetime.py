"""Single-use, expiring tokens for links sent by mail (password reset).

The link carries a random token (256 bits); the server keeps only its SHA-256, with what it
is for and until when: in Redis (``SET … EX``, taken with ``GETDEL``, so that two clicks at
once cannot both use it) or, embedded, in cachelib files beside the sessions.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading

PREFIX = "taitotaso:onetime:"
_lock = threading.Lock()


class OneTimeTokens:
    def __init__(self, resources):
        self.redis = resources.redis
        if self.redis is None:
            from cachelib import FileSystemCache

            self.cache = FileSystemCache(str(resources.config.var_dir / "sessions"),
                                         threshold=0, mode=0o600)

    @staticmethod
    def _key(purpose: str, token: str) -> str:
        return PREFIX + purpose + ":" + hashlib.sha256(token.encode()).hexdigest()

    def issue(self, purpose: str, data: dict, seconds: int) -> str:
        token = secrets.token_urlsafe(32)
        key, value = self._key(purpose, token), json.dumps(data)
        if self.redis is not None:
            self.redis.set(key, value, ex=seconds)
        else:
            self.cache.set(key, value, timeout=seconds)
        return token

    def peek(self, purpose: str, token: str) -> dict | None:
        """What the token is for, without using it (e.g. to show the form it leads to)."""
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        key = self._key(purpose, token)
        raw = self.redis.get(key) if self.redis is not None else self.cache.get(key)
        return json.loads(raw) if raw else None

    def consume(self, purpose: str, token: str) -> dict | None:
        """Use the token: its data once, then None for ever."""
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        key = self._key(purpose, token)
        if self.redis is not None:
            raw = self.redis.getdel(key)
        else:
            with _lock:
                raw = self.cache.get(key)
                self.cache.delete(key)
        return json.loads(raw) if raw else None


__all__ = ["OneTimeTokens"]
