"""Snakemake script: simulate Agarwal Table 3/4-format lentiMPRA workbooks."""

from pathlib import Path

from degu.assays.simulate import simulate_lentimpra
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
print(
    simulate_lentimpra(Path(snakemake.output.truth).parent, table_format="xlsx", **snakemake.params.simulate)
)
