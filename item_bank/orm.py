"""SQLAlchemy tables of the item bank (typed ``Mapped[]`` models).

``Base`` is the one declarative base of the suite; every service's tables share its
metadata so that one Alembic history covers them all.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ItemRow(Base):
    """One version of an item. A version that has been served is never changed: new
    content makes a new version and the old one is retired."""

    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    skill: Mapped[str] = mapped_column(String(32))
    cefr: Mapped[str] = mapped_column(String(2))
    topic: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="live")
    testlet_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    stimulus: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    key: Mapped[Any] = mapped_column(JSON)
    accept: Mapped[list[Any]] = mapped_column(JSON, default=list)
    irt: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(32))
    assets: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_items_status", "status"),)


class Asset(Base):
    """Media made from or imported with items (audio), addressed by their SHA-256."""

    __tablename__ = "assets"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BankState(Base):
    """A single row that changes whenever the set of live items changes."""

    __tablename__ = "bank_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BlockFit(Base):
    """A graded-response approximation of a block's sum score (assessment/testlets.py), kept
    so that the services serving tests take it from here instead of fitting it again."""

    __tablename__ = "block_fits"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[list[Any]] = mapped_column(JSON)
    slope: Mapped[float] = mapped_column(Float)
    thresholds: Mapped[list[Any]] = mapped_column(JSON)


class ItemStatistics(Base):
    """Running counts per item version, updated by a queued job when a test finishes."""

    __tablename__ = "item_statistics"

    item_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    served: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)


class CalibrationRun(Base):
    """One run of `taitotaso calibrate`: what it estimated, from how much data, how long it
    took, and the items it flagged (misfit, drift). The validity report reads the latest."""

    __tablename__ = "calibration_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    mode: Mapped[str] = mapped_column(String(16))            # free | anchored
    persons: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer, default=0)  # item versions whose parameters changed
    converged: Mapped[bool] = mapped_column(Boolean)
    seconds: Mapped[float] = mapped_column(Float)
    bank_version_before: Mapped[str | None] = mapped_column(String(32), nullable=True)
    bank_version_after: Mapped[str | None] = mapped_column(String(32), nullable=True)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)      # summary and one row per item version
