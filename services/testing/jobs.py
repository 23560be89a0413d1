"""Queued jobs of the testing service (run by the in-process queue or `taitotaso worker`)."""
from __future__ import annotations

from sqlalchemy import select

from item_bank.orm import ItemStatistics
from services.common.queue import InlineQueue

from .orm import SessionItem, TestSession


def record_item_statistics(ctx, session_id: str) -> None:
    """Add a finished session's answers to the per-item counts, exactly once."""
    with ctx.db.session() as s:
        sess = s.get(TestSession, session_id, with_for_update=True)
        if sess is None or sess.status != "finished" or sess.stats_recorded:
            return
        rows = s.scalars(select(SessionItem).where(SessionItem.session_id == session_id)).all()
        for r in rows:
            stat = s.get(ItemStatistics, (r.item_id, r.item_version), with_for_update=True)
            if stat is None:
                stat = ItemStatistics(item_id=r.item_id, version=r.item_version, served=0,
                                      answered=0, score_sum=0.0)
                s.add(stat)
            stat.served += 1
            if r.answer is not None:
                stat.answered += 1
                stat.score_sum += float(r.score or 0)
        sess.stats_recorded = True


def record_pending_statistics(ctx) -> int:
    """Catch up on finished sessions whose statistics job was lost (e.g. the process that
    held the in-process queue stopped); run when the server starts."""
    with ctx.db.session() as s:
        pending = s.scalars(select(TestSession.id).where(TestSession.status == "finished",
                                                         TestSession.stats_recorded.is_(False))).all()
    for session_id in pending:
        record_item_statistics(ctx, session_id)
    return len(pending)


def on_review_decided(ctx, event: dict) -> None:
    """``review.decided`` (``services.common.events``): a coach's level for a written answer
    of a test becomes the answer's score, and a finished session's result is estimated again
    (:func:`services.testing.estimates.apply_reviewed_level`), in this service's own
    transaction. Idempotent: the score is set, not added to, and the estimate is replayed
    from the stored answers, so a second delivery leaves the same state. A spoken answer
    (not part of the test's estimate) or a text scored outside a test changes nothing here."""
    from services.common.events import publish

    from .estimates import apply_reviewed_level
    from .records import result_of

    if event.get("kind") == "speech" or not (event.get("session_id") and event.get("task_id")):
        return
    with ctx.db.session() as s:
        result = apply_reviewed_level(s, event["session_id"], event["task_id"], event["cefr"])
        if result is not None:
            s.flush()
            test = result_of(s.get(TestSession, event["session_id"]))
            # changed_at is the result's own stamp, which a read of the test also gives:
            # a copy made from such a read is ordered against this event by it
            # (services/results/seekers.py claim)
            changed = {"session_id": event["session_id"], "changed_at": test["result_changed_at"],
                       "test": test}
    if result is not None:   # committed: the services that keep a copy take the new result
        publish(ctx.queue or InlineQueue(ctx), "test.result_changed", changed)


def _testing_service(ctx):
    """The testing service layer for jobs on ``ctx`` (its database and configuration), made
    once per context: the bank it loads is reused by every later job."""
    service = getattr(ctx, "_testing_service", None)
    if service is None:
        from services.common.exposure import MemoryExposure

        from .handlers import TestingService

        service = TestingService(ctx.db, ctx.config, MemoryExposure(), InlineQueue(ctx))
        ctx._testing_service = service
    return service


def score_pending_writing(ctx, session_id: str) -> int:
    """Score a session's written answers that waited for the scoring service and, when
    none waits any more, make its result (:meth:`TestingService.score_pending`). Returns
    how many still wait: the scoring service is still away; a later sweep, or the
    learner's result page asking, tries again."""
    return _testing_service(ctx).score_pending(session_id)


def score_waiting_sessions(ctx) -> int:
    """Every session whose written answers wait for the scoring service, tried once (when
    the server starts, and in the worker's sweep). Returns how many sessions still wait."""
    with ctx.db.session() as s:
        waiting = s.scalars(select(TestSession.id).where(TestSession.status == "scoring")).all()
    if not waiting:
        return 0
    service = _testing_service(ctx)
    return sum(bool(service.score_pending(session_id)) for session_id in waiting)
