"""`taitotaso worker`: RQ workers that run queued jobs (production, with REDIS_URL)."""
from __future__ import annotations

import sys

from services.common.config import Config
from services.common.db import Database
from services.common.queue import QUEUE_NAME, JobContext, set_worker_context
from services.common.redis_client import make_redis


def run_worker(burst: bool = False) -> int:
    config = Config.from_env()
    redis = make_redis(config.redis_url)
    if redis is None:
        print("taitotaso worker needs REDIS_URL: the embedded default runs jobs in the "
              "serving process and needs no worker.", file=sys.stderr)
        return 2
    from rq import Queue, Worker

    set_worker_context(JobContext(db=Database(config.database_url)))
    worker = Worker([Queue(QUEUE_NAME, connection=redis)], connection=redis)
    worker.work(burst=burst, with_scheduler=True)
    return 0
