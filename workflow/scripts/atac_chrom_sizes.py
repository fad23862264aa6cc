"""Snakemake script: the replicate bigWigs' chromosome sizes (for bedGraphToBigWig)."""

from degu.assays.tracks import union_chrom_sizes
from degu.io.bigwig import write_chrom_sizes
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
write_chrom_sizes(snakemake.output[0], union_chrom_sizes(list(snakemake.input.replicates)))
