"""Effect of standardized student targets (distillation.standardize_targets), side by side.

Takes a finished tiny run (``results/<run>`` of config/test.yaml, students trained with the
default ``standardize_targets: true``) and retrains the same students (same seeds, same
ensemble labels, same training settings) with the standardization off, then prints the test
Pearson r of the activity head of both, per dataset and seed, and the ensemble's r.

    python benchmarks/standardize_effect.py RESULTS_DIR [--datasets k562 hepg2] [--fraction 1.0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]


def pearson(a, b) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, help="results/<run> of a finished tiny run")
    ap.add_argument("--datasets", nargs="+", default=["k562", "hepg2"])
    ap.add_argument("--fraction", default="1.0")
    ap.add_argument("--config", type=Path, default=REPO / "config" / "test.yaml")
    args = ap.parse_args()
    from degu.io import hdf5
    from degu.jobs.train import train_model_job

    cfg = yaml.safe_load(args.config.read_text())
    print("| dataset | seed | standardized (pipeline) | raw targets | ensemble |")
    print("|---|---|---|---|---|")
    for ds in args.datasets:
        d = cfg["datasets"][ds]
        base = args.results / "models" / ds / f"frac{args.fraction}" / "student"
        labels = args.results / "labels" / ds / f"frac{args.fraction}" / "ensemble.h5"
        data = args.results / "data" / ds / "dataset.h5"
        y = hdf5.read_arrays(data, ["Test/y"])["Test/y"][:, 0]
        ens = pearson(y, hdf5.read_arrays(labels, ["Test/mean"])["Test/mean"][:, 0])
        for seed_dir in sorted(base.glob("seed*")):
            seed = int(seed_dir.name[4:])
            on = pearson(y, hdf5.read_arrays(seed_dir / "predictions.h5", ["Test/pred"])["Test/pred"][:, 0])
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                train_model_job(
                    role="student",
                    dataset_h5=data,
                    labels_h5=labels,
                    fraction=float(args.fraction),
                    seed=seed,
                    architecture=d["architecture"],
                    model_params=d["model_params"],
                    training={**cfg["training"], **d.get("training", {})},
                    threads=1,
                    lam=cfg["distillation"]["lambda"],
                    gamma=cfg["distillation"]["gamma"],
                    standardize_targets=False,
                    out_model=tmp / "m.keras",
                    out_history=tmp / "h.csv",
                    out_predictions=tmp / "p.h5",
                )
                off = pearson(y, hdf5.read_arrays(tmp / "p.h5", ["Test/pred"])["Test/pred"][:, 0])
                health = json.loads(hdf5.read_attrs(tmp / "p.h5")["health"])
            print(f"| {ds} | {seed} | {on:.3f} | {off:.3f} (best epoch {health['best_epoch']}) | {ens:.3f} |")


if __name__ == "__main__":
    main()
