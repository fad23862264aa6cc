"""Snakemake script: model bundles (model.keras + degu.json) of one calibrated dataset."""

from degu.jobs.bundle import bundle_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
bundle_job(
    dataset=sm.wildcards.dataset,
    dataset_h5=sm.input.dataset,
    architecture=sm.params.architecture,
    model_params=dict(sm.params.model_params),
    models=list(sm.params.models),
    ensemble_members=list(sm.params.ensemble_members),
    calibration_csv=sm.input.calibration,
    alpha=sm.params.alpha,
    out_dir=sm.params.out_dir,
    run=sm.wildcards.run,
)
