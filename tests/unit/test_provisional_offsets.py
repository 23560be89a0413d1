"""How far `calibrate` moves the items still provisional (services.calibration)."""
import pytest


def test_provisional_offset_is_a_random_effects_mean():
    """Items differ from their targets by their own amounts (spread 0.5) around a common 0.3:
    the offset is near 0.3, and one very precise item does not decide it."""
    import numpy as np

    from services.calibration import provisional_offsets

    rng = np.random.default_rng(2)
    d = 0.3 + rng.normal(0, 0.5, 200) + rng.normal(0, 0.3, 200)
    pairs = {"multiple_choice": [(float(x), 0.3) for x in d] + [(-1.5, 0.01)],
             "cloze": [(0.2, 0.3)] * 3}
    out = provisional_offsets(pairs)
    assert out["multiple_choice"] == pytest.approx(0.3, abs=0.1)
    assert out["cloze"] == out["*"]            # too few cloze items: the mean over all kinds
    assert provisional_offsets({"cloze": [(0.2, 0.3)] * 3}) == {}


def test_kind_priors_estimate_the_spread_of_items_around_their_targets():
    """The between-item spread τ comes out near the true 0.5 although each estimate carries
    its own error (SE 0.3): the errors are not counted as spread."""
    import numpy as np

    from services.calibration import kind_priors

    rng = np.random.default_rng(5)
    d = 0.4 + rng.normal(0, 0.5, 400) + rng.normal(0, 0.3, 400)
    mean, tau2 = kind_priors({"cloze": [(float(x), 0.3) for x in d]})["cloze"]
    assert mean == pytest.approx(0.4, abs=0.08)
    assert np.sqrt(tau2) == pytest.approx(0.5, abs=0.08)


def test_shrink_weights_the_items_own_estimate_by_its_precision():
    from services.calibration import shrink

    # as precise as the prior: half way
    assert shrink(1.0, 0.5, 0.0, 0.25)[0] == pytest.approx(0.5)
    # a precise estimate hardly moves, a vague one stays near the prior
    assert shrink(1.0, 0.05, 0.0, 0.25)[0] == pytest.approx(1.0, abs=0.02)
    assert shrink(1.0, 3.0, 0.0, 0.25)[0] == pytest.approx(0.0, abs=0.03)
    # the posterior SD is below both
    assert shrink(1.0, 0.5, 0.0, 0.25)[1] == pytest.approx(0.125 ** 0.5)
    # no usable estimate: the prior
    assert shrink(float("nan"), 0.5, 0.3, 0.25) == pytest.approx((0.3, 0.5))
    assert shrink(1.0, float("nan"), 0.3, 0.25) == pytest.approx((0.3, 0.5))


def test_shrinkage_beats_both_the_target_and_the_raw_estimate():
    """Simulated items 0.5 logits (SD) around their targets plus a common offset, each
    estimated from few answers (SE 0.3–0.8): the empirical-Bayes estimates lie closer to
    the truth than the targets moved by the offset and than the raw estimates."""
    import numpy as np

    from services.calibration import kind_priors, shrink

    rng = np.random.default_rng(9)
    true = 0.5 + rng.normal(0, 0.5, 300)
    se = rng.uniform(0.3, 0.8, 300)
    raw = true + rng.normal(0, se)
    mean, tau2 = kind_priors({"k": list(zip((raw).tolist(), se.tolist()))})["k"]
    post = np.array([shrink(x, s, mean, tau2)[0] for x, s in zip(raw, se)])

    def rmse(v):
        return float(np.sqrt(np.mean((v - true) ** 2)))

    assert rmse(post) < 0.85 * rmse(np.full(300, mean))
    assert rmse(post) < 0.85 * rmse(raw)
