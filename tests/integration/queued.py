"""Running the jobs an app queued, in a test: the events between services and the other jobs.

On the embedded default each service app has its own in-process queue (a thread): wait
until every one is idle. With Redis (the PostgreSQL configuration) the jobs wait in RQ:
run them in a burst worker in this process, as `taitotaso worker` would, and fail the test
if one failed (RQ would retry it later; a test should not pass on a job that failed)."""
from __future__ import annotations

from flask import Flask

from services.common.queue import QUEUE_NAME, JobContext, set_worker_context

WAIT_S = 30.0


def app_resources(wsgi) -> list:
    """The ``Resources`` of every Flask app in ``wsgi``: one app, or the gateway's tree of
    apps mounted under it (DispatcherMiddleware, the gateway's PathRouter)."""
    found, seen, todo = [], set(), [wsgi]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Flask):
            res = node.extensions.get("taitotaso.resources")
            if res is not None and all(res is not r for r in found):
                found.append(res)
            todo.append(vars(node).get("wsgi_app"))  # what was mounted on it (the gateway's root)
            continue
        todo.append(getattr(node, "app", None))                          # DispatcherMiddleware, ProxyFix
        todo.extend(getattr(node, "mounts", {}).values())                # DispatcherMiddleware
        todo.append(getattr(node, "default", None))                      # PathRouter
        todo.extend(app for _, app in getattr(node, "routes", []) or [])  # PathRouter
    return found


def run_queued_jobs(wsgi, timeout: float = WAIT_S) -> None:
    """Run (or wait for) every job the apps in ``wsgi`` queued, until none is left."""
    everything = app_resources(wsgi)
    assert everything, "no Taitotaso app found"
    on_redis = [r for r in everything if r.redis is not None]
    if not on_redis:
        for res in everything:
            assert res.queue.join(timeout), f"the in-process queue was not idle after {timeout} s"
        return
    from rq import Queue, SimpleWorker
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    res = on_redis[0]
    set_worker_context(JobContext(db=res.db, config=res.config, queue=res.queue))
    queue = Queue(QUEUE_NAME, connection=res.redis)
    SimpleWorker([queue], connection=res.redis).work(burst=True)
    failed = [queue.fetch_job(j) for j in FailedJobRegistry(queue=queue).get_job_ids()
              + ScheduledJobRegistry(queue=queue).get_job_ids()]
    assert not failed, [(j.args, j.latest_result().exc_string if j.latest_result() else None)
                        for j in failed if j is not None]
    assert queue.count == 0
