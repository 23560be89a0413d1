"""The bookmark method of standard setting, as plain functions.

A panel sets each CEFR cut score on an *ordered item booklet*: items sorted by the ability
at which a person answers them correctly with the response probability ``rp`` (0.67,
Mitzel, Lewis, Patz & Green 2001; Huynh 2006 for the choice of 2/3). For each boundary
(e.g. A2/B1) a panelist places a bookmark on the page of the **first item a borderline
person at the higher level would NOT answer correctly with probability ``rp``**.

Convention for the cut (documented because the literature varies): the borderline person
masters every page before the bookmark and not the bookmarked one, so their θ lies in
``[location(page - 1), location(page))``. The cut is the lower end of that interval, the
RP location of the last mastered item (the page just before the bookmark): the least able
person who still masters everything before the bookmark. Implementations differ here (some
take the bookmarked page's own location, some the midpoint); this one never puts a
borderline person above an item they were judged not to master. A bookmark on the first
page has no item before it: its cut is the first page's own location (the booklet has
nothing easier).

Locations at ``rp``:

- 3PL/2PL: the θ where :math:`P(\\theta) = rp`, i.e.
  :math:`\\theta = b + \\ln\\frac{q}{1 - q} / a` with :math:`q = (rp - c) / (1 - c)`;
  an item whose guessing floor ``c`` is ``rp`` or more never has a location (every θ
  answers it with ``rp``) and stays out of the booklet.
- Graded items (Samejima's GRM, scores ``0..K``): one page per item, at the θ where the
  *expected score* reaches ``rp`` of the maximum, :math:`E[X \\mid \\theta] = rp \\cdot K`
  (found by bisection; the expected score increases with θ). The usual alternative gives
  each score point its own page; one page per item keeps the booklet as long as the
  test's item list.

The result of a round: per boundary, the median of the panelists' cuts, with the spread
(standard deviation, ``ddof=1``, and interquartile range) across panelists. Impact data:
the share of test takers whose θ each set of cuts puts at each level (a θ equal to a cut
belongs to the higher level, as :meth:`assessment.cefr.CutScores.level_index` has it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cefr import LEVELS
from .irt import grm_probabilities

RP = 0.67
THETA_RANGE = (-8.0, 8.0)


def rp_location_3pl(a: float, b: float, c: float = 0.0, rp: float = RP) -> float | None:
    """θ where a 3PL item is answered correctly with probability ``rp`` (None if never)."""
    if not 0.0 < rp < 1.0:
        raise ValueError("rp must be between 0 and 1")
    if a <= 0 or c >= rp:
        return None
    q = (rp - c) / (1.0 - c)
    return float(b + math.log(q / (1.0 - q)) / a)


def expected_score_grm(theta: float, a: float, thresholds) -> float:
    """Expected score :math:`\\sum_k k P_k(\\theta)` of a graded item."""
    probs = grm_probabilities(np.array([theta]), a, thresholds)[0]
    return float(np.dot(np.arange(probs.size), probs))


def rp_location_grm(a: float, thresholds, rp: float = RP, tol: float = 1e-6) -> float | None:
    """θ where the expected score of a graded item is ``rp`` of its maximum (bisection)."""
    if not 0.0 < rp < 1.0:
        raise ValueError("rp must be between 0 and 1")
    thresholds = tuple(float(t) for t in thresholds)
    if a <= 0 or not thresholds:
        return None
    target = rp * len(thresholds)
    lo, hi = THETA_RANGE
    if expected_score_grm(lo, a, thresholds) >= target or expected_score_grm(hi, a, thresholds) < target:
        return None
    while hi - lo > tol:
        mid = (lo + hi) / 2.0
        if expected_score_grm(mid, a, thresholds) < target:
            lo = mid
        else:
            hi = mid
    return float((lo + hi) / 2.0)


def rp_location(irt: dict, rp: float = RP) -> float | None:
    """The RP location of an item from its IRT parameters (``model`` 3pl or grm)."""
    if irt.get("model", "3pl") == "grm":
        return rp_location_grm(float(irt["a"]), irt.get("thresholds", ()), rp)
    return rp_location_3pl(float(irt["a"]), float(irt["b"]), float(irt.get("c", 0.0)), rp)


def spread_pages(n: int, pages: int) -> list[int]:
    """Indices of ``pages`` items out of ``n`` sorted ones, evenly spread from the easiest
    to the hardest (all of them when ``n <= pages``)."""
    if pages < 2:
        raise ValueError("a booklet needs at least two pages")
    if n <= pages:
        return list(range(n))
    return sorted({int(round(x)) for x in np.linspace(0, n - 1, pages)})


def bookmark_cut(locations, page: int) -> float:
    """The cut θ of a bookmark on ``page`` (1-based) of a booklet whose pages have the
    RP ``locations`` (increasing): the location of the page before the bookmark."""
    n = len(locations)
    if not 1 <= page <= n:
        raise ValueError(f"the booklet has pages 1–{n}, not {page}")
    return float(locations[max(page - 1, 1) - 1])


@dataclass(frozen=True)
class CutSummary:
    """One boundary's result across panelists."""

    boundary: str  # the higher level of the boundary: "B1" is the A2/B1 cut
    n: int
    median: float
    sd: float | None  # None with fewer than two panelists
    iqr: float
    q1: float
    q3: float
    low: float
    high: float

    def as_dict(self) -> dict:
        return {"boundary": self.boundary, "n": self.n, "median": round(self.median, 3),
                "sd": None if self.sd is None else round(self.sd, 3),
                "iqr": round(self.iqr, 3), "q1": round(self.q1, 3), "q3": round(self.q3, 3),
                "min": round(self.low, 3), "max": round(self.high, 3)}


def summarise(boundary: str, cuts) -> CutSummary:
    """Median, standard deviation (``ddof=1``) and interquartile range (linear
    interpolation, numpy's default) of the panelists' cuts of one boundary."""
    x = np.asarray(list(cuts), dtype=float)
    if x.size == 0:
        raise ValueError("no bookmarks for this boundary")
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    sd = float(np.std(x, ddof=1)) if x.size > 1 else None
    return CutSummary(boundary, int(x.size), float(med), sd, float(q3 - q1), float(q1),
                      float(q3), float(x.min()), float(x.max()))


def merged_cuts(current: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    """The lower bounds of A2..C2: the study's ``new`` cuts where it set them, the
    ``current`` ones elsewhere."""
    return {lvl: float(new.get(lvl, current[lvl])) for lvl in LEVELS[1:]}


def not_increasing(cuts: dict[str, float]) -> list[tuple[str, str]]:
    """Pairs of neighbouring levels whose cuts do not increase (lower level first)."""
    levels = LEVELS[1:]
    return [(lo, hi) for lo, hi in zip(levels, levels[1:]) if cuts[lo] >= cuts[hi]]


def impact_shares(thetas, cuts: dict[str, float]) -> dict[str, float]:
    """Share of ``thetas`` at each level A1..C2 under the lower bounds ``cuts`` (A2..C2).
    Empty ``thetas`` give zeros."""
    x = np.asarray(list(thetas), dtype=float)
    bounds = np.asarray([cuts[lvl] for lvl in LEVELS[1:]], dtype=float)
    if x.size == 0:
        return {lvl: 0.0 for lvl in LEVELS}
    if np.any(np.diff(bounds) <= 0):
        # crossing cuts: a person belongs to the highest level whose lower bound they reach
        idx = np.array([max([0] + [i + 1 for i, b in enumerate(bounds) if t >= b]) for t in x])
    else:
        idx = np.searchsorted(bounds, x, side="right")
    counts = np.bincount(idx, minlength=len(LEVELS))
    return {lvl: float(counts[i] / x.size) for i, lvl in enumerate(LEVELS)}


__all__ = ["RP", "rp_location", "rp_location_3pl", "rp_location_grm", "expected_score_grm",
           "spread_pages", "bookmark_cut", "CutSummary", "summarise", "merged_cuts",
           "not_increasing", "impact_shares"]
