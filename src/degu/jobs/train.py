"""Training jobs (rules/teachers.smk, distill.smk, baselines.smk): one model of any role."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from degu.assays.splits import read_subset
from degu.io import hdf5
from degu.jobs._common import prediction_attrs
from degu.jobs.health import training_health, warn_if_edge_epoch

log = logging.getLogger("degu")

ROLES = ("teacher", "student", "heteroscedastic", "evidential")


def _targets(role, dataset_h5, index, labels, val):
    """Training/validation targets and head layout of one role (see train_model_job)."""
    train = hdf5.read_split(dataset_h5, "Train", index)
    if role == "teacher":
        if train.aleatoric is not None:
            return (
                train,
                np.concatenate([train.y, train.aleatoric], 1),
                np.concatenate([val.y, val.aleatoric], 1),
                ["mean", "aleatoric"],
            )
        return train, train.y, val.y, ["mean"]
    if role in ("heteroscedastic", "evidential"):
        if train.y.shape[1] != 1:
            raise ValueError(f"{role} models are single-task; {dataset_h5} has {train.y.shape[1]} tasks")
        heads = ["mean", "logvar"] if role == "heteroscedastic" else ["gamma", "nu", "alpha", "beta"]
        return train, train.y, val.y, heads
    # student: fit [ensemble mean, ensemble std (, ensemble aleatoric)] on the same subset; validate
    # on [observed activity, ensemble std (, ensemble aleatoric)] as the authors did.
    from degu.uq.distill import student_targets

    heads = ["mean", "epistemic"]
    extra_train, extra_val = [], []
    if "Train/aleatoric" in labels:
        heads.append("aleatoric")
        extra_train, extra_val = [labels["Train/aleatoric"]], [labels["Val/aleatoric"]]
    y_train = student_targets(labels["Train/mean"], labels["Train/std"], *extra_train)
    y_val = student_targets(val.y, labels["Val/std"], *extra_val)
    return train, y_train, y_val, heads


def _loss(role, n_tasks, heads, lam, gamma, evidential_coeff):
    if role == "teacher":
        return "mse"
    from degu.uq import uncertainty

    if role == "heteroscedastic":
        return uncertainty.GaussianNLLLoss()
    if role == "evidential":
        return uncertainty.EvidentialLoss(coeff=evidential_coeff)
    from degu.uq.distill import DistillationLoss

    weights = (1.0, lam) + ((gamma,) if "aleatoric" in heads else ())
    return DistillationLoss(n_tasks, head_weights=weights)


def train_model_job(
    *,
    role: str,
    dataset_h5,
    fraction: float,
    seed: int,
    architecture: str,
    model_params: dict,
    training: dict,
    threads: int | None,
    out_model,
    out_history,
    out_predictions,
    out_meta=None,
    dataset: str | None = None,
    run: str | None = None,
    subsets_h5=None,
    labels_h5=None,
    lam: float = 1.0,
    gamma: float = 1.0,
    evidential_coeff: float = 0.01,
    method: str | None = None,
    augmentation: dict | None = None,
    augmentations: dict | None = None,
    finetune: dict | None = None,
    dynamic_teachers: list | None = None,
    prediction_batch_size: int = 1000,
    deterministic: bool = True,
    standardize_targets: bool = False,
) -> dict:
    """Train one model of the given ``role`` and save it with its Val/Test predictions.

    * ``teacher`` (standard training): the observed activity of the fraction's training
      subset, plus the replicate std (aleatoric head) if the dataset has it; MSE.
    * ``student`` (DEGU): the teacher ensemble's labels (``labels_h5``) on the same subset:
      [mean, epistemic std (, mean aleatoric)], loss MSE + lambda MSE (+ gamma MSE).
    * ``heteroscedastic``: [mean, log variance], Gaussian NLL.
    * ``evidential``: Normal-Inverse-Gamma outputs, Amini et al.'s loss.

    All share the optimizer, learning-rate schedule and early stopping of standard
    training. ``method`` only labels the outputs (e.g. "heteroscedastic_distill" for a
    student of heteroscedastic teachers).

    Robustness variants (paper Methods, EvoAug and dynamic augmentation):

    * ``augmentation``: a scheme of :mod:`degu.models.augment` applied to every training
      minibatch (``augmentations`` is the EvoAug list for ``kind: evoaug``);
    * ``finetune`` ``{"epochs", "learning_rate"}``: EvoAug's second stage on the original
      data (skipped when absent or ``epochs`` is 0);
    * ``dynamic_teachers`` (students only): the teacher models that relabel every
      augmented minibatch in the training graph (mean, std (, aleatoric)), replacing the
      static labels; validation keeps the static labels of the original validation data.

    ``out_meta``: where to write the model's ``degu.json`` (:func:`degu.models.bundle.model_metadata`:
    architecture, length, alphabet, tasks, heads, target scaling, provenance, versions), so
    the saved model describes itself (``dataset``/``run`` name its source).

    ``standardize_targets`` (students; ``distillation.standardize_targets``): fit the targets
    standardized per task with training-set statistics (:class:`degu.uq.distill.TargetScaling`);
    the saved model undoes the scaling, so its predictions are in activity units.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(seed, threads=threads, deterministic=deterministic)
    from degu.models import build_model
    from degu.models.training import TrainConfig, fit, predict, save_history, save_model

    tasks = hdf5.dataset_tasks(dataset_h5)
    n_tasks = len(tasks)
    cfg = TrainConfig.from_dict(training)
    labels = None
    if role == "student":
        labels = hdf5.read_arrays(labels_h5)
        index = labels["Train/index"]
    else:
        index = read_subset(subsets_h5, fraction)
    val = hdf5.read_split(dataset_h5, "Val")
    train, y_train, y_val, heads = _targets(role, dataset_h5, index, labels, val)
    n_outputs = len(heads) if role in ("heteroscedastic", "evidential") else n_tasks * len(heads)
    loss = _loss(role, n_tasks, heads, lam, gamma, evidential_coeff)
    scaling = None
    if standardize_targets:
        if role != "student":
            raise ValueError(f"standardize_targets is for students, not {role!r} models")
        from degu.uq.distill import TargetScaling

        scaling = TargetScaling.fit(y_train, heads)
        y_train, y_val = scaling.transform(y_train), scaling.transform(y_val)
        log.info("targets standardized: %s", scaling.to_dict())
    from degu.models.augment import make_augmenter

    augment = make_augmenter(augmentation, augmentations)
    labeller = None
    if dynamic_teachers:
        if role != "student":
            raise ValueError(f"dynamic labels are for students, not {role!r} models")
        from degu.models import load_model
        from degu.uq.distill import EnsembleLabeller

        labeller = EnsembleLabeller(
            [load_model(p) for p in dynamic_teachers],
            n_tasks,
            aleatoric="aleatoric" in heads,
            scaling=scaling,
        )
    model = build_model(
        architecture, train.X.shape[1], n_outputs, model_params, name=f"{architecture}_{role}_{seed}"
    )
    log.info(
        "%s seed %d: %d training sequences, %d parameters, heads %s",
        role,
        seed,
        len(train.X),
        model.count_params(),
        heads,
    )
    history = fit(
        model, train.X, y_train, val.X, y_val, cfg, loss=loss, verbose=2, augment=augment, labeller=labeller
    )
    health = training_health(history, cfg.max_epochs)
    warn_if_edge_epoch(health, f"{role} seed {seed}")
    if finetune and int(finetune.get("epochs", 0)) > 0:
        from degu.models.training import finetune as finetune_stage

        log.info(
            "fine-tune: %s epochs at lr %s on the original data",
            finetune["epochs"],
            finetune["learning_rate"],
        )
        tuned = finetune_stage(
            model,
            train.X,
            y_train,
            val.X,
            y_val,
            cfg,
            int(finetune["epochs"]),
            float(finetune["learning_rate"]),
            loss=loss,
        )
        history = pd.concat(
            [history.assign(stage="train", best=False), tuned.assign(stage="finetune")], ignore_index=True
        )
        history["epoch"] = np.arange(1, len(history) + 1)
    if scaling is not None:
        model = scaling.attach(model)  # predicts (and is saved) in activity units
    test = hdf5.read_split(dataset_h5, "Test")
    arrays = {
        "Val/pred": predict(model, val.X, prediction_batch_size),
        "Test/pred": predict(model, test.X, prediction_batch_size),
        "Train/index": index,
    }
    if hdf5.has_split(dataset_h5, hdf5.CAL):  # the optional calibration split
        arrays["Cal/pred"] = predict(model, hdf5.read_split(dataset_h5, hdf5.CAL).X, prediction_batch_size)
    save_model(model, out_model)
    save_history(history, out_history)
    hdf5.write_arrays(
        out_predictions,
        arrays,
        attrs=prediction_attrs(
            role=role,
            method=method or {"teacher": "standard", "student": "distilled"}.get(role, role),
            seed=seed,
            fraction=float(fraction),
            tasks=tasks,
            heads=heads,
            device=device,
            n_train=len(train.X),
            n_params=int(model.count_params()),
            epochs=len(history),
            best_epoch=int(history.loc[history["best"], "epoch"].iloc[0]),
            augmentation=augmentation or {},
            dynamic_teachers=[str(Path(p)) for p in dynamic_teachers or []],
            finetune=finetune or {},
            health=health,
            target_scaling=scaling.to_dict() if scaling is not None else {},
        ),
    )
    if out_meta is not None:  # degu.json beside the model: what its inputs and outputs are
        from degu.models.bundle import model_metadata, write_metadata

        meta = model_metadata(
            model_path=out_model,
            predictions_h5=out_predictions,
            dataset_h5=dataset_h5,
            dataset=dataset or Path(dataset_h5).parent.name,
            architecture=architecture,
            model_params=model_params,
            run=run,
        )
        write_metadata(out_meta, meta)
    return {"device": device, "epochs": len(history)}
