"""Differential item functioning: Mantel-Haenszel statistics per item and the ETS A/B/C
classes."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

from .results import DifResult


def ets_class(delta: float, se_delta: float, p_value: float, alpha: float = 0.05) -> str | None:
    r"""ETS DIF category (Zieky 1993; Zwick 2012).

    ``A``: :math:`|\Delta| < 1` or the MH chi-square not significant at ``alpha``;
    ``C``: :math:`|\Delta| \ge 1.5` and :math:`|\Delta|` significantly greater than 1
    (one-sided z test, :math:`(|\Delta| - 1)/SE > z_{1-\alpha}`); ``B``: otherwise.
    """
    if not np.isfinite(delta) or not np.isfinite(p_value):
        return None
    if abs(delta) < 1.0 or p_value >= alpha:
        return "A"
    z = stats.norm.ppf(1 - alpha)
    if abs(delta) >= 1.5 and np.isfinite(se_delta) and se_delta > 0 and (abs(delta) - 1.0) / se_delta > z:
        return "C"
    return "B"


def _quantile_strata(values: np.ndarray, bins: int) -> np.ndarray:
    out = np.full(values.shape, -1, dtype=np.int64)
    ok = np.isfinite(values)
    if ok.any():
        edges = np.unique(np.quantile(values[ok], np.linspace(0, 1, bins + 1)[1:-1]))
        out[ok] = np.searchsorted(edges, values[ok], side="right")
    return out


def mantel_haenszel(responses, groups, reference, focal, matching=None, *, bins: int | None = None,
                    dichotomous: Sequence[bool] | None = None) -> list[DifResult | None]:
    r"""Mantel-Haenszel DIF of every dichotomous item between two groups.

    For each item, persons who answered it and belong to ``reference`` or ``focal`` are
    stratified on the matching variable. In stratum :math:`s` with reference right/wrong
    :math:`A_s, B_s`, focal right/wrong :math:`C_s, D_s`, total :math:`T_s`:

    .. math::
        \alpha_{MH} = \frac{\sum_s A_s D_s / T_s}{\sum_s B_s C_s / T_s}, \qquad
        \Delta_{MH} = -2.35 \ln \alpha_{MH},

        \chi^2_{MH} = \frac{(|\sum_s A_s - \sum_s E A_s| - 0.5)^2}{\sum_s \mathrm{Var} A_s},
        \quad E A_s = \frac{n_{Rs} m_{1s}}{T_s}, \quad
        \mathrm{Var} A_s = \frac{n_{Rs} n_{Fs} m_{1s} m_{0s}}{T_s^2 (T_s - 1)}

    (1 df). The SE of :math:`\Delta` uses the Robins-Breslow-Greenland (1986) variance of
    :math:`\ln\alpha_{MH}`; the category follows :func:`ets_class`. Strata with only one
    group, or where everybody got the item right (or wrong), carry no information and are
    skipped.

    Parameters
    ----------
    responses : array_like (persons, items), ``np.nan`` = not given.
    groups : array_like (persons,) of labels; persons in neither group are ignored.
    reference, focal : labels of the two groups.
    matching : None, ``"total"``, ``"rest"`` or array_like (persons,)
        ``None``/``"total"``: sum of the person's scores over the items answered, including
        the studied item (Holland & Thayer 1988); ``"rest"``: without it; an array: a given
        matching variable (e.g. EAP ability), used as strata as is, or cut into ``bins``
        quantile groups when ``bins`` is given.
    dichotomous : sequence of bool, optional
        Which items to analyse; default: items whose observed scores are all 0/1.

    Returns
    -------
    list of DifResult, ``None`` for items not analysed.

    References
    ----------
    Mantel & Haenszel (1959), JNCI 22, 719-748. Holland & Thayer (1988), in *Test Validity*,
    129-145. Robins, Breslow & Greenland (1986), Biometrics 42, 311-323.
    """
    x = np.array(responses, dtype=float)
    labels = np.asarray(groups, dtype=object)
    if labels.shape[0] != x.shape[0]:
        raise ValueError("one group label per person")
    is_ref = np.array([g == reference for g in labels], dtype=bool)
    is_foc = np.array([g == focal for g in labels], dtype=bool)
    total = np.nansum(x, axis=1)
    mode = matching if isinstance(matching, str) or matching is None else "given"
    if isinstance(matching, str):
        if matching not in ("total", "rest"):
            raise ValueError("matching must be None, 'total', 'rest' or an array")
    elif matching is not None:
        mv = np.asarray(matching, dtype=float)
        if mv.shape[0] != x.shape[0]:
            raise ValueError("one matching value per person")
        if bins:
            strata_all = _quantile_strata(mv, int(bins))
        else:
            strata_all = np.where(np.isfinite(mv), mv, np.nan)
    if dichotomous is None:
        dichotomous = [bool(np.all(np.isin(col[~np.isnan(col)], (0.0, 1.0)))) for col in x.T]

    out: list[DifResult | None] = []
    for j in range(x.shape[1]):
        if not dichotomous[j]:
            out.append(None)
            continue
        took = ~np.isnan(x[:, j]) & (is_ref | is_foc)
        if mode is None or mode == "total":
            strata = total[took]
        elif mode == "rest":
            strata = total[took] - x[took, j]
        else:
            strata = strata_all[took]
            keep = np.isfinite(strata) & (strata >= 0 if bins else True)
            took[np.flatnonzero(took)[~keep]] = False
            strata = strata[keep]
        u = x[took, j]
        ref = is_ref[took]
        res = _mh_item(j, u, ref, strata)
        out.append(res)
    return out


def _mh_item(j, u, ref, strata) -> DifResult:
    levels, inv = np.unique(strata, return_inverse=True)
    L = levels.size
    a_ = np.bincount(inv, weights=(ref & (u == 1)).astype(float), minlength=L)
    b_ = np.bincount(inv, weights=(ref & (u == 0)).astype(float), minlength=L)
    c_ = np.bincount(inv, weights=(~ref & (u == 1)).astype(float), minlength=L)
    d_ = np.bincount(inv, weights=(~ref & (u == 0)).astype(float), minlength=L)
    t = a_ + b_ + c_ + d_
    nr, nf, m1, m0 = a_ + b_, c_ + d_, a_ + c_, b_ + d_
    use = (nr > 0) & (nf > 0) & (m1 > 0) & (m0 > 0) & (t > 1)
    nan = math.nan
    n_ref, n_foc = int(ref.sum()), int((~ref).sum())
    if not use.any():
        return DifResult(j, n_ref, n_foc, 0, nan, nan, nan, nan, nan, None)
    a_, b_, c_, d_, t, nr, nf, m1, m0 = (v[use] for v in (a_, b_, c_, d_, t, nr, nf, m1, m0))
    r = a_ * d_ / t
    s = b_ * c_ / t
    R, S = r.sum(), s.sum()
    alpha = R / S if S > 0 else (math.inf if R > 0 else nan)
    delta = -2.35 * math.log(alpha) if 0 < alpha < math.inf else (-math.inf if alpha == math.inf else nan)
    if R > 0 and S > 0:
        P, Qv = (a_ + d_) / t, (b_ + c_) / t
        var_ln = ((P * r).sum() / (2 * R * R) + (P * s + Qv * r).sum() / (2 * R * S)
                  + (Qv * s).sum() / (2 * S * S))
        se_delta = 2.35 * math.sqrt(var_ln)
    else:
        se_delta = nan
    expect = (nr * m1 / t).sum()
    var = (nr * nf * m1 * m0 / (t * t * (t - 1))).sum()
    chi2 = max(abs(a_.sum() - expect) - 0.5, 0.0) ** 2 / var if var > 0 else nan
    p = float(stats.chi2.sf(chi2, 1)) if np.isfinite(chi2) else nan
    return DifResult(j, n_ref, n_foc, int(use.sum()), float(alpha), float(delta), float(se_delta),
                     float(chi2), p, ets_class(delta, se_delta, p))
