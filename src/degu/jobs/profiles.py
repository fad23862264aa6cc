"""ATAC-seq profile jobs (rules/atac.smk, Supp Fig 1): replicate tracks, binned datasets,
CNN-task-base teachers and DEGU students, the ensemble's bigWig tracks, evaluation.

The route follows the paper's Methods: three replicate bigWigs -> mean and std tracks ->
3072-bp bins (test chr8, validation chr9) -> teachers [mean, aleatoric] with the Poisson loss ->
the ensemble's mean, epistemic (std over teachers of the mean head) and aleatoric (mean of the
aleatoric heads) predictions of every bin written as bigWigs -> the students' dataset made from
those bigWigs by the same dataset step -> students [mean, aleatoric, epistemic] -> whole-test-
chromosome Pearson r against the observed tracks.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io import hdf5
from degu.jobs._common import prediction_attrs

log = logging.getLogger("degu")

PROFILE_METRIC_COLUMNS = ["dataset", "method", "seed", "task", "head", "metric", "value", "n_positions"]
#: bigWig tracks of the ensemble, in the students' head order
ENSEMBLE_TRACKS = ("mean", "aleatoric", "epistemic")
_ID = re.compile(r"^(?P<chrom>[^:]+):(?P<start>\d+)-(?P<end>\d+)$")


def _json_attr(attrs, key, where):
    if key not in attrs:
        raise DeguInputError(f"{where}: no '{key}' attribute")
    v = attrs[key]
    return json.loads(v) if isinstance(v, str | bytes) else list(v)


def _tasks(path) -> list[str]:
    """The task names recorded in a profile dataset's (or predictions file's) attributes."""
    return _json_attr(hdf5.read_attrs(path), "tasks", path)


def parse_bin_id(bin_id: str, where: str = "ids") -> tuple[str, int, int]:
    m = _ID.match(str(bin_id))
    if not m:
        raise DeguInputError(f"{where}: bin id {bin_id!r} is not 'chrom:start-end'")
    return m["chrom"], int(m["start"]), int(m["end"])


def dataset_job(*, genome, tracks: Mapping[str, Sequence], tasks: Sequence[str], bins: Mapping, out) -> dict:
    """The binned dataset (:func:`degu.assays.profiles.write_profile_dataset`) with the config's
    ``bins`` settings (size, test/validation/excluded chromosomes, contigs, missing values)."""
    from degu.assays.profiles import write_profile_dataset
    from degu.io.variants import index_fasta

    index_fasta(genome)  # pyfaidx's .fai, once
    counts = write_profile_dataset(
        out,
        genome,
        {k: list(v) for k, v in tracks.items()},
        tasks=list(tasks),
        bin_size=int(bins["size"]),
        test_chroms=list(bins["test"]),
        val_chroms=list(bins["val"]),
        exclude_chroms=list(bins["exclude"]),
        exclude_contigs=bool(bins["exclude_contigs"]),
        missing_value=bins["missing_value"],
    )
    log.info("profile dataset %s: %s", out, counts)
    return counts


def _heads(role: str, dataset_h5) -> list[str]:
    attrs = hdf5.read_attrs(dataset_h5)
    targets = _json_attr(attrs, "targets", dataset_h5)
    if role == "teacher":
        return ["mean"] + (["aleatoric"] if "aleatoric" in targets else [])
    if role == "student":
        if "epistemic" not in targets:
            raise DeguInputError(
                f"{dataset_h5}: a student's dataset needs an 'epistemic' target (the ensemble std)"
            )
        return ["mean"] + (["aleatoric"] if "aleatoric" in targets else []) + ["epistemic"]
    raise ValueError(f"profile role must be 'teacher' or 'student', got {role!r}")


def train_profile_job(
    *,
    role: str,
    dataset_h5,
    seed: int,
    model_params: dict,
    training: dict,
    crop: int,
    threads: int | None,
    out_model,
    out_history,
    out_predictions,
    out_meta=None,
    lam: float = 1.0,
    gamma: float = 1.0,
    deterministic: bool = True,
    prediction_batch_size: int = 100,
    dataset: str | None = None,
    run: str | None = None,
) -> dict:
    """Train one CNN-task-base ``teacher`` ([mean, aleatoric] tracks) or DEGU ``student`` ([mean,
    aleatoric, epistemic] of the ensemble) with the Poisson loss (head weights 1, gamma, lambda)
    on random ``crop`` windows with reverse complements, and save it with its centre-window
    test predictions (``Test/pred`` (N, crop, heads x tasks), ``Test/ids``)."""
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(seed, threads=threads, deterministic=deterministic)
    from degu.jobs.health import training_health, warn_if_edge_epoch
    from degu.models import build_model
    from degu.models.heads import HeadLayout
    from degu.models.profile_training import ProfileBatches, ProfilePoissonLoss, fit_profile, predict_bins
    from degu.models.training import TrainConfig, save_history, save_model

    attrs = hdf5.read_attrs(dataset_h5)
    tasks = _json_attr(attrs, "tasks", dataset_h5)
    heads = _heads(role, dataset_h5)
    layout = HeadLayout(heads, tasks, int(crop))
    cfg = TrainConfig.from_dict(training)
    weights = {"mean": 1.0, "aleatoric": float(gamma) if role == "student" else 1.0, "epistemic": float(lam)}
    loss = ProfilePoissonLoss(len(tasks), [weights[h] for h in heads])
    train = ProfileBatches(dataset_h5, "Train", heads, cfg.batch_size, crop, augment=True, seed=seed)
    val = ProfileBatches(dataset_h5, "Val", heads, prediction_batch_size, crop)
    model = build_model(
        "cnn_task_base", int(crop), layout.width, model_params, name=f"cnn_task_base_{role}_{seed}"
    )
    log.info(
        "profile %s seed %d: %d training bins, %d-bp windows, %d parameters, heads %s",
        role,
        seed,
        len(train.rows),
        crop,
        model.count_params(),
        heads,
    )
    history = fit_profile(model, train, val, cfg, loss)
    health = training_health(history, cfg.max_epochs)
    warn_if_edge_epoch(health, f"profile {role} seed {seed}")
    ids, pred = predict_bins(model, dataset_h5, "Test", crop, prediction_batch_size)
    save_model(model, out_model)
    save_history(history, out_history)
    hdf5.write_arrays(
        out_predictions,
        {"Test/pred": pred, "Test/ids": np.asarray(ids, dtype=object)},
        compression="gzip",
        attrs=prediction_attrs(
            role=role,
            method={"teacher": "standard", "student": "distilled"}[role],
            seed=int(seed),
            fraction=1.0,
            tasks=tasks,
            heads=heads,
            crop=int(crop),
            device=device,
            n_train=len(train.rows),
            n_params=int(model.count_params()),
            epochs=len(history),
            best_epoch=int(history.loc[history["best"], "epoch"].iloc[0]),
            health=health,
        ),
    )
    if out_meta is not None:
        write_profile_metadata(
            out_meta,
            model_path=out_model,
            dataset_h5=dataset_h5,
            tasks=tasks,
            heads=heads,
            crop=int(crop),
            model_params=model_params,
            source={
                "run": run,
                "dataset": dataset or Path(dataset_h5).parent.name,
                "assay": "atac",
                "fraction": 1.0,
                "role": role,
                "method": {"teacher": "standard", "student": "distilled"}[role],
                "seed": int(seed),
                "n_train": len(train.rows),
                "predictions": str(out_predictions),
            },
        )
    return {"device": device, "epochs": len(history)}


def write_profile_metadata(
    path, *, model_path, dataset_h5, tasks, heads, crop: int, model_params: dict, source: dict
) -> dict:
    """``degu.json`` of a profile model: the bundle format (:mod:`degu.models.bundle`) with
    ``seq_len`` = the window the model reads (``crop``) and ``output_length`` = the positions it
    predicts, so ``degu predict --bigwig`` knows how to tile a region."""
    from degu.models.bundle import (
        BUNDLE_FORMAT,
        MODEL_NAME,
        keras_saved_version,
        output_width,
        package_versions,
        sha256_file,
        validate_metadata,
        write_metadata,
    )

    attrs = hdf5.read_attrs(dataset_h5)
    meta = {
        "format": BUNDLE_FORMAT,
        "kind": "model",
        "model_file": MODEL_NAME,
        "sha256": sha256_file(model_path),
        "architecture": "cnn_task_base",
        "model_params": dict(model_params or {}),
        "seq_len": int(crop),
        "output_length": int(crop),
        "bin_size": int(attrs["bin_size"]),
        "alphabet": str(attrs["alphabet"]),
        "n_policy": str(attrs["n_policy"]),
        "adaptors": None,
        "tasks": list(tasks),
        "heads": list(heads),
        "n_outputs": output_width(list(heads), list(tasks)),
        "target_scaling": None,
        "source": source,
        "versions": {**package_versions(), "keras_saved": keras_saved_version(model_path)},
    }
    validate_metadata(meta, f"metadata of {model_path}")
    write_metadata(path, meta)
    return meta


def _chrom_rows(dataset_h5) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """{chrom: (split, rows, starts)} of every bin of the dataset, rows sorted by start."""
    out: dict[str, tuple[str, list, list]] = {}
    with h5py.File(dataset_h5, "r") as f:
        for split in ("Train", "Val", "Test"):
            if split not in f:
                continue
            for row, bin_id in enumerate(f[split]["ids"].asstr()[...]):
                chrom, start, _ = parse_bin_id(bin_id, str(dataset_h5))
                entry = out.setdefault(chrom, (split, [], []))
                if entry[0] != split:
                    raise DeguInputError(
                        f"{dataset_h5}: chromosome {chrom} has bins in {entry[0]} and {split}"
                    )
                entry[1].append(row)
                entry[2].append(start)
    result = {}
    for chrom, (split, rows, starts) in out.items():
        order = np.argsort(starts)
        result[chrom] = (split, np.asarray(rows)[order], np.asarray(starts)[order])
    return result


def ensemble_tracks_job(
    *,
    models: Sequence,
    dataset_h5,
    genome,
    crop: int,
    out: Mapping[str, Sequence],
    threads: int | None = None,
    batch_size: int = 100,
    deterministic: bool = True,
) -> dict:
    """The teacher ensemble's predictions of every bin of ``dataset_h5`` as bigWig tracks: for each
    task, ``out["mean"]`` (mean over teachers of the mean head), ``out["epistemic"]`` (their
    population std, ddof 0, as the scalar ensemble's) and ``out["aleatoric"]`` (mean of the
    aleatoric heads); chromosome sizes from ``genome``. Each bin is covered by two ``crop`` windows
    (:func:`degu.models.profile_training.predict_full_bins`); bases outside the dataset's bins
    have no data. Returns the number of bins written."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=deterministic)
    from degu.assays.profiles import open_genome, read_profile_rows
    from degu.io.bigwig import bigwig_writer, sorted_names
    from degu.models import load_model
    from degu.models.heads import HeadLayout
    from degu.models.profile_training import predict_full_bins

    tasks = _tasks(dataset_h5)
    if len(models) < 2:
        raise ValueError(f"an ensemble needs at least 2 models, got {len(models)}")
    nets = [load_model(p) for p in models]
    layout = HeadLayout(("mean", "aleatoric"), tasks)
    for p, net in zip(models, nets, strict=True):
        if net.output_shape[-1] != layout.width:
            raise DeguInputError(
                f"{p}: {net.output_shape[-1]} outputs; a profile teacher for {tasks} has {layout.width}"
            )
    for kind in ENSEMBLE_TRACKS:
        if len(out[kind]) != len(tasks):
            raise ValueError(f"out[{kind!r}] needs one bigWig per task {tasks}, got {len(out[kind])}")
    fasta = open_genome(genome)  # the bigWigs' chromosome sizes are the genome's
    sizes = {name: len(fasta[name]) for name in fasta.keys()}
    per_chrom = _chrom_rows(dataset_h5)
    n = 0
    with ExitStack() as stack:
        writers = {
            (kind, j): stack.enter_context(bigwig_writer(out[kind][j], sizes))
            for kind in ENSEMBLE_TRACKS
            for j in range(len(tasks))
        }
        for chrom in sorted_names(sizes):
            if chrom not in per_chrom:
                continue
            split, rows, starts = per_chrom[chrom]
            for a in range(0, len(rows), batch_size):
                data = read_profile_rows(dataset_h5, split, rows[a : a + batch_size])
                x = data["X"].astype(np.float32)
                preds = np.stack([predict_full_bins(net, x, crop) for net in nets])  # (M, B, L, 2T)
                mean_heads = layout.head(preds, "mean").astype(np.float64)
                tracks = {
                    "mean": mean_heads.mean(axis=0),
                    "epistemic": mean_heads.std(axis=0, ddof=0),
                    "aleatoric": layout.head(preds, "aleatoric").astype(np.float64).mean(axis=0),
                }
                for b, start in enumerate(starts[a : a + batch_size]):
                    for (kind, j), w in writers.items():
                        w.add_values(chrom, int(start), tracks[kind][b, :, j].astype(np.float32))
                n += len(x)
    log.info("ensemble of %d teachers: %d bins written as %d bigWigs", len(nets), n, len(writers))
    return {"bins": n}


def _test_targets(dataset_h5, crop: int):
    """Observed centre-window test targets {target: (N, crop, T)} and ids, in file order."""
    from degu.assays.profiles import center_crop, read_profile_rows

    data = read_profile_rows(dataset_h5, "Test")
    out = {}
    for k in ("y", "aleatoric", "epistemic"):
        if k in data:
            out[k] = center_crop(data["X"], data[k], crop)[1].astype(np.float64)
    return data["ids"], out


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _read_pred(path, ids_ref, tasks):
    from degu.models.heads import HeadLayout

    arrays = hdf5.read_arrays(path, ["Test/pred", "Test/ids"])
    attrs = hdf5.read_attrs(path)
    ids = np.asarray(arrays["Test/ids"]).astype(str)
    if list(ids) != list(ids_ref):
        raise DeguInputError(f"{path}: its test bins differ from the dataset's (retrain the model?)")
    heads = _json_attr(attrs, "heads", path)
    own_tasks = _json_attr(attrs, "tasks", path)
    if own_tasks != list(tasks):
        raise DeguInputError(f"{path}: tasks {own_tasks} differ from the dataset's {tasks}")
    layout = HeadLayout(tuple(heads), tuple(tasks))
    layout.check(arrays["Test/pred"], str(path))
    return {h: layout.head(arrays["Test/pred"], h).astype(np.float64) for h in heads}


def profile_metrics_job(
    *,
    dataset: str,
    dataset_h5,
    teachers: Mapping[int, str],
    students: Mapping[int, str],
    crop: int,
    student_dataset_h5=None,
    out_csv=None,
) -> pd.DataFrame:
    """``metrics/atac.csv``: whole-test-chromosome Pearson r, per task, over every position of
    the centre windows of all test bins together (the concatenation of the test chromosome(s);
    the order of the bins does not change r), of the mean head against the observed mean track
    and of the aleatoric head against the observed replicate-std track, for each standard model
    (teacher), each DEGU student and the ensemble (mean of the teachers' heads); and of the
    students' epistemic head against what they were trained to predict: the ensemble's epistemic
    track in ``student_dataset_h5`` (without it, the teachers' spread on the centre windows).
    Columns :data:`PROFILE_METRIC_COLUMNS`."""
    from degu.io.atomic import atomic_path

    tasks = _tasks(dataset_h5)
    ids, observed = _test_targets(dataset_h5, crop)
    ids = np.asarray(ids).astype(str)
    preds = {("standard", int(s)): _read_pred(p, ids, tasks) for s, p in teachers.items()} | {
        ("distilled", int(s)): _read_pred(p, ids, tasks) for s, p in students.items()
    }
    if len(teachers) < 2:
        raise ValueError("the ensemble needs at least 2 teachers")
    stack = {
        h: np.stack([preds["standard", int(s)][h] for s in teachers])
        for h in ("mean", "aleatoric")
        if all(h in preds["standard", int(s)] for s in teachers)
    }
    ensemble = {h: v.mean(axis=0) for h, v in stack.items()}
    ensemble_std = stack["mean"].std(axis=0, ddof=0)
    if student_dataset_h5 is not None:
        s_ids, s_targets = _test_targets(student_dataset_h5, crop)
        if list(np.asarray(s_ids).astype(str)) != list(ids):
            raise DeguInputError(f"{student_dataset_h5}: its test bins differ from those of {dataset_h5}")
        ensemble_std = s_targets["epistemic"]
    preds["ensemble", None] = ensemble
    against = {"mean": observed["y"], "aleatoric": observed.get("aleatoric"), "epistemic": ensemble_std}
    rows = []
    for (method, seed), heads in preds.items():
        for head, values in heads.items():
            target = against.get(head)
            if target is None:
                continue
            for j, task in enumerate(tasks):
                a, b = values[..., j], target[..., j]
                rows.append(
                    {
                        "dataset": dataset,
                        "method": method,
                        "seed": seed,
                        "task": task,
                        "head": head,
                        "metric": "pearson",
                        "value": _pearson(a, b),
                        "n_positions": int(a.size),
                    }
                )
    table = pd.DataFrame(rows, columns=PROFILE_METRIC_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    if out_csv is not None:
        with atomic_path(out_csv) as tmp:
            table.to_csv(tmp, index=False)
    return table


ATTRIBUTION_COLUMNS = ["dataset", "task", "method", "seed", "metric", "value", "n_sequences"]


def atac_attribution_job(
    *,
    dataset: str,
    dataset_h5,
    teachers: Mapping[int, str],
    students: Mapping[int, str],
    crop: int,
    n_sequences: int,
    threads: int | None = None,
    deterministic: bool = True,
    batch_size: int = 100,
    out_csv=None,
) -> pd.DataFrame:
    """Attribution consistency of the profile models (Supp. Fig. 1b): saliency maps of the mean
    head reduced to a scalar by its mean over positions
    (:func:`degu.analysis.attribution.profile_saliency`), gradient-corrected, on the centre
    windows of the ``n_sequences`` test bins with the largest observed mean coverage. Rows per
    model: ``rmse`` (mean over sequences of the RMSE to the average map of the standard models,
    as the scalar attribution analysis); per group (standard, distilled): ``variability`` (mean
    over sequences of the spread across seeds). Columns :data:`ATTRIBUTION_COLUMNS`."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=deterministic)
    from degu.analysis.attribution import gradient_correct, profile_saliency, rmse_to_reference, variability
    from degu.assays.profiles import center_crop, read_profile_rows
    from degu.io.atomic import atomic_path
    from degu.models import load_model

    if len(teachers) < 2 or len(students) < 2:
        raise ValueError("attribution consistency needs at least 2 standard models and 2 students")
    tasks = _tasks(dataset_h5)
    data = read_profile_rows(dataset_h5, "Test")
    x, y = center_crop(data["X"].astype(np.float32), data["y"], crop)
    models = {("standard", int(s)): load_model(p) for s, p in teachers.items()}
    models |= {("distilled", int(s)): load_model(p) for s, p in students.items()}
    rows = []
    for j, task in enumerate(tasks):
        top = np.argsort(-y[..., j].mean(axis=1), kind="stable")[: int(n_sequences)]
        maps = {
            key: gradient_correct(profile_saliency(m, x[top], j, batch_size)) for key, m in models.items()
        }
        reference = np.mean([v for (method, _), v in maps.items() if method == "standard"], axis=0)
        for (method, seed), v in maps.items():
            rows.append(
                [dataset, task, method, seed, "rmse", float(rmse_to_reference(v, reference).mean()), len(top)]
            )
        for method in ("standard", "distilled"):
            group = np.stack([v for (m, _), v in maps.items() if m == method])
            rows.append(
                [dataset, task, method, None, "variability", float(variability(group).mean()), len(top)]
            )
    table = pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    if out_csv is not None:
        with atomic_path(out_csv) as tmp:
            table.to_csv(tmp, index=False)
    return table
