"""Consent: what a job seeker shares, with whom, until when; the employer's link; every view.

A share is one kept result, to one recipient (a named coach, or an employer by name and
optional email), for a purpose, for 1–365 days (30 by default), with or without the
job seeker's display name. It ends when it expires or when the job seeker withdraws it
(``revoked_at``); ended shares stay listed, as such, with their views.

**Employer links.** An employer share gets a token of 256 random bits
(``secrets.token_urlsafe(32)``); only its SHA-256 is stored, so the full link is shown once,
when the share is made. ``open_link`` finds a share by its token only while it is active:
an expired, withdrawn and unknown token all give None, and the pages answer those alike.
Each opening counts as a view (``view_count``) and is logged as a ``ShareView``.

**Credentials.** Each share has a ``credential_id``; the credential downloaded through the
link is signed with that id (``urn:uuid:<credential_id>``), valid from the share's creation
until its expiry, and its status (``credential_status``) says revoked once the share is
withdrawn.

**Rate limit.** The ``limits`` library (``services.common.rate_limit``) counts link look-ups per client
address (in Redis when configured, so that all workers share the count; otherwise in the process).
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from services.common.accounts import StaffUser, normalise_email

from . import credentials as vc
from .orm import JobSeeker, OwnedResult, Share, ShareView
from .seekers import SeekerError, aware, is_id, now_utc

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 365
MAX_PURPOSE = 300
MAX_EMPLOYER_NAME = 200
EMPLOYER_VIEWER = "employer link"
CREDENTIAL_VIEWER = "employer link: credential downloaded"
RECIPIENTS = ("coach", "employer")
WITHDRAWN_REASON = "Withdrawn by the job seeker."
ISSUER_NAME = "Taitotaso"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_state(share: Share, moment: datetime | None = None) -> str:
    """"active", "withdrawn" or "expired"."""
    if share.revoked_at is not None:
        return "withdrawn"
    if aware(share.expires_at) <= (moment or now_utc()):
        return "expired"
    return "active"


def _is_coach(row: StaffUser) -> bool:
    return row.active and "coach" in {r.strip() for r in (row.roles or "").split(",")}


def coaches(db) -> list[dict]:
    """The staff members a job seeker may share with: active, with the coach role."""
    with db.session() as s:
        rows = s.scalars(select(StaffUser).where(StaffUser.roles.like("%coach%"))
                         .order_by(StaffUser.name, StaffUser.id)).all()
        return [{"id": r.id, "name": r.name} for r in rows if _is_coach(r)]


# -- making and ending shares --------------------------------------------------------------
def _clean(text, limit: int) -> str:
    return " ".join(str(text or "").replace("\x00", "").split())[:limit + 1]


def create_share(db, seeker_id: str, *, session_id, recipient, coach_id=None,
                 employer_name=None, employer_email=None, purpose="", days=DEFAULT_DAYS,
                 show_name=False) -> tuple[dict, str | None]:
    """A new share of one of the account's results; returns it (as ``share_out``) and, for
    an employer, the link token (shown once: only its hash is kept).

    Raises ``SeekerError`` with status 404 for a result that is not the account's, 422 for
    a form that cannot be accepted (the field is named)."""
    if recipient not in RECIPIENTS:
        raise SeekerError(_l("Choose whether you share with a coach or with an employer."),
                          field="recipient")
    try:
        days = int(days if days not in (None, "") else DEFAULT_DAYS)
    except (TypeError, ValueError):
        days = -1
    if not 1 <= days <= MAX_DAYS:
        raise SeekerError(_l("Choose a time of 1 to %(n)s days.", n=MAX_DAYS), field="days")
    purpose = _clean(purpose, MAX_PURPOSE)
    if not purpose:
        raise SeekerError(_l("Tell what the result is shared for, for example \"job "
                             "application\"."), field="purpose")
    if len(purpose) > MAX_PURPOSE:
        raise SeekerError(_l("The purpose can have at most %(n)s characters.", n=MAX_PURPOSE),
                          field="purpose")
    name = email = None
    coach = None
    if recipient == "employer":
        name = _clean(employer_name, MAX_EMPLOYER_NAME)
        if not name:
            raise SeekerError(_l("Write the name of the employer."), field="employer_name")
        if len(name) > MAX_EMPLOYER_NAME:
            raise SeekerError(_l("The employer's name can have at most %(n)s characters.",
                                 n=MAX_EMPLOYER_NAME), field="employer_name")
        email = normalise_email(employer_email) or None
        if email is not None and (not _EMAIL.match(email) or len(email) > 254):
            raise SeekerError(_l("Write the employer's email address in the form "
                                 "name@example.fi, or leave it empty."), field="employer_email")
    else:
        try:
            coach = int(coach_id)
        except (TypeError, ValueError):
            coach = None
    now = now_utc()
    token = secrets.token_urlsafe(32) if recipient == "employer" else None
    with db.session() as s:
        owned = s.scalar(select(OwnedResult).where(OwnedResult.session_id == session_id,
                                                   OwnedResult.job_seeker_id == seeker_id)) \
            if is_id(session_id) else None
        if owned is None:
            raise SeekerError(_l("There is no such result in your account."),
                              field="result", status=404)
        if recipient == "coach":
            row = s.get(StaffUser, coach) if coach is not None else None
            if row is None or not _is_coach(row):
                raise SeekerError(_l("Choose a coach from the list."), field="coach_id")
        share = Share(id=str(uuid.uuid4()), job_seeker_id=seeker_id, session_id=session_id,
                      recipient_kind=recipient, coach_id=coach if recipient == "coach" else None,
                      employer_name=name, employer_email=email, purpose=purpose,
                      show_contact=bool(show_name),
                      token_hash=token_hash(token) if token else None,
                      credential_id=str(uuid.uuid4()), created_at=now,
                      expires_at=now + timedelta(days=days), view_count=0)
        s.add(share)
        s.flush()
        out = _share_out(s, share, now, [])
    return out, token


def withdraw(db, seeker_id: str, share_id) -> bool:
    """End a share now. False when the account has no such share (another account's share
    is "no such share" too); withdrawing twice keeps the first time."""
    if not is_id(share_id):
        return False
    with db.session() as s:
        share = s.scalar(select(Share).where(Share.id == share_id,
                                             Share.job_seeker_id == seeker_id))
        if share is None:
            return False
        if share.revoked_at is None:
            share.revoked_at = now_utc()
        return True


def _coach_names(s, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(s.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids))).all())


def _share_out(s, share: Share, moment: datetime, views: list[ShareView],
               coach_names: dict | None = None) -> dict:
    names = coach_names if coach_names is not None else _coach_names(s, [share.coach_id])
    return {
        "id": share.id, "result": share.session_id, "recipient": share.recipient_kind,
        "coach_id": share.coach_id, "coach_name": names.get(share.coach_id),
        "employer_name": share.employer_name, "employer_email": share.employer_email,
        "purpose": share.purpose, "show_name": share.show_contact,
        "has_link": share.token_hash is not None,
        "credential_id": f"urn:uuid:{share.credential_id}",
        "created_at": aware(share.created_at), "expires_at": aware(share.expires_at),
        "withdrawn_at": aware(share.revoked_at), "state": share_state(share, moment),
        "view_count": share.view_count,
        "views": [{"viewer": v.viewer, "viewed_at": aware(v.viewed_at)} for v in views],
    }


def shares_of(db, seeker_id: str) -> list[dict]:
    """Every share the account has made, newest first, each with its views (newest first)."""
    moment = now_utc()
    with db.session() as s:
        shares = s.scalars(select(Share).where(Share.job_seeker_id == seeker_id)
                           .order_by(Share.created_at.desc(), Share.id)).all()
        ids = [sh.id for sh in shares]
        views: dict[str, list[ShareView]] = {}
        if ids:
            for v in s.scalars(select(ShareView).where(ShareView.share_id.in_(ids))
                               .order_by(ShareView.viewed_at.desc(), ShareView.id.desc())):
                views.setdefault(v.share_id, []).append(v)
        names = _coach_names(s, [sh.coach_id for sh in shares])
        return [_share_out(s, sh, moment, views.get(sh.id, []), names) for sh in shares]


# -- the employer's link -------------------------------------------------------------------
def open_link(db, token, *, viewer: str = EMPLOYER_VIEWER) -> dict | None:
    """The shared result behind an active employer link, after counting and logging the
    view; None for an unknown, expired or withdrawn link (the same None for all three)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        token = ""  # still hash something: every miss costs the same
    digest = token_hash(token)
    moment = now_utc()
    with db.session() as s:
        row = s.execute(
            select(Share, OwnedResult, JobSeeker)
            .join(OwnedResult, (OwnedResult.session_id == Share.session_id)
                  & (OwnedResult.job_seeker_id == Share.job_seeker_id))
            .join(JobSeeker, JobSeeker.id == Share.job_seeker_id)
            .where(Share.token_hash == digest, Share.recipient_kind == "employer",
                   Share.revoked_at.is_(None), JobSeeker.deleted_at.is_(None))).first()
        if not token or row is None:
            return None
        share, owned, seeker = row
        if aware(share.expires_at) <= moment or not owned.result:
            return None
        s.execute(update(Share).where(Share.id == share.id)
                  .values(view_count=Share.view_count + 1))
        s.add(ShareView(share_id=share.id, viewer=viewer, viewed_at=moment))
        res = owned.result
        return {
            "share_id": share.id, "credential_id": share.credential_id,
            "created_at": aware(share.created_at), "expires_at": aware(share.expires_at),
            "display_name": seeker.display_name if share.show_contact else None,
            "assurance": owned.assurance, "finished_at": aware(owned.finished_at),
            "overall": res.get("overall", {}), "skills": res.get("skills", {}),
            "result": {**res, "finished_at": (aware(owned.finished_at).isoformat()
                                              if owned.finished_at else None),
                       "assurance": owned.assurance},
        }


def status_path(credential_id: str) -> str:
    return f"/api/v1/results/credentials/{credential_id}/status"


def subject_id(share_id: str) -> str:
    """A pseudonymous subject per share: credentials of two shares cannot be linked."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'taitotaso:share-subject:{share_id}')}"


def credential_jwt(link: dict, keyring: vc.KeyRing, issuer_url: str) -> str:
    """The signed Open Badges 3.0 credential of an opened link (see ``credentials``)."""
    issuer_url = issuer_url.rstrip("/")
    credential = vc.achievement_credential(
        link["result"], credential_id=f"urn:uuid:{link['credential_id']}",
        issuer_url=issuer_url, issuer_name=ISSUER_NAME, subject_name=link["display_name"],
        issued=link["created_at"], expires=link["expires_at"],
        status_url=issuer_url + status_path(link["credential_id"]))
    return vc.sign_credential(credential, keyring, subject=subject_id(link["share_id"]),
                              expires=link["expires_at"])


def credential_status(db, credential_id, issuer_url: str) -> dict | None:
    """The revocation list document of one credential (revoked once its share is withdrawn
    or the account deleted); None for an id this service never issued."""
    try:
        cid = str(uuid.UUID(str(credential_id)))
    except ValueError:
        return None
    with db.session() as s:
        share = s.scalar(select(Share).where(Share.credential_id == cid))
        if share is None:
            return None
        revoked = share.revoked_at is not None
    issuer_url = issuer_url.rstrip("/")
    entries = [vc.Revocation(f"urn:uuid:{cid}", WITHDRAWN_REASON)] if revoked else []
    return vc.revocation_list(issuer_url + status_path(cid), issuer_url, entries)


# -- rate limit of link look-ups -----------------------------------------------------------
