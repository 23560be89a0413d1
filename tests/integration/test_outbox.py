"""A coach's decision is not lost when its event cannot be handed to the queue: the event
is committed with the decision (services/common/outbox.py) and delivered by the sweep."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.common import outbox
from services.common.db import Database
from services.common.events import UnknownEvent
from services.common.queue import InlineQueue, JobContext
from services.results.orm import AuditEvent
from services.scoring.handlers import ScoringService
from services.scoring.orm import ScoreReview


class AwayQueue:
    """Redis away: nothing can be queued."""

    def enqueue(self, path, *args, **kwargs):
        raise ConnectionError("Redis is not answering")


@pytest.fixture
def db(config):
    database = Database(config.database_url)
    yield database
    database.dispose()


def _review(db) -> int:
    with db.session() as s:
        row = ScoreReview(kind="writing", task_id="wr-x", session_id=None, prompt="Kerro työstäsi.",
                          answer="Minä olen kokki.", machine={"cefr": "A2", "confidence": 0.4},
                          confidence=0.4, status="open")
        s.add(row)
        s.flush()
        return row.id


def _audits(db) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(e.action, e.target) for e in s.scalars(select(AuditEvent))]


def test_a_decision_whose_event_cannot_be_queued_is_kept_and_delivered_by_the_sweep(config, db):
    review_id = _review(db)
    out = ScoringService(db, config, queue=AwayQueue()).review(review_id, "B1", "coach@example.fi",
                                                              "Hyvä vastaus.")
    assert out["status"] == "reviewed" and out["events"] == ["review.decided"]   # committed
    assert outbox.waiting(db) == 1 and _audits(db) == []                        # not yet acted on
    assert outbox.deliver_waiting(db, AwayQueue(), older_than=timedelta(0)) == 0  # still away
    with db.read() as s:
        assert s.scalar(select(outbox.OutboxEvent.attempts)) == 2

    queue = InlineQueue(JobContext(db=db, config=config))
    assert outbox.deliver_waiting(db, queue, older_than=timedelta(hours=1)) == 0  # too fresh
    assert outbox.deliver_waiting(db, queue, older_than=timedelta(0)) == 1
    assert outbox.waiting(db) == 0
    assert _audits(db) == [("review.override", f"score_review:{review_id}")]
    assert outbox.deliver_waiting(db, queue, older_than=timedelta(0)) == 0          # once only
    assert _audits(db) == [("review.override", f"score_review:{review_id}")]


def test_a_delivered_event_is_marked_and_an_unknown_one_is_refused(config, db):
    queue = InlineQueue(JobContext(db=db, config=config))
    review_id = _review(db)
    ScoringService(db, config, queue=queue).review(review_id, "A2", "coach@example.fi", None)
    assert outbox.waiting(db) == 0 and _audits(db) == [("review.confirm", f"score_review:{review_id}")]
    with db.session() as s, pytest.raises(UnknownEvent):
        outbox.record(s, "scoring", "review.decidd", {})
