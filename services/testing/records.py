"""What the other services ask of the tests the testing service keeps (``test_sessions``,
``session_items``), answered here by their owner: in the same process through
``services.adapters.testing``, or over HTTP through the service-only API
(``services/testing/service_api.py``).

- :func:`finished_test`: a finished test's result, for the holder of its bearer token (the
  results service keeps it in a job seeker's account);
- :func:`erase_tests`: a job seeker's tests forgotten (GDPR art. 17), keeping only their
  anonymous levels, which a withdrawn credential stated;
- :func:`answers_of`: her answers, for her data export.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone

from sqlalchemy import delete, select, update

from .orm import SessionItem, TestSession

# the tables an erasure touches: rewritten on PostgreSQL afterwards, so that no dead tuple
# keeps what was deleted
ERASED_TABLES = ("test_sessions", "session_items")


def _iso(moment: datetime | None, timespec: str = "seconds") -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:   # SQLite gives back naive UTC times
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec=timespec)


# what of a result another service keeps (the result API's fields: services/testing/schemas.py)
RESULT_KEYS = ("overall", "skills", "n_items", "stop_reason", "bank_version", "cut_scores_version")


def result_of(sess: TestSession) -> dict:
    """The result as the other services keep it: the levels (``result``), when the test was
    taken and finished, when its result last changed (``result_changed_at``: a coach's
    review re-estimated it; until then when it finished), with which bank and cut scores,
    in which language."""
    res = sess.result or {}
    return {"session_id": sess.id, "ui_language": sess.ui_language,
            # to the microsecond, as the result API gives them: results are ordered by them
            "started_at": _iso(sess.created_at, "auto"), "finished_at": _iso(sess.finished_at, "auto"),
            "result_changed_at": res.get("result_changed_at") or _iso(sess.finished_at, "auto"),
            "bank_version": res.get("bank_version") or sess.bank_version,
            "cut_scores_version": res.get("cut_scores_version") or sess.cut_scores_version,
            "result": {k: res[k] for k in RESULT_KEYS if k in res}}


def finished_test(db, session_id: str, token: str) -> dict | None:
    """:func:`result_of` the finished test ``session_id`` if ``token`` is its bearer token;
    None for an unknown id, a wrong token, or a test not finished (or waiting for the
    scoring service): the same None for all, so that ids cannot be probed."""
    if not isinstance(token, str) or not token or not isinstance(session_id, str):
        return None
    with db.read() as s:
        sess = s.get(TestSession, session_id)
        if sess is None or not hmac.compare_digest(sess.token_hash,
                                                   hashlib.sha256(token.encode()).hexdigest()):
            return None
        if sess.status != "finished" or not sess.result:
            return None
        return result_of(sess)


def erase_tests(db, session_ids: list[str]) -> dict:
    """Forget the tests ``session_ids``: every answer in them is deleted, their bearer token
    replaced by one nobody has (a copied token returns nothing) and their self-assessment
    emptied; a test stays only as its anonymous levels. Idempotent. Returns counts."""
    ids = sorted(set(session_ids))
    if not ids:
        return {"session_items": 0, "test_sessions": 0}
    with db.session() as s:
        items = s.execute(delete(SessionItem).where(SessionItem.session_id.in_(ids))).rowcount
        known = list(s.scalars(select(TestSession.id).where(TestSession.id.in_(ids))))
        for sid in known:
            s.execute(update(TestSession).where(TestSession.id == sid).values(
                token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                self_assessment={}))
    db.forget_deleted(ERASED_TABLES)
    return {"session_items": items, "test_sessions": len(known)}


def answers_of(db, session_ids: list[str]) -> list[dict]:
    """The answers given in the tests ``session_ids`` (for a job seeker's data export)."""
    ids = sorted(set(session_ids))
    if not ids:
        return []
    with db.read() as s:
        items = s.scalars(select(SessionItem).where(SessionItem.session_id.in_(ids))
                          .order_by(SessionItem.session_id, SessionItem.seq)).all()
        return [{"test": i.session_id, "item_id": i.item_id, "skill": i.skill,
                 "answer": i.answer, "score": i.score, "answered_at": _iso(i.answered_at)}
                for i in items if i.answer is not None]
