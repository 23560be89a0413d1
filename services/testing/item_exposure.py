"""What the testing service tells others about how often an item was given: which versions
of an item have been served in a test (such a version is never changed again), how often
one version was served and how many tests started since a moment (its exposure rate). The
authoring service reads them through its port (``services.authoring.ports.ItemExposure``):
in the same process, or over HTTP from ``services/testing/service_api.py``."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from services.common.db import Database

from .orm import SessionItem, TestSession


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already (as SQLite gives it back)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def served_versions(db: Database, item_id: str) -> list[int]:
    """The versions of item ``item_id`` served in any test, in ascending order."""
    with db.read() as s:
        return sorted(s.scalars(select(SessionItem.item_version)
                                .where(SessionItem.item_id == item_id).distinct()).all())


def exposure(db: Database, item_id: str, version: int, since: datetime) -> dict:
    """``served``: how often version ``version`` of ``item_id`` was served; ``sessions``: how
    many tests started at or after ``since`` (the version's exposure rate is their ratio)."""
    with db.read() as s:
        served = s.scalar(select(func.count()).select_from(SessionItem)
                          .where(SessionItem.item_id == item_id,
                                 SessionItem.item_version == version)) or 0
        sessions = s.scalar(select(func.count()).select_from(TestSession)
                            .where(TestSession.created_at >= as_utc(since))) or 0
    return {"served": int(served), "sessions": int(sessions)}
