"""Standard errors of the item parameters by Louis' (1982) method: complete-data information
minus missing information, the full matrix inverted up to 2,000 parameters, per-item
blocks beyond (see the package docstring, "Standard errors")."""
from __future__ import annotations

import math

import numpy as np

from .likelihood import A_MAX, A_MIN, B_MAX, _derivs, _objective

_FULL_SE_MAX_PARAMS = 2000


def _at_bound(a, dj) -> bool:
    """Slope or a threshold at its bound, or two thresholds merged (an empty category)."""
    return (a <= A_MIN * (1 + 1e-9) or a >= A_MAX * (1 - 1e-9)
            or np.any(np.abs(dj) >= B_MAX * a * (1 - 1e-9)) or np.any(np.diff(-dj / a) < 1e-4))


def _standard_errors(bank, a, d, grid, post, counts, free, a_prior):
    """Louis' observed information of the free, interior items; SE of a and b (delta method)."""
    n_items = a.size
    se_a = np.full(n_items, np.nan)
    se_b = [np.full(s.categories - 1, np.nan) for s in bank.specs]
    est = [j for j in np.flatnonzero(free) if not _at_bound(a[j], d[j])]
    if not est:
        return se_a, se_b
    est = np.array(est)
    # parameter index of each estimated item
    sizes = bank.k[est]
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    n_par = int(sizes.sum())
    pos = {int(j): int(f) for j, f in zip(est, first)}

    complete: dict[int, np.ndarray] = {}                     # per-item complete-data information
    score_of: dict[int, tuple[np.ndarray, np.ndarray]] = {}   # k -> (items, G (B,Q,K,K))
    for k in np.unique(sizes):
        items = est[sizes == k]
        dd = np.stack([d[i] for i in items])
        r = counts[:, bank.group_cols(items, k)].transpose(1, 0, 2)
        _, _, h = _objective(a[items], dd, r, grid, a_prior, c=bank.guessing(items))
        for i, hi in zip(items, h):
            complete[int(i)] = -hi
        p, dp, _ = _derivs(a[items], dd, grid, second=False, c=bank.guessing(items))
        score_of[int(k)] = (items, dp / p[..., None])       # d log P_k / d xi

    cats = bank.cat
    cov = None
    if n_par <= _FULL_SE_MAX_PARAMS:
        info = -_missing_information(bank, est, pos, score_of, post, n_par)
        for j, block in complete.items():
            info[pos[j]:pos[j] + block.shape[0], pos[j]:pos[j] + block.shape[0]] += block
        try:
            np.linalg.cholesky(info)
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = None
    for j in est:
        k, p0 = int(bank.k[j]), pos[int(j)]
        if cov is not None:
            block = cov[p0:p0 + k, p0:p0 + k]
        else:   # per-item block of the observed information
            items, g = score_of[k]
            gj = g[int(np.flatnonzero(items == j)[0])]            # (Q, K, K)
            rows = np.flatnonzero(cats[:, j] >= 0)
            u = gj[:, cats[rows, j], :].transpose(1, 0, 2)        # (n_j, Q, K)
            pw = post[rows]
            m2 = np.einsum("nq,nqi,nqj->ij", pw, u, u)
            m1 = np.einsum("nq,nqi->ni", pw, u)
            try:
                block = np.linalg.inv(complete[int(j)] - (m2 - m1.T @ m1))
            except np.linalg.LinAlgError:
                continue
        if np.any(np.diag(block) <= 0):
            continue
        # b_m = -d_m / a: db/da = d_m / a^2, db/dd_m = -1 / a
        jac = np.zeros((k - 1, k))
        jac[:, 0] = d[j] / a[j] ** 2
        jac[np.arange(k - 1), np.arange(1, k)] = -1.0 / a[j]
        se_a[j] = math.sqrt(block[0, 0])
        se_b[j] = np.sqrt(np.diag(jac @ block @ jac.T))
    return se_a, se_b


def _missing_information(bank, est, pos, score_of, post, n_par):
    r"""Louis' missing information :math:`\sum_n \mathrm{Cov}_{\pi_n}(S_n)` over all free items.

    Person by person on the compact score vector of the items that person answered
    (batched), then scattered into the full matrix: the cost grows with the square of the
    number of answered items per person, not of the bank.
    """
    n, qn = post.shape
    kmax = int(bank.k[est].max())
    gtab = np.zeros((est.size, qn, kmax, kmax))               # item, node, category, parameter
    for k, (items, g) in score_of.items():
        gtab[np.searchsorted(est, items), :, :k, :k] = g
    par0 = np.array([pos[int(j)] for j in est])
    npar_j = bank.k[est]
    took = bank.cat[:, est] >= 0                              # (N, J_est)
    m_max = int(took.sum(axis=1).max())
    if m_max == 0:
        return np.zeros((n_par, n_par))
    order = np.argsort(~took, axis=1, kind="stable")[:, :m_max]  # answered items first
    width = m_max * kmax
    chunk = max(1, int(4e6 // (qn * width + width * width)))
    side = n_par + 1                                          # index n_par = padding
    total = np.zeros(side * side)
    for lo in range(0, n, chunk):
        rows = np.arange(lo, min(n, lo + chunk))
        items = order[rows]                                   # (n_c, m) positions in est
        valid = np.take_along_axis(took[rows], items, axis=1)
        cats = np.where(valid, bank.cat[rows[:, None], est[items]], 0)
        u = gtab[items, :, cats, :] * valid[..., None, None]    # (n_c, m, Q, K)
        u = u.transpose(0, 2, 1, 3).reshape(rows.size, qn, width)
        pw = post[rows]
        w = u * np.sqrt(pw)[..., None]
        cov = np.matmul(w.transpose(0, 2, 1), w)
        mean = np.einsum("nq,nqp->np", pw, u)
        cov -= mean[:, :, None] * mean[:, None, :]
        kk = np.arange(kmax)[None, None, :]
        pidx = np.where(valid[..., None] & (kk < npar_j[items][..., None]),
                        par0[items][..., None] + kk, n_par).reshape(rows.size, width)
        flat = pidx[:, :, None] * side + pidx[:, None, :]
        total += np.bincount(flat.ravel(), weights=cov.ravel(), minlength=side * side)
    return total.reshape(side, side)[:n_par, :n_par]
