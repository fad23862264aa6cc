"""degu.plots.atac: Supp. Fig. 1 from synthetic tables in the exact schemas of metrics/atac.csv and
metrics/atac_attribution.csv; the plotted CSV is checked against the input rows."""

import numpy as np
import pandas as pd
import pytest

from degu.plots import FAMILIES, draw


def tables(tmp_path):
    rows = []
    for method, seeds in (("standard", [0, 1, 2]), ("distilled", [1000, 1001]), ("ensemble", [None])):
        for k, seed in enumerate(seeds):
            for head, base in (("mean", 0.6), ("aleatoric", 0.3)):
                rows.append(["sim", method, seed, "SIM", head, "pearson", base + 0.01 * k, 100])
            if method == "distilled":
                rows.append(["sim", method, seed, "SIM", "epistemic", "pearson", 0.5, 100])
    perf = pd.DataFrame(
        rows, columns=["dataset", "method", "seed", "task", "head", "metric", "value", "n_positions"]
    )
    attr = pd.DataFrame(
        [
            ["sim", "SIM", "standard", 0, "rmse", 0.10, 30],
            ["sim", "SIM", "standard", 1, "rmse", 0.20, 30],
            ["sim", "SIM", "distilled", 1000, "rmse", 0.05, 30],
            ["sim", "SIM", "distilled", 1001, "rmse", 0.07, 30],
            ["sim", "SIM", "standard", None, "variability", 0.4, 30],
            ["sim", "SIM", "distilled", None, "variability", 0.2, 30],
        ],
        columns=["dataset", "task", "method", "seed", "metric", "value", "n_sequences"],
    )
    paths = [tmp_path / "atac.csv", tmp_path / "atac_attribution.csv"]
    perf.to_csv(paths[0], index=False)
    attr.to_csv(paths[1], index=False)
    return paths


def test_supp_fig1_plots_the_rows_of_both_tables(tmp_path):
    assert FAMILIES["atac"] == ("supp_fig1",)
    out = [tmp_path / f"supp_fig1.{e}" for e in ("pdf", "png", "csv")]
    table = draw("supp_fig1", tables(tmp_path), out)
    assert out[0].read_bytes()[:5] == b"%PDF-" and out[1].read_bytes()[:4] == b"\x89PNG"
    pd.testing.assert_frame_equal(pd.read_csv(out[2]), table.reset_index(drop=True), check_dtype=False)
    a = table[table["panel"] == "a"]
    assert sorted(a["method"].unique()) == ["distilled", "ensemble", "standard"]
    std = a[a["method"] == "standard"]
    np.testing.assert_allclose(std["pearson"], [0.60, 0.61, 0.62])
    np.testing.assert_allclose(std["mean_over_seeds"], 0.61)
    c = table[table["panel"] == "c"]
    np.testing.assert_allclose(c[c["method"] == "distilled"]["pearson"], [0.30, 0.31])
    assert "epistemic" not in set(table["head"])
    b = table[table["panel"] == "b"]
    np.testing.assert_allclose(b[b["method"] == "distilled"]["rmse_to_ensemble_map"], [0.05, 0.07])
    np.testing.assert_allclose(b[b["method"] == "standard"]["variability"], 0.4)


def test_supp_fig1_needs_its_columns(tmp_path):
    perf, attr = tables(tmp_path)
    pd.read_csv(perf).drop(columns=["head"]).to_csv(perf, index=False)
    with pytest.raises(ValueError, match=r"atac table lacks column\(s\) \['head'\]"):
        draw("supp_fig1", [perf, attr], [tmp_path / f"supp_fig1.{e}" for e in ("pdf", "png", "csv")])
