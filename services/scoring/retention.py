"""How long recordings and transcripts are kept: ``TAITOTASO_RECORDING_RETENTION_DAYS``.

:func:`purge_recordings` deletes the recording, the transcript and the recognised words of
every spoken answer older than the retention period, and the transcript of its review in the
queue; the level, the sub-scores and the confidence stay, so results and statistics do not
change. The worker runs it beside its job sweeper (production); ``taitotaso recordings purge``
runs it once (the embedded default: from cron or a systemd timer).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from item_bank.orm import utcnow

from .orm import ScoreReview, SpeechJob

log = logging.getLogger(__name__)

# the keys of a spoken answer's result that hold what the person said
SPOKEN_WORDS = ("transcript", "words", "added")


def _without_words(result: dict | None) -> dict | None:
    if not result:
        return result
    kept = {k: v for k, v in result.items() if k not in SPOKEN_WORDS}
    if isinstance(kept.get("feedback"), list):   # e.g. "skipped_words": the words themselves
        kept["feedback"] = [{k: v for k, v in f.items() if k != "words"} if isinstance(f, dict) else f
                            for f in kept["feedback"]]
    kept["recording_deleted"] = True
    return kept


def purge_recordings(db, retention_days: int, now: datetime | None = None) -> int:
    """Delete recordings and transcripts older than ``retention_days``; returns how many
    spoken answers lost theirs. Jobs still queued or running keep theirs until they end."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    purged = 0
    with db.session() as s:
        jobs = s.scalars(select(SpeechJob).where(SpeechJob.created_at < cutoff,
                                                 SpeechJob.status.in_(("done", "failed")))).all()
        for job in jobs:
            if job.audio or (job.result and not job.result.get("recording_deleted")):
                job.audio = b""
                job.result = _without_words(job.result)
                purged += 1
        for review in s.scalars(select(ScoreReview).where(ScoreReview.kind == "speech",
                                                          ScoreReview.created_at < cutoff)).all():
            if review.answer or not (review.machine or {}).get("recording_deleted"):
                review.answer = ""
                review.machine = _without_words(review.machine)
    if purged:
        log.info("deleted %d recordings and transcripts older than %d days", purged, retention_days)
    return purged
