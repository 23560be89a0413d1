"""Published versions of the CEFR cut scores, and which version the engine uses.

The cut scores ship as ``assessment/data/cefr_cuts.json`` (provisional). A standard-setting
study (the authoring service) publishes its result as a new row of ``cut_score_versions``
holding the whole file's shape as JSON; the file is never overwritten. The adaptive test
uses the newest published version, or the shipped file while none is published, and each
test session keeps the version it started with (``test_sessions.cut_scores_version``), so
its result always says which cut scores made its levels.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from assessment.cefr import CutScores

from .orm import Base, utcnow


class CutScoreVersion(Base):
    """One published set of cut scores: ``cuts`` in the shape of ``cefr_cuts.json``, the
    spread across the panel that set them (``spread``, by boundary), and where they came
    from (``source``: e.g. ``standard-setting study 3, round 2``)."""

    __tablename__ = "cut_score_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    cuts: Mapped[dict[str, Any]] = mapped_column(JSON)
    spread: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(300), default="")
    published_by: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a staff id
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def newest(s: Session) -> CutScoreVersion | None:
    return s.scalars(select(CutScoreVersion).order_by(CutScoreVersion.id.desc()).limit(1)).first()


def find(s: Session, version: str) -> CutScoreVersion | None:
    return s.scalars(select(CutScoreVersion).where(CutScoreVersion.version == version)).first()


def publish(s: Session, cuts: CutScores, *, spread: dict | None = None, source: str = "",
            published_by: int | None = None) -> CutScoreVersion:
    """Store ``cuts`` as a new published version (its ``version`` must be new)."""
    row = CutScoreVersion(version=cuts.version, cuts=cuts.as_dict(), spread=spread or {},
                          source=source[:300], published_by=published_by, published_at=utcnow())
    s.add(row)
    s.flush()
    return row


def to_cut_scores(row: CutScoreVersion) -> CutScores:
    return CutScores.from_dict({**row.cuts, "version": row.version})


class CutScoreCache:
    """The cut scores for the engine: :meth:`current` is the newest published version
    (looked up at most every ``check_seconds``), else ``shipped``; :meth:`get` is a given
    version (versions never change once published, so each is read once)."""

    def __init__(self, db, check_seconds: float = 30.0, shipped: CutScores | None = None):
        self.db = db
        self.check_seconds = check_seconds
        self.shipped = shipped or CutScores.load()
        self._by_version: dict[str, CutScores] = {self.shipped.version: self.shipped}
        self._current = self.shipped
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> CutScores:
        now = time.monotonic()
        if now - self._checked < self.check_seconds:
            return self._current
        with self._lock:
            with self.db.session() as s:
                row = newest(s)
                self._current = self.shipped if row is None else self._remember(row)
            self._checked = now
        return self._current

    def get(self, version: str | None) -> CutScores:
        """The cut scores of ``version``; the shipped ones for None (sessions from before
        versions were kept) or a version no longer found."""
        if version is None:
            return self.shipped
        found = self._by_version.get(version)
        if found is not None:
            return found
        with self.db.session() as s:
            row = find(s, version)
            return self.shipped if row is None else self._remember(row)

    def _remember(self, row: CutScoreVersion) -> CutScores:
        cuts = self._by_version.get(row.version)
        if cuts is None:
            cuts = self._by_version[row.version] = to_cut_scores(row)
        return cuts


__all__ = ["CutScoreVersion", "CutScoreCache", "newest", "find", "publish", "to_cut_scores"]
