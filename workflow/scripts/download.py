"""Snakemake script: verified download of one manifest entry."""

from pathlib import Path

from degu.assays.download import fetch_from_manifest
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
out = Path(snakemake.output[0])
fetch_from_manifest(snakemake.input.manifest, out.name, out)
