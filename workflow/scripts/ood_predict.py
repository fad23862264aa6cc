"""Snakemake script: one procedure's models predicted on every shift level."""

from degu.jobs.robustness import ood_predict_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
ood_predict_job(
    shifted_h5=sm.input.shifted,
    models=list(zip(sm.params.seeds, sm.input.models, strict=True)),
    out_h5=sm.output[0],
    threads=sm.threads,
    prediction_batch_size=sm.params.prediction_batch_size,
)
