"""Snakemake script: tidy test metrics for every model and ensemble."""

from degu.jobs.evaluate import evaluate_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
evaluate_job(entries=snakemake.params.entries, out_csv=snakemake.output[0])
