"""Snakemake script: concatenate CSV tables (same columns) into one, atomically."""

import pandas as pd

from degu.io.atomic import atomic_path
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
table = pd.concat([pd.read_csv(p, dtype={"seed": "Int64"}) for p in snakemake.input], ignore_index=True)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
