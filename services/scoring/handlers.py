"""The scoring service layer: score written answers, keep the uncertain ones for review."""
from __future__ import annotations

import functools
import threading
import time

from sqlalchemy import select

from assessment.cefr import LEVELS
from item_bank.orm import utcnow
from scoring.written import WritingScorer
from services.common.config import Config
from services.common.db import Database
from services.common.errors import APIError
from services.common import outbox
from services.common.observability import observe_scoring

from .orm import ScoreReview

REVIEW_BELOW = 0.6  # confidence under which a coach checks the machine's level


def needs_review(result: dict) -> bool:
    """A coach checks a written level when the scorer is unsure of it, or when what it set
    aside (repetition, copying, off-task text, a word list) changed the level. Answers
    that are not Finnish writing at all (empty, another language, a copied prompt) get
    the lowest level with a note, and are not a coach's question."""
    if result["recognised_as"] in ("empty", "not_finnish", "copy_of_prompt"):
        return False
    return result["confidence"] < REVIEW_BELOW or bool(result.get("checks_changed_level"))


@functools.cache
def shared_tools():
    """Voikko, wordfreq and lingua, loaded once per process for every scorer."""
    from scoring.adapters import default_tools

    return default_tools()


class ScoringService:
    def __init__(self, db: Database, config: Config, scorer_factory=None, queue=None):
        self.db = db
        self.config = config
        self.queue = queue
        self._factory = scorer_factory
        self._scorer: WritingScorer | None = None
        self._lock = threading.Lock()
        self._tasks: dict | None = None

    # -- the scorer, made once (language tools take a few seconds to load) ---------------
    @property
    def scorer(self) -> WritingScorer:
        if self._scorer is None:
            with self._lock:
                if self._scorer is None:
                    if self._factory is not None:
                        self._scorer = self._factory()
                    else:
                        from scoring.adapters import writing_scorer

                        self._scorer = writing_scorer(shared_tools())
        return self._scorer

    @property
    def analyzer(self):
        """Voikko, for the partial credit of objective answers."""
        return self.scorer.analyzer

    def warm_up(self) -> None:
        self.scorer.score("Minä asun Espoossa ja käyn töissä.", "Kerro itsestäsi.")

    def tasks(self) -> dict:
        if self._tasks is None:
            from item_bank.content import writing_tasks

            self._tasks = writing_tasks()
        return self._tasks

    # -- scoring -------------------------------------------------------------------------
    def score_text(self, text: str, prompt: str, min_words=None, task_id: str | None = None) -> dict:
        """The written answer's scores (timed for the ``taitotaso_scoring_seconds`` metric)."""
        started = time.perf_counter()
        try:
            return self.scorer.score(text, prompt, min_words, task_id=task_id).as_dict()
        finally:
            observe_scoring("writing", time.perf_counter() - started)

    def score_writing(self, answer: str, task_id: str | None = None, prompt_text: str | None = None,
                      session_id: str | None = None, item_id: str | None = None,
                      min_words: int | None = None, review: bool = True) -> dict:
        """Score a written answer: to a writing task of the shipped content (``task_id``),
        or to ``prompt_text`` (with ``min_words``), e.g. an item of the live bank, named by
        ``item_id`` for the copy check and the review queue. An uncertain score of a test's
        answer (``session_id``) goes to the review queue once: asked again for the same
        session and item (a caller retrying after a timeout), the open review is kept.
        ``review`` false (a practice text): nothing is kept."""
        prompt = prompt_text or ""
        if task_id:
            if task_id not in self.tasks():
                raise APIError(404, f"There is no writing task {task_id!r}.",
                               {"task_id": ["unknown writing task"]})
            prompt, min_words = self.tasks()[task_id]
        label = task_id or item_id
        result = self.score_text(answer, prompt, min_words, label)
        if review and needs_review(result):
            with self.db.session() as s:
                row = None
                if session_id and label:
                    row = s.scalars(select(ScoreReview).where(
                        ScoreReview.kind == "writing", ScoreReview.session_id == session_id,
                        ScoreReview.task_id == label).limit(1)).first()
                if row is None:
                    row = ScoreReview(kind="writing", task_id=label, session_id=session_id,
                                      prompt=prompt, answer=answer, machine=result,
                                      confidence=result["confidence"], status="open")
                    s.add(row)
                    s.flush()
                result["review_id"] = row.id
        return result

    # -- spoken answers, scored by queued jobs ----------------------------------------------
    def speaking_tasks(self) -> dict:
        if getattr(self, "_speaking", None) is None:
            from item_bank.content import speaking_tasks

            self._speaking = speaking_tasks()
        return self._speaking

    def submit_speech(self, data: bytes, fields: dict, session_id: str | None = None) -> dict:
        """Check and keep a recording, queue its scoring; returns the job (raises AudioProblem).
        ``fields`` as SpeechRequestSchema loads them: ``item_id`` alone names a task of the
        shipped content; beside ``reference_text`` or ``prompt_text`` it is the caller's
        label of the item (e.g. the testing service's live-bank item). ``session_id`` (or the
        field of that name): the test session the recording belongs to."""
        from . import speech

        session_id = session_id or fields.get("session_id")
        if "reference_text" in fields:
            spec = {"task": "read_aloud", "text": fields["reference_text"],
                    "passage_cefr": fields.get("passage_cefr"), "max_seconds": fields.get("max_seconds")}
        elif "prompt_text" in fields:
            spec = {"task": "open_speaking", "text": fields["prompt_text"],
                    "passage_cefr": fields.get("passage_cefr"), "max_seconds": fields.get("max_seconds")}
        else:
            task = self.speaking_tasks().get(fields["item_id"])
            if task is None:
                raise APIError(404, f"There is no speaking item {fields['item_id']!r}.",
                               {"item_id": ["unknown speaking item"]})
            spec = {"task": task["task"], "text": task["text"],
                    "passage_cefr": task["cefr"], "max_seconds": task["max_seconds"]}
        return speech.submit(self.db, self.queue, data, session_id=session_id,
                             item_id=fields.get("item_id"),
                             ui_language=fields.get("ui_language", "en"), **spec)

    def speech_job(self, job_id: str) -> dict:
        from . import speech

        out = speech.status(self.db, job_id)
        if out is None:
            raise APIError(404, f"There is no scoring job {job_id!r}: check the address you were given.")
        if out["status"] in ("queued", "running"):
            # a poll on a job whose worker stopped queues it again (embedded mode has no sweeper)
            if speech.recover_stale_jobs(self.db, self.queue):
                out = speech.status(self.db, job_id)
        return out

    def speech_jobs(self, session_id: str) -> list[dict]:
        """The jobs of a test session in the order sent; while one waits, a job whose worker
        stopped is queued again first (as a poll on one job does)."""
        from . import speech

        jobs = speech.session_jobs(self.db, session_id)
        if any(j["status"] in ("queued", "running") for j in jobs) \
                and speech.recover_stale_jobs(self.db, self.queue):
            jobs = speech.session_jobs(self.db, session_id)
        return jobs

    # -- the review queue ----------------------------------------------------------------
    def reviews(self, status: str = "open", limit: int = 50) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(select(ScoreReview).where(ScoreReview.status == status)
                             .order_by(ScoreReview.created_at).limit(limit)).all()
            return [_review_out(r) for r in rows]

    def review_audio(self, review_id: int) -> bytes:
        from .orm import SpeechJob

        with self.db.session() as s:
            row = s.get(ScoreReview, review_id)
            job_id = (row.machine or {}).get("job_id") if row is not None else None
            job = s.get(SpeechJob, job_id) if job_id else None
            if job is None:
                raise APIError(404, "This review has no recording: only spoken answers have one.")
            return job.audio

    # -- the rows of given sessions, for the suite's other services (records.py) ------------
    def reviews_of(self, session_ids: list[str] | None, status: str = "all", limit: int = 200) -> list[dict]:
        """The reviews of ``session_ids`` (of every session: None), oldest first."""
        from . import records

        return records.reviews_of(self.db, session_ids, status, limit)

    def review_of(self, review_id: int) -> dict:
        """One review as :func:`review_out` shows it; 404 when there is none."""
        with self.db.read() as s:
            row = s.get(ScoreReview, review_id)
            if row is None:
                raise APIError(404, f"There is no review {review_id}.")
            return _review_out(row)

    def speech_jobs_of(self, session_ids: list[str]) -> dict[str, list[dict]]:
        from . import records

        return records.speech_jobs_of(self.db, session_ids)

    def export_sessions(self, session_ids: list[str]) -> dict:
        from . import records

        return records.export_sessions(self.db, session_ids)

    def erase_sessions(self, session_ids: list[str]) -> dict:
        from . import records

        return records.erase_sessions(self.db, session_ids)

    def review(self, review_id: int, cefr: str, reviewer: str, note: str | None) -> dict:
        """A coach's decision on an uncertain score: confirm the machine's level, or
        override it, which needs a reason (``note``).

        Scoring commits its own part (the review row and, for a spoken answer, the job's
        result: :func:`reflect_review`) with the event ``review.decided`` in its outbox
        (``services.common.outbox``), then publishes it (``services.common.events``): the
        testing service re-estimates the session's result and the results service audits
        the decision (``review.confirm`` / ``review.override``
        on ``score_review:<id>``), each in its own transaction, when its job runs. The
        answer is the review with ``effect``: ``speech_job`` (the spoken answer's job shows
        the level now), ``session_result_queued`` (the session's result is re-estimated when
        the testing service handles the event) or ``review_only``; and ``events``, the names
        of the events queued."""
        if cefr not in LEVELS:
            raise APIError(422, "cefr must be one of A1, A2, B1, B2, C1, C2", {"cefr": ["not a level"]})
        if self.queue is None:  # a wiring bug: the decision would reach no other service
            raise RuntimeError("ScoringService.review needs the job queue to publish review.decided")
        note = (note or "").strip() or None

        with self.db.session() as s:
            row = s.get(ScoreReview, review_id, with_for_update=True)
            if row is None:
                raise APIError(404, "There is no such review.")
            if row.status == "reviewed":
                raise APIError(409, f"This answer was already reviewed by {row.reviewer}.")
            machine_cefr = (row.machine or {}).get("cefr")
            override = cefr != machine_cefr
            if override and note is None:
                raise APIError(422, f"Give the reason (note) for changing the machine's level "
                                    f"{machine_cefr or '(none)'} to {cefr}.",
                               {"note": ["a reason is needed to override the machine's level"]})
            row.status, row.reviewed_cefr, row.reviewer, row.note = "reviewed", cefr, reviewer, note
            row.reviewed_at = utcnow()
            effect = reflect_review(s, row)
            s.flush()
            out = _review_out(row)
            # committed with the decision, delivered after it (or by the sweep: nothing lost)
            event = outbox.record(s, "scoring", "review.decided",
                                  review_decided(row, machine_cefr, override, effect))
        outbox.deliver(self.db, self.queue, event.id)
        return {**out, "effect": effect, "events": ["review.decided"]}


def review_decided(row: ScoreReview, machine_cefr: str | None, override: bool, effect: str) -> dict:
    """The payload of the ``review.decided`` event (JSON)."""
    return {"review_id": row.id, "kind": row.kind, "session_id": row.session_id,
            "task_id": row.task_id, "machine_cefr": machine_cefr, "cefr": row.reviewed_cefr,
            "reviewer": row.reviewer, "note": row.note, "override": override,
            "decided_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
            "effect": effect}


def reflect_review(s, row: ScoreReview) -> str:
    """Make the reviewed level the one shown for the answer, as far as scoring's own tables
    go; returns what the decision changes.

    - A spoken answer (``speech_job``): its job's result gets ``cefr`` = the reviewed level
      (the machine's stays as ``machine_cefr``) and ``reviewed``, so the job seeker's result
      page and the coach pages show the coach's level. Spoken scores are not part of the
      test's estimate.
    - A written answer of an adaptive test (``session_result_queued``): the testing service
      makes the reviewed level the answer's score and estimates the session's result again
      when it handles ``review.decided`` (``services.testing.jobs.on_review_decided``).
    - A text sent to the scoring API alone (``review_only``): only the review row holds the
      level.
    """
    from .orm import SpeechJob

    cefr = row.reviewed_cefr
    if row.kind == "speech":
        job_id = (row.machine or {}).get("job_id")
        job = s.get(SpeechJob, job_id) if job_id else None
        if job is None or not job.result:
            return "review_only"
        result = dict(job.result)
        result.setdefault("machine_cefr", result.get("cefr"))
        result["cefr"] = cefr
        result["reviewed"] = {"cefr": cefr, "review_id": row.id,
                              "at": row.reviewed_at.isoformat() if row.reviewed_at else None}
        job.result = result
        return "speech_job"
    if row.session_id and row.task_id:
        return "session_result_queued"
    return "review_only"


def review_out(r: ScoreReview) -> dict:
    """A review as the API and the coach pages show it."""
    return {"id": r.id, "kind": r.kind, "task_id": r.task_id, "session_id": r.session_id,
            "prompt": r.prompt, "answer": r.answer, "machine_cefr": r.machine.get("cefr"),
            "confidence": r.confidence, "machine": r.machine, "status": r.status,
            "reviewed_cefr": r.reviewed_cefr, "reviewer": r.reviewer, "note": r.note,
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "reviewed_at": r.reviewed_at.isoformat() if r.reviewed_at else None}


_review_out = review_out
