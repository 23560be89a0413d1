"""The Katso library's tables. Texts are JSON maps ``{"fi": …, "sv": …, "en": …}``;
uploaded photos are content-addressed rows of the suite's ``assets`` table."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from item_bank.orm import Base, utcnow


class LibraryCategory(Base):
    __tablename__ = "library_categories"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LibraryCard(Base):
    __tablename__ = "library_cards"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    category_slug: Mapped[str] = mapped_column(
        String(64), ForeignKey("library_categories.slug", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    caption: Mapped[dict] = mapped_column(JSON)
    alt: Mapped[dict] = mapped_column(JSON)
    prompt: Mapped[dict] = mapped_column(JSON)
    pictogram: Mapped[str | None] = mapped_column(String(64), nullable=True)   # seed SVG name
    image_sha256: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("assets.sha256"), nullable=True)               # uploaded photo
    image_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LibraryWorldview(Base):
    __tablename__ = "library_worldviews"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    cards: Mapped[list] = mapped_column(JSON)          # related card slugs, in order
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LibraryPage(Base):
    """An instruction page, an example of use or the accessibility statement."""

    __tablename__ = "library_pages"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))      # instructions | example | statement
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[dict] = mapped_column(JSON)
    body: Mapped[dict] = mapped_column(JSON)
    cards: Mapped[list] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LibrarySetting(Base):
    __tablename__ = "library_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LibraryUsage(Base):
    """Counts per material, event and day: no person, address or browser is recorded."""

    __tablename__ = "library_usage"

    material: Mapped[str] = mapped_column(String(80), primary_key=True)   # e.g. "card:candle"
    event: Mapped[str] = mapped_column(String(16), primary_key=True)      # view | download | print
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class LibraryFeedback(Base):
    """Feedback sent from the accessibility statement's form (the law asks for a channel)."""

    __tablename__ = "library_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(254), nullable=True)
    page: Mapped[str | None] = mapped_column(String(300), nullable=True)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
