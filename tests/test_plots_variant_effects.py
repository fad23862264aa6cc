"""degu.plots.variant_effects: Fig. 6 and Supp. Figs. 13-15, drawn from synthetic tables in the
exact schemas of metrics/variant_effects.csv (summary) and metrics/variant_predictions.csv
(predictions); every plotted CSV is checked against the input rows, and against what is drawn."""

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import to_rgb

import degu.plots.variant_effects as ve
from degu.plots import FAMILIES, FIGURES, draw

FIGS = FAMILIES["variant_effects"]
LOCI = {"L1": "K562", "L2": "HepG2"}
SEEDS = {
    "standard": [0, 1, 2],
    "distilled": [10, 11, 12],
    "dynamic_mutation": [20, 21, 22],
    "dynamic_evoaug": [30],
}
# The quantiles of the stratified rows of each method on L1 (L2 has none: all-variant rows only).
STRATIFIED = {"standard": [0.25, 0.5], "dynamic_mutation": [0.25, 0.5], "ensemble": [0.5]}
# All-variant Pearson r of the dynamic_mutation models: on L1 the median is seed 22's; on L2 two
# models tie at the median (0.2) and the lowest seed, 20, represents them.
FIG6_PEARSON = {"L1": {20: 0.50, 21: 0.30, 22: 0.40}, "L2": {21: 0.2, 20: 0.2, 22: 0.6}}
REPRESENTATIVE = {"L1": 22, "L2": 20}
POSITIONS = 10
MISSING = ("L1", 7, 2)  # L1 has no variant at position 7 to the third non-reference base
GREEN = to_rgb(ve.METHOD_STYLE["ensemble"]["color"])
GREY = to_rgb("0.45")


def _summary() -> pd.DataFrame:
    """A table shaped like metrics/variant_effects.csv (values from a fixed RNG)."""
    rng = np.random.default_rng(0)
    rows = []
    for locus, cell in LOCI.items():
        for method, seeds in SEEDS.items():
            for seed in seeds:
                quantiles = [1.0] + (STRATIFIED.get(method, []) if locus == "L1" else [])
                for q in quantiles:
                    for metric in ("pearson", "spearman"):
                        value = rng.uniform(0, 0.8)
                        if method == "dynamic_mutation" and q == 1.0 and metric == "pearson":
                            value = FIG6_PEARSON[locus][seed]
                        rows.append((locus, cell, method, seed, q, metric, value))
                    rows.append((locus, cell, method, seed, q, "n", int(30 * q)))
                    if q < 1:
                        rows.append((locus, cell, method, seed, q, "threshold", rng.uniform(0.1, 1)))
        for q in [1.0] + (STRATIFIED["ensemble"] if locus == "L1" else []):
            for metric in ("pearson", "spearman"):
                rows.append((locus, cell, "ensemble", None, q, metric, rng.uniform(0.5, 0.9)))
        if locus == "L1":  # simulated: the ceiling and the correlations with the true effect
            for metric in ("pearson", "spearman"):
                rows.append((locus, cell, "ceiling", None, 1.0, metric, rng.uniform(0.8, 1)))
            rows.append((locus, cell, "standard", 0, 1.0, "pearson_true", 0.5))
    table = pd.DataFrame(
        rows, columns=["locus", "cell_type", "method", "seed", "quantile", "metric", "value"]
    )
    table["seed"] = table["seed"].astype("Int64")
    return table


def _references() -> dict:
    rng = np.random.default_rng(1)
    return {locus: list(rng.choice(list("ACGT"), POSITIONS)) for locus in LOCI}


def _predictions() -> pd.DataFrame:
    """A table shaped like metrics/variant_predictions.csv: 30 variants on L2, 29 on L1 (one
    missing); standard models lack the epistemic head, the ensemble has all."""
    rng = np.random.default_rng(2)
    refs = _references()
    models = [(m, s) for m, seeds in SEEDS.items() for s in seeds] + [("ensemble", None)]
    rows = []
    for locus, cell in LOCI.items():
        measured = {}
        for method, seed in models:
            for position in range(POSITIONS):
                ref = refs[locus][position]
                for k, alt in enumerate(b for b in "ACGT" if b != ref):
                    if (locus, position, k) == MISSING:
                        continue
                    pos = 1000 + position
                    variant = f"chr1:{pos}/{ref}>{alt}"
                    value = measured.setdefault(variant, rng.normal())
                    stds = rng.uniform(0.05, 1, size=6)
                    if method == "standard":
                        stds[[0, 1]] = np.nan  # no epistemic head
                    ref_activity, alt_activity = rng.normal(size=2)
                    total = np.sqrt(np.nan_to_num(stds[:2]) ** 2 + stds[2:4] ** 2)
                    rows.append(
                        (
                            locus,
                            cell,
                            method,
                            seed,
                            variant,
                            "1",
                            pos,
                            ref,
                            alt,
                            position,
                            value,
                            alt_activity - ref_activity,
                            ref_activity,
                            alt_activity,
                            stds[0],
                            stds[1],
                            stds[2],
                            stds[3],
                            total[0],
                            total[1],
                            stds[4],
                            stds[5],
                            np.hypot(stds[4], stds[5]),
                        )
                    )
    table = pd.DataFrame(rows, columns=ve.PREDICTION_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    return table


def _write(d, summary=None, predictions=None) -> dict:
    paths = {}
    for name, table in (
        ("summary", _summary() if summary is None else summary),
        ("predictions", _predictions() if predictions is None else predictions),
    ):
        paths[name] = d / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    return _write(tmp_path_factory.mktemp("variant_tables"))


def outputs(d, figure):
    return [d / f"{figure}.{ext}" for ext in ("pdf", "png", "csv")]


def draw_ve(figure, files, d, **options):
    """Draw like the figure rule: the files in the order of the figure's ``tables``."""
    return draw(figure, [files[n] for n in FIGURES[figure].tables], outputs(d, figure), **options)


def read_plotted(csv) -> pd.DataFrame:
    table = pd.read_csv(csv)
    for c in ("seed", "position"):
        if c in table:
            table[c] = table[c].astype("Int64")
    return table


def capture_axes(monkeypatch) -> list:
    """Records, per drawn figure, {axes label: its title, scatter points, lines, heat-map arrays}
    (before save_figure closes the figure)."""
    drawn = []
    original = ve.save_figure

    def capture(fig, table, stem):
        axes = {}
        for ax in fig.axes:
            axes[ax.get_label()] = {
                "title": ax.get_title() or ax.get_title(loc="left"),
                "points": [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)],
                "lines": [
                    (
                        to_rgb(line.get_color()),
                        line.get_linestyle(),
                        list(line.get_xdata()),
                        list(line.get_ydata()),
                    )
                    for line in ax.get_lines()
                ],
                "meshes": [
                    np.ma.filled(c.get_array().astype(float), np.nan)
                    for c in ax.collections
                    if isinstance(c, QuadMesh)
                ],
                "xticks": [t.get_text() for t in ax.get_xticklabels()],
                "legend": [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else [],
            }
        drawn.append(axes)
        return original(fig, table, stem)

    monkeypatch.setattr(ve, "save_figure", capture)
    return drawn


def _points(ax) -> list[float]:
    return sorted(np.concatenate(ax["points"])[:, 1]) if ax["points"] else []


def _coloured(ax, colour) -> list:
    return [line for line in ax["lines"] if line[0] == colour]


def _want(summary, **where) -> pd.DataFrame:
    mask = np.ones(len(summary), bool)
    for column, value in where.items():
        mask &= summary[column].isin(value if isinstance(value, list) else [value]).to_numpy()
    return summary[mask]


def _triples(table) -> list:
    """(method, seed, metric, value) of rows, sorted; seed -1 for none."""
    return sorted(
        (r.method, -1 if pd.isna(r.seed) else int(r.seed), r.metric, round(float(r.value), 12))
        for r in table.itertuples()
    )


def test_the_family_is_registered_with_the_tables_each_figure_reads():
    assert FIGS == ("fig6", "supp_fig13", "supp_fig14", "supp_fig15")
    for fig in FIGS:
        assert FIGURES[fig].tables == ("summary", "predictions")


@pytest.mark.parametrize("figure", FIGS)
def test_each_figure_writes_pdf_png_and_the_plotted_table(figure, files, tmp_path):
    table = draw_ve(figure, files, tmp_path, unknown_option=1)
    pdf, png, csv = outputs(tmp_path, figure)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not table.empty
    pd.testing.assert_frame_equal(
        read_plotted(csv), table.reset_index(drop=True), check_dtype=False, check_exact=False, rtol=1e-12
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in outputs(tmp_path, figure))


@pytest.mark.parametrize(
    ("values", "seeds", "want"),
    [
        ([0.3, 0.1, 0.2], [5, 6, 7], (7, 0.2)),  # odd: the middle value
        ([0.1, 0.4, 0.2, 0.3], [1, 2, 3, 4], (3, 0.2)),  # even: the lower of the two middle values
        ([0.2, 0.2, 0.9], [5, 3, 1], (3, 0.2)),  # tied at the median: the lowest seed
        ([0.7, np.nan], [1, 2], (1, 0.7)),  # a NaN correlation is no model's value
        ([0.4], [9], (9, 0.4)),  # one model
    ],
)
def test_the_representative_model_has_the_median_all_variant_pearson(values, seeds, want):
    rows = [("L", "c", "m", s, 1.0, "pearson", v) for s, v in zip(seeds, values, strict=True)]
    # other quantiles, metrics, methods and loci are not considered
    rows += [("L", "c", "m", 99, 0.5, "pearson", 0.2), ("L", "c", "m", 98, 1.0, "spearman", 0.2)]
    rows += [("L", "c", "other", 97, 1.0, "pearson", 0.2), ("K", "c", "m", 96, 1.0, "pearson", 0.2)]
    summary = pd.DataFrame(rows, columns=ve.SUMMARY_COLUMNS)
    seed, r = ve.representative_seed(summary, "L", "m")
    assert (seed, r) == (want[0], pytest.approx(want[1]))


def test_fig6_panel_a_boxes_every_method_with_the_ensemble_line(files, tmp_path, monkeypatch):
    drawn = capture_axes(monkeypatch)
    draw_ve("fig6", files, tmp_path)
    csv = read_plotted(tmp_path / "fig6.csv")
    a = csv[csv.panel == "a"]
    summary = _summary()
    assert list(dict.fromkeys(a.locus)) == ["L1", "L2"]  # default: every locus, in table order
    methods = ["standard", "distilled", "dynamic_mutation", "dynamic_evoaug"]
    for locus in LOCI:
        for metric in ("pearson", "spearman"):
            want = _want(summary, locus=locus, quantile=1.0, metric=metric, method=[*methods, "ensemble"])
            got = a[(a.locus == locus) & (a.metric == metric)]
            assert _triples(got) == _triples(want)  # no ceiling in Fig. 6
            assert (got["quantile"] == 1.0).all() and (got.source_quantile == 1.0).all()
            assert set(got.cell_type) == {LOCI[locus]}
            ax = drawn[0][f"a:{locus}:{metric}"]
            models = want[want.method != "ensemble"]
            assert _points(ax) == pytest.approx(sorted(models.value))
            ensemble = want[want.method == "ensemble"]["value"].item()
            assert [line[3] for line in _coloured(ax, GREEN)] == [pytest.approx([ensemble, ensemble])]
            assert ax["xticks"] == ["Standard", "DEGU", "DEGU+mut", "DEGU+EvoAug"]


def test_fig6_panel_b_compares_standard_and_the_fig6_method_per_quantile(files, tmp_path, monkeypatch):
    drawn = capture_axes(monkeypatch)
    draw_ve("fig6", files, tmp_path, fig6_method="dynamic_mutation")
    csv = read_plotted(tmp_path / "fig6.csv")
    b = csv[csv.panel == "b"]
    summary = _summary()
    for metric in ("pearson", "spearman"):
        # L1: quantiles 0.25, 0.5 and all; both methods at each
        got = b[(b.locus == "L1") & (b.metric == metric)]
        models = got[got.method != "ensemble"]
        want = _want(summary, locus="L1", metric=metric, method=["standard", "dynamic_mutation"])
        assert _triples(models) == _triples(want)
        assert (models["quantile"] == models.source_quantile).all()
        ax = drawn[0][f"b:L1:{metric}"]
        assert ax["xticks"] == ["0.25", "0.5", "all"]
        assert _points(ax) == pytest.approx(sorted(want.value))
        # the ensemble: its own value at 0.5 and over all variants, its all-variant value at 0.25
        ens = got[got.method == "ensemble"].sort_values("quantile")
        own = _want(summary, locus="L1", metric=metric, method="ensemble").set_index("quantile")["value"]
        assert ens["quantile"].tolist() == [0.25, 0.5, 1.0]
        assert ens.source_quantile.tolist() == [1.0, 0.5, 1.0]
        assert ens.value.tolist() == pytest.approx([own[1.0], own[0.5], own[1.0]])
        segments = sorted((np.mean(line[2]), line[3][0], line[1]) for line in _coloured(ax, GREEN))
        assert [s[:2] for s in segments] == [pytest.approx((i, v)) for i, v in enumerate(ens.value)]
        assert [s[2] for s in segments] == [":", "-", "-"]  # dotted: not the ensemble's value there
        # L2 has no stratified rows: all variants only, said in the title
        got = b[(b.locus == "L2") & (b.metric == metric)]
        want = _want(summary, locus="L2", metric=metric, method=["standard", "dynamic_mutation", "ensemble"])
        assert _triples(got) == _triples(want) and set(got["quantile"]) == {1.0}
        ax = drawn[0][f"b:L2:{metric}"]
        assert ax["xticks"] == ["all"] and "(no stratified rows)" in ax["title"]
        assert "(no stratified rows)" not in drawn[0][f"b:L1:{metric}"]["title"]
    assert set(b.method) == {"standard", "dynamic_mutation", "ensemble"}
    assert drawn[0]["b:L1:spearman"]["legend"] == [
        "Standard training",
        "DEGU + dynamic mutagenesis",
        "Teacher ensemble",
        "Teacher ensemble, all variants (not stratified there)",
    ]


def test_fig6_panel_c_maps_the_representative_model_over_position_and_alt_base(files, tmp_path, monkeypatch):
    drawn = capture_axes(monkeypatch)
    draw_ve("fig6", files, tmp_path)
    csv = read_plotted(tmp_path / "fig6.csv")
    c = csv[csv.panel == "c"]
    preds = _predictions()
    model = preds[(preds.locus == "L1") & (preds.method == "dynamic_mutation") & (preds.seed == 22)]
    assert len(model) == 3 * POSITIONS - 1
    assert (
        set(c.locus) == {"L1"}
        and set(c.seed) == {REPRESENTATIVE["L1"]}
        and set(c.method) == {"dynamic_mutation"}
    )
    refs = _references()["L1"]
    for head in ("effect", "alt_aleatoric", "alt_epistemic"):
        got = c[c.metric == head].set_index("variant")
        assert sorted(got.index) == sorted(model.variant)
        want = model.set_index("variant")
        np.testing.assert_allclose(got.loc[want.index, "value"], want[head], rtol=1e-12)
        np.testing.assert_allclose(got.loc[want.index, "measured"], want["measured"], rtol=1e-12)
        assert (got.loc[want.index, "position"] == want["position"]).all()
        ax = drawn[0][f"c:L1:{head}"]
        assert "seed 22" in ax["title"] and "r = 0.400" in ax["title"]
        (grid,) = ax["meshes"]
        assert grid.shape == (4, POSITIONS)  # rows A, C, G, T; columns positions 0..9
        for position in range(POSITIONS):
            for i, base in enumerate("ACGT"):
                cell = want[(want.position == position) & (want.alt == base)][head]
                if base == refs[position]:
                    assert np.isnan(grid[i, position])  # the reference cell is blank
                elif cell.empty:  # the missing variant
                    assert (position, [b for b in "ACGT" if b != refs[position]].index(base)) == MISSING[1:]
                    assert np.isnan(grid[i, position])
                else:
                    assert grid[i, position] == pytest.approx(cell.item())
        assert np.isnan(grid).sum() == POSITIONS + 1


def test_fig6_options_choose_the_loci_the_method_and_the_heat_map(files, tmp_path, monkeypatch):
    drawn = capture_axes(monkeypatch)
    draw_ve("fig6", files, tmp_path, fig6_loci=["L2"], heatmap_locus="L2", methods=["dynamic_mutation"])
    csv = read_plotted(tmp_path / "fig6.csv")
    assert set(csv.locus) == {"L2"}
    assert set(csv[csv.panel == "c"].seed) == {REPRESENTATIVE["L2"]}  # the tie goes to the lowest seed
    assert drawn[0]["a:L2:pearson"]["xticks"] == ["DEGU+mut", "Standard", "DEGU", "DEGU+EvoAug"]
    assert "a:L1:pearson" not in drawn[0]
    # the heat map of another locus than panels a, b; distilled compared with standard
    draw_ve("fig6", files, tmp_path, fig6_loci=["L2"], heatmap_locus="L1", fig6_method="distilled")
    csv = read_plotted(tmp_path / "fig6.csv")
    c = csv[csv.panel == "c"]
    assert set(c.locus) == {"L1"} and set(c.method) == {"distilled"}
    pearson = _want(_summary(), locus="L1", method="distilled", metric="pearson", quantile=1.0)
    assert c.seed.iloc[0] == pearson.set_index("seed")["value"].sort_values().index[1]
    assert set(csv[csv.panel == "b"].method) == {"standard", "distilled", "ensemble"}


def test_fig6_draws_the_heads_the_method_has_and_says_which_it_lacks(tmp_path, monkeypatch):
    preds = _predictions()
    preds.loc[preds.method == "dynamic_mutation", ["alt_epistemic", "ref_epistemic"]] = np.nan
    src = tmp_path / "in"
    src.mkdir()
    files = _write(src, predictions=preds)
    drawn = capture_axes(monkeypatch)
    draw_ve("fig6", files, tmp_path)
    c = read_plotted(tmp_path / "fig6.csv").query("panel == 'c'")
    assert list(dict.fromkeys(c.metric)) == ["effect", "alt_aleatoric"]
    ax = drawn[0]["c:L1:alt_epistemic"]
    assert ax["meshes"] == [] and "no epistemic head" in ax["title"] and "seed 22" in ax["title"]
    assert len(drawn[0]["c:L1:alt_aleatoric"]["meshes"]) == 1


def test_supp_fig13_boxes_every_method_on_every_locus_with_ensemble_and_ceiling(files, tmp_path, monkeypatch):
    drawn = capture_axes(monkeypatch)
    draw_ve("supp_fig13", files, tmp_path, loci=["L2"])
    csv = read_plotted(tmp_path / "supp_fig13.csv")
    summary = _summary()
    assert list(dict.fromkeys(csv.locus)) == ["L2", "L1"]  # named loci first
    want = _want(summary, quantile=1.0, metric=["pearson", "spearman"])  # every method, ceiling too
    assert _triples(csv) == _triples(want)
    assert len(csv) == len(want)
    for locus in LOCI:
        for metric in ("pearson", "spearman"):
            ax = drawn[0][f"a:{locus}:{metric}"]
            rows = _want(want, locus=locus, metric=metric)
            models = rows[~rows.method.isin(["ensemble", "ceiling"])]
            assert _points(ax) == pytest.approx(sorted(models.value))
            # dynamic_evoaug has one model: one point, drawn at its box's place (the fourth)
            evoaug = np.concatenate(ax["points"])
            evoaug = evoaug[np.abs(evoaug[:, 0] - 3) < 0.5]
            assert evoaug[:, 1].tolist() == pytest.approx(
                models[models.method == "dynamic_evoaug"].value.tolist()
            )
            ens = rows[rows.method == "ensemble"].value.item()
            assert [line[3] for line in _coloured(ax, GREEN)] == [pytest.approx([ens, ens])]
            ceiling = _coloured(ax, GREY)
            if locus == "L1":
                value = rows[rows.method == "ceiling"].value.item()
                assert [(line[1], line[3]) for line in ceiling] == [("--", pytest.approx([value, value]))]
            else:
                assert ceiling == []


def test_supp_fig14_scatters_the_representative_models_uncertainty_against_the_measured_effect(
    files, tmp_path, monkeypatch
):
    drawn = capture_axes(monkeypatch)
    draw_ve("supp_fig14", files, tmp_path)
    csv = read_plotted(tmp_path / "supp_fig14.csv")
    preds = _predictions()
    assert list(dict.fromkeys(csv.locus)) == ["L1", "L2"]
    for locus, seed in REPRESENTATIVE.items():
        model = preds[(preds.locus == locus) & (preds.method == "dynamic_mutation") & (preds.seed == seed)]
        for head in ("alt_aleatoric", "alt_epistemic"):
            got = csv[(csv.locus == locus) & (csv.metric == head)]
            assert set(got.seed) == {seed} and len(got) == len(model)
            merged = got.merge(model, on="variant", suffixes=("", "_in"))
            np.testing.assert_allclose(merged.value, merged[head], rtol=1e-12)
            np.testing.assert_allclose(merged.measured, merged.measured_in, rtol=1e-12)
            ax = drawn[0][f"a:{locus}:{head}"]
            (xy,) = ax["points"]
            want = sorted(zip(model.measured, model[head], strict=True))
            assert sorted(map(tuple, xy)) == [pytest.approx(p) for p in want]
            assert f"seed {seed}" in ax["title"]


def test_supp_fig15_is_panel_b_for_every_locus(files, tmp_path, monkeypatch):
    drawn = capture_axes(monkeypatch)
    draw_ve("supp_fig15", files, tmp_path, loci=["L2", "L1"])
    csv = read_plotted(tmp_path / "supp_fig15.csv")
    draw_ve("fig6", files, tmp_path)
    b = read_plotted(tmp_path / "fig6.csv").query("panel == 'b'")
    assert list(dict.fromkeys(csv.locus)) == ["L2", "L1"]
    cols = ["locus", "method", "seed", "quantile", "source_quantile", "metric", "value"]
    key = ["locus", "method", "seed", "quantile", "metric"]
    pd.testing.assert_frame_equal(
        csv[cols].sort_values(key).reset_index(drop=True), b[cols].sort_values(key).reset_index(drop=True)
    )
    assert "(no stratified rows)" in drawn[0]["a:L2:pearson"]["title"]
    assert drawn[0]["a:L1:spearman"]["xticks"] == ["0.25", "0.5", "all"]


def test_a_missing_fig6_method_is_a_one_line_error_naming_the_methods_present(files, tmp_path):
    for figure in ("fig6", "supp_fig14", "supp_fig15"):
        with pytest.raises(ValueError) as err:
            draw_ve(figure, files, tmp_path, fig6_method="dynamic_shuffle")
        assert str(err.value) == (
            "variant_effects summary table has no rows of fig6_method 'dynamic_shuffle'; methods present: "
            "standard, distilled, dynamic_mutation, dynamic_evoaug, ensemble, ceiling"
        )
    assert list(tmp_path.iterdir()) == []


def _without(table, **where):
    mask = np.ones(len(table), bool)
    for column, value in where.items():
        mask &= (table[column] == value).fillna(False).to_numpy(dtype=bool)
    return table[~mask]


def _bad_tables():
    summary, preds = _summary(), _predictions()
    repeated = pd.concat([summary, summary.iloc[[5]]])
    seeded = summary.copy()
    seeded.loc[seeded.method == "ensemble", "seed"] = 3
    text = summary.astype({"value": object})
    text.loc[2, "value"] = "high"
    two_cells = summary.copy()
    two_cells.loc[0, "cell_type"] = "HepG2"
    return [
        (
            "fig6",
            {"summary": summary.drop(columns=["quantile"])},
            "variant_effects summary table lacks columns ['quantile']",
        ),
        (
            "supp_fig13",
            {"predictions": preds.drop(columns=["alt_epistemic", "measured"])},
            "variant_effects predictions table lacks columns ['measured', 'alt_epistemic']",
        ),
        (
            "supp_fig15",
            {"summary": text},
            "variant_effects summary table: column 'value' holds values that are not numbers",
        ),
        (
            "fig6",
            {"summary": repeated},
            f"variant_effects summary table repeats locus 'L1', method 'standard', seed 0, quantile "
            f"{summary['quantile'].iloc[5]}, metric {summary['metric'].iloc[5]!r}",
        ),
        (
            "supp_fig14",
            {"summary": seeded},
            "variant_effects summary table: rows of method 'ensemble' have a seed",
        ),
        (
            "fig6",
            {"summary": two_cells},
            "variant_effects summary table: locus 'L1' has several cell types ['HepG2', 'K562']",
        ),
        (
            "fig6",
            {"summary": _without(summary, locus="L2", method="dynamic_mutation")},
            "variant_effects summary table has no rows of method 'dynamic_mutation' for locus 'L2'; methods there: "
            "standard, distilled, dynamic_evoaug, ensemble",
        ),
        (
            "fig6",
            {"predictions": _without(preds, locus="L1", method="dynamic_mutation", seed=22)},
            "variant_effects predictions table has no rows of method 'dynamic_mutation', seed 22 for locus 'L1'",
        ),
        (
            "supp_fig14",
            {"summary": _without(summary, locus="L2", method="dynamic_mutation", metric="pearson")},
            "variant_effects summary table has no all-variant pearson of method 'dynamic_mutation' for locus 'L2'",
        ),
    ]


@pytest.mark.parametrize(("figure", "edit", "message"), _bad_tables())
def test_a_bad_table_is_a_one_line_error_and_writes_nothing(figure, edit, message, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    files = _write(src, **edit)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        draw_ve(figure, files, out)
    assert list(out.iterdir()) == []


def test_bad_options_are_one_line_errors(files, tmp_path):
    with pytest.raises(
        ValueError,
        match=r"^variant_effects summary table has no rows of fig6 loci \['PKLR'\]; loci present: L1, L2$",
    ):
        draw_ve("fig6", files, tmp_path, fig6_loci=["L1", "PKLR"])
    with pytest.raises(
        ValueError,
        match=r"^variant_effects summary table has no rows of heatmap_locus 'F9'; loci present: L1, L2$",
    ):
        draw_ve("fig6", files, tmp_path, heatmap_locus="F9")
    with pytest.raises(ValueError, match=r"^fig6_method must be a method of students, not 'standard'$"):
        draw_ve("supp_fig15", files, tmp_path, fig6_method="standard")
    assert list(tmp_path.iterdir()) == []
