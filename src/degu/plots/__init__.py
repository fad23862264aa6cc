"""Figures: one module per figure family, a family being the figures drawn from one table.

===================  ===================================================  ===============================
module               figures                                              table(s) it plots
===================  ===================================================  ===============================
``performance``      fig2, fig5a, fig5b                                   metrics/performance.csv
``calibration``      fig5c, fig5d, supp_fig8, supp_fig11, supp_fig12      metrics/calibration/*.csv
``robustness``       fig3, supp_fig2, supp_fig4, supp_fig5                metrics/robustness.csv,
                                                                          ood/<ds>/oracle_activity.csv
``ensemble_size``    supp_fig3                                            metrics/ensemble_size.csv
``attribution``      fig4, supp_fig6, supp_fig7, supp_fig_attr_truth      metrics/attribution.csv,
                                                                          attribution_example.csv,
                                                                          attribution_motifs.csv
``variant_effects``  fig6, supp_fig13, supp_fig14, supp_fig15             metrics/variant_effects.csv,
                                                                          variant_predictions.csv
``atac``             supp_fig1                                            metrics/atac.csv
===================  ===================================================  ===============================

``style`` holds what they share (backend, colours, :func:`~degu.plots.style.save_figure`).
Each figure is a function of the same name in its family's module: it takes the table and an
output stem and returns the tidy table of exactly what it plots, written as ``<stem>.pdf``,
``<stem>.png`` and ``<stem>.csv``. A figure that plots several different tables (the
attribution and variant_effects families) names them in an attribute ``tables`` and takes
``{name: table}`` instead (:func:`draw`).

:data:`FAMILIES` (family -> its figures) is the registry; the workflow has one rule per family
(``workflow/rules/figures.smk``) and reads it when it parses, so importing this package stays
light: the family modules (matplotlib, seaborn, pandas) load on first use of :data:`FIGURES`
(figure name -> function), of a figure function (``from degu.plots import fig2``) or of
:func:`draw`, which draws one figure from its CSV files. This package imports library modules
only, never ``degu.jobs``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

FAMILIES: dict[str, tuple[str, ...]] = {
    "performance": ("fig2", "fig5a", "fig5b"),
    "calibration": ("fig5c", "fig5d", "supp_fig8", "supp_fig11", "supp_fig12"),
    "robustness": ("fig3", "supp_fig2", "supp_fig4", "supp_fig5"),
    "ensemble_size": ("supp_fig3",),
    "attribution": ("fig4", "supp_fig6", "supp_fig7", "supp_fig_attr_truth"),
    "variant_effects": ("fig6", "supp_fig13", "supp_fig14", "supp_fig15"),
    "atac": ("supp_fig1",),
}
FAMILY_OF = {fig: family for family, figs in FAMILIES.items() for fig in figs}
# What a figure is written as, in this order (the figure rules list their outputs the same way).
EXTENSIONS = ("pdf", "png", "csv")


def figure_function(figure: str):
    """The function that draws ``figure`` (imports its family's module)."""
    if figure not in FAMILY_OF:
        raise ValueError(f"unknown figure {figure!r}; known: {', '.join(FAMILY_OF)}")
    return getattr(import_module(f"degu.plots.{FAMILY_OF[figure]}"), figure)


def __getattr__(name: str):
    """``FIGURES``, ``save_figure`` and the figure functions, imported on first use."""
    if name == "FIGURES":
        return {fig: figure_function(fig) for fig in FAMILY_OF}
    if name == "save_figure":
        return import_module("degu.plots.style").save_figure
    if name in FAMILY_OF:
        return figure_function(name)
    raise AttributeError(f"module 'degu.plots' has no attribute {name!r}")


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
):
    """Draw one figure from the CSV files it plots into ``outputs`` (its PDF, PNG and CSV);
    ``options`` go to the figure function (e.g. ``main_dataset``, ``alpha``). Returns the
    plotted table (a DataFrame).

    A figure function gets the files read and concatenated in the given order, unless it has an
    attribute ``tables`` (a tuple of names): then ``tables`` are its files in that order, one
    each, and it gets ``{name: DataFrame}``."""
    func = figure_function(figure)
    if not tables:
        raise ValueError(f"figure {figure!r}: no input tables")
    stem = figure_stem(figure, outputs)
    import pandas as pd

    names = getattr(func, "tables", None)
    if names is None:
        table = pd.concat([pd.read_csv(p) for p in tables], ignore_index=True)
        return func(table, stem, **options)
    if len(tables) != len(names):
        raise ValueError(
            f"figure {figure!r} plots {len(names)} tables ({', '.join(names)}), in this order; "
            f"got {len(tables)} files: {[str(p) for p in tables]}"
        )
    return func({name: pd.read_csv(p) for name, p in zip(names, tables, strict=True)}, stem, **options)


__all__ = [
    "EXTENSIONS",
    "FAMILIES",
    "FAMILY_OF",
    "FIGURES",
    "draw",
    "figure_function",
    "figure_stem",
    "save_figure",
]
__all__ += list(FAMILY_OF)
