"""Snakemake script: the teacher ensemble's profile predictions as bigWig tracks."""

from degu.jobs.profiles import ensemble_tracks_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
ensemble_tracks_job(
    models=list(sm.input.models),
    dataset_h5=sm.input.dataset,
    genome=sm.input.genome,
    crop=int(sm.params.crop),
    out={kind: [sm.output[kind]] for kind in ("mean", "aleatoric", "epistemic")},
    threads=sm.threads,
    deterministic=sm.params.deterministic,
)
