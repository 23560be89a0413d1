import json

import numpy as np
import pytest

from assessment.cefr import LEVELS, CutScores
from assessment.estimation import Posterior


def test_cut_scores_come_from_the_data_file():
    cuts = CutScores.load()
    assert len(cuts.cuts) == 5 and list(cuts.cuts) == sorted(cuts.cuts)
    assert cuts.level(cuts.cuts[0] - 0.01) == "A1"
    assert cuts.level(cuts.cuts[0]) == "A2"
    assert cuts.level(10) == "C2"


def test_every_level_has_a_midpoint_inside_its_band():
    cuts = CutScores.load()
    for level in LEVELS:
        lo, hi = cuts.band(level)
        assert lo < cuts.midpoint(level) < hi
        assert cuts.level(cuts.midpoint(level)) == level


def test_level_probabilities_sum_to_one():
    post = Posterior(prior_mean=0.3, prior_sd=0.4)
    probs = CutScores.load().level_probabilities(post.grid, post.weights)
    assert probs.sum() == pytest.approx(1.0)
    assert LEVELS[int(np.argmax(probs))] == "B1"


def test_cut_scores_must_increase(tmp_path):
    path = tmp_path / "cuts.json"
    path.write_text(json.dumps({"cuts": {"A2": 0, "B1": -1, "B2": 1, "C1": 2, "C2": 3}}))
    with pytest.raises(ValueError, match="increase"):
        CutScores.load(path)
