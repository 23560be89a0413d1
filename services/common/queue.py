"""Background jobs: RQ on Redis in production, a thread in the process on the embedded default.

A job is a plain function named by its dotted path, with JSON-able arguments, so that
the same call runs in either queue. ``taitotaso worker`` runs RQ workers.
"""
from __future__ import annotations

import importlib
import logging
import queue as _queue
import threading
from dataclasses import dataclass

from .observability import current_request_id, new_request_id, request_id_var

log = logging.getLogger(__name__)

QUEUE_NAME = "taitotaso"
JOB_TIMEOUT_S = 600  # a 2-minute recording on the slowest engine takes well under this


@dataclass
class JobContext:
    """What jobs get as their first argument: the database, the configuration, and the
    queue a job publishes its events on (``services.common.events``)."""

    db: object
    config: object = None
    queue: object = None


_worker_context: JobContext | None = None


def set_worker_context(ctx: JobContext) -> None:
    """Called once when a worker process starts (``taitotaso worker``)."""
    global _worker_context
    _worker_context = ctx


def _call(ctx: JobContext, path: str, args, kwargs):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(ctx, *args, **kwargs)


def run_job(path: str, *args, **kwargs):
    """Entry point of RQ jobs: runs ``path`` with the worker's context, under the request id
    of the request that queued it (so that its log lines can be found with the request's)."""
    if _worker_context is None:
        raise RuntimeError("no worker context: start workers with `taitotaso worker`")
    from rq import get_current_job

    job = get_current_job()
    token = request_id_var.set((job.meta.get("request_id") if job else None) or new_request_id())
    try:
        return _call(_worker_context, path, args, kwargs)
    finally:
        request_id_var.reset(token)


class InProcessQueue:
    """One daemon thread runs jobs in order; failures are logged and retried once."""

    def __init__(self, ctx: JobContext):
        self.ctx = ctx
        self._q: _queue.Queue = _queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, path: str, *args, **kwargs) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="taitotaso-jobs", daemon=True)
                self._thread.start()
        self._q.put((path, args, kwargs, current_request_id()))

    def depth(self) -> int:
        return self._q.qsize()

    def _work(self) -> None:
        while True:
            path, args, kwargs, request_id = self._q.get()
            token = request_id_var.set(request_id or new_request_id())
            for attempt in (1, 2):
                try:
                    _call(self.ctx, path, args, kwargs)
                    break
                except Exception:
                    log.exception("job %s failed (attempt %d)", path, attempt)
            request_id_var.reset(token)
            self._q.task_done()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every queued job has run (tests and shutdown), at most ``timeout``
        seconds when given; True when the queue is idle, False when the time ran out first.
        (``queue.Queue.join`` has no timeout: this waits on the same condition.)"""
        with self._q.all_tasks_done:
            return self._q.all_tasks_done.wait_for(lambda: not self._q.unfinished_tasks, timeout)


class InlineQueue:
    """A queue that runs each job at once, in the caller (a job's follow-ups, the events
    found waiting when the server starts)."""

    def __init__(self, ctx: JobContext):
        self.ctx = ctx

    def enqueue(self, path: str, *args, **kwargs) -> None:
        _call(self.ctx, path, args, kwargs)


class RQQueue:
    def __init__(self, redis_client):
        from rq import Queue, Retry

        self._retry = Retry(max=3, interval=[5, 30, 120])
        self.q = Queue(QUEUE_NAME, connection=redis_client)

    def enqueue(self, path: str, *args, **kwargs) -> None:
        self.q.enqueue(run_job, args=(path, *args), kwargs=kwargs, retry=self._retry,
                       job_timeout=JOB_TIMEOUT_S, meta={"request_id": current_request_id()})

    def depth(self) -> int | None:
        try:
            return self.q.count
        except Exception:  # Redis down: the readiness check says so; no number is better than a wrong one
            return None

    def join(self, timeout: float | None = None) -> None:  # workers are other processes
        return None


def make_queue(redis_client, ctx: JobContext):
    queue = RQQueue(redis_client) if redis_client is not None else InProcessQueue(ctx)
    if ctx.queue is None:   # jobs publish their events on the queue that runs them
        ctx.queue = queue
    return queue
