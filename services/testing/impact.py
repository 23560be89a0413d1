"""What the testing service tells others about recent results, for impact data: the
ability estimates (θ) of recently finished tests. The authoring service's standard-setting
study reads them through its port (``services.authoring.ports.RecentResults``)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.common.db import Database

from .orm import TestSession

MAX_SESSIONS = 5000


def recent_thetas(db: Database, *, days: int = 365, limit: int = MAX_SESSIONS,
                  now: datetime | None = None) -> list[float]:
    """The overall θ of the tests finished in the last ``days`` days, newest first, at
    most ``limit`` of them (a coach's reviewed level counts: it is in the stored result)."""
    since = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with db.session() as s:
        results = s.scalars(select(TestSession.result)
                            .where(TestSession.status == "finished",
                                   TestSession.finished_at >= since)
                            .order_by(TestSession.finished_at.desc()).limit(limit)).all()
    thetas = []
    for result in results:
        theta = ((result or {}).get("overall") or {}).get("theta")
        if isinstance(theta, (int, float)):
            thetas.append(float(theta))
    return thetas
