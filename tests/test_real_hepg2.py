"""Issue 3, item 8: the pipeline on the real lentiMPRA HepG2 file (activity only, CPU).

Runs tests/configs/real_hepg2.yaml with the data path passed in from here (the data are
never copied into the project). Recorded numbers: docs/real-data.md.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

pytestmark = pytest.mark.workflow
# teachers and students each: the benchmark (docs/real-data.md) trains 3; the suite trains 2, the
# smaller version that keeps CI inside its time limit (the assertions hold for both); likewise
# at most 10 epochs (the benchmark: 30; measured at 10: standard r .383, min .365, distilled .372,
# ensemble .399, epistemic r .296, in 650 s)
SEEDS = 2
MAX_EPOCHS = 10


@pytest.fixture(scope="module")
def real_run(shared_data, tmp_path_factory):
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    from real_hepg2 import run

    work = tmp_path_factory.mktemp("real_hepg2")
    result = run(shared_data, work, seeds=SEEDS, max_epochs=MAX_EPOCHS)
    return work / "results" / "real_hepg2", result


def test_real_hepg2_dataset_is_pair_aware_and_complete(real_run):
    import h5py

    from degu.io.lentimpra import pair_stem

    out, _ = real_run
    owner, n = {}, 0
    with h5py.File(out / "data" / "hepg2_real" / "dataset.h5") as f:
        for split in ("Train", "Val", "Test"):
            ids = f[f"{split}/ids"].asstr()[...]
            n += len(ids)
            for name in ids:
                assert owner.setdefault(pair_stem(name, "_Reversed:?$"), split) == split
            assert np.isfinite(f[f"{split}/y"][...]).all()
    assert n == 12298 and len(owner) == 6149  # every record kept; 6,149 forward/reverse pairs


def test_real_hepg2_learns_and_distils(real_run):
    _, result = real_run
    r = result["pearson"]["mean"]
    # a narrow ResidualBind (28k parameters) on ~9.8k real sequences (docs/real-data.md): clearly
    # above chance, below the paper's full model trained on ~110k; guards against a pipeline
    # that learns nothing or a seed that stays at the constant solution
    assert r["standard"] > 0.35 and r["distilled"] > 0.3
    assert result["pearson"]["min"]["standard"] > 0.3
    # the ensemble beats its average member
    assert r["ensemble"] > r["standard"]
    # the non-neural reference (ridge on k-mer counts) is fitted and scored on the same split
    assert result["pearson"]["count"]["kmer_ridge"] == 1 and r["kmer_ridge"] > 0.3
    epi_mean = result["epistemic_r"][0]
    assert epi_mean > 0.1  # the epistemic head tracks the ensemble std (benchmark, 3 + 3 models: 0.36)
    # the benchmark's per-seed lists and comparison are those of performance.csv
    per_seed = result["per_seed"]
    assert [s for s, _ in per_seed["standard"]] == list(range(SEEDS))
    assert [s for s, _ in per_seed["distilled"]] == list(range(1000, 1000 + SEEDS))
    assert np.mean([v for _, v in per_seed["standard"]]) == pytest.approx(r["standard"])
    c = result["distilled_vs_standard"]
    assert c["n"] == (SEEDS, SEEDS) and c["difference"] == pytest.approx(r["distilled"] - r["standard"])
    # validation r per model (what early stopping saw), above the floor the test r is held to
    val = result["validation_r"]
    assert [len(val[m]) for m in ("standard", "distilled", "ensemble")] == [SEEDS, SEEDS, 1]
    assert all(v > 0.3 for m in val for _, v in val[m])


def test_benchmark_comparison_is_welchs_interval():
    """benchmarks/real_hepg2.py's distilled-vs-standard comparison against Welch's formula
    written out here (the difference of means, its standard error and Welch-Satterthwaite df)."""
    import sys

    from scipy import stats

    sys.path.insert(0, str(REPO / "benchmarks"))
    from real_hepg2 import compare

    a, b = np.array([0.436, 0.439, 0.430, 0.441]), np.array([0.474, 0.442, 0.431])
    perf = pd.DataFrame(
        {
            "method": ["distilled"] * 4 + ["standard"] * 3 + ["standard"],
            "metric": ["pearson"] * 7 + ["mse"],
            "value": [*a, *b, 9.0],
        }
    )
    c = compare(perf, "distilled", "standard")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    d = a.mean() - b.mean()
    assert c["n"] == (4, 3) and c["difference"] == pytest.approx(d)
    assert c["ci95"] == pytest.approx((d - half, d + half))
    assert c["welch_p"] == pytest.approx(2 * stats.t.sf(abs(d) / np.sqrt(va + vb), df))
    assert 0 < c["mann_whitney_p"] <= 1
    assert compare(perf[perf.method != "standard"], "distilled", "standard")["n"] == (4, 0)


def test_real_hepg2_conformal_restores_coverage(real_run):
    out, _ = real_run
    cal = pd.read_csv(out / "metrics" / "calibration" / "hepg2_real.csv")
    assert set(cal["method"]) == {"ensemble", "distilled", "mc_dropout"}  # no "truth" for real data
    assert set(cal["kind"]) == {"epistemic"}
    # forward/reverse pairs share their activity: about n/2 independent records per split
    n_test, n_cal = cal["n_test"].iloc[0] / 2, cal["n_cal"].iloc[0] / 2
    sd = np.sqrt(0.95 * 0.05 / n_test + 0.95 * 0.05 / (n_cal + 2))
    assert (cal["coverage_conformal"] - 0.95).abs().max() < 4 * sd
    # epistemic-only intervals are badly under-covering before calibration (paper Fig. 5c)
    assert cal["coverage"].max() < 0.8


def test_real_hepg2_scores_the_cagi5_release_sheets(real_run):
    """Issue 13, item 6: the release sheets of LDLR, F9 and SORT1 scored zero-shot through the
    element sequences of base_seqs_v2.csv (no hg19 flanks here: edge windows shifted inside
    the element). Structure and bookkeeping only: the measured effects choose nothing, and the
    numbers are reported in docs/variant-effects.md, not asserted."""
    out, result = real_run
    win = pd.read_csv(out / "metrics" / "variant_windows.csv")
    n = dict(zip(win["locus"] + "/" + win["status"], win["n"], strict=True))
    # every release Ref agrees with the element (tests/test_variants_io.py); windows past the
    # element's ends: 151, 188, 48 (200-nt element windows, variant at index 99)
    assert n == {
        "LDLR/ok": 238,
        "LDLR/ok_edge_window": 151,
        "F9/ok": 236,
        "F9/ok_edge_window": 188,
        "SORT1/ok": 430,
        "SORT1/ok_edge_window": 48,
    }
    s = pd.read_csv(out / "metrics" / "variant_effects.csv")
    r = s[(s["quantile"] == 1.0) & (s["metric"] == "pearson")]
    seeds = r.groupby(["locus", "method"])["seed"].nunique(dropna=False)
    for locus in ("LDLR", "F9", "SORT1"):
        assert [seeds[(locus, m)] for m in ("standard", "distilled", "ensemble")] == [SEEDS, SEEDS, 1]
    assert np.isfinite(r["value"]).all() and (r["value"].abs() <= 1).all()
    assert "ceiling" not in set(s["method"])  # no true effects for real data
    pred = pd.read_csv(out / "metrics" / "variant_predictions.csv")
    ens = pred[pred.method == "ensemble"].set_index(["locus", "variant"])["effect"]
    std = pred[pred.method == "standard"].groupby(["locus", "variant"])["effect"].mean()
    np.testing.assert_allclose(ens.loc[std.index], std, atol=1e-5)
    assert len(result["cagi5"]) == 3 * 3 * 2  # loci x methods x (pearson, spearman) in the benchmark's table
