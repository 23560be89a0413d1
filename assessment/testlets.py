"""Parts scored together: the graded response model of a sum score over a testlet's parts.

A C-test's gaps and a block of yes/no words are answered part by part but scored as one
number (gaps right; words judged right, which is hits − false alarms + the number of
pseudowords). The parts of one testlet share more than the ability: one text, one sitting
of quick judgements. The testlet model (Bradlow, Wainer & Wang 1999; Wainer, Bradlow &
Wang 2007, ch. 4) adds a person-by-testlet effect :math:`u \\sim N(0, \\sigma^2)`:

.. math:: P(X = k \\mid \\theta) = \\int P_{\\text{sum}}(k \\mid \\theta + u)\\,\\phi_\\sigma(u)\\,du

where :math:`P_{\\text{sum}}` is the distribution of the number right over parts answered
independently given :math:`\\theta + u` (the Lord–Wingersky recursion, Lord & Wingersky
1984). :func:`graded_approximation` fits Samejima's graded response model to it, so that
the engine, the item bank and calibration keep one polytomous model for the unit.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from . import irt

FIT_GRID = np.linspace(-5.0, 5.0, 81)
_QUAD_NODES, _QUAD_WEIGHTS = hermegauss(21)
_QUAD_WEIGHTS = _QUAD_WEIGHTS / _QUAD_WEIGHTS.sum()
THRESHOLD_BOUND = 8.0
# The fit weighs theta by N(mean difficulty, FIT_POPULATION_SD²): the test takers a unit is
# given to. An adaptive test gives a unit to those near its difficulty, and there a graded
# model can follow the sum score closely; a wider weight lets the far tails, where guessing
# keeps the low scores from vanishing (which a graded model cannot follow), flatten the fit
# and throw away a third of the information of a text's questions or a block's words.
FIT_POPULATION_SD = 1.0


def number_right_distribution(p: np.ndarray) -> np.ndarray:
    """Lord–Wingersky recursion: ``p`` of shape (G, n) → P(number right = k), shape (G, n + 1)."""
    g, n = p.shape
    dist = np.zeros((g, n + 1))
    dist[:, 0] = 1.0
    for j in range(n):
        pj = p[:, j:j + 1]
        dist[:, 1:j + 2] = dist[:, 1:j + 2] * (1.0 - pj) + dist[:, 0:j + 1] * pj
        dist[:, 0] *= 1.0 - p[:, j]
    return dist


def sum_score_probabilities(theta, a, b, c, testlet_sd: float, floor: int = 0) -> np.ndarray:
    """P(X = k | theta) of the score X = max(0, number right − ``floor``) over parts with
    3PL parameters ``a, b, c`` (arrays of one length) and a normal testlet effect of SD
    ``testlet_sd``; shape (len(theta), n − floor + 1).

    A yes/no block's score is hits − false alarms = number right − number of pseudowords;
    with ``floor`` the number of pseudowords, a score at or below chance (as many false
    alarms as hits) is 0 (DIALANG's vocabulary placement test scores hits against false
    alarms in this spirit; Huibregtse, Admiraal & Meara 2002)."""
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    a, b, c = (np.asarray(v, dtype=float) for v in (a, b, c))
    nodes, weights = (_QUAD_NODES, _QUAD_WEIGHTS) if testlet_sd > 0 else (np.zeros(1), np.ones(1))
    out = np.zeros((theta.size, a.size + 1))
    for u, w in zip(nodes * testlet_sd, weights):
        p = irt.icc(theta[:, None] + u, a[None, :], b[None, :], c[None, :])
        out += w * number_right_distribution(p)
    if floor > 0:
        out = np.hstack([out[:, :floor + 1].sum(axis=1, keepdims=True), out[:, floor + 1:]])
    return out


def _unpack(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(np.exp(x[0])), x[1] + np.concatenate([[0.0], np.cumsum(np.exp(x[2:]))])


def graded_approximation(a, b, c, testlet_sd: float, floor: int = 0) -> tuple[float, tuple[float, ...]]:
    """Graded response parameters ``(a, thresholds)`` closest (Kullback–Leibler, weighted
    by a N(mean difficulty, ``FIT_POPULATION_SD``²) population on theta) to the sum-score
    distribution of the parts.

    Memoised on the parameters relative to their mean difficulty, so the bank's many
    testlets of one shape cost one fit each."""
    a, b, c = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (a, b, c))
    shift = float(b.mean())
    key = (tuple(np.round(a, 6)), tuple(np.round(b - shift, 6)), tuple(np.round(c, 6)),
           round(float(testlet_sd), 6), int(floor))
    found = _known.get(key)
    if found is None:
        found = _known[key] = _fit(*key)
    slope, thresholds = found
    return slope, tuple(round(float(t + shift), 4) for t in thresholds)


# The fits this process knows: made here, or kept with the bank and taken from there
# (item_bank/block_fits.py), so that a service that only serves tests never runs the
# optimiser (nor loads scipy).
_known: dict[tuple, tuple[float, tuple[float, ...]]] = {}


def remember_fits(fits: dict[tuple, tuple[float, tuple[float, ...]]]) -> None:
    """Fits made elsewhere (``fit key -> (slope, thresholds)``), as :func:`known_fits` gives them."""
    _known.update({k: (float(v[0]), tuple(float(t) for t in v[1])) for k, v in fits.items()})


def known_fits() -> dict[tuple, tuple[float, tuple[float, ...]]]:
    """Every fit this process has made or remembered."""
    return dict(_known)


@lru_cache(maxsize=256)
def _fit(a: tuple, b: tuple, c: tuple, testlet_sd: float, floor: int) -> tuple[float, tuple[float, ...]]:
    target = np.clip(sum_score_probabilities(FIT_GRID, a, b, c, testlet_sd, floor), 1e-12, 1.0)
    pop = np.exp(-0.5 * (FIT_GRID / FIT_POPULATION_SD) ** 2)
    pop /= pop.sum()
    n = target.shape[1] - 1
    # start: each boundary P(X >= k) crosses one half at its threshold
    above = target[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]  # P(X >= k), k = 1..n
    start = np.array([np.interp(0.5, above[:, k], FIT_GRID) for k in range(n)])
    start = np.clip(np.maximum.accumulate(start + np.arange(n) * 1e-3), -THRESHOLD_BOUND,
                    THRESHOLD_BOUND)
    x0 = np.concatenate([[np.log(max(float(np.mean(a)), 0.3))], [start[0]],
                         np.log(np.maximum(np.diff(start), 1e-2))])

    def loss(x):
        slope, thr = _unpack(x)
        q = irt.grm_probabilities(FIT_GRID, slope, thr)
        return float(pop @ (target * (np.log(target) - np.log(q))).sum(axis=1))

    bounds = [(np.log(0.2), np.log(6.0)), (-THRESHOLD_BOUND, THRESHOLD_BOUND)] + \
             [(np.log(1e-3), np.log(2 * THRESHOLD_BOUND))] * (n - 1)
    # imported here: the testing service never fits testlets, and scipy would add ~60 MB to it
    from scipy.optimize import minimize

    res = minimize(loss, x0, method="L-BFGS-B", bounds=bounds)
    slope, thr = _unpack(res.x)
    return round(slope, 4), tuple(round(float(t), 4) for t in thr)
