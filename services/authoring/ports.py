"""What the authoring service needs from other services, as small interfaces.

``RecentResults``: the θ of recently finished tests (the testing service owns them), for a
standard-setting study's impact data. The embedded default calls the testing service's
layer in the same process (``services.adapters.testing.InProcessRecentResults``, named by
its dotted path so that this package does not import the testing service); the testing
service does not publish these figures over HTTP yet, so an authoring service deployed
apart reads them through the same adapter from the shared database.
"""
from __future__ import annotations

from typing import Protocol

from services.common.ports import load


class RecentResults(Protocol):
    def thetas(self, days: int) -> list[float]:
        """Overall θ of the tests finished in the last ``days`` days."""


IN_PROCESS_RECENT_RESULTS = "services.adapters.testing:InProcessRecentResults"


def recent_results_for(db) -> RecentResults:
    return load(IN_PROCESS_RECENT_RESULTS)(db)
