"""Snakemake script: metrics/attribution.csv and the Fig. 4a example tables."""

from degu.jobs.attribution import attribution_metrics_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
attribution_metrics_job(
    datasets=dict(sm.params.datasets),
    out_csv=sm.output.metrics,
    example_csv=sm.output.example,
    motifs_csv=sm.output.motifs,
)
