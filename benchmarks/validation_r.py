"""Validation Pearson r of every scalar model of a run, to compare settings without the test split.

For each model directory ``models/<dataset>/frac<fraction>/<role>/seed<seed>`` of one or more
results directories (each ``results/<run>`` of a run of the same data with different settings),
prints the r of its mean head with the observed activity on the ``Val`` split (the split that
early stopping watches; ``Cal``, where configured, is not used), per task, with the model's
best and last epoch from ``history.csv``, then mean / median / min per role and results directory.

    python benchmarks/validation_r.py results/test results/lr02 --dataset k562

This is how the tiny config's K562-like learning rate was chosen (docs/tiny-run.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from tiny_run import md_table  # benchmarks/ is on sys.path when run as a script

from degu.models.heads import HeadLayout, estimates


def model_rows(results: Path, dataset: str, fraction: str) -> list[dict]:
    """One row per (model, task): val r of the mean head, best and last epoch."""
    with h5py.File(results / "data" / dataset / "dataset.h5") as f:
        y = f["Val/y"][:]
    rows = []
    for d in sorted((results / "models" / dataset / f"frac{fraction}").glob("*/seed*")):
        if not (d / "predictions.h5").is_file():
            continue
        layout = HeadLayout.from_dict(json.loads((d / "degu.json").read_text()))
        with h5py.File(d / "predictions.h5") as f:
            # the activity prediction of any model kind (an evidential model's gamma, ...)
            mean = estimates(f["Val/pred"][:], layout)["activity"]
        hist = pd.read_csv(d / "history.csv")
        best, last = int(hist.loc[hist["best"], "epoch"].iloc[0]), int(hist["epoch"].iloc[-1])
        for j, task in enumerate(layout.tasks):
            rows.append(
                {
                    "results": str(results),
                    "role": d.parent.name,
                    "seed": int(d.name.removeprefix("seed")),
                    "task": task,
                    "val_r": round(float(np.corrcoef(mean[:, j], y[:, j])[0, 1]), 3),
                    "best_epoch": best,
                    "last_epoch": last,
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, nargs="+", help="results/<run> directories to compare")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--fraction", default="1.0")
    args = ap.parse_args()
    table = pd.DataFrame([r for res in args.results for r in model_rows(res, args.dataset, args.fraction)])
    if table.empty:
        raise SystemExit(
            f"no finished models of {args.dataset} at fraction {args.fraction} in {args.results}"
        )
    print(md_table(table, index=False))
    summary = (
        table.groupby(["role", "task", "results"], sort=True)["val_r"]
        .agg(["mean", "median", "min"])
        .assign(worst_gap=lambda t: t["median"] - t["min"])
        .round(3)
    )
    print()
    print(md_table(summary))


if __name__ == "__main__":
    main()
