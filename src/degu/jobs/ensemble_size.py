"""Teacher-ensemble size (rules/ensemble_size.smk, Supp. Fig. 3): test metrics of the first k
teachers, their ensemble and the students distilled from it, per k."""

from __future__ import annotations

import pandas as pd

from degu.analysis.robustness import ENSEMBLE_SIZE_COLUMNS, ensemble_size_rows
from degu.io import hdf5
from degu.jobs._common import read_activity


def ensemble_size_metrics_job(*, dataset: str, dataset_h5, entries: list[dict], out_csv) -> pd.DataFrame:
    """``entries`` items ``{"k", "teachers": [(seed, predictions.h5)], "labels": labels.h5,
    "students": [(seed, predictions.h5)]}``: test metrics of the k individual teachers
    (``individual``), their ensemble and the students distilled from it."""
    from degu.io.atomic import atomic_path

    tasks = hdf5.dataset_tasks(dataset_h5)
    y = hdf5.read_arrays(dataset_h5, ["Test/y"])["Test/y"]
    rows: list[dict] = []

    def add(k, method, seed, pred):
        rows.extend(ensemble_size_rows(dataset, k, method, seed, tasks, y, pred))

    for e in entries:
        labels = hdf5.read_arrays(e["labels"], ["Test/mean", "Test/members"])
        if labels["Test/members"].shape[0] != e["k"]:
            raise ValueError(
                f"{e['labels']}: {labels['Test/members'].shape[0]} members, expected k = {e['k']}"
            )
        for seed, path in e["teachers"]:
            add(e["k"], "individual", int(seed), read_activity(path))
        add(e["k"], "ensemble", None, labels["Test/mean"])
        for seed, path in e["students"]:
            add(e["k"], "distilled", int(seed), read_activity(path))
    table = pd.DataFrame(rows, columns=ENSEMBLE_SIZE_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table
