"""degu.jobs.health: training health of one history and the table of every model's."""

import json

import h5py
import pandas as pd
import pytest

from degu.jobs.health import training_health, training_health_job


def test_training_health_from_a_history():
    h = pd.DataFrame(
        {"epoch": [1, 2, 3, 4], "val_loss": [0.5, 0.3, 0.4, 0.35], "learning_rate": [1e-3, 1e-3, 1e-3, 1e-4]}
    )
    assert training_health(h, 20) == {
        "best_epoch": 2,
        "stopped_epoch": 4,
        "max_epochs": 20,
        "best_val_loss": 0.3,
        "final_lr": pytest.approx(1e-4),
    }


def test_training_health_job_table_and_missing_record(tmp_path):
    paths = []
    for seed, best in ((0, 1), (1, 5)):
        p = tmp_path / "teacher" / f"seed{seed}" / "predictions.h5"
        p.parent.mkdir(parents=True)
        with h5py.File(p, "w") as f:
            f.attrs["method"] = "standard"
            f.attrs["seed"] = seed
            f.attrs["health"] = json.dumps(
                {
                    "best_epoch": best,
                    "stopped_epoch": 8,
                    "max_epochs": 8,
                    "best_val_loss": 0.1,
                    "final_lr": 1e-4,
                }
            )
        paths.append({"dataset": "d", "fraction": 1.0, "path": str(p)})
    table = training_health_job(models=paths, out_csv=tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert list(back.columns) == [
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
    assert back["best_epoch"].tolist() == [1, 5] and len(table) == 2
    assert set(back["model"]) == {"teacher"}
    bad = tmp_path / "old.h5"
    with h5py.File(bad, "w") as f:
        f.attrs["method"] = "standard"
        f.attrs["seed"] = 0
    with pytest.raises(Exception, match="no training health recorded"):
        training_health_job(
            models=[{"dataset": "d", "fraction": 1.0, "path": str(bad)}], out_csv=tmp_path / "x.csv"
        )
    assert not (tmp_path / "x.csv").exists()
