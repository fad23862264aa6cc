"""Snakemake script: attribution consistency of one profile dataset's models."""

from degu.jobs.profiles import atac_attribution_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
atac_attribution_job(
    dataset=sm.wildcards.profile,
    dataset_h5=sm.input.dataset,
    teachers=dict(sm.params.teachers),
    students=dict(sm.params.students),
    crop=int(sm.params.crop),
    n_sequences=int(sm.params.n_sequences),
    threads=sm.threads,
    deterministic=sm.params.deterministic,
    out_csv=sm.output[0],
)
