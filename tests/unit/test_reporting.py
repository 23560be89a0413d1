"""Levels reported with how sure they are: one level, or the adjacent levels the test could
not tell apart (assessment.reporting)."""
from assessment.reporting import level_range, range_text


def est(cefr, certainty, probs, at_least=False):
    return {"cefr": cefr, "certainty": certainty, "level_probabilities": probs, "at_least": at_least}


def test_a_level_with_certainty_of_at_least_0_8_stands_alone():
    r = level_range(est("B1", 0.86, {"A2": 0.1, "B1": 0.86, "B2": 0.04}))
    assert (r["low"], r["high"], r["probability"], range_text(r)) == ("B1", "B1", 0.86, "B1")


def test_the_smallest_run_of_adjacent_levels_holding_0_8_is_the_range():
    r = level_range(est("B2", 0.42, {"A2": 0.02, "B1": 0.4, "B2": 0.42, "C1": 0.16}))
    assert range_text(r) == "B1–B2" and r["probability"] == 0.82
    # the same width: the run holding more probability wins
    r = level_range(est("B1", 0.5, {"A2": 0.31, "B1": 0.5, "B2": 0.19}))
    assert range_text(r) == "A2–B1" and r["probability"] == 0.81
    # three levels where two are not enough
    r = level_range(est("B1", 0.4, {"A2": 0.25, "B1": 0.4, "B2": 0.25, "C1": 0.1}))
    assert range_text(r) == "A2–B2" and r["probability"] == 0.9


def test_the_range_always_holds_the_reported_level():
    r = level_range(est("B1", 0.3, {"A1": 0.45, "A2": 0.2, "B1": 0.3, "B2": 0.05}))
    assert range_text(r) == "A1–B1"


def test_a_capped_level_keeps_or_higher_and_counts_what_is_above_it():
    r = level_range(est("C1", 0.7, {"B2": 0.1, "C1": 0.5, "C2": 0.4}, at_least=True))
    assert range_text(r) == "C1+" and r["probability"] == 0.9
    r = level_range(est("C1", 0.6, {"B2": 0.4, "C1": 0.3, "C2": 0.3}, at_least=True))
    assert range_text(r) == "B2–C1+"


def test_results_without_probabilities_show_the_level_and_its_certainty():
    r = level_range({"cefr": "A2", "certainty": 0.55})
    assert range_text(r) == "A2" and r["probability"] == 0.55
    assert level_range({"cefr": "X"}) is None and range_text(None) == ""
