"""Quadratic weighted kappa of the validity report (services.validity)."""
import pytest

from services.validity import quadratic_weighted_kappa


def test_kappa_is_one_for_perfect_agreement_and_zero_for_chance():
    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3]) == pytest.approx(1.0)
    # the second rater says the same level whatever the first said: no agreement beyond chance
    assert quadratic_weighted_kappa([0, 1, 2, 3], [2, 2, 2, 2]) is None or \
        quadratic_weighted_kappa([0, 1, 2, 3], [2, 2, 2, 2]) == pytest.approx(0.0)


def test_kappa_by_hand():
    # 2x2 on levels 0 and 1 of 2 categories: observed [[2, 1], [0, 1]] / 4
    # expected = outer([3/4, 1/4], [1/2, 1/2]); weights (i - j)^2
    # kappa = 1 - (1/4) / (3/8 + 1/8) = 0.5
    assert quadratic_weighted_kappa([0, 0, 0, 1], [0, 0, 1, 1], categories=2) == pytest.approx(0.5)


def test_kappa_needs_two_ratings():
    assert quadratic_weighted_kappa([1], [1]) is None

