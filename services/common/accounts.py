"""Staff accounts and signing them in.

Roles: ``author`` and ``reviewer`` write and review the items of the bank (a reviewer may
do all an author may); ``coach`` follows the job seekers who shared results with them and
reviews their uncertain scores; ``curator`` edits and publishes the Katso material
library; ``panelist`` sits on standard-setting panels that set the CEFR cut scores
(reviewers may too); ``admin`` makes staff accounts, runs standard-setting studies and
sees the whole review queue. A person may hold several roles.

Passwords are hashed with scrypt (hashlib, n=2**14, r=8, p=1, a random 16-byte salt) and
stored as ``scrypt$n$r$p$salt_b64$hash_b64``, so that the cost can be raised later without
breaking old hashes. Who is signed in is kept as a small record,
``{"user_id", "roles", "provider"}``: signing in with a password is one provider, and others
(e.g. the city's single sign-on) can make the same record later.

Failed sign-ins are counted per email address: after ``MAX_FAILURES`` within
``WINDOW_SECONDS`` further attempts are refused until the oldest failure is old enough.
The counts live in Redis when one is configured, otherwise in the database.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, Index, Integer, String, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from item_bank.orm import Base, utcnow

log = logging.getLogger(__name__)

ROLES = ("author", "reviewer", "coach", "curator", "panelist", "admin")
PASSWORD_PROVIDER = "password"
MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    roles: Mapped[str] = mapped_column(String(200))  # comma list, e.g. "author,reviewer"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignInFailure(Base):
    """One failed sign-in, kept for ``WINDOW_SECONDS`` (when Redis is not configured)."""

    __tablename__ = "staff_sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_staff_sign_in_failures_email", "email", "failed_at"),)


class AccountError(ValueError):
    """An account cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Staff:
    """A staff member as the services see them (never the password hash)."""

    id: int
    email: str
    name: str
    roles: tuple[str, ...]
    active: bool = True
    provider: str = PASSWORD_PROVIDER

    def has(self, role: str) -> bool:
        """Reviewers may do everything authors may."""
        return role in self.roles or (role == "author" and "reviewer" in self.roles)

    def has_any(self, *roles: str) -> bool:
        return any(self.has(r) for r in roles)

    def session_record(self) -> dict:
        return {"user_id": self.id, "roles": list(self.roles), "provider": self.provider}


# -- passwords -----------------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32,
                            maxmem=128 * r * n * 2)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored ``scrypt$…`` hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        n, r, p = int(n), int(r), int(p)
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=n, r=r, p=p,
                             dklen=len(expected), maxmem=128 * r * n * 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# a hash of nothing anyone knows: unknown emails cost as much time as known ones
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def normalise_email(email: str) -> str:
    return (email or "").replace("\x00", "").strip().lower()


# -- accounts ------------------------------------------------------------------------
def _staff(row: StaffUser, provider: str = PASSWORD_PROVIDER) -> Staff:
    roles = tuple(r for r in (row.roles or "").split(",") if r)
    return Staff(id=row.id, email=row.email, name=row.name, roles=roles, active=row.active,
                 provider=provider)


def parse_roles(roles) -> tuple[str, ...]:
    if isinstance(roles, str):
        roles = roles.split(",")
    out = tuple(dict.fromkeys(r.strip() for r in roles if r and r.strip()))
    unknown = [r for r in out if r not in ROLES]
    if unknown or not out:
        raise AccountError(f"roles must be one or more of {', '.join(ROLES)}, got {', '.join(out) or 'none'}")
    return out


def create_staff(db, email: str, name: str, roles, password: str) -> Staff:
    """Add a staff member; ``db`` is a :class:`services.common.db.Database`.

    Raises :class:`AccountError` for a malformed email, an email already in use, unknown
    roles or a password shorter than ``MIN_PASSWORD_LENGTH``."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    if not name or len(name) > 200:
        raise AccountError("a name of 1–200 characters is needed")
    roles = parse_roles(roles)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    try:
        with db.session() as s:
            if s.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
                raise AccountError(f"a staff member with the email {email} already exists")
            row = StaffUser(email=email, name=name, password_hash=hash_password(password),
                            roles=",".join(roles), active=True)
            s.add(row)
            s.flush()
            return _staff(row)
    except IntegrityError:
        raise AccountError(f"a staff member with the email {email} already exists") from None


def add_staff(db, email: str, name: str, roles, password: str | None = None) -> tuple[Staff, str | None]:
    """For ``taitotaso staff add``: like :func:`create_staff`, but without a password one
    is made; it is returned (to be shown once) as the second value."""
    generated = None
    if not password:
        password = generated = generate_password()
    return create_staff(db, email, name, roles, password), generated


def get_staff(db, user_id: int) -> Staff | None:
    with db.session() as s:
        row = s.get(StaffUser, user_id)
        return _staff(row) if row is not None else None


def list_staff(db) -> list[Staff]:
    """Every staff account, by name (for the admin's page)."""
    with db.session() as s:
        return [_staff(row) for row in s.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id))]


def set_active(db, email: str, active: bool) -> bool:
    with db.session() as s:
        row = s.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
        if row is None:
            return False
        row.active = active
        return True


def authenticate(db, email: str, password: str) -> Staff | None:
    """The active staff member with this email and password, or None. Takes the same time
    whether or not the email exists."""
    email = normalise_email(email)
    with db.session() as s:
        row = s.scalar(select(StaffUser).where(StaffUser.email == email)) if email else None
        stored = row.password_hash if row is not None else _DUMMY_HASH
        ok = verify_password(password or "", stored)
        if row is None or not ok or not row.active:
            return None
        return _staff(row)


# -- throttling failed sign-ins ----------------------------------------------------------
@dataclass
class SignInThrottle:
    """Counts failed sign-ins per email: in Redis when given one, else in the database."""

    db: object
    redis: object | None = None
    max_failures: int = MAX_FAILURES
    window_seconds: int = WINDOW_SECONDS
    prefix: str = "taitotaso:signin"
    _clock: object = field(default=time.time, repr=False)

    def _key(self, email: str) -> str:
        return f"{self.prefix}:{hashlib.sha256(normalise_email(email).encode()).hexdigest()}"

    def wait_seconds(self, email: str) -> int:
        """0 when a sign-in may be tried now, else the seconds until it may."""
        now = self._clock()
        if self.redis is not None:
            try:
                key = self._key(email)
                self.redis.zremrangebyscore(key, 0, now - self.window_seconds)
                stamps = [score for _m, score in self.redis.zrange(key, 0, -1, withscores=True)]
                return self._wait(stamps, now)
            except Exception:
                log.exception("could not read sign-in failures from Redis; using the database")
        since = datetime.fromtimestamp(now - self.window_seconds, timezone.utc)
        with self.db.session() as s:
            stamps = s.scalars(select(SignInFailure.failed_at)
                               .where(SignInFailure.email == normalise_email(email),
                                      SignInFailure.failed_at > since)).all()
        return self._wait([_aware(t).timestamp() for t in stamps], now)

    def _wait(self, stamps: list[float], now: float) -> int:
        if len(stamps) < self.max_failures:
            return 0
        stamps = sorted(stamps)
        # allowed again when fewer than max_failures remain inside the window
        release = stamps[len(stamps) - self.max_failures] + self.window_seconds
        return max(1, int(release - now + 0.999))

    def failed(self, email: str) -> None:
        now = self._clock()
        if self.redis is not None:
            try:
                key = self._key(email)
                pipe = self.redis.pipeline(transaction=False)
                pipe.zadd(key, {f"{now}:{secrets.token_hex(4)}": now})
                pipe.expire(key, self.window_seconds)
                pipe.execute()
                return
            except Exception:
                log.exception("could not count a sign-in failure in Redis; using the database")
        old = datetime.fromtimestamp(now - self.window_seconds, timezone.utc)
        with self.db.session() as s:
            s.execute(delete(SignInFailure).where(SignInFailure.failed_at < old))
            s.add(SignInFailure(email=normalise_email(email),
                                failed_at=datetime.fromtimestamp(now, timezone.utc)))

    def clear(self, email: str) -> None:
        if self.redis is not None:
            try:
                self.redis.delete(self._key(email))
            except Exception:
                log.exception("could not clear sign-in failures in Redis")
        with self.db.session() as s:
            s.execute(delete(SignInFailure).where(SignInFailure.email == normalise_email(email)))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def count_staff(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(StaffUser)) or 0


__all__ = ["ROLES", "Staff", "StaffUser", "SignInFailure", "AccountError", "SignInThrottle",
           "create_staff", "add_staff", "authenticate", "get_staff", "list_staff", "set_active", "hash_password",
           "verify_password", "generate_password", "count_staff", "parse_roles"]
