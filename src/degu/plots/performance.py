"""Figures drawn from the performance table (``metrics/performance.csv``): a correlation
metric against the fraction of training data, mean and 95% interval over seeds per method.

Fig. 2 (activity), Fig. 5a (epistemic head) and Fig. 5b (aleatoric head).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from degu.plots.style import METHOD_STYLE, save_figure
from degu.uq.metrics import CORRELATION_CI, correlation_ci


def summarise_by_fraction(perf: pd.DataFrame, metric: str, methods: list[str]) -> pd.DataFrame:
    """Mean and 95% interval over seeds per (dataset, task, method, fraction) of a correlation
    metric (:func:`degu.uq.metrics.correlation_ci`: t-interval on Fisher's z, inside [-1, 1])."""
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
