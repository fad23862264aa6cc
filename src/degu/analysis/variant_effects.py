"""Variant effects with uncertainty: arrays of predictions in, columns and tables out.

The effect of a variant is ``prediction(alt) - prediction(ref)`` of the activity head. Each
allele's prediction carries the model's epistemic and aleatoric std (a DEGU student's heads,
or an ensemble's spread and mean aleatoric head: :func:`degu.predict.combine`) and their
total ``sqrt(max(e, 0)**2 + max(a, 0)**2)``. The std of the effect, per kind, is
``sqrt(ref**2 + alt**2)`` (negative predicted stds counted as 0): the std of a difference of
*independent* errors. The two alleles' windows differ in one base, so their errors are
positively correlated and the true std of the difference is smaller: this std is
conservative (intervals built from it are too wide rather than too narrow).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

ALLELE_KINDS = ("ref", "alt", "effect")
UNCERTAINTY_KINDS = ("total", "epistemic", "aleatoric")
#: the pipeline's tables (degu.jobs.variant_effects writes them, degu.plots.variant_effects draws
#: them): the std columns of one model x variant, every column of metrics/variant_predictions.csv,
#: and the tidy metrics/variant_effects.csv
STD_COLUMNS = (
    *("ref_epistemic", "alt_epistemic", "ref_aleatoric", "alt_aleatoric", "ref_total", "alt_total"),
    *("effect_epistemic", "effect_aleatoric", "effect_total"),
)
PREDICTION_COLUMNS = (
    *("locus", "cell_type", "method", "seed", "variant", "chrom", "pos", "ref", "alt", "position"),
    *("measured", "effect", "ref_activity", "alt_activity"),
    *STD_COLUMNS,
)
SUMMARY_COLUMNS = ("locus", "cell_type", "method", "seed", "quantile", "metric", "value")


def _task_column(est: dict, key: str, task_index: int, n: int) -> np.ndarray:
    if key not in est:
        return np.full(n, np.nan)
    return np.asarray(est[key], dtype=np.float64)[:, task_index]


def _combined(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sqrt(max(a, 0)**2 + max(b, 0)**2)`` (NaN stays NaN)."""
    from degu.uq.calibration import predicted_total_std

    return predicted_total_std(a, b)


def effect_columns(est_ref: dict, est_alt: dict, task_index: int = 0) -> dict[str, np.ndarray]:
    """Per-variant columns of one task from the ref and alt estimates (what
    :func:`degu.predict.combine` returns: ``activity`` and optionally ``epistemic`` and
    ``aleatoric``, each (N, T)).

    Keys, in order (float64, NaN where the model has no such head): ``effect``,
    ``ref_activity``, ``alt_activity``, ``ref_epistemic``, ``alt_epistemic``,
    ``ref_aleatoric``, ``alt_aleatoric``, ``ref_total``, ``alt_total``, ``effect_epistemic``,
    ``effect_aleatoric``, ``effect_total``. ``total`` is
    :func:`degu.uq.calibration.predicted_total_std` of both kinds when both exist, else the
    one that exists; the effect's std of each kind is ``sqrt(ref**2 + alt**2)`` (see the
    module doc: conservative).
    """
    for name, est in (("est_ref", est_ref), ("est_alt", est_alt)):
        if "activity" not in est:
            raise ValueError(f"{name} has no 'activity' (keys: {sorted(est)})")
    shape_r, shape_a = np.shape(est_ref["activity"]), np.shape(est_alt["activity"])
    if shape_r != shape_a or len(shape_r) != 2:
        raise ValueError(f"ref and alt activities must be (N, T) of one shape, got {shape_r} and {shape_a}")
    if sorted(est_ref) != sorted(est_alt):
        raise ValueError(f"ref and alt estimates have other keys: {sorted(est_ref)} and {sorted(est_alt)}")
    n, n_tasks = shape_r
    if not 0 <= task_index < n_tasks:
        raise ValueError(f"task_index {task_index} is out of range for {n_tasks} task(s)")
    cols: dict[str, np.ndarray] = {}
    per = {allele: {} for allele in ("ref", "alt")}
    for allele, est in (("ref", est_ref), ("alt", est_alt)):
        for key in ("activity", "epistemic", "aleatoric"):
            per[allele][key] = _task_column(est, key, task_index, n)
        e, a = per[allele]["epistemic"], per[allele]["aleatoric"]
        has_e, has_a = "epistemic" in est, "aleatoric" in est
        per[allele]["total"] = _combined(e, a) if has_e and has_a else (e if has_e else a)
    cols["effect"] = per["alt"]["activity"] - per["ref"]["activity"]
    for key in ("activity", "epistemic", "aleatoric", "total"):
        cols[f"ref_{key}"] = per["ref"][key]
        cols[f"alt_{key}"] = per["alt"][key]
    for kind in ("epistemic", "aleatoric", "total"):
        cols[f"effect_{kind}"] = _combined(per["ref"][kind], per["alt"][kind])
    return cols


def uncertainty_of(columns, kind: str, allele: str) -> np.ndarray:
    """Column ``<allele>_<kind>`` of :func:`effect_columns`' output (a dict or a table)."""
    if kind not in UNCERTAINTY_KINDS:
        raise ValueError(f"uncertainty kind '{kind}': choose one of {', '.join(UNCERTAINTY_KINDS)}")
    if allele not in ALLELE_KINDS:
        raise ValueError(f"allele '{allele}': choose one of {', '.join(ALLELE_KINDS)}")
    name = f"{allele}_{kind}"
    if name not in columns:
        raise ValueError(f"no column '{name}' among {list(columns)}")
    return np.asarray(columns[name], dtype=np.float64)


def _finite_pairs(*arrays) -> list[np.ndarray]:
    arrays = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    sizes = {a.size for a in arrays}
    if len(sizes) != 1:
        raise ValueError(f"arrays of different lengths: {[a.size for a in arrays]}")
    keep = np.logical_and.reduce([np.isfinite(a) for a in arrays])
    return [a[keep] for a in arrays]


def correlations(pred, measured) -> dict:
    """``{"pearson", "spearman", "n"}`` over the pairs where both are finite; the
    correlations are NaN when ``n < 3`` or either side is constant (no warning)."""
    from scipy import stats

    p, m = _finite_pairs(pred, measured)
    n = int(p.size)
    if n < 3 or np.ptp(p) == 0 or np.ptp(m) == 0:
        return {"pearson": float("nan"), "spearman": float("nan"), "n": n}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = float(stats.pearsonr(p, m)[0])
        spearman = float(stats.spearmanr(p, m)[0])
    return {"pearson": pearson, "spearman": spearman, "n": n}


def stratified(pred, measured, uncertainty, quantiles) -> pd.DataFrame:
    """Correlations on the variants whose ``uncertainty`` is at most its ``q``-quantile
    (``np.quantile``, default linear interpolation), for each ``q`` in ``quantiles`` (in
    (0, 1]; 1.0 = every variant). Variants with a non-finite value in any of the three
    arrays are left out first. Columns ``quantile, threshold, n, pearson, spearman``."""
    p, m, u = _finite_pairs(pred, measured, uncertainty)
    rows = []
    for q in quantiles:
        q = float(q)
        if not 0.0 < q <= 1.0:
            raise ValueError(f"quantile {q} is not in (0, 1]")
        threshold = float(np.quantile(u, q)) if u.size else float("nan")
        keep = u <= threshold
        rows.append({"quantile": q, "threshold": threshold, **correlations(p[keep], m[keep])})
    table = pd.DataFrame(rows, columns=["quantile", "threshold", "pearson", "spearman", "n"])
    return table[["quantile", "threshold", "n", "pearson", "spearman"]]


class EffectInterval(NamedTuple):
    """Bounds of the effect's interval: normal (``effect -/+ z sigma``) and, when a conformal
    scale was given, ``effect -/+ scale * sigma`` (else None)."""

    lower: np.ndarray
    upper: np.ndarray
    lower_conformal: np.ndarray | None
    upper_conformal: np.ndarray | None


def effect_interval(effect, sigma_effect, alpha: float, scale: float | None = None) -> EffectInterval:
    """The ``1 - alpha`` interval of the effect from its std ``sigma_effect`` (floored at
    :data:`degu.uq.calibration.SIGMA_FLOOR` like ``degu predict``); with ``scale`` (a bundle's
    stored conformal lambda, calibrated on the activity's residuals, here applied to the
    effect's std) also the conformal bounds. NaN stays NaN."""
    from degu.uq.calibration import SIGMA_FLOOR, normal_quantile

    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha {alpha} is not in (0, 1)")
    mu = np.asarray(effect, dtype=np.float64)
    sd = np.asarray(sigma_effect, dtype=np.float64)
    sigma = np.maximum(sd, SIGMA_FLOOR)  # NaN stays NaN
    z = normal_quantile(1 - alpha / 2)
    if scale is None:
        return EffectInterval(mu - z * sigma, mu + z * sigma, None, None)
    lam = float(scale)
    return EffectInterval(mu - z * sigma, mu + z * sigma, mu - lam * sigma, mu + lam * sigma)
