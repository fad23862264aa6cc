"""Snakemake script: shifted copies of the test set, labelled by the EvoAug oracle."""

from degu.jobs.robustness import oracle_activity_table, shifted_test_sets_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
shifted_test_sets_job(
    dataset_h5=sm.input.dataset,
    oracle_models=list(sm.input.oracle),
    shifts=dict(sm.params.shifts),
    augmentations=dict(sm.params.augmentations),
    seed=sm.params.seed,
    batch_size=sm.params.batch_size,
    threads=sm.threads,
    prediction_batch_size=sm.params.prediction_batch_size,
    out_h5=sm.output.shifted,
)
oracle_activity_table(sm.output.shifted, sm.wildcards.dataset, sm.output.oracle_activity)
