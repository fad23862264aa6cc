"""Interval coverage, interval size and conformal calibration against hand-worked values."""

import math

import numpy as np
import pytest

from degu.uq.calibration import (
    Z95,
    calibration_rows,
    conformal_scale,
    coverage,
    interval_width,
    normal_quantile,
    total_std,
)


def test_coverage_hand_example():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    mu = np.array([0.0, 0.0, 0.0, 0.0])
    sigma = np.array([1.0, 1.0, 1.0, 1.0])
    # |y - mu| = 0, 1, 2, 3 against half-width 1.96: the first two are inside
    assert coverage(y, mu, sigma) == 0.5
    # bounds are inclusive: a residual exactly on the bound counts as covered
    assert coverage(y, mu, sigma, scale=2.0) == 0.75


def test_interval_width_is_mean_full_width():
    assert interval_width([1.0, 3.0]) == pytest.approx(2 * Z95 * 2.0)
    assert interval_width([0.5], scale=2.0) == pytest.approx(2.0)


def test_z95_is_the_normal_quantile():
    assert Z95 == pytest.approx(1.96, abs=1e-3)
    assert normal_quantile(0.975) == pytest.approx(Z95, abs=1e-12)


def test_total_std_adds_variances():
    np.testing.assert_allclose(total_std([3.0, 0.0], [4.0, 2.0]), [5.0, 2.0])


def test_conformal_quantile_finite_sample_correction_hand_example():
    # scores |y - mu| / sigma = 1..19 (n = 19); alpha = 0.1:
    # k = ceil(20 * 0.9) = 18 -> the 18th smallest score = 18 (not the plain 90% quantile 17.2)
    scores = np.arange(1, 20, dtype=float)
    rng = np.random.default_rng(0)
    order = rng.permutation(19)
    sigma = np.full(19, 0.5)
    y = scores[order] * sigma
    assert conformal_scale(y, np.zeros(19), sigma, alpha=0.1) == 18.0
    # alpha = 0.05: k = ceil(20 * 0.95) = 19 -> the largest score
    assert conformal_scale(y, np.zeros(19), sigma, alpha=0.05) == 19.0
    # n = 18, alpha = 0.05: k = ceil(19 * 0.95) = 19 > n -> infinite interval
    assert math.isinf(conformal_scale(y[:18], np.zeros(18), sigma[:18], alpha=0.05))


def test_conformal_scale_uses_scaled_residuals():
    y = np.array([1.0, -2.0, 3.0, 0.5])
    mu = np.zeros(4)
    sigma = np.array([1.0, 1.0, 3.0, 0.25])  # scores 1, 2, 1, 2
    # n = 4, alpha = 0.5: k = ceil(5 * 0.5) = 3 -> sorted scores 1, 1, 2, 2 -> 2
    assert conformal_scale(y, mu, sigma, alpha=0.5) == 2.0


def test_zero_sigma_with_zero_residual_scores_zero():
    assert conformal_scale([0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [0.0, 1.0, 1.0], alpha=0.5) == 1.0


def test_conformal_restores_coverage_with_known_sigma():
    """Heteroscedastic Gaussian noise with known sigma, predictions 3x overconfident:
    coverage before ~ P(|Z| < 1.96/3) = 0.49; after conformal ~ 0.95 and lambda ~ 3 * 1.96."""
    rng = np.random.default_rng(1)
    n = 20000
    true_sigma = rng.uniform(0.2, 1.5, size=2 * n)
    mu = rng.normal(size=2 * n)
    y = mu + true_sigma * rng.normal(size=2 * n)
    pred_sigma = true_sigma / 3.0
    r = calibration_rows(y[n:], mu[n:], pred_sigma[n:], y[:n], mu[:n], pred_sigma[:n], alpha=0.05)
    assert r["coverage"] == pytest.approx(0.4920, abs=0.015)
    assert r["conformal_scale"] == pytest.approx(3 * Z95, rel=0.03)
    assert r["coverage_conformal"] == pytest.approx(0.95, abs=0.006)
    assert r["interval_width_conformal"] == pytest.approx(
        np.mean(2 * r["conformal_scale"] * pred_sigma[n:]), rel=1e-12
    )


def test_conformal_coverage_guarantee_over_many_draws():
    """Marginal coverage of split conformal is >= 1 - alpha (and < 1 - alpha + 1/(n+1))."""
    rng = np.random.default_rng(2)
    n_cal, n_test, reps = 50, 200, 400
    cov = []
    for _ in range(reps):
        y = rng.standard_t(df=3, size=n_cal + n_test)  # heavy tails, sigma badly wrong
        sigma = np.full_like(y, 0.3)
        lam = conformal_scale(y[:n_cal], np.zeros(n_cal), sigma[:n_cal], alpha=0.1)
        cov.append(coverage(y[n_cal:], np.zeros(n_test), sigma[n_cal:], lam))
    mean = np.mean(cov)
    se = np.std(cov) / np.sqrt(reps)
    assert 0.9 - 3 * se <= mean <= 0.9 + 1 / (n_cal + 1) + 3 * se


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0, 2.0], [1.0], [1.0, 1.0]), "length mismatch"),
        (([1.0], [np.nan], [1.0]), "non-finite"),
        (([1.0], [1.0], [-1.0]), "non-negative"),
    ],
)
def test_bad_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        coverage(*args)


def test_alpha_out_of_range():
    with pytest.raises(ValueError, match="alpha"):
        conformal_scale([1.0], [0.0], [1.0], alpha=1.5)
