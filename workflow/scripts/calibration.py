"""Snakemake script: coverage/interval size before and after conformal calibration."""

from degu.jobs.calibration import calibration_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
calibration_job(
    dataset=sm.wildcards.dataset,
    dataset_h5=sm.input.dataset,
    models=list(sm.params.models),
    out_csv=sm.output[0],
    alpha=sm.params.alpha,
    ground_truth=sm.input.truth[0] if sm.input.truth else None,
    reverse_pattern=sm.params.reverse_pattern,
)
