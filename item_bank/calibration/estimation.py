"""``calibrate``: marginal maximum likelihood by EM, from the response matrix to a
:class:`~item_bank.calibration.results.CalibrationResult` (see the package docstring,
"Estimation")."""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import numpy as np

from .dif import mantel_haenszel
from .em import _Bank, _e_step, _log_probs, _m_step, _weights
from .fit import _displacement, _item_fit
from .inputs import _parse_anchors, _parse_spec, _start_values
from .likelihood import GRID_BOUND
from .results import CalibrationResult, DifResult, ItemEstimate
from .standard_errors import _standard_errors


def calibrate(
    responses,
    models: Sequence,
    anchors=None,
    max_iter: int = 200,
    tol: float = 1e-4,
    quadrature: int = 41,
    progress: Callable[[int, int, float], Any] | None = None,
    *,
    a_prior: tuple[float, float] | None = (0.0, 1.0),
    estimate_latent: bool | None = None,
    fit_groups: int = 10,
    standard_errors: bool = True,
    item_fit: bool = True,
    groups=None,
    reference=None,
    focal=None,
    dif_bins: int = 20,
) -> CalibrationResult:
    """Calibrate 2PL and graded-response items by marginal maximum likelihood (EM).

    Parameters
    ----------
    responses : array_like, shape (persons, items)
        Scores, ``np.nan`` where the item was not given. 2PL items 0/1, GRM items ``0..K-1``.
    models : sequence
        One spec per item: ``"2pl"``, ``"grm:K"``, ``("grm", K)``, ``{"model": "grm",
        "categories": K}`` or :class:`ItemSpec`; ``"grm"`` alone takes ``K`` from the data.
    anchors : mapping or sequence, optional
        Fixed parameters ``{item: {"a": a, "b": b}}`` (``b`` a list of thresholds for GRM),
        or a sequence with ``None`` for free items. When given, the ability mean and SD are
        estimated instead of being fixed at N(0, 1) (see ``estimate_latent``).
    max_iter, tol : int, float
        EM cycles at most; stop when no ``a``/``b`` moved by more than ``tol``.
    quadrature : int
        Number of equally spaced nodes on [-5, 5].
    progress : callable, optional
        ``progress(iteration, max_iter, loglik_change)`` after every cycle (NaN change first).
    a_prior : (mean, sd) or None
        Normal prior on ``ln a`` (posterior-mode slopes); ``None`` for plain ML.
    estimate_latent : bool, optional
        Estimate the mean and SD of the ability distribution; default: only with anchors.
    fit_groups : int
        Ability groups of the fit statistic (fewer when an item has few respondents).
    standard_errors, item_fit : bool
        Skip the SEs (NaN) or the fit statistics (``None``) when False, e.g. for timing.
    groups, reference, focal : optional
        Group label per person for Mantel-Haenszel DIF of the dichotomous items; with exactly
        two labels ``reference``/``focal`` default to the sorted labels. Matching: total score
        on complete data, else the EAP cut into ``dif_bins`` quantile strata.

    Returns
    -------
    CalibrationResult

    References
    ----------
    Bock & Aitkin (1981), Psychometrika 46, 443-459. Louis (1982), JRSS B 44, 226-233.
    Yen (1981), Applied Psychological Measurement 5, 245-262. Kim (2006), JEM 43, 355-381.
    """
    start = time.perf_counter()
    x = np.array(responses, dtype=float)
    if x.ndim != 2:
        raise ValueError("responses must be a 2-D array (persons, items)")
    if len(models) != x.shape[1]:
        raise ValueError(f"{len(models)} item specs for {x.shape[1]} items")
    specs = [_parse_spec(m, x[:, j]) for j, m in enumerate(models)]
    fixed = _parse_anchors(anchors, specs)
    if estimate_latent is None:
        estimate_latent = bool(fixed)

    answered = ~np.all(np.isnan(x), axis=1)
    bank = _Bank(x[answered], specs)
    grid = np.linspace(-GRID_BOUND, GRID_BOUND, int(quadrature))
    n_items = len(specs)

    a = np.ones(n_items)
    d: list[np.ndarray] = [np.zeros(s.categories - 1) for s in specs]
    for j in range(n_items):
        if j in fixed:
            a[j], d[j] = fixed[j][0], fixed[j][1].copy()
        else:
            a[j], d[j] = _start_values(x[answered, j], specs[j].categories, specs[j].guessing)
    free = np.array([j not in fixed and bank.n_item[j] > 0 for j in range(n_items)])
    free_groups = {k: items[free[items]] for k, items in bank.groups.items()}
    free_groups = {k: v for k, v in free_groups.items() if v.size}

    mu, sigma = 0.0, 1.0
    logw = np.log(_weights(grid, mu, sigma))
    prev_ll = math.nan
    converged = False
    history: list[float] = []
    it = 0
    for it in range(1, int(max_iter) + 1):
        logp = _log_probs(bank, a, d, grid)
        _, post, ll = _e_step(bank, logp, logw)
        history.append(ll)
        counts = np.asarray(bank.y.T @ post).T            # (Q, C)
        old_a, old_b = a.copy(), [-dj / aj for dj, aj in zip(d, a)]
        for k, items in free_groups.items():
            r = counts[:, bank.group_cols(items, k)].transpose(1, 0, 2)
            na, nd = _m_step(a[items], np.stack([d[i] for i in items]), r, grid, a_prior,
                             c=bank.guessing(items))
            a[items] = na
            for i, row in zip(items, nd):
                d[i] = row
        change = 0.0
        if estimate_latent and post.shape[0]:
            new_mu = float(post.sum(axis=0) @ grid) / post.shape[0]
            new_sigma = math.sqrt(float(post.sum(axis=0) @ (grid - new_mu) ** 2) / post.shape[0])
            change = max(abs(new_mu - mu), abs(new_sigma - sigma))
            mu, sigma = new_mu, new_sigma
            logw = np.log(np.maximum(_weights(grid, mu, sigma), 1e-300))
        if free.any():
            change = max(change, float(np.abs(a - old_a)[free].max()),
                         max(float(np.abs(-d[j] / a[j] - old_b[j]).max()) for j in np.flatnonzero(free)))
        if progress is not None:
            progress(it, int(max_iter), ll - prev_ll)
        prev_ll = ll
        if change < tol:
            converged = True
            break

    # final E-step at the final parameters
    logp = _log_probs(bank, a, d, grid)
    ll_nq, post, ll = _e_step(bank, logp, logw)
    counts = np.asarray(bank.y.T @ post).T

    if standard_errors:
        se_a, se_b = _standard_errors(bank, a, d, grid, post, counts, free, a_prior)
    else:
        se_a, se_b = np.full(n_items, np.nan), [np.full(s.categories - 1, np.nan) for s in specs]
    fits = _item_fit(bank, a, d, grid, ll_nq, logp, free, fit_groups) if item_fit else [None] * n_items
    moved = _displacement(bank, a, d, grid, ll_nq, logp, sorted(fixed)) if fixed else {}

    eap_ans = post @ grid
    theta = np.full(x.shape[0], np.nan)
    theta_se = np.full(x.shape[0], np.nan)
    theta[answered] = eap_ans
    theta_se[answered] = np.sqrt(np.maximum(post @ grid ** 2 - eap_ans ** 2, 0.0))

    difs: list[DifResult | None] = [None] * n_items
    if groups is not None:
        labels = np.asarray(groups, dtype=object)
        if reference is None or focal is None:
            uniq = sorted({g for g in labels if g is not None and g == g})
            if len(uniq) != 2:
                raise ValueError("give reference and focal when groups has not exactly two labels")
            reference, focal = uniq
        complete = not np.isnan(x).any()
        matching, bins = (None, None) if complete else (theta, dif_bins)
        difs = mantel_haenszel(x, labels, reference, focal, matching, bins=bins,
                               dichotomous=[s.model != "grm" for s in specs])

    items = []
    for j, s in enumerate(specs):
        known = bank.n_item[j] > 0 or j in fixed
        b = -d[j] / a[j] if known else np.full(s.categories - 1, np.nan)
        items.append(ItemEstimate(
            index=j, model=s.model, categories=s.categories,
            a=float(a[j]) if known else math.nan, b=tuple(float(v) for v in b),
            se_a=float(se_a[j]), se_b=tuple(float(v) for v in se_b[j]),
            n=int(bank.n_item[j]), anchored=j in fixed, fit=fits[j], dif=difs[j],
            guessing=s.guessing, displacement=moved.get(j, (None, None))[0],
            se_displacement=moved.get(j, (None, None))[1]))
    return CalibrationResult(
        items=items, converged=converged, iterations=it, loglik=ll,
        latent_mean=mu, latent_sd=sigma, theta=theta, theta_se=theta_se,
        seconds=time.perf_counter() - start,
        dif_reference=reference if groups is not None else None,
        dif_focal=focal if groups is not None else None, history=history)
