"""Agreement of two ratings on an ordinal scale (e.g. the machine's CEFR level and a coach's)."""
from __future__ import annotations

import numpy as np

from .cefr import LEVELS


def quadratic_weighted_kappa(a: list[int], b: list[int], categories: int = len(LEVELS)) -> float | None:
    """Cohen's (1968) weighted kappa with quadratic weights of two ratings on 0..categories-1;
    None when it is undefined (fewer than two ratings, or no spread in the expected table)."""
    if len(a) < 2:
        return None
    observed = np.zeros((categories, categories))
    for x, y in zip(a, b):
        observed[x, y] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    idx = np.arange(categories)
    weights = (idx[:, None] - idx[None, :]) ** 2 / (categories - 1) ** 2
    denominator = float((weights * expected).sum())
    if denominator == 0:
        return None
    return 1.0 - float((weights * observed).sum()) / denominator
