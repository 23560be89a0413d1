"""What a coach may see and do, decided in one place.

A coach sees a job seeker only through the job seeker's consent: a coach share
(``Share.recipient_kind == "coach"``) to this coach that is neither withdrawn nor expired,
of a finished result the job seeker owns, of an account not deleted. Every coach page goes
through :func:`coach_clients` (or :func:`reviews_visible_to`), so a client or a result
outside those shares is simply not found: the pages answer 404 for it, the same as for an
id that does not exist.

The job seeker's display name reaches a coach only where the job seeker ticked "show my
name" on every active share with that coach (``Share.show_contact``); every page, the CSV
and the review queue name the client through :class:`Client`, so none can show more.

Reviewers and admins see the whole review queue, but never who a job seeker is unless
that job seeker shared with them as their coach.

The reviews and the spoken answers are the scoring service's: they are read through the
port ``scoring`` (:class:`services.results.ports.ScoringRecords`) for the sessions decided
here, and a function that needs them raises ``ScoringUnavailable`` when it cannot answer.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select, update

from assessment.cefr import LEVELS
from item_bank.orm import utcnow
from services.common.accounts import Staff, StaffUser

from .orm import JobSeeker, OwnedResult, Share, ShareView
from .ports import ScoringRecords, ScoringUnavailable

log = logging.getLogger(__name__)

# the skills of a test result, in the order the job seeker's result page shows them
RESULT_SKILLS = ("reading", "listening", "vocabulary", "structure", "writing", "speaking")
# the spoken answers that give a level (services.testing speech_job.html shows the same)
SPEAKING_RECOGNISED = ("read_aloud", "speech")
ASSURANCES = ("unsupervised", "supervised")


def aware(t: datetime | None) -> datetime | None:
    """SQLite gives datetimes back without a time zone; they are stored in UTC."""
    return t.replace(tzinfo=timezone.utc) if t is not None and t.tzinfo is None else t


def level_text(estimate: dict | None) -> str:
    """A level as shown: "C1+" when the bank cannot measure above it (``at_least``)."""
    if not estimate or not estimate.get("cefr"):
        return ""
    return estimate["cefr"] + ("+" if estimate.get("at_least") else "")


@dataclass(frozen=True)
class SharedResult:
    """One result a job seeker shared with this coach, as the coach may see it."""

    share_id: str
    session_id: str
    finished_at: datetime
    bank_version: str
    overall: dict
    skills: dict[str, dict]
    assurance: str
    supervised_by: str | None
    identity_confirmed_at: datetime | None
    shared_until: datetime
    purpose: str
    cut_scores_version: str | None = None  # the CEFR cut scores the levels were made with

    @property
    def skills_in_order(self) -> list[str]:
        return [s for s in RESULT_SKILLS if s in self.skills] + \
            sorted(s for s in self.skills if s not in RESULT_SKILLS)


@dataclass
class Client:
    """A job seeker who shares at least one result with this coach."""

    id: str
    display_name: str | None
    results: list[SharedResult] = field(default_factory=list)  # oldest first

    @property
    def short_id(self) -> str:
        return self.id.replace("-", "")[:8]

    @property
    def latest(self) -> SharedResult:
        return self.results[-1]

    def level_of(self, skill: str | None) -> str | None:
        """The latest level overall (``skill`` None) or in one skill."""
        est = self.latest.overall if not skill else self.latest.skills.get(skill)
        return est.get("cefr") if est else None


class NotShared(LookupError):
    """Not covered by an active share to this coach (or not there at all): answer 404."""


class AlreadyDone(RuntimeError):
    """The action was already taken (e.g. the identity is already confirmed): 409."""

    def __init__(self, message: str, by: str | None = None):
        super().__init__(message)
        self.by = by


# -- clients -------------------------------------------------------------------------
def _active_coach_shares(coach_id: int, now: datetime):
    return (select(Share, OwnedResult, JobSeeker)
            .join(OwnedResult, (OwnedResult.session_id == Share.session_id)
                  & (OwnedResult.job_seeker_id == Share.job_seeker_id))
            .join(JobSeeker, JobSeeker.id == Share.job_seeker_id)
            .where(Share.recipient_kind == "coach", Share.coach_id == coach_id,
                   Share.revoked_at.is_(None), Share.expires_at > now,
                   JobSeeker.deleted_at.is_(None), OwnedResult.result.is_not(None)))


def coach_clients(db, coach_id: int, job_seeker_id: str | None = None,
                  scoring: ScoringRecords | None = None) -> list[Client]:
    """The clients who share results with this coach now, newest result first; with
    ``job_seeker_id``, that one client or an empty list. ``scoring``: where the spoken
    answers' levels come from (None: the results without a speaking level)."""
    now = utcnow()
    query = _active_coach_shares(coach_id, now)
    if job_seeker_id is not None:
        query = query.where(Share.job_seeker_id == job_seeker_id)
    with db.session() as s:
        rows = s.execute(query).all()
        supervisor_ids = {o.supervised_by for _sh, o, _j in rows if o.supervised_by}
        names = dict(s.execute(select(StaffUser.id, StaffUser.name)
                               .where(StaffUser.id.in_(supervisor_ids))).all()) if supervisor_ids else {}
    speaking = _speaking_by_session(scoring, {owned.session_id for _sh, owned, _j in rows})
    clients: dict[str, Client] = {}
    by_session: dict[tuple[str, str], SharedResult] = {}
    # consent to show the name: only while every active share with this coach gives it (the
    # job seeker's most careful choice wins); otherwise the coach sees "Client #1a2b3c4d"
    named = {}
    for share, _owned, seeker in rows:
        named[seeker.id] = named.get(seeker.id, True) and bool(share.show_contact)
    for share, owned, seeker in rows:
        client = clients.setdefault(seeker.id, Client(
            seeker.id, seeker.display_name if named[seeker.id] else None))
        sid = owned.session_id
        key = (seeker.id, sid)
        known = by_session.get(key)
        # the same result shared twice: the share that lasts longest stands for it
        if known is not None and aware(known.shared_until) >= aware(share.expires_at):
            continue
        result = owned.result or {}
        by_session[key] = SharedResult(
            share_id=share.id, session_id=sid,
            finished_at=aware(owned.finished_at) or aware(owned.started_at) or aware(owned.claimed_at),
            bank_version=result.get("bank_version") or owned.bank_version,
            overall=result.get("overall") or {},
            skills={**(result.get("skills") or {}),
                    **({"speaking": speaking[sid]} if sid in speaking else {})},
            assurance=owned.assurance or "unsupervised",
            supervised_by=names.get(owned.supervised_by),
            identity_confirmed_at=aware(owned.identity_confirmed_at),
            shared_until=aware(share.expires_at), purpose=share.purpose or "",
            cut_scores_version=result.get("cut_scores_version") or owned.cut_scores_version)
    for (seeker_id, _sid), shared in by_session.items():
        clients[seeker_id].results.append(shared)
    for client in clients.values():
        client.results.sort(key=lambda r: (r.finished_at, r.session_id))
    return sorted(clients.values(), key=lambda c: c.latest.finished_at, reverse=True)


def _field(job, name: str):
    """A job's field: the scoring service's job dicts, or anything with attributes."""
    return job.get(name) if isinstance(job, dict) else getattr(job, name)


def speaking_estimate(jobs: Iterable) -> dict | None:
    """The speaking level of one sitting from its spoken answers (``jobs`` in the order sent;
    the latest answer to each task counts, as on the job seeker's result page).

    Spoken answers are scored one by one and are not part of the test's estimate, so the
    speaking level is the lower of the levels given to the tasks (the more careful reading of
    two short answers), and its certainty the scorer's confidence in that answer: the
    probability it gives its level. A level a coach set on review has no machine certainty
    (``certainty`` None, ``reviewed`` True). None when no answer got a level."""
    latest: dict = {}
    for job in jobs:
        latest[_field(job, "item_id")] = job
    scored = []
    for job in latest.values():
        r = _field(job, "result") or {}
        if _field(job, "status") == "done" and r.get("cefr") in LEVELS and r.get("recognised_as") in SPEAKING_RECOGNISED:
            scored.append(r)
    if not scored:
        return None
    lowest = min(scored, key=lambda r: (LEVELS.index(r["cefr"]),
                                         -1 if r.get("reviewed") else r.get("confidence") or 0.0))
    reviewed = bool(lowest.get("reviewed"))
    certainty = None if reviewed or lowest.get("confidence") is None else round(float(lowest["confidence"]), 3)
    return {"cefr": lowest["cefr"], "certainty": certainty, "sem": None, "reviewed": reviewed,
            "n_items": len(scored)}


def _speaking_by_session(scoring: ScoringRecords | None, session_ids: set[str]) -> dict[str, dict]:
    """The speaking level of each session that has one. Without an answer from the scoring
    service the results show no speaking level (logged), and the rest of the page stands."""
    if not session_ids or scoring is None:
        return {}
    try:
        by_session = scoring.speech_jobs(session_ids)
    except ScoringUnavailable as err:
        log.warning("no speaking levels for the coach pages: %s", err)
        return {}
    out = {}
    for sid, session_jobs in by_session.items():
        estimate = speaking_estimate(session_jobs)
        if estimate is not None:
            out[sid] = estimate
    return out


def coach_client(db, coach_id: int, job_seeker_id: str,
                 scoring: ScoringRecords | None = None) -> Client:
    found = coach_clients(db, coach_id, job_seeker_id, scoring) if job_seeker_id else []
    if not found:
        raise NotShared(job_seeker_id)
    return found[0]


def filter_clients(clients: Iterable[Client], level: str | None = None, skill: str | None = None,
                   q: str | None = None, label=lambda c: c.display_name or "") -> list[Client]:
    """Clients whose latest level (in ``skill``, or overall) is ``level``, who have a
    level in ``skill``, and whose name or short id contains ``q`` (any case)."""
    q = (q or "").casefold().strip()
    out = []
    for c in clients:
        if skill and c.level_of(skill) is None:
            continue
        if level and c.level_of(skill) != level:
            continue
        if q and q not in label(c).casefold() and q not in c.short_id and q != c.id:
            continue
        out.append(c)
    return out


def record_views(db, share_ids: Iterable[str], viewer: str) -> None:
    """Every view of a shared result is logged for the job seeker to see: who and when."""
    ids = sorted(set(share_ids))
    if not ids:
        return
    with db.session() as s:
        s.add_all([ShareView(share_id=i, viewer=viewer) for i in ids])
        s.execute(update(Share).where(Share.id.in_(ids))
                  .values(view_count=Share.view_count + 1)
                  .execution_options(synchronize_session=False))


# -- the review queue --------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewView:
    """An uncertain score as a coach sees it, with the client when shared with them."""

    review: dict
    client_id: str | None = None
    client_name: str | None = None
    share_id: str | None = None

    @property
    def effective_cefr(self) -> str | None:
        """The level that counts: the reviewed one once there is one, else the machine's."""
        return self.review.get("reviewed_cefr") or self.review.get("machine_cefr")

    @property
    def has_audio(self) -> bool:
        return self.review.get("kind") == "speech" and bool((self.review.get("machine") or {}).get("job_id"))


def sees_whole_queue(staff: Staff) -> bool:
    return staff.has_any("reviewer", "admin")


def _shared_sessions(db, staff: Staff) -> dict[str, tuple[Client, SharedResult]]:
    if not staff.has("coach"):
        return {}
    return {r.session_id: (c, r) for c in coach_clients(db, staff.id) for r in c.results}


def reviews_visible_to(db, scoring: ScoringRecords, staff: Staff, status: str = "open",
                       session_ids: Iterable[str] | None = None,
                       label=lambda c: c.display_name, limit: int = 200) -> list[ReviewView]:
    """The uncertain scores this staff member may see: of sessions shared with them as a
    coach, or all of them for reviewers and admins; oldest first. ``session_ids`` narrows
    to those sessions (a client's page). Raises ``ScoringUnavailable``."""
    shared = _shared_sessions(db, staff)
    whole = sees_whole_queue(staff)
    status = status if status in ("open", "reviewed") else "all"
    if session_ids is not None:
        wanted: set[str] | None = set(session_ids)
        if not whole:
            wanted &= set(shared)
    else:
        wanted = None if whole else set(shared)
    out = scoring.reviews(wanted, status=status, limit=limit) if wanted is None or wanted else []
    views = []
    for review in out:
        client, result = shared.get(review["session_id"], (None, None))
        views.append(ReviewView(review, client.id if client else None,
                                label(client) if client else None,
                                result.share_id if result else None))
    return views


def review_visible_to(db, scoring: ScoringRecords, staff: Staff, review_id: int,
                      label=lambda c: c.display_name) -> ReviewView:
    """One review, if this staff member may see it (else ``NotShared``). Raises
    ``ScoringUnavailable``."""
    review = scoring.review(review_id)
    if review is None:
        raise NotShared(review_id)
    shared = _shared_sessions(db, staff)
    client, result = shared.get(review["session_id"], (None, None))
    if client is None and not sees_whole_queue(staff):
        raise NotShared(review_id)
    return ReviewView(review, client.id if client else None, label(client) if client else None,
                      result.share_id if result else None)


def review_audio(scoring: ScoringRecords, review: ReviewView) -> bytes | None:
    """The recording of a spoken answer under review (None: none kept). Raises
    ``ScoringUnavailable``."""
    if not review.has_audio:
        return None
    return scoring.review_audio(review.review["id"])


# -- CSV -------------------------------------------------------------------------------
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading
    apostrophe (OWASP's advice on CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def clients_csv(clients: list[Client], header: list[str], skills: list[str], label,
                assurance_name, delimiter: str = ",", decimal: str = ".") -> bytes:
    """One row per shared result: client, ids, date, assurance, overall and per-skill
    level with SEM. UTF-8 with a byte order mark, so that Excel reads the letters right;
    ``delimiter`` and ``decimal`` as the reader's spreadsheet expects them
    (services.common.spreadsheet.csv_separators)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow([csv_cell(h) for h in header])
    for c in clients:
        for r in reversed(c.results):  # newest first, like the pages
            row = [label(c), c.short_id, r.session_id, r.finished_at.date().isoformat(),
                   assurance_name(r.assurance), level_text(r.overall), _sem(r.overall, decimal),
                   _certainty(r.overall, decimal)]
            for skill in skills:
                est = r.skills.get(skill)
                row += [level_text(est), _sem(est, decimal), _certainty(est, decimal)]
            row += [r.bank_version, r.shared_until.date().isoformat()]
            writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _certainty(estimate: dict | None, decimal: str = ".") -> str:
    """The probability of the level, 0–1 with two decimals ("" when there is none)."""
    if not estimate or estimate.get("certainty") is None:
        return ""
    return f"{float(estimate['certainty']):.2f}".replace(".", decimal)


def _sem(estimate: dict | None, decimal: str = ".") -> str:
    if not estimate or estimate.get("sem") is None:
        return ""
    return f"{float(estimate['sem']):.2f}".replace(".", decimal)


__all__ = ["Client", "SharedResult", "ReviewView", "NotShared", "AlreadyDone", "coach_clients",
           "coach_client", "filter_clients", "record_views", "speaking_estimate",
           "reviews_visible_to", "review_visible_to", "review_audio", "clients_csv", "csv_cell",
           "level_text", "LEVELS", "RESULT_SKILLS", "ASSURANCES"]
