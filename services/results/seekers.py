"""Job seekers' accounts and the results they keep.

**Signing in.** An account (``JobSeeker``) holds no credential itself: each way of signing
in is an ``Identity`` row ``(provider, subject, secret)``. Today the one provider is
``"password"``: ``subject`` is the normalised email and ``secret`` the scrypt hash made by
``services.common.accounts.hash_password``. Suomi.fi e-identification can be added later as
another provider (``"suomi.fi"``, ``subject`` the pseudonymous identifier the SAML/OIDC
assertion gives, no secret) pointing at the same account; the browser's sign-in record is
Flask-Login's ``session["_user_id"] = "<provider>|<account id>"`` either way
(services/results/pages.py ``SeekerLogin``), so nothing after sign-in depends on the provider.

**Keeping a result.** The testing service leaves the test this browser took in the session
(``session["test"] = {"id", "token"}``). A signed-in job seeker keeps it as an
``OwnedResult`` (assurance "unsupervised": the identity of whoever took it was not checked);
the session's bearer token proves the browser took that test. One test belongs to at most
one account.

**Deleting an account** blanks the email and display name, deletes the identities, revokes
every share (their credentials then show as revoked), blanks the recipients and purposes
and removes the links to the kept results. The test sessions themselves stay: they are
anonymous (no name, no email) and feed the item statistics.

Messages are lazy gettext strings: callers run inside a request, in the visitor's language.
"""
from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from services.common.i18n import LEARNER_LANGUAGES
from services.common.service_calls import ServiceUnavailable

from services.common.accounts import hash_password, normalise_email, verify_password
from services.common.passwords import needs_rehash, password_problem

from .orm import AuditEvent, Identity, JobSeeker, OwnedResult, Share, ShareView
from .ports import FinishedTests, finished_tests

log = logging.getLogger(__name__)

PASSWORD_PROVIDER = "password"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
MAX_DISPLAY_NAME = 100
UNSUPERVISED = "unsupervised"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# the hash of a password nobody knows: an unknown email costs as much time as a known one
_DUMMY_HASH = hash_password(uuid.uuid4().hex)


class SeekerError(Exception):
    """What a job seeker asked cannot be done; ``message`` says why, ``field`` names the form
    field at fault (if any), ``status`` is the HTTP status to answer with."""

    def __init__(self, message, *, field: str | None = None, status: int = 422):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Seeker:
    """A signed-in job seeker as the pages see them (never a password hash)."""

    id: str
    email: str | None
    display_name: str | None
    ui_language: str
    provider: str = PASSWORD_PROVIDER

    def session_record(self) -> dict:
        return {"id": self.id, "provider": self.provider}


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive times (stored as UTC); PostgreSQL aware ones."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _seeker(row: JobSeeker, provider: str) -> Seeker:
    return Seeker(id=row.id, email=row.email, display_name=row.display_name,
                  ui_language=row.ui_language, provider=provider)


def clean_display_name(name: str | None) -> str | None:
    name = " ".join((name or "").replace("\x00", "").split())
    if not name:
        return None
    if len(name) > MAX_DISPLAY_NAME or any(not ch.isprintable() for ch in name):
        raise SeekerError(_l("The name can have at most %(n)s characters.", n=MAX_DISPLAY_NAME),
                          field="display_name")
    return name


# -- accounts ------------------------------------------------------------------------------
def sign_up(db, email: str, password: str, display_name: str | None = None,
            ui_language: str = "fi") -> Seeker:
    """A new account with a password identity. Raises ``SeekerError`` for a malformed email,
    an email already in use, a short password or a too long name."""
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise SeekerError(_l("Write your email address in the form name@example.fi."),
                          field="email")
    password = password or ""
    name = clean_display_name(display_name)
    # length, the common-password list, not her own email or name (services/common/passwords)
    problem = password_problem(password, email=email, name=name, gettext=_l)
    if problem:
        raise SeekerError(problem, field="password")
    taken = SeekerError(_l("An account with this email address already exists. Sign in "
                           "instead."), field="email", status=409)
    try:
        with db.session() as s:
            if s.scalar(select(Identity.id).where(Identity.provider == PASSWORD_PROVIDER,
                                                  Identity.subject == email)) is not None \
                    or s.scalar(select(JobSeeker.id).where(JobSeeker.email == email)) is not None:
                raise taken
            row = JobSeeker(id=str(uuid.uuid4()), email=email, display_name=name,
                            ui_language=ui_language if ui_language in LEARNER_LANGUAGES else "fi")
            s.add(row)
            s.flush()
            s.add(Identity(job_seeker_id=row.id, provider=PASSWORD_PROVIDER, subject=email,
                           secret=hash_password(password)))
            return _seeker(row, PASSWORD_PROVIDER)
    except IntegrityError:  # the same email signed up twice at once
        raise taken from None


def authenticate(db, email: str, password: str) -> Seeker | None:
    """The account with this email and password, or None; takes the same time whether or
    not the email has an account."""
    email = normalise_email(email)
    with db.session() as s:
        found = s.execute(
            select(Identity, JobSeeker).join(JobSeeker, JobSeeker.id == Identity.job_seeker_id)
            .where(Identity.provider == PASSWORD_PROVIDER, Identity.subject == email,
                   JobSeeker.deleted_at.is_(None))).first() if email else None
        stored = found[0].secret if found is not None and found[0].secret else _DUMMY_HASH
        ok = verify_password((password or "")[:MAX_PASSWORD_LENGTH], stored)
        if found is None or not ok:
            return None
        if needs_rehash(stored):   # an older scheme: the password is at hand, store Argon2id
            found[0].secret = hash_password((password or "")[:MAX_PASSWORD_LENGTH])
        return _seeker(found[1], PASSWORD_PROVIDER)


def get_seeker(db, seeker_id, provider: str = PASSWORD_PROVIDER) -> Seeker | None:
    """The account of a sign-in record, or None when it has been deleted since."""
    if not is_id(seeker_id):
        return None
    with db.session() as s:
        row = s.get(JobSeeker, seeker_id)
        if row is None or row.deleted_at is not None:
            return None
        return _seeker(row, provider)


# -- the results they keep -----------------------------------------------------------------
def browser_test(db, test: dict | None, seeker_id: str | None = None,
                 tests: FinishedTests | None = None) -> dict | None:
    """The finished test this browser took (``session["test"]``), if its token is right,
    as the testing service tells it (``tests``: this app's port): ``{"session_id",
    "finished_at", "overall", "owned", "test"}``, where ``owned`` is "mine" (kept by
    ``seeker_id``), "other" (kept by another account) or None, and ``test`` what the
    testing service said (kept as the copy when the result is kept)."""
    if not isinstance(test, dict) or not is_id(test.get("id")):
        return None
    found = (tests or finished_tests()).finished(test["id"], test.get("token"))
    if found is None or found.get("session_id") != test["id"]:
        return None
    with db.read() as s:
        owner = s.scalar(select(OwnedResult.job_seeker_id)
                         .where(OwnedResult.session_id == test["id"]))
    owned = None if owner is None else ("mine" if owner == seeker_id else "other")
    return {"session_id": test["id"], "finished_at": _moment(found.get("finished_at")),
            "overall": (found.get("result") or {}).get("overall", {}), "owned": owned,
            "test": found}


def test_to_offer(db, test: dict | None, seeker_id: str | None = None) -> dict | None:
    """:func:`browser_test` for a page that offers to keep it: while the testing service
    does not answer, the page shows no offer (keeping it, which needs the test, says so)."""
    try:
        return browser_test(db, test, seeker_id)
    except ServiceUnavailable as err:
        log.warning("no offer to keep this browser's test: %s", err)
        return None


def _moment(iso: str | None) -> datetime | None:
    return aware(datetime.fromisoformat(iso)) if iso else None


def copy_of(test: dict) -> dict:
    """The columns of ``owned_results`` that keep the testing service's test."""
    return {"result": dict(test.get("result") or {}), "ui_language": test.get("ui_language"),
            "started_at": _moment(test.get("started_at")),
            "finished_at": _moment(test.get("finished_at")),
            "bank_version": test.get("bank_version"),
            "cut_scores_version": test.get("cut_scores_version"),
            # the testing service's stamp of the result (before it had one: when it finished)
            "result_changed_at": _moment(test.get("result_changed_at") or test.get("finished_at"))}


def _as_change(test: dict) -> dict:
    """A test read from the testing service as the event ``test.result_changed`` tells it
    (for :func:`keep_in_step`)."""
    return {"session_id": test.get("session_id"), "test": test,
            "changed_at": test.get("result_changed_at") or test.get("finished_at")}


def claim(db, seeker_id: str, test: dict | None, tests: FinishedTests | None = None) -> str:
    """Keep the browser's finished test in the account, with a copy of its result; returns
    its session id. Keeping it again is harmless; a test kept by another account is
    refused.

    The copy is made from the test as read before it is stored, and is kept in step by the
    event ``test.result_changed`` (:func:`keep_in_step`), which finds no copy to change
    until it is stored: the event of a change made between the read and the insert would
    be lost, and the copy keep the old result. So once the copy is stored (committed), the
    test is read again and the copy takes that read through :func:`keep_in_step`, like an
    event stamped with the result's ``result_changed_at``: whatever changed before the
    second read is in it, whatever changes after has an event that finds the copy, and
    keep_in_step's order by the testing service's stamp lets neither a late older event nor
    this read undo a newer change. Should the second read fail (the testing service away),
    keeping fails with it and keeping again (the test is then this account's) reads it
    again."""
    found = browser_test(db, test, seeker_id, tests)
    if found is None:
        raise SeekerError(_l("This browser has no finished test to keep. Take the test first, "
                             "then keep its result from the result page."), status=404)
    if found["owned"] == "other":
        raise SeekerError(_l("This result is already kept in another account."), status=409)
    session_id = found["session_id"]
    if found["owned"] is None:
        from .sittings import sitting_of

        try:
            with db.session() as s:
                # supervised only when the test was started with a coach's one-time code
                sitting = sitting_of(s, session_id)
                s.add(OwnedResult(session_id=session_id, job_seeker_id=seeker_id,
                                  assurance="supervised" if sitting else UNSUPERVISED,
                                  supervised_by=sitting.coach_id if sitting else None,
                                  identity_confirmed_at=sitting.created_at if sitting else None,
                                  **copy_of(found["test"])))
        except IntegrityError:
            raise SeekerError(_l("This result is already kept in another account."),
                              status=409) from None
        found = browser_test(db, test, seeker_id, tests)   # again, now that the copy is stored
    if found is not None and found["owned"] == "mine":
        keep_in_step(db, _as_change(found["test"]))
    return session_id


def _result_out(owned: OwnedResult) -> dict:
    res = owned.result or {}
    return {"session_id": owned.session_id, "finished_at": aware(owned.finished_at),
            "claimed_at": aware(owned.claimed_at), "assurance": owned.assurance,
            "identity_confirmed_at": aware(owned.identity_confirmed_at),
            "overall": res.get("overall", {}), "skills": res.get("skills", {}),
            "n_items": res.get("n_items"), "bank_version": owned.bank_version,
            "cut_scores_version": res.get("cut_scores_version") or owned.cut_scores_version,
            "ui_language": owned.ui_language}


def history(db, seeker_id: str) -> list[dict]:
    """Every result the account keeps, oldest first."""
    with db.read() as s:
        rows = s.scalars(select(OwnedResult).where(OwnedResult.job_seeker_id == seeker_id)).all()
        out = [_result_out(o) for o in rows]
    return sorted(out, key=lambda r: (r["finished_at"] or r["claimed_at"], r["session_id"]))


def is_id(value) -> bool:
    """Could be one of our ids (PostgreSQL refuses text with NUL characters outright)."""
    return isinstance(value, str) and 0 < len(value) <= 36 and "\x00" not in value


def owned_result(db, seeker_id: str, session_id) -> dict | None:
    """One kept result of this account, or None (also for another account's result)."""
    if not is_id(session_id):
        return None
    with db.read() as s:
        row = s.scalar(select(OwnedResult).where(OwnedResult.session_id == session_id,
                                                 OwnedResult.job_seeker_id == seeker_id))
        return _result_out(row) if row is not None else None


def keep_in_step(db, event: dict) -> bool:
    """``test.result_changed``: the kept copy of a test takes its new result, unless the
    copy is already as new (events may come twice or out of order). True when it changed."""
    changed_at = _moment(event.get("changed_at"))
    with db.session() as s:
        row = s.get(OwnedResult, event.get("session_id"), with_for_update=True)
        if row is None:   # nobody keeps it (yet: keeping it later copies the new result)
            return False
        if row.result_changed_at is not None and changed_at is not None \
                and aware(row.result_changed_at) > changed_at:
            return False
        for column, value in copy_of(event.get("test") or {}).items():
            if column != "result_changed_at" and value is not None:
                setattr(row, column, value)
        row.result_changed_at = changed_at or now_utc()
        return True


# -- GDPR ----------------------------------------------------------------------------------
def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat(timespec="seconds") if moment is not None else None


def export(db, seeker_id: str, scoring) -> dict:
    """Everything kept about the account, as JSON-ready data (no password hashes); the
    scoring service's part through ``scoring`` (services/results/ports.py)."""
    with db.session() as s:
        row = s.get(JobSeeker, seeker_id)
        identities = s.scalars(select(Identity).where(Identity.job_seeker_id == seeker_id)
                               .order_by(Identity.id)).all()
        shares = s.scalars(select(Share).where(Share.job_seeker_id == seeker_id)
                           .order_by(Share.created_at, Share.id)).all()
        views = s.scalars(select(ShareView).join(Share, Share.id == ShareView.share_id)
                          .where(Share.job_seeker_id == seeker_id)
                          .order_by(ShareView.viewed_at, ShareView.id)).all()
        account = {"id": row.id, "email": row.email, "display_name": row.display_name,
                   "ui_language": row.ui_language, "created_at": _iso(row.created_at)}
        identity_out = [{"provider": i.provider, "subject": i.subject,
                         "created_at": _iso(i.created_at)} for i in identities]
        by_share: dict[str, list] = {}
        for v in views:
            by_share.setdefault(v.share_id, []).append({"viewer": v.viewer,
                                                        "viewed_at": _iso(v.viewed_at)})
        share_out = [{
            "id": sh.id, "result": sh.session_id, "recipient_kind": sh.recipient_kind,
            "coach_id": sh.coach_id, "employer_name": sh.employer_name,
            "employer_email": sh.employer_email, "purpose": sh.purpose,
            "show_display_name": sh.show_contact, "credential_id": f"urn:uuid:{sh.credential_id}",
            "created_at": _iso(sh.created_at), "expires_at": _iso(sh.expires_at),
            "withdrawn_at": _iso(sh.revoked_at), "view_count": sh.view_count,
            "views": by_share.get(sh.id, []),
        } for sh in shares]
    results = []
    for r in history(db, seeker_id):
        results.append({"id": r["session_id"], "finished_at": _iso(r["finished_at"]),
                        "kept_at": _iso(r["claimed_at"]), "assurance": r["assurance"],
                        "overall": r["overall"], "skills": r["skills"], "n_items": r["n_items"],
                        "item_bank_version": r["bank_version"], "ui_language": r["ui_language"],
                        "cut_scores_version": r["cut_scores_version"]})
    from .erasure import kept_about   # answers, recordings, transcripts, reviews, notes

    return {"format": "taitotaso-job-seeker-export/1", "exported_at": _iso(now_utc()),
            "account": account, "identities": identity_out, "results": results,
            "shares": share_out, **kept_about(db, seeker_id, scoring)}


def delete_account(db, seeker_id: str) -> None:
    """Remove the personal data and revoke every share (see the module docs)."""
    moment = now_utc()
    with db.session() as s:
        row = s.get(JobSeeker, seeker_id)
        if row is None or row.deleted_at is not None:
            return
        row.email = None
        row.display_name = None
        row.deleted_at = moment
        s.execute(delete(Identity).where(Identity.job_seeker_id == seeker_id))
        s.execute(update(Share).where(Share.job_seeker_id == seeker_id,
                                      Share.revoked_at.is_(None)).values(revoked_at=moment))
        s.execute(update(Share).where(Share.job_seeker_id == seeker_id)
                  .values(employer_name=None, employer_email=None, purpose="",
                          show_contact=False))
        s.execute(delete(OwnedResult).where(OwnedResult.job_seeker_id == seeker_id))
        s.add(AuditEvent(actor=f"job seeker {seeker_id}", action="account_deleted",
                         target=f"job_seeker:{seeker_id}", detail={}))
