"""Snakemake script: train one CNN-task-base profile model (teacher or DEGU student)."""

from degu.jobs.profiles import train_profile_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
train_profile_job(
    role=sm.wildcards.role,
    dataset_h5=sm.input.dataset,
    seed=int(sm.wildcards.seed),
    model_params=dict(sm.params.model_params),
    training=dict(sm.params.training),
    crop=int(sm.params.crop),
    threads=sm.threads,
    lam=sm.params.lam,
    gamma=sm.params.gamma,
    deterministic=sm.params.deterministic,
    out_model=sm.output.model,
    out_history=sm.output.history,
    out_predictions=sm.output.predictions,
    out_meta=sm.output.meta,
    dataset=sm.wildcards.profile,
    run=sm.wildcards.run,
)
