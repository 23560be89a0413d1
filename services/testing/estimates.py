"""The estimate from a session's stored answers, replayed outside the live bank: the scored
and unscored answers of a session, a level capped at the bank's ceiling,
:func:`estimate_from_answers` (a result made again) and :func:`apply_reviewed_level` (a
coach's level for a written answer replaces the machine's score)."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from assessment.cefr import LEVELS, CutScores
from assessment.engine import AdaptiveTest, Prior
from assessment.pool import ItemPool, PoolItem
from assessment.selection import Blueprint
from assessment.stopping import StoppingRule
from item_bank.assembly import TEXT_KIND, block_floor, block_unit, is_block_id, is_unit_id
from item_bank.orm import ItemRow, utcnow
from item_bank.repository import ItemRepository

from .orm import SessionItem, TestSession


def _scored(rows: list[SessionItem]) -> list[SessionItem]:
    """The operational answers the estimate uses, in serving order: answered and scored (a
    written answer waiting for the scoring service has no score yet)."""
    return [r for r in rows if r.answer is not None and r.score is not None and not r.pretest]


def _unscored(rows) -> list[SessionItem]:
    return [r for r in rows if r.answer is not None and r.score is None]


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
    (e.g. a text sent to the scoring API alone). A result that changed is stamped
    ``result_changed_at`` (ISO 8601), by which the services that keep a copy order the
    changes (:func:`records.result_of`, the event ``test.result_changed``); the same
    decision applied again changes nothing, not even the stamp. ``s`` is an open database
    session; the caller commits."""
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
    result = {**sess.result, **estimate_from_answers(s, sess, cuts),
              "reviewed_answers": {**sess.result.get("reviewed_answers", {}), item_id: cefr}}
    if result != sess.result:
        sess.result = {**result, "result_changed_at": utcnow().isoformat()}
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
