"""Figures of the CAGI5 zero-shot variant-effect analysis, drawn from two tables:

* ``summary``: ``metrics/variant_effects.csv`` (tidy: ``locus, cell_type, method, seed,
  quantile, metric, value``): per locus and model the ``pearson``, ``spearman`` (and ``n``,
  ``threshold``) of the predicted against the measured effect, on all scored variants
  (``quantile`` 1.0) and on those whose predicted uncertainty is at or below a quantile of it
  (models with uncertainty heads only); methods ``standard``, ``distilled``, ``dynamic_<scheme>``,
  ``ensemble`` and, on simulated data, ``ceiling`` (r of the true against the measured effect), the
  last two without a seed;
* ``predictions``: ``metrics/variant_predictions.csv``, one row per model and scored variant:
  the predicted ``effect``, the measured one, and the epistemic, aleatoric and total std of the
  reference and alternative allele (NaN for a head the model lacks); ``position`` is the 0-based
  offset of the variant from the locus's first variant.

Fig. 6, Supp. Figs. 13, 14 and 15. Every figure function has the attribute ``tables`` (the names
above, in the order the figure rule passes the files) and takes ``{name: table}`` (see
:func:`degu.plots.draw`); correlations that are NaN (e.g. constant predictions) are not drawn
and not in the plotted table.

The options (all figures take all of them and ignore those they do not use):

* ``loci``: the order of the loci (those named first, the others after in table order);
* ``fig6_loci``: the loci of Fig. 6a, b (default: all);
* ``fig6_method``: the method compared with standard training in Fig. 6b and Supp. Fig. 15 and
  drawn in Fig. 6c and Supp. Fig. 14 (default ``dynamic_mutation``, the paper's best);
* ``heatmap_locus``: the locus of Fig. 6c (default: the first fig6 locus);
* ``methods``: the order of the boxes (those named first; default ``standard``, ``distilled``,
  then the others, ``dynamic_*`` included, in table order). The ensemble (and the ceiling) are
  lines, not boxes.

The representative model of Fig. 6c and Supp. Fig. 14 (:func:`representative_seed`) is the
fig6-method model with the median all-variant Pearson r on the locus (of an even number, the
lower of the two middle values; of tied models, the lowest seed).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from degu.analysis.variant_effects import PREDICTION_COLUMNS as _ANALYSIS_PREDICTION_COLUMNS
from degu.analysis.variant_effects import SUMMARY_COLUMNS as _ANALYSIS_SUMMARY_COLUMNS
from degu.plots.style import METHOD_STYLE, checked_table, save_figure

ALPHABET = ("A", "C", "G", "T")
CORRELATIONS = ("pearson", "spearman")
CORRELATION_LABEL = {"pearson": "Pearson's r", "spearman": "Spearman's rho"}
ALL = 1.0  # the quantile of the rows over all scored variants
ENSEMBLE, CEILING, STANDARD = "ensemble", "ceiling", "standard"
LINES = (ENSEMBLE, CEILING)  # methods without seeds, drawn as horizontal lines
FIG6_METHOD = "dynamic_mutation"
LABELS = {
    "standard": "Standard training",
    "distilled": "DEGU distilled",
    "dynamic_mutation": "DEGU + dynamic mutagenesis",
    "dynamic_evoaug": "DEGU + dynamic EvoAug",
    "ensemble": "Teacher ensemble",
    "ceiling": "Ceiling (true vs measured effect)",
}
SHORT = {
    "standard": "Standard",
    "distilled": "DEGU",
    "dynamic_mutation": "DEGU+mut",
    "dynamic_evoaug": "DEGU+EvoAug",
}
# The heat maps of Fig. 6c, top to bottom, and the scatter columns of Supp. Fig. 14.
HEADS = {
    "effect": ("Predicted effect", "head"),
    "alt_aleatoric": ("Aleatoric std of the alt allele", "aleatoric head"),
    "alt_epistemic": ("Epistemic std of the alt allele", "epistemic head"),
}
SCATTER_HEADS = ("alt_aleatoric", "alt_epistemic")

SUMMARY_COLUMNS = list(_ANALYSIS_SUMMARY_COLUMNS)
PREDICTION_COLUMNS = list(_ANALYSIS_PREDICTION_COLUMNS)
TEXT_COLUMNS = ("locus", "cell_type", "method", "metric", "variant", "chrom", "ref", "alt")
INT_COLUMNS = ("seed", "pos", "position")
# Columns of the plotted tables: boxes and lines (Supp. Figs. 13, 15), variants (Supp. Fig. 14),
# Fig. 6 (both). ``quantile``: where a value is drawn; ``source_quantile``: the quantile of the
# summary row it comes from (they differ for an ensemble line drawn at its all-variant value).
BOX_COLUMNS = [
    "panel",
    "locus",
    "cell_type",
    "method",
    "seed",
    "quantile",
    "source_quantile",
    "metric",
    "value",
]
VARIANT_COLUMNS = [
    "panel",
    "locus",
    "cell_type",
    "method",
    "seed",
    "variant",
    "position",
    "ref",
    "alt",
    "measured",
    "metric",
    "value",
]
FIG6_COLUMNS = [*BOX_COLUMNS[:-2], *VARIANT_COLUMNS[5:-2], "metric", "value"]


def _checked(table: pd.DataFrame, columns: list[str], name: str) -> pd.DataFrame:
    """``table`` with its columns checked: names as text, integers as Int64, the rest as floats."""
    return checked_table(
        table, columns, f"variant_effects {name}", text=TEXT_COLUMNS, ints=INT_COLUMNS, numbers=True
    )


def _repeated(table: pd.DataFrame, key: list[str], name: str) -> None:
    dup = table[table.duplicated(key, keep=False)]
    if not dup.empty:
        first = ", ".join(f"{k} {_show(dup[k].iloc[0])}" for k in key)
        raise ValueError(f"variant_effects {name} table repeats {first}")


def _show(value) -> str:
    return "<none>" if pd.isna(value) else repr(value) if isinstance(value, str) else f"{value}"


def _seeds_checked(table: pd.DataFrame, name: str) -> None:
    """Models have a seed, the ensemble and the ceiling none; a locus has one cell type."""
    for method, rows in table.groupby("method", sort=False):
        if method in LINES and rows["seed"].notna().any():
            raise ValueError(f"variant_effects {name} table: rows of method {method!r} have a seed")
        if method not in LINES and rows["seed"].isna().any():
            raise ValueError(f"variant_effects {name} table: rows of method {method!r} lack a seed")
    for locus, rows in table.groupby("locus", sort=False):
        cells = list(dict.fromkeys(rows["cell_type"]))
        if len(cells) != 1:
            raise ValueError(f"variant_effects {name} table: locus {locus!r} has several cell types {cells}")


def _summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    summary = _checked(tables["summary"], SUMMARY_COLUMNS, "summary")
    if summary.empty:
        raise ValueError("variant_effects summary table has no rows")
    if summary["locus"].isna().any() or summary["method"].isna().any() or summary["metric"].isna().any():
        raise ValueError("variant_effects summary table has rows without a locus, method or metric")
    bad = summary[~((summary["quantile"] > 0) & (summary["quantile"] <= 1))]
    if not bad.empty:
        raise ValueError(
            f"variant_effects summary table: quantile {bad['quantile'].iloc[0]} is not in (0, 1]"
        )
    _seeds_checked(summary, "summary")
    _repeated(summary, ["locus", "method", "seed", "quantile", "metric"], "summary")
    return summary


def _predictions(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    predictions = _checked(tables["predictions"], PREDICTION_COLUMNS, "predictions")
    _seeds_checked(predictions, "predictions")
    _repeated(predictions, ["locus", "method", "seed", "variant"], "predictions")
    return predictions


def _names(value) -> list | None:
    """An option naming one or several things, as a list (a single name is one name)."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _ordered(values, first=None) -> list:
    """The distinct ``values`` in order of appearance, those named in ``first`` first (in its order)."""
    seen = list(dict.fromkeys(values))
    head = [v for v in (first or []) if v in seen]
    return head + [v for v in seen if v not in head]


def _methods(summary: pd.DataFrame, methods=None) -> list[str]:
    """The methods drawn as boxes: those named in ``methods`` first, else standard, distilled,
    then the others in table order."""
    models = [m for m in dict.fromkeys(summary["method"]) if m not in LINES]
    default = [m for m in ("standard", "distilled") if m in models]
    return _ordered(_ordered(models, default), _names(methods))


def _colours(methods: list[str], fig6_method: str) -> dict:
    """Standard blue, distilled orange, ensemble green (the paper's), the fig6 method red (as in
    Fig. 6b), the other methods the next colours of tab10, the ceiling grey."""
    tab10 = sns.color_palette("tab10")
    colours = {m: METHOD_STYLE[m]["color"] for m in ("standard", "distilled", "ensemble")}
    colours[fig6_method] = tab10[3]
    colours[CEILING] = "0.45"
    pool = [tab10[i] for i in (4, 5, 6, 8, 9, 7)]
    others = [m for m in methods if m not in colours]
    colours.update({m: pool[k % len(pool)] for k, m in enumerate(others)})
    return colours


def _label(method: str) -> str:
    if method in LABELS:
        return LABELS[method]
    return f"DEGU + dynamic {method[len('dynamic_') :]}" if method.startswith("dynamic_") else method


def _short(method: str) -> str:
    return SHORT.get(method, method.replace("dynamic_", "DEGU+"))


def _loci(summary: pd.DataFrame, loci=None) -> list[str]:
    return _ordered(summary["locus"], _names(loci))


def _fig6_method(summary: pd.DataFrame, fig6_method: str | None) -> str:
    method = fig6_method or FIG6_METHOD
    if method in (STANDARD, *LINES):
        raise ValueError(f"fig6_method must be a method of students, not {method!r}")
    if not (summary["method"] == method).any():
        present = ", ".join(dict.fromkeys(summary["method"]))
        raise ValueError(
            f"variant_effects summary table has no rows of fig6_method {method!r}; methods present: {present}"
        )
    return method


def _require_locus_method(summary: pd.DataFrame, locus: str, method: str) -> None:
    rows = summary[summary["locus"] == locus]
    if not (rows["method"] == method).any():
        present = ", ".join(dict.fromkeys(rows["method"]))
        raise ValueError(
            f"variant_effects summary table has no rows of method {method!r} for locus {locus!r}; methods there: {present}"
        )


def _fig6_loci(loci: list[str], fig6_loci) -> list[str]:
    """The loci of Fig. 6a, b: those named (in that order), or all (none named)."""
    names = _names(fig6_loci)
    if not names:
        return loci
    missing = [name for name in names if name not in loci]
    if missing:
        raise ValueError(
            f"variant_effects summary table has no rows of fig6 loci {missing}; loci present: {', '.join(loci)}"
        )
    return names


def _all_variant(summary: pd.DataFrame, locus: str, metric: str) -> pd.DataFrame:
    """The finite all-variant rows of ``metric`` on ``locus``."""
    return summary[
        (summary["locus"] == locus)
        & np.isclose(summary["quantile"], ALL)
        & (summary["metric"] == metric)
        & summary["value"].notna()
    ]


def representative_seed(summary: pd.DataFrame, locus: str, method: str) -> tuple[int, float]:
    """The seed of the ``method`` model with the median all-variant Pearson r on ``locus`` and that
    r: of an even number of models the lower of the two middle values, of tied models the lowest
    seed."""
    rows = _all_variant(summary, locus, "pearson")
    rows = rows[rows["method"] == method]
    if rows.empty:
        raise ValueError(
            f"variant_effects summary table has no all-variant pearson of method {method!r} for locus {locus!r}"
        )
    values = np.sort(rows["value"].to_numpy(dtype=float))
    median = values[(len(values) - 1) // 2]
    return int(rows.loc[rows["value"] == median, "seed"].min()), float(median)


def _boxes(ax, groups, width: float) -> None:
    """Boxes (quartiles, median, whiskers = range) and points of each group (x, values, colour)."""
    rng = np.random.default_rng(0)  # the horizontal spread of the points only
    for x, values, colour in groups:
        ax.boxplot(
            values,
            positions=[x],
            widths=width,
            whis=(0, 100),
            showfliers=False,
            patch_artist=True,
            manage_ticks=False,
            boxprops={"facecolor": (*colour, 0.35), "edgecolor": colour},
            medianprops={"color": colour},
            whiskerprops={"color": colour},
            capprops={"color": colour},
        )
        spread = width / 4
        ax.scatter(x + rng.uniform(-spread, spread, len(values)), values, s=9, color=colour, zorder=3, lw=0)


def _plotted(rows: pd.DataFrame, panel: str, quantile=None) -> pd.DataFrame:
    """Summary rows as plotted: drawn at ``quantile`` (default: their own)."""
    out = rows.assign(panel=panel, source_quantile=rows["quantile"])
    if quantile is not None:
        out["quantile"] = quantile
    return out


def _method_panels(axes, summary, locus, methods, colours, lines, panel) -> pd.DataFrame:
    """Pearson (``axes[0]``) and Spearman (``axes[1]``) over all variants per method on ``locus``:
    a box per method (one point per seed), the ``lines`` (ensemble, ceiling) across the panel."""
    plotted = []
    for ax, metric in zip(axes, CORRELATIONS, strict=True):
        rows = _all_variant(summary, locus, metric)
        groups = []
        for k, method in enumerate(methods):
            models = rows[rows["method"] == method]
            if not models.empty:
                groups.append((k, models["value"].to_numpy(dtype=float), colours[method]))
                plotted.append(models)
        _boxes(ax, groups, 0.6)
        for line in lines:
            ref = rows[rows["method"] == line]
            if not ref.empty:
                ax.axhline(
                    float(ref["value"].iloc[0]),
                    color=colours[line],
                    ls="--" if line == CEILING else "-",
                    lw=1.2,
                )
                plotted.append(ref)
        ax.set_xticks(range(len(methods)), [_short(m) for m in methods], rotation=30, ha="right", fontsize=7)
        ax.set_xlim(-0.6, len(methods) - 0.4)
        ax.set_ylabel(CORRELATION_LABEL[metric])
        ax.set_label(f"{panel}:{locus}:{metric}")
        sns.despine(ax=ax)
    return pd.concat(plotted).pipe(_plotted, panel) if plotted else pd.DataFrame(columns=BOX_COLUMNS)


def _stratified_panels(axes, summary, locus, fig6_method, colours, panel) -> tuple[pd.DataFrame, bool]:
    """Pearson (``axes[0]``) and Spearman (``axes[1]``) per uncertainty quantile on ``locus``:
    boxes of standard models and of ``fig6_method`` models, the ensemble as a line over each
    quantile (at its value there, else at its all-variant value). Returns the plotted rows and
    whether the locus has stratified rows."""
    _require_locus_method(summary, locus, fig6_method)
    rows = summary[
        (summary["locus"] == locus) & summary["metric"].isin(CORRELATIONS) & summary["value"].notna()
    ]
    pair = (STANDARD, fig6_method)
    quantiles = sorted(set(rows.loc[rows["method"].isin(pair), "quantile"]))
    stratified = any(not np.isclose(q, ALL) for q in quantiles)
    plotted = []
    for ax, metric in zip(axes, CORRELATIONS, strict=True):
        sel = rows[rows["metric"] == metric]
        groups = []
        for i, q in enumerate(quantiles):
            at_q = sel[sel["quantile"] == q]
            for j, method in enumerate(pair):
                models = at_q[at_q["method"] == method]
                if not models.empty:
                    groups.append(
                        (i + (j - 0.5) * 0.38, models["value"].to_numpy(dtype=float), colours[method])
                    )
                    plotted.append(_plotted(models, panel))
            ensemble = at_q[at_q["method"] == ENSEMBLE]
            own = not ensemble.empty
            if not own:  # not stratified at q: its value over all variants, dotted
                ensemble = sel[(sel["method"] == ENSEMBLE) & np.isclose(sel["quantile"], ALL)]
            if not ensemble.empty:
                value = float(ensemble["value"].iloc[0])
                ax.plot(
                    [i - 0.45, i + 0.45],
                    [value, value],
                    color=colours[ENSEMBLE],
                    lw=1.4,
                    ls="-" if own else ":",
                )
                plotted.append(_plotted(ensemble, panel, quantile=q))
        _boxes(ax, groups, 0.32)
        ax.set_xticks(range(len(quantiles)), [_quantile_label(q) for q in quantiles])
        ax.set_xlim(-0.6, len(quantiles) - 0.4)
        ax.set_xlabel("uncertainty quantile (variants at or below)")
        ax.set_ylabel(CORRELATION_LABEL[metric])
        ax.set_label(f"{panel}:{locus}:{metric}")
        sns.despine(ax=ax)
    table = pd.concat(plotted) if plotted else pd.DataFrame(columns=BOX_COLUMNS)
    return table, stratified


def _stratified_grid(axes, summary, loci, method, colours, panel) -> list[pd.DataFrame]:
    """:func:`_stratified_panels` of each locus in a row of ``axes`` (Pearson, Spearman), titled,
    with the legend; returns the plotted rows."""
    plotted = []
    for i, locus in enumerate(loci):
        rows, stratified = _stratified_panels(axes[i], summary, locus, method, colours, panel)
        plotted.append(rows)
        note = "" if stratified else " (no stratified rows)"
        for ax, metric in zip(axes[i], CORRELATIONS, strict=True):
            ax.set_title(f"{_locus_title(summary, locus)}{note}: {CORRELATION_LABEL[metric]}", fontsize=8)
    axes[0][-1].legend(
        handles=_legend_handles((STANDARD, method), colours, (ENSEMBLE,), fallback=_fallback(plotted)),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=7,
    )
    return plotted


def _quantile_label(q: float) -> str:
    return "all" if np.isclose(q, ALL) else f"{q:g}"


def _representative_rows(predictions, summary, locus, method) -> tuple[pd.DataFrame, int, float]:
    """The predictions of the representative ``method`` model on ``locus``, its seed and its r."""
    seed, r = representative_seed(summary, locus, method)
    rows = predictions[
        (predictions["locus"] == locus) & (predictions["method"] == method) & (predictions["seed"] == seed)
    ]
    if rows.empty:
        raise ValueError(
            f"variant_effects predictions table has no rows of method {method!r}, seed {seed} for locus {locus!r}"
        )
    return rows, seed, r


def _variant_rows(rows: pd.DataFrame, head: str, panel: str) -> pd.DataFrame:
    """The variants of ``rows`` with a finite ``head``, as plotted (metric = head)."""
    ok = rows[rows[head].notna()]
    return ok.assign(panel=panel, metric=head, value=ok[head])


def _heatmaps(fig, axes, rows, locus, method, seed, r) -> pd.DataFrame:
    """Heat maps over position x alt base (rows A, C, G, T; reference and unscored cells blank)
    of the predicted effect, the alt allele's aleatoric and epistemic std of one model."""
    if rows["position"].isna().any():
        v = rows[rows["position"].isna()].iloc[0]
        raise ValueError(
            f"variant_effects predictions table: variant {v['variant']!r} of locus {locus!r} has no position"
        )
    bad = rows[~rows["alt"].isin(ALPHABET) | ~rows["ref"].isin(ALPHABET)]
    if not bad.empty:
        v = bad.iloc[0]
        raise ValueError(
            f"variant_effects predictions table: variant {v['variant']!r} of locus {locus!r} has ref "
            f"{v['ref']!r}, alt {v['alt']!r}; the heat map needs A, C, G or T"
        )
    dup = rows[rows.duplicated(["position", "alt"], keep=False)]
    if not dup.empty:
        raise ValueError(
            f"variant_effects predictions table: locus {locus!r} has several variants at position "
            f"{dup['position'].iloc[0]} with alt {dup['alt'].iloc[0]!r}"
        )
    start, stop = int(rows["position"].min()), int(rows["position"].max()) + 1
    x = np.arange(start, stop + 1) - 0.5
    plotted = []
    for ax, (head, (title, head_name)) in zip(axes, HEADS.items(), strict=True):
        ax.set_label(f"c:{locus}:{head}")
        who = f"{_label(method)}, seed {seed} (median all-variant r = {r:.3f})"
        shown = _variant_rows(rows, head, "c")
        if shown.empty:
            ax.set_title(f"{title}: not predicted by {who} (no {head_name})", fontsize=8, loc="left")
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        grid = np.full((len(ALPHABET), stop - start), np.nan)
        grid[shown["alt"].map(ALPHABET.index).to_numpy(), shown["position"].to_numpy(dtype=int) - start] = (
            shown["value"].to_numpy(dtype=float)
        )
        if head == "effect":
            limit = float(np.nanmax(np.abs(grid))) or 1.0
            mesh = ax.pcolormesh(x, np.arange(5) - 0.5, grid, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            mesh = ax.pcolormesh(x, np.arange(5) - 0.5, grid, cmap="viridis", vmin=0)
        fig.colorbar(mesh, ax=ax, pad=0.01, fraction=0.03)
        ax.set_yticks(range(len(ALPHABET)), ALPHABET)
        ax.set_ylim(len(ALPHABET) - 0.5, -0.5)  # A on top
        ax.set_ylabel("alt base")
        ax.set_title(f"{title}, {locus}: {who}", fontsize=8, loc="left")
        plotted.append(shown)
    axes[-1].set_xlabel(f"position (offset from the first variant of {locus})")
    return pd.concat(plotted) if plotted else pd.DataFrame(columns=VARIANT_COLUMNS)


def _legend_handles(methods, colours, lines, fallback: bool = False) -> list:
    """Legend entries of boxes (``methods``) and ``lines``; ``fallback``: one more entry for an
    ensemble line drawn at its all-variant value (dotted)."""
    handles = [Patch(facecolor=(*colours[m], 0.35), edgecolor=colours[m], label=_label(m)) for m in methods]
    for line in lines:
        handles.append(
            Line2D([], [], color=colours[line], ls="--" if line == CEILING else "-", label=_label(line))
        )
    if fallback:
        label = f"{_label(ENSEMBLE)}, all variants (not stratified there)"
        handles.append(Line2D([], [], color=colours[ENSEMBLE], ls=":", label=label))
    return handles


def _fallback(plotted: list[pd.DataFrame]) -> bool:
    """Whether an ensemble line of the plotted rows is drawn at a value of another quantile."""
    rows = pd.concat(plotted)
    rows = rows[rows["method"] == ENSEMBLE]
    return bool((rows["quantile"] != rows["source_quantile"]).any())


def _locus_title(summary: pd.DataFrame, locus: str) -> str:
    cell = summary.loc[summary["locus"] == locus, "cell_type"].iloc[0]
    return locus if cell is None else f"{locus} ({cell})"


def _final(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    table = pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)
    for c in ("seed", "position"):
        if c in table:
            table[c] = table[c].astype("Int64")
    for c in ("quantile", "source_quantile", "measured", "value"):
        if c in table:
            table[c] = table[c].astype(float)
    return table


def fig6(
    tables: dict[str, pd.DataFrame],
    stem,
    loci=None,
    fig6_loci=None,
    fig6_method=None,
    heatmap_locus=None,
    methods=None,
    **_,
) -> pd.DataFrame:
    """(a) Pearson (top) and Spearman (bottom) over all variants per method, one box per method
    (one point per seed), the ensemble as a green line, one column per fig6 locus; (b) the same
    per uncertainty quantile, standard models (blue) against ``fig6_method`` (red), one row per
    fig6 locus; (c) heat maps over position x alt base of the predicted effect, the alt
    allele's aleatoric and epistemic std of the representative ``fig6_method`` model on
    ``heatmap_locus``."""
    summary, predictions = _summary(tables), _predictions(tables)
    method = _fig6_method(summary, fig6_method)
    all_loci = _loci(summary, loci)
    shown = _fig6_loci(all_loci, fig6_loci)
    heat_locus = heatmap_locus or shown[0]
    if heat_locus not in all_loci:
        raise ValueError(
            f"variant_effects summary table has no rows of heatmap_locus {heat_locus!r}; loci present: {', '.join(all_loci)}"
        )
    for locus in shown:
        _require_locus_method(summary, locus, method)
    _require_locus_method(summary, heat_locus, method)
    boxes = _methods(summary, methods)
    colours = _colours(boxes, method)
    heat_rows, seed, r = _representative_rows(predictions, summary, heat_locus, method)

    sns.set_theme(style="ticks", context="paper")
    n = len(shown)
    fig = plt.figure(figsize=(max(10.0, 3.2 * n + 2.5), 2 * 2.5 + 2.4 * n + 3 * 1.5), layout="constrained")
    sub_a, sub_b, sub_c = fig.subfigures(3, 1, height_ratios=[2 * 2.5, 2.4 * n, 3 * 1.5])
    axes_a = sub_a.subplots(2, n, squeeze=False)
    axes_b = sub_b.subplots(n, 2, squeeze=False)
    axes_c = sub_c.subplots(3, 1, sharex=True)
    plotted = []
    for j, locus in enumerate(shown):
        plotted.append(_method_panels(axes_a[:, j], summary, locus, boxes, colours, (ENSEMBLE,), "a"))
        axes_a[0][j].set_title(_locus_title(summary, locus), fontsize=9)
        if j:
            axes_a[0][j].set_ylabel("")
            axes_a[1][j].set_ylabel("")
    axes_a[0][-1].legend(
        handles=_legend_handles(boxes, colours, (ENSEMBLE,)),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=7,
    )
    plotted += _stratified_grid(axes_b, summary, shown, method, colours, "b")
    plotted.append(_heatmaps(sub_c, axes_c, heat_rows, heat_locus, method, seed, r))
    for sub, letter in ((sub_a, "a"), (sub_b, "b"), (sub_c, "c")):
        sub.text(0.0, 1.0, letter, ha="left", va="top", fontsize=12, weight="bold")
    fig.suptitle("Fig. 6: zero-shot variant effects (CAGI5)")
    table = _final(plotted, FIG6_COLUMNS)
    save_figure(fig, table, stem)
    return table


fig6.tables = ("summary", "predictions")


def supp_fig13(
    tables: dict[str, pd.DataFrame], stem, loci=None, fig6_method=None, methods=None, **_
) -> pd.DataFrame:
    """Pearson (top) and Spearman (bottom) over all variants of every method on every locus: a
    box per method (one point per seed), the ensemble as a green line and, on simulated data,
    the ceiling (r of the true against the measured effect) as a dashed grey line."""
    summary = _summary(tables)
    _predictions(tables)  # checked like the other figures', not drawn
    all_loci = _loci(summary, loci)
    boxes = _methods(summary, methods)
    colours = _colours(boxes, fig6_method or FIG6_METHOD)
    lines = tuple(m for m in LINES if (summary["method"] == m).any())
    sns.set_theme(style="ticks", context="paper")
    n = len(all_loci)
    fig, axes = plt.subplots(2, n, figsize=(0.55 * len(boxes) * n + 2.0 * n + 2.5, 5.6), squeeze=False)
    plotted = []
    for j, locus in enumerate(all_loci):
        plotted.append(_method_panels(axes[:, j], summary, locus, boxes, colours, lines, "a"))
        axes[0][j].set_title(_locus_title(summary, locus), fontsize=9)
        if j:
            axes[0][j].set_ylabel("")
            axes[1][j].set_ylabel("")
    axes[0][-1].legend(
        handles=_legend_handles(boxes, colours, lines),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=7,
    )
    fig.suptitle("Supp. Fig. 13: zero-shot variant effects of every method on every locus (CAGI5)")
    fig.tight_layout()
    table = _final(plotted, BOX_COLUMNS)
    save_figure(fig, table, stem)
    return table


supp_fig13.tables = ("summary", "predictions")


def supp_fig14(tables: dict[str, pd.DataFrame], stem, loci=None, fig6_method=None, **_) -> pd.DataFrame:
    """Per locus (rows), the alt allele's aleatoric std (left) and epistemic std (right) of the
    representative ``fig6_method`` model against the measured effect of each variant."""
    summary, predictions = _summary(tables), _predictions(tables)
    method = _fig6_method(summary, fig6_method)
    all_loci = _loci(summary, loci)
    for locus in all_loci:
        _require_locus_method(summary, locus, method)
    colour = _colours([], method)[method]
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(len(all_loci), 2, figsize=(8.0, 2.8 * len(all_loci)), squeeze=False)
    plotted = []
    for i, locus in enumerate(all_loci):
        rows, seed, r = _representative_rows(predictions, summary, locus, method)
        who = f"{_locus_title(summary, locus)}: {_label(method)}, seed {seed} (r = {r:.3f})"
        for ax, head in zip(axes[i], SCATTER_HEADS, strict=True):
            ax.set_label(f"a:{locus}:{head}")
            shown = _variant_rows(rows[rows["measured"].notna()], head, "a")
            title, head_name = HEADS[head]
            if shown.empty:
                ax.set_title(f"{who}\nno {head_name}", fontsize=8)
                ax.set_xticks([])
                ax.set_yticks([])
                continue
            ax.scatter(shown["measured"], shown["value"], s=7, alpha=0.6, color=colour, lw=0)
            ax.set_title(who, fontsize=8)
            ax.set_xlabel("measured effect")
            ax.set_ylabel(title.replace(" of the alt allele", " (alt allele)"))
            sns.despine(ax=ax)
            plotted.append(shown)
    fig.suptitle("Supp. Fig. 14: predicted uncertainty against the measured variant effect (CAGI5)")
    fig.tight_layout()
    table = _final(plotted, VARIANT_COLUMNS) if plotted else pd.DataFrame(columns=VARIANT_COLUMNS)
    save_figure(fig, table, stem)
    return table


supp_fig14.tables = ("summary", "predictions")


def supp_fig15(tables: dict[str, pd.DataFrame], stem, loci=None, fig6_method=None, **_) -> pd.DataFrame:
    """Fig. 6b for every locus (rows): Pearson (left) and Spearman (right) per uncertainty
    quantile, standard models (blue) against ``fig6_method`` (red), the ensemble as a line."""
    summary = _summary(tables)
    _predictions(tables)  # checked like the other figures', not drawn
    method = _fig6_method(summary, fig6_method)
    all_loci = _loci(summary, loci)
    colours = _colours([], method)
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(len(all_loci), 2, figsize=(10.0, 2.8 * len(all_loci) + 0.6), squeeze=False)
    plotted = _stratified_grid(axes, summary, all_loci, method, colours, "a")
    fig.suptitle("Supp. Fig. 15: zero-shot variant effects by predicted-uncertainty quantile (CAGI5)")
    fig.tight_layout()
    table = _final(plotted, BOX_COLUMNS)
    save_figure(fig, table, stem)
    return table


supp_fig15.tables = ("summary", "predictions")
