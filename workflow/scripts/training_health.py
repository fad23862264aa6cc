"""Snakemake script: training health (best/last epoch, budget, final LR) of every model."""

from degu.jobs.health import training_health_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
training_health_job(models=snakemake.params.models, out_csv=snakemake.output[0])
