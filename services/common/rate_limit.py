"""Rate limits per client address, shared by every worker through Redis.

Used for the employer's link look-ups (results), starting tests (testing) and the Katso
feedback form and printing (library). Without Redis, or while Redis is down, each process
counts on its own: a limit is never a reason to refuse a request.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import deque

from flask import request

from .errors import APIError

log = logging.getLogger(__name__)


class RateLimiter:
    """At most ``limit`` events per client address in ``window`` seconds.

    A sliding window: in Redis (a sorted set of look-up times per address, shared by every
    worker) when configured, else (or when Redis fails) in this process."""

    def __init__(self, redis=None, limit: int = 30, window: int = 60, clock=time.time,
                 prefix: str = "taitotaso:rate"):
        self.redis = redis
        self.limit = limit
        self.window = window
        self.clock = clock
        self.prefix = prefix
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def hit(self, client: str | None) -> int:
        """Count one event; 0 when it may go on, else the seconds to wait."""
        client = client or "unknown"
        now = self.clock()
        if self.redis is not None:
            try:
                return self._hit_redis(client, now)
            except Exception as err:  # Redis down: the process keeps counting
                log.warning("could not count in Redis (%s) for %s; counting in the process",
                            err.__class__.__name__, self.prefix)
        with self._lock:
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return max(1, int(seen[0] + self.window - now + 0.999))
            seen.append(now)
            if len(self._seen) > 10_000:  # forget addresses that have gone quiet
                for addr in [a for a, q in self._seen.items() if not q or q[-1] <= now - self.window]:
                    del self._seen[addr]
            return 0

    def _hit_redis(self, client: str, now: float) -> int:
        key = f"{self.prefix}:{hashlib.sha256(client.encode()).hexdigest()[:32]}"
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(key, 0, now - self.window)
        pipe.zrange(key, 0, 0, withscores=True)
        pipe.zcard(key)
        _removed, oldest, count = pipe.execute()
        if count >= self.limit:
            first = oldest[0][1] if oldest else now
            return max(1, int(first + self.window - now + 0.999))
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(key, {f"{now}:{secrets.token_hex(4)}": now})
        pipe.expire(key, self.window + 5)
        pipe.execute()
        return 0


def client_address() -> str:
    """The client's address (behind trusted proxies, ProxyFix has put the real one here)."""
    return request.remote_addr or "unknown"


def enforce(limiter: RateLimiter, message: str) -> None:
    """429 with ``Retry-After`` when this client is over ``limiter``'s limit."""
    wait = limiter.hit(client_address())
    if wait:
        raise RateLimited(wait, message)


class RateLimited(APIError):
    def __init__(self, seconds: int, message: str):
        super().__init__(429, message)
        self.retry_after = seconds
