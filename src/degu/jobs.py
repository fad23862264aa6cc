"""One function per pipeline step: what each Snakemake rule runs.

The functions take plain paths and values, so the same steps run from the CLI,
from a notebook or from Snakemake (whose scripts in workflow/scripts only unpack
``snakemake.input/output/params`` and call these).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io import hdf5
from degu.splits import read_subset

log = logging.getLogger("degu")


def _prediction_attrs(**attrs) -> dict:
    return {k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in attrs.items()}


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
    from degu.distill import student_targets

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
    from degu import uncertainty

    if role == "heteroscedastic":
        return uncertainty.GaussianNLLLoss()
    if role == "evidential":
        return uncertainty.EvidentialLoss(coeff=evidential_coeff)
    from degu.distill import DistillationLoss

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

    * ``augmentation``: a scheme of :mod:`degu.augment` applied to every training
      minibatch (``augmentations`` is the EvoAug list for ``kind: evoaug``);
    * ``finetune`` ``{"epochs", "learning_rate"}``: EvoAug's second stage on the original
      data (skipped when absent or ``epochs`` is 0);
    * ``dynamic_teachers`` (students only): the teacher models that relabel every
      augmented minibatch in the training graph (mean, std (, aleatoric)), replacing the
      static labels; validation keeps the static labels of the original validation data.

    ``standardize_targets`` (students; ``distillation.standardize_targets``): fit the targets
    standardized per task with training-set statistics (:class:`degu.distill.TargetScaling`);
    the saved model undoes the scaling, so its predictions are in activity units.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(seed, threads=threads, deterministic=deterministic)
    from degu.models import build_model
    from degu.training import TrainConfig, fit, predict, save_history, save_model

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
        from degu.distill import TargetScaling

        scaling = TargetScaling.fit(y_train, heads)
        y_train, y_val = scaling.transform(y_train), scaling.transform(y_val)
        log.info("targets standardized: %s", scaling.to_dict())
    from degu.augment import make_augmenter

    augment = make_augmenter(augmentation, augmentations)
    labeller = None
    if dynamic_teachers:
        if role != "student":
            raise ValueError(f"dynamic labels are for students, not {role!r} models")
        from degu.distill import EnsembleLabeller
        from degu.models import load_model

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
    if health["best_epoch"] in (1, health["max_epochs"]):
        log.warning(
            "%s seed %d: best validation epoch is %d of at most %d (%s): check this model's training",
            role,
            seed,
            health["best_epoch"],
            health["max_epochs"],
            "the first" if health["best_epoch"] == 1 else "the last allowed",
        )
    if finetune and int(finetune.get("epochs", 0)) > 0:
        from degu.training import finetune as finetune_stage

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
        attrs=_prediction_attrs(
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
    return {"device": device, "epochs": len(history)}


def _cal_split(dataset_h5) -> tuple[str, ...]:
    """``("Cal",)`` when the dataset has the optional calibration split, else ``()``."""
    return (hdf5.CAL,) if hdf5.has_split(dataset_h5, hdf5.CAL) else ()


def training_health(history: pd.DataFrame, max_epochs: int) -> dict:
    """Best and last epoch, the epoch budget, the best validation loss and the final learning
    rate of one (first-stage) training run, from its Keras history."""
    best = history.loc[history["val_loss"].idxmin()]
    lr = history["learning_rate"].iloc[-1] if "learning_rate" in history else np.nan
    return {
        "best_epoch": int(best["epoch"]),
        "stopped_epoch": int(history["epoch"].iloc[-1]),
        "max_epochs": int(max_epochs),
        "best_val_loss": float(best["val_loss"]),
        "final_lr": float(lr),
    }


TRAINING_COLUMNS = [
    "dataset",
    "fraction",
    "method",
    "model",
    "seed",
    "best_epoch",
    "stopped_epoch",
    "max_epochs",
    "best_val_loss",
    "final_lr",
]


def training_health_job(*, models: list[dict], out_csv) -> pd.DataFrame:
    """One row per trained model (``models`` items: ``{"dataset", "fraction", "path"}``, the
    path of its predictions file ``.../<model>/seed<seed>/predictions.h5``) with the health
    :func:`train_model_job` recorded. ``model`` is the model directory (teacher, student,
    student_k2, evoaug_teacher, ...): several share a ``method`` label."""
    from degu.io.atomic import atomic_path

    rows = []
    for m in models:
        attrs = hdf5.read_attrs(m["path"])
        if "health" not in attrs:
            raise DeguInputError(f"{m['path']}: no training health recorded (trained by an older version?)")
        rows.append(
            {
                "dataset": m["dataset"],
                "fraction": float(m["fraction"]),
                "method": attrs["method"],
                "model": Path(m["path"]).parent.parent.name,
                "seed": int(attrs["seed"]),
                **json.loads(attrs["health"]),
            }
        )
    table = pd.DataFrame(rows, columns=TRAINING_COLUMNS).sort_values(["dataset", "fraction", "model", "seed"])
    at_first = int((table["best_epoch"] == 1).sum())
    at_max = int((table["best_epoch"] == table["max_epochs"]).sum())
    log.info("%d models: best epoch = 1 for %d, = max_epochs for %d", len(table), at_first, at_max)
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table


def member_heads(outputs: np.ndarray, kind: str, n_tasks: int) -> dict[str, np.ndarray]:
    """Split members' raw outputs (M, N, K) into activity and aleatoric-std parts.

    ``kind="standard"``: columns ``[activity_1..T (, aleatoric_1..T)]``;
    ``kind="heteroscedastic"``: ``[mu, log variance]`` -> aleatoric std ``sqrt(exp(logvar))``.
    """
    if kind == "standard":
        out = {"activity": outputs[..., :n_tasks]}
        if outputs.shape[-1] >= 2 * n_tasks:
            out["aleatoric"] = outputs[..., n_tasks : 2 * n_tasks]
        return out
    if kind == "heteroscedastic":
        from degu.uncertainty import heteroscedastic_std

        return {"activity": outputs[..., :1], "aleatoric": heteroscedastic_std(outputs[..., 1:2])}
    raise ValueError(f"unknown teacher kind {kind!r}")


def ensemble_labels_job(
    *,
    dataset_h5,
    subsets_h5,
    fraction: float,
    teacher_models: list,
    out_h5,
    kind: str = "standard",
    threads: int | None = None,
    prediction_batch_size: int = 1000,
) -> None:
    """Label the fraction's training subset, the validation and the test set (and the ``Cal``
    split, when the dataset has one) with the teachers' mean and std (ddof=0) of the activity
    head, and, where the teachers have one, the mean of their aleatoric head; keep each
    member's test activity predictions too."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(None, threads=threads, deterministic=True)
    from degu.ensemble import ensemble_stats, predict_members
    from degu.models import load_model

    models = [load_model(p) for p in teacher_models]
    n_tasks = len(hdf5.dataset_tasks(dataset_h5))
    index = read_subset(subsets_h5, fraction)
    arrays: dict[str, np.ndarray] = {"Train/index": index}
    for split in ("Train", "Val", "Test", *_cal_split(dataset_h5)):
        data = hdf5.read_split(dataset_h5, split, index if split == "Train" else None)
        heads = member_heads(predict_members(models, data.X, prediction_batch_size), kind, n_tasks)
        mean, std = ensemble_stats(heads["activity"])
        arrays[f"{split}/mean"], arrays[f"{split}/std"] = mean, std
        if "aleatoric" in heads:
            arrays[f"{split}/aleatoric"] = heads["aleatoric"].mean(axis=0).astype(np.float32)
        if split == "Test":
            arrays["Test/members"] = heads["activity"]
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs=_prediction_attrs(
            fraction=float(fraction),
            n_members=len(models),
            std_ddof=0,
            teacher_kind=kind,
            members=[str(Path(p)) for p in teacher_models],
            tasks=hdf5.dataset_tasks(dataset_h5),
        ),
    )


def mc_dropout_job(
    *,
    dataset_h5,
    model_path,
    out_h5,
    passes: int = 100,
    seed: int = 0,
    threads: int | None = None,
    prediction_batch_size: int = 1000,
) -> None:
    """MC dropout (Gal & Ghahramani) on a standard model: mean and std of the activity
    head over ``passes`` stochastic passes, on the validation and test sets (and ``Cal``)."""
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(seed, threads=threads, deterministic=True)
    from degu.models import load_model
    from degu.uncertainty import mc_dropout_predict

    model = load_model(model_path)
    n_tasks = len(hdf5.dataset_tasks(dataset_h5))
    arrays = {}
    for split in ("Val", "Test", *_cal_split(dataset_h5)):
        x = hdf5.read_split(dataset_h5, split).X
        mean, std = mc_dropout_predict(model, x, passes=passes, batch_size=prediction_batch_size, seed=seed)
        arrays[f"{split}/mean"], arrays[f"{split}/std"] = mean[:, :n_tasks], std[:, :n_tasks]
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs=_prediction_attrs(passes=passes, seed=seed, model=str(model_path), device=device),
    )


def evaluate_job(*, entries: list[dict], out_csv) -> pd.DataFrame:
    """Tidy test metrics for every standard model, student and ensemble.

    ``entries`` items: ``{"dataset", "fraction", "dataset_h5", "labels_h5",
    "teachers": [(seed, predictions_h5)], "students": [(seed, predictions_h5)]}``, optionally
    ``"references": [(method, predictions_h5)]`` (seedless, e.g. ``kmer_ridge``).
    """
    from degu.io.atomic import atomic_path
    from degu.metrics import METRIC_COLUMNS, tidy_rows

    rows: list[dict] = []
    for e in entries:
        data = hdf5.read_arrays(e["dataset_h5"], ["Test/y"])  # targets only, not the sequences
        y = data["Test/y"]
        alea = None
        if hdf5.has_aleatoric(e["dataset_h5"]):
            alea = hdf5.read_arrays(e["dataset_h5"], ["Test/aleatoric"])["Test/aleatoric"]
        tasks = hdf5.dataset_tasks(e["dataset_h5"])
        n = len(tasks)
        label_keys = ["Test/mean", "Test/std"] + (["Test/aleatoric"] if alea is not None else [])
        labels = hdf5.read_arrays(e["labels_h5"], label_keys)
        common = (e["dataset"], float(e["fraction"]))
        for role, method in (("teachers", "standard"), ("students", "distilled")):
            for seed, path in e[role]:
                pred = hdf5.read_arrays(path, ["Test/pred"])["Test/pred"]
                heads = json.loads(hdf5.read_attrs(path)["heads"])
                rows += tidy_rows(*common, method, seed, tasks, y, pred[:, :n])
                for k, head in enumerate(heads):
                    cols = pred[:, k * n : (k + 1) * n]
                    if head == "epistemic":
                        rows += tidy_rows(
                            *common, method, seed, tasks, labels["Test/std"], cols, "epistemic_"
                        )
                    elif head == "aleatoric" and alea is not None:
                        rows += tidy_rows(*common, method, seed, tasks, alea, cols, "aleatoric_")
        rows += tidy_rows(*common, "ensemble", None, tasks, y, labels["Test/mean"])
        for method, path in e.get("references", []):  # non-neural references, e.g. kmer_ridge
            rows += tidy_rows(
                *common, method, None, tasks, y, hdf5.read_arrays(path, ["Test/pred"])["Test/pred"]
            )
        if alea is not None:
            rows += tidy_rows(*common, "ensemble", None, tasks, alea, labels["Test/aleatoric"], "aleatoric_")
    table = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table


SIGMA_FLOOR = 1e-8


def method_estimates(method: str, arrays: dict, heads: list[str] | None = None) -> dict[str, dict]:
    """Activity and uncertainty estimates (std) of one model or ensemble, per split.

    Returns ``{split: {"mean": (N,), "epistemic"/"aleatoric"/"total": (N,)}}`` (splits Val,
    Test and, when ``arrays`` has it, Cal) for the single-task calibration analysis. Stds
    predicted by linear heads can be negative; they are floored at ``SIGMA_FLOOR`` (a
    zero-width interval), and the number of such cases is reported by :func:`calibration_job`.
    """
    out: dict[str, dict] = {}
    cal = (hdf5.CAL,) if any(k.startswith(f"{hdf5.CAL}/") for k in arrays) else ()
    for split in ("Val", "Test", *cal):
        est: dict[str, np.ndarray] = {}
        if method in ("ensemble", "heteroscedastic_ensemble"):
            est["mean"] = arrays[f"{split}/mean"][:, 0]
            est["epistemic"] = arrays[f"{split}/std"][:, 0]
            if f"{split}/aleatoric" in arrays:
                est["aleatoric"] = arrays[f"{split}/aleatoric"][:, 0]
        elif method == "mc_dropout":
            est["mean"] = arrays[f"{split}/mean"][:, 0]
            est["epistemic"] = arrays[f"{split}/std"][:, 0]
        else:
            pred = arrays[f"{split}/pred"]
            if method == "heteroscedastic":
                from degu.uncertainty import heteroscedastic_std

                est["mean"], est["aleatoric"] = pred[:, 0], heteroscedastic_std(pred[:, 1])
            elif method == "evidential":
                from degu.uncertainty import evidential_outputs

                ev = evidential_outputs(pred)
                est["mean"] = ev["mean"].ravel()
                est["aleatoric"], est["epistemic"] = ev["aleatoric_std"].ravel(), ev["epistemic_std"].ravel()
            else:  # standard, distilled, heteroscedastic_distill: one column per head
                heads = heads or ["mean"]
                for k, head in enumerate(heads):
                    est[head] = pred[:, k]
        est = {k: np.asarray(v, dtype=np.float64) for k, v in est.items()}
        if "epistemic" in est and "aleatoric" in est:
            from degu.calibration import total_std

            est["total"] = total_std(np.maximum(est["epistemic"], 0), np.maximum(est["aleatoric"], 0))
        out[split] = est
    return out


def _ground_truth(path, reverse_pattern: str | None = None) -> pd.DataFrame | None:
    """The simulator's ground truth, indexed by the normalised record name ("X_Reversed_0" in
    Table 3 and "X_Reversed" in Table 4 are the same record); None without one."""
    if path is None:
        return None
    from degu.io.lentimpra import DEFAULT_REVERSE_PATTERN, normalised_name

    gt = pd.read_csv(path, sep="\t")
    if not {"name", "y_clean", "noise_sd", "n_replicates"} <= set(gt.columns):
        return None
    pattern = reverse_pattern or DEFAULT_REVERSE_PATTERN
    gt.index = [normalised_name(n, pattern) for n in gt["name"]]
    gt.attrs.update(path=str(path), pattern=pattern)
    return gt


def _truth_for(gt: pd.DataFrame, ids: np.ndarray) -> dict[str, np.ndarray]:
    """True clean activity and noise std of the replicate mean of the records ``ids``."""
    from degu.io.lentimpra import normalised_name

    rows = gt.reindex([normalised_name(n, gt.attrs["pattern"]) for n in ids])
    missing = np.asarray(ids)[rows["y_clean"].isna().to_numpy()]
    if len(missing):
        raise DeguInputError(f"{gt.attrs['path']}: no ground truth for records {list(missing[:3])}")
    return {
        "mean": rows["y_clean"].to_numpy(np.float64),
        "sigma_mean": (rows["noise_sd"] / np.sqrt(rows["n_replicates"])).to_numpy(np.float64),
        "noise_sd": rows["noise_sd"].to_numpy(np.float64),
    }


CALIBRATION_COLUMNS = [
    "dataset",
    "method",
    "seed",
    "kind",
    "n_cal",
    "n_test",
    "pearson",
    "coverage",
    "interval_width",
    "conformal_scale",
    "coverage_conformal",
    "interval_width_conformal",
    "n_nonpositive_sigma",
    "pearson_sigma_vs_true_noise",
]
# Added when the dataset has a Cal split: the conformal scale calibrated on the validation
# (early-stopping) split instead, for comparison, applied to the same test set.
CALIBRATION_VAL_COLUMNS = [
    "n_val",
    "conformal_scale_val",
    "coverage_conformal_val",
    "interval_width_conformal_val",
]


def calibration_job(
    *,
    dataset: str,
    dataset_h5,
    models: list[dict],
    out_csv,
    alpha: float = 0.05,
    ground_truth=None,
    reverse_pattern: str | None = None,
) -> pd.DataFrame:
    """Interval coverage and size before/after conformal calibration for every method.

    ``models`` items: ``{"method", "seed" (or None), "path"}``; ``path`` is a predictions
    file of a trained model (``Val/pred``, ``Test/pred`` (, ``Cal/pred``)), an MC-dropout file
    or an ensemble labels file (``{Val,Test(,Cal)}/{mean,std(,aleatoric)}``). Evaluation uses
    the test split. Calibration uses the validation split (paper Methods), which also
    early-stopped the models; when the dataset has a disjoint ``Cal`` split
    (``uncertainty.calibration_split``) the conformal columns are calibrated on ``Cal``
    instead and the ``*_val`` columns (:data:`CALIBRATION_VAL_COLUMNS`) give the
    validation-calibrated values for comparison. With ``ground_truth`` (simulated data) a
    ``truth`` row uses the true clean activity and the true noise std of the replicate
    mean: its coverage must be ~95% without any calibration.
    """
    from scipy import stats

    from degu.calibration import calibration_rows
    from degu.io.atomic import atomic_path

    has_cal = hdf5.has_split(dataset_h5, hdf5.CAL)
    splits = ("Val", "Test", *((hdf5.CAL,) if has_cal else ()))
    cal_split = hdf5.CAL if has_cal else "Val"
    y = {s: hdf5.read_arrays(dataset_h5, [f"{s}/y"])[f"{s}/y"][:, 0].astype(np.float64) for s in splits}
    gt = _ground_truth(ground_truth, reverse_pattern)
    truth = None
    if gt is not None:
        ids = hdf5.read_arrays(dataset_h5, [f"{s}/ids" for s in splits])
        truth = {s: _truth_for(gt, ids[f"{s}/ids"]) for s in splits}
    rows = []

    def add(method, seed, est):
        for kind in ("epistemic", "aleatoric", "total"):
            if kind not in est["Test"]:
                continue
            sig = {s: est[s][kind] for s in splits}
            nonpos = int(sum((v <= 0).sum() for v in sig.values()))
            sig = {s: np.maximum(v, SIGMA_FLOOR) for s, v in sig.items()}
            r, rv = (
                calibration_rows(
                    y["Test"], est["Test"]["mean"], sig["Test"], y[c], est[c]["mean"], sig[c], alpha
                )
                for c in (cal_split, "Val")
            )
            extra = {}
            if has_cal:
                extra = {"n_val": len(y["Val"]), **{f"{k}_val": v for k, v in rv.items() if "conformal" in k}}
            rows.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "seed": seed,
                    "kind": kind,
                    "n_cal": len(y[cal_split]),
                    "n_test": len(y["Test"]),
                    "pearson": float(stats.pearsonr(y["Test"], est["Test"]["mean"])[0]),
                    **r,
                    "n_nonpositive_sigma": nonpos,
                    "pearson_sigma_vs_true_noise": (
                        float(stats.pearsonr(sig["Test"], truth["Test"]["noise_sd"])[0])
                        if truth is not None and np.ptp(sig["Test"]) > 0
                        else np.nan
                    ),
                    **extra,
                }
            )

    for m in models:
        arrays = hdf5.read_arrays(m["path"])
        attrs = hdf5.read_attrs(m["path"])
        heads = json.loads(attrs["heads"]) if "heads" in attrs else None
        if has_cal and not any(k.startswith(f"{hdf5.CAL}/") for k in arrays):
            raise DeguInputError(
                f"{m['path']}: no {hdf5.CAL} predictions but {dataset_h5} has a {hdf5.CAL} split "
                "(made before uncertainty.calibration_split was set; rerun it)"
            )
        try:
            add(m["method"], m.get("seed"), method_estimates(m["method"], arrays, heads))
        except ValueError as exc:  # e.g. NaN predictions of a diverged model
            raise DeguInputError(f"{m['path']} ({m['method']}, seed {m.get('seed')}): {exc}") from exc
    if truth is not None:
        add("truth", None, {s: {"mean": t["mean"], "aleatoric": t["sigma_mean"]} for s, t in truth.items()})
    table = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS + (CALIBRATION_VAL_COLUMNS if has_cal else []))
    table["seed"] = table["seed"].astype("Int64")
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table
