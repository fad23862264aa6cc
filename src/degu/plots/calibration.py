"""Figures drawn from the calibration tables (``metrics/calibration/<dataset>.csv``): 95%
interval coverage, interval size and accuracy of every uncertainty method and kind, before and
after conformal calibration.

Fig. 5c, Fig. 5d, Supp. Figs. 8, 11 and 12.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from degu.plots.style import save_figure

# Methods of the calibration analysis, in legend order, with their display names.
UQ_METHODS = {
    "distilled": "DEGU distilled",
    "ensemble": "Deep ensemble",
    "standard": "Standard (aleatoric head)",
    "mc_dropout": "MC dropout",
    "heteroscedastic": "Heteroscedastic",
    "evidential": "Deep evidential",
    "heteroscedastic_distill": "Heteroscedastic + DEGU",
    "heteroscedastic_ensemble": "Heteroscedastic ensemble",
    "truth": "True noise (simulator)",
}
KINDS = ["epistemic", "aleatoric", "total"]


def _uq_palette() -> dict:
    """One fixed colour per calibration method, the same in every figure."""
    return dict(zip(UQ_METHODS, sns.color_palette("tab10", len(UQ_METHODS)), strict=True))


STAGES = {
    "before": ("coverage", "interval_width"),
    "conformal": ("coverage_conformal", "interval_width_conformal"),
}


def calibration_long(cal: pd.DataFrame, datasets=None, methods=None) -> pd.DataFrame:
    """One row per (dataset, method, seed, kind, stage) with coverage, interval width and r."""
    sub = cal if datasets is None else cal[cal["dataset"].isin(datasets)]
    if methods is not None:
        sub = sub[sub["method"].isin(methods)]
    if sub.empty:
        raise ValueError(f"no calibration rows for datasets {datasets} and methods {methods}")
    parts = []
    for stage, (cov, width) in STAGES.items():
        part = sub[["dataset", "method", "seed", "kind", "pearson", "conformal_scale"]].copy()
        part.insert(4, "stage", stage)
        part["coverage"] = sub[cov].to_numpy()
        part["interval_width"] = sub[width].to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _uq_scatter(long: pd.DataFrame, y: str, ylabel: str, title: str, nominal: float | None):
    rows = list(long[["dataset", "stage"]].drop_duplicates().itertuples(index=False))
    kinds = [k for k in KINDS if k in set(long["kind"])]
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(
        len(rows), len(kinds), figsize=(3.3 * len(kinds), 2.9 * len(rows)), squeeze=False
    )
    palette = _uq_palette()
    for i, (dataset, stage) in enumerate(rows):
        for j, kind in enumerate(kinds):
            ax = axes[i][j]
            panel = long[(long["dataset"] == dataset) & (long["stage"] == stage) & (long["kind"] == kind)]
            for method, g in panel.groupby("method", sort=False):
                ax.scatter(
                    g["interval_width"],
                    g[y],
                    s=22,
                    color=palette.get(method),
                    label=UQ_METHODS.get(method, method),
                )
            if nominal is not None:
                ax.axhline(nominal, color="red", linestyle="--", linewidth=1)
            stage_name = "after conformal" if stage == "conformal" else "before calibration"
            ax.set_title(f"{dataset}: {kind}, {stage_name}", fontsize=8)
            # log scale: a std head that is ~0 on some sequences gives a huge conformal interval
            ax.set_xscale("log")
            ax.set_xlabel("Mean interval size (log scale)")
            ax.set_ylabel(ylabel)
    handles = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(handles.values(), handles.keys(), loc="upper center", ncol=4, frameon=False, fontsize=7)
    fig.suptitle(title, y=1.0 + 0.02 * len(rows))
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def fig5c(cal: pd.DataFrame, stem, main_dataset=None, alpha: float = 0.05, **_) -> pd.DataFrame:
    """Coverage vs interval size per method and uncertainty kind, before/after conformal."""
    datasets = [main_dataset] if main_dataset else None
    table = calibration_long(cal, datasets)
    fig = _uq_scatter(table, "coverage", "Coverage (PICP)", "Fig. 5c: interval coverage vs size", 1 - alpha)
    save_figure(fig, table, stem)
    return table


def fig5d(cal: pd.DataFrame, stem, main_dataset=None, **_) -> pd.DataFrame:
    """Pearson r of activity vs interval size per method and uncertainty kind."""
    datasets = [main_dataset] if main_dataset else None
    table = calibration_long(cal, datasets)
    fig = _uq_scatter(table, "pearson", "Pearson r (test)", "Fig. 5d: accuracy vs interval size", None)
    save_figure(fig, table, stem)
    return table


def supp_fig8(cal: pd.DataFrame, stem, main_dataset=None, alpha: float = 0.05, **_) -> pd.DataFrame:
    """Fig. 5c for the other calibrated datasets (the paper's HepG2 supplement)."""
    others = [d for d in cal["dataset"].unique() if d != main_dataset]
    table = calibration_long(cal, others)
    fig = _uq_scatter(
        table, "coverage", "Coverage (PICP)", "Supp. Fig. 8: coverage vs size, other datasets", 1 - alpha
    )
    save_figure(fig, table, stem)
    return table


def supp_fig11(cal: pd.DataFrame, stem, alpha: float = 0.05, **_) -> pd.DataFrame:
    """Heteroscedastic + DEGU distillation vs heteroscedastic vs DEGU (before calibration)."""
    methods = ["heteroscedastic", "heteroscedastic_distill", "distilled"]
    have = cal[cal["method"] == "heteroscedastic_distill"]["dataset"].unique()
    table = calibration_long(cal, list(have), methods)
    table = table[(table["stage"] == "before") & table["kind"].isin(["aleatoric", "total"])]
    sns.set_theme(style="ticks", context="paper")
    datasets = list(table["dataset"].unique())
    fig, axes = plt.subplots(len(datasets), 3, figsize=(10, 3.0 * len(datasets)), squeeze=False)
    palette = _uq_palette()
    for i, dataset in enumerate(datasets):
        d = table[table["dataset"] == dataset]
        r = d.drop_duplicates(["method", "seed"])
        ax = axes[i][0]
        for k, method in enumerate(methods):
            vals = r[r["method"] == method]["pearson"]
            ax.scatter([k] * len(vals), vals, color=palette[method], s=22)
        ax.set_xticks(range(len(methods)), [UQ_METHODS[m] for m in methods], rotation=20, fontsize=7)
        ax.set_ylabel("Pearson r (test)")
        ax.set_title(f"{dataset}: activity", fontsize=8)
        for j, kind in enumerate(["aleatoric", "total"], start=1):
            ax = axes[i][j]
            for method in methods:
                g = d[(d["method"] == method) & (d["kind"] == kind)]
                ax.scatter(
                    g["interval_width"], g["coverage"], color=palette[method], s=22, label=UQ_METHODS[method]
                )
            ax.axhline(1 - alpha, color="red", linestyle="--", linewidth=1)
            ax.set_xlabel("Mean interval size")
            ax.set_ylabel("Coverage (PICP)")
            ax.set_title(f"{dataset}: {kind} uncertainty", fontsize=8)
    axes[0][-1].legend(fontsize=7, frameon=False)
    fig.suptitle("Supp. Fig. 11: heteroscedastic regression with DEGU distillation")
    fig.tight_layout()
    save_figure(fig, table, stem)
    return table


def supp_fig12(cal: pd.DataFrame, stem, alpha: float = 0.05, **_) -> pd.DataFrame:
    """Coverage of every method and kind before and after conformal calibration."""
    table = calibration_long(cal)
    datasets = list(table["dataset"].unique())
    kinds = [k for k in KINDS if k in set(table["kind"])]
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(
        len(datasets), len(kinds), figsize=(3.8 * len(kinds), 3.2 * len(datasets)), squeeze=False
    )
    for i, dataset in enumerate(datasets):
        for j, kind in enumerate(kinds):
            ax = axes[i][j]
            d = table[(table["dataset"] == dataset) & (table["kind"] == kind)]
            methods = [m for m in UQ_METHODS if m in set(d["method"])]
            for k, method in enumerate(methods):
                for stage, offset, color in (("before", -0.15, "grey"), ("conformal", 0.15, "black")):
                    v = d[(d["method"] == method) & (d["stage"] == stage)]["coverage"]
                    ax.scatter([k + offset] * len(v), v, s=14, color=color, label=stage if k == 0 else None)
            ax.axhline(1 - alpha, color="red", linestyle="--", linewidth=1)
            ax.set_xticks(
                range(len(methods)), [UQ_METHODS[m] for m in methods], rotation=35, ha="right", fontsize=7
            )
            ax.set_ylabel("Coverage (PICP)")
            ax.set_title(f"{dataset}: {kind}", fontsize=8)
    axes[0][0].legend(fontsize=7, frameon=False)
    fig.suptitle("Supp. Fig. 12: coverage before and after conformal calibration")
    fig.tight_layout()
    save_figure(fig, table, stem)
    return table
