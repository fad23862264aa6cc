"""Snakemake script: saliency / DeepSHAP maps of one teacher or student."""

from degu.jobs.attribution import attribution_maps_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
attribution_maps_job(
    dataset_h5=sm.input.dataset,
    model_meta=sm.input.meta,
    out_h5=sm.output[0],
    methods=list(sm.params.methods),
    n_sequences=sm.params.n_sequences,
    n_background=sm.params.n_background,
    background_seed=sm.params.background_seed,
    uncertainty_heads=sm.params.uncertainty_heads,
    saliency_batch_size=sm.params.saliency_batch_size,
    deepshap_batch_size=sm.params.deepshap_batch_size,
    threads=sm.threads,
)
