"""Training health (rules/health.smk): best and last epoch, budget and final learning rate."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io import hdf5

log = logging.getLogger("degu")


def training_health(history: pd.DataFrame, max_epochs: int) -> dict:
    """Best and last epoch, the epoch budget, the best validation loss and the final learning
    rate of one (first-stage) training run, from its Keras history."""
    best = history.loc[history["val_loss"].idxmin()]
    lr = history["learning_rate"].iloc[-1] if "learning_rate" in history else np.nan
    return {
        "best_epoch": int(best["epoch"]),
        "stopped_epoch": int(history["epoch"].iloc[-1]),
        "max_epochs": int(max_epochs),
        "best_val_loss": float(best["val_loss"]),
        "final_lr": float(lr),
    }


def warn_if_edge_epoch(health: dict, what: str) -> None:
    """Log a warning when a model's best epoch is the first or the last allowed (a model that
    never learned, or one the epoch budget cut short); ``what`` names it (e.g. "teacher seed 0")."""
    if health["best_epoch"] in (1, health["max_epochs"]):
        log.warning(
            "%s: best validation epoch is %d of at most %d (%s): check this model's training",
            what,
            health["best_epoch"],
            health["max_epochs"],
            "the first" if health["best_epoch"] == 1 else "the last allowed",
        )


TRAINING_COLUMNS = [
    "dataset",
    "fraction",
    "method",
    "model",
    "seed",
    "best_epoch",
    "stopped_epoch",
    "max_epochs",
    "best_val_loss",
    "final_lr",
]


def training_health_job(*, models: list[dict], out_csv) -> pd.DataFrame:
    """One row per trained model (``models`` items: ``{"dataset", "fraction", "path"}``, the
    path of its predictions file ``.../<model>/seed<seed>/predictions.h5``) with the health
    :func:`train_model_job` recorded. ``model`` is the model directory (teacher, student,
    student_k2, evoaug_teacher, ...): several share a ``method`` label."""
    from degu.io.atomic import atomic_path

    rows = []
    for m in models:
        attrs = hdf5.read_attrs(m["path"])
        if "health" not in attrs:
            raise DeguInputError(f"{m['path']}: no training health recorded (trained by an older version?)")
        rows.append(
            {
                "dataset": m["dataset"],
                "fraction": float(m["fraction"]),
                "method": attrs["method"],
                "model": Path(m["path"]).parent.parent.name,
                "seed": int(attrs["seed"]),
                **json.loads(attrs["health"]),
            }
        )
    table = pd.DataFrame(rows, columns=TRAINING_COLUMNS).sort_values(["dataset", "fraction", "model", "seed"])
    at_first = int((table["best_epoch"] == 1).sum())
    at_max = int((table["best_epoch"] == table["max_epochs"]).sum())
    log.info("%d models: best epoch = 1 for %d, = max_epochs for %d", len(table), at_first, at_max)
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table
