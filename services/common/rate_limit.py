"""Rate limits through the ``limits`` library, shared by every worker through Redis.

Each app has one moving-window limiter (:func:`init_rate_limits`) whose storage is the
service's Redis (``REDIS_URL``, the same connection pool) in production and the process's
memory in the embedded default. In Redis the counting is an atomic Lua script, so parallel
requests cannot both take the last place.

The limits are applied where a view decides (after a form is valid, once the scoring caller
is known, for one shared count across several views), so views call :func:`enforce` or
:func:`hit` with a :class:`Limit` rather than decorating routes; the key is the client's
address (:func:`client_address`) unless the view names another. While Redis is down each
process counts in memory: a limit is never a reason to refuse a request.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request

from .errors import APIError

log = logging.getLogger(__name__)

EXTENSION = "taitotaso.limiter"
KEY_PREFIX = "taitotaso:rate"


@dataclass(frozen=True)
class Limit:
    """At most ``amount`` events per key in ``seconds`` (a moving window), counted under
    ``scope`` (views that share a scope share the count)."""

    scope: str
    amount: int
    seconds: int

    @property
    def item(self):
        from limits import RateLimitItemPerSecond

        return RateLimitItemPerSecond(self.amount, self.seconds)


def client_address() -> str:
    """The client's address (behind trusted proxies, ProxyFix has put the real one here)."""
    return request.remote_addr or "unknown"


def init_rate_limits(app: Flask, resources) -> None:
    """One moving-window limiter per app, on the service's Redis when there is one (the
    ``limits`` library directly: no per-request hook, since no route is decorated)."""
    from limits.storage import MemoryStorage, storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    redis = resources.redis
    if redis is not None:
        storage = storage_from_string(resources.config.redis_url,
                                      connection_pool=redis.connection_pool, key_prefix=KEY_PREFIX)
    else:
        storage = MemoryStorage()
    # while Redis is down, this process counts on its own
    app.extensions[EXTENSION] = (MovingWindowRateLimiter(storage),
                                 MovingWindowRateLimiter(MemoryStorage()))


def _identity(key: str) -> str:
    """Addresses and accounts are kept in the store only as a digest."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _on_store(limit: Limit, use):
    """``use(strategy)`` on the shared store; on this process's while that fails."""
    shared, fallback = current_app.extensions[EXTENSION]
    try:
        return use(shared)
    except Exception as err:  # Redis down: the process keeps counting
        log.warning("could not count in the rate-limit store (%s) for %s; counting in the "
                    "process", err.__class__.__name__, limit.scope)
        return use(fallback)


def hit(limit: Limit, key: str | None = None) -> int:
    """Count one event for ``key`` (default: the client's address) under ``limit``:
    0 when it may go on, else the seconds until it may (a refused event is not counted)."""
    who, item = _identity(key if key is not None else client_address()), limit.item

    def count(strategy) -> int:
        if strategy.hit(item, limit.scope, who):
            return 0
        reset_time, _remaining = strategy.get_window_stats(item, limit.scope, who)
        return max(1, math.ceil(reset_time - time.time()))

    return _on_store(limit, count)


def remaining(limit: Limit, key: str) -> int:
    """How many more events ``key`` may have under ``limit`` now."""
    who = _identity(key)
    return _on_store(limit, lambda strategy: strategy.get_window_stats(
        limit.item, limit.scope, who).remaining)


def clear(limit: Limit, key: str) -> None:
    """``key`` starts afresh under ``limit``."""
    who = _identity(key)
    _on_store(limit, lambda strategy: strategy.clear(limit.item, limit.scope, who))


def enforce(limit: Limit, message: str, key: str | None = None) -> None:
    """429 with ``Retry-After`` (the suite's error answer) when ``key`` is over ``limit``."""
    wait = hit(limit, key)
    if wait:
        raise RateLimited(wait, message)


class RateLimited(APIError):
    def __init__(self, seconds: int, message: str):
        super().__init__(429, message)
        self.retry_after = seconds


__all__ = ["Limit", "RateLimited", "clear", "client_address", "enforce", "hit", "init_rate_limits",
           "remaining"]
