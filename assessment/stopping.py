"""When to stop: SEM target, a 95 % interval inside one CEFR band, or the maximum length;
never before the minimum length."""
from __future__ import annotations

from dataclasses import dataclass

from .cefr import CutScores

Z95 = 1.959963984540054


@dataclass(frozen=True)
class StoppingRule:
    min_items: int = 10
    max_items: int = 30
    sem_target: float | None = 0.30
    cefr_band: bool = True

    def __post_init__(self):
        if self.min_items < 1 or self.max_items < self.min_items:
            raise ValueError("need 1 <= min_items <= max_items")

    def reason(self, n_items: int, theta: float, sem: float, cuts: CutScores) -> str | None:
        """Why the test should stop now, or ``None`` to go on."""
        if n_items >= self.max_items:
            return "max_items"
        if n_items < self.min_items:
            return None
        if self.sem_target is not None and sem <= self.sem_target:
            return "sem_target"
        if self.cefr_band and cuts.interval_in_one_band(theta - Z95 * sem, theta + Z95 * sem):
            return "cefr_band"
        return None
