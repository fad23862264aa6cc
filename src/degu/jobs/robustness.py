"""Covariate-shift (OOD) analysis and EvoAug comparison (rules/ood.smk; paper Fig. 3, Supp.
Figs. 2, 4, 5).

* :func:`shifted_test_sets_job` builds the shifted copies of the test set (one seed per
  level, fixed) and labels every copy with the in-silico oracle (an ensemble of
  EvoAug-trained models): ``{level}/X``, ``{level}/oracle_mean``, ``{level}/oracle_std``
  for ``level`` in ``none`` (the original test set) and the configured shifts;
  :func:`oracle_activity_table` writes the oracle's mean activity as a tidy table (Supp. Fig. 4).
* :func:`ood_predict_job` predicts every model of one training procedure on all levels.
* :func:`robustness_metrics_job` writes the tidy table of each model's MSE to the oracle
  per level (Fig. 3b/c) and test metrics against the observed activity (Supp. Figs. 2, 5).

The teacher-ensemble size analysis (Supp. Fig. 3) is :mod:`degu.jobs.ensemble_size`; the
rows both write come from :mod:`degu.analysis.robustness`.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from degu.analysis.robustness import ROBUSTNESS_COLUMNS, mse_to_oracle_rows, observed_test_rows
from degu.io import hdf5
from degu.jobs._common import read_activity

log = logging.getLogger("degu")


def shifted_test_sets_job(
    *,
    dataset_h5,
    oracle_models: list,
    shifts: dict,
    augmentations: dict,
    seed: int,
    out_h5,
    batch_size: int = 100,
    threads: int | None = None,
    prediction_batch_size: int = 1000,
) -> None:
    """The test set and its shifted copies, each labelled by the oracle ensemble.

    ``shifts`` maps level names to :mod:`degu.models.augment` schemes (paper: small = 5% random
    mutagenesis, moderate = EvoAug with 2 augmentations, large = shuffle). Level ``i``
    (1-based, config order) is generated with TensorFlow seed ``seed + i`` in batches of
    ``batch_size`` sequences (each batch draws its own EvoAug selection), so every set is
    fixed by the config.
    """
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(seed, threads=threads, deterministic=True)
    from degu.models import load_model
    from degu.models.augment import augment_array
    from degu.models.heads import teacher_layout
    from degu.uq.ensemble import ensemble_stats, predict_members

    tasks = hdf5.dataset_tasks(dataset_h5)
    test = hdf5.read_split(dataset_h5, "Test")
    oracle = [load_model(p) for p in oracle_models]
    arrays: dict[str, np.ndarray] = {"ids": test.ids}
    levels = {"none": None, **shifts}
    for i, (level, scheme) in enumerate(levels.items()):
        x = test.X.astype(np.float32)
        if scheme is not None:
            x = augment_array(x, scheme, augmentations, batch_size=batch_size, seed=seed + i)
        members = predict_members(oracle, x, prediction_batch_size)
        members = teacher_layout(members.shape[-1], tasks).head(members, "mean")
        mean, std = ensemble_stats(members)
        arrays[f"{level}/X"] = x
        arrays[f"{level}/oracle_mean"], arrays[f"{level}/oracle_std"] = mean, std
        log.info("%s: %d sequences, oracle mean activity %s", level, len(x), mean.mean(0).round(3))
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs={
            "levels": json.dumps(list(levels)),
            "shifts": json.dumps(shifts),
            "augmentations": json.dumps(augmentations),
            "seed": int(seed),
            "batch_size": int(batch_size),
            "oracle_members": json.dumps([str(p) for p in oracle_models]),
            "tasks": json.dumps(hdf5.dataset_tasks(dataset_h5)),
            "device": device,
        },
        compression="gzip",
    )


def shift_levels(shifted_h5) -> list[str]:
    return json.loads(hdf5.read_attrs(shifted_h5)["levels"])


def ood_predict_job(
    *, shifted_h5, models: list, out_h5, threads: int | None = None, prediction_batch_size: int = 1000
) -> None:
    """Predictions of each ``(seed, model_path)`` on every level: ``seed{s}/{level}``."""
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(None, threads=threads, deterministic=True)
    from degu.models import load_model
    from degu.models.training import predict

    levels = shift_levels(shifted_h5)
    xs = hdf5.read_arrays(shifted_h5, [f"{lv}/X" for lv in levels])
    arrays = {}
    for seed, path in models:
        model = load_model(path)
        for lv in levels:
            arrays[f"seed{int(seed)}/{lv}"] = predict(model, xs[f"{lv}/X"], prediction_batch_size)
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs={"models": json.dumps([[int(s), str(p)] for s, p in models]), "device": device},
    )


def robustness_metrics_job(
    *,
    dataset: str,
    dataset_h5,
    shifted_h5,
    ood_predictions: dict,
    test_models: dict,
    ensembles: dict,
    out_csv,
) -> pd.DataFrame:
    """One tidy table for Fig. 3 and Supp. Figs. 2 and 5.

    * ``ood_predictions`` ``{procedure: ood_predict file}``: MSE of every model's activity
      head to the oracle mean on every shift level (metric ``mse_oracle``).
    * ``test_models`` ``{procedure: [(seed, predictions.h5)]}`` and ``ensembles``
      ``{name: labels.h5}``: MSE, Pearson r and Spearman rho of the activity head against
      the observed test activity (shift ``none``).
    """
    from degu.io.atomic import atomic_path

    tasks = hdf5.dataset_tasks(dataset_h5)
    y = hdf5.read_arrays(dataset_h5, ["Test/y"])["Test/y"]
    levels = shift_levels(shifted_h5)
    oracle = hdf5.read_arrays(shifted_h5, [f"{lv}/oracle_mean" for lv in levels])
    rows: list[dict] = []
    for procedure, path in ood_predictions.items():
        preds = hdf5.read_arrays(path)
        for key in sorted(preds, key=lambda k: (int(k.split("/")[0][4:]), levels.index(k.split("/")[1]))):
            seed, lv = key.split("/")
            rows += mse_to_oracle_rows(
                dataset, procedure, int(seed[4:]), tasks, lv, oracle[f"{lv}/oracle_mean"], preds[key]
            )
    for procedure, models in test_models.items():
        for seed, path in models:
            pred = read_activity(path)
            rows += observed_test_rows(dataset, procedure, int(seed), tasks, y, pred)
    for name, path in ensembles.items():
        rows += observed_test_rows(
            dataset, name, None, tasks, y, hdf5.read_arrays(path, ["Test/mean"])["Test/mean"]
        )
    table = pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table


def oracle_activity_table(shifted_h5, dataset: str, out_csv) -> pd.DataFrame:
    """Tidy table of the oracle's mean activity per sequence, task and shift level
    (Supp. Fig. 4 plots exactly these values)."""
    from degu.io.atomic import atomic_path

    levels = shift_levels(shifted_h5)
    tasks = json.loads(hdf5.read_attrs(shifted_h5)["tasks"])
    arrays = hdf5.read_arrays(shifted_h5, ["ids"] + [f"{lv}/oracle_mean" for lv in levels])
    parts = []
    for lv in levels:
        mean = arrays[f"{lv}/oracle_mean"]
        for j, task in enumerate(tasks):
            parts.append(
                pd.DataFrame(
                    {
                        "dataset": dataset,
                        "shift": lv,
                        "task": task,
                        "id": arrays["ids"],
                        "oracle_mean": mean[:, j],
                    }
                )
            )
    table = pd.concat(parts, ignore_index=True)
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table
