"""One function per pipeline step: what each Snakemake rule runs.

The functions take plain paths and values, so the same steps run from the CLI,
from a notebook or from Snakemake (whose scripts in workflow/scripts only unpack
``snakemake.input/output/params`` and call these).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from degu.io import hdf5
from degu.splits import read_subset

log = logging.getLogger("degu")


def _prediction_attrs(**attrs) -> dict:
    return {k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in attrs.items()}


def train_model_job(
    *,
    role: str,
    dataset_h5,
    fraction: float,
    seed: int,
    architecture: str,
    model_params: dict,
    training: dict,
    threads: int | None,
    out_model,
    out_history,
    out_predictions,
    subsets_h5=None,
    labels_h5=None,
    lam: float = 1.0,
    prediction_batch_size: int = 1000,
    deterministic: bool = True,
) -> dict:
    """Train a standard model (``role="teacher"``) or a DEGU student (``role="student"``).

    Teachers fit the observed activity of the fraction's training subset.
    Students fit [ensemble mean, ensemble std] on the same subset and are validated on
    [observed val activity, ensemble std on val], as the authors did.
    """
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(seed, threads=threads, deterministic=deterministic)
    from degu.distill import DistillationLoss, student_targets
    from degu.models import build_model
    from degu.training import TrainConfig, fit, predict, save_history, save_model

    tasks = hdf5.dataset_tasks(dataset_h5)
    n_tasks = len(tasks)
    cfg = TrainConfig.from_dict(training)
    if role == "teacher":
        index = read_subset(subsets_h5, fraction)
        train = hdf5.read_split(dataset_h5, "Train", index)
        val = hdf5.read_split(dataset_h5, "Val")
        x_train, y_train, y_val = train.X, train.y, val.y
        loss, heads = "mse", ["mean"]
    elif role == "student":
        labels = hdf5.read_arrays(labels_h5)
        index = labels["Train/index"]
        train = hdf5.read_split(dataset_h5, "Train", index)
        val = hdf5.read_split(dataset_h5, "Val")
        x_train = train.X
        y_train = student_targets(labels["Train/mean"], labels["Train/std"])
        y_val = student_targets(val.y, labels["Val/std"])
        loss, heads = DistillationLoss(n_tasks, head_weights=(1.0, lam)), ["mean", "epistemic"]
    else:
        raise ValueError(f"role must be 'teacher' or 'student', got {role!r}")
    model = build_model(
        architecture,
        train.X.shape[1],
        n_tasks * len(heads),
        model_params,
        name=f"{architecture}_{role}_{seed}",
    )
    log.info(
        "%s seed %d: %d training sequences, %d parameters", role, seed, len(x_train), model.count_params()
    )
    history = fit(model, x_train, y_train, val.X, y_val, cfg, loss=loss, verbose=2)
    test = hdf5.read_split(dataset_h5, "Test")
    pred = predict(model, test.X, prediction_batch_size)
    save_model(model, out_model)
    save_history(history, out_history)
    hdf5.write_arrays(
        out_predictions,
        {"Test/pred": pred, "Train/index": index},
        attrs=_prediction_attrs(
            role=role,
            seed=seed,
            fraction=float(fraction),
            tasks=tasks,
            heads=heads,
            device=device,
            n_train=len(x_train),
            n_params=int(model.count_params()),
            epochs=len(history),
            best_epoch=int(history.loc[history["best"], "epoch"].iloc[0]),
        ),
    )
    return {"device": device, "epochs": len(history)}


def ensemble_labels_job(
    *,
    dataset_h5,
    subsets_h5,
    fraction: float,
    teacher_models: list,
    out_h5,
    threads: int | None = None,
    prediction_batch_size: int = 1000,
) -> None:
    """Label the fraction's training subset, the validation and the test set with the teachers'
    mean and std (ddof=0); keep each member's test predictions too."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(None, threads=threads, deterministic=True)
    from degu.ensemble import ensemble_stats, predict_members
    from degu.models import load_model

    models = [load_model(p) for p in teacher_models]
    index = read_subset(subsets_h5, fraction)
    arrays: dict[str, np.ndarray] = {"Train/index": index}
    for split in ("Train", "Val", "Test"):
        data = hdf5.read_split(dataset_h5, split, index if split == "Train" else None)
        members = predict_members(models, data.X, prediction_batch_size)
        mean, std = ensemble_stats(members)
        arrays[f"{split}/mean"], arrays[f"{split}/std"] = mean, std
        if split == "Test":
            arrays["Test/members"] = members
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs=_prediction_attrs(
            fraction=float(fraction),
            n_members=len(models),
            std_ddof=0,
            members=[str(Path(p)) for p in teacher_models],
            tasks=hdf5.dataset_tasks(dataset_h5),
        ),
    )


def evaluate_job(*, entries: list[dict], out_csv) -> pd.DataFrame:
    """Tidy test metrics for every standard model, student and ensemble.

    ``entries`` items: ``{"dataset", "fraction", "dataset_h5", "labels_h5",
    "teachers": [(seed, predictions_h5)], "students": [(seed, predictions_h5)]}``.
    """
    from degu.io.atomic import atomic_path
    from degu.metrics import METRIC_COLUMNS, tidy_rows

    rows: list[dict] = []
    for e in entries:
        y = hdf5.read_arrays(e["dataset_h5"], ["Test/y"])["Test/y"]  # targets only, not the sequences
        tasks = hdf5.dataset_tasks(e["dataset_h5"])
        n = len(tasks)
        labels = hdf5.read_arrays(e["labels_h5"], ["Test/mean", "Test/std"])
        common = (e["dataset"], float(e["fraction"]))
        for seed, path in e["teachers"]:
            pred = hdf5.read_arrays(path, ["Test/pred"])["Test/pred"]
            rows += tidy_rows(*common, "standard", seed, tasks, y, pred[:, :n])
        for seed, path in e["students"]:
            pred = hdf5.read_arrays(path, ["Test/pred"])["Test/pred"]
            rows += tidy_rows(*common, "distilled", seed, tasks, y, pred[:, :n])
            rows += tidy_rows(
                *common, "distilled", seed, tasks, labels["Test/std"], pred[:, n : 2 * n], prefix="epistemic_"
            )
        rows += tidy_rows(*common, "ensemble", None, tasks, y, labels["Test/mean"])
    table = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table
