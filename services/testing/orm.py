"""Tables of test sessions and the items served in them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint, false, Index)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from item_bank.orm import Base, utcnow


class TestSession(Base):
    __tablename__ = "test_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    ui_language: Mapped[str] = mapped_column(String(2))
    self_assessment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | finished
    bank_version: Mapped[str] = mapped_column(String(32))
    # the cut scores the session started with (item_bank.cut_scores); None: the shipped file
    cut_scores_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    stop_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    stats_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    # what replaying the answers rebuilds, kept after each answer (TestingService._engine);
    # a cache of the answers, never the record: None or stale means replay them. JSON as
    # text: the session is loaded joined with its items, and a JSON column would be parsed
    # again on every item's row; the service parses it once, when it uses it
    engine_state: Mapped[str | None] = mapped_column(Text, nullable=True)
    # GET /next's answer now (the item waiting for its answer, or done), JSON text written
    # with the rows it describes (TestingService._remember_next); a cache of the served rows,
    # never the record: None means answer from the rows. Never loaded with the session (GET
    # /next selects it alone)
    next_response: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)

    items: Mapped[list["SessionItem"]] = relationship(
        back_populates="session", order_by="SessionItem.seq", cascade="all, delete-orphan")


class SessionItem(Base):
    """An item served in a session and, once given, its answer and score. The IRT
    parameters are copied at serving time so that the estimate never changes later."""

    __tablename__ = "session_items"

    session_id: Mapped[str] = mapped_column(ForeignKey("test_sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    item_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    item_version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    skill: Mapped[str] = mapped_column(String(32))
    irt: Mapped[dict[str, Any]] = mapped_column(JSON)
    testlet_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    served_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answer: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # a reviewed item given to collect data for its calibration: scored, never in the estimate
    pretest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    session: Mapped[TestSession] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_session_items_seq"),
                      Index("ix_session_items_item", "item_id", "item_version"))
