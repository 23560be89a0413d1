import itertools

import numpy as np
import pytest

from assessment import irt
from assessment.testlets import graded_approximation, number_right_distribution, sum_score_probabilities
from assessment.cefr import CutScores
from item_bank.model import initial_irt


def test_number_right_distribution_matches_counting_every_pattern():
    p = np.array([[0.2, 0.7, 0.5, 0.9]])
    brute = np.zeros(5)
    for pattern in itertools.product((0, 1), repeat=4):
        brute[sum(pattern)] += np.prod([q if x else 1 - q for q, x in zip(p[0], pattern)])
    assert number_right_distribution(p)[0] == pytest.approx(brute)


def test_a_floor_puts_chance_scores_at_zero_and_keeps_the_total():
    probs = sum_score_probabilities([-1.0, 0.0, 2.0], [0.8] * 6, [0.0] * 6, [0.5] * 6, 0.3, floor=3)
    assert probs.shape == (3, 4)
    assert probs.sum(axis=1) == pytest.approx(1.0)
    assert probs[0, 0] > probs[2, 0]  # guessing lands at zero more often at low ability


def test_graded_approximation_is_close_to_the_testlet_model():
    a, b, c = [1.0] * 10, np.linspace(-1.5, 1.5, 10), [0.0] * 10
    slope, thresholds = graded_approximation(a, b, c, 0.6)
    assert list(thresholds) == sorted(thresholds)
    grid = np.linspace(-2.5, 2.5, 21)
    target = sum_score_probabilities(grid, a, b, c, 0.6)
    fitted = irt.grm_probabilities(grid, slope, thresholds)
    # close where the unit is given (within the spread of its parts), looser in the far tails
    assert np.abs(target - fitted)[np.abs(grid) <= 1.5].max() < 0.02
    assert np.abs(target - fitted).max() < 0.05
    # the dependence between the parts costs information: a block is worth less than its
    # parts answered independently (where its parts are, not in the far tails), and more
    # than any one of them
    info = irt.grm_information(grid, slope, thresholds)
    independent = irt.item_information(grid[:, None], 1.0, b[None, :], 0.0).sum(axis=1)
    central = np.abs(grid) <= 1.5
    assert (info[central] < independent[central]).all()
    assert info.max() > 3 * irt.item_information(0.0, 1.0, 0.0)


def test_a_c_test_carries_more_information_than_a_cloze_item_of_its_level():
    cuts = CutScores.load()
    ctest, cloze = initial_irt("c_test", "B1", 2, cuts, 18), initial_irt("cloze", "B1", 2, cuts, 2)
    mid = cuts.midpoint("B1")
    assert irt.grm_information(mid, ctest.a, ctest.thresholds)[0] > \
        2 * irt.grm_information(mid, cloze.a, cloze.thresholds)[0]


def test_a_text_scored_together_keeps_most_of_the_information_its_questions_carry():
    """Four multiple-choice questions on one text (3 choices, a person-by-text effect of SD
    0.5): the graded model of their number right keeps at least two thirds of what the
    testlet model says the sum score carries, and less than the questions answered
    independently would (their dependence is real)."""
    a, b, c = [1.0] * 4, [0.0] * 4, [1 / 3] * 4
    grid = np.linspace(-3.0, 3.0, 241)
    slope, thresholds = graded_approximation(a, b, c, 0.5)
    probs = sum_score_probabilities(grid, a, b, c, 0.5)
    exact = (np.gradient(probs, grid, axis=0) ** 2 / probs).sum(axis=1)
    graded = irt.grm_information(grid, slope, thresholds)
    independent = 4 * irt.item_information(grid, 1.0, 0.0, 1 / 3)
    assert graded.max() > 2 / 3 * exact.max()
    assert exact.max() < independent.max()
