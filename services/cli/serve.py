"""`taitotaso serve` (the suite, or one service, under gunicorn) and `taitotaso worker`."""
from __future__ import annotations

import sys

from .common import _database, _safe_url
from .db import cmd_db_seed, seed_library


def cmd_serve(args) -> int:
    from gunicorn.app.base import BaseApplication

    alone = getattr(args, "service", None)   # None: the whole suite
    cfg, db = _database()
    if args.seed:
        rc = cmd_db_seed(args)
    elif alone in (None, "library"):   # the Katso material works out of the box
        rc = seed_library(db, if_empty=True)
    else:
        rc = 0
    if rc:
        return rc
    if alone in (None, "testing"):
        from services.common.queue import JobContext
        from services.testing.jobs import record_pending_statistics, score_waiting_sessions

        ctx = JobContext(db=db, config=cfg)
        caught_up = record_pending_statistics(ctx)
        if caught_up:
            print(f"recorded the item statistics of {caught_up} finished test(s) left from before",
                  flush=True)
        still = score_waiting_sessions(ctx)
        if still:
            print(f"{still} finished test(s) wait for the scoring service to score their "
                  "writing; their results follow when it answers", flush=True)
    if alone in (None, "scoring"):   # events its decisions recorded and could not hand over
        from datetime import timedelta

        from services.common.outbox import deliver_waiting
        from services.common.queue import InlineQueue, JobContext, make_queue
        from services.common.redis_client import make_redis

        redis = make_redis(cfg.redis_url) if cfg.redis_url else None
        ctx = JobContext(db=db, config=cfg)
        queue = make_queue(redis, ctx) if redis is not None else InlineQueue(ctx)
        ctx.queue = queue
        sent = deliver_waiting(db, queue, older_than=timedelta(0))
        if sent:
            print(f"delivered {sent} event(s) recorded before the last stop", flush=True)
    workers = args.workers
    if workers > 1 and cfg.redis_url is None:
        print("note: without REDIS_URL the embedded default runs one worker process "
              "(its job queue lives in that process)", file=sys.stderr)
        workers = 1

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-" if args.access_log else None)

        def load(self):
            from services.gateway import create_app, service_app

            return create_app(cfg) if alone is None else service_app(alone, cfg)

    what = "Taitotaso" if alone is None else f"The {alone} service of Taitotaso"
    print(f"{what} is served at http://{args.host}:{args.port}/ ({_safe_url(cfg.database_url)})",
          flush=True)
    _App().run()
    return 0


def cmd_worker(args) -> int:
    from services.worker import run_worker

    return run_worker(burst=args.burst)
