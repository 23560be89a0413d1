"""Deleting a job seeker's account so that nothing about her stays (GDPR art. 17).

:func:`erase_account` removes everything kept about the person beyond the account row
itself (which :func:`services.results.seekers.delete_account` empties to a tombstone without
email or name). The other services forget their part first, each through its own API (the
ports in ``services/results/ports.py``), and only then this service its own, in one
transaction, so that an erasure stopped by a service that did not answer is completed by
erasing again:

- her tests (the testing service): every answer in them and their bearer tokens (replaced,
  so that a copied token returns nothing; a test stays only as its anonymous levels, which a
  withdrawn credential stated); her written and spoken answers in the review queue; the recordings and their
  transcripts (scoring's speech jobs);
- supervised sittings of her tests, and the audit log's entries about them, about reviews of
  her answers and about her account (a coach's note, e.g. identity details, goes with them);
- her shares' views, the employer's name and email and the link's token hash (the share
  itself stays withdrawn, so that a credential an employer holds answers "revoked");
- her browser sessions (the caller ends them with ``revoke_sessions_of``).

The scoring service's rows (her answers in the review queue, her recordings and
transcripts) are erased first, through the port ``scoring``
(:class:`services.results.ports.ScoringRecords`), which makes that service's database
forget them; only when it has answered are this service's rows deleted. A scoring service
that does not answer stops the erasure before anything here is deleted
(``ScoringUnavailable``), so that the account, and with it the list of her tests, is still
there when she tries again; the erasure is idempotent.

Then the database is made to forget the bytes too: SQLite overwrites deleted rows with zeros
(``PRAGMA secure_delete``, set on every connection in services/common/db.py) and the WAL is
checkpointed and truncated; PostgreSQL rewrites the touched tables and their indexes
(``VACUUM FULL``), so that no dead tuple with her data stays in a table file. What remains
is outside the database's files: PostgreSQL's WAL segments until they are recycled, and
backups until they expire (README: security).
"""
from __future__ import annotations

import json
import logging

from sqlalchemy import delete, select, update

from . import seekers
from .orm import AuditEvent, OwnedResult, Share, ShareView, SupervisedSitting
from .ports import FinishedTests, ScoringRecords, ScoringUnavailable, finished_tests

log = logging.getLogger(__name__)

# the tables that held her data: rewritten on PostgreSQL after an erasure
TOUCHED = ("job_seekers", "job_seeker_identities", "owned_results", "shares", "share_views",
           "audit_events", "supervised_sittings")


def her_sessions(s, seeker_id: str) -> set[str]:
    owned = s.scalars(select(OwnedResult.session_id).where(OwnedResult.job_seeker_id == seeker_id))
    shared = s.scalars(select(Share.session_id).where(Share.job_seeker_id == seeker_id))
    return {*owned, *shared}


def erase_account(db, seeker_id: str, scoring: ScoringRecords,
                  tests: FinishedTests | None = None) -> dict:
    """Delete the account and everything about the person; returns what was deleted (counts).
    Raises ``ScoringUnavailable`` (nothing here deleted yet) when the scoring service cannot
    erase its part now."""
    with db.session() as s:
        sessions = her_sessions(s, seeker_id)
    # the other services' part first: if one does not answer, nothing of hers is gone here
    # yet and erasing again does it all (each part is idempotent)
    scoring_part = scoring.erase(sorted(sessions)) if sessions else {"erased": {}, "review_ids": []}
    counts = dict(scoring_part.get("erased") or {})   # reviews, recordings (scoring)
    counts |= (tests or finished_tests()).erase(sorted(sessions))   # answers, tokens (testing)
    seekers.delete_account(db, seeker_id)   # the account row emptied, identities, results
    with db.session() as s:
        ids = list(sessions)
        reviews = set(scoring_part.get("review_ids") or [])
        sittings = set(s.scalars(select(SupervisedSitting.id)
                                 .where(SupervisedSitting.session_id.in_(ids)))) if ids else set()
        targets = ({f"score_review:{r}" for r in reviews} | {f"sitting:{t}" for t in sittings}
                   | {f"job_seeker:{seeker_id}"} | {f"session:{x}" for x in ids}
                   | {f"result:{x}" for x in ids})
        doomed = set(s.scalars(select(AuditEvent.id).where(AuditEvent.target.in_(targets))))
        if ids:   # an entry that names one of her tests in its details (e.g. a review's)
            for event_id, detail, reason in s.execute(select(AuditEvent.id, AuditEvent.detail,
                                                             AuditEvent.reason)):
                blob = json.dumps(detail or {}) + (reason or "")
                if any(x in blob for x in ids):
                    doomed.add(event_id)
        counts["audit_events"] = len(doomed)
        if doomed:
            s.execute(delete(AuditEvent).where(AuditEvent.id.in_(doomed)))
        share_ids = list(s.scalars(select(Share.id).where(Share.job_seeker_id == seeker_id)))
        if share_ids:   # who looked; the links' token hashes (the shares stay, withdrawn and
            # emptied, so that a credential an employer holds still answers "revoked")
            counts["share_views"] = s.execute(delete(ShareView).where(ShareView.share_id.in_(share_ids))).rowcount
            s.execute(update(Share).where(Share.id.in_(share_ids)).values(token_hash=None))
        if ids:
            counts["supervised_sittings"] = s.execute(delete(SupervisedSitting).where(
                SupervisedSitting.session_id.in_(ids))).rowcount
        # the one line the audit keeps: that an account was deleted (no email, no name)
        s.add(AuditEvent(actor="job seeker", action="account_deleted", target=f"job_seeker:{seeker_id}",
                         detail={}))
    forget_bytes(db)
    log.info("erased job seeker %s: %s", seeker_id, counts)
    return counts


def forget_bytes(db) -> None:
    """Make the database files forget deleted rows (see the module docs)."""
    db.forget_deleted(TOUCHED)


__all__ = ["erase_account", "forget_bytes", "her_sessions"]


def kept_about(db, seeker_id: str, scoring: ScoringRecords,
               tests: FinishedTests | None = None) -> dict:
    """For the data export: what :func:`erase_account` would delete beyond the account and its
    results, i.e. her answers, recordings (base64 WAV), transcripts, reviews of her answers and
    the notes about her in the audit log. The recordings, transcripts and reviews are the
    scoring service's: when it does not answer they are None, and ``missing`` says so."""
    from flask_babel import gettext as _

    from .seekers import _iso

    with db.session() as s:
        ids = sorted(her_sessions(s, seeker_id))
    if not ids:
        return {"answers": [], "spoken_answers": [], "reviews": [], "notes": []}
    missing = {}
    try:
        scored = scoring.export(ids)
    except ScoringUnavailable as err:
        log.warning("export of job seeker %s without the scoring service's part: %s", seeker_id, err)
        scored = {"spoken_answers": None, "reviews": None, "review_ids": []}
        why = _("Missing from this file: the scoring service, which keeps your spoken answers, "
                "their recordings and transcripts, and the coaches' reviews of your answers, did "
                "not answer. Download your data again in a while.")
        missing = {"spoken_answers": why, "reviews": why}
    answers = (tests or finished_tests()).answers(ids)   # the testing service's part
    with db.session() as s:
        sittings = {t.id for t in s.scalars(select(SupervisedSitting).where(
            SupervisedSitting.session_id.in_(ids)))}
        targets = ({f"score_review:{r}" for r in scored.get("review_ids") or []}
                   | {f"sitting:{t}" for t in sittings}
                   | {f"job_seeker:{seeker_id}"})
        notes = []
        for e in s.scalars(select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)):
            blob = json.dumps(e.detail or {}) + (e.reason or "")
            if e.target in targets or any(x in blob for x in ids):
                notes.append({"at": _iso(e.at), "by": e.actor, "action": e.action,
                              "detail": e.detail, "note": e.reason})
    out = {"answers": answers, "spoken_answers": scored.get("spoken_answers"),
           "reviews": scored.get("reviews"), "notes": notes}
    return {**out, "missing": missing} if missing else out
