"""Uncertainty calibration: interval coverage, interval size and conformal scaling.

Following the paper's Methods (Uncertainty calibration analysis):

* a Gaussian 95% prediction interval is ``mu_hat +/- z * sigma_hat`` with ``z = 1.96``;
* the prediction interval coverage probability (PICP) is the fraction of test
  sequences whose measured activity falls inside their interval (bounds included);
* the interval size is the mean full width ``2 * z * sigma_hat`` (we report the full
  width, not the half width);
* total uncertainty is ``sigma_T = sqrt(sigma_E**2 + sigma_A**2)``.

Conformal calibration (split conformal prediction with a normalised score): on the
calibration set (the validation split) compute the scores ``|y - y_hat| / sigma_hat``
and take their finite-sample-corrected ``(1 - alpha)`` quantile ``lambda`` (the
``ceil((n + 1)(1 - alpha))``-th smallest score). The calibrated interval on the test
set is ``y_hat +/- lambda * sigma_hat``: ``lambda`` replaces ``z``, i.e. it multiplies
the predicted uncertainty. Under exchangeability the test coverage is then at least
``1 - alpha`` (and below ``1 - alpha + 1/(n + 1)`` for continuous scores).
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # standard-normal 0.975 quantile; the paper's "1.96"


def _as_1d(name: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one task), got shape {a.shape}")
    return a


def _check(y, mu, sigma):
    y, mu, sigma = _as_1d("y", y), _as_1d("mu", mu), _as_1d("sigma", sigma)
    if not (len(y) == len(mu) == len(sigma)):
        raise ValueError(f"length mismatch: y {len(y)}, mu {len(mu)}, sigma {len(sigma)}")
    if len(y) == 0:
        raise ValueError("no values")
    if not (np.isfinite(y).all() and np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError("non-finite value in y, mu or sigma")
    if (sigma < 0).any():
        raise ValueError("sigma must be non-negative")
    return y, mu, sigma


def total_std(*stds) -> np.ndarray:
    """``sqrt(sum_k sigma_k**2)``: total uncertainty from independent components."""
    return np.sqrt(sum(np.square(np.asarray(s, dtype=np.float64)) for s in stds))


def predicted_total_std(epistemic, aleatoric) -> np.ndarray:
    """Total std of predicted epistemic and aleatoric stds; a negative prediction of a linear
    head counts as 0."""
    return total_std(np.maximum(epistemic, 0), np.maximum(aleatoric, 0))


def coverage(y, mu, sigma, scale: float = Z95) -> float:
    """PICP: fraction of ``y`` inside ``[mu - scale*sigma, mu + scale*sigma]``."""
    y, mu, sigma = _check(y, mu, sigma)
    return float(np.mean(np.abs(y - mu) <= scale * sigma))


def interval_width(sigma, scale: float = Z95) -> float:
    """Mean full interval width ``2 * scale * sigma``."""
    return float(np.mean(2.0 * scale * _as_1d("sigma", sigma)))


def conformal_scale(y_cal, mu_cal, sigma_cal, alpha: float = 0.05) -> float:
    """Finite-sample-corrected ``(1 - alpha)`` quantile of ``|y - mu| / sigma`` on calibration data.

    Returns the ``k``-th smallest score with ``k = ceil((n + 1)(1 - alpha))``; if
    ``k > n`` the guarantee needs an infinite interval and ``inf`` is returned. A zero
    ``sigma`` gives an infinite score unless the residual is also zero (score 0).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    y, mu, sigma = _check(y_cal, mu_cal, sigma_cal)
    resid = np.abs(y - mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(resid == 0, 0.0, resid / sigma)
    n = len(scores)
    k = math.ceil((n + 1) * (1 - alpha))
    if k > n:
        return math.inf
    return float(np.sort(scores)[k - 1])


def calibration_rows(
    y_test, mu_test, sigma_test, y_cal, mu_cal, sigma_cal, alpha: float = 0.05
) -> dict[str, float]:
    """Coverage and interval size before (``z = 1.96``) and after conformal scaling."""
    lam = conformal_scale(y_cal, mu_cal, sigma_cal, alpha)
    z = normal_quantile(1 - alpha / 2)  # 1.96 for alpha = 0.05
    return {
        "coverage": coverage(y_test, mu_test, sigma_test, z),
        "interval_width": interval_width(sigma_test, z),
        "conformal_scale": lam,
        "coverage_conformal": coverage(y_test, mu_test, sigma_test, lam),
        "interval_width_conformal": interval_width(sigma_test, lam),
    }


def normal_quantile(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(p))


#: predicted stds at or below zero (linear heads) are floored here: a zero-width interval
SIGMA_FLOOR = 1e-8


def method_estimates(method: str, arrays: dict, heads: list[str] | None = None) -> dict[str, dict]:
    """Activity and uncertainty estimates (std) of one model or ensemble, per split.

    Returns ``{split: {"mean": (N,), "epistemic"/"aleatoric"/"total": (N,)}}`` (splits Val,
    Test and, when ``arrays`` has it, Cal) for the single-task calibration analysis. A model's
    outputs (``{split}/pred``) are decoded by their ``heads`` (:func:`degu.models.heads.estimates`;
    without ``heads``: activity only, or the heteroscedastic/evidential outputs for those
    methods). Stds predicted by linear heads can be negative; they are floored at
    ``SIGMA_FLOOR`` (a zero-width interval), and the number of such cases is reported by
    :func:`degu.jobs.calibration.calibration_job`.
    """
    from degu.models.heads import EVIDENTIAL_HEADS, HETEROSCEDASTIC_HEADS, HeadLayout, estimates

    out: dict[str, dict] = {}
    cal = ("Cal",) if any(k.startswith("Cal/") for k in arrays) else ()
    for split in ("Val", "Test", *cal):
        est: dict[str, np.ndarray] = {}
        if method in ("ensemble", "heteroscedastic_ensemble", "mc_dropout"):
            est["mean"] = arrays[f"{split}/mean"][:, 0]
            est["epistemic"] = arrays[f"{split}/std"][:, 0]
            if method != "mc_dropout" and f"{split}/aleatoric" in arrays:
                est["aleatoric"] = arrays[f"{split}/aleatoric"][:, 0]
        else:
            default = {"heteroscedastic": HETEROSCEDASTIC_HEADS, "evidential": EVIDENTIAL_HEADS}.get(
                method, ("mean",)
            )
            decoded = estimates(arrays[f"{split}/pred"], HeadLayout(tuple(heads or default), ("task",)))
            est = {("mean" if k == "activity" else k): v[:, 0] for k, v in decoded.items()}
        est = {k: np.asarray(v, dtype=np.float64) for k, v in est.items()}
        if "epistemic" in est and "aleatoric" in est:
            est["total"] = predicted_total_std(est["epistemic"], est["aleatoric"])
        out[split] = est
    return out
