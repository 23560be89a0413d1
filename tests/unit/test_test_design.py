"""The test design: texts scored together, the production stopping rule as data, and
`taitotaso simulate --rule production`."""
import json
from dataclasses import replace

import numpy as np
import pytest

from assessment.cefr import CutScores
from assessment.engine import AdaptiveTest
from assessment.pool import ItemPool, PoolItem
from assessment.selection import Blueprint
from assessment.stopping import StoppingRule, level_probability
from item_bank.assembly import TEXT_KIND, assemble, block_unit, is_unit_id, make_texts, unit_testlet_sd
from item_bank.content import load_content
from services.cli import main

CUTS = CutScores.load()
LIVE = [i for i in load_content(cuts=CUTS) if i.status == "live"]


def run(test: AdaptiveTest, theta: float, rng) -> list[str]:
    given = []
    while (item_id := test.next_item()) is not None:
        given.append(item_id)
        test.record(item_id, test.pool.sample_score(test.pool.index[item_id], theta, rng))
    return given


# -- texts scored together --------------------------------------------------------------
def test_reading_and_listening_texts_become_one_unit_each_with_their_questions_in_order():
    bp = Blueprint.load()
    items, pool = assemble(LIVE, bp)
    texts = {i.testlet for i in LIVE if i.testlet and i.stimulus is not None}
    units = [it for it in pool.items if it.kind == TEXT_KIND]
    assert {u.id for u in units} == {f"text-{t}" for t in texts}
    for unit in units:
        members = [items[[i.id for i in items].index(m)] for m in unit.members]
        assert {m.testlet for m in members} == {unit.id} and is_unit_id(unit.id)
        assert [m.position for m in members] == sorted(m.position for m in members)
        assert unit.model == "grm" and len(unit.thresholds) == len(members)
        assert unit.score_floor == 0 and unit.skill in ("reading", "listening")
        assert unit_testlet_sd(bp, unit) == bp.texts[unit.skill]["testlet_sd"]
    # the questions are never selected alone; the unit is
    assert not pool.selectable[[pool.index[m] for u in units for m in u.members]].any()
    assert pool.selectable[[pool.index[u.id] for u in units]].all()


def test_texts_of_a_skill_the_blueprint_leaves_out_stay_single_questions():
    bp = replace(Blueprint.load(), texts={"reading": {"testlet_sd": 0.5}})
    _items, pool = assemble(LIVE, bp)
    kinds = {(it.skill, it.kind) for i, it in enumerate(pool.items) if pool.selectable[i]}
    assert ("reading", TEXT_KIND) in kinds and ("listening", TEXT_KIND) not in kinds
    assert ("listening", "multiple_choice") in kinds
    assert make_texts(LIVE, set()) == {}


def text_pool() -> ItemPool:
    """Reading: four texts of three questions (scored together) and a few single items."""
    items = [PoolItem(f"single-{k}", "reading", a=1.0, b=float(k - 2) / 2, kind="multiple_choice")
             for k in range(5)]
    units = []
    for t in range(4):
        questions = [PoolItem(f"rd-{t}-{q}", "reading", a=1.0, b=float(t - 2) / 2, c=1 / 3,
                              testlet=f"text-rd-{t}", kind="multiple_choice") for q in range(3)]
        items += questions
        units.append(block_unit(f"text-rd-{t}", questions, 0, 0.5, kind=TEXT_KIND))
    return ItemPool(items + units)


def test_a_text_is_served_question_after_question_and_scored_once_as_the_number_right():
    pool = text_pool()
    bp = Blueprint({"reading": 1.0}, kinds={"reading": {TEXT_KIND: 1.0}})
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(2, 2, None, False), blueprint=bp,
                     rng=np.random.default_rng(0))
    given = []
    while (item_id := t.next_item()) is not None:
        given.append(item_id)
        t.record(item_id, 1)
    assert len(given) == 6 and len(t.given) == 2 and t.overall.n == 2
    for start in (0, 3):  # each text's three questions in a row, in their order
        text = given[start].rsplit("-", 1)[0]
        assert given[start:start + 3] == [f"{text}-{q}" for q in range(3)]
    assert t.kind_counts["reading"] == {TEXT_KIND: 2}
    # all right on a text: the likelihood of its top score, not three 3PL updates
    u = int(pool.block_of[pool.index[given[0]]])
    assert pool.block_score(u, [1, 1, 1]) == 3 and pool.block_score(u, [0, 1, 0]) == 1
    top = pool.likelihood(u, 3)
    assert t.overall.density == pytest.approx(_posterior_of(pool, [u, int(pool.block_of[pool.index[given[3]]])], 3))
    assert top.shape == t.overall.grid.shape


def test_answers_stored_before_texts_were_scored_together_are_replayed_question_by_question():
    """A session that answered a text's questions one by one (their testlet the bare text
    id) keeps those scores; the text is spent and never served again."""
    pool = text_pool()
    bp = Blueprint({"reading": 1.0}, kinds={"reading": {TEXT_KIND: 1.0}})
    old = [(replace(pool.items[pool.index[f"rd-1-{q}"]], testlet="rd-1"), 1) for q in range(2)]
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 5, None, False), blueprint=bp,
                     rng=np.random.default_rng(0))
    t.replay(old)
    assert t.overall.n == 2 and len(t.given) == 2  # two questions scored alone
    given = run(t, 0.0, np.random.default_rng(1))
    assert not any(g.startswith("rd-1-") for g in given)
    assert len(t.given) == 5


def _posterior_of(pool: ItemPool, units: list[int], score: int) -> np.ndarray:
    """The normalised N(0, 1) posterior after ``score`` on each unit."""
    from assessment.estimation import Posterior

    post = Posterior()
    for u in units:
        post.update(pool.likelihood(u, score))
    return post.density


# -- the stopping rule -----------------------------------------------------------------
def test_the_production_rule_is_read_from_its_file():
    rule = StoppingRule.load()
    assert 1 <= rule.min_items <= rule.max_items <= 25
    assert rule.level_certainty is not None and 0.5 <= rule.level_certainty < 1
    assert rule.sem_target is not None


@pytest.mark.parametrize("data, message", [
    ({"max_items": 25}, "min_items is missing"),
    ({"min_items": 10, "max_items": 25, "level_certainty": 1.2}, "level_certainty"),
    ({"min_items": 10, "max_items": 5}, "min_items <= max_items"),
    ({"min_items": 10, "max_items": 25, "sem_traget": 0.3}, "unknown setting"),
    ({"min_items": 10, "max_items": 25, "sem_target": 0}, "sem_target must be positive"),
])
def test_a_stopping_file_with_a_mistake_is_refused_with_a_reason(tmp_path, data, message):
    path = tmp_path / "stopping.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=message):
        StoppingRule.load(path)


def test_level_certainty_stops_far_from_a_cut_score_and_goes_on_near_one():
    rule = StoppingRule(2, 30, sem_target=None, cefr_band=False, level_certainty=0.85)
    mid_b1, at_cut = CUTS.midpoint("B1"), CUTS.cuts[2]  # B1's middle; the B1/B2 cut
    assert level_probability(mid_b1, 0.3, CUTS) > 0.85
    assert rule.reason(5, mid_b1, 0.3, CUTS) == "level_certainty"
    assert rule.reason(5, at_cut + 0.05, 0.3, CUTS) is None
    assert rule.reason(1, mid_b1, 0.3, CUTS) is None  # never before the minimum
    # the caller's posterior figure wins over the normal approximation
    assert rule.reason(5, mid_b1, 0.3, CUTS, certainty=0.6) is None
    # the open ends: A1 has no lower cut
    assert level_probability(-3.5, 0.4, CUTS) == pytest.approx(1.0, abs=1e-6)


def test_the_engine_stops_by_level_certainty_with_the_certainty_it_reports():
    pool = ItemPool([PoolItem(f"i{k}", "general", a=1.5, b=float(b))
                     for k, b in enumerate(np.linspace(-3, 3, 200))])
    rule = StoppingRule(3, 60, sem_target=None, cefr_band=False, level_certainty=0.85)
    t = AdaptiveTest(pool, cuts=CUTS, stopping=rule, rng=np.random.default_rng(2))
    run(t, -2.6, np.random.default_rng(3))  # deep in A1
    assert t.stop_reason == "level_certainty"
    assert t.result()["overall"].certainty >= 0.85
    assert len(t.given) < 60


# -- taitotaso simulate --rule production ------------------------------------------------
def test_simulate_with_the_production_rule_uses_the_rule_file(capsys):
    assert main(["simulate", "--bank", "seed", "--examinees", "30", "--rule", "production",
                 "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rule = StoppingRule.load()
    assert out["config"]["rule"] == "production"
    assert (out["config"]["min_items"], out["config"]["max_items"], out["config"]["sem_target"],
            out["config"]["level_certainty"]) == (rule.min_items, rule.max_items, rule.sem_target,
                                                  rule.level_certainty)
    assert rule.min_items <= out["mean_items"] <= rule.max_items
    assert out["mean_answers"] > out["mean_items"]  # texts and blocks: many answers, one item
    assert "text" in out["kind_share"] and "level_certainty" in out["stop_reasons"]


def test_simulate_refuses_the_production_rule_mixed_with_rule_flags(capsys):
    assert main(["simulate", "--rule", "production", "--max-items", "12"]) == 2
    err = capsys.readouterr().err
    assert "stopping.json" in err and "--max-items" in err


def test_simulate_names_the_rules_it_knows(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--rule", "fastest"])
    assert "production" in capsys.readouterr().err
