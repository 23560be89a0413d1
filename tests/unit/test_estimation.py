import numpy as np
import pytest

from assessment import irt
from assessment.estimation import Posterior

ITEMS = [(1.2, -0.5, 0.0), (0.9, 0.3, 0.2), (1.5, 1.0, 0.0), (1.1, -1.2, 0.25)]
SCORES = [1, 1, 0, 1]


def brute_force(prior_mean=0.0, prior_sd=1.0):
    t = np.linspace(-8, 8, 20001)
    logp = -0.5 * ((t - prior_mean) / prior_sd) ** 2
    loglik = np.zeros_like(t)
    for (a, b, c), u in zip(ITEMS, SCORES):
        loglik += irt.log_likelihood_3pl(t, a, b, c, u)
    w = np.exp(logp + loglik - (logp + loglik).max())
    w /= w.sum()
    mean = (w * t).sum()
    return mean, np.sqrt((w * (t - mean) ** 2).sum()), t[np.argmax(logp + loglik)], t[np.argmax(loglik)]


def posterior(**kw):
    post = Posterior(**kw)
    for (a, b, c), u in zip(ITEMS, SCORES):
        post.update(irt.icc(post.grid, a, b, c) if u else 1 - irt.icc(post.grid, a, b, c))
    return post


def test_incremental_eap_and_sem_match_brute_force_integration():
    mean, sd, _, _ = brute_force()
    post = posterior()
    assert post.eap == pytest.approx(mean, abs=2e-3)
    assert post.sem == pytest.approx(sd, abs=2e-3)
    assert post.n == len(ITEMS)


def test_map_and_mle_match_brute_force():
    _, _, mode, mle = brute_force()
    post = posterior()
    assert post.map() == pytest.approx(mode, abs=0.02)
    assert post.estimate("mle") == pytest.approx(mle, abs=0.02)


def test_prior_mean_moves_the_estimate():
    low, high = posterior(prior_mean=-1.0), posterior(prior_mean=1.0)
    assert low.eap < high.eap


def test_mle_is_at_the_grid_edge_when_every_answer_is_right():
    post = Posterior()
    for _ in range(5):
        post.update(irt.icc(post.grid, 1.0, 0.0))
    assert post.mle() == pytest.approx(post.grid[-1])
    assert post.eap < post.grid[-1]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="eap, map or mle"):
        Posterior().estimate("wle")
