"""Spoken answers as queued jobs.

``submit`` checks the recording at once (format, length, silence, clipping: errors the
job seeker can act on come back with the upload), stores it as 16 kHz WAV with the task,
and queues ``run_speech_job``. The job claims its row, beats a heartbeat while it works,
writes its progress, and stores the result; uncertain results go to the review queue.

Nothing is lost when a worker dies: the recording is in the database, and a row whose
heartbeat stopped is queued again by ``recover_stale_jobs`` (run by every
``taitotaso worker`` twice a minute, when the server starts, and when a client polls a
stale job). Claiming is atomic, so a job queued twice runs once.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update

from item_bank.orm import utcnow
from scoring.speech.audio import AudioProblem, load, to_wav

from services.common.observability import observe_scoring

from .handlers import REVIEW_BELOW, shared_tools
from .orm import ScoreReview, SpeechJob

log = logging.getLogger(__name__)

JOB = "services.scoring.speech.run_speech_job"
# no heartbeat for this long: the worker died (tests shorten it)
STALE_AFTER = timedelta(seconds=float(os.environ.get("TAITOTASO_JOB_STALE_S") or 30))
HEARTBEAT_S = STALE_AFTER.total_seconds() / 5
MAX_ATTEMPTS = 3

_scorers: dict = {}
_scorer_lock = threading.Lock()


def speech_scorer(config):
    """One speech scorer per process and engine (the model takes seconds to load)."""
    engine = getattr(config, "asr_engine", "faster-whisper")
    threads = getattr(config, "asr_threads", 0) or None
    key = (engine, threads)
    if key not in _scorers:
        with _scorer_lock:
            if key not in _scorers:
                from scoring.speech.engines import make_recognizer
                from scoring.speech.scorer import SpeechScorer

                _scorers[key] = SpeechScorer(make_recognizer(engine, threads), *shared_tools())
    return _scorers[key]


def submit(db, queue, data: bytes, *, task: str, text: str, item_id: str | None = None,
           passage_cefr: str | None = None, max_seconds: float | None = None,
           session_id: str | None = None, ui_language: str = "fi") -> dict:
    """Check and store a recording, queue its scoring; raises AudioProblem."""
    clip = load(data)
    if max_seconds and clip.duration > max_seconds + 5:
        raise AudioProblem("too_long", f"the answer may last at most {max_seconds:.0f} s",
                           seconds=round(clip.duration, 1), limit=max_seconds)
    job_id = str(uuid.uuid4())
    with db.session() as s:
        s.add(SpeechJob(id=job_id, task=task, item_id=item_id, session_id=session_id, text=text,
                        passage_cefr=passage_cefr, max_seconds=max_seconds, ui_language=ui_language,
                        audio=to_wav(clip.samples), duration_s=clip.duration, status="queued",
                        stage="queued", progress=0.0, attempts=0))
    queue.enqueue(JOB, job_id)
    return status(db, job_id)


def status(db, job_id: str) -> dict | None:
    with db.session() as s:
        row = s.get(SpeechJob, job_id)
        return None if row is None else _out(row)


def session_jobs(db, session_id: str) -> list[dict]:
    """The jobs of a test session, in the order they were sent."""
    with db.session() as s:
        rows = s.scalars(select(SpeechJob).where(SpeechJob.session_id == session_id)
                         .order_by(SpeechJob.created_at, SpeechJob.id)).all()
        return [_out(r) for r in rows]


def _out(row: SpeechJob) -> dict:
    return {"id": row.id, "task": row.task, "item_id": row.item_id, "session_id": row.session_id,
            "status": row.status, "stage": row.stage, "progress": round(row.progress, 2),
            "attempts": row.attempts, "duration_s": round(row.duration_s, 2),
            "result": row.result, "error": row.error,
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "finished_at": row.finished_at.isoformat() if row.finished_at else None}


def _claim(db, job_id: str) -> bool:
    """queued → running, or take over a running job whose heartbeat stopped."""
    now = utcnow()
    with db.session() as s:
        claimed = s.execute(
            update(SpeechJob)
            .where(SpeechJob.id == job_id, SpeechJob.attempts < MAX_ATTEMPTS,
                   or_(SpeechJob.status == "queued",
                       (SpeechJob.status == "running") & (SpeechJob.heartbeat_at < now - STALE_AFTER)))
            .values(status="running", stage="starting", attempts=SpeechJob.attempts + 1,
                    heartbeat_at=now, error=None)).rowcount
    return bool(claimed)


def _beat(db, job_id: str, stage: str | None = None, progress: float | None = None) -> None:
    values = {"heartbeat_at": utcnow()}
    if stage is not None:
        values |= {"stage": stage, "progress": progress}
    with db.session() as s:
        s.execute(update(SpeechJob).where(SpeechJob.id == job_id, SpeechJob.status == "running")
                  .values(**values))


def run_speech_job(ctx, job_id: str) -> str:
    """The queued job: score one stored recording (idempotent)."""
    if not _claim(ctx.db, job_id):
        return "skipped"
    with ctx.db.session() as s:
        row = s.get(SpeechJob, job_id)
        audio, task, text = row.audio, row.task, row.text
        cefr, max_seconds, session_id, item_id = row.passage_cefr, row.max_seconds, row.session_id, row.item_id
        attempts = row.attempts
    stop = threading.Event()

    def heartbeat():
        while not stop.wait(HEARTBEAT_S):
            _beat(ctx.db, job_id)

    beater = threading.Thread(target=heartbeat, name=f"speech-heartbeat-{job_id[:8]}", daemon=True)
    beater.start()
    try:
        scorer = speech_scorer(ctx.config)
        started = time.perf_counter()
        result = scorer.score(audio, reference_text=text if task == "read_aloud" else None,
                              prompt_text=text if task == "open_speaking" else None,
                              passage_cefr=cefr, max_seconds=max_seconds,
                              progress=lambda stage, share: _beat(ctx.db, job_id, stage, share))
        observe_scoring("speech", time.perf_counter() - started)
    except Exception as err:
        stop.set()
        final = attempts >= MAX_ATTEMPTS
        log.exception("speech job %s failed (attempt %d)", job_id, attempts)
        with ctx.db.session() as s:
            s.execute(update(SpeechJob).where(SpeechJob.id == job_id).values(
                status="failed" if final else "queued", stage="failed" if final else "queued",
                error=f"{err.__class__.__name__}: {err}", finished_at=utcnow() if final else None))
        if final:
            return "failed"
        raise   # the queue retries it
    finally:
        stop.set()
    with ctx.db.session() as s:
        row = s.get(SpeechJob, job_id, with_for_update=True)
        if result["cefr"] is None or result["confidence"] < REVIEW_BELOW:
            review = ScoreReview(kind="speech", task_id=item_id, session_id=session_id, prompt=text,
                                 answer=result["transcript"] or "", machine=result | {"job_id": job_id},
                                 confidence=result["confidence"], status="open")
            s.add(review)
            s.flush()
            result["review_id"] = review.id
        row.result, row.status, row.stage, row.progress = result, "done", "done", 1.0
        row.finished_at = utcnow()
    return "done"


def recover_stale_jobs(db, queue, older_than: timedelta = STALE_AFTER) -> list[str]:
    """Queue again the jobs whose worker stopped: running without a heartbeat, or queued
    long ago and never started (the in-process queue died with its server)."""
    cutoff = utcnow() - older_than
    with db.session() as s:
        ids = s.scalars(select(SpeechJob.id).where(
            SpeechJob.attempts < MAX_ATTEMPTS,
            or_((SpeechJob.status == "running") & (SpeechJob.heartbeat_at < cutoff),
                (SpeechJob.status == "queued") & (SpeechJob.created_at < cutoff)
                & or_(SpeechJob.heartbeat_at.is_(None), SpeechJob.heartbeat_at < cutoff)))).all()
        exhausted = s.execute(update(SpeechJob).where(
            SpeechJob.attempts >= MAX_ATTEMPTS, SpeechJob.status == "running",
            SpeechJob.heartbeat_at < cutoff).values(
                status="failed", stage="failed", finished_at=utcnow(),
                error="the worker stopped on every attempt")).rowcount
    for job_id in ids:
        with db.session() as s:   # back to queued, stamped so the next sweep waits for it
            s.execute(update(SpeechJob).where(SpeechJob.id == job_id).values(
                status="queued", stage="queued", heartbeat_at=utcnow()))
        queue.enqueue(JOB, job_id)
    if ids or exhausted:
        log.warning("speech jobs queued again after their worker stopped: %s; given up: %d", ids, exhausted)
    return list(ids)
