"""Snakemake script: raw files -> HDF5 dataset."""

from pathlib import Path

from degu.datasets import PREPARERS
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
p = snakemake.params
counts = PREPARERS[p.assay](
    Path(snakemake.input[0]).parent,
    snakemake.output[0],
    tasks=p.tasks,
    activity_columns=p.activity_columns,
    seq_len=p.seq_len,
    n_policy=p.n_policy,
)
print(counts)
