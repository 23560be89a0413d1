"""How often each item has been shown, shared by every worker of the testing service.

The restricted maximum-information method (``assessment.selection.restricted_eligibility``)
needs the counts of all workers: Redis keeps them in production; the embedded default
keeps them in the process. A Redis failure never stops a test: selection then goes on
without exposure preferences and the error is logged.
"""
from __future__ import annotations

import logging
import threading

import numpy as np

log = logging.getLogger(__name__)


class MemoryExposure:
    def __init__(self):
        self._counts: dict[str, dict[str, int]] = {}
        self._tests: dict[str, int] = {}
        self._lock = threading.Lock()

    def test_started(self, bank: str) -> None:
        with self._lock:
            self._tests[bank] = self._tests.get(bank, 0) + 1

    def item_served(self, bank: str, item_id: str) -> None:
        with self._lock:
            c = self._counts.setdefault(bank, {})
            c[item_id] = c.get(item_id, 0) + 1

    def counts(self, bank: str, ids: list[str]) -> tuple[np.ndarray, int] | None:
        with self._lock:
            c = self._counts.get(bank, {})
            return np.array([c.get(i, 0) for i in ids], dtype=float), self._tests.get(bank, 0)


# Every count of a bank and its number of tests as one reply, "tests\nid\ncount\nid\ncount…":
# a reply of hundreds of fields costs redis-py's parser milliseconds, one string microseconds.
_COUNTS_SCRIPT = """
local flat = redis.call('HGETALL', KEYS[1])
local tests = redis.call('GET', KEYS[2]) or '0'
return tests .. '\\n' .. table.concat(flat, '\\n')
"""


class RedisExposure:
    def __init__(self, client, prefix: str = "taitotaso:exposure"):
        self.r = client
        self.prefix = prefix
        self._counts_script = None

    def test_started(self, bank: str) -> None:
        try:
            self.r.incr(f"{self.prefix}:{bank}:tests")
        except Exception:
            log.exception("could not count a started test in Redis")

    def item_served(self, bank: str, item_id: str) -> None:
        try:
            self.r.hincrby(f"{self.prefix}:{bank}:items", item_id, 1)
        except Exception:
            log.exception("could not count an item exposure in Redis")

    def counts(self, bank: str, ids: list[str]) -> tuple[np.ndarray, int] | None:
        """The counts of ``ids`` and the number of tests started, in one round trip and
        one reply (a Lua script; item ids hold no newline)."""
        try:
            if self._counts_script is None:
                self._counts_script = self.r.register_script(_COUNTS_SCRIPT)
            reply = self._counts_script(keys=[f"{self.prefix}:{bank}:items",
                                              f"{self.prefix}:{bank}:tests"])
        except Exception:
            log.exception("could not read exposure counts from Redis")
            return None
        parts = (reply.decode() if isinstance(reply, bytes) else reply).split("\n")
        c = dict(zip(parts[1::2], parts[2::2]))
        return np.array([int(c.get(i, 0)) for i in ids], dtype=float), int(parts[0] or 0)
