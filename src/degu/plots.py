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
from degu.metrics import mean_ci  # noqa: E402

# Colours of the paper: standard blue, distilled orange, ensemble green.
METHOD_STYLE = {
    "standard": {"color": sns.color_palette()[0], "label": "Standard training"},
    "distilled": {"color": sns.color_palette()[1], "label": "DEGU distilled"},
    "ensemble": {"color": sns.color_palette()[2], "label": "Teacher ensemble"},
}


def summarise_by_fraction(perf: pd.DataFrame, metric: str, methods: list[str]) -> pd.DataFrame:
    """Mean and 95% t-interval over seeds per (dataset, task, method, fraction)."""
    sub = perf[(perf["metric"] == metric) & perf["method"].isin(methods)]
    if sub.empty:
        raise ValueError(f"no rows for metric {metric!r} and methods {methods}")
    rows = []
    for (dataset, task, method, fraction), g in sub.groupby(
        ["dataset", "task", "method", "fraction"], sort=True
    ):
        m, lo, hi = mean_ci(g["value"].to_numpy())
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
            ax.plot(
                g["fraction"],
                g["mean"],
                marker="o" if method != "ensemble" else None,
                color=style["color"],
                label=style["label"],
                lw=1.5,
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


def fig2(perf: pd.DataFrame, stem) -> pd.DataFrame:
    """Pearson r of activity vs training fraction: standard, distilled (mean ± 95% CI) and ensemble."""
    table = summarise_by_fraction(perf, "pearson", ["standard", "distilled", "ensemble"])
    fig = fraction_panels(table, "Pearson r (test)", "Fig. 2: performance vs downsampled training data")
    save_figure(fig, table, stem)
    return table


def fig5a(perf: pd.DataFrame, stem) -> pd.DataFrame:
    """Pearson r of the students' epistemic head vs the ensemble std on test, vs fraction."""
    table = summarise_by_fraction(perf, "epistemic_pearson", ["distilled"])
    fig = fraction_panels(
        table, "Pearson r (epistemic head vs ensemble std)", "Fig. 5a: epistemic uncertainty prediction"
    )
    save_figure(fig, table, stem)
    return table


FIGURES = {"fig2": fig2, "fig5a": fig5a}
