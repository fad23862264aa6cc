"""Snakemake script: the binned profile dataset of a genome and its coverage tracks."""

from degu.jobs.profiles import dataset_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
dataset_job(
    genome=snakemake.input.genome,
    tracks=dict(snakemake.params.tracks),
    tasks=list(snakemake.params.tasks),
    bins=dict(snakemake.params.bins),
    out=snakemake.output[0],
)
