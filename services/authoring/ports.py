"""What the authoring service needs from other services, as small interfaces.

The testing service owns the tests (``test_sessions``, ``session_items``); the authoring
service asks it

- :class:`ItemExposure`: which versions of an item were given in a test (such a version is
  never changed again: an edit makes a new one), and how often one version was given among
  the tests started since it was made (its exposure rate, on the item's page);
- :class:`RecentResults`: the θ of recently finished tests, for a standard-setting study's
  impact data.

Each port has two adapters, chosen by configuration (:func:`item_exposure_for`,
:func:`recent_results_for`):

- the embedded default (one process) calls the testing service's layer in the same process
  (``services.adapters.testing``, named by its dotted path so that this package does not
  import the testing service);
- an authoring service deployed apart (``TAITOTASO_TESTING_URL`` set) calls the testing
  API's service-only part with its credential (``TAITOTASO_TESTING_SECRET``, one of the
  testing service's ``TAITOTASO_TESTING_CLIENTS``): ``GET /api/v1/testing/items/<id>/
  served-versions``, ``GET /api/v1/testing/items/<id>/exposure`` and ``GET
  /api/v1/testing/recent-thetas``.

When the testing service cannot answer, the HTTP adapters raise :class:`TestingUnavailable`
and the authoring service says so (a note on the item's page, 503 from its API) instead of
guessing.
"""
from __future__ import annotations

import logging
import urllib.error
import urllib.parse
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Protocol

from services.common.config import Config
from services.common.ports import load
from services.common.service_calls import (ServiceUnavailable, call_service, error_body,
                                           json_request)

log = logging.getLogger(__name__)

IN_PROCESS_RECENT_RESULTS = "services.adapters.testing:InProcessRecentResults"
IN_PROCESS_ITEM_EXPOSURE = "services.adapters.testing:InProcessItemExposure"
IN_PROCESS_TEST_FIGURES = "services.adapters.testing:InProcessTestFigures"
IN_PROCESS_SCORING_FIGURES = "services.adapters.scoring:InProcessScoringFigures"


class TestingUnavailable(ServiceUnavailable):
    """The testing service gave no answer now (down, too slow, refused the call)."""

    __test__ = False   # not a pytest test class, whatever its name


class RecentResults(Protocol):
    def thetas(self, days: int) -> list[float]:
        """Overall θ of the tests finished in the last ``days`` days. Raises
        :class:`TestingUnavailable` when the testing service cannot say now."""


class ItemExposure(Protocol):
    def served_versions(self, item_id: str) -> list[int]:
        """The versions of ``item_id`` given in any test, ascending. Raises
        :class:`TestingUnavailable` when the testing service cannot say now."""

    def exposure(self, item_id: str, version: int, since: datetime) -> dict:
        """``{"served": n, "sessions": m}``: how often version ``version`` of ``item_id`` was
        given, and how many tests started at or after ``since``. Raises
        :class:`TestingUnavailable` when the testing service cannot say now."""


class HttpTestingCalls:
    """The testing API's service-only part at ``url``, with this service's credential."""

    PREFIX = "/api/v1/testing"

    def __init__(self, url: str, secret: str | None, timeout: float = 5.0, retries: int = 1,
                 retry_wait: float = 0.2):
        self.url = url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.retry_wait = retry_wait

    def get(self, path: str, query: Mapping | None = None) -> dict:
        """The JSON answer to ``GET PREFIX + path``; :class:`TestingUnavailable` for anything
        but an answer (a staff page waits at most ``timeout`` seconds a try, and is not
        kept waiting again after a timeout)."""
        try:
            out = call_service("testing", self.url,
                               lambda: json_request(self.url, self.PREFIX + path, self.secret,
                                                    query=query),
                               timeout=self.timeout, retries=self.retries,
                               retry_wait=self.retry_wait, retry_timeouts=False,
                               unavailable=TestingUnavailable)
        except urllib.error.HTTPError as err:   # 422: our own request was wrong, a bug
            log.error("the testing API refused %s: %s %s", path, err.code,
                      error_body(err).get("message"))
            raise TestingUnavailable(f"the testing API refused the call ({err.code})") from None
        if not isinstance(out, dict):
            log.error("the testing API has no %s%s (404)", self.PREFIX, path)
            raise TestingUnavailable(f"the testing API has no {self.PREFIX}{path}")
        return out


class HttpRecentResults(HttpTestingCalls):
    """:class:`RecentResults` by ``GET /api/v1/testing/recent-thetas?days=``."""

    def thetas(self, days: int) -> list[float]:
        return [float(t) for t in self.get("/recent-thetas", {"days": int(days)})["thetas"]]


class HttpItemExposure(HttpTestingCalls):
    """:class:`ItemExposure` by ``GET /api/v1/testing/items/<id>/served-versions`` and
    ``GET /api/v1/testing/items/<id>/exposure?version=&since=``."""

    @staticmethod
    def item_path(item_id: str, what: str) -> str:
        return f"/items/{urllib.parse.quote(item_id, safe='')}/{what}"

    def served_versions(self, item_id: str) -> list[int]:
        return [int(v) for v in self.get(self.item_path(item_id, "served-versions"))["versions"]]

    def exposure(self, item_id: str, version: int, since: datetime) -> dict:
        # SQLite gives the moments back naive: they are UTC
        since = since.replace(tzinfo=timezone.utc) if since.tzinfo is None else since
        out = self.get(self.item_path(item_id, "exposure"),
                       {"version": int(version), "since": since.isoformat()})
        return {"served": int(out["served"]), "sessions": int(out["sessions"])}


def recent_results_for(config: Config, db) -> RecentResults:
    """The testing service's recent results as configured: over HTTP where
    ``TAITOTASO_TESTING_URL`` is set, else in this process (the embedded default)."""
    if config.testing_url:
        return HttpRecentResults(config.testing_url, config.testing_secret)
    return load(IN_PROCESS_RECENT_RESULTS)(db)


def item_exposure_for(config: Config, db) -> ItemExposure:
    """The testing service's item exposure as configured: over HTTP where
    ``TAITOTASO_TESTING_URL`` is set, else in this process (the embedded default)."""
    if config.testing_url:
        return HttpItemExposure(config.testing_url, config.testing_secret)
    return load(IN_PROCESS_ITEM_EXPOSURE)(db)


# -- the validity report (services/validity.py) ------------------------------------------
# The testing service's figures of finished tests (exposure, length, SEM, kinds served) and
# the scoring service's machine and coach agreement, each computed by its owner.
class ScoringUnavailable(ServiceUnavailable):
    """The scoring service gave no answer now (down, too slow, refused the call)."""


class TestFigures(Protocol):
    __test__ = False

    def figures(self, max_exposure_rate: float) -> dict:
        """``{"exposure", "length", "sem", "kinds"}`` of the finished tests. Raises
        :class:`TestingUnavailable` when the testing service cannot say now."""


class ScoringFigures(Protocol):
    def agreement(self) -> dict:
        """Machine against coach per skill (``writing``, ``speaking``, ``all``). Raises
        :class:`ScoringUnavailable` when the scoring service cannot say now."""


class HttpTestFigures(HttpTestingCalls):
    """:class:`TestFigures` by ``GET /api/v1/testing/figures?max_exposure_rate=``."""

    __test__ = False

    def figures(self, max_exposure_rate: float) -> dict:
        out = self.get("/figures", {"max_exposure_rate": float(max_exposure_rate)})
        return {k: out[k] for k in ("exposure", "length", "sem", "kinds")}


class HttpScoringFigures:
    """:class:`ScoringFigures` by ``GET /api/v1/scoring/records/agreement`` with this
    service's credential (``authoring`` in the scoring service's TAITOTASO_SCORING_CLIENTS)."""

    PATH = "/api/v1/scoring/records/agreement"
    SKILLS = ("writing", "speaking", "all")

    def __init__(self, url: str, secret: str | None, timeout: float = 5.0, retries: int = 1,
                 retry_wait: float = 0.2):
        self.url = url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.retry_wait = retry_wait

    def agreement(self) -> dict:
        try:
            out = call_service("scoring", self.url,
                               lambda: json_request(self.url, self.PATH, self.secret),
                               timeout=self.timeout, retries=self.retries,
                               retry_wait=self.retry_wait, retry_timeouts=False,
                               unavailable=ScoringUnavailable)
        except urllib.error.HTTPError as err:
            log.error("the scoring API refused %s: %s %s", self.PATH, err.code,
                      error_body(err).get("message"))
            raise ScoringUnavailable(f"the scoring API refused the call ({err.code})") from None
        if not isinstance(out, dict):
            log.error("the scoring API has no %s (404)", self.PATH)
            raise ScoringUnavailable(f"the scoring API has no {self.PATH}")
        # in the report's order (a JSON answer may come with its keys sorted)
        return {k: out[k] for k in self.SKILLS}


def test_figures_for(config: Config, db) -> TestFigures:
    """The testing service's figures as configured: over HTTP where ``TAITOTASO_TESTING_URL``
    is set, else in this process (the embedded default)."""
    if config.testing_url:
        return HttpTestFigures(config.testing_url, config.testing_secret)
    return load(IN_PROCESS_TEST_FIGURES)(db)


test_figures_for.__test__ = False


def scoring_figures_for(config: Config, db) -> ScoringFigures:
    """The scoring service's agreement figures as configured: over HTTP where
    ``TAITOTASO_SCORING_URL`` is set, else in this process (the embedded default)."""
    if config.scoring_url:
        return HttpScoringFigures(config.scoring_url, config.scoring_secret)
    return load(IN_PROCESS_SCORING_FIGURES)(db)
