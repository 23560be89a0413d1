"""CEFR levels from theta: cut scores kept as data (``data/cefr_cuts.json``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import load_json

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


@dataclass(frozen=True)
class CutScores:
    """Lower theta bounds of each CEFR level above A1.

    ``floor`` and ``ceiling`` close the open ends of A1 and C2 so that every level has a
    midpoint (used as the initial difficulty of items targeted at it and as the prior mean
    from a self-assessment).
    """

    cuts: tuple[float, ...]  # lower bounds of A2..C2, increasing
    floor: float = -3.0
    ceiling: float = 3.0
    version: str = "unversioned"

    @classmethod
    def load(cls, path=None) -> "CutScores":
        """The shipped cut scores (``data/cefr_cuts.json``), or the file at ``path``."""
        return cls.from_dict(load_json("cefr_cuts.json", path))

    @classmethod
    def from_dict(cls, data: dict) -> "CutScores":
        """Cut scores in the shape of ``cefr_cuts.json`` (also how a published version of a
        standard-setting study is stored)."""
        cuts = tuple(float(data["cuts"][lvl]) for lvl in LEVELS[1:])
        if any(lo >= hi for lo, hi in zip(cuts, cuts[1:])):
            raise ValueError("CEFR cut scores must increase from A2 to C2")
        return cls(cuts=cuts, floor=float(data.get("floor", -3.0)),
                   ceiling=float(data.get("ceiling", 3.0)), version=str(data.get("version", "")))

    def as_dict(self) -> dict:
        """The shape of ``cefr_cuts.json``: ``CutScores.from_dict(c.as_dict()) == c``."""
        return {"version": self.version, "levels": list(LEVELS),
                "cuts": dict(zip(LEVELS[1:], self.cuts)), "floor": self.floor,
                "ceiling": self.ceiling}

    def level_index(self, theta: float) -> int:
        return int(np.searchsorted(self.cuts, theta, side="right"))

    def level(self, theta: float) -> str:
        return LEVELS[self.level_index(theta)]

    def band(self, level: str) -> tuple[float, float]:
        """Open interval ``(lower, upper)`` of a level on theta; infinite at the ends."""
        i = LEVELS.index(level)
        lo = -np.inf if i == 0 else self.cuts[i - 1]
        hi = np.inf if i == len(LEVELS) - 1 else self.cuts[i]
        return float(lo), float(hi)

    def midpoint(self, level: str) -> float:
        lo, hi = self.band(level)
        lo = self.floor if np.isinf(lo) else lo
        hi = self.ceiling if np.isinf(hi) else hi
        return (lo + hi) / 2.0

    def level_probabilities(self, grid: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Posterior mass of each level, from normalised ``weights`` on ``grid``."""
        idx = np.searchsorted(self.cuts, grid, side="right")
        return np.bincount(idx, weights=weights, minlength=len(LEVELS))

    def interval_in_one_band(self, low: float, high: float) -> bool:
        return self.level_index(low) == self.level_index(high)
