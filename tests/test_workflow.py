"""Workflow-level tests: dry-run job counts, lint/format, config errors, and a real tiny run."""

import json
import re
import shutil
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, run_snakemake

# STARR-seq part: 6 downloads, 1 dataset, 5 fractions x 10 teachers/students.
# lentiMPRA part: 1 download (the DEGU data.tar.gz) + 2 extracted HDF5 files; 4 datasets
# (K562/HepG2 x activity-only/activity+aleatoric) x 5 fractions x 10 teachers and students
# (200 + 200) and 20 label jobs; on the two aleatoric datasets at fraction 1.0: 10
# heteroscedastic + 10 evidential models each (40), 10 MC-dropout jobs each (20), one
# heteroscedastic-ensemble label job each (2), 10 heteroscedastic-distilled students each (20),
# one calibration job each (2).
STARRSEQ_COUNTS = {
    "download": 6,
    "prepare": 1,
    "subsets": 1,
    "train_teacher": 50,
    "ensemble_labels": 5,
    "train_student": 50,
}
LENTIMPRA_COUNTS = {
    "download": 1,
    "extract": 2,
    "prepare": 4,
    "subsets": 4,
    "train_teacher": 200,
    "ensemble_labels": 20,
    "train_baseline": 40,
    "heteroscedastic_labels": 2,
    "mc_dropout": 20,
    "train_student": 200,
    "train_het_student": 20,
    "calibration": 2,
}
# fig2, fig5a-d, supp_fig8, supp_fig11, supp_fig12
SHARED_COUNTS = {"evaluate": 1, "figure": 8, "all": 1}
PAPER_COUNTS = {
    k: STARRSEQ_COUNTS.get(k, 0) + LENTIMPRA_COUNTS.get(k, 0) + SHARED_COUNTS.get(k, 0)
    for k in {**STARRSEQ_COUNTS, **LENTIMPRA_COUNTS, **SHARED_COUNTS}
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
    assert counts.pop("total") == sum(PAPER_COUNTS.values()) == 638
    assert counts == PAPER_COUNTS


def test_paper_config_lentimpra_part_dry_run(tmp_path):
    """The lentiMPRA part alone (STARR-seq dataset removed from the paper config)."""
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    del cfg["datasets"]["deepstarr"]
    path = tmp_path / "lenti.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = run_snakemake(["-n", "--configfile", str(path), "--directory", str(tmp_path)])
    assert res.returncode == 0, res.stderr + res.stdout
    counts = job_stats(res.stdout)
    assert counts.pop("total") == sum(LENTIMPRA_COUNTS.values()) + 10
    assert counts == {**LENTIMPRA_COUNTS, **SHARED_COUNTS}
    for f in ("fig5b", "fig5c", "fig5d", "supp_fig8", "supp_fig11", "supp_fig12"):
        assert f"results/paper/figures/{f}.pdf" in res.stdout


def test_default_config_is_the_paper_config():
    res = run_snakemake(["-n"])
    assert res.returncode == 0, res.stderr
    assert job_stats(res.stdout)["train_teacher"] == 250
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
    fig2 = pd.read_csv(tiny_run / "figures" / "fig2.csv").query("dataset == 'deepstarr'")
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
    assert set(fig5a["metric"]) == {"epistemic_pearson"}
    assert len(fig5a.query("dataset == 'deepstarr'")) == 6  # 3 fractions x 2 tasks
    assert len(fig5a.query("dataset == 'k562'")) == 2 and len(fig5a.query("dataset == 'hepg2'")) == 1


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
    full = perf.query(
        "dataset == 'deepstarr' and method == 'standard' and fraction == 1.0 and metric == 'pearson'"
    )
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


# ---------------------------------------------------------------- lentiMPRA part of the tiny run

UQ_FIGURES = ("fig5b", "fig5c", "fig5d", "supp_fig8", "supp_fig11", "supp_fig12")


@pytest.mark.workflow
def test_tiny_run_uncertainty_figures(tiny_run):
    for fig in UQ_FIGURES:
        assert (tiny_run / "figures" / f"{fig}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (tiny_run / "figures" / f"{fig}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig5b = pd.read_csv(tiny_run / "figures" / "fig5b.csv")
    assert set(fig5b["metric"]) == {"aleatoric_pearson"}
    assert set(fig5b["method"]) == {"standard", "distilled", "ensemble"}
    assert sorted(set(fig5b.query("dataset == 'k562'")["fraction"])) == [0.5, 1.0]
    fig5c = pd.read_csv(tiny_run / "figures" / "fig5c.csv")
    assert set(fig5c["dataset"]) == {"k562"} and set(fig5c["stage"]) == {"before", "conformal"}
    assert {"distilled", "ensemble", "mc_dropout", "heteroscedastic", "evidential"} <= set(fig5c["method"])
    assert set(pd.read_csv(tiny_run / "figures" / "supp_fig8.csv")["dataset"]) == {"hepg2"}
    s11 = pd.read_csv(tiny_run / "figures" / "supp_fig11.csv")
    assert set(s11["method"]) == {"heteroscedastic", "heteroscedastic_distill", "distilled"}


@pytest.mark.workflow
def test_tiny_run_lentimpra_pairs_and_heads(tiny_run):
    from degu.io.lentimpra import pair_stem

    data = tiny_run / "data" / "hepg2" / "dataset.h5"
    owner = {}
    with h5py.File(data) as f:
        for split in ("Train", "Val", "Test"):
            assert f[f"{split}/aleatoric"].shape == f[f"{split}/y"].shape
            for name in f[f"{split}/ids"].asstr()[...]:
                assert owner.setdefault(pair_stem(name), split) == split
    with h5py.File(data) as f:
        ids = np.concatenate([f[f"{s}/ids"].asstr()[...] for s in ("Train", "Val", "Test")])
        report = json.loads(f.attrs["prepare_report"])
    # the Table 3 "_Reversed_0" quirk was matched to Table 4's "_Reversed" and kept with its pair
    assert any(n.endswith("_Reversed_0") for n in ids)
    assert report["n_matched_after_suffix_normalisation"] > 0 and report["n_dropped_few_replicates"] > 0
    frac = tiny_run / "models" / "k562" / "frac1.0"
    with h5py.File(frac / "teacher" / "seed0" / "predictions.h5") as f:
        assert f["Test/pred"].shape[1] == 2 and f.attrs["heads"] == '["mean", "aleatoric"]'
    with h5py.File(frac / "student" / "seed1000" / "predictions.h5") as f:
        assert f.attrs["heads"] == '["mean", "epistemic", "aleatoric"]'
    with h5py.File(frac / "heteroscedastic" / "seed0" / "predictions.h5") as f:
        assert f["Test/pred"].shape[1] == 2
    with h5py.File(frac / "evidential" / "seed0" / "predictions.h5") as f:
        assert f["Test/pred"].shape[1] == 4
    perf = pd.read_csv(tiny_run / "metrics" / "performance.csv")
    k = perf.query("dataset == 'k562' and fraction == 1.0 and metric == 'pearson'")
    assert k.query("method == 'ensemble'")["value"].item() > 0.3  # the planted signal is learnable


@pytest.mark.workflow
def test_tiny_run_calibration_recomputed_independently(tiny_run):
    """Coverage, width and conformal scale of one student, recomputed from the raw arrays."""
    cal = pd.read_csv(tiny_run / "metrics" / "calibration" / "k562.csv")
    with h5py.File(tiny_run / "data" / "k562" / "dataset.h5") as f:
        y_val, y_test = f["Val/y"][:, 0].astype(float), f["Test/y"][:, 0].astype(float)
    with h5py.File(tiny_run / "models" / "k562" / "frac1.0" / "student" / "seed1001" / "predictions.h5") as f:
        pv, pt = f["Val/pred"][...].astype(float), f["Test/pred"][...].astype(float)
    for kind, sv, st in (
        ("epistemic", pv[:, 1], pt[:, 1]),
        ("aleatoric", pv[:, 2], pt[:, 2]),
        (
            "total",
            np.hypot(np.clip(pv[:, 1], 0, None), np.clip(pv[:, 2], 0, None)),
            np.hypot(np.clip(pt[:, 1], 0, None), np.clip(pt[:, 2], 0, None)),
        ),
    ):
        sv, st = np.clip(sv, 1e-8, None), np.clip(st, 1e-8, None)
        row = cal.query(f"method == 'distilled' and seed == 1001 and kind == '{kind}'").iloc[0]
        assert row["coverage"] == pytest.approx(np.mean(np.abs(y_test - pt[:, 0]) <= 1.959964 * st), abs=1e-9)
        assert row["interval_width"] == pytest.approx(np.mean(2 * 1.959964 * st), rel=1e-6)
        scores = np.sort(np.abs(y_val - pv[:, 0]) / sv)
        n = len(scores)
        lam = scores[int(np.ceil((n + 1) * 0.95)) - 1]
        assert row["conformal_scale"] == pytest.approx(lam, rel=1e-9)
        assert row["coverage_conformal"] == pytest.approx(
            np.mean(np.abs(y_test - pt[:, 0]) <= lam * st), abs=1e-9
        )


@pytest.mark.workflow
def test_tiny_run_conformal_coverage_near_nominal(tiny_run):
    for ds in ("k562", "hepg2"):
        cal = pd.read_csv(tiny_run / "metrics" / "calibration" / f"{ds}.csv")
        # sampling error of a conformal coverage: test binomial + calibration quantile variability;
        # forward/reverse pairs have nearly the same activity, so about n/2 independent records
        n_test, n_cal = cal["n_test"].iloc[0] / 2, cal["n_cal"].iloc[0] / 2
        sd = np.sqrt(0.95 * 0.05 / n_test + 0.95 * 0.05 / (n_cal + 2))
        # (all methods share one calibration and one test set, so their deviations are
        # correlated: averaging over methods would not shrink the error; each row is checked)
        assert (cal["coverage_conformal"] - 0.95).abs().max() < 4.5 * sd, cal
        # before calibration, epistemic-only intervals under-cover (paper Fig. 5c)
        assert cal.query("method == 'distilled' and kind == 'epistemic'")["coverage"].max() < 0.9
        # the simulator's true noise (sigma / sqrt(n_replicates)) is calibrated without any help
        truth = cal.query("method == 'truth'").iloc[0]
        assert abs(truth["coverage"] - 0.95) < 3 * np.sqrt(0.95 * 0.05 / n_test)
        assert truth["conformal_scale"] == pytest.approx(1.96, rel=0.25)
