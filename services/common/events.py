"""Events between services: a fact that one service decided and committed, told to the
services that keep something of their own in step with it.

``publish(queue, name, payload)`` queues one job per subscriber of ``name`` on the suite's
job queue (``services.common.queue``: RQ on Redis in production, a thread in the process on
the embedded default). A subscriber is a job function named by its dotted path in the
subscribing service's own module, called as ``handler(ctx, payload)``; it commits its part
in its own transaction and is idempotent, since a job may run twice (a retry after a
failure, an event published again). Subscribers are listed here by dotted path, not
imported, so that the publisher imports nothing of the services that listen.

The events (payloads are JSON objects):

``review.decided``
    A coach confirmed or overrode a machine score (``services.scoring``, after committing
    the review): ``review_id``, ``kind`` (writing/speech), ``session_id``, ``task_id``,
    ``machine_cefr``, ``cefr`` (the coach's level), ``reviewer``, ``note`` (the reason),
    ``override``, ``decided_at`` (ISO 8601), ``effect`` (what the decision changes, as
    :meth:`services.scoring.handlers.ScoringService.review` reports it). The testing service
    re-estimates the session's result from it; the results service audits it.

``test.result_changed``
    A finished test's result changed (``services.testing``, after committing it: a coach's
    level for one of its written answers re-estimated it): ``session_id``, ``changed_at``
    (ISO 8601: the new result's ``result_changed_at``, which the test read from the testing
    service also gives) and ``test``, the test as :func:`services.testing.records.result_of`
    gives it (``result`` with ``overall`` and ``skills``, ``finished_at``...). The results
    service updates the copy it keeps of a job seeker's result, unless its copy is newer.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

SUBSCRIBERS: dict[str, tuple[str, ...]] = {
    "review.decided": ("services.testing.jobs.on_review_decided",
                       "services.results.jobs.on_review_decided"),
    "test.result_changed": ("services.results.jobs.on_result_changed",),
}


class UnknownEvent(ValueError):
    """An event that no table of subscribers names: a typo would otherwise be lost quietly."""


def publish(queue, name: str, payload: Mapping, subscribers: Mapping | None = None) -> tuple[str, ...]:
    """Queue ``payload`` for every subscriber of ``name``; returns their dotted paths.

    Call it after the publisher's own transaction is committed, so that no subscriber acts
    on a decision that was rolled back. ``payload`` must be JSON (it crosses Redis)."""
    table = SUBSCRIBERS if subscribers is None else subscribers
    if name not in table:
        raise UnknownEvent(f"no service subscribes to the event {name!r}: "
                           f"known events are {', '.join(sorted(table)) or '(none)'}")
    body = json.dumps(dict(payload))  # a payload that is not JSON fails here, not in a worker
    for path in table[name]:
        queue.enqueue(path, json.loads(body))  # each its own copy (in-process jobs share memory)
    return tuple(table[name])
