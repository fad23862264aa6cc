"""Snakemake script: simulated ATAC-seq in the real formats (genome FASTA, replicate bigWigs)."""

from pathlib import Path

from degu.assays.simulate import simulate_atac
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
print(simulate_atac(Path(snakemake.output.genome).parent, **snakemake.params.simulate))
