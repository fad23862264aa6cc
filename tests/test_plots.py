"""degu.plots: every figure writes PDF, PNG and the CSV of its plotted numbers; the numbers are
checked against independent computations and against what is actually drawn."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO
from scipy import stats

from degu import plots
from degu.plots import FAMILIES, FIGURES, draw

TASKS = ["t1", "t2"]
FRACTIONS = [0.5, 1.0]


def _performance() -> pd.DataFrame:
    """A performance table shaped like metrics/performance.csv (values from a fixed RNG)."""
    rng = np.random.default_rng(0)
    rows = []
    for fr in FRACTIONS:
        for method, seeds in (
            ("standard", [0, 1, 2]),
            ("distilled", [1000, 1001, 1002]),
            ("ensemble", [None]),
        ):
            for seed in seeds:
                for task in TASKS:
                    rows.append(("ds", fr, method, seed, task, "pearson", rng.uniform(0.3, 0.9)))
                    rows.append(("ds", fr, method, seed, task, "aleatoric_pearson", rng.uniform(0.0, 0.4)))
                    if method == "distilled":
                        rows.append(
                            ("ds", fr, method, seed, task, "epistemic_pearson", rng.uniform(0.2, 0.7))
                        )
    for task in TASKS:
        rows.append(("ds", 1.0, "kmer_ridge", None, task, "pearson", 0.41))
    perf = pd.DataFrame(rows, columns=["dataset", "fraction", "method", "seed", "task", "metric", "value"])
    perf["seed"] = perf["seed"].astype("Int64")
    return perf


KINDS = {
    "distilled": ["epistemic", "aleatoric", "total"],
    "ensemble": ["epistemic", "aleatoric", "total"],
    "standard": ["aleatoric"],
    "heteroscedastic": ["aleatoric"],
    "heteroscedastic_distill": ["epistemic", "aleatoric", "total"],
}


def _calibration(dataset: str, seed: int) -> pd.DataFrame:
    """A calibration table shaped like metrics/calibration/<dataset>.csv."""
    rng = np.random.default_rng(seed)
    rows = []
    for method, kinds in KINDS.items():
        for s in [None] if method == "ensemble" else [0, 1]:
            r = rng.uniform(0.5, 0.8)
            for kind in kinds:
                rows.append(
                    {
                        "dataset": dataset,
                        "method": method,
                        "seed": s,
                        "kind": kind,
                        "n_cal": 50,
                        "n_test": 60,
                        "pearson": r,
                        "coverage": rng.uniform(0.3, 0.95),
                        "interval_width": rng.uniform(0.5, 3.0),
                        "conformal_scale": rng.uniform(1.0, 10.0),
                        "coverage_conformal": rng.uniform(0.93, 0.97),
                        "interval_width_conformal": rng.uniform(1.0, 5.0),
                        "n_nonpositive_sigma": 0,
                        "pearson_sigma_vs_true_noise": np.nan,
                    }
                )
    cal = pd.DataFrame(rows)
    cal["seed"] = cal["seed"].astype("Int64")
    return cal


def _robustness() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for proc in ("standard", "oracle_distilled", "dynamic_evoaug"):
        for seed in (0, 1):
            for task in TASKS:
                for shift in ("none", "small", "large"):
                    rows.append(("ds", proc, seed, task, shift, "mse_oracle", rng.uniform(0.05, 0.5)))
                rows.append(("ds", proc, seed, task, "none", "pearson", rng.uniform(0.5, 0.8)))
    for proc in ("distilled", "evoaug_standard", "evoaug_distilled"):
        for seed in (0, 1):
            for task in TASKS:
                rows.append(("ds", proc, seed, task, "none", "pearson", rng.uniform(0.5, 0.8)))
    for proc in ("ensemble", "evoaug_ensemble"):
        for task in TASKS:
            rows.append(("ds", proc, None, task, "none", "pearson", rng.uniform(0.6, 0.85)))
    rob = pd.DataFrame(rows, columns=["dataset", "procedure", "seed", "task", "shift", "metric", "value"])
    rob["seed"] = rob["seed"].astype("Int64")
    return rob


def _ensemble_size() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = []
    for k in (2, 3):
        for method, seeds in (("individual", range(k)), ("ensemble", [None]), ("distilled", [1000, 1001])):
            for seed in seeds:
                for task in TASKS:
                    rows.append(("ds", k, method, seed, task, "pearson", rng.uniform(0.5, 0.8)))
    size = pd.DataFrame(rows, columns=["dataset", "k", "method", "seed", "task", "metric", "value"])
    size["seed"] = size["seed"].astype("Int64")
    return size


def _oracle_activity() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [
        ("ds", shift, task, f"seq{i}", rng.normal(1.0 if shift != "large" else 0.2, 0.5))
        for shift in ("none", "small", "large")
        for task in TASKS
        for i in range(20)
    ]
    return pd.DataFrame(rows, columns=["dataset", "shift", "task", "id", "oracle_mean"])


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, list]:
    """{figure: [CSV files it plots]}, written like the pipeline's metric tables."""
    d = tmp_path_factory.mktemp("tables")
    files = {
        "performance": _performance(),
        "cal_a": _calibration("a", 10),
        "cal_b": _calibration("b", 11),
        "robustness": _robustness(),
        "ensemble_size": _ensemble_size(),
        "oracle_activity": _oracle_activity(),
    }
    paths = {}
    for name, table in files.items():
        paths[name] = d / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    calibration = [paths["cal_a"], paths["cal_b"]]
    return {
        **{f: [paths["performance"]] for f in FAMILIES["performance"]},
        **{f: calibration for f in FAMILIES["calibration"]},
        **{f: [paths["robustness"]] for f in ("fig3", "supp_fig2", "supp_fig5")},
        "supp_fig4": [paths["oracle_activity"]],
        "supp_fig3": [paths["ensemble_size"]],
    }


def outputs(d, figure):
    return [d / f"{figure}.{ext}" for ext in ("pdf", "png", "csv")]


def test_registry_lists_every_figure_once_by_family():
    assert sorted(f for figs in FAMILIES.values() for f in figs) == sorted(FIGURES)
    assert len(FIGURES) == 22
    assert FAMILIES["calibration"] == ("fig5c", "fig5d", "supp_fig8", "supp_fig11", "supp_fig12")
    for family, figs in FAMILIES.items():
        for name in figs:  # each figure is the function of its name in its family's module
            assert FIGURES[name].__module__ == f"degu.plots.{family}" and FIGURES[name].__name__ == name
            assert getattr(plots, name) is FIGURES[name]  # `from degu.plots import fig2` keeps working
    with pytest.raises(AttributeError, match="has no attribute 'fig99'"):
        plots.fig99  # noqa: B018


def _modules_after(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return res.stdout.split()


def test_plots_import_is_light_and_never_reaches_jobs_or_tensorflow():
    # the workflow imports FAMILIES when it parses: no plotting stack for a dry run
    light = _modules_after("import degu.plots; degu.plots.FAMILIES")
    assert not [m for m in light if m.split(".")[0] in ("matplotlib", "seaborn", "pandas")]
    full = _modules_after("import degu.plots; degu.plots.FIGURES")
    assert "matplotlib" in full and "degu.plots.robustness" in full
    assert not [m for m in full if m.startswith(("degu.jobs", "tensorflow", "keras"))]


# the attribution and variant-effect figures read several different tables:
# tests/test_plots_attribution.py, tests/test_plots_variant_effects.py, tests/test_plots_atac.py
@pytest.mark.parametrize(
    "figure",
    [
        f
        for f in FIGURES
        if f not in (*FAMILIES["attribution"], *FAMILIES["variant_effects"], *FAMILIES["atac"])
    ],
)
def test_each_figure_writes_pdf_png_and_the_plotted_table(figure, tables, tmp_path):
    table = draw(figure, tables[figure], outputs(tmp_path, figure), main_dataset="a", alpha=0.05)
    pdf, png, csv = outputs(tmp_path, figure)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not table.empty
    pd.testing.assert_frame_equal(
        pd.read_csv(csv), table.reset_index(drop=True), check_dtype=False, check_exact=False, rtol=1e-12
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in outputs(tmp_path, figure))


def _fisher_ci(r):
    """Independent 95% interval: t-interval on arctanh(r), transformed back."""
    z = np.arctanh(np.asarray(r, dtype=float))
    if len(z) < 2:
        return r[0], r[0]
    half = stats.t.ppf(0.975, len(z) - 1) * z.std(ddof=1) / np.sqrt(len(z))
    return np.tanh(z.mean() - half), np.tanh(z.mean() + half)


def test_fig2_csv_is_the_mean_and_interval_over_seeds_and_is_what_is_drawn(tables, tmp_path, monkeypatch):
    drawn = {}
    original = plots.performance.save_figure

    def capture(fig, table, stem):
        for ax in fig.axes:  # before save_figure closes the figure
            drawn[ax.get_title()] = {
                line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()
            }
        return original(fig, table, stem)

    monkeypatch.setattr(plots.performance, "save_figure", capture)
    draw("fig2", tables["fig2"], outputs(tmp_path, "fig2"))
    csv = pd.read_csv(tmp_path / "fig2.csv")
    perf = pd.read_csv(tables["fig2"][0])
    pearson = perf[perf.metric == "pearson"]
    # every (task, method, fraction) of the table, the reference at its one fraction only
    assert len(csv) == 2 * (3 * 2 + 1)
    for row in csv.itertuples():
        vals = pearson.query("task == @row.task and method == @row.method and fraction == @row.fraction")[
            "value"
        ]
        assert row.n_models == len(vals) == (1 if row.method in ("ensemble", "kmer_ridge") else 3)
        assert row.mean == pytest.approx(vals.mean(), abs=1e-12)
        lo, hi = _fisher_ci(vals.to_numpy())
        assert (row.ci95_low, row.ci95_high) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
    # the plotted lines are exactly the CSV's means: one panel per task, one line per method
    for task in TASKS:
        panel = drawn[f"ds: {task}"]
        for method, label in (
            ("standard", "Standard training"),
            ("distilled", "DEGU distilled"),
            ("ensemble", "Teacher ensemble"),
        ):
            g = csv[(csv.task == task) & (csv.method == method)].sort_values("fraction")
            x, y = panel[label]
            assert x == g["fraction"].tolist() and y == pytest.approx(g["mean"].tolist(), abs=1e-12)
        ref = csv.query("task == @task and method == 'kmer_ridge'")["mean"].item()
        assert panel["k-mer ridge"][1] == [ref, ref]  # a horizontal line at the reference


def test_fig5c_draws_the_main_dataset_before_and_after_conformal(tables, tmp_path, monkeypatch):
    drawn = {}
    original = plots.calibration.save_figure

    def capture(fig, table, stem):
        for ax in fig.axes:
            points = np.concatenate([c.get_offsets() for c in ax.collections])
            drawn[ax.get_title()] = (points, [list(line.get_ydata()) for line in ax.get_lines()])
        return original(fig, table, stem)

    monkeypatch.setattr(plots.calibration, "save_figure", capture)
    draw("fig5c", tables["fig5c"], outputs(tmp_path, "fig5c"), main_dataset="a", alpha=0.1)
    csv = pd.read_csv(tmp_path / "fig5c.csv")
    cal = pd.read_csv(tables["fig5c"][0])  # dataset a; b is in the other file and not drawn
    assert set(csv["dataset"]) == {"a"}
    assert set(drawn) == {
        f"a: {kind}, {stage}"
        for kind in ("epistemic", "aleatoric", "total")
        for stage in ("before calibration", "after conformal")
    }
    for kind in ("epistemic", "aleatoric", "total"):
        for stage, (cov, width) in (
            ("before calibration", ("coverage", "interval_width")),
            ("after conformal", ("coverage_conformal", "interval_width_conformal")),
        ):
            want = cal[cal.kind == kind][[width, cov]].to_numpy()
            got, lines = drawn[f"a: {kind}, {stage}"]
            # the same points as (interval width, coverage) pairs of the source table
            assert sorted(map(tuple, got.round(12))) == sorted(map(tuple, want.round(12)))
            assert lines == [[0.9, 0.9]]  # the nominal coverage 1 - alpha
    supp8 = draw("supp_fig8", tables["supp_fig8"], outputs(tmp_path, "supp_fig8"), main_dataset="a")
    assert set(supp8["dataset"]) == {"b"}


def test_calibration_figures_read_every_table_in_order(tables, tmp_path):
    table = draw("supp_fig12", tables["supp_fig12"], outputs(tmp_path, "supp_fig12"))
    before = table[table.stage == "before"]
    assert list(dict.fromkeys(before["dataset"])) == ["a", "b"]
    expected = pd.concat([pd.read_csv(p) for p in tables["supp_fig12"]], ignore_index=True)
    np.testing.assert_allclose(before["coverage"], expected["coverage"])
    conformal = table[table.stage == "conformal"]
    np.testing.assert_allclose(conformal["coverage"], expected["coverage_conformal"])


def test_supp_fig3_csv_against_an_independent_summary(tables, tmp_path):
    draw("supp_fig3", tables["supp_fig3"], outputs(tmp_path, "supp_fig3"))
    csv = pd.read_csv(tmp_path / "supp_fig3.csv")
    size = pd.read_csv(tables["supp_fig3"][0])
    assert len(csv) == 2 * 3 * 2  # k x method x task
    for row in csv.itertuples():
        vals = size.query("k == @row.k and method == @row.method and task == @row.task")["value"].to_numpy()
        assert row.n_models == len(vals) and row.mean == pytest.approx(vals.mean(), abs=1e-12)
        lo, hi = _fisher_ci(vals)
        assert row.ci95_low == pytest.approx(lo, abs=1e-12) and row.ci95_high == pytest.approx(hi, abs=1e-12)


def test_draw_refuses_unknown_figures_and_mismatched_outputs(tables, tmp_path):
    with pytest.raises(ValueError, match=r"unknown figure 'fig9'; known: fig2, "):
        draw("fig9", tables["fig2"], outputs(tmp_path, "fig9"))
    with pytest.raises(ValueError, match=r"figure 'fig2': no input tables"):
        draw("fig2", [], outputs(tmp_path, "fig2"))
    with pytest.raises(ValueError, match=r"outputs of figure 'fig2' must be <dir>/fig2.pdf, .png, .csv"):
        draw("fig2", tables["fig2"], outputs(tmp_path, "fig5a"))
    with pytest.raises(ValueError, match=r"outputs of figure 'fig2' must be"):
        draw("fig2", tables["fig2"], outputs(tmp_path, "fig2")[::-1])
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_supp_fig2_names_the_missing_procedures(tmp_path):
    rob = _robustness()
    rob = rob[rob.procedure != "evoaug_ensemble"]
    path = tmp_path / "rob.csv"
    rob.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"robustness table lacks \['evoaug_ensemble'\]"):
        draw("supp_fig2", [path], outputs(tmp_path, "supp_fig2"))
    assert [p.name for p in tmp_path.iterdir()] == ["rob.csv"]  # no figure file, not even a partial one
