"""Snakemake script: teacher-ensemble mean/std labels for one (dataset, fraction)."""

from degu.jobs.labels import ensemble_labels_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
ensemble_labels_job(
    dataset_h5=sm.input.dataset,
    subsets_h5=sm.input.subsets,
    fraction=float(sm.wildcards.fraction),
    teacher_models=list(sm.input.teachers),
    out_h5=sm.output[0],
    kind=sm.params.get("kind", "standard"),
    threads=sm.threads,
    prediction_batch_size=sm.params.prediction_batch_size,
)
