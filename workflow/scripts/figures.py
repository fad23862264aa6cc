"""Snakemake script: the figures of one family (params.figures), each drawn from the input
tables named after it into its outputs (PDF, PNG and the CSV of the plotted numbers)."""

from degu.logs import redirect_to
from degu.plots import draw

redirect_to(snakemake.log[0])
for figure in snakemake.params.figures:
    draw(figure, snakemake.input[figure], snakemake.output[figure], **snakemake.params.options)
