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
Redis when one is configured, otherwise in the process (the `limits` library).
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, func, select
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


@dataclass(frozen=True)
class SignInThrottle:
    """Sign-in attempts counted per (account, client address), with a slower limit per
    account from every address together, in moving windows of ``window_seconds``
    (the `limits` library, services/common/rate_limit.py: Redis when configured, else the process).

    An attempt is *reserved* before the password is checked (:meth:`reserve`), atomically
    (in Redis one Lua script, in the process under a lock): 40 parallel attempts get
    ``max_failures`` password checks, not more. A success clears the pair's count
    (:meth:`succeeded`). Because the count is per address, somebody else guessing at an
    account does not lock its owner out; only ``account_max_failures`` failures from many
    addresses within the window slow the account down for everyone. Called in a request.
    """

    scope: str = "signin"
    max_failures: int = MAX_FAILURES
    window_seconds: int = WINDOW_SECONDS
    account_max_failures: int = ACCOUNT_MAX_FAILURES

    @property
    def _pair_limit(self):
        from .rate_limit import Limit

        return Limit(f"{self.scope}:pair", self.max_failures, self.window_seconds)

    @property
    def _account_limit(self):
        from .rate_limit import Limit

        return Limit(f"{self.scope}:account", self.account_max_failures, self.window_seconds)

    @staticmethod
    def _pair(account: str, address: str | None) -> str:
        return f"{normalise_email(account)}|{address or 'unknown'}"

    def reserve(self, account: str, address: str | None) -> int:
        """Count one attempt before the password is checked: 0 when it may go on, else the
        seconds to wait (and nothing is counted for the pair)."""
        from .rate_limit import hit

        return (hit(self._pair_limit, key=self._pair(account, address))
                or hit(self._account_limit, key=normalise_email(account)))

    def remaining(self, account: str, address: str | None) -> int:
        """How many more attempts this pair may make now (after a failure: 0 means the
        next one waits)."""
        from .rate_limit import remaining

        return remaining(self._pair_limit, self._pair(account, address))

    def succeeded(self, account: str, address: str | None) -> None:
        """The password was right: this pair starts afresh (the account-wide count stays)."""
        from .rate_limit import clear

        clear(self._pair_limit, self._pair(account, address))


def count_staff(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(StaffUser)) or 0


__all__ = ["ROLES", "Staff", "StaffUser", "AccountError", "SignInThrottle",
           "create_staff", "add_staff", "authenticate", "get_staff", "list_staff", "set_active", "hash_password",
           "verify_password", "generate_password", "count_staff", "parse_roles"]
