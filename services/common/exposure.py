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


class RedisExposure:
    def __init__(self, client, prefix: str = "taitotaso:exposure"):
        self.r = client
        self.prefix = prefix

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
        try:
            pipe = self.r.pipeline(transaction=False)
            pipe.hgetall(f"{self.prefix}:{bank}:items")
            pipe.get(f"{self.prefix}:{bank}:tests")
            items, tests = pipe.execute()
        except Exception:
            log.exception("could not read exposure counts from Redis")
            return None
        c = {k.decode(): int(v) for k, v in items.items()}
        return np.array([c.get(i, 0) for i in ids], dtype=float), int(tests or 0)
