"""Figures of the EvoAug / covariate-shift analysis, drawn from ``metrics/robustness.csv`` and
the oracle's activity on the shifted test sets (``ood/<dataset>/oracle_activity.csv``).

Fig. 3, Supp. Figs. 2, 4 and 5.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from degu.plots.style import save_figure

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
