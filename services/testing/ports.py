"""What the testing service needs from other services, as ports with their adapters.

The testing service scores objective answers itself; a written answer is scored by the
scoring service, through :class:`Scorer`:

- the embedded default (one process, ``taitotaso serve``) uses the in-process adapter,
  ``services.adapters.scoring.InProcessScorer``, which calls the scoring service layer;
- a testing service deployed apart (``taitotaso serve --service testing``, Kubernetes)
  uses :class:`HttpScorer`: the scoring API at ``TAITOTASO_SCORING_URL`` with this
  service's credential (``TAITOTASO_SCORING_SECRET``), a timeout (``TAITOTASO_SCORING_TIMEOUT``,
  8 s) and one retry when the connection fails or the service is overloaded (not after a
  timeout: the scoring service is still working on it).

When the scoring service cannot answer (down, too slow, overloaded), the adapter raises
:class:`ScoringUnavailable`; the testing service then stores the answer unscored and
scores it when the scoring service is back (:meth:`TestingService.score_pending`): the
test goes on, the result waits, nothing is lost.

Spoken answers of the optional speaking part go the same way, through
:class:`SpeechScoring`: the recording is sent to the scoring service, which checks it at
once, keeps it and scores it by a queued job (its table ``speech_jobs``); the testing
service asks it for the session's jobs. In-process: ``InProcessSpeechScoring``; deployed
apart: :class:`HttpSpeechScoring` (``POST /api/v1/scoring/speech``, ``GET
/api/v1/scoring/jobs?session_id=``, ``GET /api/v1/scoring/jobs/<id>``). A recording the
scorer refuses raises ``scoring.speech.audio.AudioProblem`` (its code and message) in both;
no answer raises :class:`ScoringUnavailable` (nothing is stored then: the learner sends the
recording again).

A supervised test starts with a coach's one-time sitting code, which the results service
keeps and alone can check: :class:`Sittings`. In-process: ``InProcessSittings``
(``services.adapters.results``); deployed apart: :class:`HttpSittings` (``POST
/api/v1/results/sittings/claims`` at ``TAITOTASO_RESULTS_URL`` with
``TAITOTASO_RESULTS_SECRET``). A code that cannot start a test raises
:class:`SittingRefused` (its reason; the start page words it in the learner's language); no
answer raises :class:`SittingsUnavailable` (no test is started then).

The adapter is chosen by configuration (:func:`scorer_for`, :func:`speech_scoring_for`,
:func:`sittings_for`);
the in-process one is named by its dotted path, so that this package does not import
another service's code.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Protocol

from services.common.config import Config
from services.common.errors import APIError
from services.common.ports import load
from services.common.service_calls import (ServiceUnavailable, call_service, error_body,
                                           json_request)

log = logging.getLogger(__name__)

# the embedded default's adapter: outside the service packages, which it joins
IN_PROCESS_SCORER = "services.adapters.scoring:InProcessScorer"
IN_PROCESS_SPEECH = "services.adapters.scoring:InProcessSpeechScoring"
IN_PROCESS_SITTINGS = "services.adapters.results:InProcessSittings"


class ScoringUnavailable(ServiceUnavailable):
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

    def __init__(self, url: str, secret: str | None, timeout: float = 8.0, retries: int = 1,
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
        try:
            # no retry after a timeout: the scoring service is busy with it
            result = call_scoring(self.url, lambda: urllib.request.Request(
                self.url, data=data, headers=headers, method="POST"),
                self.timeout, self.retries, self.retry_wait, retry_timeouts=False)
        except urllib.error.HTTPError as err:   # 413/422: the text itself
            payload = error_body(err)
            raise APIError(422, payload.get("message") or "The text cannot be scored.",
                           payload.get("errors") or {"answer": "cannot be scored"}) from None
        if result is None:
            log.error("the scoring API has no %s (404)", self.PATH)
            raise ScoringUnavailable("the scoring API refused the call (404)")
        return result


class SpeechScoring(Protocol):
    """The scoring service's spoken-answer jobs. A job is a dict with at least ``id``,
    ``item_id``, ``task``, ``session_id``, ``status`` (queued, running, done, failed),
    ``stage``, ``progress`` (0-1), ``duration_s``, ``result`` (when done), ``created_at``
    and ``finished_at`` (ISO 8601 or None)."""

    def submit(self, data: bytes, *, task: str, text: str, item_id: str,
               passage_cefr: str | None, max_seconds: float | None, session_id: str,
               ui_language: str) -> dict:
        """Send a recording of ``task`` (``read_aloud``: ``text`` is what was read;
        ``open_speaking``: ``text`` is the prompt) for item ``item_id`` of test session
        ``session_id``; the scoring service checks it, keeps it and queues its scoring.
        Returns the job. Raises ``AudioProblem`` for a recording the scorer refuses,
        :class:`ScoringUnavailable` when it cannot be sent now (nothing is kept then)."""

    def jobs(self, session_id: str) -> list[dict]:
        """The jobs of a test session, in the order they were sent (a job whose worker
        stopped is queued again by the scoring service on the way). Raises
        :class:`ScoringUnavailable`."""

    def job(self, job_id: str) -> dict | None:
        """One job, or None when there is none with this id. Raises :class:`ScoringUnavailable`."""


class HttpSpeechScoring:
    """The scoring API's spoken answers over HTTP, with this service's credential."""

    SUBMIT = "/api/v1/scoring/speech"
    JOBS = "/api/v1/scoring/jobs"
    # the form field that carries the text of each task (SpeechRequestSchema)
    TEXT_FIELD = {"read_aloud": "reference_text", "open_speaking": "prompt_text"}

    def __init__(self, url: str, secret: str | None, timeout: float = 8.0, retries: int = 1,
                 retry_wait: float = 0.2, upload_timeout: float | None = None):
        self.base = url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        # a recording is up to 10 MB: its upload and check get longer than a read
        self.upload_timeout = upload_timeout or max(timeout, 30.0)
        self.retries = retries
        self.retry_wait = retry_wait

    @classmethod
    def form(cls, *, task: str, text: str, item_id: str, passage_cefr: str | None,
             max_seconds: float | None, session_id: str | None, ui_language: str) -> dict:
        """The form fields beside the recording (the scoring API's SpeechRequest): the text
        of the task, the bank item it answers as a label, the session it belongs to."""
        if task not in cls.TEXT_FIELD:
            raise ValueError(f"unknown speaking task {task!r}")
        form = {cls.TEXT_FIELD[task]: text, "item_id": item_id, "ui_language": ui_language}
        if passage_cefr:
            form["passage_cefr"] = passage_cefr
        if max_seconds:
            form["max_seconds"] = f"{float(max_seconds):g}"
        if session_id:
            form["session_id"] = session_id
        return form

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Accept": "application/json", **(extra or {})}
        if self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        return headers

    def _call(self, request_of, timeout: float, retry_timeouts: bool = True):
        """The JSON answer, or None for 404; HTTPError 413/422 is raised for the caller (no
        second try after a timeout of an upload that may have been taken: it would be kept
        twice)."""
        return call_scoring(self.base, request_of, timeout, self.retries, self.retry_wait,
                            retry_timeouts)

    def submit(self, data: bytes, *, task: str, text: str, item_id: str,
               passage_cefr: str | None, max_seconds: float | None, session_id: str,
               ui_language: str) -> dict:
        from scoring.speech.audio import AudioProblem

        form = self.form(task=task, text=text, item_id=item_id, passage_cefr=passage_cefr,
                         max_seconds=max_seconds, session_id=session_id, ui_language=ui_language)
        body, content_type = multipart(form, {"audio": ("answer", data, "application/octet-stream")})
        try:
            job = self._call(lambda: urllib.request.Request(
                self.base + self.SUBMIT, data=body, method="POST",
                headers=self._headers({"Content-Type": content_type})),
                self.upload_timeout, retry_timeouts=False)
        except urllib.error.HTTPError as err:
            payload = error_body(err)
            codes = (payload.get("errors") or {}).get("audio") or []
            if codes:   # the recording itself: the learner can act on it
                raise AudioProblem(str(codes[0]), payload.get("message") or "the recording "
                                   "cannot be scored") from None
            log.error("the scoring API refused the testing service's form: %s %s", err.code,
                      payload.get("errors") or payload.get("message"))
            raise ScoringUnavailable(f"the scoring API refused the form ({err.code})") from None
        if job is None:
            log.error("the scoring API has no %s (404)", self.SUBMIT)
            raise ScoringUnavailable("the scoring API refused the call (404)")
        return job

    def _get(self, path: str) -> dict | None:
        try:
            return self._call(lambda: urllib.request.Request(
                self.base + path, method="GET", headers=self._headers()), self.timeout)
        except urllib.error.HTTPError as err:
            log.error("the scoring API refused a read: %s %s", err.code, error_body(err).get("message"))
            raise ScoringUnavailable(f"the scoring API refused the call ({err.code})") from None

    def jobs(self, session_id: str) -> list[dict]:
        out = self._get(f"{self.JOBS}?{urllib.parse.urlencode({'session_id': session_id})}")
        if out is None:
            raise ScoringUnavailable("the scoring API has no job listing (404)")
        return list(out.get("jobs") or [])

    def job(self, job_id: str) -> dict | None:
        return self._get(f"{self.JOBS}/{urllib.parse.quote(job_id, safe='')}")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type: text ``fields``, and ``files`` as
    name -> (filename, data, content type)."""
    boundary = f"taitotaso-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"'
                     f"\r\n\r\n".encode() + str(value).encode() + b"\r\n")
    for name, (filename, data, content_type) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"; '
                     f'filename="{_quoted(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
                     .encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")


def call_scoring(base: str, request_of, timeout: float, retries: int, retry_wait: float,
                 retry_timeouts: bool = True):
    """One call to the scoring API (:func:`services.common.service_calls.call_service`):
    the JSON answer, or None for 404; HTTPError 413/422 is raised for the caller (the
    learner's text or recording); anything else is :class:`ScoringUnavailable`."""
    return call_service("scoring", base, request_of, timeout=timeout, retries=retries,
                        retry_wait=retry_wait, retry_timeouts=retry_timeouts,
                        unavailable=ScoringUnavailable)


def scorer_for(config: Config, db) -> Scorer:
    """The scoring service as configured: over HTTP where ``TAITOTASO_SCORING_URL`` is set,
    else in this process (the embedded default)."""
    if config.scoring_url:
        return HttpScorer(config.scoring_url, config.scoring_secret, config.scoring_timeout)
    _in_process_scoring_installed()
    return load(IN_PROCESS_SCORER)(db, config)


def _in_process_scoring_installed() -> None:
    """The in-process adapters run the scorers here: without their packages (the testing
    image installs only its own extra) the service would fail at the first written answer,
    so it refuses to start, saying what to set."""
    import importlib.util

    missing = [m for m in ("wordfreq", "lingua") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit("The testing service scores answers in its own process only when the "
                         f"scoring packages are installed (missing: {', '.join(missing)}): set "
                         "TAITOTASO_SCORING_URL to the scoring service's address, or install "
                         "taitotaso[scoring]")


def speech_scoring_for(config: Config, db, queue=None) -> SpeechScoring:
    """The scoring service's spoken answers as configured: over HTTP where
    ``TAITOTASO_SCORING_URL`` is set, else in this process (its jobs queued on ``queue``)."""
    if config.scoring_url:
        return HttpSpeechScoring(config.scoring_url, config.scoring_secret, config.scoring_timeout)
    return load(IN_PROCESS_SPEECH)(db, config, queue=queue)


# -- the results service: supervised sittings --------------------------------------------
class SittingsUnavailable(ServiceUnavailable):
    """The results service did not answer a sitting code now: no test is started."""


class SittingRefused(Exception):
    """A sitting code that cannot start a test: ``reason`` is ``malformed``, ``unknown``,
    ``used`` (by another test) or ``expired``."""

    REASONS = ("malformed", "unknown", "used", "expired")

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason if reason in self.REASONS else "malformed"


class Sittings(Protocol):
    def claim(self, code: str, session_id: str) -> dict:
        """Start test ``session_id`` (not created yet) with the coach's one-time sitting
        ``code`` as the job seeker typed it: the code is used up and the test's result will
        be supervised. Returns the sitting: ``sitting_id``, ``session_id``, ``coach_id``,
        ``used_at``, ``expires_at`` (ISO 8601). Only one test gets a sitting; the same claim
        again (same code, same test) answers the same sitting. Raises :class:`SittingRefused`
        or :class:`SittingsUnavailable`."""


class HttpSittings:
    """The results API's sittings over HTTP, with this service's credential."""

    CLAIM = "/api/v1/results/sittings/claims"

    def __init__(self, url: str, secret: str | None, timeout: float = 5.0, retries: int = 2,
                 retry_wait: float = 0.3):
        self.base = url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.retry_wait = retry_wait

    @staticmethod
    def body(code: str, session_id: str) -> dict:
        """The request body (the results API's SittingClaim)."""
        return {"code": code, "session_id": session_id}

    def claim(self, code: str, session_id: str) -> dict:
        body = self.body(code, session_id)
        try:
            # a claim again for the same test is answered the same: retried even after a timeout
            out = call_service("results", self.base, lambda: json_request(
                self.base, self.CLAIM, self.secret, method="POST", body=body),
                timeout=self.timeout, retries=self.retries, retry_wait=self.retry_wait,
                passed=(409,), unavailable=SittingsUnavailable)
        except urllib.error.HTTPError as err:   # 409, 422: the code, or our own body
            payload = error_body(err)
            refused = (payload.get("errors") or {}).get("code")
            if refused:
                raise SittingRefused(str(refused[0]) if isinstance(refused, list) else "") from None
            log.error("the results API refused a sitting claim: %s %s", err.code,
                      payload.get("errors") or payload.get("message"))
            raise SittingsUnavailable(f"the results API refused the call ({err.code})") from None
        if out is None:
            log.error("the results API has no %s (404)", self.CLAIM)
            raise SittingsUnavailable("the results API refused the call (404)")
        return out


def sittings_for(config: Config, db) -> Sittings:
    """The results service's sittings as configured: over HTTP where
    ``TAITOTASO_RESULTS_URL`` is set, else in this process (the embedded default)."""
    if config.results_url:
        return HttpSittings(config.results_url, config.results_secret)
    return load(IN_PROCESS_SITTINGS)(db, config)
