"""Snakemake script: MC-dropout mean/std of one standard model on Val and Test."""

from degu.jobs.baselines import mc_dropout_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
mc_dropout_job(
    dataset_h5=sm.input.dataset,
    model_path=sm.input.model,
    out_h5=sm.output[0],
    passes=sm.params.passes,
    seed=int(sm.wildcards.seed),
    threads=sm.threads,
    prediction_batch_size=sm.params.prediction_batch_size,
)
