"""Snakemake script: ridge regression on k-mer counts (the non-neural reference)."""

from degu.jobs.reference import kmer_ridge_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
kmer_ridge_job(
    dataset_h5=snakemake.input.dataset,
    subsets_h5=snakemake.input.subsets,
    fraction=snakemake.wildcards.fraction,
    out_predictions=snakemake.output[0],
    ks=snakemake.params.k,
    alphas=snakemake.params.alphas,
    both_strands=snakemake.params.both_strands,
)
