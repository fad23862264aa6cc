"""Snakemake script: metrics/variant_effects.csv, variant_predictions.csv, variant_windows.csv."""

from degu.jobs.variant_effects import variant_effects_metrics_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
variant_effects_metrics_job(
    loci={k: dict(v) for k, v in sm.params.loci.items()},
    stratify=dict(sm.params.stratify),
    quantiles=list(sm.params.quantiles),
    out_summary=sm.output.summary,
    out_predictions=sm.output.predictions,
    out_windows=sm.output.windows,
)
