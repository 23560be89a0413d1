"""Item selection: maximum Fisher information with exposure control and content balancing.

* :class:`MaxInformation` takes the most informative eligible item at the estimate.
* :class:`Randomesque` draws at random among the ``k`` most informative ones
  (Kingsbury & Zara 1989), which caps how often any one item is shown.
* :class:`Blueprint` picks which skill the next item comes from: the skill furthest
  below its target share (Kingsbury & Zara's constrained CAT), among skills that still
  have an eligible item.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import load_json
from .pool import ItemPool


@dataclass(frozen=True)
class Blueprint:
    shares: dict[str, float]

    @classmethod
    def load(cls, path=None) -> "Blueprint":
        shares = {k: float(v) for k, v in load_json("blueprint.json", path)["skills"].items()}
        if any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
            raise ValueError("blueprint shares must be non-negative and not all zero")
        return cls(shares)

    def next_skill(self, counts: dict[str, int], available: list[str]) -> str | None:
        """The available skill with the largest deficit against its target share."""
        if not available:
            return None
        targets = {s: self.shares.get(s, 0.0) for s in available}
        total_target = sum(targets.values())
        if total_target <= 0:  # bank skills the blueprint does not name: share equally
            targets = {s: 1.0 for s in available}
            total_target = float(len(available))
        given = sum(counts.values())
        best, best_deficit = None, -np.inf
        for s in available:
            want = targets[s] / total_target
            have = counts.get(s, 0) / given if given else 0.0
            deficit = want - have
            if deficit > best_deficit + 1e-12:
                best, best_deficit = s, deficit
        return best


class MaxInformation:
    """The most informative eligible item (no exposure control)."""

    k = 1

    def choose(self, candidates: list[int], rng: np.random.Generator) -> int:
        return candidates[0]


class Randomesque(MaxInformation):
    """A random one of the ``k`` most informative eligible items."""

    def __init__(self, k: int = 5):
        if k < 1:
            raise ValueError("randomesque k must be at least 1")
        self.k = k

    def choose(self, candidates: list[int], rng: np.random.Generator) -> int:
        return candidates[int(rng.random() * len(candidates))]


def top_candidates(pool: ItemPool, skill_index: int, theta: float, eligible: np.ndarray,
                   k: int) -> list[int]:
    """Up to ``k`` eligible items of one skill, most informative at ``theta`` first.

    Reads the precomputed order at the nearest grid point in growing windows, so a step
    looks at a few dozen entries rather than the whole bank.
    """
    order = pool.order[skill_index][pool.grid_index(theta)]
    window = 32
    start = 0
    found: list[int] = []
    while start < order.size:
        chunk = order[start:start + window]
        hits = chunk[eligible[chunk]]
        found.extend(hits[:k - len(found)].tolist())
        if len(found) >= k:
            break
        start += window
        window *= 4
    return found


def restricted_eligibility(exposure_counts: np.ndarray, tests_started: int,
                           max_rate: float) -> np.ndarray:
    """Items whose exposure rate so far is below ``max_rate`` (the restricted
    maximum-information method of Revuelta & Ponsoda 1998): an item shown to more than
    that share of the tests started is left out until the rate falls again. Together
    with :class:`Randomesque` it bounds how often any item is seen, which matters when
    a few very discriminating items would otherwise go to everyone."""
    if tests_started <= 0:
        return np.ones(exposure_counts.size, dtype=bool)
    return exposure_counts < max_rate * tests_started
