"""The response model in slope-intercept form: category probabilities of 2PL, 3PL and graded
items on the quadrature grid, their derivatives, the penalised M-step objective with its
prior on ln a, and the parameter bounds (see the package docstring, "Estimation")."""
from __future__ import annotations

import numpy as np

from assessment.irt import icc

A_MIN, A_MAX = 0.05, 5.0
B_MAX = 6.0
GRID_BOUND = 5.0
_EPS = 1e-12


def _boundaries(a: np.ndarray, d: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """P*_k for a batch of items: ``a`` (B,), ``d`` (B, K-1) -> (B, Q, K-1), via :func:`irt.icc`."""
    b = -d / a[:, None]
    return icc(grid[None, :, None], a[:, None, None], b[:, None, :])


def _category_probs(a: np.ndarray, d: np.ndarray, grid: np.ndarray, c=None) -> np.ndarray:
    """Category probabilities (B, Q, K) of a batch of items with the same K; ``c`` (B,) the
    lower asymptotes of dichotomous items (P(1) = c + (1 - c) P*)."""
    s = _boundaries(a, d, grid)
    if c is not None:
        s = c[:, None, None] + (1.0 - c[:, None, None]) * s
    B, Q, _ = s.shape
    sp = np.concatenate([np.ones((B, Q, 1)), s, np.zeros((B, Q, 1))], axis=2)
    return np.clip(sp[:, :, :-1] - sp[:, :, 1:], _EPS, 1.0)


def _basis(grid: np.ndarray, k: int) -> np.ndarray:
    """E[q, m, :] = d eta_m / d xi = (theta_q, e_m): shape (Q, K-1, K)."""
    e = np.zeros((grid.size, k - 1, k))
    e[:, :, 0] = grid[:, None]
    e[:, np.arange(k - 1), np.arange(1, k)] = 1.0
    return e


def _derivs(a, d, grid, second=True, c=None):
    """P (B,Q,K), dP/dxi (B,Q,K,K) and optionally d2P/dxi2 (B,Q,K,K,K), xi = (a, d_1..d_{K-1}).

    With lower asymptotes ``c`` (dichotomous items), P(1) = c + (1 - c) P*, so every
    derivative of P* is scaled by (1 - c)."""
    s = _boundaries(a, d, grid)
    B, Q, km1 = s.shape
    k = km1 + 1
    scale = np.ones((B, 1, 1)) if c is None else (1.0 - c)[:, None, None]
    s_eff = s if c is None else c[:, None, None] + scale * s
    sp = np.concatenate([np.ones((B, Q, 1)), s_eff, np.zeros((B, Q, 1))], axis=2)
    p = np.clip(sp[:, :, :-1] - sp[:, :, 1:], _EPS, 1.0)
    w = scale * s * (1.0 - s)
    e = _basis(grid, k)
    jp = np.zeros((B, Q, k + 1, k))
    jp[:, :, 1:k] = w[..., None] * e[None]
    dp = jp[:, :, :-1] - jp[:, :, 1:]
    if not second:
        return p, dp, None
    v = w * (1.0 - 2.0 * s)   # (1 - c) P*(1 - P*)(1 - 2P*)
    ee = e[..., :, None] * e[..., None, :]
    hp = np.zeros((B, Q, k + 1, k, k))
    hp[:, :, 1:k] = v[..., None, None] * ee[None]
    return p, dp, hp[:, :, :-1] - hp[:, :, 1:]


def _prior_terms(a, a_prior):
    """Value, gradient and 2nd derivative of -(ln a - m)^2 / (2 s^2)."""
    if a_prior is None:
        z = np.zeros_like(a)
        return z, z, z
    m, s2 = a_prior[0], a_prior[1] ** 2
    la = np.log(a) - m
    return -la * la / (2 * s2), -la / (s2 * a), (la - 1.0) / (s2 * a * a)


def _objective(a, d, r, grid, a_prior, derivatives=True, c=None):
    """Expected complete-data log-likelihood (+ log prior) per item; r is (B, Q, K)."""
    if not derivatives:
        p = _category_probs(a, d, grid, c)
        return (r * np.log(p)).sum(axis=(1, 2)) + _prior_terms(a, a_prior)[0]
    p, dp, d2p = _derivs(a, d, grid, c=c)
    rp = r / p
    f = (r * np.log(p)).sum(axis=(1, 2))
    g = np.einsum("bqk,bqki->bi", rp, dp)
    h = np.einsum("bqk,bqkij->bij", rp, d2p) - np.einsum("bqk,bqki,bqkj->bij", rp / p, dp, dp)
    pf, pg, ph = _prior_terms(a, a_prior)
    f = f + pf
    g[:, 0] += pg
    h[:, 0, 0] += ph
    return f, g, h


def _project(a, d):
    """Clip to the bounds; flag candidates whose thresholds are not strictly increasing."""
    a = np.clip(a, A_MIN, A_MAX)
    d = np.clip(d, -B_MAX * a[:, None], B_MAX * a[:, None])
    ok = np.all(np.diff(d, axis=1) < 0, axis=1) & np.all(np.isfinite(d), axis=1) & np.isfinite(a)
    return a, d, ok
