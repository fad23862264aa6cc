"""Figure drawn from the ATAC-seq profile table (``metrics/atac.csv``).

Supp. Fig. 1: (a) whole-test-chromosome Pearson r of the mean profile, standard models,
DEGU students and the ensemble; (b) attribution consistency: each model's RMSE to the standard
models' average saliency map, and the spread across seeds of each group
(``metrics/atac_attribution.csv``); (c) the same r as (a) for the aleatoric head against the
replicate-std track.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from degu.plots.style import METHOD_STYLE, save_figure

ATAC_COLUMNS = ["dataset", "method", "seed", "task", "head", "metric", "value"]
PANELS = {"a": ("mean", "mean profile"), "c": ("aleatoric", "aleatoric head (replicate std)")}
METHODS = ("standard", "distilled", "ensemble")


def supp_fig1(tables: dict[str, pd.DataFrame], stem, **_) -> pd.DataFrame:
    """Pearson r over the whole test chromosome(s): one point per model, a bar at the mean of
    the seeds (the ensemble: one value), per dataset and task; attribution RMSE per model (b),
    with each group's variability across seeds in the legend."""
    table, attribution = tables["performance"], tables["attribution"]
    missing = [c for c in ATAC_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"atac table lacks column(s) {missing}")
    sub = table[(table["metric"] == "pearson") & table["head"].isin([h for h, _ in PANELS.values()])]
    sub = sub[sub["method"].isin(METHODS)]
    if sub.empty:
        raise ValueError("no pearson rows of the mean or aleatoric head in the atac table")
    rows = []
    for panel, (head, _) in PANELS.items():
        for (dataset, task, method), g in sub[sub["head"] == head].groupby(
            ["dataset", "task", "method"], sort=False
        ):
            for seed, value in zip(g["seed"], g["value"], strict=True):
                rows.append(
                    {
                        "panel": panel,
                        "dataset": dataset,
                        "task": task,
                        "head": head,
                        "method": method,
                        "seed": seed,
                        "pearson": value,
                        "mean_over_seeds": g["value"].mean(),
                        "n_models": len(g),
                    }
                )
    for (dataset, task, method), g in attribution[attribution["metric"] == "rmse"].groupby(
        ["dataset", "task", "method"], sort=False
    ):
        var = attribution[
            (attribution["metric"] == "variability")
            & (attribution["dataset"] == dataset)
            & (attribution["task"] == task)
            & (attribution["method"] == method)
        ]["value"]
        for seed, value in zip(g["seed"], g["value"], strict=True):
            rows.append(
                {
                    "panel": "b",
                    "dataset": dataset,
                    "task": task,
                    "head": "mean",
                    "method": method,
                    "seed": seed,
                    "rmse_to_ensemble_map": value,
                    "mean_over_seeds": g["value"].mean(),
                    "n_models": len(g),
                    "variability": float(var.iloc[0]) if len(var) else float("nan"),
                }
            )
    plotted = pd.DataFrame(rows)
    keys = list(dict.fromkeys(zip(plotted["dataset"], plotted["task"], strict=True)))
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(len(keys), 3, figsize=(3.4 * 3, 2.8 * len(keys)), squeeze=False)
    for i, (dataset, task) in enumerate(keys):
        ax = axes[i][1]
        g = plotted[(plotted["dataset"] == dataset) & (plotted["task"] == task) & (plotted["panel"] == "b")]
        for x, method in enumerate(("standard", "distilled")):
            m = g[g["method"] == method]
            if m.empty:
                continue
            style = METHOD_STYLE[method]
            label = f"{style['label']}: variability {m['variability'].iloc[0]:.3g}"
            ax.bar(x, m["mean_over_seeds"].iloc[0], color=style["color"], alpha=0.5, width=0.6, label=label)
            ax.scatter([x] * len(m), m["rmse_to_ensemble_map"], color=style["color"], s=14, zorder=3)
        ax.set_xticks(range(2), [METHOD_STYLE[m]["label"] for m in ("standard", "distilled")], fontsize=7)
        ax.set_ylabel("RMSE to the ensemble-average map")
        ax.set_title(f"(b) {dataset} {task}: attribution consistency", fontsize=8)
        ax.legend(frameon=False, fontsize=6)
        sns.despine(ax=ax)
        for j, (panel, (_head, title)) in zip((0, 2), PANELS.items(), strict=True):
            ax = axes[i][j]
            g = plotted[
                (plotted["dataset"] == dataset) & (plotted["task"] == task) & (plotted["panel"] == panel)
            ]
            for x, method in enumerate(METHODS):
                m = g[g["method"] == method]
                if m.empty:
                    continue
                style = METHOD_STYLE[method]
                ax.bar(x, m["mean_over_seeds"].iloc[0], color=style["color"], alpha=0.5, width=0.6)
                ax.scatter([x] * len(m), m["pearson"], color=style["color"], s=14, zorder=3)
            ax.set_xticks(range(len(METHODS)), [METHOD_STYLE[m]["label"] for m in METHODS], fontsize=7)
            ax.set_ylabel("Pearson r (whole test chromosome)")
            ax.set_title(f"({panel}) {dataset} {task}: {title}", fontsize=8)
            sns.despine(ax=ax)
    fig.suptitle("Supp. Fig. 1: ATAC-seq profiles (CNN-task-base)")
    fig.tight_layout()
    save_figure(fig, plotted, stem)
    return plotted


supp_fig1.tables = ("performance", "attribution")
