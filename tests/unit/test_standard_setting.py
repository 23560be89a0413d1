"""The bookmark method's arithmetic: RP 0.67 locations, cuts from bookmarks, medians and
spread across panelists, and the impact of a set of cuts on test takers' levels."""
from __future__ import annotations

import math

import numpy as np
import pytest

from assessment.cefr import LEVELS, CutScores
from assessment.irt import icc
from assessment.standard_setting import (bookmark_cut, expected_score_grm, impact_shares,
                                         merged_cuts, not_increasing, rp_location,
                                         rp_location_3pl, rp_location_grm, spread_pages,
                                         summarise)


def test_a_2pl_item_is_answered_with_probability_067_at_b_plus_ln2_over_a():
    # q = 0.67 → logit(0.67) = ln(0.67 / 0.33)
    theta = rp_location_3pl(1.5, 0.2)
    assert theta == pytest.approx(0.2 + math.log(0.67 / 0.33) / 1.5)
    assert float(icc(theta, 1.5, 0.2)) == pytest.approx(0.67)


@pytest.mark.parametrize("a,b,c", [(0.8, -2.25, 0.5), (1.2, 1.0, 0.25), (2.0, -0.3, 0.0)])
def test_a_3pl_item_at_its_rp_location_has_probability_067(a, b, c):
    theta = rp_location_3pl(a, b, c)
    assert float(icc(theta, a, b, c)) == pytest.approx(0.67, abs=1e-9)
    # the guessing floor moves the location: never below b with c < 0.67 and q > 0.5
    assert rp_location_3pl(a, b, c, rp=0.8) > theta


def test_an_item_guessed_right_with_067_or_more_has_no_location():
    assert rp_location_3pl(1.0, 0.0, c=0.67) is None
    assert rp_location_3pl(1.0, 0.0, c=0.7) is None
    with pytest.raises(ValueError):
        rp_location_3pl(1.0, 0.0, rp=1.0)


def test_a_graded_item_is_placed_where_its_expected_score_is_067_of_the_maximum():
    a, thresholds = 1.2, (-1.0, 0.5, 1.5)
    theta = rp_location_grm(a, thresholds)
    assert expected_score_grm(theta, a, thresholds) == pytest.approx(0.67 * 3, abs=1e-4)
    # harder thresholds, later location
    assert rp_location_grm(a, (0.0, 1.5, 2.5)) > theta
    assert rp_location({"model": "grm", "a": a, "thresholds": list(thresholds)}) == pytest.approx(theta)
    assert rp_location({"model": "3pl", "a": 1.0, "b": 0.0, "c": 0.0}) == pytest.approx(math.log(0.67 / 0.33))


def test_a_bookmark_cuts_at_the_location_of_the_page_before_it():
    locations = [-2.0, -1.2, -0.4, 0.3, 1.1]
    assert bookmark_cut(locations, 3) == -1.2   # masters pages 1-2, not page 3
    assert bookmark_cut(locations, 5) == 0.3
    assert bookmark_cut(locations, 1) == -2.0   # nothing easier in the booklet
    assert bookmark_cut(locations, 2) == -2.0
    for bad in (0, 6):
        with pytest.raises(ValueError, match="pages 1–5"):
            bookmark_cut(locations, bad)


def test_the_cut_is_the_median_of_the_panelists_and_the_spread_is_shown():
    s = summarise("B1", [-0.6, -0.2, -0.4, 0.4])
    assert s.median == pytest.approx(-0.3)
    assert s.sd == pytest.approx(float(np.std([-0.6, -0.2, -0.4, 0.4], ddof=1)))
    # quartiles by linear interpolation: -0.45 and -0.05
    assert (s.q1, s.q3, s.iqr) == pytest.approx((-0.45, -0.05, 0.4))
    assert (s.low, s.high, s.n) == (-0.6, 0.4, 4)
    one = summarise("A2", [1.0])
    assert one.sd is None and one.iqr == 0 and one.as_dict()["sd"] is None
    with pytest.raises(ValueError):
        summarise("A2", [])


def test_impact_counts_each_test_taker_at_the_level_their_theta_reaches():
    cuts = {"A2": -1.5, "B1": -0.5, "B2": 0.5, "C1": 1.4, "C2": 2.2}
    thetas = [-2.0, -1.5, -1.0, 0.0, 0.0, 0.6, 1.4, 3.0]
    shares = impact_shares(thetas, cuts)
    assert shares == pytest.approx({"A1": 1 / 8, "A2": 2 / 8, "B1": 2 / 8, "B2": 1 / 8,
                                    "C1": 1 / 8, "C2": 1 / 8})
    assert sum(shares.values()) == pytest.approx(1.0)
    # the same answer as the engine's levels
    engine = CutScores(cuts=tuple(cuts[lvl] for lvl in LEVELS[1:]))
    assert [LEVELS.index(engine.level(t)) for t in thetas] == [0, 1, 1, 2, 2, 3, 4, 5]
    # moving the B1 cut up moves people from B1 down to A2
    higher = impact_shares(thetas, {**cuts, "B1": 0.1})
    assert higher["A2"] == pytest.approx(4 / 8) and higher["B1"] == 0
    assert impact_shares([], cuts) == {lvl: 0.0 for lvl in LEVELS}


def test_crossing_cuts_still_give_shares_that_add_up():
    cuts = {"A2": -1.5, "B1": 0.6, "B2": 0.5, "C1": 1.4, "C2": 2.2}
    assert not_increasing(cuts) == [("B1", "B2")]
    shares = impact_shares([0.55, 0.7, -2.0], cuts)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["B2"] == pytest.approx(2 / 3) and shares["A1"] == pytest.approx(1 / 3)


def test_a_study_replaces_only_the_cuts_it_set():
    current = CutScores.load().as_dict()["cuts"]
    merged = merged_cuts(current, {"B1": -0.3, "B2": 0.7})
    assert merged == {**current, "B1": -0.3, "B2": 0.7}
    assert not_increasing(merged) == []
    back = CutScores.from_dict({"cuts": merged, "version": "v2"})
    assert back.cuts[1:3] == (-0.3, 0.7) and back.version == "v2"
    assert CutScores.from_dict(CutScores.load().as_dict()) == CutScores.load()


def test_a_long_bank_is_spread_over_the_booklet_from_easiest_to_hardest():
    assert spread_pages(5, 10) == [0, 1, 2, 3, 4]
    pages = spread_pages(101, 11)
    assert pages == list(range(0, 101, 10))
    assert len(spread_pages(750, 60)) == 60 and spread_pages(750, 60)[-1] == 749
    with pytest.raises(ValueError):
        spread_pages(10, 1)
