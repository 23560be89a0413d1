"""Item calibration (item_bank.calibration) on data simulated here with seeded generators."""
import math

import numpy as np
import pytest

from assessment import irt
from item_bank.calibration import (
    ItemSpec, calibrate, ets_class, mantel_haenszel,
)


def simulate_2pl(rng, theta, a, b, c=None):
    c = np.zeros_like(a) if c is None else c
    p = irt.icc(theta[:, None], a[None, :], b[None, :], c[None, :])
    return (rng.random(p.shape) < p).astype(float)


def simulate_grm(rng, theta, a, thresholds):
    cols = []
    for aj, bj in zip(a, thresholds):
        p = irt.grm_probabilities(theta, aj, bj)
        cols.append((rng.random(theta.size)[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1))
    return np.column_stack(cols).astype(float)


def keep_random(rng, x, per_person):
    """Each person keeps `per_person` random items, the rest become NaN (not given)."""
    keep = np.argsort(rng.random(x.shape), axis=1)[:, :per_person]
    out = np.full(x.shape, np.nan)
    np.put_along_axis(out, keep, np.take_along_axis(x, keep, axis=1), axis=1)
    return out


def corr(u, v):
    return float(np.corrcoef(u, v)[0, 1])


@pytest.fixture(scope="module")
def complete_2pl():
    rng = np.random.default_rng(20240601)
    a, b = rng.lognormal(0.0, 0.3, 20), rng.normal(0.0, 1.0, 20)
    x = simulate_2pl(rng, rng.normal(0.0, 1.0, 1000), a, b)
    return a, b, x, calibrate(x, ["2pl"] * 20)


def test_2pl_recovery_on_complete_data(complete_2pl):
    a, b, x, res = complete_2pl
    assert res.converged and res.iterations < 200
    assert corr(b, res.difficulty) >= 0.95
    assert corr(a, res.a) >= 0.8
    assert np.sqrt(np.mean((b - res.difficulty) ** 2)) < 0.2
    assert abs(np.mean(res.difficulty - b)) < 0.1        # N(0, 1) fixes the scale
    assert all(it.n == 1000 and not it.anchored for it in res.items)
    # errors are of the size the standard errors claim
    z = (res.difficulty - b) / np.array([it.se_b[0] for it in res.items])
    assert np.mean(np.abs(z) < 2) >= 0.8
    assert np.all(np.isfinite(res.theta)) and np.all(res.theta_se > 0)


def test_2pl_recovery_on_sparse_adaptive_like_data():
    rng = np.random.default_rng(7)
    n, j = 2000, 40
    a, b = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j)
    x = keep_random(rng, simulate_2pl(rng, rng.normal(0.0, 1.0, n), a, b), 15)
    assert np.isnan(x).mean() == pytest.approx(25 / 40)
    res = calibrate(x, ["2pl"] * j)
    assert res.converged
    assert corr(b, res.difficulty) >= 0.95
    assert corr(a, res.a) >= 0.8
    assert res.n.sum() == n * 15


def test_grm_recovery_and_mixed_bank():
    rng = np.random.default_rng(11)
    n = 1000
    theta = rng.normal(0.0, 1.0, n)
    a = rng.lognormal(0.0, 0.3, 10)
    bs = [np.sort(rng.normal(0.0, 1.0, 3)) + np.array([-0.5, 0.0, 0.5]) for _ in range(10)]
    a2, b2 = rng.lognormal(0.0, 0.3, 5), rng.normal(0.0, 1.0, 5)
    x = np.column_stack([simulate_grm(rng, theta, a, bs), simulate_2pl(rng, theta, a2, b2)])
    models = [("grm", 4)] * 5 + ["grm:4"] * 3 + [ItemSpec("grm", 4), {"model": "grm"}] + ["2pl"] * 5
    res = calibrate(x, models)
    assert res.converged
    grm = res.items[:10]
    assert all(it.model == "grm" and len(it.b) == 3 and np.all(np.diff(it.b) > 0) for it in grm)
    assert corr(np.concatenate(bs), np.concatenate([it.b for it in grm])) >= 0.9
    assert corr(a, res.a[:10]) >= 0.7
    assert corr(b2, res.difficulty[10:]) >= 0.9
    assert all(np.all(np.isfinite(it.se_b)) and it.se_a > 0 for it in res.items)


def test_anchors_stay_fixed_and_put_new_items_on_their_scale():
    rng = np.random.default_rng(3)
    n, j = 1500, 30
    a, b = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j)
    theta = rng.normal(0.5, 1.0, n)                      # the new sample is abler by 0.5
    x = keep_random(rng, simulate_2pl(rng, theta, a, b), 20)
    anchors = {i: {"a": a[i], "b": b[i]} for i in range(20)}
    fixed = calibrate(x, ["2pl"] * j, anchors=anchors)
    free = calibrate(x, ["2pl"] * j)
    new = np.arange(20, 30)
    assert np.allclose(fixed.a[:20], a[:20]) and np.allclose(fixed.difficulty[:20], b[:20])
    assert all(it.anchored and math.isnan(it.se_a) for it in fixed.items[:20])
    assert fixed.latent_mean == pytest.approx(0.5, abs=0.1)
    assert fixed.latent_sd == pytest.approx(1.0, abs=0.1)
    assert abs(np.mean(fixed.difficulty[new] - b[new])) < 0.1
    # without anchors the N(0, 1) scale absorbs the shift: b comes out about 0.5 too low
    assert np.mean(free.difficulty[new] - b[new]) == pytest.approx(-0.5, abs=0.15)
    assert free.latent_mean == 0.0 and free.latent_sd == 1.0
    # anchors may also come as a sequence with None for the free items, and round-trip
    as_list = [fixed.items[i].as_anchor() if i < 20 else None for i in range(j)]
    again = calibrate(x, ["2pl"] * j, anchors=as_list)
    assert np.allclose(again.difficulty, fixed.difficulty, atol=1e-6)


def test_standard_errors_shrink_with_more_persons():
    rng = np.random.default_rng(5)
    a, b = rng.lognormal(0.0, 0.3, 15), rng.normal(0.0, 1.0, 15)
    small = calibrate(simulate_2pl(rng, rng.normal(size=400), a, b), ["2pl"] * 15)
    large = calibrate(simulate_2pl(rng, rng.normal(size=1600), a, b), ["2pl"] * 15)
    ratio_a = np.median(small.se_a / large.se_a)
    ratio_b = np.median([s.se_b[0] / l.se_b[0] for s, l in zip(small.items, large.items)])
    assert 1.6 < ratio_a < 2.5 and 1.6 < ratio_b < 2.5        # sqrt(1600 / 400) = 2


def test_louis_standard_errors_match_the_numerical_observed_information():
    """SEs equal the inverse Hessian of the marginal log-likelihood, by finite differences."""
    rng = np.random.default_rng(9)
    a, b = np.array([0.8, 1.2, 1.6]), np.array([-0.5, 0.2, 0.9])
    x = simulate_2pl(rng, rng.normal(size=300), a, b)
    x[rng.random(x.shape) < 0.2] = np.nan
    res = calibrate(x, ["2pl"] * 3, a_prior=None, tol=1e-9, max_iter=2000)
    theta0 = np.concatenate([[it.a, -it.a * it.b[0]] for it in res.items])   # (a, d) per item

    def loglik(v):
        anchors = {j: (v[2 * j], -v[2 * j + 1] / v[2 * j]) for j in range(3)}
        return calibrate(x, ["2pl"] * 3, anchors=anchors, estimate_latent=False,
                         standard_errors=False, item_fit=False).loglik

    h, p = 1e-3, theta0.size
    hess = np.zeros((p, p))
    for i in range(p):
        for k in range(i, p):
            e_i, e_k = np.eye(p)[i] * h, np.eye(p)[k] * h
            hess[i, k] = hess[k, i] = (loglik(theta0 + e_i + e_k) - loglik(theta0 + e_i - e_k)
                                       - loglik(theta0 - e_i + e_k) + loglik(theta0 - e_i - e_k)) / (4 * h * h)
    cov = np.linalg.inv(-hess)
    assert np.allclose(res.se_a, np.sqrt(np.diag(cov))[0::2], rtol=1e-3)
    for j, it in enumerate(res.items):   # delta method for b = -d / a
        jac = np.array([theta0[2 * j + 1] / it.a ** 2, -1.0 / it.a])
        block = cov[2 * j:2 * j + 2, 2 * j:2 * j + 2]
        assert it.se_b[0] == pytest.approx(math.sqrt(jac @ block @ jac), rel=1e-3)


def test_fit_flags_a_misfitting_item_and_rarely_the_fitting_ones():
    rng = np.random.default_rng(17)
    n, j = 1000, 20
    theta = rng.normal(size=n)
    a, b = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j)
    x = simulate_2pl(rng, theta, a, b)
    bump = 0.15 + 0.7 * np.exp(-0.5 * (theta / 0.8) ** 2)        # non-monotone: no 2PL fits
    x[:, 0] = rng.random(n) < bump
    res = calibrate(x, ["2pl"] * j)
    fits = [it.fit for it in res.items]
    assert all(f.df == f.groups - 2 and f.groups == 10 for f in fits)
    assert fits[0].p_value < 1e-4
    p_rest = np.array([f.p_value for f in fits[1:]])
    assert np.mean(p_rest < 0.01) <= 0.1
    assert fits[0].statistic > 3 * np.median([f.statistic for f in fits[1:]])


def test_guessing_item_misfits_more_than_fitting_items_on_average():
    rng = np.random.default_rng(23)
    n, j = 2000, 15
    theta = rng.normal(size=n)
    a, b, c = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j), np.zeros(j)
    a[0], b[0], c[0] = 2.0, 1.0, 0.4                              # 3PL, fitted as 2PL
    res = calibrate(simulate_2pl(rng, theta, a, b, c), ["2pl"] * j)
    stats = np.array([it.fit.statistic for it in res.items])
    assert stats[0] > np.percentile(stats[1:], 90)


def dif_data(seed, n=2000, j=20):
    rng = np.random.default_rng(seed)
    groups = np.where(np.arange(n) < n // 2, "ref", "foc")
    theta = rng.normal(size=n) - 0.3 * (groups == "foc")         # impact as well as DIF
    a, b = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j)
    a[0], b[0] = 1.2, 0.0
    bb = np.tile(b, (n, 1))
    bb[groups == "foc", 0] += 0.8                                 # item 0 harder for the focal group
    p = irt.icc(theta[:, None], a[None, :], bb)
    return rng, groups, (rng.random(p.shape) < p).astype(float)


def test_mantel_haenszel_detects_the_dif_item_and_not_the_others():
    _, groups, x = dif_data(31)
    res = mantel_haenszel(x, groups, "ref", "foc")
    assert res[0].delta_mh < -1.5 and res[0].ets_class in ("B", "C") and res[0].p_value < 1e-4
    assert res[0].n_reference == res[0].n_focal == 1000
    others = np.array([r.delta_mh for r in res[1:]])
    assert np.all(np.abs(others) < 1.0)
    assert sum(r.ets_class == "A" for r in res[1:]) >= 18
    rest = mantel_haenszel(x, groups, "ref", "foc", matching="rest")
    assert rest[0].delta_mh < -1.5


def test_dif_in_calibration_on_sparse_data_uses_ability_strata():
    rng, groups, x = dif_data(37)
    x = keep_random(rng, x, 14)
    res = calibrate(x, ["2pl"] * 20, groups=groups, reference="ref", focal="foc")
    assert res.dif_reference == "ref" and res.dif_focal == "foc"
    assert res.items[0].dif.delta_mh < -1.0
    assert np.median([abs(it.dif.delta_mh) for it in res.items[1:]]) < 0.5
    assert res.as_rows()[0]["dif_class"] in ("B", "C")


def test_mantel_haenszel_by_hand():
    # stratum 1: ref 10 right 5 wrong, focal 6 right 9 wrong; stratum 2: ref 8/8, focal 4/12
    cells = [(0, "R", 1, 10), (0, "R", 0, 5), (0, "F", 1, 6), (0, "F", 0, 9),
             (1, "R", 1, 8), (1, "R", 0, 8), (1, "F", 1, 4), (1, "F", 0, 12),
             (2, "R", 1, 3), (2, "F", 1, 3)]                       # stratum without variation
    stratum, group, score = [], [], []
    for s, g, u, count in cells:
        stratum += [s] * count
        group += [g] * count
        score += [u] * count
    x = np.array(score, dtype=float)[:, None]
    r = mantel_haenszel(x, group, "R", "F", matching=np.array(stratum, dtype=float))[0]
    # alpha = (10*9/30 + 8*12/32) / (5*6/30 + 8*4/32) = 6 / 2
    assert r.alpha_mh == pytest.approx(3.0)
    assert r.delta_mh == pytest.approx(-2.35 * math.log(3.0))
    var = 15 * 15 * 16 * 14 / (30 ** 2 * 29) + 16 * 16 * 12 * 20 / (32 ** 2 * 31)
    assert r.chi2_mh == pytest.approx((abs(18 - 14) - 0.5) ** 2 / var)
    assert r.strata == 2 and r.n_reference == 34 and r.n_focal == 34


def test_mantel_haenszel_skips_missing_and_polytomous_items():
    x = np.array([[1, 2, np.nan], [0, 1, 1], [1, 0, 0], [0, 2, np.nan]], dtype=float)
    res = mantel_haenszel(x, ["a", "b", "a", "b"], "a", "b")
    assert res[1] is None                                           # scores 0..2: not dichotomous
    assert res[2].n_reference + res[2].n_focal == 2                # persons lacking the item skipped


def test_ets_classes():
    assert ets_class(-0.8, 0.2, 1e-4) == "A"          # small
    assert ets_class(-1.8, 0.6, 0.2) == "A"           # not significant
    assert ets_class(1.2, 0.2, 1e-3) == "B"
    assert ets_class(-1.6, 0.5, 1e-3) == "B"          # not significantly beyond 1
    assert ets_class(-2.0, 0.3, 1e-6) == "C"


def test_progress_callback_and_result_rows(complete_2pl):
    _, _, x, _ = complete_2pl
    calls = []
    res = calibrate(x[:300, :8], ["2pl"] * 8, progress=lambda i, m, d: calls.append((i, m, d)))
    assert [c[0] for c in calls] == list(range(1, res.iterations + 1))
    assert all(c[1] == 200 for c in calls) and math.isnan(calls[0][2])
    assert all(c[2] > -1e-6 for c in calls[1:])                     # EM never lowers the likelihood
    rows = res.as_rows()
    assert len(rows) == 8 and {"a", "se_a", "b", "se_b", "fit_p", "n"} <= rows[0].keys()
    stopped = calibrate(x[:300, :8], ["2pl"] * 8, max_iter=2)
    assert not stopped.converged and stopped.iterations == 2


def test_edge_cases_and_input_checks():
    rng = np.random.default_rng(41)
    x = simulate_2pl(rng, rng.normal(size=200), np.ones(5), np.linspace(-1, 1, 5))
    x[:, 0] = 1.0                     # everybody right: b runs to its bound, no SE
    x[:, 1] = np.nan                  # nobody answered
    x[3] = np.nan                     # a person without responses
    res = calibrate(x, ["2pl"] * 5)
    assert res.items[0].b[0] == pytest.approx(-6.0) and math.isnan(res.items[0].se_a)
    assert res.items[1].n == 0 and math.isnan(res.items[1].a)
    assert math.isnan(res.theta[3]) and np.isfinite(res.theta[4])
    with pytest.raises(ValueError):
        calibrate(np.array([[0, 2.0]]), ["2pl", "2pl"])
    with pytest.raises(ValueError):
        calibrate(np.zeros((3, 2)), ["2pl"])
    with pytest.raises(ValueError):
        calibrate(np.zeros((3, 2)), ["2pl", "rasch"])
    with pytest.raises(ValueError):
        calibrate(np.zeros((3, 1)), [("grm", 3)], anchors={0: {"a": 1.0, "b": [0.5, -0.5]}})


def test_3pl_with_known_guessing_recovers_what_a_2pl_fit_distorts():
    """Multiple-choice and yes/no items have a known guessing rate: fixed as the 3PL's lower
    asymptote it leaves a and b unbiased; a 2PL fit of the same answers flattens and shifts them."""
    rng = np.random.default_rng(31)
    j = 24
    a, b = rng.lognormal(0.2, 0.2, j), rng.normal(0.0, 1.0, j)
    c = np.where(np.arange(j) % 2 == 0, 0.25, 0.5)
    x = simulate_2pl(rng, rng.normal(size=3000), a, b, c)
    three = calibrate(x, [("3pl", cj) for cj in c])
    two = calibrate(x, ["2pl"] * j)
    assert [it.model for it in three.items] == ["3pl"] * j
    assert [it.guessing for it in three.items] == list(c)
    assert np.sqrt(np.mean((three.difficulty - b) ** 2)) < 0.2
    assert abs(np.median(three.a / a) - 1.0) < 0.15
    assert np.median(two.a / a) < 0.8                      # 2PL: slopes flattened by guessing
    assert np.mean(two.difficulty - b) < -0.3               # ... and items look easier
    assert all(np.isfinite(it.se_b[0]) for it in three.items)
    rows = three.as_rows()
    assert rows[0]["c"] == 0.25 and isinstance(rows[0]["b"], float)
    assert ItemSpec("3pl", 2, 0.0) != ItemSpec("2pl")       # but c = 0 parses as a 2PL:
    assert calibrate(x[:, :2], [("3pl", 0.0), "3pl:0"]).items[0].model == "2pl"
    with pytest.raises(ValueError, match="guessing"):
        calibrate(x[:, :1], [("3pl", 1.0)])


def test_displacement_flags_the_anchor_that_drifted():
    rng = np.random.default_rng(41)
    n, j = 2000, 25
    a, b = rng.lognormal(0.0, 0.25, j), rng.normal(0.0, 1.0, j)
    true_b = b.copy()
    true_b[3] += 0.8                                   # anchor 3 became harder since its calibration
    x = keep_random(rng, simulate_2pl(rng, rng.normal(0.2, 1.0, n), a, true_b), 18)
    anchors = {i: {"a": a[i], "b": b[i]} for i in range(15)}
    res = calibrate(x, ["2pl"] * j, anchors=anchors)
    moved = np.array([res.items[i].displacement for i in range(15)])
    se = np.array([res.items[i].se_displacement for i in range(15)])
    assert moved[3] == pytest.approx(0.8, abs=0.25) and moved[3] / se[3] > 4
    others = np.delete(moved, 3)
    assert np.all(np.abs(others) < 0.35)
    assert all(it.displacement is None for it in res.items[15:])   # free items are estimated
    assert "displacement" in res.as_rows()[3]
