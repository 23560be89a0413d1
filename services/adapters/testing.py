"""The testing service called in the same process."""
from __future__ import annotations


class InProcessRecentResults:
    """:class:`services.authoring.ports.RecentResults` by the testing service's layer."""

    def __init__(self, db):
        self.db = db

    def thetas(self, days: int) -> list[float]:
        from services.testing.impact import recent_thetas

        return recent_thetas(self.db, days=days)
