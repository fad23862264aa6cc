"""Variant effects with uncertainty (degu.analysis.variant_effects) against independent numpy
computations: effect and std columns, correlations, stratified performance, intervals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from degu.analysis.variant_effects import (
    ALLELE_KINDS,
    UNCERTAINTY_KINDS,
    correlations,
    effect_columns,
    effect_interval,
    stratified,
    uncertainty_of,
)

RNG = np.random.default_rng(7)
N, T = 50, 2


def estimates(kinds=("epistemic", "aleatoric")):
    est = {"activity": RNG.normal(size=(N, T)).astype(np.float32)}
    for k in kinds:
        est[k] = np.abs(RNG.normal(size=(N, T))).astype(np.float32)
    return est


def test_effect_columns_of_a_student_against_numpy():
    ref, alt = estimates(), estimates()
    ref["epistemic"][0, 1] = -0.5  # a linear head can go negative: counts as 0
    cols = effect_columns(ref, alt, task_index=1)
    assert list(cols) == [
        "effect",
        "ref_activity",
        "alt_activity",
        "ref_epistemic",
        "alt_epistemic",
        "ref_aleatoric",
        "alt_aleatoric",
        "ref_total",
        "alt_total",
        "effect_epistemic",
        "effect_aleatoric",
        "effect_total",
    ]
    assert all(v.dtype == np.float64 and v.shape == (N,) for v in cols.values())
    r = {k: v[:, 1].astype(np.float64) for k, v in ref.items()}
    a = {k: v[:, 1].astype(np.float64) for k, v in alt.items()}
    np.testing.assert_array_equal(cols["effect"], a["activity"] - r["activity"])
    np.testing.assert_array_equal(cols["ref_epistemic"], r["epistemic"])  # as predicted, sign kept
    rt = np.hypot(np.clip(r["epistemic"], 0, None), r["aleatoric"])
    at = np.hypot(a["epistemic"], a["aleatoric"])
    np.testing.assert_allclose(cols["ref_total"], rt, rtol=1e-12)
    np.testing.assert_allclose(cols["alt_total"], at, rtol=1e-12)
    np.testing.assert_allclose(
        cols["effect_epistemic"], np.hypot(np.clip(r["epistemic"], 0, None), a["epistemic"]), rtol=1e-12
    )
    np.testing.assert_allclose(cols["effect_aleatoric"], np.hypot(r["aleatoric"], a["aleatoric"]), rtol=1e-12)
    np.testing.assert_allclose(cols["effect_total"], np.hypot(rt, at), rtol=1e-12)
    assert cols["ref_total"][0] == pytest.approx(r["aleatoric"][0])


def test_effect_columns_without_heads_are_nan_and_total_is_the_one_kind():
    ref, alt = estimates(kinds=()), estimates(kinds=())
    cols = effect_columns(ref, alt)
    np.testing.assert_array_equal(cols["effect"], alt["activity"][:, 0].astype(float) - ref["activity"][:, 0])
    for key in ("ref_epistemic", "alt_aleatoric", "ref_total", "effect_total", "effect_epistemic"):
        assert np.isnan(cols[key]).all(), key
    ref, alt = estimates(kinds=("epistemic",)), estimates(kinds=("epistemic",))
    cols = effect_columns(ref, alt)
    np.testing.assert_array_equal(cols["ref_total"], ref["epistemic"][:, 0].astype(np.float64))
    np.testing.assert_array_equal(cols["effect_total"], cols["effect_epistemic"])
    assert np.isnan(cols["effect_aleatoric"]).all()


def test_effect_columns_reject_mismatched_inputs():
    with pytest.raises(ValueError, match="task_index 2 is out of range for 2 task"):
        effect_columns(estimates(), estimates(), task_index=2)
    with pytest.raises(ValueError, match="ref and alt estimates have other keys"):
        effect_columns(estimates(), estimates(kinds=("epistemic",)))
    with pytest.raises(ValueError, match="est_alt has no 'activity'"):
        effect_columns(estimates(), {"epistemic": np.zeros((N, T))})


def test_uncertainty_of_names_and_errors():
    cols = effect_columns(estimates(), estimates())
    for kind in UNCERTAINTY_KINDS:
        for allele in ALLELE_KINDS:
            np.testing.assert_array_equal(uncertainty_of(cols, kind, allele), cols[f"{allele}_{kind}"])
    with pytest.raises(ValueError) as e:
        uncertainty_of(cols, "variance", "alt")
    assert str(e.value) == "uncertainty kind 'variance': choose one of total, epistemic, aleatoric"
    with pytest.raises(ValueError) as e:
        uncertainty_of(cols, "total", "both")
    assert str(e.value) == "allele 'both': choose one of ref, alt, effect"


def ranks_corr(x, y):
    return np.corrcoef(stats.rankdata(x), stats.rankdata(y))[0, 1]


def test_correlations_against_numpy():
    x = RNG.normal(size=40)
    y = 0.5 * x + RNG.normal(size=40)
    y[3] = y[7]  # a tie
    got = correlations(x, y)
    assert got["n"] == 40
    assert got["pearson"] == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    assert got["spearman"] == pytest.approx(ranks_corr(x, y), rel=1e-12)
    # non-finite pairs are left out
    x2, y2 = x.copy(), y.copy()
    x2[0], y2[5] = np.nan, np.inf
    keep = np.ones(40, bool)
    keep[[0, 5]] = False
    got = correlations(x2, y2)
    assert got["n"] == 38
    assert got["pearson"] == pytest.approx(np.corrcoef(x[keep], y[keep])[0, 1], rel=1e-12)


def test_correlations_nan_for_too_few_or_constant_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y, n in (([1.0, 2.0], [2.0, 1.0], 2), (np.ones(10), np.arange(10.0), 10), ([], [], 0)):
            got = correlations(x, y)
            assert np.isnan(got["pearson"]) and np.isnan(got["spearman"]) and got["n"] == n


def test_stratified_against_numpy():
    n = 200
    pred = RNG.normal(size=n)
    unc = np.abs(RNG.normal(size=n))
    measured = pred + unc * RNG.normal(size=n)  # less certain -> noisier
    quantiles = [0.1, 0.25, 0.5, 1.0]
    got = stratified(pred, measured, unc, quantiles)
    assert list(got.columns) == ["quantile", "threshold", "n", "pearson", "spearman"]
    for row, q in zip(got.itertuples(), quantiles, strict=True):
        t = np.quantile(unc, q)
        keep = unc <= t
        assert (row.quantile, row.threshold, row.n) == (q, pytest.approx(t), keep.sum())
        assert row.pearson == pytest.approx(np.corrcoef(pred[keep], measured[keep])[0, 1], rel=1e-10)
        assert row.spearman == pytest.approx(ranks_corr(pred[keep], measured[keep]), rel=1e-10)
    assert got["n"].iloc[-1] == n
    assert got["pearson"].iloc[0] > got["pearson"].iloc[-1]  # the certain ones are predicted better
    with pytest.raises(ValueError, match="quantile 0.0 is not in"):
        stratified(pred, measured, unc, [0.0])


def test_effect_interval_normal_and_conformal():
    effect = np.array([0.5, -1.0, np.nan, 2.0])
    sigma = np.array([0.1, 0.0, 0.3, -0.2])  # 0 and negative floored at 1e-8
    z = stats.norm.ppf(0.975)
    got = effect_interval(effect, sigma, 0.05)
    floored = np.array([0.1, 1e-8, 0.3, 1e-8])
    np.testing.assert_allclose(got.lower, effect - z * floored, rtol=1e-12)
    np.testing.assert_allclose(got.upper, effect + z * floored, rtol=1e-12)
    assert got.lower_conformal is None and got.upper_conformal is None
    with pytest.raises(ValueError):  # four fields: a two-name unpacking fails loudly
        lo, hi = got
    got = effect_interval(effect, sigma, 0.1, scale=2.5)
    np.testing.assert_allclose(got.lower, effect - stats.norm.ppf(0.95) * floored, rtol=1e-12)
    np.testing.assert_allclose(got.lower_conformal, effect - 2.5 * floored, rtol=1e-12)
    np.testing.assert_allclose(got.upper_conformal, effect + 2.5 * floored, rtol=1e-12)
