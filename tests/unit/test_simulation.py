import numpy as np
import pytest

from assessment.cefr import CutScores
from assessment.pool import synthetic_pool
from assessment.selection import MaxInformation, Randomesque
from assessment.simulation import parse_truth, perturbed_truth, simulate
from assessment.stopping import StoppingRule

FIXED_20 = StoppingRule(20, 20, None, False)


def test_adaptive_selection_beats_the_fixed_information_of_random_items_and_reports_all_figures():
    pool = synthetic_pool(1000, np.random.default_rng(11))
    report = simulate(pool, examinees=300, stopping=FIXED_20, selector_factory=MaxInformation,
                      cuts=CutScores.load(), seed=3)
    d = report.as_dict()
    assert set(d) >= {"rmse", "bias", "mean_items", "cefr_exact", "cefr_adjacent", "max_exposure",
                      "step_us_median", "step_us_p99", "bound_rmse"}
    assert d["mean_items"] == 20
    # random 20-item tests give ~0.46 (shared/notes); an adaptive test is near the bound
    assert d["rmse"] < 1.25 * d["bound_rmse"] < 0.35
    assert d["cefr_adjacent"] > 0.95


def test_exposure_control_caps_the_most_used_item():
    pool = synthetic_pool(1000, np.random.default_rng(11))
    common = dict(examinees=300, stopping=FIXED_20, cuts=CutScores.load(), seed=4)
    free = simulate(pool, selector_factory=MaxInformation, **common)
    capped = simulate(pool, selector_factory=lambda: Randomesque(2), max_exposure_rate=0.25, **common)
    assert free.max_exposure > 0.9  # the first item goes to everyone
    assert capped.max_exposure <= 0.26
    assert capped.rmse < free.rmse * 1.15


def test_simulation_is_reproducible_from_its_seed():
    pool = synthetic_pool(200, np.random.default_rng(1))
    a = simulate(pool, examinees=50, stopping=FIXED_20, selector_factory=lambda: Randomesque(2),
                 cuts=CutScores.load(), seed=9)
    b = simulate(pool, examinees=50, stopping=FIXED_20, selector_factory=lambda: Randomesque(2),
                 cuts=CutScores.load(), seed=9)
    assert a.rmse == b.rmse and a.max_exposure == b.max_exposure


@pytest.fixture(scope="module")
def seed_bank():
    """The seed bank assembled as the testing service assembles it."""
    from assessment.selection import Blueprint
    from item_bank.assembly import assemble
    from item_bank.content import load_content

    blueprint = Blueprint.load()
    _items, pool = assemble([i for i in load_content() if i.status == "live"], blueprint)
    return pool, blueprint


PRODUCTION = StoppingRule(15, 30, 0.3, True)


def test_every_kind_of_the_seed_bank_is_served(seed_bank):
    pool, blueprint = seed_bank
    report = simulate(pool, examinees=60, stopping=PRODUCTION, selector_factory=lambda: Randomesque(2),
                      cuts=CutScores.load(), blueprint=blueprint, seed=5, max_exposure_rate=0.25)
    kinds = {it.kind for it in pool.items}
    assert set(report.kind_share) == kinds  # writing tasks and yes/no blocks included
    assert all(share > 0.02 for share in report.kind_share.values())
    assert report.skill_kind_share["listening/text"] > 0.03
    assert report.skill_kind_share["reading/text"] > 0.05
    assert report.skill_kind_share["listening/dictation"] > 0.03
    assert sum(report.kind_share.values()) == pytest.approx(1.0)
    assert report.mean_answers > report.mean_items  # a block is one item of many answers


def test_items_harder_than_the_engine_believes_pull_the_estimates_down(seed_bank):
    pool, blueprint = seed_bank
    common = dict(examinees=80, stopping=StoppingRule(20, 20, None, False),
                  selector_factory=lambda: Randomesque(2), cuts=CutScores.load(),
                  blueprint=blueprint, seed=6)
    known = simulate(pool, **common)
    harder = simulate(pool, truth=perturbed_truth(pool, np.random.default_rng(1), shift=0.5), **common)
    easier = simulate(pool, truth=perturbed_truth(pool, np.random.default_rng(1), shift=-0.5), **common)
    assert harder.bias < known.bias - 0.25 and easier.bias > known.bias + 0.25
    noisy = simulate(pool, truth=perturbed_truth(pool, np.random.default_rng(1), b_sd=0.5,
                                                 a_logsd=0.3), **common)
    assert noisy.rmse > known.rmse


def test_a_seeded_run_with_a_perturbed_truth_is_reproducible(seed_bank):
    pool, blueprint = seed_bank

    def run():
        truth = perturbed_truth(pool, np.random.default_rng(3), b_sd=0.5, a_logsd=0.3, shift=0.5)
        return simulate(pool, examinees=30, stopping=PRODUCTION, selector_factory=lambda: Randomesque(2),
                        cuts=CutScores.load(), blueprint=blueprint, seed=8, truth=truth,
                        max_exposure_rate=0.25).as_dict()

    a, b = run(), run()
    for key in ("step_us_median", "step_us_p99"):
        a.pop(key), b.pop(key)
    assert a == b


def test_truth_specifications_are_parsed_or_refused_with_a_reason():
    assert parse_truth("engine") is None
    assert parse_truth("perturbed:b_sd=0.5,a_logsd=0.3,shift=0.5") == {"b_sd": 0.5, "a_logsd": 0.3,
                                                                      "shift": 0.5}
    with pytest.raises(ValueError, match="unknown truth parameter"):
        parse_truth("perturbed:bsd=1")
    with pytest.raises(ValueError, match="'engine' or 'perturbed"):
        parse_truth("oracle")
