"""Figures: one module per figure family, a family being the figures drawn from one table.

=================  =====================================================  ==========================
module             figures                                                table(s) it plots
=================  =====================================================  ==========================
``performance``    fig2, fig5a, fig5b                                     metrics/performance.csv
``calibration``    fig5c, fig5d, supp_fig8, supp_fig11, supp_fig12        metrics/calibration/*.csv
``robustness``     fig3, supp_fig2, supp_fig4, supp_fig5                  metrics/robustness.csv,
                                                                          ood/<ds>/oracle_activity.csv
``ensemble_size``  supp_fig3                                              metrics/ensemble_size.csv
=================  =====================================================  ==========================

``style`` holds what they share (backend, colours, :func:`~degu.plots.style.save_figure`).
Each figure function takes the table and an output stem and returns the tidy table of exactly
what it plots, written as ``<stem>.pdf``, ``<stem>.png`` and ``<stem>.csv``. :data:`FIGURES`
maps every figure name to its function, :data:`FAMILIES` each family to its figures (the
workflow has one rule per family, ``workflow/rules/figures.smk``), and :func:`draw` draws one
figure from its CSV files. This package imports library modules only, never ``degu.jobs``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from degu.plots import calibration, ensemble_size, performance, robustness
from degu.plots.calibration import fig5c, fig5d, supp_fig8, supp_fig11, supp_fig12
from degu.plots.ensemble_size import supp_fig3
from degu.plots.performance import fig2, fig5a, fig5b
from degu.plots.robustness import fig3, supp_fig2, supp_fig4, supp_fig5
from degu.plots.style import EXTENSIONS, save_figure

FAMILIES = {
    "performance": list(performance.FIGURES),
    "calibration": list(calibration.FIGURES),
    "robustness": list(robustness.FIGURES),
    "ensemble_size": list(ensemble_size.FIGURES),
}
FIGURES = {
    **performance.FIGURES,
    **calibration.FIGURES,
    **robustness.FIGURES,
    **ensemble_size.FIGURES,
}


def figure_stem(figure: str, outputs: Sequence[str | os.PathLike]) -> Path:
    """The common stem of a figure's output files, which must be ``<stem>.pdf``,
    ``<stem>.png`` and ``<stem>.csv`` in that order with ``<stem>`` ending in the figure name."""
    paths = [Path(p) for p in outputs]
    stem = paths[0].with_suffix("") if paths else None
    if stem is None or stem.name != figure or paths != [stem.with_suffix(f".{e}") for e in EXTENSIONS]:
        raise ValueError(
            f"outputs of figure {figure!r} must be <dir>/{figure}.pdf, .png, .csv; got {[str(p) for p in paths]}"
        )
    return stem


def draw(
    figure: str,
    tables: Sequence[str | os.PathLike],
    outputs: Sequence[str | os.PathLike],
    **options,
) -> pd.DataFrame:
    """Draw one figure from the CSV files it plots (read and concatenated in the given order)
    into ``outputs`` (its PDF, PNG and CSV); ``options`` go to the figure function (e.g.
    ``main_dataset``, ``alpha``). Returns the plotted table."""
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}; known: {', '.join(FIGURES)}")
    if not tables:
        raise ValueError(f"figure {figure!r}: no input tables")
    stem = figure_stem(figure, outputs)
    table = pd.concat([pd.read_csv(p) for p in tables], ignore_index=True)
    return FIGURES[figure](table, stem, **options)


__all__ = [
    "FAMILIES",
    "FIGURES",
    "draw",
    "figure_stem",
    "save_figure",
    "fig2",
    "fig3",
    "fig5a",
    "fig5b",
    "fig5c",
    "fig5d",
    "supp_fig2",
    "supp_fig3",
    "supp_fig4",
    "supp_fig5",
    "supp_fig8",
    "supp_fig11",
    "supp_fig12",
]
