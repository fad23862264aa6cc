"""Snakemake script: train a teacher, a DEGU student or an uncertainty baseline."""

from degu.jobs.train import train_model_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
train_model_job(
    role=sm.params.role,
    method=sm.params.method,
    dataset_h5=sm.input.dataset,
    subsets_h5=sm.input.get("subsets"),
    labels_h5=sm.input.get("labels"),
    fraction=float(sm.wildcards.fraction),
    seed=int(sm.wildcards.seed),
    architecture=sm.params.architecture,
    model_params=dict(sm.params.model_params),
    training=dict(sm.params.training),
    lam=sm.params.get("lam", 1.0),
    gamma=sm.params.get("gamma", 1.0),
    evidential_coeff=sm.params.get("evidential_coeff", 0.01),
    augmentation=sm.params.get("augmentation"),
    augmentations=sm.params.get("augmentations"),
    finetune=sm.params.get("finetune"),
    dynamic_teachers=list(sm.input.get("teachers", [])),
    threads=sm.threads,
    prediction_batch_size=sm.params.prediction_batch_size,
    deterministic=sm.params.deterministic,
    standardize_targets=sm.params.get("standardize_targets", False),
    out_model=sm.output.model,
    out_history=sm.output.history,
    out_predictions=sm.output.predictions,
    out_meta=sm.output.meta,
    dataset=sm.wildcards.dataset,
    run=sm.wildcards.run,
)
