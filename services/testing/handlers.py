"""The testing service layer: what the API and the pages both call.

State lives in the database only, so any worker can serve any request and a session
survives a restart. The stored answers are the record; the adaptive engine's state after
them is kept with the session too (``test_sessions.engine_state``), so a request takes it
up and replays only the answers it does not cover (one, in an answer's request) instead
of every answer. A session without it, or with a stale one (another bank, answers it does
not know of), is replayed from its answers: :meth:`TestingService._engine`.

An answer's request also chooses and serves the next item, so GET /next only reads: the
lean path is one SELECT for GET /next and GET /result (no commit), and four statements
for an answer (SELECT the session with its items, UPDATE the answer, INSERT the next
item, UPDATE the session's state) with one commit.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from assessment.cefr import LEVELS, CutScores
from assessment.engine import AdaptiveTest, Prior
from assessment.pool import ItemPool, PoolItem
from assessment.selection import Blueprint, Randomesque, restricted_eligibility
from assessment.stopping import StoppingRule
from item_bank.assembly import (TEXT_KIND, adaptive_kind, assemble, block_floor, block_unit,
                                is_block_id, is_unit_id)
from item_bank import block_fits
from item_bank.cut_scores import CutScoreCache
from item_bank.model import SKILLS, Item
from item_bank.orm import ItemRow
from item_bank.repository import ItemRepository, row_to_item
from item_bank.orm import utcnow
from scoring.objective import AnswerError, score as score_answer
from services.common.i18n import LEARNER_LANGUAGES
from services.common.config import Config
from services.common.db import Database
from services.common.errors import APIError

from .orm import SessionItem, TestSession
from .ports import (Scorer, ScoringUnavailable, Sittings, SpeechScoring, scorer_for, sittings_for,
                    speech_scoring_for)

log = logging.getLogger(__name__)

UI_LANGUAGES = LEARNER_LANGUAGES  # services/translations/languages.json
# the optional speaking part: item kind -> the speech scorer's task, in the order given
SPEAKING_TASKS = {"read_aloud": "read_aloud", "speaking_prompt": "open_speaking"}
READ_ALOUD_SECONDS = 120  # the recording limit of a read-aloud answer (the scorer's maximum)
# the scoring service does not answer: the recording is not kept, the browser still has it
SPEECH_UNAVAILABLE = ("The recording could not be sent for scoring now; send it again in a "
                      "minute. Nothing was stored.")
SPEECH_JOBS_UNAVAILABLE = ("Your spoken answers cannot be read from the scoring service now; "
                           "try again in a minute. Nothing is lost.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ResultWaiting(Exception):
    """The test is over for the learner, but a written answer waits for the scoring
    service (it could not be reached when the answer was sent): the result comes when it
    is scored. Nothing is lost: the answer is stored."""

    def __init__(self, waiting: int):
        super().__init__(f"{waiting} written answer(s) wait for scoring")
        self.waiting = waiting


def _scored(rows: list[SessionItem]) -> list[SessionItem]:
    """The operational answers the estimate uses, in serving order: answered and scored (a
    written answer waiting for the scoring service has no score yet)."""
    return [r for r in rows if r.answer is not None and r.score is not None and not r.pretest]


def _unscored(rows) -> list[SessionItem]:
    return [r for r in rows if r.answer is not None and r.score is None]


@dataclass(frozen=True)
class LoadedBank:
    version: str
    items: dict[str, Item]
    pool: ItemPool
    pretest: tuple[Item, ...] = ()  # reviewed items waiting for calibration data
    # live read-aloud and speaking-prompt items: the optional speaking part after the test
    speaking: tuple[Item, ...] = ()

    @property
    def ceiling(self) -> str:
        """The highest level the bank has items for: above it, levels cannot be told apart."""
        return max((i.cefr for i in self.items.values()), key=LEVELS.index)


class BankCache:
    """The live bank as a pool, reloaded when the bank version in the database changes
    (checked at most every ``check_seconds``). The pool is assembled as the simulation
    assembles it (:func:`item_bank.assembly.assemble`): blocks by the ``blueprint``."""

    def __init__(self, db: Database, check_seconds: float = 30.0, blueprint: Blueprint | None = None):
        self.db = db
        self.check_seconds = check_seconds
        self.blueprint = blueprint or Blueprint.load()
        self._bank: LoadedBank | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> LoadedBank:
        now = time.monotonic()
        if self._bank is not None and now - self._checked < self.check_seconds:
            return self._bank
        with self._lock:
            with self.db.session() as s:
                repo = ItemRepository(s)
                version = repo.bank_version()
                if version is None:
                    raise APIError(503, "The item bank is empty: run `taitotaso db seed` first.")
                if self._bank is None or self._bank.version != version:
                    live = repo.live_items()
                    items = [i for i in live if servable(i)]
                    if not items:
                        raise APIError(503, "The item bank has no live items.")
                    speaking = tuple(sorted((i for i in live if i.kind in SPEAKING_TASKS),
                                            key=lambda i: i.id))
                    # the blocks' fits kept with the bank; any made here is kept for others
                    block_fits.load(s)
                    items, pool = assemble(items, self.blueprint)
                    block_fits.keep_new(s)
                    self._bank = LoadedBank(version, {i.id: i for i in items}, pool,
                                            speaking=speaking)
                rows = s.scalars(select(ItemRow).where(ItemRow.status == "reviewed")
                                 .order_by(ItemRow.id, ItemRow.version)).all()
                pretest = tuple(i for i in map(row_to_item, rows)
                                if servable(i) and not i.testlet and i.id not in self._bank.items)
                if pretest != self._bank.pretest:
                    self._bank = replace(self._bank, pretest=pretest)
            self._checked = now
            return self._bank


def servable(item: Item) -> bool:
    """An item the adaptive test can give now: scored on submission (objective kinds and
    writing tasks), with its audio made."""
    return adaptive_kind(item) and all(role in item.assets for role in item.audio_texts())


def _capped(estimate: dict, ceiling: str) -> dict:
    """A level above the highest one the bank measures is reported as that level with
    ``at_least``: the bank cannot tell C2 from C1 when it has no C2 items."""
    if LEVELS.index(estimate["cefr"]) > LEVELS.index(ceiling):
        probs = estimate["level_probabilities"]
        top = sum(p for lvl, p in probs.items() if LEVELS.index(lvl) >= LEVELS.index(ceiling))
        return {**estimate, "cefr": ceiling, "at_least": True, "certainty": round(top, 3)}
    return {**estimate, "at_least": False}


def apply_reviewed_level(s, session_id: str, item_id: str, cefr: str,
                         cuts: CutScores | None = None) -> dict | None:
    """A coach's level for a written answer replaces the machine's score of that answer
    (0..5 = A1..C2, as :meth:`TestingService._score_writing` scores it), and a finished
    session's result is estimated again from its stored answers, so that the result (and
    any credential issued from it later) says what the coach decided.

    The estimate is replayed with the parameters each item had when it was given and the
    session's own prior, like every request of the test does, so nothing else in the result
    moves. Returns the new result, or None when the answer is not one of this session's
    (e.g. a text sent to the scoring API alone). ``s`` is an open database session; the
    caller commits."""
    row = s.get(SessionItem, (session_id, item_id))
    if row is None or row.answer is None:
        return None
    row.score = LEVELS.index(cefr)
    sess = s.get(TestSession, session_id, with_for_update=True)
    if sess is not None:
        sess.engine_state = None  # it was kept with the machine's score: replay from now on
    if sess is None or sess.status != "finished" or not sess.result:
        return None
    s.flush()
    sess.result = {**sess.result, **estimate_from_answers(s, sess, cuts),
                   "reviewed_answers": {**sess.result.get("reviewed_answers", {}), item_id: cefr}}
    return sess.result


def estimate_from_answers(s, sess: TestSession, cuts: CutScores | None = None) -> dict:
    """The estimate (``overall``, ``skills``, ``n_items``) from a session's stored, scored
    answers, replayed with the parameters each item had when it was given and the session's
    own prior and cut scores: the same estimate every request of the test makes, without
    the live bank (which may have changed since)."""
    if cuts is None:
        from item_bank.cut_scores import find, to_cut_scores

        row_cuts = find(s, sess.cut_scores_version) if sess.cut_scores_version else None
        cuts = to_cut_scores(row_cuts) if row_cuts is not None else CutScores.load()
    rows = _scored(sorted(sess.items, key=lambda r: r.seq))
    pool = ItemPool([_pool_item(r) for r in rows] + _block_units(s, rows))
    engine = AdaptiveTest(pool, cuts=cuts, stopping=StoppingRule(min_items=1, max_items=max(1, len(rows))),
                          prior=Prior.from_self_assessment(sess.self_assessment, cuts))
    engine.replay([(_pool_item(r), int(r.score)) for r in rows])
    res = engine.result()
    live = s.scalars(select(ItemRow.cefr).where(ItemRow.status == "live", ItemRow.skill != "speaking")
                     .distinct()).all()
    ceiling = max(live, key=LEVELS.index) if live else LEVELS[-1]
    return {"overall": _capped(res["overall"].as_dict(), ceiling),
            "skills": {k: _capped(v.as_dict(), ceiling) for k, v in res["skills"].items()},
            "n_items": res["n_items"]}


def _block_units(s, rows: list[SessionItem], blueprint: Blueprint | None = None) -> list[PoolItem]:
    """The scored units (blocks of yes/no words, texts whose questions are scored together)
    whose items ``rows`` answered, rebuilt from the parameters the items had when given (for
    a replay outside the live pool)."""
    blueprint = blueprint or Blueprint.load()
    by_unit: dict[str, list[SessionItem]] = {}
    for r in rows:
        if is_unit_id(r.testlet_id):
            by_unit.setdefault(r.testlet_id, []).append(r)
    units = []
    repo = ItemRepository(s)
    for unit_id, members in by_unit.items():
        items = [repo.get(r.item_id, r.item_version) for r in members]
        if any(i is None for i in items):  # pragma: no cover - items are never deleted
            continue
        parts = [replace(_pool_item(r), kind=i.kind) for r, i in zip(members, items)]
        if is_block_id(unit_id):
            design = blueprint.blocks.get(items[0].kind, {})
            units.append(block_unit(unit_id, parts, block_floor(items),
                                    float(design.get("testlet_sd", 0.0))))
        else:
            design = blueprint.texts.get(items[0].skill, {})
            units.append(block_unit(unit_id, parts, 0, float(design.get("testlet_sd", 0.0)),
                                    kind=TEXT_KIND))
    return units


def _pool_item(row: SessionItem) -> PoolItem:
    irt = row.irt
    return PoolItem(id=row.item_id, skill=row.skill, a=irt["a"], b=irt["b"], c=irt.get("c", 0.0),
                    model=irt.get("model", "3pl"), thresholds=tuple(irt.get("thresholds", ())),
                    testlet=row.testlet_id)


class TestingService:
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
        self._analyzer = None
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
        token = secrets.token_urlsafe(32)
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
            options = [joinedload(TestSession.items)] + ([] if state else
                                                         [defer(TestSession.engine_state)])
            sess = s.execute(select(TestSession).where(TestSession.id == session_id)
                             .options(*options)).unique().scalar_one_or_none()
        else:
            sess = s.get(TestSession, session_id)
        if sess is None or not hmac.compare_digest(sess.token_hash, hash_token(token)):
            raise APIError(404, "No test session with this id belongs to this token.")
        return sess

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
        """Exposure control's preferred items now (None: no counts), read once, when an
        item is chosen."""
        counts = self.exposure.counts(bank.version, bank.pool.ids)
        if counts is None:
            return None
        return restricted_eligibility(counts[0], counts[1], self.config.max_exposure_rate)

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
        kept = json.loads(sess.engine_state) if sess.engine_state else None
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
                engine.prefer(self._preferred(bank))
            item_id = pretest.id if pretest else engine.next_item()
        if item_id is None:
            self._finish(sess, engine)
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
        s.flush()
        return served, item

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
        one SELECT, no commit. Only when nothing is waiting (a session started before
        answers served the next item, or after two requests clashed) is it chosen here."""
        bank = self.bank.get()
        with self.db.read() as s:
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
                return {"done": True, "progress": self._progress(rows)}
            for row in served:
                self.exposure.item_served(bank.version, row.item_id)
            return self._served(item, rows + served)
        raise APIError(409, "This session is being changed by another request; try again.")

    def _waiting(self, s, sess: TestSession, bank) -> dict | None:
        """GET /next's answer when nothing needs choosing: the test is over, or an item
        served earlier still waits for its answer; None otherwise."""
        if sess.status == "finished":
            return {"done": True, "progress": self._progress(sess.items)}
        rows = list(sess.items)
        pending = next((r for r in rows if r.answer is None), None)
        if pending is None:
            return None
        return self._served(self._item(bank, s, pending.item_id, pending.item_version), rows)

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
            siblings = [i for i in self.bank.get().items.values() if i.testlet == item.testlet]
            public["testlet_position"] = {"index": item.position + 1, "of": len(siblings)}
        return public

    def _open_block(self, block_id: str, rows: list[SessionItem]) -> dict:
        """The words of a served block still to answer, in order, for one page and one
        request (POST /block-responses); ``answered``: its words answered already (by the
        one-word path)."""
        bank = self.bank.get()
        mine = [r for r in rows if r.testlet_id == block_id and not r.pretest]
        waiting = [r for r in mine if r.answer is None]
        words = []
        for r in waiting:
            item = bank.items.get(r.item_id)
            if item is None or item.version != r.item_version:  # the bank changed since
                with self.db.read() as s:
                    item = self._item(bank, s, r.item_id, r.item_version)
            words.append(self._public(item))
        return {"id": block_id, "kind": words[0]["kind"] if words else "yes_no",
                "answered": len(mine) - len(waiting), "items": words}

    def answer_block(self, session_id: str, token: str | None, block_id: str,
                     answers: dict[str, str]) -> dict:
        """Answer the open words of a served block at once (``answers``: item id -> "yes" or
        "no"). Each word keeps its own stored answer and score (calibration uses them); the
        block is scored as one unit by the estimate. Every open word must be answered: a
        word left out, or an item that is not a word of the block, is a 422 that names
        them; a block not served in this session, or a word already answered, a 409."""
        bank = self.bank.get()
        for serve in (True, False):  # without serving the next item after a clash
            try:
                return self._answer_block(session_id, token, block_id, answers, bank, serve)
            except IntegrityError:
                if not serve:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer_block(self, session_id: str, token: str | None, block_id: str,
                      answers: dict[str, str], bank: LoadedBank, serve: bool) -> dict:
        with self.db.session() as s:
            sess = self._load(s, session_id, token, items=True)
            if sess.status != "active":
                raise APIError(409, "This test is already finished; its result is ready.")
            rows = list(sess.items)
            mine = [r for r in rows if r.testlet_id == block_id and not r.pretest]
            if not is_block_id(block_id) or not mine:
                raise APIError(409, f"Block {block_id} was not served in this session: answer "
                                    "the block that GET /next returns.",
                               {"block_id": ["not served in this session"]})
            by_id = {r.item_id: r for r in mine}
            strangers = sorted(set(answers) - set(by_id))
            if strangers:
                raise APIError(422, f"Not words of block {block_id}: {', '.join(strangers)}. "
                                    "Answer the words that GET /next lists in block.items.",
                               {"answers": {k: ["not a word of this block"] for k in strangers}})
            again = sorted(k for k in answers if by_id[k].answer is not None)
            if again:
                raise APIError(409, f"Already answered (an answer cannot be changed): "
                                    f"{', '.join(again)}.",
                               {"answers": {k: ["already answered"] for k in again}})
            waiting = [r for r in mine if r.answer is None]
            items = {r.item_id: self._item(bank, s, r.item_id, r.item_version) for r in waiting}
            missing = [r.item_id for r in waiting if r.item_id not in answers]
            if missing:
                words = {k: items[k].content.get("word", k) for k in missing}
                raise APIError(422, "Answer every word of the block, yes or no. Not answered: "
                                    + ", ".join(words.values()) + ".",
                               {"answers": {k: [f"missing: answer yes or no for {w!r}"]
                                            for k, w in words.items()}})
            points = {}
            for k in answers:
                try:
                    points[k] = score_answer(items[k], answers[k], self.analyzer)
                except AnswerError as err:
                    raise APIError(422, f"{k}: {err}", {"answers": {k: [str(err)]}}) from None
            if not self._store_answers(s, by_id, {k: (answers[k], p) for k, p in points.items()}):
                # another request answered a word first: nothing of this answer is kept
                s.rollback()
                taken = sorted(s.scalars(select(SessionItem.item_id).where(
                    SessionItem.session_id == session_id, SessionItem.item_id.in_(list(points)),
                    SessionItem.answer.is_not(None))).all())
                raise APIError(409, f"Already answered (an answer cannot be changed): "
                                    f"{', '.join(taken)}.",
                               {"answers": {k: ["already answered"] for k in taken}})
            finished, served = self._after_answers(s, sess, bank, rows, serve)
            outcome = {"accepted": True, "answered": len(points), "done": finished,
                       "progress": self._progress(rows)}
            waiting = sess.status == "scoring"
        self._served_or_finished(session_id, bank, served, finished, waiting)
        return outcome

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

    def _written_first(self, session_id: str, token: str | None, item: Item | None,
                       answer) -> tuple[Item, int | None, str] | None:
        """A written answer is scored before the answer's transaction, so that no
        transaction waits for the scoring service: (item, points or None, cleaned text).
        The session's token is checked first (one SELECT), so that nobody else's text
        is scored; None for other kinds of item."""
        if item is None or item.kind != "writing_task" or (isinstance(answer, str)
                                                           and not answer.strip()):
            return None
        with self.db.read() as s:
            if self._load(s, session_id, token).status != "active":
                return None   # _answer says why
        points, text = self._score_writing(item, answer, session_id)
        return item, points, text

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
        table = SessionItem.__table__
        stmt = (update(table)
                .where(table.c.session_id == bindparam("b_session"),
                       table.c.item_id == bindparam("b_item"), table.c.answer.is_(None))
                .values(answer=bindparam("b_answer"), score=bindparam("b_score"),
                        answered_at=bindparam("b_at")))
        params = [{"b_session": rows[k].session_id, "b_item": k, "b_answer": a, "b_score": p,
                   "b_at": now} for k, (a, p) in answers.items()]
        done = s.execute(stmt, params if len(params) > 1 else params[0])
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
            return True, []
        if not serve or any(r.answer is None for r in rows):
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

    def _score_writing(self, item: Item, answer, session_id: str) -> tuple[int | None, str]:
        """A writing task is scored on submission by the scoring service (0..5 = A1..C2,
        the graded response model's categories); there an uncertain score, or one that the
        scorer's checks changed (repetition, copying, off-task text, a word list), also goes
        to the coaches' review queue. When the scoring service cannot be reached the score
        is None: the text is stored and scored later (:meth:`score_pending`)."""
        from scoring.textinput import TextInputError, clean

        if not isinstance(answer, str):
            raise APIError(422, "answer must be your text, as a string", {"answer": "not text"})
        try:
            text = clean(answer)
        except TextInputError as err:
            raise APIError(422, str(err), {"answer": str(err)}) from None
        try:
            return self._writing_points(item, text, session_id), text
        except ScoringUnavailable as err:
            log.warning("session %s: the written answer to %s is stored unscored: %s",
                        session_id, item.id, err)
            return None, text

    def _writing_points(self, item: Item, text: str, session_id: str) -> int:
        result = self.scorer.score_writing(text, item_id=item.id, prompt=item.content["prompt"],
                                           min_words=item.content.get("min_words"),
                                           session_id=session_id)
        return LEVELS.index(result["cefr"])

    def score_pending(self, session_id: str) -> int:
        """Score the written answers of a session that waited for the scoring service, and
        when none waits any more and the test is over, estimate its result. Returns how many
        still wait (0: nothing left; the scoring service is still away otherwise).
        Idempotent: a score already stored is kept, and the result is made once."""
        bank = self.bank.get()
        with self.db.read() as s:
            waiting = [(r.item_id, r.item_version, r.answer) for r in s.scalars(
                select(SessionItem).where(SessionItem.session_id == session_id,
                                          SessionItem.answer.is_not(None),
                                          SessionItem.score.is_(None))).all()]
            items = {k: self._item(bank, s, k, v) for k, v, _a in waiting}
        points: dict[str, int] = {}
        for item_id, _version, text in waiting:   # no transaction is held while scoring
            try:
                points[item_id] = self._writing_points(items[item_id], text, session_id)
            except ScoringUnavailable:
                break
            except APIError as err:   # the scorer refuses the stored text: the lowest level
                log.warning("session %s: the scorer refused the stored answer to %s: %s",
                            session_id, item_id, err.message)
                points[item_id] = 0
        with self.db.session() as s:
            sess = s.execute(select(TestSession).where(TestSession.id == session_id)
                             .options(joinedload(TestSession.items)).with_for_update(of=TestSession)
                             ).unique().scalar_one_or_none()
            if sess is None:
                return 0
            for row in sess.items:
                if row.item_id in points and row.score is None and row.answer is not None:
                    row.score = points[row.item_id]
                    # the kept state counted it as set aside: replay from the answers now
                    sess.engine_state = None
            left = len(_unscored(sess.items))
            finished = not left and sess.status == "scoring"
            if finished:
                sess.engine_state = None
                sess.result = {**estimate_from_answers(s, sess),
                               "stop_reason": sess.stop_reason, "bank_version": sess.bank_version,
                               "cut_scores_version": sess.cut_scores_version}
                sess.status, sess.finished_at = "finished", utcnow()
        if finished:
            self._after_finish(session_id)
        return left

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
                **sess.result}

    # -- the optional speaking part, after the adaptive items ----------------------------
    def session_language(self, session_id: str, token: str | None) -> str:
        with self.db.session() as s:
            return self._load(s, session_id, token).ui_language

    def _finished_session(self, s, session_id: str, token: str | None, lock: bool = False) -> TestSession:
        sess = self._load(s, session_id, token)
        if lock:  # PostgreSQL: uploads of this session wait for each other (SQLite ignores it)
            s.execute(select(TestSession.id).where(TestSession.id == session_id).with_for_update())
        if sess.status != "finished":
            raise APIError(409, "The speaking part comes after the test: answer the items from "
                                "GET /next until it says done.")
        return sess

    def _session_jobs(self, session_id: str, unavailable: str = SPEECH_JOBS_UNAVAILABLE) -> list[dict]:
        """The session's spoken answers, from the scoring service (in the order sent); 503
        with ``unavailable`` when it does not answer."""
        try:
            return self.speech.jobs(session_id)
        except ScoringUnavailable as err:
            log.warning("the spoken answers of a session could not be read: %s", err)
            raise APIError(503, unavailable) from None

    def _speaking_items(self, sess: TestSession, jobs: list[dict]) -> list[Item]:
        """One live item of each speaking kind at the level nearest the session's overall
        result, chosen at random among the nearest but the same every time for a session.
        An item that already has a recording in this session stays chosen."""
        live = self.bank.get().speaking
        level = LEVELS.index((sess.result or {}).get("overall", {}).get("cefr", "B1"))
        answered = {j["item_id"] for j in jobs}
        chosen = []
        for n, kind in enumerate(SPEAKING_TASKS):
            candidates = [i for i in live if i.kind == kind]
            if not candidates:
                continue
            kept = [i for i in candidates if i.id in answered]
            if kept:
                chosen.append(kept[0])
                continue
            distance = min(abs(LEVELS.index(i.cefr) - level) for i in candidates)
            nearest = [i for i in candidates if abs(LEVELS.index(i.cefr) - level) == distance]
            rng = np.random.default_rng([uuid.UUID(sess.id).int & (2**63 - 1), 101 + n])
            chosen.append(nearest[int(rng.integers(len(nearest)))])
        return chosen

    @staticmethod
    def _speaking_task(item: Item) -> dict:
        """What the learner's browser needs for one speaking task (no level, no IRT)."""
        out = {"item_id": item.id, "kind": item.kind, "task": SPEAKING_TASKS[item.kind]}
        if item.kind == "read_aloud":
            out |= {"text": item.content["text"], "prep_seconds": 0,
                    "max_seconds": READ_ALOUD_SECONDS}
        else:
            out |= {"prompt": item.content["prompt"],
                    "prep_seconds": int(item.content.get("prep_seconds") or 0),
                    "max_seconds": int(item.content.get("max_seconds") or READ_ALOUD_SECONDS)}
        return out

    @staticmethod
    def _job_out(job: dict, language: str) -> dict:
        from services.common.feedback import with_messages

        result = dict(job["result"]) if job.get("result") else None
        if result is not None and result.get("feedback") is not None:
            result["feedback"] = with_messages(result["feedback"], language)
        return {"id": job["id"], "item_id": job.get("item_id"), "task": job["task"],
                "status": job["status"], "stage": job.get("stage"),
                "progress": round(job.get("progress") or 0.0, 2),
                "duration_s": round(job.get("duration_s") or 0.0, 2), "result": result,
                "created_at": job.get("created_at"), "finished_at": job.get("finished_at"),
                "status_url": f"/api/v1/scoring/jobs/{job['id']}"}

    @staticmethod
    def _latest_by_item(jobs: list[dict]) -> dict[str | None, dict]:
        latest: dict[str | None, dict] = {}
        for j in jobs:  # in the order sent: a later recording (after a failed one) wins
            latest[j["item_id"]] = j
        return latest

    def speaking_tasks(self, session_id: str, token: str | None, language: str | None = None) -> list[dict]:
        """The two speaking tasks of a finished session, each with its job (or None)."""
        with self.db.session() as s:
            sess = self._finished_session(s, session_id, token)
            jobs = self._session_jobs(session_id)
            latest = self._latest_by_item(jobs)
            language = language or sess.ui_language
            return [{**self._speaking_task(item),
                     "job": self._job_out(latest[item.id], language) if item.id in latest else None}
                    for item in self._speaking_items(sess, jobs)]

    def submit_speaking(self, session_id: str, token: str | None, item_id: str, data: bytes) -> dict:
        """Send a recording for one of the session's two speaking tasks to the scoring
        service, which checks it, keeps it and queues its scoring; returns the job at once.
        Raises AudioProblem for a recording that cannot be scored, APIError 404 for another
        item, 409 before the test is finished or when this task already has a recording (one
        that failed to score may be sent again), 503 when the scoring service cannot take it
        now (nothing is kept: the learner sends it again)."""
        lock = self._upload_locks[hash(session_id) % len(self._upload_locks)]
        with lock, self.db.session() as s:
            sess = self._finished_session(s, session_id, token, lock=True)
            jobs = self._session_jobs(session_id, SPEECH_UNAVAILABLE)
            item = next((i for i in self._speaking_items(sess, jobs) if i.id == item_id), None)
            if item is None:
                raise APIError(404, f"{item_id!r} is not a speaking task of this test: send one of "
                                    "the item ids that GET /speaking lists.",
                               {"item_id": ["not a speaking task of this session"]})
            earlier = self._latest_by_item(jobs).get(item_id)
            if earlier is not None and earlier["status"] != "failed":
                raise APIError(409, "A recording for this task has already been sent; it is kept "
                                    "and scored. Go on to the next task or to your result.",
                               {"item_id": ["already answered"]})
            task = self._speaking_task(item)
            try:
                job = self.speech.submit(
                    data, task=task["task"],
                    text=item.content["text" if item.kind == "read_aloud" else "prompt"],
                    item_id=item.id, passage_cefr=item.cefr,
                    max_seconds=None if item.kind == "read_aloud" else task["max_seconds"],
                    session_id=session_id, ui_language=sess.ui_language)
            except ScoringUnavailable as err:
                log.warning("a recording could not be sent for scoring: %s", err)
                raise APIError(503, SPEECH_UNAVAILABLE, {"audio": ["scoring_unavailable"]}) from None
            return self._job_out(job, sess.ui_language)

    def speaking_job(self, session_id: str, token: str | None, job_id: str,
                     language: str | None = None) -> dict:
        with self.db.session() as s:
            sess = self._load(s, session_id, token)
            language = language or sess.ui_language
        try:
            job = self.speech.job(job_id)
        except ScoringUnavailable as err:
            log.warning("a spoken answer could not be read: %s", err)
            raise APIError(503, SPEECH_JOBS_UNAVAILABLE) from None
        if job is None or job.get("session_id") != session_id:
            raise APIError(404, "This test has no spoken answer with this id.")
        return self._job_out(job, language)

    def speaking_jobs(self, session_id: str, token: str | None, language: str | None = None) -> list[dict]:
        """The session's spoken answers (the latest one of each task), with status, progress
        and, when scored, the result with feedback in ``language`` (default: the session's).
        The scoring service queues again a job whose worker stopped (the embedded default
        has no sweeper) before it answers."""
        with self.db.session() as s:
            sess = self._load(s, session_id, token)
            language = language or sess.ui_language
        jobs = list(self._latest_by_item(self._session_jobs(session_id)).values())
        return [self._job_out(j, language) for j in jobs]
