"""The testing service layer: what the API and the pages both call.

State lives in the database only, so any worker can serve any request and a session
survives a restart. The stored answers are the record; the adaptive engine's state after
them is kept with the session too (``test_sessions.engine_state``), so a request takes it
up and replays only the answers it does not cover (one, in an answer's request) instead
of every answer. A session without it, or with a stale one (another bank, answers it does
not know of), is replayed from its answers: :meth:`TestingService._engine`.

An answer's request also chooses and serves the next item and keeps GET /next's answer
with the session (``test_sessions.next_response``), so GET /next reads one row: the lean
path is one SELECT for GET /next and GET /result (no commit), and four statements for an
answer, a written one included (SELECT the session with its items, UPDATE the answer,
INSERT the next item, UPDATE the session's state and GET /next's answer) with one commit.

Its parts live beside it: the live bank (``bank.py``), the estimate replayed from stored
answers (``estimates.py``), yes/no blocks answered in one request (``blocks.py``), written
answers waiting for the scoring service (``pending.py``) and the optional speaking part
(``speaking.py``); :class:`TestingService` takes the last three in as mixins.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from assessment.cefr import LEVELS, CutScores
from assessment.engine import AdaptiveTest, Prior
from assessment.selection import Blueprint, Randomesque, restricted_eligibility
from item_bank.assembly import is_block_id, is_unit_id
from item_bank.cut_scores import CutScoreCache
from item_bank.model import SKILLS, Item
from item_bank.repository import ItemRepository
from item_bank.orm import utcnow
from scoring.objective import AnswerError, score as score_answer
from services.common.i18n import LEARNER_LANGUAGES
from services.common.config import Config
from services.common.db import Database, loads
from services.common.errors import APIError

from .bank import BankCache, LoadedBank
from .blocks import Blocks
from .estimates import _capped, _pool_item, _scored, _unscored
from .orm import SessionItem, TestSession
from .pending import ResultWaiting, WrittenAnswers
from .ports import Scorer, Sittings, SpeechScoring, scorer_for, sittings_for, speech_scoring_for
from .speaking import SpeakingPart

UI_LANGUAGES = LEARNER_LANGUAGES  # services/translations/languages.json


# the session path's statements, built once (each request only binds its values)
_WITH_ITEMS = (select(TestSession).where(TestSession.id == bindparam("session_id"))
               .options(joinedload(TestSession.items)))
_WITH_ITEMS_NO_STATE = _WITH_ITEMS.options(defer(TestSession.engine_state))
_STORE_ANSWER = (update(SessionItem.__table__)
                 .where(SessionItem.__table__.c.session_id == bindparam("b_session"),
                        SessionItem.__table__.c.item_id == bindparam("b_item"),
                        SessionItem.__table__.c.answer.is_(None))
                 .values(answer=bindparam("b_answer"), score=bindparam("b_score"),
                         answered_at=bindparam("b_at")))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenSigner:
    """A session's bearer token is 32 random bytes and a signature of them with the session's
    id (HMAC-SHA256 under a key derived from the service's secret key), so that the service
    can tell a token it gave for a session without reading the database: a written answer's
    text goes to the scoring service only with such a token (its transaction then checks
    the stored hash as every request does). A token without a valid signature (an older
    one, or one from before the secret key changed) is checked in the database instead."""

    def __init__(self, secret_key: str):
        self._key = hmac.new(secret_key.encode(), b"taitotaso session token", "sha256").digest()

    def _mac(self, session_id: str, nonce: str) -> str:
        mac = hmac.new(self._key, f"{session_id}.{nonce}".encode(), "sha256").digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def new(self, session_id: str) -> str:
        nonce = secrets.token_urlsafe(32)
        return f"{nonce}.{self._mac(session_id, nonce)}"

    def signed(self, session_id: str, token: str | None) -> bool:
        """Whether ``token`` was given by this service for ``session_id``."""
        nonce, dot, mac = (token or "").rpartition(".")
        return bool(dot and nonce) and hmac.compare_digest(mac, self._mac(session_id, nonce))


class TestingService(Blocks, WrittenAnswers, SpeakingPart):
    def __init__(self, db: Database, config: Config, exposure, queue,
                 cuts: CutScores | None = None, blueprint: Blueprint | None = None,
                 scorer: Scorer | None = None, speech: SpeechScoring | None = None,
                 sittings: Sittings | None = None):
        self.db = db
        self.config = config
        self.blueprint = blueprint or Blueprint.load()
        self.bank = BankCache(db, config.bank_check_seconds, self.blueprint)
        self.exposure = exposure
        self.queue = queue
        # the newest published cut scores (item_bank.cut_scores), else the shipped file;
        # each session keeps the version it started with
        self.cut_scores = CutScoreCache(db, config.bank_check_seconds, cuts or CutScores.load())
        # written answers are scored by the scoring service (services/testing/ports.py)
        self.scorer = scorer if scorer is not None else scorer_for(config, db)
        # spoken answers are kept and scored by the scoring service too (its speech jobs)
        self.speech = speech if speech is not None else speech_scoring_for(config, db, queue=queue)
        # a supervised test starts with a coach's sitting code, which the results service checks
        self.sittings = sittings if sittings is not None else sittings_for(config, db)
        self.tokens = TokenSigner(config.secret_key)
        self._analyzer = None
        self._preferred_cache = None   # (bank version, when read, preferred items)
        # the production rule (assessment/data/stopping.json) with the configuration's changes
        self.stopping = config.stopping_rule()
        # uploads of one session are taken one at a time (striped by session id): with the
        # row lock on PostgreSQL this keeps one recording per task (SQLite has no row locks)
        self._upload_locks = tuple(threading.Lock() for _ in range(32))

    @property
    def analyzer(self):
        """Voikko, for the partial credit of cloze answers (loaded on first use)."""
        if self._analyzer is None:
            from scoring.adapters.voikko import VoikkoAnalyzer

            self._analyzer = VoikkoAnalyzer()
        return self._analyzer

    @analyzer.setter
    def analyzer(self, value) -> None:
        self._analyzer = value

    @property
    def cuts(self) -> CutScores:
        """The cut scores a test started now uses."""
        return self.cut_scores.current()

    # -- sessions ----------------------------------------------------------------------
    def start(self, ui_language: str, self_assessment: dict[str, str] | None,
              sitting_code: str | None = None) -> tuple[str, str]:
        """A new test session: its id and bearer token. With ``sitting_code`` (a coach's
        one-time code) the results service binds its sitting to the new session first, so
        that a refused code (``SittingRefused``) or a results service that does not answer
        (``SittingsUnavailable``) starts no test."""
        if ui_language not in UI_LANGUAGES:
            raise APIError(422, f"ui_language must be one of {', '.join(UI_LANGUAGES)}")
        self_assessment = {k: v for k, v in (self_assessment or {}).items() if v}
        bad = {k: v for k, v in self_assessment.items() if v not in LEVELS}
        if bad:
            raise APIError(422, "self_assessment levels must be CEFR levels A1–C2",
                           {"self_assessment": {k: f"{v!r} is not a CEFR level" for k, v in bad.items()}})
        unknown = sorted(set(self_assessment) - set(SKILLS))
        if unknown:
            raise APIError(422, f"self_assessment names unknown skills: {unknown}",
                           {"self_assessment": {k: "unknown skill" for k in unknown}})
        bank = self.bank.get()
        # a skill the bank has no items for (now) cannot use a prior: its self-assessment is moot
        self_assessment = {k: v for k, v in self_assessment.items() if k in bank.pool.skills}
        session_id = str(uuid.uuid4())
        token = self.tokens.new(session_id)
        if sitting_code:
            self.sittings.claim(sitting_code, session_id)
        # counted before the first item is chosen, as every later choice sees it
        self.exposure.test_started(bank.version)
        with self.db.session() as s:
            sess = TestSession(id=session_id, token_hash=hash_token(token), ui_language=ui_language,
                               self_assessment=self_assessment, bank_version=bank.version,
                               cut_scores_version=self.cuts.version)
            s.add(sess)
            # the first item is served now, so that GET /next only reads
            served, item = self._serve(s, sess, bank, [], self._engine(sess, bank, []))
        self._served_or_finished(session_id, bank, served, item is None)
        return session_id, token

    def _load(self, s, session_id: str, token: str | None, items: bool = False,
              state: bool = True) -> TestSession:
        """The session, if ``token`` is its bearer token; one answer for unknown ids and
        wrong tokens, so that ids cannot be probed. ``items``: with its items, in the same
        statement (one consistent view of the session and its answers); ``state``: with the
        kept engine state (else it is not sent: it would come again with every item row)."""
        if not token:
            raise APIError(401, "Send the session's token as 'Authorization: Bearer <token>'.")
        if items:
            query = _WITH_ITEMS if state else _WITH_ITEMS_NO_STATE
            sess = s.execute(query, {"session_id": session_id}).unique().scalar_one_or_none()
        else:
            sess = s.get(TestSession, session_id)
        self._check_token(sess.token_hash if sess is not None else None, token)
        return sess

    @staticmethod
    def _check_token(token_hash: str | None, token: str | None) -> None:
        """401 without a token; one 404 for unknown ids and wrong tokens alike, so that ids
        cannot be probed (``token_hash``: the session's, None when there is no session)."""
        if not token:
            raise APIError(401, "Send the session's token as 'Authorization: Bearer <token>'.")
        if token_hash is None or not hmac.compare_digest(token_hash, hash_token(token)):
            raise APIError(404, "No test session with this id belongs to this token.")

    def _engine(self, sess: TestSession, bank: LoadedBank, rows: list[SessionItem],
                use_kept: bool = True) -> AdaptiveTest:
        """The engine after the session's answers (``rows``: all its items, in serving
        order): the kept state with the answers it does not cover replayed onto it, or
        (none usable, or ``use_kept`` false: the reference path) every answer replayed.
        Both give the same engine (tests/unit/test_engine.py and
        tests/integration/test_session_path.py show it). Exposure counts are not read here
        but by :meth:`_serve`, once, when an item is chosen."""
        cuts = self.cut_scores.get(sess.cut_scores_version)
        prior = Prior.from_self_assessment(sess.self_assessment, cuts)
        rng = np.random.default_rng([uuid.UUID(sess.id).int & (2**63 - 1), len(rows)])
        engine = AdaptiveTest(bank.pool, cuts=cuts, stopping=self.stopping,
                              selector=Randomesque(self.config.randomesque_k),
                              blueprint=self.blueprint, prior=prior, rng=rng)
        answered = _scored(rows)  # by seq
        covered, kept = self._covered(sess, bank, answered) if use_kept else (0, None)
        if covered:
            engine.restore(kept["engine"])
        engine.replay([(_pool_item(r), int(r.score)) for r in answered[covered:]])
        engine.set_aside(r.item_id for r in _unscored(rows) if not r.pretest)
        return engine

    def _preferred(self, bank: LoadedBank):
        """Exposure control's preferred items (None: no counts), blocks included: read when
        an item is chosen, from counts at most ``exposure_refresh_seconds`` old (one read of
        all counts a second per worker, not one per answer; the rates they bound move over
        hundreds of tests, not within a second). A failed read is tried again next time."""
        now = time.monotonic()
        cached = self._preferred_cache
        if cached is not None and cached[0] == bank.version \
                and now - cached[1] < self.config.exposure_refresh_seconds:
            return cached[2]
        counts = self.exposure.counts(bank.version, bank.pool.ids)
        if counts is None:
            return None
        preferred = bank.pool.with_blocks(
            restricted_eligibility(counts[0], counts[1], self.config.max_exposure_rate))
        preferred.flags.writeable = False   # shared by the requests of this worker
        self._preferred_cache = (bank.version, now, preferred)
        return preferred

    def _pool_key(self, bank: LoadedBank) -> str:
        """What a kept engine state's item indices refer to: the bank's pool."""
        return f"{bank.version}/{bank.pool.size}/{self.blueprint.version}"

    def _covered(self, sess: TestSession, bank: LoadedBank,
                 answered: list[SessionItem]) -> tuple[int, dict | None]:
        """How many of ``answered`` (the session's operational answers in serving order) the
        kept engine state covers, and the state; (0, None) when there is none or it cannot
        be used.

        A state is kept only as the replay of the first ``n`` answers in serving order, in
        the transaction that stores the last of them, so the answers it covers are stored
        answers. If it names ``n`` and the serving position of the last one, and the n-th
        stored answer has that position, it covers exactly the first ``n``: any answer
        stored since (another request's, or one given out of order) makes it stale."""
        kept = loads(sess.engine_state) if sess.engine_state else None
        if not kept or kept.get("pool") != self._pool_key(bank):
            return 0, None
        n = int(kept.get("answered", 0))
        if n <= 0 or n > len(answered) or answered[n - 1].seq != kept.get("last_seq"):
            return 0, None
        return n, kept

    def _keep(self, sess: TestSession, bank: LoadedBank, engine: AdaptiveTest,
              answered: list[SessionItem]) -> None:
        """Keep the engine's state after ``answered`` with the session (before selection)."""
        kept = {"pool": self._pool_key(bank), "answered": len(answered),
                "last_seq": answered[-1].seq if answered else None, "engine": engine.state()}
        sess.engine_state = json.dumps(kept, separators=(",", ":"))

    def _serve(self, s, sess: TestSession, bank: LoadedBank, rows: list[SessionItem],
               engine: AdaptiveTest) -> tuple[list[SessionItem], Item | None]:
        """Choose what comes next when nothing served is waiting for an answer: the next
        item of the test (a block of yes/no words whole), a pretest item, or the end
        (then the session is finished here). Adds the served rows and flushes them: an
        IntegrityError means another request served an item at the same time."""
        if engine.is_finished():
            item_id, pretest = None, None
        else:
            pretest = self._pretest_item(sess, bank, rows, engine)
            if pretest is None:
                engine.prefer(self._preferred(bank), blocks_included=True)
            item_id = pretest.id if pretest else engine.next_item()
        if item_id is None:
            self._finish(sess, engine)
            self._remember_next(sess, self._done(rows))
            return [], None
        item = pretest or bank.items[item_id]
        # a block of yes/no words is served whole (one page, one request); a text's
        # questions come one at a time
        together = [item] + ([bank.items[bank.pool.ids[j]] for j in engine.queue]
                             if pretest is None and is_block_id(item.testlet) else [])
        served = [SessionItem(session_id=sess.id, item_id=it.id, item_version=it.version,
                              seq=len(rows) + n, skill=it.skill, irt=it.irt.as_dict(),
                              testlet_id=it.testlet, pretest=pretest is not None)
                  for n, it in enumerate(together)]
        s.add_all(served)
        sess.updated_at = utcnow()
        self._remember_next(sess, self._served(item, rows + served))
        s.flush()
        return served, item

    @staticmethod
    def _remember_next(sess: TestSession, answer: dict | None) -> None:
        """Keep GET /next's ``answer`` with the session, written with the rows it describes
        (None: GET /next answers from the rows). Whatever serves an item, answers one or
        finishes the test calls this in the same transaction."""
        sess.next_response = None if answer is None else json.dumps(answer, separators=(",", ":"))

    def _item(self, bank: LoadedBank, s, item_id: str, version: int) -> Item:
        item = bank.items.get(item_id)
        if item is not None and item.version == version:
            return item
        stored = ItemRepository(s).get(item_id, version)
        if stored is None:  # pragma: no cover - items are never deleted
            raise APIError(410, f"Item {item_id} version {version} no longer exists.")
        return stored

    def _progress(self, rows: list[SessionItem]) -> dict:
        """Answers so far against the test's length, both in scored units: the items of a
        block (yes/no words) or of a text scored together count as one, once all of them
        are answered."""
        pool = self.bank.get().pool
        answered = 0
        block_answers: dict[str, int] = {}
        for r in rows:
            if r.answer is None:
                continue
            if is_unit_id(r.testlet_id) and not r.pretest:
                block_answers[r.testlet_id] = block_answers.get(r.testlet_id, 0) + 1
            else:
                answered += 1
        for block_id, n in block_answers.items():
            u = pool.blocks.get(block_id)
            answered += u is None or n >= len(pool.members[u])
        extra = min(self.config.pretest_items, len(self.bank.get().pretest))
        return {"answered": answered, "min_items": self.stopping.min_items + extra,
                "max_items": self.stopping.max_items + extra}

    def _pretest_item(self, sess: TestSession, bank: LoadedBank, rows: list[SessionItem],
                      engine: AdaptiveTest) -> Item | None:
        """A reviewed item to give unscored now, or None. Pretest items come after every
        fifth operational answer (from the fourth on), never inside a reading text's
        questions, and never more than ``pretest_items`` a test."""
        given = sum(r.pretest for r in rows)
        operational = sum(not r.pretest and r.answer is not None for r in rows)
        if (given >= self.config.pretest_items or not bank.pretest or engine.queue
                or operational < 4 + 5 * given):
            return None
        used = {r.item_id for r in rows}
        candidates = [i for i in bank.pretest if i.id not in used]
        if not candidates:
            return None
        rng = np.random.default_rng([uuid.UUID(sess.id).int & (2**63 - 1), len(rows), 7])
        return candidates[int(rng.integers(len(candidates)))]

    def next(self, session_id: str, token: str | None) -> dict:
        """The item waiting for an answer (served by the answer before it, or by start):
        one SELECT of one row (the answer kept with the session by the request that served
        it), no commit. A session without a kept answer (from before migration 0017, or
        after two requests clashed) is answered from its rows, and only when nothing is
        waiting is the next item chosen here."""
        with self.db.read() as s:
            kept = s.execute(select(TestSession.token_hash, TestSession.next_response)
                             .where(TestSession.id == session_id)).one_or_none()
            self._check_token(kept.token_hash if kept is not None else None, token)
            if kept.next_response:   # kept by the request that served it: one row read
                return loads(kept.next_response)
            bank = self.bank.get()
            sess = self._load(s, session_id, token, items=True, state=False)
            waiting = self._waiting(s, sess, bank)
            if waiting is not None:
                return waiting
        for _attempt in range(3):
            with self.db.session() as s:
                sess = self._load(s, session_id, token, items=True)
                waiting = self._waiting(s, sess, bank)
                if waiting is not None:
                    return waiting
                rows = list(sess.items)
                engine = self._engine(sess, bank, rows)
                try:
                    served, item = self._serve(s, sess, bank, rows, engine)
                except IntegrityError:  # another request served an item at the same time
                    s.rollback()
                    continue
            if item is None:
                self._after_finish(session_id, waiting=sess.status == "scoring")
                return self._done(rows)
            for row in served:
                self.exposure.item_served(bank.version, row.item_id)
            return self._served(item, rows + served)
        raise APIError(409, "This session is being changed by another request; try again.")

    def _waiting(self, s, sess: TestSession, bank) -> dict | None:
        """GET /next's answer when nothing needs choosing: the test is over, or an item
        served earlier still waits for its answer; None otherwise."""
        if sess.status == "finished":
            return self._done(sess.items)
        rows = list(sess.items)
        pending = next((r for r in rows if r.answer is None), None)
        if pending is None:
            return None
        return self._served(self._item(bank, s, pending.item_id, pending.item_version), rows)

    def _done(self, rows: list[SessionItem]) -> dict:
        """GET /next's answer once the test is over."""
        return {"done": True, "progress": self._progress(rows)}

    def _served(self, item: Item, rows: list[SessionItem]) -> dict:
        out = {"done": False, "item": self._public(item), "progress": self._progress(rows)}
        if is_block_id(item.testlet):
            out["block"] = self._open_block(item.testlet, rows)
        elif item.testlet:
            # the text's questions in the order this test served them (the engine picks them
            # adaptively, so the bank's order says nothing about which one comes first)
            served = [r.item_id for r in sorted(rows, key=lambda r: r.seq)
                      if r.testlet_id == item.testlet]
            if item.id in served:
                position = out["item"]["testlet_position"]
                position["index"] = served.index(item.id) + 1
                position["of"] = max(position["of"], len(served))
        return out

    def _public(self, item: Item) -> dict:
        public = item.public()
        if item.testlet:
            public["testlet_position"] = {
                "index": item.position + 1,
                "of": self.bank.get().testlet_sizes.get(item.testlet, 0)}
        return public

    def answer(self, session_id: str, token: str | None, item_id: str, answer) -> dict:
        """Record the answer to the item served and, when nothing else served waits for an
        answer, choose and serve the next item (or finish the test) in the same request."""
        bank = self.bank.get()
        written = self._written_first(session_id, token, bank.items.get(item_id), answer)
        for serve in (True, False):  # without serving the next item after a clash
            try:
                return self._answer(session_id, token, item_id, answer, bank, serve, written)
            except IntegrityError:
                if not serve:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(self, session_id: str, token: str | None, item_id: str, answer,
                bank: LoadedBank, serve: bool, written=None) -> dict:
        with self.db.session() as s:
            sess = self._load(s, session_id, token, items=True)
            if sess.status != "active":
                raise APIError(409, "This test is already finished; its result is ready.")
            rows = list(sess.items)
            row = next((r for r in rows if r.item_id == item_id), None)
            if row is None:
                raise APIError(409, f"Item {item_id} was not served in this session: "
                                    "answer the item that GET /next returns.")
            if row.answer is not None:
                raise APIError(409, f"Item {item_id} has already been answered; an answer "
                                    "cannot be changed.")
            if isinstance(answer, str) and not answer.strip():
                raise APIError(422, "The answer is empty or only spaces: write an answer and "
                                    "send it again.", {"answer": "empty"})
            item = self._item(bank, s, row.item_id, row.item_version)
            if written is not None and written[0] is item:
                points, answer = written[1], written[2]
            elif item.kind == "writing_task":
                points, answer = self._score_writing(item, answer, session_id)
            else:
                try:
                    points = score_answer(item, answer, self.analyzer)
                except AnswerError as err:
                    raise APIError(422, str(err), {"answer": str(err)}) from None
            if not self._store_answers(s, {item_id: row}, {item_id: (answer, points)}):
                raise APIError(409, f"Item {item_id} has already been answered.")
            finished, served = self._after_answers(s, sess, bank, rows, serve)
            outcome = {"accepted": True, "done": finished, "progress": self._progress(rows)}
            if points is None:
                outcome["scoring"] = "waiting"   # stored; scored when the scoring service is back
            waiting = sess.status == "scoring"
        self._served_or_finished(session_id, bank, served, finished, waiting)
        return outcome

    def _store_answers(self, s, rows: dict[str, SessionItem],
                       answers: dict[str, tuple[object, float]]) -> bool:
        """Store ``answers`` (item id -> (answer, score)) in one statement, each only if its
        item has no answer yet, and mark them on ``rows``. False when another request
        answered one of them first (the caller rolls back: nothing is kept)."""
        now = utcnow()
        params = [{"b_session": rows[k].session_id, "b_item": k, "b_answer": a, "b_score": p,
                   "b_at": now} for k, (a, p) in answers.items()]
        done = s.execute(_STORE_ANSWER, params if len(params) > 1 else params[0])
        if done.rowcount != len(params):
            return False
        for k, (a, p) in answers.items():  # as stored, without reading them back
            set_committed_value(rows[k], "answer", a)
            set_committed_value(rows[k], "score", p)
            set_committed_value(rows[k], "answered_at", now)
        return True

    def _after_answers(self, s, sess: TestSession, bank: LoadedBank, rows: list[SessionItem],
                       serve: bool) -> tuple[bool, list[SessionItem]]:
        """After answers are stored: the engine (the kept state and the new answers), its
        state kept, then the test finished or, when nothing served waits for an answer,
        the next item served. Returns (finished, rows served)."""
        engine = self._engine(sess, bank, rows)
        self._keep(sess, bank, engine, _scored(rows))
        if engine.is_finished():
            self._finish(sess, engine)
            self._remember_next(sess, self._done(rows))
            return True, []
        waiting = self._waiting(s, sess, bank)
        if waiting is not None:   # e.g. the rest of a block answered word by word
            self._remember_next(sess, waiting)
            return False, []
        if not serve:   # after a clash: the next GET /next serves
            self._remember_next(sess, None)
            return False, []
        served, item = self._serve(s, sess, bank, rows, engine)
        return item is None, served

    def _served_or_finished(self, session_id: str, bank: LoadedBank,
                            served: list[SessionItem], finished: bool, waiting: bool = False) -> None:
        """What follows a committed answer: exposure counts of what it served, or the work
        that follows a finished test (``waiting``: its written answers wait for scores)."""
        for row in served:
            self.exposure.item_served(bank.version, row.item_id)
        if finished:
            self._after_finish(session_id, waiting)

    def _finish(self, sess: TestSession, engine: AdaptiveTest) -> None:
        if _unscored(sess.items):
            # over for the learner; the result waits for the written answers' scores
            sess.status, sess.stop_reason = "scoring", engine.stop_reason
            return
        res = engine.result()
        ceiling = self.bank.get().ceiling
        sess.result = {
            "overall": _capped(res["overall"].as_dict(), ceiling),
            "skills": {k: _capped(v.as_dict(), ceiling) for k, v in res["skills"].items()},
            "n_items": res["n_items"],
            "stop_reason": engine.stop_reason,
            "bank_version": sess.bank_version,
            "cut_scores_version": engine.cuts.version,
        }
        sess.status = "finished"
        sess.engine_state = None  # the result is kept; a later change replays the answers
        sess.stop_reason = engine.stop_reason
        sess.finished_at = utcnow()

    def _after_finish(self, session_id: str, waiting: bool = False) -> None:
        """Work that follows a finished test, queued once the finish is committed: its item
        statistics, or (``waiting``: written answers wait for the scoring service) their
        scoring, which makes the result and then queues the statistics."""
        if waiting:
            self.queue.enqueue("services.testing.jobs.score_pending_writing", session_id)
        else:
            self.queue.enqueue("services.testing.jobs.record_item_statistics", session_id)

    def asset(self, sha256: str) -> tuple[str, bytes]:
        with self.db.session() as s:
            found = ItemRepository(s).asset(sha256)
            if found is None:
                raise APIError(404, "No such audio or image.")
            return found.media_type, found.data

    def status(self, session_id: str, token: str | None) -> dict:
        """The session's state, for its bearer only (one SELECT, no commit)."""
        with self.db.read() as s:
            sess = self._load(s, session_id, token)
            return {"id": sess.id, "status": sess.status, "ui_language": sess.ui_language}

    def result(self, session_id: str, token: str | None) -> dict:
        """The result of a finished test. While written answers wait for the scoring
        service, asking for it tries to score them (the scoring service may be back) and
        raises :class:`ResultWaiting` if some still wait."""
        with self.db.read() as s:
            sess = self._load(s, session_id, token)
            if sess.status != "scoring":
                return self._result_of(sess)
        left = self.score_pending(session_id)
        if left:
            raise ResultWaiting(left)
        with self.db.read() as s:
            return self._result_of(self._load(s, session_id, token))

    @staticmethod
    def _result_of(sess: TestSession) -> dict:
        if sess.status == "scoring":
            raise ResultWaiting(len(_unscored(sess.items)))
        if sess.status != "finished":
            answered = sum(r.answer is not None for r in sess.items)
            raise APIError(409, f"The test is not finished yet ({answered} answered): "
                                "answer the items from GET /next until it says done.")
        return {"id": sess.id, "ui_language": sess.ui_language,
                "started_at": sess.created_at.isoformat() if sess.created_at else None,
                "finished_at": sess.finished_at.isoformat() if sess.finished_at else None,
                # a reviewed result has its own (estimates.apply_reviewed_level)
                "result_changed_at": sess.finished_at.isoformat() if sess.finished_at else None,
                **sess.result}
