"""Figures. Each figure function returns the tidy table of exactly what it plots.

``save_figure`` writes ``<stem>.pdf``, ``<stem>.png`` and ``<stem>.csv`` atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from degu.io.atomic import atomic_path  # noqa: E402
from degu.metrics import CORRELATION_CI, correlation_ci  # noqa: E402

# Colours of the paper: standard blue, distilled orange, ensemble green.
METHOD_STYLE = {
    "standard": {"color": sns.color_palette()[0], "label": "Standard training"},
    "distilled": {"color": sns.color_palette()[1], "label": "DEGU distilled"},
    "ensemble": {"color": sns.color_palette()[2], "label": "Teacher ensemble"},
    # non-neural reference, dashed grey as the paper draws its external reference (MPRAnn)
    "kmer_ridge": {"color": "0.45", "label": "k-mer ridge", "ls": "--"},
}


def summarise_by_fraction(perf: pd.DataFrame, metric: str, methods: list[str]) -> pd.DataFrame:
    """Mean and 95% interval over seeds per (dataset, task, method, fraction) of a correlation
    metric (:func:`degu.metrics.correlation_ci`: t-interval on Fisher's z, inside [-1, 1])."""
    sub = perf[(perf["metric"] == metric) & perf["method"].isin(methods)]
    if sub.empty:
        raise ValueError(f"no rows for metric {metric!r} and methods {methods}")
    rows = []
    for (dataset, task, method, fraction), g in sub.groupby(
        ["dataset", "task", "method", "fraction"], sort=True
    ):
        m, lo, hi = correlation_ci(g["value"].to_numpy())
        rows.append(
            {
                "dataset": dataset,
                "task": task,
                "method": method,
                "fraction": fraction,
                "metric": metric,
                "n_models": len(g),
                "mean": m,
                "ci95_low": lo,
                "ci95_high": hi,
                "ci_method": CORRELATION_CI,
            }
        )
    return pd.DataFrame(rows)


def fraction_panels(summary: pd.DataFrame, ylabel: str, title: str):
    panels = list(summary[["dataset", "task"]].drop_duplicates().itertuples(index=False))
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.0), squeeze=False)
    for ax, (dataset, task) in zip(axes[0], panels, strict=True):
        panel = summary[(summary["dataset"] == dataset) & (summary["task"] == task)]
        for method, g in panel.groupby("method", sort=False):
            g = g.sort_values("fraction")
            style = METHOD_STYLE[method]
            if style.get("ls") and len(g) == 1:  # a reference at one fraction: a horizontal line
                ax.axhline(
                    g["mean"].iloc[0], color=style["color"], ls=style["ls"], label=style["label"], lw=1.2
                )
                continue
            ax.plot(
                g["fraction"],
                g["mean"],
                marker="o" if method not in ("ensemble", "kmer_ridge") else None,
                color=style["color"],
                label=style["label"],
                lw=1.5,
                ls=style.get("ls", "-"),
            )
            if (g["n_models"] > 1).any():
                ax.fill_between(
                    g["fraction"], g["ci95_low"], g["ci95_high"], color=style["color"], alpha=0.25, lw=0
                )
        ax.set_title(f"{dataset}: {task}")
        ax.set_xlabel("Fraction of training data")
        ax.set_ylabel(ylabel)
        sns.despine(ax=ax)
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def save_figure(fig, table: pd.DataFrame, stem: str | os.PathLike) -> dict[str, Path]:
    stem = Path(stem)
    out = {}
    for ext in ("pdf", "png"):
        path = stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=200 if ext == "png" else None, bbox_inches="tight", format=ext)
        out[ext] = path
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        table.to_csv(tmp, index=False)
    out["csv"] = stem.with_suffix(".csv")
    plt.close(fig)
    return out


def fig2(perf: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """Pearson r of activity vs training fraction: standard, distilled (mean ± 95% CI), ensemble
    and the k-mer ridge reference (dashed; a horizontal line when fitted at one fraction only)."""
    table = summarise_by_fraction(perf, "pearson", ["standard", "distilled", "ensemble", "kmer_ridge"])
    fig = fraction_panels(table, "Pearson r (test)", "Fig. 2: performance vs downsampled training data")
    save_figure(fig, table, stem)
    return table


def fig5a(perf: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """Pearson r of the students' epistemic head vs the ensemble std on test, vs fraction."""
    table = summarise_by_fraction(perf, "epistemic_pearson", ["distilled"])
    fig = fraction_panels(
        table, "Pearson r (epistemic head vs ensemble std)", "Fig. 5a: epistemic uncertainty prediction"
    )
    save_figure(fig, table, stem)
    return table


def fig5b(perf: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """Pearson r of aleatoric predictions vs the test replicate std, vs fraction."""
    table = summarise_by_fraction(perf, "aleatoric_pearson", ["standard", "distilled", "ensemble"])
    fig = fraction_panels(
        table, "Pearson r (aleatoric head vs replicate std)", "Fig. 5b: aleatoric uncertainty prediction"
    )
    save_figure(fig, table, stem)
    return table


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


# ------------------------------------------------ robustness (Fig. 3, Supp. Figs. 2-5)

PROCEDURES = {
    "standard": "Standard training",
    "distilled": "DEGU",
    "oracle_distilled": "DEGU",
    "dynamic_evoaug": "DEGU + dynamic EvoAug",
    "dynamic_mutation": "DEGU + dynamic mutagenesis",
    "dynamic_shuffle": "DEGU + dynamic shuffle",
}


def _procedure_label(p: str) -> str:
    return PROCEDURES.get(p, f"DEGU + dynamic {p[len('dynamic_') :]}" if p.startswith("dynamic_") else p)


def _fig3_procedures(rob: pd.DataFrame) -> list[str]:
    """The compared procedures (those scored against the oracle), in table order."""
    procs = list(dict.fromkeys(rob.loc[rob["metric"] == "mse_oracle", "procedure"]))
    if not procs:
        raise ValueError("no mse_oracle rows in the robustness table")
    return procs


def _task_boxplots(table: pd.DataFrame, x: str, order, hue, hue_order, ylabel: str, title: str):
    tasks = list(dict.fromkeys(table["task"]))
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.6 * len(tasks), 3.4), squeeze=False)
    palette = dict(zip(hue_order, sns.color_palette("tab10", len(hue_order)), strict=True))
    for ax, task in zip(axes[0], tasks, strict=True):
        d = table[table["task"] == task]
        sns.boxplot(
            data=d,
            x=x,
            y="value",
            hue=hue,
            order=order,
            hue_order=hue_order,
            palette=palette,
            ax=ax,
            linewidth=0.8,
            fliersize=0,
            whis=(0, 100),  # whiskers = data range, as in the paper
        )
        ax.set_title(task)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("")
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        sns.despine(ax=ax)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles and hue != x:  # with hue == x the x tick labels name the boxes
        fig.legend(
            handles,
            [_procedure_label(lab) for lab in labels],
            loc="lower center",
            ncol=min(len(labels), 3),
            frameon=False,
            fontsize=7,
        )
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.12 if hue != x else 0, 1, 1))
    return fig


def fig3(rob: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """MSE of every individual model to the EvoAug oracle per shift level and procedure."""
    procs = _fig3_procedures(rob)
    table = rob[(rob["metric"] == "mse_oracle") & rob["procedure"].isin(procs)].copy()
    levels = list(dict.fromkeys(table["shift"]))
    fig = _task_boxplots(
        table,
        "shift",
        levels,
        "procedure",
        procs,
        "MSE to the oracle",
        "Fig. 3: approximation of the EvoAug oracle under covariate shift",
    )
    save_figure(fig, table, stem)
    return table


def supp_fig5(rob: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """Test Pearson r (observed activity) of the Fig. 3 procedures."""
    procs = _fig3_procedures(rob)
    table = rob[(rob["metric"] == "pearson") & rob["procedure"].isin(procs) & rob["seed"].notna()].copy()
    fig = _task_boxplots(
        table,
        "procedure",
        procs,
        "procedure",
        procs,
        "Pearson r (test)",
        "Supp. Fig. 5: test performance with dynamic augmentations",
    )
    for ax in fig.axes:
        ax.set_xticks(
            ax.get_xticks(), [_procedure_label(p) for p in procs], rotation=30, ha="right", fontsize=6
        )
    save_figure(fig, table, stem)
    return table


EVOAUG_GROUPS = {
    "standard": ("Individual", "Standard"),
    "ensemble": ("Ensemble", "Standard"),
    "distilled": ("Distilled", "Standard"),
    "evoaug_standard": ("Individual", "EvoAug"),
    "evoaug_ensemble": ("Ensemble", "EvoAug"),
    "evoaug_distilled": ("Distilled", "EvoAug"),
}


def supp_fig2(rob: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """Test Pearson r of individual, ensemble and distilled models, with and without EvoAug."""
    table = rob[(rob["metric"] == "pearson") & rob["procedure"].isin(EVOAUG_GROUPS)].copy()
    missing = set(EVOAUG_GROUPS) - set(table["procedure"])
    if missing:
        raise ValueError(f"robustness table lacks {sorted(missing)}")
    table["model"] = table["procedure"].map(lambda p: EVOAUG_GROUPS[p][0])
    table["training"] = table["procedure"].map(lambda p: EVOAUG_GROUPS[p][1])
    tasks = list(dict.fromkeys(table["task"]))
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.0 * len(tasks), 3.2), squeeze=False)
    order, hues = ["Individual", "Ensemble", "Distilled"], ["Standard", "EvoAug"]
    for ax, task in zip(axes[0], tasks, strict=True):
        d = table[table["task"] == task]
        sns.stripplot(
            data=d,
            x="model",
            y="value",
            hue="training",
            order=order,
            hue_order=hues,
            dodge=True,
            ax=ax,
            size=4,
            jitter=0.15,
        )
        ax.set_title(task)
        ax.set_ylabel("Pearson r (test)")
        ax.set_xlabel("")
        sns.despine(ax=ax)
    fig.suptitle("Supp. Fig. 2: models trained with EvoAug")
    fig.tight_layout()
    save_figure(fig, table, stem)
    return table


def supp_fig3(size: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """Test Pearson r vs teacher-ensemble size: individual teachers, ensemble, distilled."""
    sub = size[size["metric"] == "pearson"]
    if sub.empty:
        raise ValueError("no pearson rows in the ensemble-size table")
    rows = []
    for (dataset, task, method, k), g in sub.groupby(["dataset", "task", "method", "k"], sort=True):
        m, lo, hi = correlation_ci(g["value"].to_numpy())
        rows.append(
            {
                "dataset": dataset,
                "task": task,
                "method": method,
                "k": int(k),
                "n_models": len(g),
                "mean": m,
                "ci95_low": lo,
                "ci95_high": hi,
                "ci_method": CORRELATION_CI,
            }
        )
    table = pd.DataFrame(rows)
    tasks = list(dict.fromkeys(table["task"]))
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.6 * len(tasks), 3.0), squeeze=False)
    styles = {
        "individual": METHOD_STYLE["standard"],
        "distilled": METHOD_STYLE["distilled"],
        "ensemble": METHOD_STYLE["ensemble"],
    }
    for ax, task in zip(axes[0], tasks, strict=True):
        for method, style in styles.items():
            g = table[(table["task"] == task) & (table["method"] == method)].sort_values("k")
            label = "Individual teachers" if method == "individual" else style["label"]
            ax.plot(g["k"], g["mean"], marker="o", color=style["color"], label=label, lw=1.5)
            ax.fill_between(g["k"], g["ci95_low"], g["ci95_high"], color=style["color"], alpha=0.25, lw=0)
        ax.set_title(task)
        ax.set_xticks(sorted(table["k"].unique()))
        ax.set_xlabel("Teacher ensemble size")
        ax.set_ylabel("Pearson r (test)")
        sns.despine(ax=ax)
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle("Supp. Fig. 3: teacher-ensemble size")
    fig.tight_layout()
    save_figure(fig, table, stem)
    return table


def supp_fig4(act: pd.DataFrame, stem, **_) -> pd.DataFrame:
    """Distribution of the oracle's predicted activity on each shifted test set."""
    table = act.copy()
    levels = list(dict.fromkeys(table["shift"]))
    tasks = list(dict.fromkeys(table["task"]))
    sns.set_theme(style="ticks", context="paper")
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.6 * len(tasks), 3.0), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        sns.boxplot(
            data=table[table["task"] == task],
            x="shift",
            y="oracle_mean",
            order=levels,
            ax=ax,
            color="0.8",
            linewidth=0.8,
            fliersize=1,
        )
        ax.set_title(task)
        ax.set_xlabel("Distribution shift")
        ax.set_ylabel("Oracle activity")
        sns.despine(ax=ax)
    fig.suptitle("Supp. Fig. 4: oracle activity under covariate shift")
    fig.tight_layout()
    save_figure(fig, table, stem)
    return table


FIGURES = {
    "fig2": fig2,
    "fig5a": fig5a,
    "fig5b": fig5b,
    "fig5c": fig5c,
    "fig5d": fig5d,
    "supp_fig8": supp_fig8,
    "supp_fig11": supp_fig11,
    "supp_fig12": supp_fig12,
    "fig3": fig3,
    "supp_fig2": supp_fig2,
    "supp_fig3": supp_fig3,
    "supp_fig4": supp_fig4,
    "supp_fig5": supp_fig5,
}
