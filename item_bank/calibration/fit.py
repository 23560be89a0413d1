"""Item fit: the Yen (1981) Q1-type Pearson statistic with rest-score EAP groups, and the
displacement of anchor items (see the package docstring, "Item fit")."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from assessment.irt import grm_probabilities

from .likelihood import _EPS, _category_probs
from .results import ItemFit


def _item_fit(bank, a, d, grid, ll_nq, logp, free, fit_groups) -> list[ItemFit | None]:
    """Q1-type Pearson fit per item with rest-score EAP groups (see the package docstring)."""
    out: list[ItemFit | None] = []
    for j, s in enumerate(bank.specs):
        k = s.categories
        rows = np.flatnonzero(bank.cat[:, j] >= 0)
        g = min(int(fit_groups), rows.size // 20)
        m = k if free[j] else 0
        df = g * (k - 1) - m
        if g < 2 or df < 1:
            out.append(None)
            continue
        c = bank.cat[rows, j]
        cols = bank.offset[j] + np.arange(k)
        rest = ll_nq[rows] - logp[:, bank.offset[j] + c].T          # drop item j
        rest = np.exp(rest - rest.max(axis=1, keepdims=True))
        rest /= rest.sum(axis=1, keepdims=True)
        eap = rest @ grid
        if s.model == "grm":
            pj = grm_probabilities(grid, a[j], -d[j] / a[j])       # (Q, K)
        else:
            pj = np.exp(logp[:, cols])
        expected = rest @ pj                                          # (n_j, K)
        order = np.argsort(eap, kind="stable")
        stat = 0.0
        for part in np.array_split(order, g):
            obs = np.bincount(c[part], minlength=k)
            exp_ = expected[part].sum(axis=0)
            stat += float(((obs - exp_) ** 2 / np.maximum(exp_, _EPS)).sum())
        out.append(ItemFit(statistic=stat, df=int(df), p_value=float(stats.chi2.sf(stat, df)), groups=g))
    return out


def _displacement(bank, a, d, grid, ll_nq, logp, items, span: float = 2.0,
                  step: float = 0.01) -> dict[int, tuple[float, float]]:
    r"""Displacement of anchored items (Linacre's displacement in Winsteps): the shift
    :math:`\hat\delta` of all of item ``j``'s thresholds that the data ask for, given each
    person's posterior from the *other* items,

    .. math:: \hat\delta = \arg\max_\delta \sum_n \sum_q \pi^{(-j)}_{nq}
              \log P_j(x_{nj} \mid \theta_q - \delta),

    on a grid of ``step`` over ``[-span, span]``, with the SE from the curvature at the
    maximum. An anchor that has drifted (become easier or harder than its fixed values)
    shows a displacement far from 0. Items with fewer than 20 answers get none.
    """
    out: dict[int, tuple[float, float]] = {}
    deltas = np.arange(-span, span + step / 2, step)
    for j in items:
        rows = np.flatnonzero(bank.cat[:, j] >= 0)
        if rows.size < 20:
            continue
        k = int(bank.k[j])
        cat = bank.cat[rows, j]
        rest = ll_nq[rows] - logp[:, bank.offset[j] + cat].T
        rest = np.exp(rest - rest.max(axis=1, keepdims=True))
        rest /= rest.sum(axis=1, keepdims=True)
        r = rest.T @ np.eye(k)[cat]                                    # (Q, K) expected counts
        c = np.full(deltas.size, bank.c[j]) if bank.c[j] > 0 else None
        p = _category_probs(np.full(deltas.size, a[j]), d[j][None, :] - a[j] * deltas[:, None],
                            grid, c)
        ll = (r[None] * np.log(p)).sum(axis=(1, 2))
        i = int(np.argmax(ll))
        if 0 < i < deltas.size - 1:
            curv = (ll[i + 1] - 2 * ll[i] + ll[i - 1]) / step ** 2
            shift = 0.5 * step * (ll[i - 1] - ll[i + 1]) / (ll[i - 1] - 2 * ll[i] + ll[i + 1]) if curv < 0 else 0.0
            se = math.sqrt(-1.0 / curv) if curv < 0 else math.nan
            out[int(j)] = (float(deltas[i] + shift), se)
        else:                                                          # beyond the span
            out[int(j)] = (float(deltas[i]), math.nan)
    return out
