"""Figures of the attribution analysis, drawn from three tables:

* ``attribution``: ``metrics/attribution.csv`` (tidy: ``dataset, task, method, attribution,
  seed, sequence, metric, value``): per model the RMSE of its maps to the ensemble-average map
  (``rmse``, ``rmse_normalized``) and the planted-motif recovery (``auroc``, ``auprc``), per
  sequence the variability across initialisations of each group (``variability``,
  ``variability_normalized``), and the tests of method ``distilled_vs_standard`` (``<metric>_p``);
* ``example``: ``metrics/attribution_example.csv``, the gradient-corrected maps (columns A, C, G,
  T per ``position``) of one example sequence per (dataset, task, attribution), ``panel``
  standard, distilled, ensemble and distilled_epistemic (the student's epistemic head), with the
  observed ``base``;
* ``motifs``: ``metrics/attribution_motifs.csv``, the planted motif instances of the example
  sequences (``start`` 0-based, ``end`` exclusive; no rows on real data).

Fig. 4, Supp. Figs. 6 and 7, and ``supp_fig_attr_truth`` (planted-motif recovery, beyond the
paper). Every figure function has the attribute ``tables`` (the names above, in the order the
figure rule passes the files) and takes ``{name: table}`` (see :func:`degu.plots.draw`).
"""

from __future__ import annotations

import logomaker
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from degu.plots.style import METHOD_STYLE, checked_table, save_figure

ALPHABET = ("A", "C", "G", "T")
GROUPS = ("standard", "distilled")  # the two groups of individual models compared
TEST = "distilled_vs_standard"  # the method of the rows holding the tests between them
# The maps of the example sequence (Fig. 4a), top to bottom.
MAP_PANELS = {
    "standard": "Standard training",
    "distilled": "DEGU distilled",
    "ensemble": "Teacher ensemble (average map)",
    "distilled_epistemic": "DEGU distilled, epistemic head",
}
# absent when the students' epistemic head is not explained (attribution.uncertainty_heads: false)
OPTIONAL_PANELS = ("distilled_epistemic",)
ATTRIBUTION_LABEL = {"saliency": "Saliency", "deepshap": "DeepSHAP"}
METRIC_LABEL = {
    "rmse": "RMSE to the ensemble map",
    "rmse_normalized": "RMSE to the ensemble map\n(max-normalised maps)",
    "variability": "Variability across seeds",
    "variability_normalized": "Variability across seeds\n(max-normalised maps)",
    "auroc": "AUROC (planted motifs)",
    "auprc": "AUPRC (planted motifs)",
}
ATTRIBUTION_COLUMNS = ["dataset", "task", "method", "attribution", "seed", "sequence", "metric", "value"]
EXAMPLE_COLUMNS = [
    "dataset",
    "task",
    "attribution",
    "panel",
    "seed",
    "sequence",
    "position",
    "base",
    *ALPHABET,
]
MOTIF_COLUMNS = ["dataset", "task", "sequence", "motif", "start", "end", "strand"]
# Columns of the plotted tables: Fig. 4 (panels a, b, c) and Supp. Figs. 6, 7 (panels b, c).
FIG4_COLUMNS = [
    "panel",
    "dataset",
    "task",
    "attribution",
    "method",
    "seed",
    "sequence",
    "position",
    "base",
    "motif",
    "start",
    "end",
    "strand",
    "metric",
    "value",
]
SUPP_COLUMNS = ["panel", "dataset", "task", "attribution", "method", "seed", "sequence", "metric", "value"]
TRUTH_COLUMNS = ["dataset", "task", "attribution", "method", "seed", "metric", "value"]
INT_COLUMNS = ("seed", "sequence", "position", "start", "end")
TEXT_COLUMNS = ("dataset", "task", "method", "attribution", "metric", "panel", "base", "motif", "strand")


def _checked(table: pd.DataFrame, columns: list[str], name: str) -> pd.DataFrame:
    """``table`` with its columns checked, integer columns as Int64 and names as text."""
    return checked_table(table, columns, f"attribution {name}", text=TEXT_COLUMNS, ints=INT_COLUMNS)


def _key_text(key) -> str:
    dataset, task, attribution = key
    return f"dataset {dataset!r}, task {task!r}, attribution {attribution!r}"


def _ordered(values, first=None) -> list:
    """The distinct ``values`` in order of appearance, those named in ``first`` first (in its order)."""
    seen = list(dict.fromkeys(values))
    head = [v for v in (first or []) if v in seen]
    return head + [v for v in seen if v not in head]


def _combinations(att: pd.DataFrame, datasets=None, metric: str | None = None) -> list[tuple]:
    """(dataset, task, attribution) present (with ``metric`` rows if given), datasets in the
    ``datasets`` order, then tasks and attribution methods in table order."""
    rows = att if metric is None else att[att["metric"] == metric]
    keys = list(dict.fromkeys(zip(rows["dataset"], rows["task"], rows["attribution"], strict=True)))
    order = _ordered(rows["dataset"], datasets)
    return sorted(keys, key=lambda k: order.index(k[0]))  # stable: table order within a dataset


def _select(att: pd.DataFrame, key, metric: str) -> pd.DataFrame:
    dataset, task, attribution = key
    return att[
        (att["dataset"] == dataset)
        & (att["task"] == task)
        & (att["attribution"] == attribution)
        & (att["metric"] == metric)
    ]


def _model_rows(att: pd.DataFrame, key, metric: str) -> pd.DataFrame:
    """The per-model rows of ``metric`` of both groups (one per seed), standard first."""
    rows = _select(att, key, metric)
    rows = rows[rows["method"].isin(GROUPS) & rows["seed"].notna()]
    for group in GROUPS:
        if not (rows["method"] == group).any():
            raise ValueError(
                f"attribution table has no {metric!r} rows of {group} models for {_key_text(key)}"
            )
    return pd.concat([rows[rows["method"] == g] for g in GROUPS])


def _test_row(att: pd.DataFrame, key, metric: str) -> pd.DataFrame:
    """The one row of the p-value of ``metric`` (method distilled_vs_standard)."""
    rows = _select(att, key, f"{metric}_p")
    rows = rows[rows["method"] == TEST]
    if len(rows) != 1:
        raise ValueError(
            f"attribution table has {len(rows)} {metric + '_p'!r} rows of method {TEST!r} for "
            f"{_key_text(key)}; expected 1"
        )
    return rows


def _sequence_rows(att: pd.DataFrame, key, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-sequence rows of ``metric`` of both groups (standard first, by sequence) and the
    pairs (index sequence, columns standard, distilled)."""
    rows = _select(att, key, metric)
    rows = rows[rows["method"].isin(GROUPS) & rows["seed"].isna() & rows["sequence"].notna()]
    by_group = {g: rows[rows["method"] == g].sort_values("sequence", kind="stable") for g in GROUPS}
    for group, g in by_group.items():
        if g.empty:
            raise ValueError(
                f"attribution table has no {metric!r} rows of {group} models for {_key_text(key)}"
            )
        if g["sequence"].duplicated().any():
            raise ValueError(
                f"attribution table repeats sequences in {metric!r} of {group} models for {_key_text(key)}"
            )
    seqs = {g: set(by_group[g]["sequence"]) for g in GROUPS}
    if seqs["standard"] != seqs["distilled"]:
        raise ValueError(
            f"attribution table: {metric!r} rows of standard and distilled models cover different "
            f"sequences for {_key_text(key)} (the comparison is paired)"
        )
    pairs = pd.DataFrame({g: by_group[g].set_index("sequence")["value"] for g in GROUPS})
    return pd.concat(by_group.values()), pairs


def _p_text(p: float) -> str:
    return "p = n/a" if not np.isfinite(p) else f"p = {p:.2g}"


def _box_panel(ax, rows: pd.DataFrame, p: float | None, metric: str, title: str) -> None:
    """Boxes (quartiles, median, whiskers = range) and points of the per-model values, with the
    p-value ``p`` of their test (``None``: no test)."""
    rng = np.random.default_rng(0)  # the horizontal spread of the points only
    for i, group in enumerate(GROUPS):
        values = rows.loc[rows["method"] == group, "value"].to_numpy(dtype=float)
        color = METHOD_STYLE[group]["color"]
        ax.boxplot(
            values,
            positions=[i],
            widths=0.55,
            whis=(0, 100),
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": (*color, 0.35), "edgecolor": color},
            medianprops={"color": color},
            whiskerprops={"color": color},
            capprops={"color": color},
        )
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=10, color=color, zorder=3, lw=0)
    ax.set_xticks(range(len(GROUPS)), ["Standard", "DEGU"])
    ax.set_xlim(-0.6, len(GROUPS) - 0.4)
    ax.set_ylabel(METRIC_LABEL.get(metric, metric))
    ax.set_title(title, fontsize=8)
    if p is not None:
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.15 * (hi - lo))  # room for the p-value above the boxes
        ax.text(0.5, 0.98, _p_text(p), transform=ax.transAxes, ha="center", va="top", fontsize=7)
    sns.despine(ax=ax)


def _scatter_panel(ax, pairs: pd.DataFrame, p: float, metric: str, title: str) -> None:
    """Per-sequence values, standard (x) against distilled (y), with the diagonal."""
    x, y = pairs["standard"].to_numpy(dtype=float), pairs["distilled"].to_numpy(dtype=float)
    ax.scatter(x, y, s=6, alpha=0.6, color=METHOD_STYLE["distilled"]["color"], lw=0)
    lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
    ax.plot([lo, hi], [lo, hi], color="0.3", ls="--", lw=0.8)
    pad = 0.06 * (hi - lo) or 0.5
    ax.set_xlim(lo - pad, hi + pad)  # the same range on both axes: the diagonal is the diagonal
    ax.set_ylim(lo - pad, hi + 2 * pad)
    label = METRIC_LABEL.get(metric, metric).replace("\n", " ")
    ax.set_xlabel(f"{label}: standard", fontsize=7)
    ax.set_ylabel(f"{label}: DEGU", fontsize=7)
    ax.set_title(title, fontsize=8)
    ax.text(0.03, 0.97, _p_text(p), transform=ax.transAxes, ha="left", va="top", fontsize=7)
    sns.despine(ax=ax)


def _comparison(att: pd.DataFrame, key, rmse: str, variability: str):
    """The plotted rows of panels b (``rmse``) and c (``variability``) of one combination, and
    what each panel draws."""
    models, p_rmse = _model_rows(att, key, rmse), _test_row(att, key, rmse)
    seqs, pairs = _sequence_rows(att, key, variability)
    p_var = _test_row(att, key, variability)
    rows = pd.concat(
        [
            pd.concat([models, p_rmse]).assign(panel="b"),
            pd.concat([seqs, p_var]).assign(panel="c"),
        ]
    )
    return rows, (models, float(p_rmse["value"].iloc[0])), (pairs, float(p_var["value"].iloc[0]))


def _title(key) -> str:
    dataset, task, attribution = key
    return f"{dataset}: {task}, {ATTRIBUTION_LABEL.get(attribution, attribution)}"


def _comparison_grid(
    att: pd.DataFrame, stem, rmse: str, variability: str, title: str, datasets
) -> pd.DataFrame:
    keys = _combinations(att, datasets)
    if not keys:
        raise ValueError("attribution table has no rows")
    per_row = min(3, len(keys))
    n_rows = -(-len(keys) // per_row)
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(n_rows, 2 * per_row, figsize=(5.6 * per_row, 2.9 * n_rows), squeeze=False)
    tables = []
    for i, key in enumerate(keys):
        rows, (models, p_rmse), (pairs, p_var) = _comparison(att, key, rmse, variability)
        ax_b, ax_c = axes[i // per_row][2 * (i % per_row)], axes[i // per_row][2 * (i % per_row) + 1]
        _box_panel(ax_b, models, p_rmse, rmse, _title(key))
        _scatter_panel(ax_c, pairs, p_var, variability, _title(key))
        tables.append(rows)
    for j in range(len(keys), n_rows * per_row):
        axes[j // per_row][2 * (j % per_row)].set_visible(False)
        axes[j // per_row][2 * (j % per_row) + 1].set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    table = pd.concat(tables, ignore_index=True)[SUPP_COLUMNS]
    save_figure(fig, table, stem)
    return table


def supp_fig6(tables: dict[str, pd.DataFrame], stem, datasets=None, **_) -> pd.DataFrame:
    """RMSE to the ensemble map (per model) and variability across seeds (per sequence),
    standard against distilled, for every dataset, task and attribution method."""
    att = _checked(tables["attribution"], ATTRIBUTION_COLUMNS, "metrics")
    return _comparison_grid(
        att,
        stem,
        "rmse",
        "variability",
        "Supp. Fig. 6: attribution maps across datasets and methods",
        datasets,
    )


supp_fig6.tables = ("attribution",)


def supp_fig7(tables: dict[str, pd.DataFrame], stem, datasets=None, **_) -> pd.DataFrame:
    """Supp. Fig. 6 with every map divided by its maximum |score| per sequence."""
    att = _checked(tables["attribution"], ATTRIBUTION_COLUMNS, "metrics")
    return _comparison_grid(
        att,
        stem,
        "rmse_normalized",
        "variability_normalized",
        "Supp. Fig. 7: attribution maps after per-sequence max-|score| normalisation",
        datasets,
    )


supp_fig7.tables = ("attribution",)


def _example_maps(example: pd.DataFrame, key) -> dict[str, pd.DataFrame]:
    """{map panel: its rows sorted by position} of the example sequence of ``key``, checked:
    every panel present, one sequence, positions 0..L-1 once each, the same bases in every panel."""
    dataset, task, attribution = key
    rows = example[
        (example["dataset"] == dataset) & (example["task"] == task) & (example["attribution"] == attribution)
    ]
    missing = [p for p in MAP_PANELS if p not in OPTIONAL_PANELS and not (rows["panel"] == p).any()]
    if missing:
        raise ValueError(f"attribution example table has no panel(s) {missing} for {_key_text(key)}")
    present = [p for p in MAP_PANELS if (rows["panel"] == p).any()]
    maps = {p: rows[rows["panel"] == p].sort_values("position", kind="stable") for p in present}
    ref = maps["standard"]
    for panel, m in maps.items():
        if m["sequence"].nunique() != 1 or m["sequence"].iloc[0] != ref["sequence"].iloc[0]:
            raise ValueError(
                f"attribution example table: panel {panel!r} of {_key_text(key)} is not one sequence"
            )
        if m["position"].tolist() != list(range(len(m))):
            raise ValueError(
                f"attribution example table: positions of panel {panel!r} of {_key_text(key)} are not 0..L-1"
            )
        if m["base"].tolist() != ref["base"].tolist():
            raise ValueError(
                f"attribution example table: panel {panel!r} of {_key_text(key)} has other bases"
            )
    bad = sorted(set(ref["base"]) - {*ALPHABET, "N"})
    if bad:
        raise ValueError(
            f"attribution example table: bases {bad} of {_key_text(key)} are not A, C, G, T or N"
        )
    return maps


def _logo_heights(rows: pd.DataFrame) -> pd.DataFrame:
    """The map at the observed base (map * one-hot; 0 at N), index position, columns A, C, G, T."""
    values = rows[list(ALPHABET)].to_numpy(dtype=float)
    onehot = rows["base"].to_numpy()[:, None] == np.array(ALPHABET)[None, :]
    return pd.DataFrame(
        np.where(onehot, values, 0.0), index=rows["position"].to_numpy(dtype=int), columns=ALPHABET
    )


def _fig4_options(att: pd.DataFrame, datasets, fig4_method, fig4_datasets):
    method = fig4_method or _ordered(att["attribution"])[0]
    with_method = att[att["attribution"] == method]
    if fig4_datasets:
        names = list(fig4_datasets)
        missing = [d for d in names if not (with_method["dataset"] == d).any()]
        if missing:
            raise ValueError(f"attribution table has no {method!r} rows for fig4 dataset(s) {missing}")
    else:
        names = _ordered(with_method["dataset"], datasets)
    if not names:
        raise ValueError(f"attribution table has no {method!r} rows")
    keys = [(d, _ordered(with_method.loc[with_method["dataset"] == d, "task"])[0], method) for d in names]
    return keys


def fig4(tables: dict[str, pd.DataFrame], stem, datasets=None, fig4_method=None, fig4_datasets=None, **_):
    """(a) logos of the example sequence of the first fig4 dataset (first task): standard model,
    student, ensemble and the student's epistemic head, planted motifs shaded; (b) RMSE to the
    ensemble map per model and (c) per-sequence variability, standard against distilled, per
    fig4 dataset (first task), with the p-values."""
    att = _checked(tables["attribution"], ATTRIBUTION_COLUMNS, "metrics")
    example = _checked(tables["example"], EXAMPLE_COLUMNS, "example")
    motifs = _checked(tables["motifs"], MOTIF_COLUMNS, "motifs")
    keys = _fig4_options(att, datasets, fig4_method, fig4_datasets)
    comparisons = [_comparison(att, key, "rmse", "variability") for key in keys]
    maps = _example_maps(example, keys[0])
    sequence = maps["standard"]["sequence"].iloc[0]
    length = len(maps["standard"])
    dataset, task, _ = keys[0]
    boxes = motifs[
        (motifs["dataset"] == dataset) & (motifs["task"] == task) & (motifs["sequence"] == sequence)
    ]
    outside = boxes[(boxes["start"] < 0) | (boxes["end"] > length) | (boxes["start"] >= boxes["end"])]
    if not outside.empty:
        raise ValueError(
            f"attribution motifs table: motif {outside['motif'].iloc[0]!r} at "
            f"[{outside['start'].iloc[0]}, {outside['end'].iloc[0]}) is not inside sequence {sequence} "
            f"(length {length}) of {_key_text(keys[0])}"
        )

    sns.set_theme(style="ticks", context="paper")
    n = len(keys)
    fig = plt.figure(figsize=(max(10.0, 5.6 * n), 1.3 * len(maps) + 3.2), layout="constrained")
    logos, comparisons_fig = fig.subfigures(2, 1, height_ratios=[1.3 * len(maps), 3.2])
    logo_axes = logos.subplots(len(maps), 1, sharex=True)
    comparison_axes = comparisons_fig.subplots(1, 2 * n)
    heights = {p: _logo_heights(m) for p, m in maps.items()}
    shared = max(float(heights[p].abs().to_numpy().max()) for p in ("standard", "distilled", "ensemble"))
    # motif colours after the three method colours of tab10
    colours = sns.color_palette("tab10")[3:]
    palette = {m: colours[k % len(colours)] for k, m in enumerate(_ordered(boxes["motif"]))}
    logo_rows = []
    for i, panel in enumerate(maps):
        label = MAP_PANELS[panel]
        ax = logo_axes[i]
        logomaker.Logo(heights[panel], ax=ax, color_scheme="classic", baseline_width=0.3)
        seed = maps[panel]["seed"].iloc[0]
        ax.set_ylabel("score", fontsize=7)
        ax.set_title(f"{label}" + ("" if pd.isna(seed) else f" (seed {seed})"), fontsize=8, loc="left")
        limit = shared if panel != "distilled_epistemic" else float(heights[panel].abs().to_numpy().max())
        if limit > 0:
            ax.set_ylim(-1.1 * limit, 1.1 * limit)
        ax.set_xlim(-0.5, length - 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for m in boxes.itertuples():
            ax.axvspan(m.start - 0.5, m.end - 0.5, color=palette[m.motif], alpha=0.15, lw=0)
            if i == 0:
                ax.text(
                    (m.start + m.end - 1) / 2,
                    1.0,
                    f"{m.motif} ({m.strand})",
                    transform=blended_transform_factory(ax.transData, ax.transAxes),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color=palette[m.motif],
                )
        if i == len(maps) - 1:  # shared x: the other rows show no tick labels
            ax.set_xlabel(f"position in test sequence {sequence}")
        sns.despine(ax=ax)
        h = heights[panel]
        logo_rows.append(
            pd.DataFrame(
                {
                    "panel": "a",
                    "dataset": dataset,
                    "task": task,
                    "attribution": keys[0][2],
                    "method": panel,
                    "seed": seed,
                    "sequence": sequence,
                    "position": h.index,
                    "base": maps[panel]["base"].to_numpy(),
                    "metric": "logo_height",
                    "value": h.to_numpy().sum(axis=1),  # the one nonzero entry of each row
                }
            )
        )
    logos.text(0.0, 1.0, "a", ha="left", va="top", fontsize=12, weight="bold")
    motif_rows = boxes.assign(panel="a", attribution=keys[0][2], metric="motif_box")
    plotted = [*logo_rows, motif_rows]
    for j, (key, (rows, (models, p_rmse), (pairs, p_var))) in enumerate(zip(keys, comparisons, strict=True)):
        ax_b, ax_c = comparison_axes[2 * j], comparison_axes[2 * j + 1]
        _box_panel(ax_b, models, p_rmse, "rmse", _title(key))
        _scatter_panel(ax_c, pairs, p_var, "variability", _title(key))
        if j == 0:
            ax_b.text(-0.35, 1.08, "b", transform=ax_b.transAxes, fontsize=12, weight="bold")
            ax_c.text(-0.3, 1.08, "c", transform=ax_c.transAxes, fontsize=12, weight="bold")
        plotted.append(rows)
    fig.suptitle(f"Fig. 4: attribution maps ({ATTRIBUTION_LABEL.get(keys[0][2], keys[0][2])})")
    table = pd.concat([t.reindex(columns=FIG4_COLUMNS) for t in plotted], ignore_index=True)
    for c in INT_COLUMNS:
        table[c] = table[c].astype("Int64")
    save_figure(fig, table, stem)
    return table


fig4.tables = ("attribution", "example", "motifs")


def supp_fig_attr_truth(tables: dict[str, pd.DataFrame], stem, datasets=None, **_) -> pd.DataFrame:
    """Planted-motif recovery (simulated data): AUROC (top) and AUPRC (bottom) of each standard
    model and student (boxes and points), the ensemble's as a dashed line, per dataset, task and
    attribution method that has them."""
    att = _checked(tables["attribution"], ATTRIBUTION_COLUMNS, "metrics")
    keys = _combinations(att, datasets, metric="auroc")
    if not keys:
        raise ValueError("no planted-motif recovery rows (metric auroc) in the attribution table")
    metrics = ("auroc", "auprc")
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(2, len(keys), figsize=(2.8 * len(keys) + 0.6, 5.4), squeeze=False)
    plotted = []
    for j, key in enumerate(keys):
        for i, metric in enumerate(metrics):
            models = _model_rows(att, key, metric)
            ensemble = _select(att, key, metric)
            ensemble = ensemble[ensemble["method"] == "ensemble"]
            if len(ensemble) != 1:
                raise ValueError(
                    f"attribution table has {len(ensemble)} {metric!r} rows of the ensemble for {_key_text(key)}; expected 1"
                )
            ax = axes[i][j]
            _box_panel(ax, models, None, metric, _title(key) if i == 0 else "")
            ax.axhline(
                float(ensemble["value"].iloc[0]),
                color=METHOD_STYLE["ensemble"]["color"],
                ls="--",
                lw=1.0,
                label=METHOD_STYLE["ensemble"]["label"],
            )
            if j:
                ax.set_ylabel("")
            plotted += [models, ensemble]
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", frameon=False, fontsize=7)
    fig.suptitle("Planted-motif recovery of attribution maps (simulated data)")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    table = pd.concat(plotted, ignore_index=True)[TRUTH_COLUMNS]
    save_figure(fig, table, stem)
    return table


supp_fig_attr_truth.tables = ("attribution",)
