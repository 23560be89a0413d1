"""Answers whose machine score is uncertain, waiting for a coach's review."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from item_bank.orm import Base, utcnow


class ScoreReview(Base):
    __tablename__ = "score_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))            # writing | speech
    task_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    prompt: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text)
    machine: Mapped[dict[str, Any]] = mapped_column(JSON)    # the scorer's whole result
    confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | reviewed
    reviewed_cefr: Mapped[str | None] = mapped_column(String(2), nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_score_reviews_status", "status", "created_at"),)


class SpeechJob(Base):
    """A spoken answer and its scoring job. The recording is stored (16 kHz mono WAV)
    before the job is queued, so a job whose worker dies is run again from it."""

    __tablename__ = "speech_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task: Mapped[str] = mapped_column(String(16))            # read_aloud | open_speaking
    item_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")       # reference text or prompt
    passage_cefr: Mapped[str | None] = mapped_column(String(2), nullable=True)
    max_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    ui_language: Mapped[str] = mapped_column(String(2), default="fi")
    audio: Mapped[bytes] = mapped_column(LargeBinary)
    duration_s: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    stage: Mapped[str] = mapped_column(String(24), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_speech_jobs_status", "status", "created_at"),
                      Index("ix_speech_jobs_session", "session_id"))
