"""Snakemake script: nested downsampled training subsets."""

from degu.io.hdf5 import read_split
from degu.logs import redirect_to
from degu.splits import write_subsets

redirect_to(snakemake.log[0])
n_train = len(read_split(snakemake.input[0], "Train").y)
write_subsets(snakemake.output[0], n_train, snakemake.params.fractions, snakemake.params.seed)
