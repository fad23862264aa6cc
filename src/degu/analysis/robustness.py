"""Covariate-shift (OOD), EvoAug and teacher-ensemble-size analysis (paper Fig. 3, Supp.
Figs. 2-5): arrays in, tidy rows out.

The jobs that read the prediction files and write the tables are
:mod:`degu.jobs.robustness` (``metrics/robustness.csv``) and :mod:`degu.jobs.ensemble_size`
(``metrics/ensemble_size.csv``).
"""

from __future__ import annotations

import numpy as np

ROBUSTNESS_COLUMNS = ["dataset", "procedure", "seed", "task", "shift", "metric", "value"]
ENSEMBLE_SIZE_COLUMNS = ["dataset", "k", "method", "seed", "task", "metric", "value"]


def mse_to_oracle_rows(dataset, procedure, seed, tasks, shift, target, pred) -> list[dict]:
    """Per task, the MSE of ``pred`` (N, >= T) to the oracle mean ``target`` (N, T) on one
    shift level (metric ``mse_oracle``; rows of :data:`ROBUSTNESS_COLUMNS`)."""
    return [
        {
            "dataset": dataset,
            "procedure": procedure,
            "seed": seed,
            "task": task,
            "shift": shift,
            "metric": "mse_oracle",
            "value": float(np.mean((pred[:, j].astype(np.float64) - target[:, j]) ** 2)),
        }
        for j, task in enumerate(tasks)
    ]


def observed_test_rows(dataset, procedure, seed, tasks, y, pred) -> list[dict]:
    """Test metrics (:func:`degu.uq.metrics.task_metric_rows`) of ``pred`` against the observed
    activity ``y``, as rows of :data:`ROBUSTNESS_COLUMNS` with shift ``none``."""
    from degu.uq.metrics import task_metric_rows

    keys = {"dataset": dataset, "procedure": procedure, "seed": seed, "shift": "none"}
    return [{**keys, **row} for row in task_metric_rows(tasks, y, pred)]


def ensemble_size_rows(dataset, k, method, seed, tasks, y, pred) -> list[dict]:
    """Test metrics of ``pred`` against ``y`` for ensemble size ``k``, as rows of
    :data:`ENSEMBLE_SIZE_COLUMNS`."""
    from degu.uq.metrics import task_metric_rows

    keys = {"dataset": dataset, "k": int(k), "method": method, "seed": seed}
    return [{**keys, **row} for row in task_metric_rows(tasks, y, pred)]
