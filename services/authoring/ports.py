"""What the authoring service needs from other services, as small interfaces.

``RecentResults``: the θ of recently finished tests (the testing service owns them), for a
standard-setting study's impact data. The embedded default calls the testing service's
layer in the same process; a deployment with the services apart would put an HTTP adapter
beside it (the testing service does not publish these figures over HTTP yet).
"""
from __future__ import annotations

from typing import Protocol


class RecentResults(Protocol):
    def thetas(self, days: int) -> list[float]:
        """Overall θ of the tests finished in the last ``days`` days."""


class InProcessRecentResults:
    def __init__(self, db):
        self.db = db

    def thetas(self, days: int) -> list[float]:
        from services.testing.impact import recent_thetas

        return recent_thetas(self.db, days=days)
