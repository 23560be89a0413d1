"""The Redis client, made from ``REDIS_URL`` only when one is configured."""
from __future__ import annotations


def make_redis(url: str | None):
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                health_check_interval=30)
