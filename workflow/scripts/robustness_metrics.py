"""Snakemake script: MSE to the oracle per shift level and test metrics per procedure."""

from degu.jobs.robustness import robustness_metrics_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
robustness_metrics_job(
    dataset=sm.params.dataset,
    dataset_h5=sm.input.dataset,
    shifted_h5=sm.input.shifted,
    ood_predictions=dict(sm.params.ood),
    test_models={k: [tuple(m) for m in v] for k, v in sm.params.test_models.items()},
    ensembles=dict(sm.params.ensembles),
    out_csv=sm.output[0],
)
