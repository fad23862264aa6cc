"""Snakemake script: metrics/atac.csv (whole-test-chromosome Pearson r per model)."""

import pandas as pd

from degu.io.atomic import atomic_path
from degu.jobs.profiles import profile_metrics_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
tables = [
    profile_metrics_job(dataset=name, **{k: v for k, v in entry.items()})
    for name, entry in snakemake.params.datasets.items()
]
with atomic_path(snakemake.output[0]) as tmp:
    pd.concat(tables, ignore_index=True).to_csv(tmp, index=False)
