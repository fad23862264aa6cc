"""Ensemble labels (rules/labels.smk; heteroscedastic_labels in rules/baselines.smk)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from degu.assays.splits import read_subset
from degu.io import hdf5
from degu.jobs._common import cal_split, prediction_attrs


def member_heads(outputs: np.ndarray, kind: str, tasks: list[str]) -> dict[str, np.ndarray]:
    """Split members' raw outputs (M, N, K) into activity and aleatoric-std parts.

    ``kind="standard"``: columns ``[activity_1..T (, aleatoric_1..T)]``;
    ``kind="heteroscedastic"``: ``[mu, log variance]`` -> aleatoric std ``sqrt(exp(logvar))``
    (:func:`degu.models.heads.estimates`).
    """
    from degu.models.heads import HETEROSCEDASTIC_HEADS, HeadLayout, estimates, teacher_layout

    if kind == "standard":
        return estimates(outputs, teacher_layout(outputs.shape[-1], tasks))
    if kind == "heteroscedastic":
        return estimates(outputs, HeadLayout(HETEROSCEDASTIC_HEADS, tasks[:1]))
    raise ValueError(f"unknown teacher kind {kind!r}")


def ensemble_labels_job(
    *,
    dataset_h5,
    subsets_h5,
    fraction: float,
    teacher_models: list,
    out_h5,
    kind: str = "standard",
    threads: int | None = None,
    prediction_batch_size: int = 1000,
) -> None:
    """Label the fraction's training subset, the validation and the test set (and the ``Cal``
    split, when the dataset has one) with the teachers' mean and std (ddof=0) of the activity
    head, and, where the teachers have one, the mean of their aleatoric head; keep each
    member's test activity predictions too."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(None, threads=threads, deterministic=True)
    from degu.models import load_model
    from degu.uq.ensemble import ensemble_aleatoric, ensemble_stats, predict_members

    models = [load_model(p) for p in teacher_models]
    tasks = hdf5.dataset_tasks(dataset_h5)
    index = read_subset(subsets_h5, fraction)
    arrays: dict[str, np.ndarray] = {"Train/index": index}
    for split in ("Train", "Val", "Test", *cal_split(dataset_h5)):
        data = hdf5.read_split(dataset_h5, split, index if split == "Train" else None)
        heads = member_heads(predict_members(models, data.X, prediction_batch_size), kind, tasks)
        mean, std = ensemble_stats(heads["activity"])
        arrays[f"{split}/mean"], arrays[f"{split}/std"] = mean, std
        if "aleatoric" in heads:
            arrays[f"{split}/aleatoric"] = ensemble_aleatoric(heads["aleatoric"])
        if split == "Test":
            arrays["Test/members"] = heads["activity"]
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs=prediction_attrs(
            fraction=float(fraction),
            n_members=len(models),
            std_ddof=0,
            teacher_kind=kind,
            members=[str(Path(p)) for p in teacher_models],
            tasks=hdf5.dataset_tasks(dataset_h5),
        ),
    )
