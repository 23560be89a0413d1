"""Seeded simulations of adaptive tests: precision, CEFR agreement, exposure, kinds and speed.

Simulees answer from *true* item parameters, which may differ from the engine's
(:func:`perturbed_truth`): provisional parameters are guesses from the CEFR target, and a
simulation where the engine knows the truth flatters it. The items of a block are answered
one by one from their own true parameters under a shared person-by-block effect, the
way the engine's block model assumes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .cefr import LEVELS, CutScores
from .engine import AdaptiveTest, Prior
from .pool import ItemPool
from .selection import Blueprint, restricted_eligibility
from .stopping import StoppingRule


@dataclass
class SimulationReport:
    examinees: int
    rmse: float
    bias: float
    mean_items: float
    cefr_exact: float
    cefr_adjacent: float
    max_exposure: float
    step_us_median: float
    step_us_p99: float
    bound_rmse: float
    # answers a test takes (each item of a block is one answer; a block is one scored item)
    mean_answers: float = 0.0
    max_items: int = 0
    # share of the scored items served per kind, and per skill/kind
    kind_share: dict[str, float] = field(default_factory=dict)
    skill_kind_share: dict[str, float] = field(default_factory=dict)
    stop_reasons: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        def rnd(v):
            if isinstance(v, float):
                return round(v, 4)
            if isinstance(v, dict):
                return {k: rnd(x) for k, x in v.items()}
            return v
        return {k: rnd(v) for k, v in self.__dict__.items()}


def perturbed_truth(pool: ItemPool, rng: np.random.Generator, *, b_sd: float = 0.0,
                    a_logsd: float = 0.0, shift: float = 0.0) -> ItemPool:
    """True parameters that differ from the engine's: each item's difficulty (all the
    thresholds of a graded item together) moves by N(0, ``b_sd``) + ``shift`` and its
    discrimination is multiplied by lognormal(0, ``a_logsd``); guessing stays. A positive
    ``shift`` makes every item harder than the engine believes."""
    items = []
    for it in pool.items:
        delta = float(rng.normal(0.0, b_sd)) + shift if b_sd > 0 else shift
        factor = float(np.exp(rng.normal(0.0, a_logsd))) if a_logsd > 0 else 1.0
        items.append(replace(it, a=it.a * factor, b=it.b + delta,
                             thresholds=tuple(t + delta for t in it.thresholds)))
    return ItemPool(items)


def parse_truth(spec: str) -> dict[str, float] | None:
    """``engine`` (None: the engine's parameters) or ``perturbed:b_sd=…,a_logsd=…,shift=…``."""
    if spec in ("", "engine"):
        return None
    name, _, rest = spec.partition(":")
    if name != "perturbed":
        raise ValueError("--truth must be 'engine' or 'perturbed:b_sd=…,a_logsd=…,shift=…'")
    out = {"b_sd": 0.0, "a_logsd": 0.0, "shift": 0.0}
    for part in filter(None, rest.split(",")):
        key, _, value = part.partition("=")
        if key.strip() not in out:
            raise ValueError(f"unknown truth parameter {key.strip()!r}: use b_sd, a_logsd, shift")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise ValueError(f"truth parameter {key.strip()} needs a number, got {value!r}") from None
    if out["b_sd"] < 0 or out["a_logsd"] < 0:
        raise ValueError("b_sd and a_logsd must not be negative")
    return out


def _share(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: counts[k] / total for k in sorted(counts)} if total else {}


def simulate(pool: ItemPool, *, examinees: int, stopping: StoppingRule, selector_factory: Callable,
             cuts: CutScores, blueprint: Blueprint | None = None, seed: int = 1,
             max_exposure_rate: float | None = None, truth: ItemPool | None = None,
             block_sd: dict[str, float] | None = None,
             progress: Callable[[int, int], None] | None = None) -> SimulationReport:
    """Run ``examinees`` simulees with theta ~ N(0, 1) through full adaptive tests.

    ``truth``: a pool with the same items in the same order whose parameters the simulees
    answer from (default: the engine's). ``block_sd``: by block id, the SD of the
    person-by-block effect under which a block's items are answered (default: none).

    ``bound_rmse`` is sqrt(mean(4 / (n * mean_a^2))) over simulees: the Fisher-information
    bound of a 2PL test of n items of the mean discrimination given, each at its most
    informative point (information a^2/4).
    """
    truth = truth or pool
    if truth.ids != pool.ids:
        raise ValueError("the true parameters must be given for the pool's items, in its order")
    block_sd = block_sd or {}
    rng = np.random.default_rng(seed)
    thetas = rng.normal(0.0, 1.0, examinees)
    estimates = np.empty(examinees)
    lengths = np.empty(examinees)
    answers = np.empty(examinees)
    bound_terms = np.empty(examinees)
    exact = adjacent = 0
    exposure = np.zeros(pool.size)
    steps_ns: list[int] = []
    kinds: dict[str, int] = {}
    skill_kinds: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for e, theta in enumerate(thetas):
        eligible = (restricted_eligibility(exposure, e, max_exposure_rate)
                    if max_exposure_rate is not None else None)
        test = AdaptiveTest(pool, cuts=cuts, stopping=stopping, selector=selector_factory(),
                            blueprint=blueprint, prior=Prior(), rng=rng, preferred=eligible)
        n_answers = 0
        effect: dict[int, float] = {}
        while True:
            t0 = time.perf_counter_ns()
            item_id = test.next_item()
            t1 = time.perf_counter_ns()
            if item_id is None:
                break
            i = pool.index[item_id]
            u = int(pool.block_of[i])
            if u >= 0 and u not in effect:
                sd = block_sd.get(pool.ids[u], 0.0)
                effect[u] = float(rng.normal(0.0, sd)) if sd > 0 else 0.0
            score = truth.sample_score(i, theta + effect.get(u, 0.0), rng)
            t2 = time.perf_counter_ns()
            test.record(item_id, score)
            t3 = time.perf_counter_ns()
            steps_ns.append((t1 - t0) + (t3 - t2))  # selection + estimate update, not the simulee
            exposure[i] += 1
            n_answers += 1
        est = test.overall.eap
        estimates[e] = est
        n = len(test.given)
        lengths[e] = n
        answers[e] = n_answers
        a_bar = pool.a[test.given].mean()
        bound_terms[e] = 4.0 / (n * a_bar * a_bar)
        for i in test.given:
            it = pool.items[i]
            kind = it.kind or "item"
            kinds[kind] = kinds.get(kind, 0) + 1
            skill_kinds[f"{it.skill}/{kind}"] = skill_kinds.get(f"{it.skill}/{kind}", 0) + 1
        reasons[test.stop_reason] = reasons.get(test.stop_reason, 0) + 1
        true_level, est_level = cuts.level_index(theta), cuts.level_index(est)
        exact += true_level == est_level
        adjacent += abs(true_level - est_level) <= 1
        if progress and (e + 1) % max(1, examinees // 20) == 0:
            progress(e + 1, examinees)
    err = estimates - thetas
    steps = np.array(steps_ns) / 1000.0
    return SimulationReport(
        examinees=examinees,
        rmse=float(np.sqrt(np.mean(err ** 2))),
        bias=float(np.mean(err)),
        mean_items=float(lengths.mean()),
        cefr_exact=exact / examinees,
        cefr_adjacent=adjacent / examinees,
        max_exposure=float(exposure.max() / examinees),
        step_us_median=float(np.median(steps)),
        step_us_p99=float(np.percentile(steps, 99)),
        bound_rmse=float(np.sqrt(bound_terms.mean())),
        mean_answers=float(answers.mean()),
        max_items=int(lengths.max()),
        kind_share=_share(kinds),
        skill_kind_share=_share(skill_kinds),
        stop_reasons=_share(reasons),
    )


__all__ = ["simulate", "SimulationReport", "perturbed_truth", "parse_truth", "LEVELS"]
