"""Passwords: Argon2id hashes (argon2-cffi) and a rule against common passwords (zxcvbn's list).

- :func:`hash_password` makes an Argon2id hash with argon2-cffi's parameters (RFC 9106's
  low-memory profile). :func:`verify_password` also checks the suite's older
  ``scrypt$n$r$p$salt$hash`` hashes, and :func:`needs_rehash` says when a stored hash should
  be replaced: the sign-in, which has the password in hand, stores a fresh Argon2id hash.
- :func:`password_problem`: at least ``MIN_LENGTH`` characters, and not one of the 30,000
  most common passwords (zxcvbn's frequency list, the list haveibeenpwned-style attacks try
  first) or a few Finnish and Swedish favourites, nor such a password with digits or signs
  added at the end, nor the person's own email address or name.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 1000
# favourites the English-language list lacks
LOCAL_COMMON = ("salasana", "salasana1", "salasana123", "salasanani", "lösenord", "losenord",
                "lösenord123", "qwertyuiopå", "kissakissa", "koirakoira", "suomi123", "perkele",
                "hyvääpäivää", "taitotaso", "taitotaso123", "qwertyuiop", "asdfghjklö")

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        n, r, p = int(n), int(r), int(p)
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=n, r=r,
                             p=p, dklen=len(expected), maxmem=128 * r * n * 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def verify_password(password: str, stored: str) -> bool:
    if not stored:
        return False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """An older scheme or weaker parameters than the hasher's now."""
    if not stored or not stored.startswith("$argon2"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(LOCAL_COMMON)


def _personal(email: str | None, name: str | None) -> list[str]:
    """The email address's name part and the whole name (a part alone, e.g. a first name,
    may well be one word of a good passphrase)."""
    parts = []
    if email:
        parts.append(email.split("@")[0].lower())
    if name and len(name.split()) > 1:
        parts.append(" ".join(name.lower().split()))
        parts.append("".join(name.lower().split()))
    return [p for p in parts if len(p) >= 4]


def password_problem(password: str, *, email: str | None = None, name: str | None = None,
                     gettext=lambda s, **kw: s % kw if kw else s) -> str | None:
    """What is wrong with ``password`` as a new password, in words a person can act on, or
    None when it will do. ``gettext`` translates the messages (flask_babel's ``_``)."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return gettext("The password must have at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return gettext("The password can have at most %(n)s characters.", n=MAX_LENGTH)
    folded = password.lower()
    stem = re.sub(r"[\d\W_]+$", "", folded)   # "password2024!" is "password"
    common = common_passwords()
    if folded in common or stem in common or len(set(folded)) <= 2:
        return gettext("This password is one of the most common passwords, which are tried "
                       "first when accounts are attacked. Choose another: a few unrelated "
                       "words make a good password.")
    if any(p in folded for p in _personal(email, name)):
        return gettext("The password must not contain your email address or name. Choose "
                       "another: a few unrelated words make a good password.")
    return None


__all__ = ["hash_password", "verify_password", "needs_rehash", "password_problem",
           "common_passwords", "MIN_LENGTH", "MAX_LENGTH"]
