"""Snakemake script: test metrics vs teacher-ensemble size."""

from degu.jobs.ensemble_size import ensemble_size_metrics_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
ensemble_size_metrics_job(
    dataset=sm.params.dataset,
    dataset_h5=sm.input.dataset,
    entries=list(sm.params.entries),
    out_csv=sm.output[0],
)
