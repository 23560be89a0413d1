"""Tables of the authoring service: what staff did to which item version, and when; and
the standard-setting studies that set the CEFR cut scores."""
from __future__ import annotations

from datetime import datetime

from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

import item_bank.cut_scores  # noqa: F401  (cut_score_versions, which a study refers to)
from item_bank.orm import Base, utcnow


class ItemEvent(Base):
    """One change of an item version: created, edited, or moved between statuses."""

    __tablename__ = "item_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # created | edited | new_version | status
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"),
                                                 nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_item_events_item", "item_id", "version"),)


# -- standard setting (the bookmark method): services/authoring/standard_setting.py --------
class StandardSettingStudy(Base):
    """A panel setting CEFR cut scores on an ordered item booklet, round by round.

    ``booklet`` is fixed when the study is made: the pages in order, each
    ``{"item_id", "version", "location"}`` (θ where the item is answered correctly with
    probability ``rp``). ``status``: ``open`` (the current ``round`` takes bookmarks),
    ``closed`` (the round is closed and its feedback shown; the next may open) or
    ``published`` (its cuts are a cut-score version)."""

    __tablename__ = "standard_setting_studies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    rp: Mapped[float] = mapped_column(Float, default=0.67)
    boundaries: Mapped[list[Any]] = mapped_column(JSON)  # higher level of each: ["A2", "B1"]
    booklet: Mapped[list[Any]] = mapped_column(JSON)
    impact_days: Mapped[int] = mapped_column(Integer, default=365)
    status: Mapped[str] = mapped_column(String(16), default="open")
    round: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"),
                                                   nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("cut_score_versions.id", ondelete="SET NULL"), nullable=True)


class StandardSettingPanelist(Base):
    """A staff member on a study's panel; ``seat`` is how the others see them (Panelist 2)."""

    __tablename__ = "standard_setting_panelists"

    study_id: Mapped[int] = mapped_column(ForeignKey("standard_setting_studies.id", ondelete="CASCADE"),
                                          primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"),
                                          primary_key=True)
    seat: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_standard_setting_panelists_staff", "staff_id"),)


class StandardSettingRound(Base):
    """A round of a study; when it closes, ``summary`` keeps its result (medians, spread,
    impact) as the panel saw it."""

    __tablename__ = "standard_setting_rounds"

    study_id: Mapped[int] = mapped_column(ForeignKey("standard_setting_studies.id", ondelete="CASCADE"),
                                          primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class StandardSettingJudgement(Base):
    """One panelist's bookmarks in one round: ``bookmarks`` maps a boundary to a page
    (1-based); ``submitted_at`` is set when they submit (only submitted ones count)."""

    __tablename__ = "standard_setting_judgements"

    study_id: Mapped[int] = mapped_column(ForeignKey("standard_setting_studies.id", ondelete="CASCADE"),
                                          primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"),
                                          primary_key=True)
    bookmarks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
