"""Figure drawn from the teacher-ensemble-size table (``metrics/ensemble_size.csv``).

Supp. Fig. 3.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from degu.plots.style import METHOD_STYLE, save_figure
from degu.uq.metrics import CORRELATION_CI, correlation_ci


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
