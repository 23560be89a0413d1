"""What the results service needs from other services, as small interfaces (ports).

Each port has an HTTP adapter here, used where the other service is configured apart
(``TAITOTASO_TESTING_URL``, ``TAITOTASO_SCORING_URL``), and an in-process adapter for the
embedded default in ``services/adapters``, named by its dotted path so that this package
imports no other service.
"""
from __future__ import annotations

import logging
import urllib.error
import urllib.parse
from collections.abc import Iterable
from typing import Protocol

from services.common.config import Config
from services.common.ports import load
from services.common.service_calls import (ServiceUnavailable, call_service, error_body,
                                           json_request)

log = logging.getLogger(__name__)

# -- the testing service ------------------------------------------------------------------
class TestingUnavailable(ServiceUnavailable):
    """The testing service did not answer: the job seeker tries again in a moment."""


class FinishedTests(Protocol):
    """The tests the testing service keeps, as the results service needs them: a finished
    test to keep in an account (its result copied into ``owned_results`` and kept in step
    by the event ``test.result_changed``), and a job seeker's tests erased or exported."""

    def finished(self, session_id: str, token: str) -> dict | None:
        """The finished test ``session_id`` for the holder of its bearer ``token``:
        ``session_id``, ``ui_language``, ``started_at``, ``finished_at``,
        ``result_changed_at`` (ISO 8601; the ``changed_at`` of the event that told the
        result), ``bank_version``, ``cut_scores_version`` and ``result`` (``overall``,
        ``skills``, ``n_items``...); None for an unknown id, a wrong token or a test not
        finished."""

    def erase(self, session_ids: list[str]) -> dict:
        """Forget these tests (answers deleted, tokens replaced); counts. Idempotent."""

    def answers(self, session_ids: list[str]) -> list[dict]:
        """The answers given in these tests, for a data export."""


# what the result API answers beyond the levels (services/testing/schemas.py ResultSchema)
_ABOUT = ("id", "ui_language", "started_at", "finished_at", "result_changed_at")


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
                "result_changed_at": body.get("result_changed_at"),
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
# The reviews of uncertain scores and the spoken answers are the scoring service's rows
# (``score_reviews``, ``speech_jobs``). The coach pages read them through
# :class:`ScoringRecords` for the sessions a coach may see (decided here, in coaching.py),
# pass a coach's decision on (the scoring service commits it and publishes
# ``review.decided``), and the account's export and erasure read and delete a job seeker's.
# Embedded: ``services.adapters.scoring:InProcessScoringRecords``; deployed apart:
# :class:`HttpScoringRecords`, the scoring API's service-only part under
# ``/api/v1/scoring/records`` with this service's credential (``TAITOTASO_SCORING_SECRET``,
# registered there as ``results`` in ``TAITOTASO_SCORING_CLIENTS``).
IN_PROCESS_SCORING_RECORDS = "services.adapters.scoring:InProcessScoringRecords"


class ScoringUnavailable(ServiceUnavailable):
    """The scoring service did not answer (down, too slow, refused our credential): try later."""


class NoSuchReview(LookupError):
    """There is no review with this id (any more)."""


class AlreadyReviewed(RuntimeError):
    """Someone decided this review first (the scoring API's 409); the message names them."""


class DecisionRefused(ValueError):
    """The scoring service refused the decision itself (422): e.g. a changed level without
    a reason. ``errors`` per field."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


class ScoringRecords(Protocol):
    """The scoring service's rows of given test sessions. A review is the dict the scoring
    service shows (``id``, ``kind``, ``task_id``, ``session_id``, ``prompt``, ``answer``,
    ``machine_cefr``, ``confidence``, ``machine``, ``status``, ``reviewed_cefr``,
    ``reviewer``, ``note``, ``created_at``, ``reviewed_at``); a speech job the dict of its
    ``GET /api/v1/scoring/jobs/<id>`` (no recording). Every method raises
    :class:`ScoringUnavailable` when the scoring service cannot answer."""

    def reviews(self, session_ids: Iterable[str] | None, *, status: str = "all",
                limit: int = 200) -> list[dict]:
        """The reviews of ``session_ids`` (every session's: None), oldest first; ``status``
        open, reviewed or all."""

    def review(self, review_id: int) -> dict | None:
        """One review, or None."""

    def review_audio(self, review_id: int) -> bytes | None:
        """The WAV recording of a spoken answer under review, or None (a written answer, a
        recording deleted)."""

    def decide(self, review_id: int, *, cefr: str, reviewer: str, reason: str | None) -> dict:
        """``reviewer`` (an email) sets the level ``cefr`` of an uncertain answer, with
        ``reason`` (needed when it differs from the machine's). The scoring service commits
        it and publishes ``review.decided``; returns the review with ``effect`` and
        ``events``. Raises :class:`AlreadyReviewed`, :class:`DecisionRefused`,
        :class:`NoSuchReview`; :class:`ScoringUnavailable` (then nothing was decided, or,
        after a timeout, the review shows whether it was)."""

    def speech_jobs(self, session_ids: Iterable[str]) -> dict[str, list[dict]]:
        """The spoken answers' jobs of each session that has any, in the order sent."""

    def export(self, session_ids: Iterable[str]) -> dict:
        """A person's data kept there, for her export: ``spoken_answers`` (with the
        recording as base64 WAV), ``reviews`` and ``review_ids``."""

    def erase(self, session_ids: Iterable[str]) -> dict:
        """Delete the reviews and spoken answers of ``session_ids`` (idempotent): ``erased``
        (counts per table) and ``review_ids``."""


class HttpScoringRecords:
    """:class:`ScoringRecords` over HTTP: the scoring API at ``url`` with this service's
    credential. A read is tried again once when the connection fails or the service is
    overloaded; a decision is not sent again after a timeout (it may have been taken)."""

    BASE = "/api/v1/scoring/records"
    REVIEWS = BASE + "/reviews/search"
    REVIEW = BASE + "/reviews/{id}"
    AUDIO = BASE + "/reviews/{id}/audio"
    DECISION = BASE + "/reviews/{id}/decision"
    SPEECH_JOBS = BASE + "/speech-jobs/search"
    EXPORT = BASE + "/export"
    ERASURE = BASE + "/erasure"
    PATHS = {"post": (REVIEWS, DECISION, SPEECH_JOBS, EXPORT, ERASURE), "get": (REVIEW, AUDIO)}

    def __init__(self, url: str, secret: str | None, timeout: float = 8.0, retries: int = 1,
                 retry_wait: float = 0.2, slow_timeout: float | None = None):
        self.base = url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        # an export carries recordings; an erasure rewrites the tables (VACUUM FULL)
        self.slow_timeout = slow_timeout or max(timeout, 60.0)
        self.retries = retries
        self.retry_wait = retry_wait

    def _call(self, method: str, path: str, body: dict | None = None, *, timeout: float | None = None,
              passed: tuple[int, ...] = (), retry_timeouts: bool = True, raw: bool = False):
        headers = {"Accept": "audio/wav"} if raw else None
        return call_service("scoring", self.base, lambda: json_request(
            self.base, path, self.secret, method=method, body=body, headers=headers),
            timeout=timeout or self.timeout, retries=self.retries, retry_wait=self.retry_wait,
            retry_timeouts=retry_timeouts, passed=passed, unavailable=ScoringUnavailable, raw=raw)

    def _post(self, path: str, body: dict, **kw) -> dict:
        try:
            out = self._call("POST", path, body, **kw)
        except urllib.error.HTTPError as err:   # 413/422: what we sent, a bug here
            log.error("the scoring API refused the results service's request to %s: %s %s", path,
                      err.code, error_body(err).get("errors") or error_body(err).get("message"))
            raise ScoringUnavailable(f"the scoring API refused the call ({err.code})") from None
        if out is None:
            log.error("the scoring API has no %s (404)", path)
            raise ScoringUnavailable(f"the scoring API has no {path} (404)")
        return out

    @staticmethod
    def _sessions(session_ids: Iterable[str]) -> list[str]:
        return sorted({str(x) for x in session_ids})

    def reviews(self, session_ids: Iterable[str] | None, *, status: str = "all",
                limit: int = 200) -> list[dict]:
        body: dict = {"status": status, "limit": limit}
        if session_ids is not None:
            body["session_ids"] = self._sessions(session_ids)
            if not body["session_ids"]:
                return []
        return list(self._post(self.REVIEWS, body).get("reviews") or [])

    def review(self, review_id: int) -> dict | None:
        return self._call("GET", self.REVIEW.format(id=int(review_id)))

    def review_audio(self, review_id: int) -> bytes | None:
        return self._call("GET", self.AUDIO.format(id=int(review_id)), raw=True) or None

    def decide(self, review_id: int, *, cefr: str, reviewer: str, reason: str | None) -> dict:
        body = {"cefr": cefr, "reviewer": reviewer}
        if reason:
            body["note"] = reason
        try:
            out = self._call("POST", self.DECISION.format(id=int(review_id)), body,
                             passed=(409,), retry_timeouts=False)
        except urllib.error.HTTPError as err:
            payload = error_body(err)
            message = payload.get("message") or f"the scoring API refused the decision ({err.code})"
            if err.code == 409:
                raise AlreadyReviewed(message) from None
            raise DecisionRefused(message, payload.get("errors")) from None
        if out is None:
            raise NoSuchReview(review_id)
        return out

    def speech_jobs(self, session_ids: Iterable[str]) -> dict[str, list[dict]]:
        ids = self._sessions(session_ids)
        if not ids:
            return {}
        return dict(self._post(self.SPEECH_JOBS, {"session_ids": ids}).get("sessions") or {})

    def export(self, session_ids: Iterable[str]) -> dict:
        return self._post(self.EXPORT, {"session_ids": self._sessions(session_ids)},
                          timeout=self.slow_timeout)

    def erase(self, session_ids: Iterable[str]) -> dict:
        return self._post(self.ERASURE, {"session_ids": self._sessions(session_ids)},
                          timeout=self.slow_timeout)


def scoring_records_for(config, db, queue=None) -> ScoringRecords:
    """The scoring service's rows as configured: over HTTP where ``TAITOTASO_SCORING_URL``
    is set, else in this process (a decision published on ``queue``)."""
    if config.scoring_url:
        return HttpScoringRecords(config.scoring_url, config.scoring_secret, config.scoring_timeout)
    return load(IN_PROCESS_SCORING_RECORDS)(db, config, queue=queue)
