"""Queued jobs of the results service (run by the in-process queue or `taitotaso worker`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

import services.common.accounts  # noqa: F401  (staff_users, which the results tables name)

from .orm import AuditEvent


def on_review_decided(ctx, event: dict) -> None:
    """``review.decided`` (``services.common.events``): audit a coach's decision on an
    uncertain score as ``review.confirm`` / ``review.override`` on ``score_review:<id>``,
    dated when the coach decided, in this service's own transaction. Idempotent: a second
    delivery of the same decision (a retry, an event published again) finds the row it
    wrote and adds none."""
    action = "review.override" if event["override"] else "review.confirm"
    target = f"score_review:{event['review_id']}"
    with ctx.db.session() as s:
        if s.scalar(select(AuditEvent.id).where(AuditEvent.target == target,
                                                AuditEvent.action == action).limit(1)) is not None:
            return
        when = {"at": datetime.fromisoformat(event["decided_at"])} if event.get("decided_at") else {}
        s.add(AuditEvent(actor=event["reviewer"], action=action, target=target,
                         detail={"kind": event["kind"], "session_id": event["session_id"],
                                 "task_id": event["task_id"], "old_cefr": event["machine_cefr"],
                                 "new_cefr": event["cefr"], "effect": event["effect"]},
                         reason=event["note"], **when))


def on_result_changed(ctx, event: dict) -> None:
    """``test.result_changed`` (``services.common.events``): the copy of a kept test takes
    its new result (:func:`services.results.seekers.keep_in_step`), in this service's own
    transaction. Idempotent, and an older event than the copy changes nothing."""
    from .seekers import keep_in_step

    keep_in_step(ctx.db, event)
