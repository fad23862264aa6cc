"""Snakemake script: decompress one gzip file, atomically."""

from degu.io.compression import gunzip
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
gunzip(snakemake.input[0], snakemake.output[0])
