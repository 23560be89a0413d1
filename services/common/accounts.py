"""Staff accounts and signing them in.

Roles: ``author`` and ``reviewer`` write and review the items of the bank (a reviewer may
do all an author may); ``coach`` follows the job seekers who shared results with them and
reviews their uncertain scores; ``curator`` edits and publishes the Katso material
library; ``panelist`` sits on standard-setting panels that set the CEFR cut scores
(reviewers may too); ``admin`` makes staff accounts, runs standard-setting studies and
sees the whole review queue. A person may hold several roles.

Passwords are hashed with Argon2id (argon2-cffi, services/common/passwords.py); the older
``scrypt$n$r$p$salt$hash`` hashes are still checked and replaced at the next sign-in. Who is signed in is kept as a small record,
``{"user_id", "roles", "provider"}``: signing in with a password is one provider, and others
(e.g. the city's single sign-on) can make the same record later.

Sign-in attempts are counted per (email, client address) before the password is checked:
after ``MAX_FAILURES`` within ``WINDOW_SECONDS`` that pair waits; from all addresses together
an account takes ``ACCOUNT_MAX_FAILURES`` (see :class:`SignInThrottle`). The counts live in
Redis when one is configured, otherwise in the database.
"""
from __future__ import annotations

import hashlib
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
# Argon2id (argon2-cffi) with older scrypt hashes still accepted and replaced at sign-in;
# the rule for new passwords (length, common passwords): services/common/passwords.py
from .passwords import hash_password, needs_rehash, password_problem, verify_password  # noqa: E402

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
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem)
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
        if needs_rehash(stored):   # an older scheme: the password is at hand, store Argon2id
            row.password_hash = hash_password(password)
        return _staff(row)


# -- throttling failed sign-ins ----------------------------------------------------------
ACCOUNT_MAX_FAILURES = 50   # from every address together: a slower backoff for the account


@dataclass
class SignInThrottle:
    """Sign-in attempts counted per (account, client address), with a slower limit per
    account from every address together.

    An attempt is *reserved* before the password is checked (:meth:`reserve`), with an atomic
    counter (Redis ``INCR`` in a transaction; without Redis, database rows written under a
    lock): 40 parallel attempts get ``max_failures`` password checks, not more. A success
    clears the pair's count (:meth:`succeeded`). Because the count is per address, somebody
    else guessing at an account does not lock its owner out; only ``account_max_failures``
    failures from many addresses within the window slow the account down for everyone.
    """

    db: object
    redis: object | None = None
    max_failures: int = MAX_FAILURES
    window_seconds: int = WINDOW_SECONDS
    prefix: str = "taitotaso:signin"
    account_max_failures: int = ACCOUNT_MAX_FAILURES
    _clock: object = field(default=time.time, repr=False)
    _lock: object = field(default_factory=lambda: __import__("threading").Lock(), repr=False)

    def _account(self, account: str) -> str:
        return hashlib.sha256(normalise_email(account).encode()).hexdigest()[:40]

    def _pair(self, account: str, address: str | None) -> str:
        where = hashlib.sha256((address or "unknown").encode()).hexdigest()[:24]
        return f"{self._account(account)}|{where}"

    def reserve(self, account: str, address: str | None) -> int:
        """Count one attempt before the password is checked: 0 when it may go on, else the
        seconds to wait (and nothing is counted)."""
        if self.redis is not None:
            try:
                return self._reserve_redis(account, address)
            except Exception:
                log.exception("could not count a sign-in attempt in Redis; using the database")
        return self._reserve_db(account, address)

    def remaining(self, account: str, address: str | None) -> int:
        """How many more attempts this pair may make now (after a failure: 0 means the
        next one waits)."""
        if self.redis is not None:
            try:
                used = int(self.redis.get(self._redis_key("pair", self._pair(account, address))) or 0)
                return max(0, self.max_failures - used)
            except Exception:
                log.exception("could not read sign-in attempts from Redis; using the database")
        with self.db.session() as s:
            used = s.scalar(select(func.count()).select_from(SignInFailure).where(
                SignInFailure.email == self._pair(account, address),
                SignInFailure.failed_at > self._since())) or 0
        return max(0, self.max_failures - used)

    def succeeded(self, account: str, address: str | None) -> None:
        """The password was right: this pair starts afresh (the account-wide count stays)."""
        if self.redis is not None:
            try:
                self.redis.delete(self._redis_key("pair", self._pair(account, address)))
            except Exception:
                log.exception("could not clear sign-in attempts in Redis")
        with self.db.session() as s:
            s.execute(delete(SignInFailure).where(SignInFailure.email == self._pair(account, address)))

    def _redis_key(self, kind: str, who: str) -> str:
        """Fixed windows of ``window_seconds``: the window's number is part of the key."""
        return f"{self.prefix}:{kind}:{who}:{int(self._clock() // self.window_seconds)}"

    def _reserve_redis(self, account: str, address: str | None) -> int:
        now = self._clock()
        wait = max(1, int(self.window_seconds - now % self.window_seconds + 0.999))
        for kind, who, limit in (("pair", self._pair(account, address), self.max_failures),
                                 ("account", self._account(account), self.account_max_failures)):
            pipe = self.redis.pipeline(transaction=True)
            pipe.incr(self._redis_key(kind, who))
            pipe.expire(self._redis_key(kind, who), self.window_seconds + 5)
            count, _set = pipe.execute()
            if count > limit:
                return wait
        return 0

    def _since(self) -> datetime:
        return datetime.fromtimestamp(self._clock() - self.window_seconds, timezone.utc)

    def _reserve_db(self, account: str, address: str | None) -> int:
        """Without Redis (the embedded default: one process), rows under a lock."""
        now = self._clock()
        pair, whole = self._pair(account, address), self._account(account)
        with self._lock, self.db.session() as s:
            s.execute(delete(SignInFailure).where(SignInFailure.failed_at < self._since()))
            pair_times = s.scalars(select(SignInFailure.failed_at).where(
                SignInFailure.email == pair).order_by(SignInFailure.failed_at)).all()
            if len(pair_times) >= self.max_failures:
                return self._wait(pair_times, now)
            account_times = s.scalars(select(SignInFailure.failed_at).where(
                SignInFailure.email.like(f"{whole}|%")).order_by(SignInFailure.failed_at)).all()
            if len(account_times) >= self.account_max_failures:
                return self._wait(account_times, now)
            s.add(SignInFailure(email=pair, failed_at=datetime.fromtimestamp(now, timezone.utc)))
        return 0

    def _wait(self, times: list, now: float) -> int:
        return max(1, int(_aware(times[0]).timestamp() + self.window_seconds - now + 0.999))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def count_staff(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(StaffUser)) or 0


__all__ = ["ROLES", "Staff", "StaffUser", "SignInFailure", "AccountError", "SignInThrottle",
           "create_staff", "add_staff", "authenticate", "get_staff", "list_staff", "set_active", "hash_password",
           "verify_password", "generate_password", "count_staff", "parse_roles"]
