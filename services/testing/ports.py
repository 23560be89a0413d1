"""What the testing service needs from other services, as ports with their adapters.

The testing service scores objective answers itself; a written answer is scored by the
scoring service, through :class:`Scorer`:

- the embedded default (one process, ``taitotaso serve``) uses the in-process adapter,
  ``services.adapters.scoring.InProcessScorer``, which calls the scoring service layer;
- a testing service deployed apart (``taitotaso serve --service testing``, Kubernetes)
  uses :class:`HttpScorer`: the scoring API at ``TAITOTASO_SCORING_URL`` with this
  service's credential (``TAITOTASO_SCORING_SECRET``), a timeout and one retry.

When the scoring service cannot answer (down, too slow, overloaded), the adapter raises
:class:`ScoringUnavailable`; the testing service then stores the answer unscored and
scores it when the scoring service is back (:meth:`TestingService.score_pending`): the
test goes on, the result waits, nothing is lost.

The adapter is chosen by configuration (:func:`scorer_for`); the in-process one is named
by its dotted path, so that this package does not import another service's code.
"""
from __future__ import annotations

import importlib
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Protocol

from services.common.config import Config
from services.common.errors import APIError

log = logging.getLogger(__name__)

# the embedded default's adapter: outside the service packages, which it joins
IN_PROCESS_SCORER = "services.adapters.scoring:InProcessScorer"


class ScoringUnavailable(Exception):
    """The scoring service gave no score now (down, timed out, overloaded); try later."""


class Scorer(Protocol):
    def score_writing(self, text: str, *, item_id: str, prompt: str, min_words: int | None,
                      session_id: str | None, review: bool = True) -> dict:
        """The scoring service's result for a written answer to item ``item_id`` of test
        session ``session_id``: at least ``cefr`` (A1..C2) and ``confidence``. An uncertain
        score goes to the coaches' review queue there (once per session and item, however
        often it is asked), unless ``review`` is false (a practice text). Raises :class:`ScoringUnavailable` when no score can be had now,
        APIError 422 for a text the scorer refuses."""


class HttpScorer:
    """The scoring API over HTTP (``POST {url}/api/v1/scoring/writing``)."""

    PATH = "/api/v1/scoring/writing"

    def __init__(self, url: str, secret: str | None, timeout: float = 10.0, retries: int = 1,
                 retry_wait: float = 0.2):
        self.url = url.rstrip("/") + self.PATH
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.retry_wait = retry_wait

    @staticmethod
    def body(text: str, *, item_id: str, prompt: str, min_words: int | None,
             session_id: str | None, review: bool = True) -> dict:
        """The request body (the scoring API's WritingRequest)."""
        body = {"answer": text, "item_id": item_id, "prompt_text": prompt, "review": review}
        if min_words:
            body["min_words"] = int(min_words)
        if session_id:
            body["session_id"] = session_id
        return body

    def score_writing(self, text: str, *, item_id: str, prompt: str, min_words: int | None,
                      session_id: str | None, review: bool = True) -> dict:
        data = json.dumps(self.body(text, item_id=item_id, prompt=prompt, min_words=min_words,
                                    session_id=session_id, review=review)).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        last = "no answer"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_wait)
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as err:
                payload = _json(err)
                if err.code == 422:   # the text itself: the learner can act on it
                    raise APIError(422, payload.get("message") or "The text cannot be scored.",
                                   payload.get("errors") or {"answer": "cannot be scored"}) from None
                if err.code in (401, 403, 404, 400, 415):   # our own mistake: a bug or a setting
                    log.error("the scoring API refused the testing service: %s %s", err.code,
                              payload.get("message"))
                    raise ScoringUnavailable(f"the scoring API refused the call ({err.code})") from None
                last = f"HTTP {err.code}"   # 429, 5xx: try again, then later
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
                last = str(getattr(err, "reason", err))
        raise ScoringUnavailable(f"the scoring service at {self.url} did not answer: {last}")


def _json(err: urllib.error.HTTPError) -> dict:
    try:
        out = json.loads(err.read() or b"{}")
        return out if isinstance(out, dict) else {}
    except ValueError:
        return {}


def load(path: str):
    """The object named ``module:attribute``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def scorer_for(config: Config, db) -> Scorer:
    """The scoring service as configured: over HTTP where ``TAITOTASO_SCORING_URL`` is set,
    else in this process (the embedded default)."""
    if config.scoring_url:
        return HttpScorer(config.scoring_url, config.scoring_secret, config.scoring_timeout)
    return load(IN_PROCESS_SCORER)(db, config)
