"""When to stop: SEM target, a 95 % interval inside one CEFR band, a CEFR level that is
certain enough, or the maximum length; never before the minimum length.

The production rule is data (``data/stopping.json``, :meth:`StoppingRule.load`): the
testing service and ``taitotaso simulate --rule production`` read the same file.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .cefr import CutScores
from .data import load_json

Z95 = 1.959963984540054


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@dataclass(frozen=True)
class StoppingRule:
    """``min_items`` / ``max_items`` count scored units (an item, a block, a text).

    ``level_certainty``: stop once the probability that the estimated CEFR level is the
    right one reaches this value, under a normal posterior N(theta, sem²) (the
    confidence-interval classification rule of Kingsbury & Weiss 1983, stated as a
    probability; Eggen & Straetmans 2000). A test taker far from a cut score stops early;
    one near a cut score goes on until the SEM target or the maximum length.
    """

    min_items: int = 10
    max_items: int = 30
    sem_target: float | None = 0.30
    cefr_band: bool = True
    level_certainty: float | None = None

    def __post_init__(self):
        if self.min_items < 1 or self.max_items < self.min_items:
            raise ValueError("need 1 <= min_items <= max_items")
        if self.sem_target is not None and self.sem_target <= 0:
            raise ValueError("sem_target must be positive (or null: no SEM target)")
        if self.level_certainty is not None and not 0.5 <= self.level_certainty < 1.0:
            raise ValueError("level_certainty must be at least 0.5 and below 1 (or null)")

    @classmethod
    def load(cls, path=None) -> "StoppingRule":
        """The production rule (``data/stopping.json``), or the file at ``path``."""
        data = load_json("stopping.json", path)
        known = {"min_items", "max_items", "sem_target", "cefr_band", "level_certainty"}
        unknown = sorted(k for k in data if k not in known and not k.startswith("_") and k != "version")
        if unknown:
            raise ValueError(f"stopping rule: unknown setting(s) {unknown}; use {sorted(known)}")
        try:
            return cls(min_items=int(data["min_items"]), max_items=int(data["max_items"]),
                       sem_target=None if data.get("sem_target") is None else float(data["sem_target"]),
                       cefr_band=bool(data.get("cefr_band", False)),
                       level_certainty=(None if data.get("level_certainty") is None
                                        else float(data["level_certainty"])))
        except KeyError as err:
            raise ValueError(f"stopping rule: {err.args[0]} is missing") from None

    def reason(self, n_items: int, theta: float, sem: float, cuts: CutScores,
               certainty: float | None = None) -> str | None:
        """Why the test should stop now, or ``None`` to go on. ``certainty``: the posterior
        probability of the level of ``theta`` when the caller has the posterior (the
        engine does: the same figure the result reports); else the normal approximation."""
        if n_items >= self.max_items:
            return "max_items"
        if n_items < self.min_items:
            return None
        if self.sem_target is not None and sem <= self.sem_target:
            return "sem_target"
        if self.cefr_band and cuts.interval_in_one_band(theta - Z95 * sem, theta + Z95 * sem):
            return "cefr_band"
        if self.level_certainty is not None:
            if certainty is None:
                certainty = level_probability(theta, sem, cuts)
            if certainty >= self.level_certainty:
                return "level_certainty"
        return None


def level_probability(theta: float, sem: float, cuts: CutScores) -> float:
    """P(the level of ``theta`` is the true level) under N(theta, sem²)."""
    lo, hi = cuts.band(cuts.level(theta))
    if sem <= 0:
        return 1.0
    upper = 1.0 if math.isinf(hi) else _phi((hi - theta) / sem)
    lower = 0.0 if math.isinf(lo) else _phi((lo - theta) / sem)
    return upper - lower
