"""degu.analysis.robustness (rows of the covariate-shift and ensemble-size tables) and the jobs that write
those tables from prediction files (degu.jobs.robustness, degu.jobs.ensemble_size)."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from degu.analysis.robustness import (
    ENSEMBLE_SIZE_COLUMNS,
    ROBUSTNESS_COLUMNS,
    ensemble_size_rows,
    mse_to_oracle_rows,
    observed_test_rows,
)
from degu.io import hdf5
from degu.jobs.ensemble_size import ensemble_size_metrics_job
from degu.jobs.robustness import robustness_metrics_job

TASKS = ["Dev", "Hk"]
# the layout attributes every predictions.h5 of the training job carries (degu.models.heads)
PRED_ATTRS = {"heads": json.dumps(["mean"]), "tasks": json.dumps(TASKS)}
RNG = np.random.default_rng(0)


def test_mse_to_oracle_uses_only_the_activity_columns():
    target = RNG.normal(size=(50, 2))
    pred = RNG.normal(size=(50, 4)).astype(np.float32)  # activity of 2 tasks + 2 more heads
    rows = mse_to_oracle_rows("d", "standard", 3, TASKS, "small", target, pred)
    assert [set(r) for r in rows] == [set(ROBUSTNESS_COLUMNS)] * 2
    for j, row in enumerate(rows):
        diff = pred[:, j].astype(np.float64) - target[:, j]
        assert row["value"] == pytest.approx((diff @ diff) / len(diff), rel=1e-12)
        assert (row["task"], row["shift"], row["metric"], row["seed"]) == (TASKS[j], "small", "mse_oracle", 3)


def test_observed_test_rows_are_mse_pearson_spearman_on_shift_none():
    y = RNG.normal(size=(40, 2))
    pred = y + RNG.normal(scale=0.5, size=(40, 2))
    rows = observed_test_rows("d", "ensemble", None, TASKS, y, pred)
    got = {(r["task"], r["metric"]): r["value"] for r in rows}
    for j, task in enumerate(TASKS):
        assert got[(task, "mse")] == pytest.approx(np.mean((y[:, j] - pred[:, j]) ** 2))
        assert got[(task, "pearson")] == pytest.approx(np.corrcoef(y[:, j], pred[:, j])[0, 1])
        assert got[(task, "spearman")] == pytest.approx(stats.spearmanr(y[:, j], pred[:, j])[0])
    assert {r["shift"] for r in rows} == {"none"} and {r["procedure"] for r in rows} == {"ensemble"}


def test_ensemble_size_rows_carry_k_as_int():
    y = RNG.normal(size=(30, 2))
    rows = ensemble_size_rows("d", np.int64(4), "distilled", 1001, TASKS, y, y + 1.0)
    assert [set(r) for r in rows] == [set(ENSEMBLE_SIZE_COLUMNS)] * 6
    assert {type(r["k"]) for r in rows} == {int}
    assert [r["value"] for r in rows if r["metric"] == "mse"] == pytest.approx([1.0, 1.0])


def _dataset(path, y):
    hdf5.write_arrays(path, {"Test/y": y}, attrs={"tasks": json.dumps(TASKS)})


def test_robustness_metrics_job_table(tmp_path):
    n = 30
    y = RNG.normal(size=(n, 2))
    _dataset(tmp_path / "dataset.h5", y)
    oracle = {lv: RNG.normal(size=(n, 2)) for lv in ("none", "small")}
    hdf5.write_arrays(
        tmp_path / "shifted.h5",
        {f"{lv}/oracle_mean": m for lv, m in oracle.items()},
        attrs={"levels": json.dumps(list(oracle))},
    )
    ood = {f"seed{s}/{lv}": RNG.normal(size=(n, 4)) for s in (1, 0) for lv in ("small", "none")}
    hdf5.write_arrays(tmp_path / "ood.h5", ood)
    test_pred = RNG.normal(size=(n, 4))  # a student: [Dev, Hk] mean, then [Dev, Hk] epistemic
    student_attrs = {**PRED_ATTRS, "heads": json.dumps(["mean", "epistemic"])}
    hdf5.write_arrays(tmp_path / "pred.h5", {"Test/pred": test_pred}, attrs=student_attrs)
    ens_mean = RNG.normal(size=(n, 2))
    hdf5.write_arrays(tmp_path / "labels.h5", {"Test/mean": ens_mean})

    table = robustness_metrics_job(
        dataset="d",
        dataset_h5=tmp_path / "dataset.h5",
        shifted_h5=tmp_path / "shifted.h5",
        ood_predictions={"standard": tmp_path / "ood.h5"},
        test_models={"standard": [(7, tmp_path / "pred.h5")]},
        ensembles={"ensemble": tmp_path / "labels.h5"},
        out_csv=tmp_path / "rob.csv",
    )
    back = pd.read_csv(tmp_path / "rob.csv")
    assert list(back.columns) == ROBUSTNESS_COLUMNS and len(back) == len(table)
    mse = back[back["metric"] == "mse_oracle"]
    # seeds in numeric order, levels in the order of the shifted file
    assert list(zip(mse["seed"], mse["shift"], strict=True))[::2] == [
        (0, "none"),
        (0, "small"),
        (1, "none"),
        (1, "small"),
    ]
    row = mse[(mse["seed"] == 1) & (mse["shift"] == "small") & (mse["task"] == "Hk")]["value"].item()
    assert row == pytest.approx(np.mean((ood["seed1/small"][:, 1] - oracle["small"][:, 1]) ** 2))
    ens = back[(back["procedure"] == "ensemble") & (back["metric"] == "pearson") & (back["task"] == "Dev")]
    assert ens["value"].item() == pytest.approx(np.corrcoef(y[:, 0], ens_mean[:, 0])[0, 1])
    assert ens["seed"].isna().all()
    model = back[(back["procedure"] == "standard") & (back["metric"] == "mse")]
    assert model["value"].tolist() == pytest.approx(
        [np.mean((y[:, j] - test_pred[:, j]) ** 2) for j in (0, 1)]
    )


def test_ensemble_size_metrics_job_checks_the_member_count(tmp_path):
    n = 20
    y = RNG.normal(size=(n, 2))
    _dataset(tmp_path / "dataset.h5", y)
    hdf5.write_arrays(tmp_path / "k3.h5", {"Test/mean": y, "Test/members": RNG.normal(size=(3, n, 2))})
    hdf5.write_arrays(tmp_path / "t.h5", {"Test/pred": RNG.normal(size=(n, 2))}, attrs=PRED_ATTRS)
    entries = [{"k": 3, "teachers": [(0, tmp_path / "t.h5")], "labels": tmp_path / "k3.h5", "students": []}]
    table = ensemble_size_metrics_job(
        dataset="d", dataset_h5=tmp_path / "dataset.h5", entries=entries, out_csv=tmp_path / "e.csv"
    )
    assert list(pd.read_csv(tmp_path / "e.csv").columns) == ENSEMBLE_SIZE_COLUMNS
    assert sorted(set(table["method"])) == ["ensemble", "individual"]
    assert table.loc[(table["method"] == "ensemble") & (table["metric"] == "mse"), "value"].tolist() == [
        0.0,
        0.0,
    ]
    with pytest.raises(ValueError, match=r"k3\.h5: 3 members, expected k = 4"):
        ensemble_size_metrics_job(
            dataset="d",
            dataset_h5=tmp_path / "dataset.h5",
            entries=[{**entries[0], "k": 4}],
            out_csv=tmp_path / "x.csv",
        )
    assert not (tmp_path / "x.csv").exists()


def test_activity_is_read_through_the_recorded_head_layout(tmp_path):
    from degu.errors import DeguInputError
    from degu.jobs._common import read_activity

    pred = RNG.normal(size=(6, 4)).astype(np.float32)  # [Dev, Hk] mean, then [Dev, Hk] epistemic
    attrs = {"heads": json.dumps(["mean", "epistemic"]), "tasks": json.dumps(TASKS)}
    hdf5.write_arrays(tmp_path / "s.h5", {"Test/pred": pred}, attrs=attrs)
    np.testing.assert_array_equal(read_activity(tmp_path / "s.h5"), pred[:, :2])
    hdf5.write_arrays(tmp_path / "bare.h5", {"Test/pred": pred})
    with pytest.raises(DeguInputError) as e:
        read_activity(tmp_path / "bare.h5")
    assert (
        str(e.value)
        == f"{tmp_path / 'bare.h5'}: no 'tasks' attribute (not a predictions file of this pipeline?)"
    )
