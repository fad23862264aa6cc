"""The non-neural reference: k-mer counts, ridge fitted with k and alpha chosen on Val."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, run_snakemake
from scipy import sparse, stats

from degu.analysis.kmer import kmer_counts, select_and_fit
from degu.assays.splits import read_subset, write_subsets
from degu.io import hdf5
from degu.jobs.reference import kmer_ridge_job

BASES = "ACGT"


def random_onehot(rng, n, length, p_n=0.0):
    codes = rng.integers(0, 4, size=(n, length))
    X = np.eye(4, dtype=np.uint8)[codes]
    X[rng.random((n, length)) < p_n] = 0  # N = all-zero row
    return X


def decode(x):
    return "".join(BASES[int(np.argmax(r))] if r.sum() else "N" for r in x)


def brute_counts(X, k, both_strands=False):
    comp = str.maketrans("ACGTN", "TGCAN")
    out = np.zeros((len(X), 4**k))
    for i, x in enumerate(X):
        seqs = [decode(x)]
        if both_strands:
            seqs.append(seqs[0].translate(comp)[::-1])
        for s in seqs:
            for j in range(len(s) - k + 1):
                w = s[j : j + k]
                if "N" not in w:
                    out[i, int("".join(str(BASES.index(b)) for b in w), 4)] += 1
    return out


@pytest.mark.parametrize("both_strands", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_kmer_counts_match_brute_force(k, both_strands):
    rng = np.random.default_rng(k)
    X = random_onehot(rng, 7, 23, p_n=0.1)
    X[0, :] = 0  # an all-N sequence: no k-mer
    X[1, 5] = 0
    expected = brute_counts(X, k, both_strands)
    for dense in (True, False):
        got = kmer_counts(X, k, both_strands=both_strands, dense=dense)
        assert got.dtype == np.float32 and got.shape == (7, 4**k)
        assert sparse.issparse(got) != dense
        np.testing.assert_array_equal(got.toarray() if not dense else got, expected)
    assert expected[0].sum() == 0


def test_kmer_counts_short_sequences():
    X = random_onehot(np.random.default_rng(0), 3, 3)
    assert kmer_counts(X, 4).sum() == 0 and kmer_counts(X, 3).sum() == 3


def cg_counts(X):
    s = kmer_counts(X, 2, dense=True)
    return s[:, BASES.index("C") * 4 + BASES.index("G")]


def write_toy_dataset(path, rng, n_train=400, n_val=120, length=40):
    """Train/Val targets = CG-dinucleotide count (+ noise); Test = the Val sequences with the
    targets negated, so the grid point a test-set search would pick is the worst on Val."""
    X_tr, X_va = random_onehot(rng, n_train, length, 0.02), random_onehot(rng, n_val, length, 0.02)
    y_tr = cg_counts(X_tr) + rng.normal(0, 0.7, n_train)
    y_va = cg_counts(X_va) + rng.normal(0, 0.7, n_val)
    two = lambda y: np.stack([y, 0.5 * y + rng.normal(0, 0.5, len(y))], axis=1)  # noqa: E731
    y_tr, y_va = two(y_tr), two(y_va)
    splits = {
        "Train": hdf5.Split(X_tr, y_tr, np.array([f"t{i}" for i in range(n_train)])),
        "Val": hdf5.Split(X_va, y_va, np.array([f"v{i}" for i in range(n_val)])),
        "Test": hdf5.Split(X_va, -y_va, np.array([f"s{i}" for i in range(n_val)])),
    }
    hdf5.write_dataset(path, splits, ["t1", "t2"], n_policy="zeros")
    return splits


def test_grid_is_chosen_on_validation_not_test(tmp_path):
    rng = np.random.default_rng(1)
    s = write_toy_dataset(tmp_path / "d.h5", rng)
    ks, alphas = [1, 2, 3], [0.01, 100.0, 1e5]
    best, grid = select_and_fit(s["Train"].X, s["Train"].y, s["Val"].X, s["Val"].y, ks, alphas)
    r = [g["val_pearson"] for g in grid]
    assert len(grid) == 9 and len(set(np.round(r, 10))) > 1
    assert (best["k"], best["alpha"]) == (grid[int(np.argmax(r))]["k"], grid[int(np.argmax(r))]["alpha"])
    assert best["k"] >= 2  # the CG count needs 2-mers
    on_test, _ = select_and_fit(s["Train"].X, s["Train"].y, s["Test"].X, s["Test"].y, ks, alphas)
    assert (on_test["k"], on_test["alpha"]) != (best["k"], best["alpha"])
    # the job makes the validation choice
    write_subsets(tmp_path / "sub.h5", len(s["Train"].y), [0.5, 1.0], seed=0)
    info = kmer_ridge_job(
        dataset_h5=tmp_path / "d.h5",
        subsets_h5=tmp_path / "sub.h5",
        fraction="1.0",
        out_predictions=tmp_path / "k.h5",
        ks=ks,
        alphas=alphas,
    )
    assert (info["k"], info["alpha"]) == (best["k"], best["alpha"])


def test_job_file_and_metrics_rows(tmp_path):
    from sklearn.linear_model import Ridge

    from degu.jobs.evaluate import evaluate_job

    rng = np.random.default_rng(2)
    s = write_toy_dataset(tmp_path / "d.h5", rng)
    s["Test"] = hdf5.Split(random_onehot(rng, 90, 40), rng.normal(size=(90, 2)), np.arange(90).astype(str))
    s["Test"].y[:, 0] += cg_counts(s["Test"].X)
    hdf5.write_dataset(tmp_path / "d.h5", s, ["t1", "t2"], n_policy="zeros")
    write_subsets(tmp_path / "sub.h5", len(s["Train"].y), [0.5, 1.0], seed=3)
    ks, alphas = [2, 3], [1.0, 1000.0]
    kmer_ridge_job(
        dataset_h5=tmp_path / "d.h5",
        subsets_h5=tmp_path / "sub.h5",
        fraction="0.5",
        out_predictions=tmp_path / "k.h5",
        ks=ks,
        alphas=alphas,
        both_strands=True,
    )
    out = hdf5.read_arrays(tmp_path / "k.h5")
    attrs = hdf5.read_attrs(tmp_path / "k.h5")
    index = read_subset(tmp_path / "sub.h5", 0.5)
    np.testing.assert_array_equal(out["Train/index"], index)
    assert out["Val/pred"].shape == (120, 2) and out["Test/pred"].shape == (90, 2)
    grid = json.loads(attrs["grid"])
    assert [(g["k"], g["alpha"]) for g in grid] == [(k, a) for k in ks for a in alphas]
    assert attrs["val_pearson"] == max(g["val_pearson"] for g in grid) and attrs["both_strands"]
    # independent refit: brute-force features, plain sklearn Ridge on the same subset
    k, alpha = int(attrs["k"]), float(attrs["alpha"])
    model = Ridge(alpha=alpha).fit(brute_counts(s["Train"].X[index], k, True), s["Train"].y[index])
    pred = model.predict(brute_counts(s["Test"].X, k, True))
    np.testing.assert_allclose(out["Test/pred"], pred, rtol=1e-3, atol=1e-3)
    val_r = np.mean(
        [
            stats.pearsonr(s["Val"].y[:, j], model.predict(brute_counts(s["Val"].X, k, True))[:, j])[0]
            for j in range(2)
        ]
    )
    assert attrs["val_pearson"] == pytest.approx(val_r, abs=1e-4)
    # performance.csv rows (no CNNs here: a labels file stands in for the ensemble)
    hdf5.write_arrays(tmp_path / "labels.h5", {"Test/mean": pred, "Test/std": np.ones_like(pred)})
    table = evaluate_job(
        entries=[
            {
                "dataset": "toy",
                "fraction": 0.5,
                "dataset_h5": str(tmp_path / "d.h5"),
                "labels_h5": str(tmp_path / "labels.h5"),
                "teachers": [],
                "students": [],
                "references": [("kmer_ridge", str(tmp_path / "k.h5"))],
            }
        ],
        out_csv=tmp_path / "perf.csv",
    )
    rows = table[table.method == "kmer_ridge"]
    assert len(rows) == 2 * 3 and rows["seed"].isna().all()
    for j, task in enumerate(["t1", "t2"]):
        r = rows[(rows.task == task) & (rows.metric == "pearson")]["value"].item()
        assert r == pytest.approx(stats.pearsonr(s["Test"].y[:, j], pred[:, j])[0], abs=1e-4)
        mse = rows[(rows.task == task) & (rows.metric == "mse")]["value"].item()
        assert mse == pytest.approx(np.mean((s["Test"].y[:, j] - pred[:, j]) ** 2), rel=1e-3)
    assert pd.read_csv(tmp_path / "perf.csv").query("method == 'kmer_ridge'").shape[0] == 6


def test_fig2_draws_the_reference(tmp_path):
    from degu.plots import fig2

    rows = []
    for fr in (0.5, 1.0):
        for method, seeds in (("standard", [0, 1]), ("distilled", [1000, 1001]), ("ensemble", [None])):
            for seed in seeds:
                rows.append(("ds", fr, method, seed, "t", "pearson", 0.5 + fr / 4 + (seed or 0) % 7 / 100))
    rows.append(("ds", 1.0, "kmer_ridge", None, "t", "pearson", 0.41))
    perf = pd.DataFrame(rows, columns=["dataset", "fraction", "method", "seed", "task", "metric", "value"])
    table = fig2(perf, tmp_path / "fig2")
    ref = table[table.method == "kmer_ridge"]
    assert len(ref) == 1 and ref["mean"].item() == pytest.approx(0.41) and ref["fraction"].item() == 1.0
    assert (tmp_path / "fig2.pdf").exists()
    assert pd.read_csv(tmp_path / "fig2.csv").query("method == 'kmer_ridge'")["mean"].item() == pytest.approx(
        0.41
    )


def kmer_jobs(stdout):
    return set(re.findall(r"results/test/reference/(\w+)/frac([0-9.]+)/kmer_ridge\.h5", stdout))


def test_dry_run_one_kmer_job_per_dataset(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    res = run_snakemake(
        ["-n", "--configfile", str(REPO / "config" / "test.yaml"), "--directory", str(tmp_path)]
    )
    assert res.returncode == 0, res.stderr + res.stdout
    expected = {(ds, repr(float(max(d["fractions"])))) for ds, d in cfg["datasets"].items()}
    assert kmer_jobs(res.stdout) == expected
    assert re.search(r"^kmer_ridge\s+3$", res.stdout, re.M)
    # every fraction on request
    cfg["kmer_ridge"]["fractions"] = "all"
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = run_snakemake(["-n", "--configfile", str(path), "--directory", str(tmp_path)])
    assert res.returncode == 0, res.stderr + res.stdout
    assert kmer_jobs(res.stdout) == {
        (ds, repr(float(f))) for ds, d in cfg["datasets"].items() for f in d["fractions"]
    }


def test_single_task_predictions_are_2d(tmp_path):
    rng = np.random.default_rng(4)
    s = write_toy_dataset(tmp_path / "d.h5", rng)
    s = {k: hdf5.Split(v.X, v.y[:, :1], v.ids) for k, v in s.items()}
    hdf5.write_dataset(tmp_path / "d.h5", s, ["t1"], n_policy="zeros")
    write_subsets(tmp_path / "sub.h5", len(s["Train"].y), [1.0], seed=0)
    kmer_ridge_job(
        dataset_h5=tmp_path / "d.h5",
        subsets_h5=tmp_path / "sub.h5",
        fraction="1.0",
        out_predictions=tmp_path / "k.h5",
        ks=[2],
        alphas=[1.0, 10.0],
    )
    out = hdf5.read_arrays(tmp_path / "k.h5", ["Val/pred", "Test/pred"])
    assert out["Val/pred"].shape == (120, 1) and out["Test/pred"].shape == (120, 1)
