"""benchmarks/validation_r.py: the tool the tiny config's K562-like learning rate was chosen with
(docs/tiny-run.md) reads the Val split only, the right head of each model kind, and the epochs."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest
from conftest import REPO


def write_model(root, role, seed, heads, pred, best, last, tasks=("A", "B")):
    d = root / "models" / "ds" / "frac1.0" / role / f"seed{seed}"
    d.mkdir(parents=True)
    (d / "degu.json").write_text(json.dumps({"heads": heads, "tasks": list(tasks)}))
    with h5py.File(d / "predictions.h5", "w") as f:
        f["Val/pred"] = pred
        f["Test/pred"] = np.zeros_like(pred)  # never read: a test-split r would be exactly nan
    hist = pd.DataFrame({"epoch": np.arange(1, last + 1), "val_loss": 1.0, "best": False})
    hist.loc[best - 1, "best"] = True
    hist.to_csv(d / "history.csv", index=False)


@pytest.fixture
def validation_r(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import validation_r

    return validation_r


def test_validation_r_per_model_and_task(tmp_path, validation_r):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 2))
    (tmp_path / "data" / "ds").mkdir(parents=True)
    with h5py.File(tmp_path / "data" / "ds" / "dataset.h5", "w") as f:
        f["Val/y"] = y
        f["Test/y"] = -y
    # heads in the order aleatoric, mean: the tool must find "mean" by name, not by position
    teacher = np.column_stack([rng.normal(size=y.shape), y + rng.normal(size=y.shape)])
    # evidential (single-task) layout gamma, nu, alpha, beta: the prediction is gamma; the
    # other columns track task A exactly, so reading one of them would give r = 1
    evid = np.column_stack([y[:, 1] + rng.normal(size=len(y)), y[:, 0], y[:, 0], y[:, 0]])
    write_model(tmp_path, "teacher", 2, ["aleatoric", "mean"], teacher, best=3, last=6)
    write_model(
        tmp_path, "evidential", 0, ["gamma", "nu", "alpha", "beta"], evid, best=8, last=8, tasks=["A"]
    )

    rows = pd.DataFrame(validation_r.model_rows(tmp_path, "ds", "1.0")).set_index(["role", "task"])
    for (role, task), pred in {
        ("teacher", "A"): teacher[:, 2],
        ("teacher", "B"): teacher[:, 3],
        ("evidential", "A"): evid[:, 0],
    }.items():
        j = "AB".index(task)
        assert rows.loc[(role, task), "val_r"] == round(float(np.corrcoef(pred, y[:, j])[0, 1]), 3)
    assert rows.loc[("teacher", "A"), ["seed", "best_epoch", "last_epoch"]].tolist() == [2, 3, 6]
    assert rows.loc[("evidential", "A"), ["seed", "best_epoch", "last_epoch"]].tolist() == [0, 8, 8]
    assert len(rows) == 3  # one row per (model, task)
