"""Item selection: maximum Fisher information with exposure control and content balancing.

* :class:`MaxInformation` takes the most informative eligible item at the estimate.
* :class:`Randomesque` draws at random among the ``k`` most informative ones
  (Kingsbury & Zara 1989), which caps how often any one item is shown.
* :class:`Blueprint` picks which skill the next item comes from: the skill furthest
  below its target share (Kingsbury & Zara's constrained CAT), among skills that still
  have an eligible item; then, within the skill, the kind furthest below its share among
  kinds with an eligible item, and maximum information within that kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .data import load_json
from .pool import ItemPool


@dataclass(frozen=True)
class Blueprint:
    """Target shares of the test by skill and, within a skill, by item kind.

    ``kinds`` maps a skill to its kinds' shares; a skill it leaves out has its items
    ranked by information alone. ``blocks`` says how items of a kind are grouped into
    blocks scored together (e.g. yes/no words: ``{"yes_no": {"size": 12,
    "testlet_sd": 0.3}}``); the item bank makes the blocks (``item_bank.assembly``).
    ``texts`` names the skills whose texts (testlets with a stimulus) have their questions
    scored together as one unit of kind ``"text"``, each with the SD of its person-by-text
    effect (e.g. ``{"reading": {"testlet_sd": 0.5}}``).
    """

    shares: dict[str, float]
    kinds: dict[str, dict[str, float]] = field(default_factory=dict)
    blocks: dict[str, dict] = field(default_factory=dict)
    version: str = ""
    # items every test has of a skill (when the bank has them), given by the test's minimum
    # length at the latest: a short test still has its writing task
    minimum: dict[str, int] = field(default_factory=dict)
    texts: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, path=None) -> "Blueprint":
        data = load_json("blueprint.json", path)
        shares = {k: float(v) for k, v in data["skills"].items()}
        kinds = {skill: {k: float(v) for k, v in by_kind.items()}
                 for skill, by_kind in data.get("kinds", {}).items()}
        for named in [shares, *kinds.values()]:
            if any(v < 0 for v in named.values()) or sum(named.values()) <= 0:
                raise ValueError("blueprint shares must be non-negative and not all zero")
        minimum = {k: int(v) for k, v in data.get("minimum", {}).items()}
        texts = {k: dict(v) for k, v in data.get("texts", {}).items()}
        if any(float(v.get("testlet_sd", 0.0)) < 0 for v in [*texts.values(), *data.get("blocks", {}).values()]):
            raise ValueError("blueprint testlet_sd values must not be negative")
        return cls(shares, kinds, dict(data.get("blocks", {})), str(data.get("version", "")), minimum,
                   texts)

    def next_skill(self, counts: dict[str, int], available: list[str],
                   items_left_before_minimum: int | None = None) -> str | None:
        """The available skill with the largest deficit against its target share; a skill
        still short of its ``minimum`` when no more items are left before the test's
        minimum length than such skills need."""
        if items_left_before_minimum is not None:
            short = [s for s in available if counts.get(s, 0) < self.minimum.get(s, 0)]
            need = sum(self.minimum[s] - counts.get(s, 0) for s in short)
            if short and items_left_before_minimum <= need:
                available = short
        ranked = _by_deficit(self.shares, counts, available)
        return ranked[0] if ranked else None

    def kinds_by_deficit(self, skill: str, counts: dict[str, int], available: list[str]) -> list[str]:
        """The skill's available kinds, the one furthest below its share first (kinds the
        blueprint gives no share come last, when nothing else is left). Empty when the
        blueprint does not divide the skill by kind."""
        targets = self.kinds.get(skill)
        if not targets:
            return []
        named = _by_deficit(targets, counts, [k for k in available if targets.get(k, 0.0) > 0])
        return named + sorted(k for k in available if targets.get(k, 0.0) <= 0)


def _by_deficit(shares: dict[str, float], counts: dict[str, int], available: list[str]) -> list[str]:
    """``available`` ordered by deficit against the target shares, largest first; ties go to
    the larger share, then to the order given (Kingsbury & Zara 1989)."""
    if not available:
        return []
    targets = {s: shares.get(s, 0.0) for s in available}
    total_target = sum(targets.values())
    if total_target <= 0:  # names the shares do not mention: share equally
        targets = {s: 1.0 for s in available}
        total_target = float(len(available))
    given = sum(counts.values())
    deficit = {s: targets[s] / total_target - (counts.get(s, 0) / given if given else 0.0)
               for s in available}
    order = {s: n for n, s in enumerate(available)}
    return sorted(available, key=lambda s: (-round(deficit[s], 12), -targets[s], order[s]))


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
                   k: int, kind: str | None = None) -> list[int]:
    """Up to ``k`` eligible items of one skill (of one ``kind`` when given), most
    informative at ``theta`` first.

    Reads the precomputed order at the nearest grid point in growing windows, so a step
    looks at a few dozen entries rather than the whole bank.
    """
    table = pool.order[skill_index] if kind is None else pool.kind_order.get((skill_index, kind))
    if table is None:
        return []
    order = table[pool.grid_index(theta)]
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
