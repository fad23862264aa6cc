"""Snakemake script: decompress one gzip file, atomically."""

from degu.io.compression import gunzip
from degu.io.variants import index_fasta
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
gunzip(snakemake.input[0], snakemake.output[0])
index_fasta(snakemake.output[0])  # once, here: the scoring jobs only read it
