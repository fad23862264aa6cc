"""Workflow-level tests: dry-run job counts, lint/format, config errors, and a real tiny run."""

import re
import shutil
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, run_snakemake

PAPER_COUNTS = {
    "download": 6,
    "prepare": 1,
    "subsets": 1,
    "train_teacher": 50,
    "ensemble_labels": 5,
    "train_student": 50,
    "evaluate": 1,
    "figure": 2,
    "all": 1,
}


def job_stats(output: str) -> dict[str, int]:
    block = output.split("Job stats:", 1)[1]
    counts = {}
    for line in block.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        counts[m.group(1)] = int(m.group(2))
    return counts


def test_paper_config_dry_run_job_counts(tmp_path):
    res = run_snakemake(
        ["-n", "--configfile", str(REPO / "config" / "config.yaml"), "--directory", str(tmp_path)]
    )
    assert res.returncode == 0, res.stderr + res.stdout
    counts = job_stats(res.stdout)
    assert counts.pop("total") == sum(PAPER_COUNTS.values()) == 117
    assert counts == PAPER_COUNTS


def test_default_config_is_the_paper_config():
    res = run_snakemake(["-n"])
    assert res.returncode == 0, res.stderr
    assert job_stats(res.stdout)["train_teacher"] == 50
    assert "results/paper/figures/fig2.pdf" in res.stdout


@pytest.mark.parametrize("config", ["test.yaml", "config.yaml"])
def test_lint_is_clean(config, tmp_path):
    res = run_snakemake(
        ["--lint", "--configfile", str(REPO / "config" / config), "--directory", str(tmp_path)]
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Congratulations, your workflow is in a good condition!" in res.stdout + res.stderr


def test_snakefmt_clean():
    exe = shutil.which("snakefmt", path=str(__import__("pathlib").Path(__import__("sys").executable).parent))
    res = subprocess.run([exe, "--check", str(REPO / "workflow")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_bad_config_names_the_key(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    cfg["teachers"]["n"] = 1
    cfg["datasets"]["deepstarr"]["fractions"] = [0.5, "all"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    res = run_snakemake(["-n", "--configfile", str(bad), "--directory", str(tmp_path)])
    assert res.returncode != 0
    err = res.stderr + res.stdout
    assert "key 'teachers.n': 1 is less than the minimum of 2" in err
    assert "key 'datasets.deepstarr.fractions.1': 'all' is not of type 'number'" in err


# ---------------------------------------------------------------- real tiny run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("tiny")
    res = run_snakemake(
        ["--cores", "2", "--configfile", str(REPO / "config" / "test.yaml"), "--directory", str(work)],
        timeout=1500,
    )
    assert res.returncode == 0, res.stderr[-5000:]
    return work / "results" / "test"


@pytest.mark.workflow
def test_tiny_run_figures_and_tidy_table(tiny_run):
    for fig in ("fig2", "fig5a"):
        assert (tiny_run / "figures" / f"{fig}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (tiny_run / "figures" / f"{fig}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    perf = pd.read_csv(tiny_run / "metrics" / "performance.csv")
    assert list(perf.columns) == ["dataset", "fraction", "method", "seed", "task", "metric", "value"]
    assert set(perf["method"]) == {"standard", "distilled", "ensemble"}
    fig2 = pd.read_csv(tiny_run / "figures" / "fig2.csv")
    # every method at every fraction, for both tasks
    assert len(fig2) == 3 * 3 * 2
    assert fig2.groupby("method")["fraction"].apply(lambda f: sorted(set(f))).to_dict() == {
        m: [0.25, 0.5, 1.0] for m in ("distilled", "ensemble", "standard")
    }
    # the plotted means are the means over seeds of the tidy table
    std = perf[(perf.method == "standard") & (perf.metric == "pearson")]
    for row in fig2[fig2.method == "standard"].itertuples():
        vals = std[(std.fraction == row.fraction) & (std.task == row.task)]["value"]
        assert len(vals) == 3 and row.mean == pytest.approx(vals.mean())
    fig5a = pd.read_csv(tiny_run / "figures" / "fig5a.csv")
    assert set(fig5a["metric"]) == {"epistemic_pearson"} and len(fig5a) == 6


@pytest.mark.workflow
def test_tiny_run_numbers_recomputed_independently(tiny_run):
    from degu.models import load_model

    data = tiny_run / "data" / "deepstarr"
    with h5py.File(data / "dataset.h5") as f:
        y_test = f["Test/y"][...]
        x_train = f["Train/X"][...]
    with h5py.File(data / "subsets.h5") as f:
        subsets = {k: f[f"fraction/{k}"][...] for k in ("0.25", "0.5", "1.0")}
    assert np.isin(subsets["0.25"], subsets["0.5"]).all() and np.isin(subsets["0.5"], subsets["1.0"]).all()
    perf = pd.read_csv(tiny_run / "metrics" / "performance.csv")
    frac = "0.5"
    teacher_preds = []
    for seed in range(3):
        mdir = tiny_run / "models" / "deepstarr" / f"frac{frac}" / "teacher" / f"seed{seed}"
        with h5py.File(mdir / "predictions.h5") as f:
            # every teacher of a fraction trained on exactly the fraction's subset
            np.testing.assert_array_equal(f["Train/index"][...], subsets[frac])
            assert f.attrs["n_train"] == len(subsets[frac])
            teacher_preds.append(f["Test/pred"][...])
        assert len(pd.read_csv(mdir / "history.csv")) >= 1
    with h5py.File(tiny_run / "labels" / "deepstarr" / f"frac{frac}" / "ensemble.h5") as f:
        lab = {
            k: f[k][...]
            for k in ("Train/index", "Train/mean", "Train/std", "Test/mean", "Test/std", "Test/members")
        }
    np.testing.assert_array_equal(lab["Train/index"], subsets[frac])
    # the saved .keras teachers reproduce the predictions their training jobs wrote
    np.testing.assert_allclose(lab["Test/members"], np.stack(teacher_preds), atol=1e-5)
    np.testing.assert_allclose(lab["Test/mean"], np.mean(teacher_preds, axis=0), atol=1e-5)
    np.testing.assert_allclose(lab["Test/std"], np.std(teacher_preds, axis=0, ddof=0), atol=1e-5)
    # train labels: recompute from the saved teachers on the subset
    models = [
        load_model(tiny_run / "models" / "deepstarr" / f"frac{frac}" / "teacher" / f"seed{s}" / "model.keras")
        for s in range(3)
    ]
    sub = x_train[subsets[frac][:200]].astype(np.float32)
    p = np.stack([m.predict(sub, verbose=0) for m in models])
    np.testing.assert_allclose(lab["Train/mean"][:200], p.mean(0), atol=1e-4)
    np.testing.assert_allclose(lab["Train/std"][:200], p.std(0), atol=1e-4)
    # ensemble Pearson in the tidy table equals an independent computation
    for j, task in enumerate(["Dev", "Hk"]):
        r = np.corrcoef(y_test[:, j], lab["Test/mean"][:, j])[0, 1]
        got = perf[
            (perf.method == "ensemble")
            & (perf.fraction == 0.5)
            & (perf.task == task)
            & (perf.metric == "pearson")
        ]
        assert got["value"].item() == pytest.approx(r, abs=1e-6)
    # student epistemic metric: its std head against the ensemble std
    sdir = tiny_run / "models" / "deepstarr" / f"frac{frac}" / "student" / "seed1000"
    with h5py.File(sdir / "predictions.h5") as f:
        sp = f["Test/pred"][...]
        np.testing.assert_array_equal(f["Train/index"][...], subsets[frac])  # students: the same subset
    assert sp.shape == (len(y_test), 4)
    r = np.corrcoef(lab["Test/std"][:, 0], sp[:, 2])[0, 1]
    got = perf.query(
        "method == 'distilled' and seed == 1000 and fraction == 0.5 and task == 'Dev' "
        "and metric == 'epistemic_pearson'"
    )
    assert got["value"].item() == pytest.approx(r, abs=1e-6)
    # the planted signal is learnable: teachers on all training data reach a clearly positive r
    full = perf.query("method == 'standard' and fraction == 1.0 and metric == 'pearson'")
    assert full["value"].min() > 0.3


@pytest.mark.workflow
def test_single_figure_target_rebuilds_alone(tiny_run):
    work = tiny_run.parents[1]
    for ext in ("pdf", "png", "csv"):
        (tiny_run / "figures" / f"fig5a.{ext}").unlink()
    target = "results/test/figures/fig5a.pdf"
    cfg = str(REPO / "config" / "test.yaml")
    res = run_snakemake(["-n", "--configfile", cfg, "--directory", str(work), target])
    assert job_stats(res.stdout) == {"figure": 1, "total": 1}
    res = run_snakemake(["--cores", "1", "--configfile", cfg, "--directory", str(work), target])
    assert res.returncode == 0, res.stderr
    assert (tiny_run / "figures" / "fig5a.csv").exists() and (tiny_run / "figures" / "fig5a.png").exists()
    res = run_snakemake(["-n", "--configfile", cfg, "--directory", str(work)])
    assert "Nothing to be done" in res.stdout + res.stderr
