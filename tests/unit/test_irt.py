import numpy as np
import pytest

from assessment import irt


def numeric_fisher_3pl(theta, a, b, c, h=1e-5):
    p = irt.icc(theta, a, b, c)
    dp = (irt.icc(theta + h, a, b, c) - irt.icc(theta - h, a, b, c)) / (2 * h)
    return dp * dp / (p * (1 - p))


@pytest.mark.parametrize("a,b,c", [(1.0, 0.0, 0.0), (1.7, -0.8, 0.2), (0.6, 1.5, 0.33)])
def test_3pl_information_matches_the_fisher_definition(a, b, c):
    thetas = np.linspace(-3, 3, 13)
    assert np.allclose(irt.item_information(thetas, a, b, c), numeric_fisher_3pl(thetas, a, b, c),
                       rtol=1e-4)


def test_2pl_information_peaks_at_difficulty_with_a_squared_over_four():
    assert irt.item_information(0.7, 2.0, 0.7) == pytest.approx(1.0)
    assert irt.icc(0.7, 2.0, 0.7) == pytest.approx(0.5)


def test_guessing_sets_the_lower_asymptote():
    assert irt.icc(-10, 1.2, 0.0, 0.25) == pytest.approx(0.25, abs=1e-4)


def test_grm_category_probabilities_sum_to_one_and_shift_with_theta():
    probs = irt.grm_probabilities(np.array([-2.0, 0.0, 2.0]), 1.3, [-1.0, 0.0, 1.2])
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert probs[0].argmax() == 0 and probs[2].argmax() == 3


def test_grm_information_matches_the_fisher_definition():
    a, bs, h = 1.4, [-1.2, 0.1, 0.9], 1e-5
    for theta in (-1.5, 0.0, 0.8, 2.0):
        p = irt.grm_probabilities(theta, a, bs)[0]
        dp = (irt.grm_probabilities(theta + h, a, bs)[0] - irt.grm_probabilities(theta - h, a, bs)[0]) / (2 * h)
        assert irt.grm_information(theta, a, bs)[0] == pytest.approx((dp * dp / p).sum(), rel=1e-4)


def test_grm_with_one_threshold_is_the_2pl():
    theta = np.linspace(-2, 2, 9)
    assert np.allclose(irt.grm_information(theta, 1.1, [0.3]), irt.item_information(theta, 1.1, 0.3))
