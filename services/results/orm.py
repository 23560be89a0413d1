"""Results that job seekers own: accounts, the results they keep, what they share with
whom, every view of a share, and the audit trail of staff actions."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

import services.common.accounts  # noqa: F401  (staff_users, which shares and results refer to)
from item_bank.orm import Base, utcnow


class JobSeeker(Base):
    """A job seeker's account. Personal data: email and display name only; deleting the
    account blanks them (``deleted_at``) and revokes every share."""

    __tablename__ = "job_seekers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ui_language: Mapped[str] = mapped_column(String(2), default="fi")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Identity(Base):
    """How a job seeker signs in: a password today (``provider="password"``, ``subject`` the
    email, ``secret`` the scrypt hash), Suomi.fi e-identification later (its own provider
    and subject, no secret) — one account, several ways in."""

    __tablename__ = "job_seeker_identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_seeker_id: Mapped[str] = mapped_column(ForeignKey("job_seekers.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(254))
    secret: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_identity_provider_subject"),
                      Index("ix_identities_job_seeker", "job_seeker_id"))


class OwnedResult(Base):
    """A finished test kept in a job seeker's account, with the assurance of the sitting:
    ``unsupervised``, or ``supervised`` by a coach who confirmed the identity.

    The test itself is the testing service's (``session_id`` names it; no foreign key
    crosses the services): its result is copied here when it is kept, and kept in step by
    the event ``test.result_changed`` (a coach's review re-estimates it), so that the
    results service reads its own table only."""

    __tablename__ = "owned_results"

    session_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_seeker_id: Mapped[str] = mapped_column(ForeignKey("job_seekers.id", ondelete="CASCADE"))
    assurance: Mapped[str] = mapped_column(String(16), default="unsupervised")
    supervised_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    identity_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the copy of the testing service's test: its levels (overall, skills, n_items, ...)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ui_language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    bank_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cut_scores_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # when the testing service last changed the result (an older event changes nothing)
    result_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_owned_results_job_seeker", "job_seeker_id", "claimed_at"),)


class Share(Base):
    """Consent: one result, to one recipient (a named coach, or an employer by name or
    email), for a purpose, until ``expires_at`` unless withdrawn. Employer shares carry a
    link token, stored only as its SHA-256."""

    __tablename__ = "shares"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_seeker_id: Mapped[str] = mapped_column(ForeignKey("job_seekers.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(36))   # the testing service's test
    recipient_kind: Mapped[str] = mapped_column(String(16))            # coach | employer
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    employer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    employer_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    purpose: Mapped[str] = mapped_column(String(300), default="")
    show_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    credential_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    view_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_shares_job_seeker", "job_seeker_id", "created_at"),
                      Index("ix_shares_coach", "coach_id", "revoked_at"))


class ShareView(Base):
    """One view of a shared result: who (a coach's email, or "employer link") and when."""

    __tablename__ = "share_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    share_id: Mapped[str] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"))
    viewer: Mapped[str] = mapped_column(String(254))
    viewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_share_views_share", "share_id", "viewed_at"),)


class AuditEvent(Base):
    """Staff actions that change what a job seeker's result says (e.g. a coach overriding
    a machine score, confirming an identity), and security-relevant events."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_audit_events_target", "target", "at"),)


class SupervisedSitting(Base):
    """A supervised sitting, opened by a coach before the test: the coach checked the job
    seeker's identity in person (``identity_method``: which kind of document; the document's
    number is never stored, only an HMAC of it when the coach typed it, so that an audit can
    confirm a document without the number being readable) and gave a one-time code (stored
    as an HMAC). The test started with the code is the sitting's ``session_id``; its result
    is supervised, and only such a result is."""

    __tablename__ = "supervised_sittings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    identity_method: Mapped[str] = mapped_column(String(32))
    document_hmac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(36), unique=True, nullable=True)

    __table_args__ = (Index("ix_supervised_sittings_coach", "coach_id", "created_at"),)
