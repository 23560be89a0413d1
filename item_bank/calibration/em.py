"""The two halves of an EM cycle: the bank as a sparse person-by-category indicator matrix,
the E-step (posterior over the grid and expected counts) and the M-step (damped Newton per
batch of items with the same number of categories)."""
from __future__ import annotations

import numpy as np
from scipy import sparse

from .likelihood import _category_probs, _objective, _project
from .results import ItemSpec


def _m_step(a, d, r, grid, a_prior, steps=3, c=None):
    """Damped Newton on the M-step objective for a batch of items with equal K."""
    B, k = a.size, d.shape[1] + 1
    eye = np.eye(k)
    for _ in range(steps):
        f, g, h = _objective(a, d, r, grid, a_prior, c=c)
        neg = -h
        low = np.linalg.eigvalsh(neg)[:, 0]
        scale = np.abs(np.einsum("bii->b", neg)) + 1.0
        lam = np.where(low < 1e-8 * scale, 1e-6 * scale - low, 0.0)
        step = np.linalg.solve(neg + lam[:, None, None] * eye, g[..., None])[..., 0]
        t = np.ones(B)
        done = np.zeros(B, bool)
        new_a, new_d = a.copy(), d.copy()
        for _ in range(20):
            ca, cd, ok = _project(a + t * step[:, 0], d + t[:, None] * step[:, 1:])
            fc = _objective(ca, cd, r, grid, a_prior, derivatives=False, c=c)
            good = ok & (fc >= f - 1e-10 * np.abs(f)) & ~done
            new_a[good], new_d[good] = ca[good], cd[good]
            done |= good
            if done.all():
                break
            t = np.where(done, t, 0.5 * t)
        moved = max(np.abs(new_a - a).max(), np.abs(new_d - d).max())
        a, d = new_a, new_d
        if moved < 1e-8:
            break
    return a, d


class _Bank:
    """Items grouped by number of categories, with the sparse indicator matrix Y (N, C)."""

    def __init__(self, x: np.ndarray, specs: list[ItemSpec]):
        self.specs = specs
        n, j = x.shape
        self.k = np.array([s.categories for s in specs])
        self.c = np.array([s.guessing for s in specs], dtype=float)
        self.offset = np.concatenate([[0], np.cumsum(self.k)[:-1]])
        self.cols = int(self.k.sum())
        self.cat = np.full(x.shape, -1, dtype=np.int64)
        mask = ~np.isnan(x)
        for jj, s in enumerate(specs):
            col = x[mask[:, jj], jj]
            if np.any(col != np.round(col)) or np.any(col < 0) or np.any(col > s.categories - 1):
                raise ValueError(f"item {jj}: responses must be integers 0..{s.categories - 1}")
            self.cat[mask[:, jj], jj] = col.astype(np.int64)
        rows, items = np.nonzero(mask)
        self.y = sparse.csr_matrix(
            (np.ones(rows.size), (rows, self.offset[items] + self.cat[rows, items])),
            shape=(n, self.cols))
        self.n_item = mask.sum(axis=0)
        self.groups = {int(kk): np.flatnonzero(self.k == kk) for kk in np.unique(self.k)}

    def group_cols(self, items: np.ndarray, k: int) -> np.ndarray:
        return self.offset[items][:, None] + np.arange(k)[None, :]

    def guessing(self, items: np.ndarray):
        """Lower asymptotes of a batch of items, or None when all are 0."""
        c = self.c[items]
        return c if np.any(c > 0) else None


def _weights(grid, mu, sigma):
    z = (grid - mu) / sigma
    w = np.exp(-0.5 * z * z)
    return w / w.sum()


def _log_probs(bank: _Bank, a, d, grid) -> np.ndarray:
    """log P (Q, C) of every category column."""
    logp = np.empty((grid.size, bank.cols))
    for k, items in bank.groups.items():
        p = _category_probs(a[items], np.stack([d[i] for i in items]), grid, bank.guessing(items))
        logp[:, bank.group_cols(items, k)] = np.log(p).transpose(1, 0, 2)
    return logp


def _e_step(bank: _Bank, logp, logw):
    ll_nq = np.asarray(bank.y @ logp.T) + logw[None, :]
    m = ll_nq.max(axis=1, keepdims=True)
    post = np.exp(ll_nq - m)
    tot = post.sum(axis=1, keepdims=True)
    loglik = float((m[:, 0] + np.log(tot[:, 0])).sum())
    return ll_nq, post / tot, loglik
