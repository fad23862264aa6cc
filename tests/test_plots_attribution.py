"""degu.plots.attribution: Fig. 4, Supp. Figs. 6, 7 and the planted-motif recovery figure, drawn
from synthetic tables in the exact schemas of metrics/attribution.csv, attribution_example.csv and
attribution_motifs.csv; every plotted CSV is checked against the input rows, and against what is
drawn."""

import zlib

import numpy as np
import pandas as pd
import pytest

import degu.plots.attribution as attribution_plots
import degu.plots.robustness as robustness_plots
from degu.plots import FAMILIES, FIGURES, draw

FIGS = FAMILIES["attribution"]
STANDARD, DISTILLED = [0, 1, 2, 3], [1000, 1001, 1002, 1003]
# dataset -> (tasks, attribution methods, simulated: planted motifs and their recovery)
DATASETS = {
    "sim": (["t1", "t2"], ["saliency", "deepshap"], True),
    "real": (["Dev"], ["saliency"], False),
}
LENGTH = 20
MAP_PANELS = ["standard", "distilled", "ensemble", "distilled_epistemic"]


def _sequences(dataset, task):
    """The test-split indices explained for (dataset, task), not sorted."""
    rng = np.random.default_rng(zlib.crc32(f"{dataset}/{task}".encode()))
    return [int(i) for i in rng.choice(500, size=7, replace=False)]


def _attribution() -> pd.DataFrame:
    """A table shaped like metrics/attribution.csv (values from a fixed RNG)."""
    rng = np.random.default_rng(0)
    rows = []
    for dataset, (tasks, methods, simulated) in DATASETS.items():
        for task in tasks:
            for attr in methods:
                for method, seeds in (("standard", STANDARD), ("distilled", DISTILLED)):
                    for seed in seeds:
                        for metric in ("rmse", "rmse_normalized", "seconds_per_sequence"):
                            rows.append(
                                (dataset, task, method, attr, seed, None, metric, rng.uniform(0.1, 1))
                            )
                        if attr == "deepshap":
                            rows.append(
                                (dataset, task, method, attr, seed, None, "additivity_max_error", 1e-6)
                            )
                        if simulated:
                            for metric in ("auroc", "auprc"):
                                rows.append(
                                    (dataset, task, method, attr, seed, None, metric, rng.uniform(0.5, 1))
                                )
                    for seq in _sequences(dataset, task):
                        for metric in ("variability", "variability_normalized"):
                            rows.append((dataset, task, method, attr, None, seq, metric, rng.uniform(0, 2)))
                if simulated:
                    for metric in ("auroc", "auprc"):
                        rows.append(
                            (dataset, task, "ensemble", attr, None, None, metric, rng.uniform(0.7, 1))
                        )
                for metric in ("rmse", "rmse_normalized", "variability", "variability_normalized"):
                    for stat in ("t", "p"):
                        value = rng.uniform(-5, 5) if stat == "t" else 10 ** rng.uniform(-6, -1)
                        rows.append(
                            (
                                dataset,
                                task,
                                "distilled_vs_standard",
                                attr,
                                None,
                                None,
                                f"{metric}_{stat}",
                                value,
                            )
                        )
    att = pd.DataFrame(
        rows, columns=["dataset", "task", "method", "attribution", "seed", "sequence", "metric", "value"]
    )
    att[["seed", "sequence"]] = att[["seed", "sequence"]].astype("Int64")
    return att


def _example() -> pd.DataFrame:
    """A table shaped like metrics/attribution_example.csv: one sequence per (dataset, task,
    attribution), four maps each, an N at position 5."""
    rng = np.random.default_rng(1)
    rows = []
    for dataset, (tasks, methods, _) in DATASETS.items():
        for task in tasks:
            seq = _sequences(dataset, task)[0]
            bases = list(rng.choice(list("ACGT"), LENGTH))
            bases[5] = "N"
            for attr in methods:
                for panel, seed in zip(
                    MAP_PANELS, [STANDARD[1], DISTILLED[2], None, DISTILLED[2]], strict=True
                ):
                    values = rng.normal(size=(LENGTH, 4))
                    values -= values.mean(axis=1, keepdims=True)  # gradient-corrected
                    for pos in range(LENGTH):
                        rows.append((dataset, task, attr, panel, seed, seq, pos, bases[pos], *values[pos]))
    ex = pd.DataFrame(
        rows,
        columns=[
            "dataset",
            "task",
            "attribution",
            "panel",
            "seed",
            "sequence",
            "position",
            "base",
            "A",
            "C",
            "G",
            "T",
        ],
    )
    ex["seed"] = ex["seed"].astype("Int64")
    return ex


def _motifs() -> pd.DataFrame:
    rows = []
    for task in DATASETS["sim"][0]:
        seq = _sequences("sim", task)[0]
        rows += [("sim", task, seq, "GATA", 2, 8, "+"), ("sim", task, seq, "AP-1", 12, 19, "-")]
    return pd.DataFrame(rows, columns=["dataset", "task", "sequence", "motif", "start", "end", "strand"])


def _write(d, att=None, example=None, motifs=None) -> dict:
    """{table name: its CSV file} (the synthetic tables, or the given replacements)."""
    paths = {}
    for name, table in (
        ("attribution", _attribution() if att is None else att),
        ("example", _example() if example is None else example),
        ("motifs", _motifs() if motifs is None else motifs),
    ):
        paths[name] = d / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    return _write(tmp_path_factory.mktemp("attribution_tables"))


def read_plotted(csv) -> pd.DataFrame:
    """A figure's CSV, its integer columns (missing where they do not apply) as Int64."""
    table = pd.read_csv(csv)
    for c in ("seed", "sequence", "position", "start", "end"):
        if c in table:
            table[c] = table[c].astype("Int64")
    return table


def outputs(d, figure):
    return [d / f"{figure}.{ext}" for ext in ("pdf", "png", "csv")]


def draw_attr(figure, files, d, **options):
    """Draw like the figure rule: the files in the order of the figure's ``tables``."""
    return draw(figure, [files[n] for n in FIGURES[figure].tables], outputs(d, figure), **options)


def capture_axes(monkeypatch) -> list:
    """Records, per drawn figure, each axes' title, texts, scatter points and lines (before
    save_figure closes the figure)."""
    drawn = []
    original = attribution_plots.save_figure

    def capture(fig, table, stem):
        drawn.append(
            [
                {
                    "title": ax.get_title() or ax.get_title(loc="left"),
                    "texts": [t.get_text() for t in ax.texts],
                    "points": [c.get_offsets() for c in ax.collections if len(c.get_offsets())],
                    "lines": [list(line.get_ydata()) for line in ax.get_lines()],
                    "visible": ax.get_visible(),
                }
                for ax in fig.axes
            ]
        )
        return original(fig, table, stem)

    monkeypatch.setattr(attribution_plots, "save_figure", capture)
    return drawn


def test_the_family_is_registered_with_the_tables_each_figure_reads():
    assert FIGS == ("fig4", "supp_fig6", "supp_fig7", "supp_fig_attr_truth")
    assert FIGURES["fig4"].tables == ("attribution", "example", "motifs")
    for fig in FIGS[1:]:
        assert FIGURES[fig].tables == ("attribution",)


@pytest.mark.parametrize("figure", FIGS)
def test_each_figure_writes_pdf_png_and_the_plotted_table(figure, files, tmp_path):
    table = draw_attr(figure, files, tmp_path, datasets=["sim", "real"], fig4_method="saliency")
    pdf, png, csv = outputs(tmp_path, figure)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not table.empty
    pd.testing.assert_frame_equal(
        read_plotted(csv),
        table.reset_index(drop=True),
        check_dtype=False,
        check_exact=False,
        rtol=1e-12,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in outputs(tmp_path, figure))


def _rows(att, dataset, task, attr, metric, method):
    return att[
        (att.dataset == dataset)
        & (att.task == task)
        & (att.attribution == attr)
        & (att.metric == metric)
        & (att.method == method)
    ]


def _check_comparison(csv, att, dataset, task, attr, rmse, variability, drawn_b, drawn_c):
    """Panel b (per-model boxes) and c (paired per-sequence scatter) of one combination: the
    CSV rows are the input rows, and the drawn points are the CSV's."""
    sel = csv[(csv.dataset == dataset) & (csv.task == task) & (csv.attribution == attr)]
    b, c = sel[sel.panel == "b"], sel[sel.panel == "c"]
    for group, seeds in (("standard", STANDARD), ("distilled", DISTILLED)):
        want = _rows(att, dataset, task, attr, rmse, group)
        got = b[b.method == group]
        assert (got.metric == rmse).all() and sorted(got.seed) == seeds
        assert dict(zip(got.seed, got.value, strict=True)) == pytest.approx(
            dict(zip(want.seed, want.value, strict=True))
        )
    p_rmse = _rows(att, dataset, task, attr, f"{rmse}_p", "distilled_vs_standard")["value"].item()
    assert b[b.method == "distilled_vs_standard"]["value"].tolist() == pytest.approx([p_rmse])
    assert b[b.method == "distilled_vs_standard"]["metric"].tolist() == [f"{rmse}_p"]
    assert len(b) == len(STANDARD) + len(DISTILLED) + 1
    # c: the same sequences in both groups, paired
    pairs = {}
    for group in ("standard", "distilled"):
        want = _rows(att, dataset, task, attr, variability, group)
        got = c[(c.method == group)]
        assert (got.metric == variability).all() and got.seed.isna().all()
        assert sorted(got.sequence) == sorted(_sequences(dataset, task))
        assert dict(zip(got.sequence, got.value, strict=True)) == pytest.approx(
            dict(zip(want.sequence, want.value, strict=True))
        )
        pairs[group] = dict(zip(got.sequence, got.value, strict=True))
    p_var = _rows(att, dataset, task, attr, f"{variability}_p", "distilled_vs_standard")["value"].item()
    assert c[c.method == "distilled_vs_standard"]["value"].tolist() == pytest.approx([p_var])
    # drawn: the box panel's points are the per-model values, the scatter the (standard, distilled) pairs
    box_points = np.concatenate(drawn_b["points"])[:, 1]
    assert sorted(box_points) == pytest.approx(sorted(b[b.method != "distilled_vs_standard"]["value"]))
    assert f"p = {p_rmse:.2g}" in drawn_b["texts"]
    xy = drawn_c["points"][0]
    want_xy = sorted((pairs["standard"][s], pairs["distilled"][s]) for s in pairs["standard"])
    assert sorted(map(tuple, xy)) == [pytest.approx(p) for p in want_xy]
    assert f"p = {p_var:.2g}" in drawn_c["texts"]
    lo, hi = min(min(p) for p in want_xy), max(max(p) for p in want_xy)
    assert drawn_c["lines"] == [pytest.approx([lo, hi])]  # the diagonal over the data's range


def test_fig4_plots_the_example_maps_at_the_observed_base_and_the_two_comparisons(
    files, tmp_path, monkeypatch
):
    drawn = capture_axes(monkeypatch)
    draw_attr("fig4", files, tmp_path, fig4_method="saliency", fig4_datasets=["sim", "real"])
    csv = read_plotted(tmp_path / "fig4.csv")
    att, ex = _attribution(), _example()
    # (a): the example of the first fig4 dataset and its first task, the fig4 method
    a = csv[csv.panel == "a"]
    logos = a[a.metric == "logo_height"]
    assert (
        set(logos.dataset) == {"sim"} and set(logos.task) == {"t1"} and set(logos.attribution) == {"saliency"}
    )
    assert list(dict.fromkeys(logos.method)) == MAP_PANELS
    for panel in MAP_PANELS:
        want = ex.query("dataset == 'sim' and task == 't1' and attribution == 'saliency' and panel == @panel")
        got = logos[logos.method == panel]
        assert got.position.tolist() == list(range(LENGTH)) and got.base.tolist() == want.base.tolist()
        assert got.sequence.unique().tolist() == [_sequences("sim", "t1")[0]]
        assert got.seed.tolist() == want.seed.tolist()
        onehot = np.array([[b == x for x in "ACGT"] for b in want.base])  # N: all zero
        heights = (want[["A", "C", "G", "T"]].to_numpy() * onehot).sum(axis=1)
        np.testing.assert_allclose(got.value, heights, rtol=1e-12)
        assert got.value.iloc[5] == 0  # the N
    boxes = a[a.metric == "motif_box"][["motif", "start", "end", "strand", "sequence"]]
    motifs = _motifs().query("task == 't1'")
    assert boxes.values.tolist() == motifs[["motif", "start", "end", "strand", "sequence"]].values.tolist()
    assert len(a) == 4 * LENGTH + 2
    axes = drawn[0]
    assert [ax["title"] for ax in axes[:4]] == [
        "Standard training (seed 1)",
        "DEGU distilled (seed 1002)",
        "Teacher ensemble (average map)",
        "DEGU distilled, epistemic head (seed 1002)",
    ]
    assert {"GATA (+)", "AP-1 (-)"} <= set(axes[0]["texts"])  # the shaded motifs are labelled
    # (b), (c): one pair of panels per fig4 dataset (its first task), in the given order
    assert list(dict.fromkeys(csv[csv.panel != "a"].dataset)) == ["sim", "real"]
    assert set(csv[csv.panel != "a"].attribution) == {"saliency"}
    for j, (dataset, task) in enumerate((("sim", "t1"), ("real", "Dev"))):
        _check_comparison(
            csv, att, dataset, task, "saliency", "rmse", "variability", axes[4 + 2 * j], axes[5 + 2 * j]
        )
    assert len(csv) == len(a) + 2 * (len(STANDARD) + len(DISTILLED) + 1 + 2 * 7 + 1)


def test_fig4_without_the_epistemic_head_draws_three_logo_rows(files, tmp_path, monkeypatch):
    """attribution.uncertainty_heads: false leaves no distilled_epistemic panel: three rows."""
    example = pd.read_csv(files["example"])
    paths = dict(files)
    paths["example"] = tmp_path / "example_no_epistemic.csv"
    example[example.panel != "distilled_epistemic"].to_csv(paths["example"], index=False)
    drawn = capture_axes(monkeypatch)
    draw_attr("fig4", paths, tmp_path, fig4_method="saliency", fig4_datasets=["sim"])
    logos = read_plotted(tmp_path / "fig4.csv").query("panel == 'a' and metric == 'logo_height'")
    assert list(dict.fromkeys(logos.method)) == ["standard", "distilled", "ensemble"]
    assert [ax["title"] for ax in drawn[0][:3]] == [
        "Standard training (seed 1)",
        "DEGU distilled (seed 1002)",
        "Teacher ensemble (average map)",
    ]
    assert drawn[0][3]["title"] != "DEGU distilled, epistemic head (seed 1002)"


def test_fig4_options_choose_the_example_and_the_datasets(files, tmp_path):
    table = draw_attr("fig4", files, tmp_path, fig4_method="deepshap", datasets=["real", "sim"])
    assert set(table.attribution) == {"deepshap"} and set(table.dataset) == {"sim"}  # real has no deepshap
    assert set(table[table.panel == "a"].task) == {"t1"}
    table = draw_attr("fig4", files, tmp_path, fig4_method="saliency", fig4_datasets=["real"])
    assert set(table.dataset) == {"real"}
    a = table[table.panel == "a"]
    assert set(a.metric) == {"logo_height"}  # no planted motifs on real data
    with pytest.raises(
        ValueError, match=r"^attribution table has no 'deepshap' rows for fig4 dataset\(s\) \['real'\]$"
    ):
        draw_attr("fig4", files, tmp_path, fig4_method="deepshap", fig4_datasets=["sim", "real"])


@pytest.mark.parametrize(
    ("figure", "rmse", "variability"),
    [("supp_fig6", "rmse", "variability"), ("supp_fig7", "rmse_normalized", "variability_normalized")],
)
def test_supp_figs_6_7_compare_every_dataset_task_and_method(
    figure, rmse, variability, files, tmp_path, monkeypatch
):
    drawn = capture_axes(monkeypatch)
    draw_attr(figure, files, tmp_path, datasets=["real", "sim"])
    csv = read_plotted(tmp_path / f"{figure}.csv")
    att = _attribution()
    keys = [("real", "Dev", "saliency"), ("sim", "t1", "saliency"), ("sim", "t1", "deepshap")]
    keys += [("sim", "t2", "saliency"), ("sim", "t2", "deepshap")]
    assert list(dict.fromkeys(zip(csv.dataset, csv.task, csv.attribution, strict=True))) == keys
    assert set(csv.metric) == {rmse, variability, f"{rmse}_p", f"{variability}_p"}
    axes = drawn[0]
    for i, key in enumerate(keys):
        _check_comparison(csv, att, *key, rmse, variability, axes[2 * i], axes[2 * i + 1])
    assert len(csv) == len(keys) * (len(STANDARD) + len(DISTILLED) + 1 + 2 * 7 + 1)
    assert [ax["visible"] for ax in axes] == [True] * 10 + [False] * 2  # 5 pairs on a 2 x 3 grid


def test_truth_figure_plots_auroc_and_auprc_with_the_ensemble_line(files, tmp_path, monkeypatch):
    drawn = capture_axes(monkeypatch)
    draw_attr("supp_fig_attr_truth", files, tmp_path)
    csv = read_plotted(tmp_path / "supp_fig_attr_truth.csv")
    att = _attribution()
    keys = [
        ("sim", "t1", "saliency"),
        ("sim", "t1", "deepshap"),
        ("sim", "t2", "saliency"),
        ("sim", "t2", "deepshap"),
    ]
    assert list(dict.fromkeys(zip(csv.dataset, csv.task, csv.attribution, strict=True))) == keys  # not real
    axes = drawn[0]  # two rows (auroc, auprc), one column per combination
    for j, key in enumerate(keys):
        for i, metric in enumerate(("auroc", "auprc")):
            sel = csv[
                (csv.dataset == key[0])
                & (csv.task == key[1])
                & (csv.attribution == key[2])
                & (csv.metric == metric)
            ]
            for method in ("standard", "distilled", "ensemble"):
                want = _rows(att, *key, metric, method)
                got = sel[sel.method == method]
                assert got.value.tolist() == pytest.approx(want.value.tolist())
                pd.testing.assert_series_equal(
                    got.seed.reset_index(drop=True), want.seed.reset_index(drop=True), check_index=False
                )
            ax = axes[i * len(keys) + j]
            models = sel[sel.method != "ensemble"]["value"]
            assert sorted(np.concatenate(ax["points"])[:, 1]) == pytest.approx(sorted(models))
            ensemble = sel[sel.method == "ensemble"]["value"].item()
            assert [ensemble, ensemble] in ax["lines"]  # the dashed line
            assert ax["texts"] == []  # no test drawn here
    assert len(csv) == len(keys) * 2 * (len(STANDARD) + len(DISTILLED) + 1)


def _without(table, **where):
    mask = np.ones(len(table), bool)
    for column, value in where.items():
        mask &= table[column] == value
    return table[~mask]


@pytest.mark.parametrize(
    ("figure", "edit", "message"),
    [
        (
            "supp_fig7",
            {"att": dict(metric="rmse_normalized", method="distilled")},
            r"attribution table has no 'rmse_normalized' rows of distilled models for dataset 'sim', "
            r"task 't1', attribution 'saliency'",
        ),
        (
            "supp_fig6",
            {"att": dict(metric="variability_p")},
            r"attribution table has 0 'variability_p' rows of method 'distilled_vs_standard' for dataset "
            r"'sim', task 't1', attribution 'saliency'; expected 1",
        ),
        (
            "fig4",
            {"att": dict(metric="variability", method="standard")},
            r"attribution table has no 'variability' rows of standard models for dataset 'sim', task 't1', "
            r"attribution 'saliency'",
        ),
        (
            "fig4",
            {"example": dict(panel="ensemble")},
            r"attribution example table has no panel\(s\) \['ensemble'\] for dataset 'sim', "
            r"task 't1', attribution 'saliency'",
        ),
        (
            "supp_fig_attr_truth",
            {"att": dict(metric="auprc", method="ensemble")},
            r"attribution table has 0 'auprc' rows of the ensemble for dataset 'sim', task 't1', "
            r"attribution 'saliency'; expected 1",
        ),
        (
            "supp_fig_attr_truth",
            {"att": dict(metric="auroc")},
            r"no planted-motif recovery rows \(metric auroc\)",
        ),
    ],
)
def test_a_missing_metric_is_a_one_line_error_and_writes_nothing(figure, edit, message, tmp_path):
    tables = {"att": _attribution(), "example": _example()}
    for name, where in edit.items():
        tables[name] = _without(tables[name], **where)
    src = tmp_path / "in"
    src.mkdir()
    files = _write(src, att=tables["att"], example=tables["example"])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match=rf"^{message}") as err:
        draw_attr(figure, files, out, fig4_method="saliency")
    assert "\n" not in str(err.value)
    assert list(out.iterdir()) == []


def test_unpaired_variability_and_bad_example_maps_are_refused(tmp_path):
    att = _attribution()
    drop = att[(att.metric == "variability") & (att.method == "distilled") & att.sequence.notna()].index[:1]
    src = tmp_path / "in"
    src.mkdir()
    files = _write(src, att=att.drop(drop))
    with pytest.raises(
        ValueError, match=r"'variability' rows of standard and distilled models cover different sequences"
    ):
        draw_attr("supp_fig6", files, tmp_path)
    ex = _example()
    ex.loc[(ex.panel == "ensemble") & (ex.position == 3), "position"] = 30
    files = _write(src, example=ex)
    with pytest.raises(
        ValueError, match=r"positions of panel 'ensemble' of dataset 'sim', task 't1'.* are not 0..L-1"
    ):
        draw_attr("fig4", files, tmp_path, fig4_method="saliency")
    motifs = _motifs()
    motifs.loc[0, "end"] = LENGTH + 1
    files = _write(src, motifs=motifs)
    with pytest.raises(
        ValueError, match=r"motif 'GATA' at \[2, 21\) is not inside sequence \d+ \(length 20\)"
    ):
        draw_attr("fig4", files, tmp_path, fig4_method="saliency")
    assert [p.name for p in tmp_path.iterdir()] == ["in"]


def test_draw_passes_named_tables_in_the_order_of_the_figures_tables_attribute(files, tmp_path, monkeypatch):
    got = {}

    def fake(tables, stem, **options):
        got.update(tables=tables, options=options)
        return pd.DataFrame()

    fake.tables = ("attribution", "example", "motifs")
    monkeypatch.setattr(attribution_plots, "fig4", fake)
    draw("fig4", [files["attribution"], files["example"], files["motifs"]], outputs(tmp_path, "fig4"), x=1)
    assert list(got["tables"]) == ["attribution", "example", "motifs"]
    pd.testing.assert_frame_equal(got["tables"]["example"], pd.read_csv(files["example"]))
    pd.testing.assert_frame_equal(got["tables"]["motifs"], pd.read_csv(files["motifs"]))
    assert got["options"] == {"x": 1}
    with pytest.raises(
        ValueError,
        match=r"^figure 'fig4' plots 3 tables \(attribution, example, motifs\), in this order; got 2 files: ",
    ):
        draw("fig4", [files["attribution"], files["example"]], outputs(tmp_path, "fig4"))
    # a figure without `tables` still gets its files concatenated into one table
    seen = {}

    def plain(table, stem, **options):
        seen["table"] = table
        return table

    monkeypatch.setattr(robustness_plots, "fig3", plain)
    draw("fig3", [files["motifs"], files["motifs"]], outputs(tmp_path, "fig3"))
    assert len(seen["table"]) == 2 * len(_motifs())
    assert list(tmp_path.iterdir()) == []


def test_real_data_without_motifs_reads_an_empty_motifs_table(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    files = _write(src, motifs=_motifs().iloc[:0])
    assert files["motifs"].read_text().strip() == "dataset,task,sequence,motif,start,end,strand"
    table = draw_attr("fig4", files, tmp_path, fig4_method="saliency")
    assert "motif_box" not in set(table.metric) and (table.metric == "logo_height").sum() == 4 * LENGTH
