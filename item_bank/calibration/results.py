"""What a calibration gives back: the item specs it read, and per item its estimates,
standard errors, fit and DIF, gathered in :class:`CalibrationResult`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ItemSpec:
    """Model of one item: ``"2pl"`` (scores 0/1), ``"3pl"`` (scores 0/1 with a known lower
    asymptote ``guessing``, e.g. 1/choices, which is not estimated) or ``"grm"`` with
    ``categories`` scores ``0..K-1``."""

    model: str
    categories: int = 2
    guessing: float = 0.0


@dataclass(frozen=True)
class ItemFit:
    """Q1-type item fit: Pearson ``statistic`` over ``groups`` ability groups, ``df``, ``p_value``."""

    statistic: float
    df: int
    p_value: float
    groups: int


@dataclass(frozen=True)
class DifResult:
    """Mantel-Haenszel DIF of one dichotomous item (reference vs focal).

    ``alpha_mh`` > 1 (``delta_mh`` < 0) means the item favours the reference group.
    ``ets_class`` is ``"A"``, ``"B"``, ``"C"`` or ``None`` when no stratum was usable.
    """

    item: int
    n_reference: int
    n_focal: int
    strata: int
    alpha_mh: float
    delta_mh: float
    se_delta: float
    chi2_mh: float
    p_value: float
    ets_class: str | None


@dataclass
class ItemEstimate:
    """Parameters of one item: slope ``a`` and thresholds ``b`` (one value for a 2PL item)."""

    index: int
    model: str
    categories: int
    a: float
    b: tuple[float, ...]
    se_a: float
    se_b: tuple[float, ...]
    n: int
    anchored: bool
    fit: ItemFit | None = None
    dif: DifResult | None = None
    guessing: float = 0.0
    # anchored items: how far the data would move the item's difficulty (all thresholds
    # together) given the other items, and its SE (see :func:`_displacement`)
    displacement: float | None = None
    se_displacement: float | None = None

    @property
    def difficulty(self) -> float:
        """``b`` of a 2PL item; the mean threshold of a GRM item."""
        return float(np.mean(self.b))

    def as_anchor(self) -> dict[str, Any]:
        """The parameters in the form ``calibrate(anchors=...)`` accepts."""
        return {"a": self.a, "b": self.b[0] if self.model != "grm" else list(self.b)}


@dataclass
class CalibrationResult:
    """Outcome of :func:`calibrate`.

    ``theta`` / ``theta_se`` are the persons' EAP estimates and posterior SDs at the final
    parameters (NaN for persons without responses); ``loglik`` the marginal log-likelihood
    (without the prior on ``a``); ``latent_mean`` / ``latent_sd`` the ability distribution
    (0 and 1 unless anchors were given).
    """

    items: list[ItemEstimate]
    converged: bool
    iterations: int
    loglik: float
    latent_mean: float
    latent_sd: float
    theta: np.ndarray
    theta_se: np.ndarray
    seconds: float = 0.0
    dif_reference: Any = None
    dif_focal: Any = None
    history: list[float] = field(default_factory=list)

    @property
    def a(self) -> np.ndarray:
        return np.array([it.a for it in self.items])

    @property
    def se_a(self) -> np.ndarray:
        return np.array([it.se_a for it in self.items])

    @property
    def difficulty(self) -> np.ndarray:
        """``b`` of 2PL items, mean threshold of GRM items."""
        return np.array([it.difficulty for it in self.items])

    @property
    def n(self) -> np.ndarray:
        return np.array([it.n for it in self.items])

    def as_rows(self, digits: int = 4) -> list[dict[str, Any]]:
        """One plain dict per item (JSON-serialisable, rounded), for printing or export."""

        def rnd(x):
            return None if x is None or not np.isfinite(x) else round(float(x), digits)

        rows = []
        for it in self.items:
            row = {
                "item": it.index, "model": it.model, "n": it.n, "anchored": it.anchored,
                "a": rnd(it.a), "se_a": rnd(it.se_a),
                "b": rnd(it.b[0]) if it.model != "grm" else [rnd(x) for x in it.b],
                "se_b": rnd(it.se_b[0]) if it.model != "grm" else [rnd(x) for x in it.se_b],
            }
            if it.model == "3pl":
                row["c"] = it.guessing
            if it.displacement is not None:
                row.update(displacement=rnd(it.displacement), se_displacement=rnd(it.se_displacement))
            if it.fit is not None:
                row.update(fit_x2=rnd(it.fit.statistic), fit_df=it.fit.df, fit_p=rnd(it.fit.p_value))
            if it.dif is not None:
                row.update(dif_delta=rnd(it.dif.delta_mh), dif_p=rnd(it.dif.p_value),
                           dif_class=it.dif.ets_class)
            rows.append(row)
        return rows
