"""Finishing a test queues a job that adds its answers to the item statistics: in the
process on the embedded default, through RQ workers on Redis in production."""
from __future__ import annotations

from sqlalchemy import func, select

from item_bank.orm import ItemStatistics
from services.common.queue import QUEUE_NAME, JobContext, set_worker_context
from services.testing.jobs import record_item_statistics

from .conftest import Taker


def stats(db):
    with db.session() as s:
        return s.execute(select(func.count(), func.coalesce(func.sum(ItemStatistics.answered), 0))
                         .select_from(ItemStatistics)).one()


def run_queued_jobs(resources):
    if resources.redis is None:
        resources.queue.join()
        return
    from rq import Queue, SimpleWorker

    set_worker_context(JobContext(db=resources.db))
    q = Queue(QUEUE_NAME, connection=resources.redis)
    assert q.count == 1  # the job waits in Redis until a worker takes it
    SimpleWorker([q], connection=resources.redis).work(burst=True)


def test_a_finished_test_updates_item_statistics_once(app, client):
    resources = app.extensions["taitotaso.resources"]
    t = Taker(client)
    served = t.finish()
    run_queued_jobs(resources)
    items, answered = stats(resources.db)
    assert items == len(served) and answered == len(served)
    # running the job again (a retry after a crash) counts nothing twice
    record_item_statistics(JobContext(db=resources.db), t.id)
    assert stats(resources.db) == (items, answered)


def test_statistics_lost_with_a_stopped_process_are_caught_up_at_start(app, client):
    from services.testing.jobs import record_pending_statistics

    resources = app.extensions["taitotaso.resources"]
    resources.queue.enqueue = lambda *a, **k: None  # the process stops before the job runs
    Taker(client).finish()
    assert stats(resources.db)[0] == 0
    assert record_pending_statistics(JobContext(db=resources.db)) == 1
    assert stats(resources.db)[0] > 0
    assert record_pending_statistics(JobContext(db=resources.db)) == 0
