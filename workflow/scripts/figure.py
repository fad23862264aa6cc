"""Snakemake script: one figure (PDF, PNG and the CSV of plotted numbers)."""

from pathlib import Path

import pandas as pd

from degu.logs import redirect_to
from degu.plots import FIGURES

redirect_to(snakemake.log[0])
table = pd.concat([pd.read_csv(p) for p in snakemake.input], ignore_index=True)
out = Path(snakemake.output.pdf)
FIGURES[snakemake.wildcards.figure](
    table, out.with_suffix(""), main_dataset=snakemake.params.main_dataset, alpha=snakemake.params.alpha
)
