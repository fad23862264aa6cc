"""Snakemake script: extract one member of a downloaded archive."""

from degu.assays.download import extract_member
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
extract_member(snakemake.input[0], snakemake.params.member, snakemake.output[0])
