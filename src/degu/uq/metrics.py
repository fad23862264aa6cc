"""Performance metrics (per task) and the tidy results table."""

from __future__ import annotations

import numpy as np
from scipy import stats

METRIC_COLUMNS = ["dataset", "fraction", "method", "seed", "task", "metric", "value"]


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MSE, Pearson r and Spearman rho of one task's predictions."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shape mismatch: {y_true.shape} vs {y_pred.shape}")
    return {
        "mse": float(np.mean((y_true - y_pred) ** 2)),
        "pearson": float(stats.pearsonr(y_true, y_pred)[0]),
        "spearman": float(stats.spearmanr(y_true, y_pred)[0]),
    }


def tidy_rows(
    dataset: str, fraction: float, method: str, seed, tasks: list[str], y_true, y_pred, prefix: str = ""
) -> list[dict]:
    """Rows of the tidy table for every task and metric (metric names get ``prefix``)."""
    keys = {"dataset": dataset, "fraction": fraction, "method": method, "seed": seed}
    return [{**keys, **row} for row in task_metric_rows(tasks, y_true, y_pred, prefix)]


def task_metric_rows(tasks: list[str], y_true, y_pred, prefix: str = "") -> list[dict]:
    """``{"task", "metric", "value"}`` for every task (column) and metric of :func:`regression_metrics`."""
    return [
        {"task": task, "metric": prefix + metric, "value": value}
        for j, task in enumerate(tasks)
        for metric, value in regression_metrics(y_true[:, j], y_pred[:, j]).items()
    ]


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t-interval (mean, low, high); a single value has a zero-width interval."""
    v = np.asarray(values, dtype=np.float64)
    m = float(v.mean())
    if len(v) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return m, m - half, m + half


CORRELATION_CI = "t-interval on Fisher's z = arctanh(r), back-transformed"


def correlation_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of correlation coefficients and a two-sided interval that stays inside [-1, 1]:
    a t-interval over seeds on Fisher's z = arctanh(r), transformed back with tanh
    (:data:`CORRELATION_CI`). A single value has a zero-width interval."""
    r = np.asarray(values, dtype=np.float64)
    if r.size and (np.abs(r) > 1).any():
        raise ValueError(f"correlations must lie in [-1, 1], got {r[np.abs(r) > 1][:3].tolist()}")
    m = float(r.mean())
    if len(r) < 2:
        return m, m, m
    _, lo, hi = mean_ci(np.arctanh(np.clip(r, -1 + 1e-12, 1 - 1e-12)), confidence)
    return m, float(np.tanh(lo)), float(np.tanh(hi))
