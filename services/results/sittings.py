"""Supervised sittings: the only way a result becomes "supervised".

A coach opens a sitting *before* the test, with the job seeker in the room: the coach checks
an identity document in person, records which kind it was (``IDENTITY_METHODS``; the number
is never stored in clear, at most as an HMAC), and gets a one-time code of eight characters
(``ABCD-EFGH``, about 40 bits), valid for ``VALID_MINUTES``. The job seeker types the code on
the test's start page; the test started with it is the sitting's test, and the result kept
from that test is supervised, by that coach. A code works once; an unknown, used or expired
code is refused before the test starts. Opening and using a sitting are audited
(``audit_events``: ``sitting.open``, ``sitting.start``). Nothing can mark a result supervised
afterwards.

Codes and document numbers are kept as HMAC-SHA256 under the application's secret key, so
that a copy of the database does not give them away (a plain hash of a 40-bit code could be
reversed by trying them all).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from item_bank.orm import utcnow
from services.common.accounts import Staff

from .orm import AuditEvent, SupervisedSitting
from .seekers import aware

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
CODE_LENGTH = 8
VALID_MINUTES = 120
IDENTITY_METHODS = {
    "passport": _l("Passport"),
    "id_card": _l("Identity card"),
    "residence_permit": _l("Residence permit card"),
    "driving_licence": _l("Driving licence"),
}
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


class SittingError(Exception):
    """A code or a form that cannot be accepted: a message a person can act on."""

    def __init__(self, message, field: str = "supervision_code", status: int = 422):
        super().__init__(str(message))
        self.message, self.field, self.status = message, field, status


def normalise_code(code) -> str:
    """What the job seeker typed, as stored: capitals, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", str(code or "")).upper()


def _hmac(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def open_sitting(db, coach: Staff, identity_method: str, document_number: str | None,
                 checked_in_person: bool, secret: str) -> tuple[dict, str]:
    """A new sitting and its code (shown once to the coach)."""
    if identity_method not in IDENTITY_METHODS:
        raise SittingError(_l("Choose how you checked the person's identity."),
                           field="identity_method")
    if not checked_in_person:
        raise SittingError(_l("Tick the box to confirm that you checked the identity in person, "
                              "now, before the test."), field="checked")
    number = re.sub(r"\s", "", (document_number or "").replace("\x00", ""))[:64].upper()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = utcnow()
    with db.session() as s:
        row = SupervisedSitting(id=str(uuid.uuid4()), coach_id=coach.id,
                                code_hash=_hmac(secret, "code", code),
                                identity_method=identity_method,
                                document_hmac=_hmac(secret, "document", number) if number else None,
                                created_at=now, expires_at=now + timedelta(minutes=VALID_MINUTES))
        s.add(row)
        s.add(AuditEvent(actor=coach.email, action="sitting.open", target=f"sitting:{row.id}",
                         detail={"identity_method": identity_method,
                                 "document_recorded": bool(number)}))
        out = _out(row)
    return out, f"{code[:4]}-{code[4:]}"


def _out(row: SupervisedSitting) -> dict:
    return {"id": row.id, "coach_id": row.coach_id, "identity_method": row.identity_method,
            "created_at": aware(row.created_at), "expires_at": aware(row.expires_at),
            "used_at": aware(row.used_at), "session_id": row.session_id}


class CodeRefused(SittingError):
    """A sitting code that cannot start a test, and why (``reason``): ``malformed`` (not
    eight letters and digits of the code alphabet), ``unknown``, ``used`` (by another test)
    or ``expired``. The message is for the calling service; the job seeker's page words it
    in their own language (services/testing/pages.py)."""

    MESSAGES = {
        "malformed": "A sitting code is eight letters and digits such as ABCD-EFGH.",
        "unknown": "No sitting has this code.",
        "used": "This sitting code has started another test already: a code works once.",
        "expired": f"This sitting code has expired (a code is valid for {VALID_MINUTES} min).",
    }

    def __init__(self, reason: str):
        super().__init__(self.MESSAGES[reason], status=409 if reason == "used" else 422)
        self.reason = reason


def claim(db, code, session_id: str, secret: str) -> dict:
    """The sitting whose code this is starts the test ``session_id``: the code is used up,
    and the result kept from that test is supervised. ``CodeRefused`` for a malformed,
    unknown, used or expired code.

    One statement decides, so that only one test gets a sitting even when two start with
    the same code at the same moment. Claiming again for the same test is not an error (a
    caller retrying after a lost answer gets the same sitting)."""
    code = normalise_code(code)
    if not _CODE.match(code):
        raise CodeRefused("malformed")
    code_hash = _hmac(secret, "code", code)
    now = utcnow()
    with db.session() as s:
        done = s.execute(update(SupervisedSitting)
                         .where(SupervisedSitting.code_hash == code_hash,
                                SupervisedSitting.used_at.is_(None),
                                SupervisedSitting.expires_at > now)
                         .values(used_at=now, session_id=session_id)
                         .execution_options(synchronize_session=False))
        row = s.scalar(select(SupervisedSitting).where(SupervisedSitting.code_hash == code_hash))
        if done.rowcount == 1:
            s.add(AuditEvent(actor="job seeker (test session)", action="sitting.start",
                             target=f"sitting:{row.id}", detail={"session_id": session_id}))
            return _out(row)
        if row is None:
            raise CodeRefused("unknown")
        if row.session_id == session_id:
            return _out(row)   # the same test again: its claim was taken already
        raise CodeRefused("used" if row.used_at is not None else "expired")


def sitting_of(s, session_id: str) -> SupervisedSitting | None:
    """The sitting a test was started in, inside a database session (None: unsupervised)."""
    return s.scalar(select(SupervisedSitting).where(SupervisedSitting.session_id == session_id))


def sittings_of_coach(db, coach_id: int, limit: int = 20) -> list[dict]:
    with db.session() as s:
        rows = s.scalars(select(SupervisedSitting).where(SupervisedSitting.coach_id == coach_id)
                         .order_by(SupervisedSitting.created_at.desc()).limit(limit)).all()
        return [_out(r) for r in rows]
