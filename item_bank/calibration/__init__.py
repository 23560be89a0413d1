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

Modules
    ``estimation`` (``calibrate``: the EM loop), ``em`` (E-step, M-step, the bank as a
    sparse indicator matrix), ``likelihood`` (the response model, its derivatives, bounds),
    ``inputs`` (item specs, anchors, start values), ``standard_errors``, ``fit`` (item fit,
    anchor displacement), ``dif`` (Mantel-Haenszel) and ``results`` (the dataclasses returned).
"""
from __future__ import annotations

from .dif import ets_class, mantel_haenszel
from .estimation import calibrate
from .likelihood import A_MAX, A_MIN, B_MAX, GRID_BOUND  # noqa: F401 (the bounds, as before the split)
from .results import CalibrationResult, DifResult, ItemEstimate, ItemFit, ItemSpec

__all__ = [
    "ItemSpec", "ItemFit", "DifResult", "ItemEstimate", "CalibrationResult",
    "calibrate", "mantel_haenszel", "ets_class",
]
