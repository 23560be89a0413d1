"""Events between services (services/common/events.py): one queued job per subscriber,
and the in-process queue's wait for idle that tests use to see the subscribers' work."""
from __future__ import annotations

import threading
import time

import pytest

from services.common.events import SUBSCRIBERS, UnknownEvent, publish
from services.common.queue import InProcessQueue, JobContext


class FakeQueue:
    def __init__(self):
        self.jobs = []

    def enqueue(self, path, *args, **kwargs):
        self.jobs.append((path, args, kwargs))


def test_an_event_is_queued_once_for_each_subscriber_with_the_same_json_payload():
    queue = FakeQueue()
    table = {"thing.happened": ("a.jobs.on_thing", "b.jobs.on_thing")}
    assert publish(queue, "thing.happened", {"id": 7, "at": "2026-12-07T12:00:00+00:00"}, table) == \
        ("a.jobs.on_thing", "b.jobs.on_thing")
    assert queue.jobs == [("a.jobs.on_thing", ({"id": 7, "at": "2026-12-07T12:00:00+00:00"},), {}),
                          ("b.jobs.on_thing", ({"id": 7, "at": "2026-12-07T12:00:00+00:00"},), {})]
    # each subscriber gets its own copy: one job changing its payload changes no other's
    assert queue.jobs[0][1][0] is not queue.jobs[1][1][0]


def test_an_event_nobody_subscribes_to_is_refused_and_queues_nothing():
    queue = FakeQueue()
    with pytest.raises(UnknownEvent, match="review.decidd"):
        publish(queue, "review.decidd", {"review_id": 1})
    assert queue.jobs == []


def test_a_payload_that_is_not_json_is_refused_before_anything_is_queued():
    queue = FakeQueue()
    with pytest.raises(TypeError):
        publish(queue, "review.decided", {"decided_at": object()})
    assert queue.jobs == []


def test_review_decided_reaches_testing_and_results_by_dotted_paths_that_exist():
    import importlib

    assert SUBSCRIBERS["review.decided"] == ("services.testing.jobs.on_review_decided",
                                             "services.results.jobs.on_review_decided")
    for path in SUBSCRIBERS["review.decided"]:
        module, _, name = path.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), path


# a job for the in-process queue below (jobs are named by dotted path)
RAN: list = []
GATE = threading.Event()


def slow_job(ctx, value):
    GATE.wait(5)
    RAN.append(value)


def test_the_in_process_queue_waits_until_idle_or_says_the_time_ran_out():
    RAN.clear()
    GATE.clear()
    queue = InProcessQueue(JobContext(db=None))
    assert queue.join(timeout=0.01) is True  # nothing queued: idle at once
    queue.enqueue(f"{__name__}.slow_job", 1)
    queue.enqueue(f"{__name__}.slow_job", 2)
    started = time.monotonic()
    assert queue.join(timeout=0.05) is False and RAN == []
    assert time.monotonic() - started < 2
    GATE.set()
    assert queue.join(timeout=5) is True
    assert RAN == [1, 2]


def test_a_review_is_refused_by_a_scoring_service_made_without_the_queue():
    """Wiring, not a coach's mistake: without the queue the decision would reach neither the
    session's result nor the audit, so nothing is written at all."""
    from services.scoring.handlers import ScoringService

    with pytest.raises(RuntimeError, match="review.decided"):
        ScoringService(db=None, config=None).review(1, "B1", "coach@example.fi", None)
