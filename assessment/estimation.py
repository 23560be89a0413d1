"""Ability estimation on a quadrature grid: EAP (with the posterior SD as SEM), MAP and MLE.

The posterior is kept as log-densities on a fixed grid and updated incrementally: each
answer adds one item's log-likelihood vector, so an update costs O(grid) whatever the
test length (Bock & Mislevy 1982, *Adaptive EAP estimation of ability in a
microcomputer environment*).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_GRID = np.linspace(-4.0, 4.0, 81)


@dataclass
class Posterior:
    """Posterior of theta on a grid, starting from a normal prior.

    The density is kept unnormalised in the linear domain and rescaled after each update,
    so an update is one product, one sum and two dot products on the grid.
    """

    prior_mean: float = 0.0
    prior_sd: float = 1.0
    grid: np.ndarray = field(default_factory=lambda: DEFAULT_GRID)

    def __post_init__(self):
        z = (self.grid - self.prior_mean) / self.prior_sd
        self.log_prior = -0.5 * z * z
        self._grid2 = self.grid * self.grid
        self.density = np.exp(self.log_prior)
        self.density /= self.density.sum()
        self.n = 0
        self._refresh(1.0)

    def update(self, likelihood: np.ndarray) -> None:
        """Multiply in one answer's likelihood vector on the grid (not its logarithm)."""
        self.density *= likelihood
        total = self.density.sum()
        if not total > 0:
            raise FloatingPointError("posterior vanished: the answers are impossible under the model")
        self.n += 1
        self._refresh(total)

    def _refresh(self, total: float) -> None:
        self.density /= total
        mean = float(self.density @ self.grid)
        self.eap = mean
        self.sem = float(np.sqrt(max(float(self.density @ self._grid2) - mean * mean, 0.0)))

    @property
    def weights(self) -> np.ndarray:
        """Normalised posterior mass at each grid point."""
        return self.density

    def map(self) -> float:
        """Posterior mode, refined by a parabola through the best grid point and its neighbours."""
        with np.errstate(divide="ignore"):
            return _refined_argmax(self.grid, np.log(self.density))

    def mle(self) -> float:
        """Maximum-likelihood theta on the grid (refined); at the grid edge when all answers
        are right or all wrong, where the MLE does not exist."""
        with np.errstate(divide="ignore"):
            return _refined_argmax(self.grid, np.log(self.density) - self.log_prior)

    def estimate(self, method: str = "eap") -> float:
        if method == "eap":
            return self.eap
        if method == "map":
            return self.map()
        if method == "mle":
            return self.mle()
        raise ValueError(f"unknown estimation method {method!r}: use eap, map or mle")


def _refined_argmax(grid: np.ndarray, values: np.ndarray) -> float:
    i = int(np.argmax(values))
    if not np.isfinite(values[i - 1 if i > 0 else i]) or not np.isfinite(values[min(i + 1, len(values) - 1)]):
        return float(grid[i])
    if i == 0 or i == len(grid) - 1:
        return float(grid[i])
    y0, y1, y2 = values[i - 1], values[i], values[i + 1]
    denom = y0 - 2 * y1 + y2
    if denom >= 0:
        return float(grid[i])
    step = grid[1] - grid[0]
    return float(grid[i] + 0.5 * step * (y0 - y2) / denom)
