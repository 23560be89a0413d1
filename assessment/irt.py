"""Item response functions as pure numpy functions.

Dichotomous items follow the three-parameter logistic model (2PL when ``c == 0``),
polytomous items (scores ``0..k``) Samejima's graded response model. The logistic
metric is used throughout (no scaling constant D = 1.7).

References: Lord (1980), *Applications of IRT to Practical Testing Problems*;
Samejima (1969), *Estimation of latent ability using a response pattern of graded scores*;
Baker & Kim (2004), *Item Response Theory: Parameter Estimation Techniques*, ch. 8.
"""
from __future__ import annotations

import numpy as np

_EPS = 1e-12


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def icc(theta, a, b, c=0.0):
    r"""Probability of a correct answer under the 3PL model.

    .. math:: P(\theta) = c + (1 - c) \frac{1}{1 + e^{-a(\theta - b)}}

    Arguments broadcast against each other.
    """
    return c + (1.0 - c) * _logistic(a * (np.asarray(theta) - b))


def item_information(theta, a, b, c=0.0):
    r"""Fisher information of a 3PL item.

    .. math:: I(\theta) = a^2 \frac{Q}{P} \left(\frac{P - c}{1 - c}\right)^2

    which reduces to :math:`a^2 P Q` for the 2PL (Lord 1980, eq. 10-4).
    """
    p = icc(theta, a, b, c)
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return a * a * ((1.0 - p) / p) * ((p - c) / (1.0 - c)) ** 2


def grm_cumulative(theta, a, thresholds):
    r"""Boundary curves :math:`P^*_k(\theta)` of the graded response model.

    Returns an array of shape ``(len(theta), k + 2)`` with :math:`P^*_0 = 1`,
    :math:`P^*_k = 1 / (1 + e^{-a(\theta - b_k)})` for ``k = 1..K`` and
    :math:`P^*_{K+1} = 0`. ``thresholds`` must be increasing.
    """
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    b = np.asarray(thresholds, dtype=float)
    inner = _logistic(a * (theta[:, None] - b[None, :]))
    ones = np.ones((theta.size, 1))
    zeros = np.zeros((theta.size, 1))
    return np.hstack([ones, inner, zeros])


def grm_probabilities(theta, a, thresholds):
    r"""Category probabilities :math:`P_k = P^*_k - P^*_{k+1}`, shape ``(len(theta), K + 1)``."""
    star = grm_cumulative(theta, a, thresholds)
    return np.clip(star[:, :-1] - star[:, 1:], _EPS, 1.0)


def grm_information(theta, a, thresholds):
    r"""Fisher information of a graded-response item (Samejima 1969).

    .. math:: I(\theta) = \sum_{k=0}^{K} \frac{(P_k')^2}{P_k}, \qquad
              P_k' = a\,[P^*_k(1 - P^*_k) - P^*_{k+1}(1 - P^*_{k+1})]
    """
    star = grm_cumulative(theta, a, thresholds)
    w = star * (1.0 - star)
    deriv = a * (w[:, :-1] - w[:, 1:])
    prob = np.clip(star[:, :-1] - star[:, 1:], _EPS, 1.0)
    return (deriv ** 2 / prob).sum(axis=1)


def log_likelihood_3pl(grid, a, b, c, score):
    """Log-likelihood of one dichotomous ``score`` (0 or 1) at each grid point."""
    p = np.clip(icc(grid, a, b, c), _EPS, 1.0 - _EPS)
    return np.log(p) if score else np.log1p(-p)


def log_likelihood_grm(grid, a, thresholds, score):
    """Log-likelihood of category ``score`` of a graded-response item at each grid point."""
    return np.log(grm_probabilities(grid, a, thresholds)[:, int(score)])
