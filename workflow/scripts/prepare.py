"""Snakemake script: raw files -> HDF5 dataset."""

from degu.assays.datasets import prepare_dataset
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
p = snakemake.params
counts = prepare_dataset(p.assay, p.raw_dir, snakemake.output[0], **dict(p.dataset))
print(counts)
