"""Snakemake script: simulate the six DeepSTARR-format files."""

from pathlib import Path

from degu.assays.simulate import simulate_starrseq
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
simulate_starrseq(
    Path(snakemake.output.truth).parent,
    seq_len=snakemake.params.seq_len,
    **snakemake.params.simulate,
)
