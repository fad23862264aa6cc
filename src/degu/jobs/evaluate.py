"""Test metrics of every model and ensemble (rules/evaluate.smk)."""

from __future__ import annotations

import json

import pandas as pd

from degu.io import hdf5
from degu.models.heads import HeadLayout


def evaluate_job(*, entries: list[dict], out_csv) -> pd.DataFrame:
    """Tidy test metrics for every standard model, student and ensemble.

    ``entries`` items: ``{"dataset", "fraction", "dataset_h5", "labels_h5",
    "teachers": [(seed, predictions_h5)], "students": [(seed, predictions_h5)]}``, optionally
    ``"references": [(method, predictions_h5)]`` (seedless, e.g. ``kmer_ridge``).
    """
    from degu.io.atomic import atomic_path
    from degu.uq.metrics import METRIC_COLUMNS, tidy_rows

    rows: list[dict] = []
    for e in entries:
        data = hdf5.read_arrays(e["dataset_h5"], ["Test/y"])  # targets only, not the sequences
        y = data["Test/y"]
        alea = None
        if hdf5.has_aleatoric(e["dataset_h5"]):
            alea = hdf5.read_arrays(e["dataset_h5"], ["Test/aleatoric"])["Test/aleatoric"]
        tasks = hdf5.dataset_tasks(e["dataset_h5"])
        label_keys = ["Test/mean", "Test/std"] + (["Test/aleatoric"] if alea is not None else [])
        labels = hdf5.read_arrays(e["labels_h5"], label_keys)
        common = (e["dataset"], float(e["fraction"]))
        for role, method in (("teachers", "standard"), ("students", "distilled")):
            for seed, path in e[role]:
                pred = hdf5.read_arrays(path, ["Test/pred"])["Test/pred"]
                heads = HeadLayout(tuple(json.loads(hdf5.read_attrs(path)["heads"])), tuple(tasks)).split(
                    pred
                )
                rows += tidy_rows(*common, method, seed, tasks, y, heads["mean"])
                for head, cols in heads.items():
                    if head == "epistemic":
                        rows += tidy_rows(
                            *common, method, seed, tasks, labels["Test/std"], cols, "epistemic_"
                        )
                    elif head == "aleatoric" and alea is not None:
                        rows += tidy_rows(*common, method, seed, tasks, alea, cols, "aleatoric_")
        rows += tidy_rows(*common, "ensemble", None, tasks, y, labels["Test/mean"])
        for method, path in e.get("references", []):  # non-neural references, e.g. kmer_ridge
            rows += tidy_rows(
                *common, method, None, tasks, y, hdf5.read_arrays(path, ["Test/pred"])["Test/pred"]
            )
        if alea is not None:
            rows += tidy_rows(*common, "ensemble", None, tasks, alea, labels["Test/aleatoric"], "aleatoric_")
    table = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table
