"""What the results service needs from other services, as small interfaces (ports).

Each port has an HTTP adapter here, used where the other service is configured apart
(``TAITOTASO_TESTING_URL``, ``TAITOTASO_SCORING_URL``), and an in-process adapter for the
embedded default in ``services/adapters``, named by its dotted path so that this package
imports no other service.
"""
from __future__ import annotations

from services.common.ports import load  # noqa: F401  (the adapters below are loaded by name)

# -- the testing service ------------------------------------------------------------------

# -- the scoring service ------------------------------------------------------------------
