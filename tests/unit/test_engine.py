import numpy as np
import pytest

from assessment.cefr import CutScores
from assessment.engine import AdaptiveTest, Prior
from assessment.pool import ItemPool, PoolItem, synthetic_pool
from assessment.selection import Blueprint, Randomesque
from assessment.stopping import StoppingRule

CUTS = CutScores.load()


def run(test: AdaptiveTest, theta: float, rng) -> list[str]:
    given = []
    while (item_id := test.next_item()) is not None:
        given.append(item_id)
        test.record(item_id, test.pool.sample_score(test.pool.index[item_id], theta, rng))
    return given


def mixed_pool() -> ItemPool:
    items = []
    rng = np.random.default_rng(5)
    for skill in ("reading", "vocabulary", "structure"):
        for i in range(40):
            items.append(PoolItem(f"{skill}-{i}", skill, a=float(rng.uniform(0.7, 1.8)),
                                  b=float(rng.normal(0, 1.2))))
    for t in range(6):  # reading testlets of three questions
        for q in range(3):
            items.append(PoolItem(f"text{t}-q{q}", "reading", a=1.0, b=float(t - 3) / 2,
                                  testlet=f"text{t}"))
    items.append(PoolItem("speak-1", "structure", a=1.3, model="grm", thresholds=(-1.0, 0.0, 1.0)))
    return ItemPool(items)


def test_no_item_twice_and_length_within_bounds():
    pool = synthetic_pool(300, np.random.default_rng(2))
    rng = np.random.default_rng(0)
    for theta in (-2.5, 0.0, 2.0):
        t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(8, 25, 0.3, True), rng=rng)
        given = run(t, theta, rng)
        assert len(given) == len(set(given))
        assert 8 <= len(given) <= 25
        assert t.stop_reason in {"max_items", "sem_target", "cefr_band"}


def test_never_stops_before_the_minimum_even_when_precise():
    pool = ItemPool([PoolItem(f"i{k}", "general", a=4.0, b=0.0) for k in range(50)])
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(12, 40, sem_target=5.0, cefr_band=True))
    rng = np.random.default_rng(1)
    assert len(run(t, 0.0, rng)) == 12
    assert t.stop_reason == "sem_target"


def test_stops_when_the_sem_target_is_met():
    pool = synthetic_pool(2000, np.random.default_rng(4))
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 60, sem_target=0.35, cefr_band=False))
    run(t, 0.4, np.random.default_rng(2))
    assert t.stop_reason == "sem_target"
    assert t.overall.sem <= 0.35
    assert len(t.given) < 60


def test_cefr_band_rule_stops_when_the_interval_is_inside_one_level():
    pool = synthetic_pool(2000, np.random.default_rng(4))
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 60, sem_target=None, cefr_band=True))
    run(t, -0.05, np.random.default_rng(3))  # middle of B1, a band one logit wide
    if t.stop_reason == "cefr_band":
        lo, hi = t.overall.eap - 1.96 * t.overall.sem, t.overall.eap + 1.96 * t.overall.sem
        assert CUTS.level(lo) == CUTS.level(hi)
    else:
        assert len(t.given) == 60


def test_testlet_questions_come_together_and_skills_follow_the_blueprint():
    pool = mixed_pool()
    rng = np.random.default_rng(8)
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(30, 30, None, False), rng=rng,
                     blueprint=Blueprint({"reading": 0.4, "vocabulary": 0.3, "structure": 0.3}),
                     selector=Randomesque(2))
    given = run(t, -1.0, rng)
    positions = {}
    for n, item_id in enumerate(given):
        tl = pool.items[pool.index[item_id]].testlet
        if tl:
            positions.setdefault(tl, []).append(n)
    for tl, pos in positions.items():
        assert pos == list(range(pos[0], pos[0] + len(pos))), f"testlet {tl} was split"
        assert len(pos) == 3
    skills = [pool.items[pool.index[i]].skill for i in given]
    assert abs(skills.count("reading") - 12) <= 2
    assert abs(skills.count("vocabulary") - 9) <= 2


def test_polytomous_items_update_the_estimate():
    pool = ItemPool([PoolItem("w", "writing", a=1.5, model="grm", thresholds=(-1.0, 0.0, 1.0))])
    low = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(1, 1, None, False))
    high = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(1, 1, None, False))
    for test, score in ((low, 0), (high, 3)):
        test.record(test.next_item(), score)
    assert low.overall.eap < 0 < high.overall.eap
    with pytest.raises(ValueError, match="out of range"):
        t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(1, 1, None, False))
        t.record(t.next_item(), 4)


def test_self_assessment_sets_the_prior_and_the_first_item():
    pool = synthetic_pool(1000, np.random.default_rng(6))
    prior = Prior.from_self_assessment({"general": "C1"}, CUTS)
    assert prior.mean == pytest.approx(CUTS.midpoint("C1"))
    high = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 10), prior=prior)
    low = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 10),
                       prior=Prior.from_self_assessment({"general": "A1"}, CUTS))
    b_high = pool.b[pool.index[high.next_item()]]
    b_low = pool.b[pool.index[low.next_item()]]
    assert b_high > b_low + 2
    with pytest.raises(ValueError, match="unknown CEFR"):
        Prior.from_self_assessment({"general": "D1"}, CUTS)


def test_replay_rebuilds_the_same_estimate():
    pool = mixed_pool()
    rng = np.random.default_rng(9)
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(20, 20, None, False), rng=rng)
    answered = []
    for _ in range(12):
        item_id = t.next_item()
        score = pool.sample_score(pool.index[item_id], 0.5, rng)
        t.record(item_id, score)
        answered.append((pool.items[pool.index[item_id]], score))
    again = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(20, 20, None, False))
    again.replay(answered)
    assert again.overall.eap == pytest.approx(t.overall.eap)
    assert again.overall.sem == pytest.approx(t.overall.sem)
    assert set(again.given) == set(t.given)
    assert again.next_item() not in {it.id for it, _ in answered}


def test_replay_uses_the_parameters_an_item_had_when_given():
    old = PoolItem("x", "reading", a=1.0, b=2.0)
    pool = ItemPool([PoolItem("x", "reading", a=1.0, b=-2.0), PoolItem("y", "reading", a=1.0)])
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(2, 2, None, False))
    t.replay([(old, 1)])
    fresh = AdaptiveTest(ItemPool([old]), cuts=CUTS, stopping=StoppingRule(1, 1, None, False))
    fresh.record(fresh.next_item(), 1)
    assert t.overall.eap == pytest.approx(fresh.overall.eap)
    assert t.next_item() == "y"


def test_recording_an_item_that_was_not_served_is_refused():
    pool = synthetic_pool(20, np.random.default_rng(1))
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 10))
    served = t.next_item()
    other = next(i for i in pool.ids if i != served)
    with pytest.raises(ValueError, match="not the item served"):
        t.record(other, 1)


def test_result_has_a_level_sem_and_certainty_per_skill():
    pool = mixed_pool()
    rng = np.random.default_rng(2)
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(20, 20, None, False), rng=rng)
    run(t, 1.0, rng)
    res = t.result()
    assert set(res["skills"]) <= {"reading", "vocabulary", "structure"}
    for est in [res["overall"], *res["skills"].values()]:
        assert est.cefr in est.level_probabilities
        assert 0 < est.certainty <= 1 and est.sem > 0
        assert sum(est.level_probabilities.values()) == pytest.approx(1.0)
    assert res["skills"]["reading"].sem > res["overall"].sem


def block_pool() -> ItemPool:
    """Vocabulary: single items and two blocks of six yes/no words (three pseudowords)."""
    from item_bank.assembly import block_unit

    items = [PoolItem(f"mc-{i}", "vocabulary", a=1.0, b=float(i - 5) / 3, c=0.25,
                      kind="multiple_choice") for i in range(10)]
    units = []
    for blk in range(2):
        words = [PoolItem(f"w{blk}-{k}", "vocabulary", a=0.8, b=blk - 0.5, c=0.5, kind="yes_no",
                          testlet=f"block-yes_no-{blk}") for k in range(6)]
        items += words
        units.append(block_unit(f"block-yes_no-{blk}", words, 3, 0.3))
    return ItemPool(items + units)


def test_a_block_is_served_whole_scored_once_and_counted_as_one_item():
    pool = block_pool()
    bp = Blueprint({"vocabulary": 1.0}, kinds={"vocabulary": {"multiple_choice": 0.5, "yes_no": 0.5}})
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(4, 4, None, False), blueprint=bp,
                     rng=np.random.default_rng(0))
    given = run(t, 0.5, np.random.default_rng(1))
    words = [g for g in given if g.startswith("w")]
    assert len(words) == 12 and len(given) == 14  # two blocks of six and two single items
    for blk in ("w0", "w1"):  # a block's words come one after the other
        at = [n for n, g in enumerate(given) if g.startswith(blk)]
        assert at == list(range(at[0], at[0] + 6))
    assert len(t.given) == 4 and t.overall.n == 4  # four scored units, four updates
    assert t.kind_counts["vocabulary"] == {"multiple_choice": 2, "yes_no": 2}


def test_a_block_scores_hits_minus_false_alarms():
    pool = block_pool()
    u = pool.blocks["block-yes_no-0"]
    assert pool.block_score(u, [1, 1, 1, 1, 1, 1]) == 3  # all right: 3 hits, no false alarm
    assert pool.block_score(u, [1, 1, 1, 0, 0, 0]) == 0  # e.g. "yes" to all: 3 hits, 3 false alarms


def test_replay_inside_a_block_goes_on_with_the_rest_of_it():
    pool = block_pool()
    bp = Blueprint({"vocabulary": 1.0}, kinds={"vocabulary": {"yes_no": 1.0}})
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(2, 2, None, False), blueprint=bp,
                     rng=np.random.default_rng(0))
    answered = []
    for _ in range(3):
        item_id = t.next_item()
        t.record(item_id, 1)
        answered.append((pool.items[pool.index[item_id]], 1))
    again = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(2, 2, None, False), blueprint=bp)
    again.replay(answered)
    assert again.overall.n == 0 and not again.is_finished()  # nothing scored mid-block
    assert again.next_item() == t.next_item()


def _as_service_does(pool, blueprint, seed, theta, keep_state: bool):
    """A whole test as the testing service runs it: every request makes a fresh engine
    (its generator seeded by the session and the number of answers, exposure preferences
    that change between requests), replays the stored answers, or (``keep_state``) takes
    up the state kept after the previous answer and replays only the new one. A block is
    served whole and answered word by word. Returns the items served, the states after
    each answer and the final result."""
    import json

    answer_rng = np.random.default_rng(seed + 1)
    exposure_rng = np.random.default_rng(seed + 2)
    answered: list[tuple[PoolItem, int]] = []
    kept, kept_n = None, 0
    served, states = [], []

    def engine():
        preferred = exposure_rng.random(pool.size) < 0.8
        t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(8, 14, 0.3, False),
                         selector=Randomesque(3), blueprint=blueprint,
                         rng=np.random.default_rng([seed, len(answered)]),
                         preferred=None if keep_state else preferred)
        if keep_state and kept is not None:
            t.restore(json.loads(kept))
            t.replay(answered[kept_n:])
        else:
            t.replay(answered)
        if keep_state:  # the lean path reads the exposure counts only to select
            t.prefer(preferred)
        return t

    pending: list[str] = []
    while True:
        if not pending:
            t = engine()
            if t.is_finished() or (first := t.next_item()) is None:
                break
            u = pool.block_of[pool.index[first]]
            pending = [first] + ([pool.ids[j] for j in t.queue] if u >= 0 else [])
            served += pending
        item_id = pending.pop(0)
        item = pool.items[pool.index[item_id]]
        answered.append((item, pool.sample_score(pool.index[item_id], theta, answer_rng)))
        t = engine()  # the answer's request
        states.append(json.dumps(t.state(), sort_keys=True))
        kept, kept_n = states[-1], len(answered)
        if not pending and t.is_finished():
            break
    res = engine().result()
    return served, states, {k: v.as_dict() for k, v in res["skills"].items()} | {
        "overall": res["overall"].as_dict(), "raw": (res["overall"].theta, res["overall"].sem)}


@pytest.mark.parametrize("seed", range(6))
def test_a_kept_state_gives_the_same_test_as_replaying_every_answer(seed):
    """The lean path (state kept with the session, one answer replayed onto it, exposure
    preferences given just before selection) chooses the same items and gives bit-for-bit
    the same estimates as replaying every stored answer, with testlets, blocks served
    whole, graded items and exposure control."""
    from item_bank.assembly import block_unit

    items = list(mixed_pool().items)
    units = []
    for blk in range(3):
        words = [PoolItem(f"w{blk}-{k}", "vocabulary", a=0.8, b=blk - 1.0, c=0.5, kind="yes_no",
                          testlet=f"block-yes_no-{blk}") for k in range(6)]
        items += words
        units.append(block_unit(f"block-yes_no-{blk}", words, 3, 0.3))
    items += [PoolItem(f"tx{t}-q{q}", "reading", a=1.2, b=float(t - 2) / 2 + q / 4, kind="text_q",
                       testlet=f"tx{t}") for t in range(4) for q in range(3)]
    pool = ItemPool(items + units)
    bp = Blueprint({"reading": 1.0, "vocabulary": 1.0, "structure": 1.0},
                   kinds={"vocabulary": {"": 0.3, "yes_no": 0.7}, "reading": {"": 0.3, "text_q": 0.7}})
    theta = float(np.random.default_rng(seed).normal(0, 1.2))
    replayed = _as_service_does(pool, bp, seed, theta, keep_state=False)
    lean = _as_service_does(pool, bp, seed, theta, keep_state=True)
    assert any(i.startswith("w") for i in replayed[0])  # a block was served
    assert any(i.startswith("tx") for i in replayed[0])  # and a text's questions
    assert lean[0] == replayed[0]  # the same items, in the same order
    assert lean[1] == replayed[1]  # the same state after every answer
    assert lean[2] == replayed[2]  # the same result, to the last bit


def test_a_state_is_taken_between_answers_only_and_restored_into_its_own_pool():
    pool = mixed_pool()
    t = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 5, None, False))
    t.next_item()
    with pytest.raises(ValueError):
        t.state()  # an item is pending
    fresh = AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(5, 5, None, False))
    state = fresh.state()
    other = AdaptiveTest(synthetic_pool(30, np.random.default_rng(1)), cuts=CUTS,
                         stopping=StoppingRule(5, 5, None, False))
    with pytest.raises(ValueError):
        other.restore(state)


def test_an_answer_waiting_for_its_score_is_set_aside_not_served_again_nor_estimated():
    """A written answer the scoring service could not score yet: the item is not served
    again, it counts toward the test's length and its skill's share (so the blueprint does
    not serve that skill again and again), and the estimate waits for its score."""
    pool = mixed_pool()
    blueprint = Blueprint({"reading": 0.4, "vocabulary": 0.3, "structure": 0.3})

    def engine():
        return AdaptiveTest(pool, cuts=CUTS, stopping=StoppingRule(20, 20, None, False),
                            rng=np.random.default_rng(3), blueprint=blueprint,
                            selector=Randomesque(1))

    rng = np.random.default_rng(4)
    t = engine()
    aside, scores = [], []
    while (item_id := t.next_item()) is not None:
        skill = pool.items[pool.index[item_id]].skill
        if skill == "structure":   # every structure answer waits for its score
            answered = [(pool.items[pool.index[i]], s) for i, s in scores]
            t = engine()   # as the service does: the stored answers replayed, then set aside
            t.replay(answered)
            aside.append(item_id)
            t.set_aside(aside)
            before = (t.overall.eap, t.overall.n, len(t.given))
            t.set_aside(aside)     # again: nothing changes
            assert (t.overall.eap, t.overall.n, len(t.given)) == before
            continue
        score = pool.sample_score(pool.index[item_id], 0.0, rng)
        t.record(item_id, score)
        scores.append((item_id, score))
    served = [pool.ids[i] for i in t.given]
    assert len(served) == len(set(served)) == 20          # none twice; the length holds
    assert sum(i in aside for i in served) == len(aside)
    assert 4 <= len(aside) <= 8                           # structure's share, not more
    assert t.overall.n == 20 - len(aside)                 # only scored answers are estimated
