"""Snakemake script: one figure (PDF, PNG and the CSV of plotted numbers)."""

from pathlib import Path

import pandas as pd

from degu.logs import redirect_to
from degu.plots import FIGURES

redirect_to(snakemake.log[0])
perf = pd.read_csv(snakemake.input[0])
out = Path(snakemake.output.pdf)
FIGURES[snakemake.wildcards.figure](perf, out.with_suffix(""))
