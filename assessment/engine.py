"""One adaptive test: ``next_item`` / ``record`` / ``is_finished`` / ``result``.

The engine keeps one posterior for the overall ability and one per skill (each from
that skill's answers only, under the skill's own prior), picks items by maximum
information at the overall estimate within the skill and kind the blueprint asks for,
serves a testlet's questions together, serves a block's items together and scores them
as one (see :class:`~assessment.pool.PoolItem`; a block of yes/no words, or a text whose
questions are scored together), and stops by the stopping rule. The test's length counts
scored units: an item, or a whole block.
"""
from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field

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
        self.prefer(preferred)
        self.overall = Posterior(self.prior.mean, self.prior.sd)
        if len(pool.skills) == 1 and not self.prior.skills:
            # one skill under the overall prior: its posterior is the overall one
            self.by_skill = {pool.skills[0]: self.overall}
        else:
            self.by_skill = {s: Posterior(self.prior.skills.get(s, self.prior.mean), self.prior.sd)
                             for s in pool.skills}
        self.left_per_skill = np.bincount(pool.skill_of[pool.selectable],
                                          minlength=len(pool.skills))
        self.counts = {s: 0 for s in pool.skills}
        self.kind_counts: dict[str, dict[str, int]] = {s: {} for s in pool.skills}
        self.given: list[int] = []  # scored units: items, and blocks once complete
        self.pending: int | None = None
        self.queue: list[int] = []  # rest of the current testlet or block
        self.open_block: int | None = None  # the block being answered
        self.block_answers: list[tuple[PoolItem, int]] = []  # its members answered so far
        self.stop_reason: str | None = None

    def prefer(self, preferred: np.ndarray | None, blocks_included: bool = False) -> None:
        """Exposure control's preferred items (None: all), as if given to the constructor:
        an unused item is eligible when it is preferred, a block when all of it is. It may
        be given late (after :meth:`replay` or :meth:`restore`, before selection), so a
        request that chooses no item never reads the exposure counts. ``blocks_included``:
        ``preferred`` already went through :meth:`ItemPool.with_blocks`."""
        if preferred is None:
            self.eligible = self.unused.copy()
        elif blocks_included:
            self.eligible = preferred & self.unused
        else:
            self.eligible = self.pool.with_blocks(preferred) & self.unused

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
            if i in self.pool.members:
                self._open_block(i)
                i = self.queue.pop(0)
            else:
                t = self.pool.items[i].testlet
                if t:
                    self.queue = [j for j in self.pool.testlets[t] if j != i and self.unused[j]]
        self._take(i)
        return self.pool.ids[i]

    def _open_block(self, u: int) -> None:
        self._use(u)
        self.open_block = u
        self.block_answers = []
        self.queue = [j for j in self.pool.members[u] if self.unused[j]]

    def _select(self) -> int | None:
        while True:
            available = [s for k, s in enumerate(self.pool.skills) if self.left_per_skill[k] > 0]
            skill = self.blueprint.next_skill(self.counts, available,
                                              self.stopping.min_items - len(self.given))
            if skill is None:
                return None
            k = self.pool.skills.index(skill)
            # kinds furthest below their share first (none: the skill's items by information)
            kinds = self.blueprint.kinds_by_deficit(skill, self.kind_counts[skill],
                                                    self.pool.skill_kinds[k]) or [None]
            # exposure-preferred items first; any unused item when none of those is left
            for mask in (self.eligible, self.unused):
                if self.pool.testlets:  # a testlet only if all of it fits in the test
                    remaining = self.stopping.max_items - len(self.given)
                    fitting = mask & (self.pool.testlet_size <= remaining)
                    mask = fitting if fitting.any() else mask
                for kind in kinds:
                    candidates = top_candidates(self.pool, k, self.overall.eap, mask,
                                                self.selector.k, kind)
                    if candidates:
                        return self.selector.choose(candidates, self.rng)
            self.left_per_skill[k] = 0  # nothing of this skill is left

    def _use(self, i: int) -> None:
        self.unused[i] = False
        self.eligible[i] = False
        if self.pool.selectable[i]:
            self.left_per_skill[self.pool.skill_of[i]] -= 1

    def _take(self, i: int) -> None:
        self._use(i)
        self.pending = i

    # -- recording -----------------------------------------------------------------
    def record(self, item_id: str, score: int) -> None:
        i = self.pool.index.get(item_id)
        if i is None:
            raise KeyError(f"item {item_id} is not in this pool")
        if i != self.pending:
            raise ValueError(f"item {item_id} was not the item served")
        self.pending = None
        if self.open_block is not None and self.pool.block_of[i] == self.open_block:
            self.block_answers.append((self.pool.items[i], int(score)))
            if not self.queue:
                self._close_block()
            return
        self._score(i, self.pool.items[i], self.pool.likelihood(i, int(score)))

    def _score(self, i: int, item: PoolItem, likelihood: np.ndarray) -> None:
        """One scored unit into the posteriors and the counts (``i``: its pool index, -1
        when it is not in this pool)."""
        self.overall.update(likelihood)
        if self.by_skill.get(item.skill, self.overall) is not self.overall:
            self.by_skill[item.skill].update(likelihood)
        self.counts[item.skill] = self.counts.get(item.skill, 0) + 1
        kind = self.pool.items[i].kind if i >= 0 else item.kind  # stored answers lack kinds
        by_kind = self.kind_counts.setdefault(item.skill, {})
        by_kind[kind] = by_kind.get(kind, 0) + 1
        self.given.append(i)

    def _close_block(self) -> None:
        """Score the open block as one. A block left unfinished (only when the bank changed
        under a session) has its answered items scored one by one instead."""
        u = self.open_block
        answers = self.block_answers
        self.open_block, self.block_answers = None, []
        members = [self.pool.items[j] for j in self.pool.members[u]]
        if [m.id for m, _ in answers] == [m.id for m in members]:
            score = self.pool.block_score(u, [s for _, s in answers])
            self._score(u, self.pool.items[u], self.pool.likelihood(u, score))
        else:
            for item, score in answers:
                self._score(self.pool.index.get(item.id, -1), item, item_likelihood(item, score))

    def replay(self, answered: list[tuple[PoolItem, int]], pending: str | None = None) -> None:
        """Rebuild the state from stored answers, in order, and a served, unanswered item.

        Each answer comes with the parameters the item had when it was given, so an
        estimate stays the same after an item is recalibrated or retired.
        """
        for item, score in answered:
            i = self.pool.index.get(item.id)
            u = -1 if i is None else int(self.pool.block_of[i])
            if self.open_block is not None and u != self.open_block:
                self._close_block()
            if u >= 0 and item.testlet == self.pool.ids[u]:  # a member of one of our blocks
                if self.open_block is None:
                    self._open_block(u)
                if self.unused[i]:
                    self._use(i)
                if i in self.queue:
                    self.queue.remove(i)
                self.block_answers.append((item, int(score)))
                if not self.queue:
                    self._close_block()
                continue
            if i is not None and self.unused[i]:
                self._use(i)
            if u >= 0 and self.unused[u]:  # a unit's part answered alone (stored before the
                self._use(u)               # unit was scored together): the unit is spent
            if i is not None and self.pool.items[i] == item:
                likelihood = self.pool.likelihood(i, int(score))
            else:
                likelihood = item_likelihood(item, int(score))
            self._score(i if i is not None else -1, item, likelihood)
        self.pending = None
        if answered and self.open_block is None:
            last = self.pool.index.get(answered[-1][0].id)
            t = self.pool.items[last].testlet if last is not None else None
            if t and t in self.pool.testlets:
                self.queue = [j for j in self.pool.testlets[t] if self.unused[j]]
        if pending is not None and pending in self.pool.index:
            i = self.pool.index[pending]
            u = int(self.pool.block_of[i])
            if u >= 0 and self.open_block != u:
                if self.open_block is not None:
                    self._close_block()
                self._open_block(u)
            if self.unused[i]:
                self._use(i)
            self.pending = i
            if i in self.queue:
                self.queue.remove(i)

    def set_aside(self, item_ids) -> None:
        """Items given whose answers wait for their scores (a written answer the scoring
        service could not score yet): never given again, and counted as given (the test's
        length, its skills' and kinds' shares), so that the test goes on as if they had
        been scored; only the estimate waits for their scores. Idempotent: an item already
        used is left as it is. A state kept after this must not be taken up once the
        scores come: the caller replays from the answers then."""
        for item_id in item_ids:
            i = self.pool.index.get(item_id)
            if i is None or not self.unused[i]:
                continue
            self._use(i)
            item = self.pool.items[i]
            self.counts[item.skill] = self.counts.get(item.skill, 0) + 1
            by_kind = self.kind_counts.setdefault(item.skill, {})
            by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
            self.given.append(i)

    # -- the state between answers ------------------------------------------------
    def state(self) -> dict:
        """What :meth:`replay` rebuilds from the stored answers, as JSON-able data, so that
        a service can keep it with a session and :meth:`restore` it instead of replaying
        every answer on every request.

        Taken between answers only: after :meth:`replay` (or :meth:`restore`), before
        :meth:`is_finished` or :meth:`next_item` run, which settle the stop reason and
        mark skills with nothing left. Item indices refer to this pool: a state is only
        valid for a pool with the same items in the same order. Posterior densities are
        kept as their float64 bytes, so a restored estimate is bit-for-bit the replayed one.
        """
        if self.pending is not None or self.stop_reason is not None:
            raise ValueError("the state is kept between answers, before selection")
        posteriors = {"": _posterior_state(self.overall)}
        posteriors |= {s: _posterior_state(p) for s, p in self.by_skill.items()
                       if p is not self.overall}
        return {"pool_size": self.pool.size,
                "used": [int(i) for i in np.flatnonzero(~self.unused)],
                "left_per_skill": [int(n) for n in self.left_per_skill],
                "counts": {s: int(n) for s, n in self.counts.items()},
                "kind_counts": {s: {k: int(n) for k, n in by_kind.items()}
                                for s, by_kind in self.kind_counts.items()},
                "given": [int(i) for i in self.given],
                "queue": [int(i) for i in self.queue],
                "open_block": None if self.open_block is None else int(self.open_block),
                "block_answers": [[asdict(item), int(score)] for item, score in self.block_answers],
                "posteriors": posteriors}

    def restore(self, state: dict) -> None:
        """Take up a :meth:`state` kept after earlier answers, in an engine made as the one
        that gave it (same pool, prior and cut scores; ``preferred`` may differ, as it
        would for a replay now). Afterwards the engine is as :meth:`replay` of the same
        answers leaves it, and later answers may be replayed onto it."""
        if state["pool_size"] != self.pool.size or self.given or self.overall.n:
            raise ValueError("a state is restored into a fresh engine of the same pool")
        self.unused[np.asarray(state["used"], dtype=int)] = False
        self.eligible &= self.unused  # replay marks each used item ineligible, nothing else
        self.left_per_skill = np.asarray(state["left_per_skill"], dtype=self.left_per_skill.dtype)
        self.counts = {s: int(n) for s, n in state["counts"].items()}
        self.kind_counts = {s: {k: int(n) for k, n in by_kind.items()}
                            for s, by_kind in state["kind_counts"].items()}
        self.given = [int(i) for i in state["given"]]
        self.queue = [int(i) for i in state["queue"]]
        self.open_block = state["open_block"]
        self.block_answers = [(_pool_item(item), int(score)) for item, score in state["block_answers"]]
        self.pending = None
        self.stop_reason = None
        posteriors = state["posteriors"]
        _restore_posterior(self.overall, posteriors[""])
        for s, p in self.by_skill.items():
            if p is not self.overall:
                _restore_posterior(p, posteriors[s])

    # -- stopping and results ------------------------------------------------------
    def is_finished(self) -> bool:
        if self.pending is not None:
            return False
        if self.stop_reason is not None:
            return True
        if self.open_block is not None:
            return False  # a block is never cut in the middle
        if self.queue and len(self.given) < self.stopping.max_items:
            return False  # a testlet is never cut in the middle
        certainty = None
        if self.stopping.level_certainty is not None:
            probs = self.cuts.level_probabilities(self.overall.grid, self.overall.weights)
            certainty = float(probs[self.cuts.level_index(self.overall.eap)])
        self.stop_reason = self.stopping.reason(len(self.given), self.overall.eap,
                                                self.overall.sem, self.cuts, certainty)
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


def _posterior_state(post: Posterior) -> dict:
    return {"density": base64.b64encode(np.asarray(post.density, dtype="<f8").tobytes()).decode(),
            "n": int(post.n), "eap": float(post.eap), "sem": float(post.sem)}


def _restore_posterior(post: Posterior, state: dict) -> None:
    density = np.frombuffer(base64.b64decode(state["density"]), dtype="<f8").astype(float)
    if density.shape != post.density.shape:
        raise ValueError("the kept posterior is on another grid")
    post.density = density
    post.n, post.eap, post.sem = int(state["n"]), float(state["eap"]), float(state["sem"])


def _pool_item(data: dict) -> PoolItem:
    return PoolItem(**{**data, "thresholds": tuple(data.get("thresholds", ())),
                       "members": tuple(data.get("members", ()))})
