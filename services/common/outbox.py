"""Events that are not lost: the transactional outbox.

A service that decides something other services act on (a coach's review,
``services.common.events``) writes the event into ``event_outbox`` in the same transaction
as the decision (:func:`record`), so that either both are committed or neither is. After
the commit it hands the event to the queue (:func:`deliver`) and marks it delivered; when
that fails (Redis away, the process stopped between the two), the event stays in the
outbox and a sweep delivers it later (:func:`deliver_waiting`: the worker's sweep every
``TAITOTASO_SWEEP_S`` seconds, and ``taitotaso serve`` at start). Subscribers are
idempotent, so an event delivered twice (handed over, then the process stopped before it
was marked) does no harm.

Each service writes its own rows (``publisher``); with a database per service each has
its own ``event_outbox``.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from item_bank.orm import Base, utcnow

from .events import SUBSCRIBERS, UnknownEvent, publish

log = logging.getLogger("taitotaso.outbox")

# an event not delivered this long after its commit is the sweep's (the publisher delivers
# it itself at once; the wait keeps the sweep from racing a publisher in the middle of it)
SWEEP_AFTER = timedelta(seconds=30)


class OutboxEvent(Base):
    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    publisher: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_event_outbox_waiting", "delivered_at", "created_at"),)


def record(s, publisher: str, name: str, payload: dict) -> OutboxEvent:
    """Add the event to the open transaction ``s`` (committed with the decision)."""
    if name not in SUBSCRIBERS:
        raise UnknownEvent(f"no service subscribes to the event {name!r}")
    row = OutboxEvent(publisher=publisher, name=name, payload=json.loads(json.dumps(payload)))
    s.add(row)
    s.flush()
    return row


def deliver(db, queue, event_id: int) -> bool:
    """Hand one recorded event to the queue and mark it delivered; False (logged, kept for
    the sweep) when the queue does not take it now."""
    with db.session() as s:
        row = s.get(OutboxEvent, event_id, with_for_update=True)
        if row is None or row.delivered_at is not None:
            return True
        row.attempts += 1
        try:
            publish(queue, row.name, row.payload)
        except Exception as err:   # Redis away: the row stays, attempts counted
            log.warning("event %s #%s not delivered yet (%s): the sweep tries again",
                        row.name, row.id, err)
            s.commit()
            return False
        row.delivered_at = utcnow()
        return True


def deliver_waiting(db, queue, older_than: timedelta = SWEEP_AFTER, limit: int = 500) -> int:
    """Deliver the events recorded more than ``older_than`` ago and not delivered (the
    sweep); returns how many were delivered now."""
    cutoff = utcnow() - older_than
    with db.read() as s:
        ids = list(s.scalars(select(OutboxEvent.id)
                             .where(OutboxEvent.delivered_at.is_(None),
                                    OutboxEvent.created_at <= cutoff)
                             .order_by(OutboxEvent.id).limit(limit)))
    done = 0
    for event_id in ids:
        if not deliver(db, queue, event_id):
            break   # the queue is away: the rest waits for the next sweep
        done += 1
    return done


def waiting(db) -> int:
    """How many events wait for delivery (readiness and metrics)."""
    from sqlalchemy import func

    with db.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent)
                        .where(OutboxEvent.delivered_at.is_(None))) or 0
