"""What the results service needs from other services, as small interfaces (ports).

Each port has an HTTP adapter here, used where the other service is configured apart
(``TAITOTASO_TESTING_URL``, ``TAITOTASO_SCORING_URL``), and an in-process adapter for the
embedded default in ``services/adapters``, named by its dotted path so that this package
imports no other service.
"""
from __future__ import annotations

import urllib.error
import urllib.parse
from typing import Protocol

from services.common.config import Config
from services.common.ports import load
from services.common.service_calls import ServiceUnavailable, call_service, json_request


# -- the testing service ------------------------------------------------------------------
class TestingUnavailable(ServiceUnavailable):
    """The testing service did not answer: the job seeker tries again in a moment."""


class FinishedTests(Protocol):
    """The tests the testing service keeps, as the results service needs them: a finished
    test to keep in an account (its result copied into ``owned_results`` and kept in step
    by the event ``test.result_changed``), and a job seeker's tests erased or exported."""

    def finished(self, session_id: str, token: str) -> dict | None:
        """The finished test ``session_id`` for the holder of its bearer ``token``:
        ``session_id``, ``ui_language``, ``started_at``, ``finished_at`` (ISO 8601),
        ``bank_version``, ``cut_scores_version`` and ``result`` (``overall``, ``skills``,
        ``n_items``...); None for an unknown id, a wrong token or a test not finished."""

    def erase(self, session_ids: list[str]) -> dict:
        """Forget these tests (answers deleted, tokens replaced); counts. Idempotent."""

    def answers(self, session_ids: list[str]) -> list[dict]:
        """The answers given in these tests, for a data export."""


# what the result API answers beyond the levels (services/testing/schemas.py ResultSchema)
_ABOUT = ("id", "ui_language", "started_at", "finished_at")


class HttpFinishedTests:
    """:class:`FinishedTests` over the testing service's API: the job seeker's own token on
    ``GET /api/v1/sessions/<id>/result``, this service's credential
    (``TAITOTASO_TESTING_SECRET``) on the service-only ``/api/v1/testing/...``."""

    def __init__(self, url: str, secret: str | None, timeout: float = 8.0):
        self.url, self.secret, self.timeout = url.rstrip("/"), secret, timeout

    def _call(self, request_of, passed=()):
        return call_service("testing", self.url, request_of, timeout=self.timeout,
                            passed=passed, unavailable=TestingUnavailable)

    def finished(self, session_id: str, token: str) -> dict | None:
        if not isinstance(token, str) or not token or not isinstance(session_id, str):
            return None
        path = f"/api/v1/sessions/{urllib.parse.quote(session_id, safe='')}/result"
        try:
            body = self._call(lambda: json_request(self.url, path, token), passed=(401, 409))
        except urllib.error.HTTPError:   # 401 no token, 409 not finished: nothing to keep
            return None
        if not isinstance(body, dict) or body.get("status") == "scoring" or "overall" not in body:
            return None   # 202: the result waits for the scoring service
        return {"session_id": body["id"], "ui_language": body.get("ui_language"),
                "started_at": body.get("started_at"), "finished_at": body.get("finished_at"),
                "bank_version": body.get("bank_version"),
                "cut_scores_version": body.get("cut_scores_version"),
                "result": {k: v for k, v in body.items() if k not in _ABOUT}}

    def erase(self, session_ids: list[str]) -> dict:
        return self._call(lambda: json_request(self.url, "/api/v1/testing/erasures", self.secret,
                                               method="POST", body={"session_ids": list(session_ids)}))

    def answers(self, session_ids: list[str]) -> list[dict]:
        body = self._call(lambda: json_request(self.url, "/api/v1/testing/answers", self.secret,
                                               method="POST", body={"session_ids": list(session_ids)}))
        return (body or {}).get("answers", [])


IN_PROCESS_FINISHED_TESTS = "services.adapters.testing:InProcessFinishedTests"


def finished_tests_for(config: Config, db) -> FinishedTests:
    """The testing service as configured: over HTTP where ``TAITOTASO_TESTING_URL`` is set,
    else in this process (the embedded default)."""
    if config.testing_url:
        return HttpFinishedTests(config.testing_url, config.testing_secret, config.scoring_timeout)
    return load(IN_PROCESS_FINISHED_TESTS)(db, config)


def finished_tests() -> FinishedTests:
    """The port of the results app serving this request (made once, in ``create_app``)."""
    from flask import current_app

    return current_app.extensions["taitotaso.results.finished_tests"]


# -- the scoring service ------------------------------------------------------------------
