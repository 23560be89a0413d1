"""The scoring service's rows of given test sessions, for the suite's other services.

The results service shows a coach the reviews of the sessions a job seeker shared with
them, the spoken answers' levels, and erases or exports a job seeker's rows when she
deletes her account or asks for her data. Which sessions those are is the results
service's decision; these functions only read, erase or export the rows of the sessions
named (``score_reviews``, ``speech_jobs``: the tables this service owns).
"""
from __future__ import annotations

import base64
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import delete, select, text

from assessment.agreement import quadratic_weighted_kappa
from assessment.cefr import LEVELS

from .handlers import review_out
from .orm import ScoreReview, SpeechJob

log = logging.getLogger(__name__)

# the tables an erasure deletes from: rewritten on PostgreSQL afterwards
OWN_TABLES = ("score_reviews", "speech_jobs")


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC to the second (SQLite gives datetimes back without a time zone)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="seconds")


def _ids(session_ids: Iterable[str]) -> list[str]:
    return sorted({str(x) for x in session_ids})


def reviews_of(db, session_ids: Iterable[str] | None, status: str = "all", limit: int = 200) -> list:
    """The review rows of ``session_ids`` (every session's for None), oldest first; ``status``
    open, reviewed or all."""
    query = select(ScoreReview).order_by(ScoreReview.created_at, ScoreReview.id).limit(limit)
    if status in ("open", "reviewed"):
        query = query.where(ScoreReview.status == status)
    if session_ids is not None:
        ids = _ids(session_ids)
        if not ids:
            return []
        query = query.where(ScoreReview.session_id.in_(ids))
    with db.read() as s:
        return [review_out(r) for r in s.scalars(query).all()]


def speech_jobs_of(db, session_ids: Iterable[str]) -> dict[str, list[dict]]:
    """The spoken answers' jobs of each session that has any, in the order they were sent
    (the job as ``GET /jobs/<id>`` shows it: no recording)."""
    from .speech import _out

    ids = _ids(session_ids)
    if not ids:
        return {}
    with db.read() as s:
        rows = s.scalars(select(SpeechJob).where(SpeechJob.session_id.in_(ids))
                         .order_by(SpeechJob.created_at, SpeechJob.id)).all()
        out: dict[str, list[dict]] = {}
        for row in rows:
            out.setdefault(row.session_id, []).append(_out(row))
    return out


def export_sessions(db, session_ids: Iterable[str]) -> dict:
    """What this service keeps of ``session_ids``, for a job seeker's data export: her
    spoken answers (recording as base64 WAV, transcript, result) and the reviews of her
    answers, as the export has always shown them; ``review_ids`` names the reviews (for
    the notes about them in the caller's audit log)."""
    ids = _ids(session_ids)
    if not ids:
        return {"spoken_answers": [], "reviews": [], "review_ids": []}
    with db.read() as s:
        jobs = s.scalars(select(SpeechJob).where(SpeechJob.session_id.in_(ids))
                         .order_by(SpeechJob.created_at, SpeechJob.id)).all()
        spoken = [{"test": j.session_id, "item_id": j.item_id, "task": j.task,
                   "created_at": _iso(j.created_at), "duration_s": j.duration_s,
                   "transcript": (j.result or {}).get("transcript"),
                   "result": j.result,
                   "recording_wav_base64": base64.b64encode(j.audio).decode("ascii") if j.audio else None}
                  for j in jobs]
        rows = s.scalars(select(ScoreReview).where(ScoreReview.session_id.in_(ids))
                         .order_by(ScoreReview.created_at, ScoreReview.id)).all()
        reviews = [{"test": r.session_id, "kind": r.kind, "answer": r.answer, "status": r.status,
                    "machine_cefr": (r.machine or {}).get("cefr"), "reviewed_cefr": r.reviewed_cefr,
                    "reviewer": r.reviewer, "note": r.note, "created_at": _iso(r.created_at),
                    "reviewed_at": _iso(r.reviewed_at)} for r in rows]
        review_ids = [r.id for r in rows]
    return {"spoken_answers": spoken, "reviews": reviews, "review_ids": review_ids}


def erase_sessions(db, session_ids: Iterable[str]) -> dict:
    """Delete the reviews and the spoken answers (recordings, transcripts) of
    ``session_ids``, then make the database files forget them (:func:`forget_bytes`).
    Returns the counts and the ids of the reviews deleted. Idempotent: erasing again
    deletes nothing more and answers zeros."""
    ids = _ids(session_ids)
    if not ids:
        return {"erased": {"score_reviews": 0, "speech_jobs": 0}, "review_ids": []}
    with db.session() as s:
        review_ids = sorted(s.scalars(select(ScoreReview.id).where(ScoreReview.session_id.in_(ids))))
        reviews = s.execute(delete(ScoreReview).where(ScoreReview.id.in_(review_ids))).rowcount \
            if review_ids else 0
        jobs = s.execute(delete(SpeechJob).where(SpeechJob.session_id.in_(ids))).rowcount
    if reviews or jobs:
        forget_bytes(db)
    log.info("erased the scoring rows of %d sessions: %d reviews, %d spoken answers",
             len(ids), reviews, jobs)
    return {"erased": {"score_reviews": reviews, "speech_jobs": jobs}, "review_ids": review_ids}


def forget_bytes(db, tables: Iterable[str] = OWN_TABLES) -> None:
    """Make the database files forget deleted rows: SQLite overwrites them with zeros
    (``PRAGMA secure_delete``, services/common/db.py) and its WAL is checkpointed and
    truncated; PostgreSQL rewrites ``tables`` and their indexes (``VACUUM FULL``)."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.execute(text(f"VACUUM (FULL) {table}"))


__all__ = ["reviews_of", "speech_jobs_of", "export_sessions", "erase_sessions", "forget_bytes",
           "OWN_TABLES"]


# -- for the validity report (services/validity.py): machine against coach -----------------
REVIEW_SKILL = {"writing": "writing", "speech": "speaking"}
AGREEMENT_SKILLS = ("writing", "speaking", "all")


def _r(x, digits: int = 4):
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def machine_coach_agreement(db) -> dict:
    """On the written and spoken answers a coach reviewed: how often the coach kept the
    machine's level (exact), was at most one level off (adjacent), the quadratic weighted
    kappa and how often the coach went higher or lower, per skill (writing, speaking, all)."""
    import numpy as np

    with db.read() as s:
        rows = s.execute(select(ScoreReview.kind, ScoreReview.machine, ScoreReview.reviewed_cefr)
                         .where(ScoreReview.status == "reviewed",
                                ScoreReview.reviewed_cefr.is_not(None))).all()
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for kind, machine, coach in rows:
        level = (machine or {}).get("machine_cefr") or (machine or {}).get("cefr")
        if level in LEVELS and coach in LEVELS:
            pairs[REVIEW_SKILL.get(kind, kind)].append((LEVELS.index(level), LEVELS.index(coach)))
    pairs["all"] = [p for skill in list(pairs) for p in pairs[skill]]
    out = {}
    for skill in AGREEMENT_SKILLS:
        got = pairs.get(skill, [])
        m = [x for x, _ in got]
        c = [y for _, y in got]
        diff = np.abs(np.array(m) - np.array(c)) if got else np.array([])
        out[skill] = {"reviewed": len(got),
                      "exact": _r(float(np.mean(diff == 0))) if got else None,
                      "adjacent": _r(float(np.mean(diff <= 1))) if got else None,
                      "qwk": _r(quadratic_weighted_kappa(m, c)),
                      "coach_higher": int(np.sum(np.array(c) > np.array(m))) if got else 0,
                      "coach_lower": int(np.sum(np.array(c) < np.array(m))) if got else 0}
    return out
