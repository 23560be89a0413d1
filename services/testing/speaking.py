"""The optional speaking part after the adaptive items: two speaking tasks (a read-aloud
and an open prompt) chosen near the session's result, their recordings sent to the scoring
service (its speech jobs), and the jobs read back. A mixin of
:class:`services.testing.handlers.TestingService`."""
from __future__ import annotations

import logging
import uuid

import numpy as np
from sqlalchemy import select

from assessment.cefr import LEVELS
from item_bank.model import Item
from services.common.errors import APIError

from .orm import TestSession
from .ports import ScoringUnavailable

log = logging.getLogger(__name__)

# the optional speaking part: item kind -> the speech scorer's task, in the order given
SPEAKING_TASKS = {"read_aloud": "read_aloud", "speaking_prompt": "open_speaking"}
READ_ALOUD_SECONDS = 120  # the recording limit of a read-aloud answer (the scorer's maximum)
# the scoring service does not answer: the recording is not kept, the browser still has it
SPEECH_UNAVAILABLE = ("The recording could not be sent for scoring now; send it again in a "
                      "minute. Nothing was stored.")
SPEECH_JOBS_UNAVAILABLE = ("Your spoken answers cannot be read from the scoring service now; "
                           "try again in a minute. Nothing is lost.")


class SpeakingPart:
    """The speaking part of the testing service (``self`` is the
    :class:`~services.testing.handlers.TestingService`)."""

    def session_language(self, session_id: str, token: str | None) -> str:
        with self.db.session() as s:
            return self._load(s, session_id, token).ui_language

    def _finished_session(self, s, session_id: str, token: str | None, lock: bool = False) -> TestSession:
        sess = self._load(s, session_id, token)
        if lock:  # PostgreSQL: uploads of this session wait for each other (SQLite ignores it)
            s.execute(select(TestSession.id).where(TestSession.id == session_id).with_for_update())
        if sess.status != "finished":
            raise APIError(409, "The speaking part comes after the test: answer the items from "
                                "GET /next until it says done.")
        return sess

    def _session_jobs(self, session_id: str, unavailable: str = SPEECH_JOBS_UNAVAILABLE) -> list[dict]:
        """The session's spoken answers, from the scoring service (in the order sent); 503
        with ``unavailable`` when it does not answer."""
        try:
            return self.speech.jobs(session_id)
        except ScoringUnavailable as err:
            log.warning("the spoken answers of a session could not be read: %s", err)
            raise APIError(503, unavailable) from None

    def _speaking_items(self, sess: TestSession, jobs: list[dict]) -> list[Item]:
        """One live item of each speaking kind at the level nearest the session's overall
        result, chosen at random among the nearest but the same every time for a session.
        An item that already has a recording in this session stays chosen."""
        live = self.bank.get().speaking
        level = LEVELS.index((sess.result or {}).get("overall", {}).get("cefr", "B1"))
        answered = {j["item_id"] for j in jobs}
        chosen = []
        for n, kind in enumerate(SPEAKING_TASKS):
            candidates = [i for i in live if i.kind == kind]
            if not candidates:
                continue
            kept = [i for i in candidates if i.id in answered]
            if kept:
                chosen.append(kept[0])
                continue
            distance = min(abs(LEVELS.index(i.cefr) - level) for i in candidates)
            nearest = [i for i in candidates if abs(LEVELS.index(i.cefr) - level) == distance]
            rng = np.random.default_rng([uuid.UUID(sess.id).int & (2**63 - 1), 101 + n])
            chosen.append(nearest[int(rng.integers(len(nearest)))])
        return chosen

    @staticmethod
    def _speaking_task(item: Item) -> dict:
        """What the learner's browser needs for one speaking task (no level, no IRT)."""
        out = {"item_id": item.id, "kind": item.kind, "task": SPEAKING_TASKS[item.kind]}
        if item.kind == "read_aloud":
            out |= {"text": item.content["text"], "prep_seconds": 0,
                    "max_seconds": READ_ALOUD_SECONDS}
        else:
            out |= {"prompt": item.content["prompt"],
                    "prep_seconds": int(item.content.get("prep_seconds") or 0),
                    "max_seconds": int(item.content.get("max_seconds") or READ_ALOUD_SECONDS)}
        return out

    @staticmethod
    def _job_out(job: dict, language: str) -> dict:
        from services.common.feedback import with_messages

        result = dict(job["result"]) if job.get("result") else None
        if result is not None and result.get("feedback") is not None:
            result["feedback"] = with_messages(result["feedback"], language)
        return {"id": job["id"], "item_id": job.get("item_id"), "task": job["task"],
                "status": job["status"], "stage": job.get("stage"),
                "progress": round(job.get("progress") or 0.0, 2),
                "duration_s": round(job.get("duration_s") or 0.0, 2), "result": result,
                "created_at": job.get("created_at"), "finished_at": job.get("finished_at"),
                "status_url": f"/api/v1/scoring/jobs/{job['id']}"}

    @staticmethod
    def _latest_by_item(jobs: list[dict]) -> dict[str | None, dict]:
        latest: dict[str | None, dict] = {}
        for j in jobs:  # in the order sent: a later recording (after a failed one) wins
            latest[j["item_id"]] = j
        return latest

    def speaking_tasks(self, session_id: str, token: str | None, language: str | None = None) -> list[dict]:
        """The two speaking tasks of a finished session, each with its job (or None)."""
        with self.db.session() as s:
            sess = self._finished_session(s, session_id, token)
            jobs = self._session_jobs(session_id)
            latest = self._latest_by_item(jobs)
            language = language or sess.ui_language
            return [{**self._speaking_task(item),
                     "job": self._job_out(latest[item.id], language) if item.id in latest else None}
                    for item in self._speaking_items(sess, jobs)]

    def submit_speaking(self, session_id: str, token: str | None, item_id: str, data: bytes) -> dict:
        """Send a recording for one of the session's two speaking tasks to the scoring
        service, which checks it, keeps it and queues its scoring; returns the job at once.
        Raises AudioProblem for a recording that cannot be scored, APIError 404 for another
        item, 409 before the test is finished or when this task already has a recording (one
        that failed to score may be sent again), 503 when the scoring service cannot take it
        now (nothing is kept: the learner sends it again)."""
        lock = self._upload_locks[hash(session_id) % len(self._upload_locks)]
        with lock, self.db.session() as s:
            sess = self._finished_session(s, session_id, token, lock=True)
            jobs = self._session_jobs(session_id, SPEECH_UNAVAILABLE)
            item = next((i for i in self._speaking_items(sess, jobs) if i.id == item_id), None)
            if item is None:
                raise APIError(404, f"{item_id!r} is not a speaking task of this test: send one of "
                                    "the item ids that GET /speaking lists.",
                               {"item_id": ["not a speaking task of this session"]})
            earlier = self._latest_by_item(jobs).get(item_id)
            if earlier is not None and earlier["status"] != "failed":
                raise APIError(409, "A recording for this task has already been sent; it is kept "
                                    "and scored. Go on to the next task or to your result.",
                               {"item_id": ["already answered"]})
            task = self._speaking_task(item)
            try:
                job = self.speech.submit(
                    data, task=task["task"],
                    text=item.content["text" if item.kind == "read_aloud" else "prompt"],
                    item_id=item.id, passage_cefr=item.cefr,
                    max_seconds=None if item.kind == "read_aloud" else task["max_seconds"],
                    session_id=session_id, ui_language=sess.ui_language)
            except ScoringUnavailable as err:
                log.warning("a recording could not be sent for scoring: %s", err)
                raise APIError(503, SPEECH_UNAVAILABLE, {"audio": ["scoring_unavailable"]}) from None
            return self._job_out(job, sess.ui_language)

    def speaking_job(self, session_id: str, token: str | None, job_id: str,
                     language: str | None = None) -> dict:
        with self.db.session() as s:
            sess = self._load(s, session_id, token)
            language = language or sess.ui_language
        try:
            job = self.speech.job(job_id)
        except ScoringUnavailable as err:
            log.warning("a spoken answer could not be read: %s", err)
            raise APIError(503, SPEECH_JOBS_UNAVAILABLE) from None
        if job is None or job.get("session_id") != session_id:
            raise APIError(404, "This test has no spoken answer with this id.")
        return self._job_out(job, language)

    def speaking_jobs(self, session_id: str, token: str | None, language: str | None = None) -> list[dict]:
        """The session's spoken answers (the latest one of each task), with status, progress
        and, when scored, the result with feedback in ``language`` (default: the session's).
        The scoring service queues again a job whose worker stopped (the embedded default
        has no sweeper) before it answers."""
        with self.db.session() as s:
            sess = self._load(s, session_id, token)
            language = language or sess.ui_language
        jobs = list(self._latest_by_item(self._session_jobs(session_id)).values())
        return [self._job_out(j, language) for j in jobs]
