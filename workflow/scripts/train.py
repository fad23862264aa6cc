"""Snakemake script: train a teacher, a DEGU student or an uncertainty baseline."""

from degu.jobs.train import train_model_job
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
sm = snakemake
role, method = {
    "train_teacher": ("teacher", "standard"),
    "train_student": (
        "student",
        "oracle_distilled" if sm.wildcards.get("student") == "oracle_student" else "distilled",
    ),
    "train_het_student": ("student", "heteroscedastic_distill"),
    "train_evoaug_teacher": ("teacher", "evoaug_standard"),
    "train_evoaug_student": ("student", "evoaug_distilled"),
    "train_dynamic_student": ("student", f"dynamic_{sm.wildcards.get('scheme')}"),
}.get(sm.rule, (sm.wildcards.get("role"), sm.wildcards.get("role")))
train_model_job(
    role=role,
    method=method,
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
)
