"""Snakemake script: nested downsampled training subsets."""

from degu.assays.splits import write_subsets
from degu.io.hdf5 import split_size
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
n_train = split_size(snakemake.input[0], "Train")
write_subsets(snakemake.output[0], n_train, snakemake.params.fractions, snakemake.params.seed)
