"""Snakemake script: simulated CAGI5 saturation-mutagenesis loci (official file format)."""

from pathlib import Path

from degu.assays.simulate import simulate_cagi5
from degu.io.variants import index_fasta
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
print(
    simulate_cagi5(
        Path(snakemake.output.truth).parent, loci=dict(snakemake.params.loci), **snakemake.params.simulate
    )
)
index_fasta(snakemake.output.genome)  # once, here: the scoring jobs only read it
