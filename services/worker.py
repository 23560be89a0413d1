"""`taitotaso worker`: an RQ worker that runs queued jobs (production, with REDIS_URL).

The worker runs jobs in its own process (RQ's SimpleWorker), so the speech model is
loaded once and stays loaded between jobs. Beside it a sweeper thread queues again the
speech jobs whose worker died (no heartbeat for ``STALE_AFTER``): kill a worker mid-job
and another one finishes the job from the stored recording.
"""
from __future__ import annotations

import logging
import os
import sys
import threading

from services.common.config import Config
from services.common.db import Database
from services.common.observability import configure_logging
from services.common.queue import QUEUE_NAME, JobContext, RQQueue, set_worker_context
from services.common.redis_client import make_redis

log = logging.getLogger(__name__)
SWEEP_S = float(os.environ.get("TAITOTASO_SWEEP_S") or 15)


PURGE_EVERY_S = 3600.0   # recordings past their retention period: looked for hourly


def _sweep(db, queue, stop: threading.Event, retention_days: int | None = None) -> None:
    import time

    from services.common.outbox import deliver_waiting
    from services.scoring.retention import purge_recordings
    from services.scoring.speech import recover_stale_jobs

    last_purge = 0.0
    while not stop.wait(SWEEP_S):
        try:
            recover_stale_jobs(db, queue)
        except Exception:
            log.exception("sweeping stopped speech jobs failed; trying again in %.0f s", SWEEP_S)
        try:
            deliver_waiting(db, queue)   # events a publisher could not hand over at once
        except Exception:
            log.exception("delivering waiting events failed; trying again in %.0f s", SWEEP_S)
        if retention_days and time.monotonic() - last_purge >= PURGE_EVERY_S:
            try:
                purge_recordings(db, retention_days)
                last_purge = time.monotonic()
            except Exception:
                log.exception("deleting old recordings failed; trying again in %.0f s", SWEEP_S)


def run_worker(burst: bool = False, preload: bool = True) -> int:
    config = Config.from_env()
    redis = make_redis(config.redis_url)
    if redis is None:
        print("taitotaso worker needs REDIS_URL: the embedded default runs jobs in the "
              "serving process and needs no worker.", file=sys.stderr)
        return 2
    from rq import Queue, SimpleWorker

    configure_logging("worker")
    db = Database(config.database_url)
    set_worker_context(JobContext(db=db, config=config, queue=RQQueue(redis)))
    if preload:  # load the speech model before the first job, not during it
        from services.scoring.speech import speech_scorer

        speech_scorer(config)
        print(f"worker {os.getpid()}: speech engine {config.asr_engine} loaded", flush=True)
    stop = threading.Event()
    threading.Thread(target=_sweep, args=(db, RQQueue(redis), stop, config.recording_retention_days), name="speech-sweeper",
                     daemon=True).start()
    worker = SimpleWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis)
    try:
        worker.work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
    return 0
