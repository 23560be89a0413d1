"""The item pool as the engine sees it: parameters, skills and testlets as arrays.

Item information is tabulated once on a fine theta grid together with, per skill, the
items ordered by information at each grid point. Selecting the most informative eligible
item at an estimate then reads the order at the nearest grid point and skips items that
are used or ineligible, which costs O(k + skipped) instead of O(bank size) per step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import irt
from .estimation import DEFAULT_GRID

SELECTION_GRID = np.linspace(-4.0, 4.0, 161)


@dataclass(frozen=True)
class PoolItem:
    """One item's measurement properties.

    ``model`` is ``"3pl"`` (dichotomous; 2PL when ``c == 0``) or ``"grm"`` (scores
    ``0..len(thresholds)``). ``kind`` is the item kind the blueprint balances (empty: one
    kind). A *block* is a unit with ``members``: the items served together, one after the
    other, and scored as one, ``max(0, number right - score_floor)`` under the unit's
    graded response model (a yes/no block: hits - false alarms, with ``score_floor`` the
    number of pseudowords). Its members name the block as their ``testlet``; they are
    never selected alone, and the block counts as one item of the test's length.
    """

    id: str
    skill: str
    a: float
    b: float = 0.0
    c: float = 0.0
    model: str = "3pl"
    thresholds: tuple[float, ...] = ()
    testlet: str | None = None
    kind: str = ""
    members: tuple[str, ...] = ()
    score_floor: int = 0

    @property
    def max_score(self) -> int:
        return len(self.thresholds) if self.model == "grm" else 1


class ItemPool:
    def __init__(self, items: Sequence[PoolItem]):
        if not items:
            raise ValueError("the item pool is empty")
        self.items = list(items)
        self.ids = [it.id for it in self.items]
        self.index = {item_id: i for i, item_id in enumerate(self.ids)}
        if len(self.index) != len(self.ids):
            raise ValueError("item ids in a pool must be unique")
        self.size = len(self.items)
        self.a = np.array([it.a for it in self.items], dtype=float)
        self.b = np.array([it.b for it in self.items], dtype=float)
        self.c = np.array([it.c for it in self.items], dtype=float)
        self.skills = sorted({it.skill for it in self.items})
        self.skill_of = np.array([self.skills.index(it.skill) for it in self.items])
        # blocks: unit index by id, the unit each member belongs to (-1: none), members
        self.blocks: dict[str, int] = {}
        self.block_of = np.full(self.size, -1)
        self.members: dict[int, list[int]] = {}
        for u, it in enumerate(self.items):
            if not it.members:
                continue
            missing = [m for m in it.members if m not in self.index]
            if missing or it.model != "grm":
                raise ValueError(f"block {it.id} needs a graded model and its members in the "
                                 f"pool (missing: {missing})")
            self.blocks[it.id] = u
            self.members[u] = [self.index[m] for m in it.members]
            self.block_of[self.members[u]] = u
        self.selectable = self.block_of < 0
        self.testlets: dict[str, list[int]] = {}
        for i, it in enumerate(self.items):
            if it.testlet and self.selectable[i]:
                self.testlets.setdefault(it.testlet, []).append(i)
        self.testlet_size = np.array(
            [len(self.testlets[it.testlet]) if it.testlet and self.selectable[i] else 1
             for i, it in enumerate(self.items)])
        self.info_table = self._information_table(SELECTION_GRID)
        self._grid_lo = float(SELECTION_GRID[0])
        self._grid_inv_step = 1.0 / float(SELECTION_GRID[1] - SELECTION_GRID[0])
        self._grid_last = SELECTION_GRID.size - 1
        # likelihood of a right answer on the estimation grid, one row per dichotomous item
        self.estimation_grid = DEFAULT_GRID
        self._p_correct = np.clip(
            irt.icc(DEFAULT_GRID[None, :], self.a[:, None], self.b[:, None], self.c[:, None]),
            1e-12, 1.0 - 1e-12)
        self._p_wrong = 1.0 - self._p_correct
        # order[s][g] : indices of skill s's selectable items, most informative first, at
        # grid point g; kind_order[(s, kind)][g] the same within one kind
        self.order = []
        self.skill_kinds: list[list[str]] = []
        self.kind_order: dict[tuple[int, str], np.ndarray] = {}
        kinds = np.array([it.kind for it in self.items])
        for s in range(len(self.skills)):
            group = (self.skill_of == s) & self.selectable
            self.order.append(self._ranked(np.flatnonzero(group)))
            self.skill_kinds.append(sorted(set(kinds[group].tolist())))
            for kind in self.skill_kinds[s]:
                self.kind_order[(s, kind)] = self._ranked(np.flatnonzero(group & (kinds == kind)))

    def _ranked(self, members: np.ndarray) -> np.ndarray:
        ranked = np.argsort(-self.info_table[:, members], axis=1, kind="stable")
        return members[ranked].astype(np.int32)

    def with_blocks(self, preferred: np.ndarray) -> np.ndarray:
        """``preferred`` (a flag per item) with each block preferred only when all of its
        members are: a new array."""
        out = np.array(preferred, dtype=bool)
        for u, members in self.members.items():
            out[u] &= bool(out[members].all())
        return out

    def block_score(self, u: int, scores: list[int]) -> int:
        """The score of block ``u`` from its members' scores (0/1 each)."""
        return max(0, int(sum(scores)) - self.items[u].score_floor)

    def _information_table(self, grid: np.ndarray) -> np.ndarray:
        table = np.empty((grid.size, self.size), dtype=np.float32)
        dich = np.array([it.model == "3pl" for it in self.items])
        if dich.any():
            table[:, dich] = irt.item_information(grid[:, None], self.a[dich], self.b[dich], self.c[dich])
        for i in np.flatnonzero(~dich):
            it = self.items[i]
            table[:, i] = irt.grm_information(grid, it.a, it.thresholds)
        return table

    def grid_index(self, theta: float) -> int:
        pos = int((theta - self._grid_lo) * self._grid_inv_step + 0.5)
        return pos if 0 <= pos <= self._grid_last else (0 if pos < 0 else self._grid_last)

    def information(self, i: int, theta: float) -> float:
        it = self.items[i]
        if it.model == "grm":
            return float(irt.grm_information(theta, it.a, it.thresholds)[0])
        return float(irt.item_information(theta, it.a, it.b, it.c))

    def likelihood(self, i: int, score: int) -> np.ndarray:
        """Likelihood of ``score`` on item ``i`` at each point of the estimation grid."""
        it = self.items[i]
        if it.model == "3pl" and score in (0, 1):
            return self._p_correct[i] if score else self._p_wrong[i]
        return item_likelihood(it, score, self.estimation_grid)

    def sample_score(self, i: int, theta: float, rng: np.random.Generator) -> int:
        """Draw a simulated response of an examinee at ``theta``."""
        it = self.items[i]
        if it.model == "grm":
            p = irt.grm_probabilities(theta, it.a, it.thresholds)[0]
            return int(rng.choice(p.size, p=p / p.sum()))
        return int(rng.random() < irt.icc(theta, it.a, it.b, it.c))


def item_likelihood(it: PoolItem, score: int, grid: np.ndarray = DEFAULT_GRID) -> np.ndarray:
    """Likelihood of ``score`` on one item at each grid point, for items outside a pool."""
    if it.model == "grm":
        if not 0 <= score <= it.max_score:
            raise ValueError(f"score {score} out of range 0..{it.max_score} for item {it.id}")
        return irt.grm_probabilities(grid, it.a, it.thresholds)[:, score]
    if score not in (0, 1):
        raise ValueError(f"score {score} must be 0 or 1 for dichotomous item {it.id}")
    p = np.clip(irt.icc(grid, it.a, it.b, it.c), 1e-12, 1.0 - 1e-12)
    return p if score else 1.0 - p


def synthetic_pool(n: int, rng: np.random.Generator, skill: str = "general") -> ItemPool:
    """``n`` random 2PL items: a ~ lognormal(0, 0.3), b ~ N(0, 1.2)."""
    a = rng.lognormal(0.0, 0.3, n)
    b = rng.normal(0.0, 1.2, n)
    return ItemPool([PoolItem(id=f"syn-{i:05d}", skill=skill, a=float(a[i]), b=float(b[i]))
                     for i in range(n)])
