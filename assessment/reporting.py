"""How sure a reported level is: the level, or the range of adjacent levels the test could not
tell apart.

An estimate carries the posterior probability of each CEFR level (``level_probabilities``)
and its ``certainty``, the probability of the reported level. Where that certainty is below
``REPORT_MASS`` (0.8), the level is reported as a range: the smallest run of adjacent levels
that contains the reported level and whose probabilities add up to at least ``REPORT_MASS``
("B1–B2"). Among runs of the same length the one holding more probability wins; the range's
``probability`` is that sum. Where the probabilities are unknown (results stored before they
were kept), the level stands alone with its certainty, if any.

A level capped at the highest one the item bank measures (``at_least``, "C1 or higher")
stays that one level: what lies above is already said by "or higher", and the range is
closed from below by the same rule (``low`` may then be lower than the reported level).
"""
from __future__ import annotations

from typing import Mapping

from .cefr import LEVELS

REPORT_MASS = 0.8


def level_range(estimate: Mapping, mass: float = REPORT_MASS) -> dict | None:
    """``{"low", "high", "probability", "at_least"}`` of an estimate (see the module docs);
    None when the estimate has no CEFR level."""
    level = estimate.get("cefr") if isinstance(estimate, Mapping) else None
    if level not in LEVELS:
        return None
    at_least = bool(estimate.get("at_least"))
    certainty = estimate.get("certainty")
    certainty = float(certainty) if isinstance(certainty, (int, float)) else None
    probs = estimate.get("level_probabilities")
    point = {"low": level, "high": level, "probability": certainty, "at_least": at_least}
    if not isinstance(probs, Mapping) or not probs:
        return point
    p = [max(float(probs.get(lvl, 0.0) or 0.0), 0.0) for lvl in LEVELS]
    top = LEVELS.index(level)
    if at_least:  # everything from the reported level up counts for it ("C1 or higher")
        p = p[:top] + [sum(p[top:])] + [0.0] * (len(LEVELS) - top - 1)
    if p[top] >= mass or (certainty is not None and certainty >= mass):
        return {**point, "probability": round(max(p[top], certainty or 0.0), 3)}
    hi_end = top + 1 if at_least else len(LEVELS)
    best: tuple[int, float, int, int] | None = None
    for lo in range(0, top + 1):
        for hi in range(top, hi_end):
            total = sum(p[lo:hi + 1])
            if total + 1e-9 < mass:
                continue
            key = (hi - lo, -total, lo, hi)
            if best is None or key < best:
                best = key
    if best is None:  # the probabilities do not add up to ``mass`` at all: every level
        lo, hi, total = 0, hi_end - 1, sum(p[:hi_end])
    else:
        _width, neg_total, lo, hi = best
        total = -neg_total
    return {"low": LEVELS[lo], "high": LEVELS[hi], "probability": round(min(total, 1.0), 3),
            "at_least": at_least}


def range_text(rng: Mapping | None) -> str:
    """"B1", "B1–B2", "C1+" (or higher): the range as the pages and credentials write it."""
    if not rng:
        return ""
    text = rng["low"] if rng["low"] == rng["high"] else f"{rng['low']}–{rng['high']}"
    return text + ("+" if rng.get("at_least") else "")
