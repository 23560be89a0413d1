"""One adaptive test: ``next_item`` / ``record`` / ``is_finished`` / ``result``.

The engine keeps one posterior for the overall ability and one per skill (each from
that skill's answers only, under the skill's own prior), picks items by maximum
information at the overall estimate within the skill the blueprint asks for, serves a
testlet's questions together, and stops by the stopping rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cefr import LEVELS, CutScores
from .estimation import Posterior
from .pool import ItemPool, PoolItem, item_likelihood
from .selection import Blueprint, MaxInformation, top_candidates
from .stopping import StoppingRule


@dataclass(frozen=True)
class Prior:
    """Normal priors: overall and per skill (skills not named use the overall one)."""

    mean: float = 0.0
    sd: float = 1.0
    skills: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_self_assessment(cls, levels: dict[str, str] | None, cuts: CutScores,
                             sd: float = 1.0) -> "Prior":
        """Prior means at the midpoints of the self-assessed levels (DIALANG's approach:
        the self-assessment places the start of the test)."""
        if not levels:
            return cls(0.0, sd)
        unknown = [lvl for lvl in levels.values() if lvl not in LEVELS]
        if unknown:
            raise ValueError(f"unknown CEFR level(s) in self-assessment: {unknown}")
        means = {skill: cuts.midpoint(level) for skill, level in levels.items()}
        return cls(float(np.mean(list(means.values()))), sd, means)


@dataclass
class Estimate:
    theta: float
    sem: float
    cefr: str
    certainty: float  # posterior probability that the level is right
    n_items: int
    level_probabilities: dict[str, float]

    def as_dict(self) -> dict:
        return {"theta": round(self.theta, 3), "sem": round(self.sem, 3), "cefr": self.cefr,
                "certainty": round(self.certainty, 3), "n_items": self.n_items,
                "level_probabilities": {k: round(v, 3) for k, v in self.level_probabilities.items()}}


class AdaptiveTest:
    def __init__(self, pool: ItemPool, *, cuts: CutScores, stopping: StoppingRule,
                 selector=None, blueprint: Blueprint | None = None, prior: Prior | None = None,
                 rng: np.random.Generator | None = None, preferred: np.ndarray | None = None):
        self.pool = pool
        self.cuts = cuts
        self.stopping = stopping
        self.selector = selector or MaxInformation()
        self.blueprint = blueprint or Blueprint({s: 1.0 for s in pool.skills})
        self.prior = prior or Prior()
        self.rng = rng or np.random.default_rng()
        # unused: never given in this test; eligible: unused and preferred by exposure control
        self.unused = np.ones(pool.size, dtype=bool)
        self.eligible = self.unused.copy() if preferred is None else preferred.copy()
        self.overall = Posterior(self.prior.mean, self.prior.sd)
        if len(pool.skills) == 1 and not self.prior.skills:
            # one skill under the overall prior: its posterior is the overall one
            self.by_skill = {pool.skills[0]: self.overall}
        else:
            self.by_skill = {s: Posterior(self.prior.skills.get(s, self.prior.mean), self.prior.sd)
                             for s in pool.skills}
        self.left_per_skill = np.bincount(pool.skill_of, minlength=len(pool.skills))
        self.counts = {s: 0 for s in pool.skills}
        self.given: list[int] = []
        self.pending: int | None = None
        self.queue: list[int] = []  # rest of the current testlet
        self.stop_reason: str | None = None

    # -- selection -----------------------------------------------------------------
    def next_item(self) -> str | None:
        """Id of the item to give next (the same one until it is recorded), or ``None`` when
        the test is over."""
        if self.pending is not None:
            return self.pool.ids[self.pending]
        if self.is_finished():
            return None
        if self.queue:
            i = self.queue.pop(0)
        else:
            i = self._select()
            if i is None:
                self.stop_reason = "bank_exhausted"
                return None
            t = self.pool.items[i].testlet
            if t:
                self.queue = [j for j in self.pool.testlets[t] if j != i and self.unused[j]]
        self._take(i)
        return self.pool.ids[i]

    def _select(self) -> int | None:
        while True:
            available = [s for k, s in enumerate(self.pool.skills) if self.left_per_skill[k] > 0]
            skill = self.blueprint.next_skill(self.counts, available)
            if skill is None:
                return None
            k = self.pool.skills.index(skill)
            # exposure-preferred items first; any unused item when none of those is left
            for mask in (self.eligible, self.unused):
                if self.pool.testlets:  # a testlet only if all of it fits in the test
                    remaining = self.stopping.max_items - len(self.given)
                    fitting = mask & (self.pool.testlet_size <= remaining)
                    mask = fitting if fitting.any() else mask
                candidates = top_candidates(self.pool, k, self.overall.eap, mask, self.selector.k)
                if candidates:
                    return self.selector.choose(candidates, self.rng)
            self.left_per_skill[k] = 0  # nothing of this skill is left

    def _take(self, i: int) -> None:
        self.unused[i] = False
        self.eligible[i] = False
        self.left_per_skill[self.pool.skill_of[i]] -= 1
        self.pending = i

    # -- recording -----------------------------------------------------------------
    def record(self, item_id: str, score: int) -> None:
        i = self.pool.index.get(item_id)
        if i is None:
            raise KeyError(f"item {item_id} is not in this pool")
        if i != self.pending:
            raise ValueError(f"item {item_id} was not the item served")
        ll = self.pool.likelihood(i, int(score))
        self.overall.update(ll)
        skill = self.pool.items[i].skill
        if self.by_skill[skill] is not self.overall:
            self.by_skill[skill].update(ll)
        self.counts[skill] += 1
        self.given.append(i)
        self.pending = None

    def replay(self, answered: list[tuple[PoolItem, int]], pending: str | None = None) -> None:
        """Rebuild the state from stored answers, in order, and a served, unanswered item.

        Each answer comes with the parameters the item had when it was given, so an
        estimate stays the same after an item is recalibrated or retired.
        """
        for item, score in answered:
            i = self.pool.index.get(item.id)
            if i is not None and self.unused[i]:
                self._take(i)
            if i is not None and self.pool.items[i] == item:
                likelihood = self.pool.likelihood(i, int(score))
            else:
                likelihood = item_likelihood(item, int(score))
            self.overall.update(likelihood)
            if self.by_skill.get(item.skill, self.overall) is not self.overall:
                self.by_skill[item.skill].update(likelihood)
            self.counts[item.skill] = self.counts.get(item.skill, 0) + 1
            self.given.append(i if i is not None else -1)
        self.pending = None
        if answered:
            last = self.pool.index.get(answered[-1][0].id)
            t = self.pool.items[last].testlet if last is not None else None
            if t:
                self.queue = [j for j in self.pool.testlets[t] if self.unused[j]]
        if pending is not None and pending in self.pool.index:
            i = self.pool.index[pending]
            if self.unused[i]:
                self._take(i)
            self.pending = i
            if i in self.queue:
                self.queue.remove(i)

    # -- stopping and results ------------------------------------------------------
    def is_finished(self) -> bool:
        if self.pending is not None:
            return False
        if self.stop_reason is not None:
            return True
        if self.queue and len(self.given) < self.stopping.max_items:
            return False  # a testlet is never cut in the middle
        self.stop_reason = self.stopping.reason(len(self.given), self.overall.eap,
                                                self.overall.sem, self.cuts)
        return self.stop_reason is not None

    def _estimate(self, post: Posterior) -> Estimate:
        probs = self.cuts.level_probabilities(post.grid, post.weights)
        level = self.cuts.level(post.eap)
        return Estimate(post.eap, post.sem, level, float(probs[LEVELS.index(level)]), post.n,
                        dict(zip(LEVELS, map(float, probs))))

    def result(self) -> dict:
        return {
            "overall": self._estimate(self.overall),
            "skills": {s: self._estimate(p) for s, p in self.by_skill.items() if p.n > 0},
            "n_items": len(self.given),
            "stop_reason": self.stop_reason,
        }
