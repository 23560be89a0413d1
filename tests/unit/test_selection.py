import numpy as np
import pytest

from assessment import irt
from assessment.pool import ItemPool, PoolItem, synthetic_pool
from assessment.selection import Blueprint, Randomesque, restricted_eligibility, top_candidates


@pytest.fixture(scope="module")
def pool():
    return synthetic_pool(800, np.random.default_rng(3))


def test_top_candidate_is_the_most_informative_eligible_item(pool):
    rng = np.random.default_rng(0)
    for theta in rng.uniform(-3, 3, 25):
        eligible = rng.random(pool.size) > 0.3
        info = irt.item_information(theta, pool.a, pool.b, pool.c)
        best = int(np.argmax(np.where(eligible, info, -1)))
        got = top_candidates(pool, 0, theta, eligible, 1)[0]
        # the order is tabulated on a 0.05 grid: the pick is the best or within a hair of it
        assert info[got] >= info[best] * 0.995


def test_top_candidates_skip_ineligible_items_even_deep_in_the_order(pool):
    eligible = np.zeros(pool.size, dtype=bool)
    eligible[[5, 700]] = True
    assert sorted(top_candidates(pool, 0, 0.0, eligible, 5)) == [5, 700]


def test_randomesque_picks_among_its_candidates_only():
    rng = np.random.default_rng(1)
    picks = {Randomesque(3).choose([7, 8, 9], rng) for _ in range(200)}
    assert picks == {7, 8, 9}


def test_blueprint_takes_the_skill_furthest_below_its_share():
    bp = Blueprint({"reading": 0.5, "vocabulary": 0.25, "structure": 0.25})
    assert bp.next_skill({"reading": 0, "vocabulary": 0, "structure": 0}, ["reading", "vocabulary", "structure"]) == "reading"
    assert bp.next_skill({"reading": 2, "vocabulary": 1, "structure": 0}, ["reading", "vocabulary", "structure"]) == "structure"
    assert bp.next_skill({"reading": 0}, ["vocabulary"]) == "vocabulary"
    assert bp.next_skill({}, []) is None


def test_blueprint_file_is_valid():
    bp = Blueprint.load()
    assert set(bp.shares) == {"reading", "listening", "vocabulary", "structure", "writing"}
    assert sum(bp.shares.values()) == pytest.approx(1.0)


def test_restricted_eligibility_leaves_out_overexposed_items():
    counts = np.array([0, 10, 30, 24])
    assert restricted_eligibility(counts, 100, 0.25).tolist() == [True, True, False, True]
    assert restricted_eligibility(counts, 0, 0.25).all()


def test_pool_refuses_duplicate_ids():
    with pytest.raises(ValueError, match="unique"):
        ItemPool([PoolItem("x", "reading", 1.0), PoolItem("x", "reading", 1.0)])


def test_blueprint_file_gives_every_skill_its_kinds():
    bp = Blueprint.load()
    assert set(bp.kinds) == set(bp.shares)
    for shares in bp.kinds.values():
        assert sum(shares.values()) == pytest.approx(1.0)
    assert bp.kinds["listening"]["text"] > 0 and bp.kinds["vocabulary"]["yes_no"] > 0
    assert bp.blocks["yes_no"]["size"] >= 10 and bp.version
    # reading texts and listening recordings have their questions scored together
    assert set(bp.texts) == {"reading", "listening"}
    assert all(t["testlet_sd"] > 0 for t in bp.texts.values())


def test_kinds_come_furthest_below_their_share_first():
    bp = Blueprint({"structure": 1.0}, kinds={"structure": {"cloze": 0.5, "c_test": 0.3, "sentence_building": 0.2}})
    kinds = ["c_test", "cloze", "multiple_choice", "sentence_building"]
    assert bp.kinds_by_deficit("structure", {}, kinds) == ["cloze", "c_test", "sentence_building",
                                                           "multiple_choice"]
    assert bp.kinds_by_deficit("structure", {"cloze": 2, "c_test": 0, "sentence_building": 1},
                               kinds)[0] == "c_test"
    assert bp.kinds_by_deficit("reading", {}, ["multiple_choice"]) == []  # no kinds: by information


def test_top_candidates_of_one_kind():
    items = [PoolItem(f"a{i}", "structure", a=2.0, b=0.0, kind="cloze") for i in range(3)]
    items += [PoolItem(f"b{i}", "structure", a=0.5, b=0.0, kind="c_test") for i in range(3)]
    pool = ItemPool(items)
    eligible = np.ones(pool.size, dtype=bool)
    assert {pool.ids[i] for i in top_candidates(pool, 0, 0.0, eligible, 2, "c_test")} <= {"b0", "b1", "b2"}
    assert top_candidates(pool, 0, 0.0, eligible, 2, "dictation") == []


def test_a_skill_short_of_its_minimum_comes_before_the_minimum_length():
    bp = Blueprint({"reading": 0.9, "writing": 0.1}, minimum={"writing": 1})
    skills = ["reading", "writing"]
    assert bp.next_skill({}, skills, items_left_before_minimum=5) == "reading"
    assert bp.next_skill({"reading": 13}, skills, items_left_before_minimum=1) == "writing"
    assert bp.next_skill({"reading": 13, "writing": 2}, skills, items_left_before_minimum=0) == "reading"
    assert bp.next_skill({"reading": 13}, ["reading"], items_left_before_minimum=1) == "reading"
