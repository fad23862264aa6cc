"""Snakemake script: choose an ENCODE experiment's replicate files (download manifest)."""

from degu.assays.download import resolve_encode
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
resolve_encode(snakemake.output[0], **dict(snakemake.params.encode))
