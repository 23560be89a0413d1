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
