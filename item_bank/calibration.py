r"""Item calibration: marginal maximum likelihood by EM, item fit and Mantel-Haenszel DIF.

Pure numpy/scipy. Dichotomous items follow the 2PL, polytomous items (scores ``0..K-1``)
Samejima's graded response model, both in the logistic metric (no D = 1.7), with the
response functions of :mod:`assessment.irt`.

Estimation (Bock & Aitkin 1981; Baker & Kim 2004, ch. 6 and 8)
    Ability is integrated out on a fixed grid of ``quadrature`` equally spaced nodes
    :math:`\theta_q` on [-5, 5] with weights :math:`w_q \propto \phi((\theta_q-\mu)/\sigma)`.

    *E-step.* For person :math:`n` with answered items :math:`J_n`,

    .. math:: \ell_{nq} = \log w_q + \sum_{j \in J_n} \log P_j(x_{nj} \mid \theta_q), \qquad
              \pi_{nq} = e^{\ell_{nq}} / \textstyle\sum_{q'} e^{\ell_{nq'}}

    (missing responses simply drop out), giving the expected counts
    :math:`r_{jkq} = \sum_n \pi_{nq} [x_{nj} = k]`.

    *M-step.* Per free item, a few damped Newton steps on

    .. math:: Q_j(\xi_j) = \sum_q \sum_k r_{jkq} \log P_{jk}(\theta_q; \xi_j)
              - \frac{(\ln a_j - m)^2}{2 s^2}

    in the slope-intercept form :math:`\xi_j = (a_j, d_{j1}, \dots, d_{j,K-1})`,
    :math:`P^*_{jk} = 1/(1 + e^{-(a_j\theta + d_{jk})})`, :math:`b_{jk} = -d_{jk}/a_j`
    (the likelihood part is concave in this form, Pratt 1981). The second term is a weak
    normal prior on :math:`\ln a` (default :math:`m = 0, s = 1`; ``a_prior=None`` removes it)
    that stops Heywood-like runaway slopes on sparse data; the estimates are therefore
    posterior modes for ``a``. Bounds: :math:`0.05 \le a \le 5`, :math:`|b_k| \le 6`,
    thresholds strictly increasing.

    *Scale.* Without anchors the ability distribution is fixed at N(0, 1), which sets the
    scale. Anchor items keep their given parameters ("fixed anchor item calibration",
    Kim 2006); then the scale is set by the anchors, and the mean and SD of the normal
    ability distribution are re-estimated after every E-step from the posterior moments
    (:math:`\mu = N^{-1}\sum_{nq}\pi_{nq}\theta_q`,
    :math:`\sigma^2 = N^{-1}\sum_{nq}\pi_{nq}(\theta_q-\mu)^2`) instead of being reset to
    N(0, 1): Kim's (2006) "multiple weights updating, multiple EM cycles" with a normal
    rather than a histogram ability distribution. Persons without any response are
    dropped before estimation.

    Convergence: the largest absolute change of any ``a``, ``b`` (and ``mu``, ``sigma``)
    between two cycles below ``tol``. The expected counts come from a sparse
    person-by-category indicator matrix, so a cycle costs O(responses x nodes).

Standard errors
    Louis' (1982) method: the observed information of the marginal (penalised)
    log-likelihood is the complete-data information minus the missing information,

    .. math:: I(\hat\xi) = -\sum_j \nabla^2 Q_j(\hat\xi_j)
              - \sum_n \Big[ \sum_q \pi_{nq} S_{nq} S_{nq}^T - \bar S_n \bar S_n^T \Big],

    with :math:`S_{nq} = \partial \log P(x_n \mid \theta_q)/\partial\xi` over all free
    items jointly and :math:`\bar S_n = \sum_q \pi_{nq} S_{nq}`. The full matrix is
    inverted (cross-item covariances included) when it has at most 2,000 parameters,
    otherwise its per-item diagonal blocks are. SEs of ``b`` come from those of ``(a, d)``
    by the delta method. Items at a bound get no SE (NaN); the estimated ability mean and
    SD (anchored runs) are treated as known.

Item fit
    A Yen (1981) Q1-type Pearson statistic. Persons who answered item ``j`` are sorted by
    their EAP computed *without* item ``j`` and cut into ``fit_groups`` equal groups; the
    expected count of category ``k`` in group ``g`` is the sum of the posterior-predictive
    probabilities :math:`\sum_q \pi^{(-j)}_{nq} P_{jk}(\theta_q)`, so

    .. math:: X^2_j = \sum_g \sum_k \frac{(O_{gk} - E_{gk})^2}{E_{gk}}, \qquad
              df = G(K-1) - m_j,

    where :math:`m_j` is the number of estimated parameters of the item (0 for anchors);
    ``G = min(fit_groups, n_j // 20)``, no statistic (``None``) when ``df < 1``. Cells with
    small expected counts are not pooled.
    Sum-score statistics (Orlando & Thissen's S-X2) are not used because with adaptive
    (sparse) data the persons' sum scores are over different items.

DIF
    Mantel-Haenszel (Mantel & Haenszel 1959; Holland & Thayer 1988), see
    :func:`mantel_haenszel`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy import sparse, stats

from assessment.irt import grm_probabilities, icc

A_MIN, A_MAX = 0.05, 5.0
B_MAX = 6.0
GRID_BOUND = 5.0
_EPS = 1e-12
_FULL_SE_MAX_PARAMS = 2000

__all__ = [
    "ItemSpec", "ItemFit", "DifResult", "ItemEstimate", "CalibrationResult",
    "calibrate", "mantel_haenszel", "ets_class",
]


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- input handling


def _parse_spec(spec, column: np.ndarray) -> ItemSpec:
    """``"3pl:c"``, ``("3pl", c)`` and ``{"model": "3pl", "c": c}`` give the guessing ``c``;
    for ``"grm"`` the second part is the number of categories."""
    c = None
    if isinstance(spec, ItemSpec):
        model, k, c = spec.model, spec.categories, spec.guessing
    elif isinstance(spec, str):
        model, _, k = spec.lower().partition(":")
        k = float(k) if k else None
    elif isinstance(spec, Mapping):
        model, k, c = spec["model"], spec.get("categories"), spec.get("c", spec.get("guessing"))
    else:
        model, k = spec[0], (spec[1] if len(spec) > 1 else None)
    model = str(model).lower()
    if model == "2pl":
        return ItemSpec("2pl", 2)
    if model == "3pl":
        c = float(c if c is not None else (k or 0.0))
        if not 0.0 <= c < 1.0:
            raise ValueError(f"a 3PL item's guessing must lie in [0, 1), got {c}")
        return ItemSpec("3pl", 2, c) if c > 0 else ItemSpec("2pl", 2)
    if model != "grm":
        raise ValueError(f"unknown item model {model!r} (use '2pl', '3pl' or 'grm')")
    if k is None:
        seen = column[~np.isnan(column)]
        k = int(seen.max()) + 1 if seen.size else 2
    if int(k) < 2:
        raise ValueError("a GRM item needs at least two categories")
    return ItemSpec("grm", int(k))


def _parse_anchors(anchors, specs: list[ItemSpec]) -> dict[int, tuple[float, np.ndarray]]:
    """Anchors -> {item: (a, d)} in slope-intercept form."""
    if anchors is None:
        return {}
    items = anchors.items() if isinstance(anchors, Mapping) else enumerate(anchors)
    out = {}
    for j, par in items:
        if par is None:
            continue
        j = int(j)
        if not 0 <= j < len(specs):
            raise ValueError(f"anchor for unknown item {j}")
        if isinstance(par, Mapping):
            a = par["a"]
            b = par["b"] if "b" in par else par["thresholds"]
        else:
            a, b = par[0], par[1]
        a = float(a)
        b = np.atleast_1d(np.asarray(b, dtype=float))
        if b.size != specs[j].categories - 1:
            raise ValueError(f"anchor of item {j}: {b.size} thresholds for {specs[j].categories} categories")
        if a <= 0 or np.any(np.diff(b) <= 0) or not np.all(np.isfinite(b)):
            raise ValueError(f"anchor of item {j}: need a > 0 and increasing finite thresholds")
        out[j] = (a, -a * b)
    return out


def _start_values(column: np.ndarray, k: int, guessing: float = 0.0) -> tuple[float, np.ndarray]:
    """a = 1 and intercepts from the marginal cumulative proportions (probit-logit rescaled;
    above the guessing rate for a 3PL item)."""
    x = column[~np.isnan(column)]
    if x.size == 0:
        return 1.0, np.linspace(1.0, -1.0, k - 1) if k > 2 else np.zeros(1)
    cum = np.array([(x >= c).mean() for c in range(1, k)])
    if guessing > 0:
        cum = (cum - guessing) / (1.0 - guessing)
    d = 1.16 * np.log(np.clip(cum, 0.02, 0.98) / (1.0 - np.clip(cum, 0.02, 0.98)))
    for i in range(1, d.size):           # strictly decreasing intercepts
        d[i] = min(d[i], d[i - 1] - 0.1)
    return 1.0, np.clip(d, -B_MAX + 0.5, B_MAX - 0.5)


# --------------------------------------------------------------------------- model algebra


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


# --------------------------------------------------------------------------- calibration


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


# --------------------------------------------------------------------------- standard errors


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


# --------------------------------------------------------------------------- item fit


def _item_fit(bank, a, d, grid, ll_nq, logp, free, fit_groups) -> list[ItemFit | None]:
    """Q1-type Pearson fit per item with rest-score EAP groups (see the module docstring)."""
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


# --------------------------------------------------------------------------- DIF


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
