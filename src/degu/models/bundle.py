"""Self-describing model bundles: a trained ``.keras`` model with a ``degu.json`` beside it.

A bundle is a directory::

    <bundle>/model.keras   the trained model (loaded in Keras safe mode)
    <bundle>/degu.json     what the model's inputs and outputs are (below)

``degu.json`` (format ``degu-bundle/1``) holds everything needed to apply the model to new
sequences without the pipeline:

* ``kind``: ``"model"`` (one network) or ``"ensemble"`` (no model file; ``members`` lists
  member bundle directories, relative to the ensemble's directory);
* ``model_file`` and its ``sha256``; ``architecture`` and ``model_params`` (the builder's
  arguments, :func:`degu.models.build_model`);
* ``seq_len``, ``alphabet`` (the one-hot channel order, ``"ACGT"``) and ``n_policy`` (how
  ``N`` is encoded: ``"zeros"`` = all-zero row, ``"error"`` = rejected);
* ``adaptors``: ``{"5p": ..., "3p": ...}``, the constant flanks that every sequence of the
  dataset (all splits) shares, e.g. the lentiMPRA library's 15-nt adaptors; ``null`` when
  the sequences share none (STARR-seq). ``degu predict`` then also accepts the element alone
  and adds the adaptors;
* ``tasks`` and ``heads`` (the output layout, as in a model's ``predictions.h5``: columns
  head by head, one per task; ``["mean", "epistemic", "aleatoric"]`` for a DEGU student),
  ``n_outputs``;
* ``target_scaling``: the student's target standardization (already undone inside the saved
  model, recorded for provenance) or ``null``;
* ``source``: run, dataset, assay, fraction, role, method, seed, number of training sequences
  and the predictions file the metadata was read from;
* ``versions``: the package versions installed where the bundle was written (degu,
  tensorflow, keras, numpy, h5py, python) and the Keras version that saved the model file;
* ``conformal`` (only once the calibration analysis has run): ``alpha``, the ``split`` that
  calibrated it (``Cal`` or ``Val``) and its size ``n``, the calibration table, and per
  uncertainty kind (``epistemic``, ``aleatoric``, ``total``) the conformal ``scale`` (the
  factor that replaces ``z = 1.96``; ``null`` for an infinite one) and its ``test_coverage``.

Writing a bundle needs no TensorFlow (:func:`degu.jobs.bundle.bundle_job` reads the model's predictions
attributes, the dataset attributes, the config and the calibration table); reading one
(:func:`load`) checks the metadata and then the model against it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import re
import shutil
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.atomic import atomic_path
from degu.io.encoding import ALPHABET, N_POLICIES
from degu.models.heads import EVIDENTIAL_HEADS, HETEROSCEDASTIC_HEADS

log = logging.getLogger("degu")

BUNDLE_FORMAT = "degu-bundle/1"
META_NAME = "degu.json"
MODEL_NAME = "model.keras"
ENSEMBLE_NAME = "ensemble"
# heads laid out as blocks of one column per task (teachers, DEGU students)
BLOCK_HEADS = ("mean", "epistemic", "aleatoric")
# single-task layouts of the uncertainty baselines
SINGLE_TASK_HEADS = (HETEROSCEDASTIC_HEADS, EVIDENTIAL_HEADS)
UNCERTAINTY_KINDS = ("epistemic", "aleatoric", "total")
VERSIONED_PACKAGES = ("degu", "tensorflow", "keras", "numpy", "h5py")


# ------------------------------------------------------------------ helpers


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict:
    """Installed versions (without importing the packages) and the Python version."""
    out = {}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = None
    out["python"] = platform.python_version()
    return out


def keras_saved_version(model_path) -> str | None:
    """The Keras version recorded in a ``.keras`` file (its ``metadata.json``), or None."""
    import zipfile

    try:
        with zipfile.ZipFile(model_path) as z:
            return json.loads(z.read("metadata.json")).get("keras_version")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def output_width(heads: list[str], tasks: list[str]) -> int:
    """Number of model outputs of a head layout; ValueError for an unknown layout."""
    if tuple(heads) in SINGLE_TASK_HEADS:
        if len(tasks) != 1:
            raise ValueError(f"heads {heads} are single-task, but there are {len(tasks)} tasks")
        return len(heads)
    if not heads or heads[0] != "mean" or len(set(heads)) != len(heads) or set(heads) - set(BLOCK_HEADS):
        raise ValueError(
            f"unknown head layout {heads}; expected 'mean' then any of 'epistemic', 'aleatoric', "
            "or one of " + ", ".join(str(list(k)) for k in SINGLE_TASK_HEADS)
        )
    return len(heads) * len(tasks)


def constant_flanks(dataset_h5, chunk: int = 8192) -> tuple[str, str]:
    """The longest prefix and suffix (A/C/G/T only) that every sequence of every split of a
    prepared dataset shares: the library's constant adaptors. ``("", "")`` if none."""
    import h5py

    from degu.io.encoding import decode

    ref, same = None, None
    with h5py.File(dataset_h5, "r") as f:
        for split in (s for s in (*hdf5.SPLITS, hdf5.CAL) if s in f):
            xs = f[split]["X"]
            for i in range(0, len(xs), chunk):
                x = xs[i : i + chunk]
                if ref is None and len(x):
                    ref = x[0]
                    same = ref.sum(axis=-1) == 1  # a base, not N
                if len(x):
                    same &= (x == ref).all(axis=(0, 2))
    if ref is None:
        return "", ""
    length = len(same)
    p = length if same.all() else int(np.argmin(same))
    q = length if same.all() else int(np.argmin(same[::-1]))
    if p + q >= length:  # every sequence identical: nothing to call an adaptor
        return "", ""
    seq = decode(ref[None])[0]
    return seq[:p], seq[length - q :]


# ------------------------------------------------------------------ validation


def _fail(where, key: str, what: str) -> DeguInputError:
    return DeguInputError(f"{where}: key '{key}' {what}")


def _get(meta: dict, key: str, where, check, what: str, prefix: str = ""):
    if not isinstance(meta, dict) or key not in meta:
        raise DeguInputError(f"{where}: missing key '{prefix}{key}'")
    value = meta[key]
    if not check(value):
        raise _fail(where, prefix + key, f"must be {what}, got {json.dumps(value)}")
    return value


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_str_list(v) -> bool:
    return isinstance(v, list) and len(v) > 0 and all(isinstance(s, str) and s for s in v)


def _is_bases(v) -> bool:
    return isinstance(v, str) and re.fullmatch("[ACGT]*", v) is not None


def validate_metadata(meta, where) -> dict:
    """Check a bundle's metadata; every problem is one ``DeguInputError`` line naming
    ``where`` (the file) and the key. Returns ``meta``."""
    if not isinstance(meta, dict):
        raise DeguInputError(f"{where}: expected a JSON object, got {type(meta).__name__}")
    fmt = _get(meta, "format", where, lambda v: isinstance(v, str), "a string")
    if fmt != BUNDLE_FORMAT:
        raise _fail(where, "format", f"is {fmt!r}; this degu reads {BUNDLE_FORMAT!r}")
    kind = _get(meta, "kind", where, lambda v: v in ("model", "ensemble"), "'model' or 'ensemble'")
    tasks = _get(meta, "tasks", where, _is_str_list, "a non-empty list of task names")
    heads = _get(meta, "heads", where, _is_str_list, "a non-empty list of head names")
    try:
        width = output_width(heads, tasks)
    except ValueError as exc:
        raise _fail(where, "heads", str(exc)) from None
    seq_len = _get(meta, "seq_len", where, lambda v: _is_int(v) and v > 0, "a positive integer")
    _get(meta, "alphabet", where, lambda v: v == ALPHABET, f"'{ALPHABET}' (the one-hot channel order)")
    _get(meta, "n_policy", where, lambda v: v in N_POLICIES, f"one of {list(N_POLICIES)}")
    adaptors = _get(
        meta,
        "adaptors",
        where,
        lambda v: (
            v is None
            or (isinstance(v, dict) and set(v) == {"5p", "3p"} and _is_bases(v["5p"]) and _is_bases(v["3p"]))
        ),
        'null or {"5p": bases, "3p": bases} (A/C/G/T)',
    )
    if adaptors is not None and len(adaptors["5p"]) + len(adaptors["3p"]) >= seq_len:
        raise _fail(where, "adaptors", f"are as long as or longer than seq_len {seq_len}")
    _get(meta, "source", where, lambda v: isinstance(v, dict), "an object")
    _get(meta, "versions", where, lambda v: isinstance(v, dict), "an object")
    if kind == "model":
        name = _get(meta, "model_file", where, lambda v: isinstance(v, str) and v, "a file name")
        if Path(name).name != name:
            raise _fail(where, "model_file", f"must be a file name beside {META_NAME}, got {name!r}")
        _get(
            meta,
            "sha256",
            where,
            lambda v: isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v),
            "64 lowercase hex digits",
        )
        _get(meta, "architecture", where, lambda v: isinstance(v, str) and v, "a string")
        _get(meta, "model_params", where, lambda v: isinstance(v, dict), "an object")
        n_out = _get(meta, "n_outputs", where, lambda v: _is_int(v) and v > 0, "a positive integer")
        if n_out != width:
            raise _fail(where, "n_outputs", f"is {n_out}, but heads {heads} x tasks {tasks} give {width}")
        _get(meta, "target_scaling", where, lambda v: v is None or isinstance(v, dict), "null or an object")
    else:
        _get(
            meta,
            "members",
            where,
            lambda v: _is_str_list(v) and len(v) >= 2,
            "a list of at least 2 member bundle directories",
        )
    if "conformal" in meta:
        conf = meta["conformal"]
        if not isinstance(conf, dict):
            raise _fail(where, "conformal", f"must be an object, got {json.dumps(conf)}")
        p = "conformal."
        _get(conf, "alpha", where, lambda v: isinstance(v, int | float) and 0 < v < 1, "in (0, 1)", p)
        _get(conf, "split", where, lambda v: isinstance(v, str) and v, "a split name", p)
        _get(conf, "n", where, lambda v: _is_int(v) and v > 0, "a positive integer", p)
        scales = _get(
            conf,
            "scale",
            where,
            lambda v: isinstance(v, dict) and v and set(v) <= set(UNCERTAINTY_KINDS),
            f"an object with some of the keys {list(UNCERTAINTY_KINDS)}",
            p,
        )
        for k in scales:
            _get(
                scales,
                k,
                where,
                lambda v: v is None or (isinstance(v, int | float) and v >= 0 and math.isfinite(v)),
                "a non-negative number or null (infinite)",
                "conformal.scale.",
            )
        if len(tasks) != 1:
            raise _fail(where, "conformal", f"is for single-task models; this one has tasks {tasks}")
    return meta


# ------------------------------------------------------------------ reading


def metadata_path(path) -> Path:
    """``degu.json`` of a bundle given as its directory, its ``degu.json`` or its model file."""
    path = Path(path)
    if path.is_dir():
        meta = path / META_NAME
    elif path.name == META_NAME or path.suffix == ".keras":
        meta = path if path.name == META_NAME else path.with_name(META_NAME)
        if not path.exists():
            raise DeguInputError(f"{path}: file not found")
    elif not path.exists():
        raise DeguInputError(f"{path}: no such bundle directory or file")
    else:
        raise DeguInputError(
            f"{path}: not a model bundle (give its directory, its {META_NAME} or its .keras)"
        )
    if not meta.is_file():
        raise DeguInputError(
            f"{meta}: file not found ({path} is not a DEGU model bundle: a {META_NAME} must be beside the model)"
        )
    return meta


def read_metadata(path) -> dict:
    """The validated ``degu.json`` of a bundle (directory, ``degu.json`` or ``.keras`` path)."""
    meta_file = metadata_path(path)
    try:
        text = meta_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DeguInputError(f"{meta_file}: not UTF-8 text ({exc.reason})") from None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeguInputError(
            f"{meta_file}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    return validate_metadata(meta, meta_file)


def _model_file(path, meta: dict) -> Path:
    path = Path(path)
    if path.suffix == ".keras" and not path.is_dir() and path.name != meta["model_file"]:
        raise DeguInputError(
            f"{path}: the {META_NAME} beside it describes '{meta['model_file']}' (key 'model_file')"
        )
    return metadata_path(path).parent / meta["model_file"]


def load(path):
    """Load a single-model bundle: ``(keras model, metadata)``.

    The model file must match the recorded ``sha256``; it is loaded in Keras safe mode
    (:func:`degu.models.load_model`) and its input shape and output width must match
    ``seq_len`` (4 channels) and ``n_outputs``.
    """
    meta_file = metadata_path(path)
    meta = read_metadata(meta_file)
    if meta["kind"] != "model":
        raise DeguInputError(
            f"{meta_file}: key 'kind' is {meta['kind']!r}; load its members with degu.models.bundle.load_ensemble"
        )
    model_path = _model_file(path, meta)
    if not model_path.is_file():
        raise DeguInputError(f"{model_path}: file not found (named by {meta_file}, key 'model_file')")
    digest = sha256_file(model_path)
    if digest != meta["sha256"]:
        raise DeguInputError(
            f"{model_path}: sha256 {digest[:12]}... does not match {meta_file} (key 'sha256': "
            f"{meta['sha256'][:12]}...); the model file was changed after the bundle was written"
        )
    from degu.models import load_model

    try:
        model = load_model(model_path)
    except Exception as exc:  # noqa: BLE001 - any Keras/zip error: one line naming the file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DeguInputError(f"{model_path}: cannot load in Keras safe mode: {first}") from exc
    shape = tuple(model.input_shape[1:])
    if shape != (meta["seq_len"], len(meta["alphabet"])):
        raise DeguInputError(
            f"{model_path}: model input shape {shape} does not match {meta_file} "
            f"(keys 'seq_len' {meta['seq_len']} and 'alphabet' {meta['alphabet']!r})"
        )
    width = model.output_shape[-1]
    if width != meta["n_outputs"]:
        raise DeguInputError(
            f"{model_path}: model has {width} outputs, but {meta_file} says {meta['n_outputs']} "
            f"(key 'n_outputs': heads {meta['heads']} x tasks {meta['tasks']})"
        )
    return model, meta


COMPATIBLE_KEYS = ("tasks", "seq_len", "alphabet", "n_policy", "adaptors")


def check_compatible(metas: list[dict], names: list[str], what: str = "ensemble members") -> None:
    """All ``metas`` describe the same inputs and tasks (keys :data:`COMPATIBLE_KEYS`)."""
    for key in COMPATIBLE_KEYS:
        for meta, name in zip(metas[1:], names[1:], strict=True):
            if meta[key] != metas[0][key]:
                raise DeguInputError(
                    f"{what} differ in key '{key}': {names[0]} has {json.dumps(metas[0][key])}, "
                    f"{name} has {json.dumps(meta[key])}"
                )


def load_ensemble(path):
    """Load an ensemble bundle: ``([(model, member metadata)], ensemble metadata)``."""
    meta_file = metadata_path(path)
    meta = read_metadata(meta_file)
    if meta["kind"] != "ensemble":
        raise DeguInputError(f"{meta_file}: key 'kind' is {meta['kind']!r}, not 'ensemble'")
    members = []
    for rel in meta["members"]:
        member = (meta_file.parent / rel).resolve()
        if not member.is_dir():
            raise DeguInputError(f"{meta_file}: key 'members': {rel} is not a directory ({member})")
        members.append(load(member))
    check_compatible(
        [meta] + [m for _, m in members],
        [str(meta_file)] + [str((meta_file.parent / r).resolve() / META_NAME) for r in meta["members"]],
        "an ensemble bundle and its members",
    )
    return members, meta


# ------------------------------------------------------------------ writing


def write_metadata(path, meta: dict) -> None:
    """Write ``meta`` as JSON to ``path`` (atomically; NaN/inf refused)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _attr_json(attrs: dict, key: str, source):
    if key not in attrs:
        raise DeguInputError(f"{source}: no '{key}' attribute (written by an older degu? retrain the model)")
    value = attrs[key]
    return json.loads(value) if isinstance(value, str | bytes) else value


def model_metadata(
    *,
    model_path,
    predictions_h5,
    dataset_h5,
    dataset: str,
    architecture: str,
    model_params: dict,
    run: str | None = None,
    conformal: dict | None = None,
    adaptors: tuple[str, str] | None = None,
) -> dict:
    """``degu.json`` of one trained model, from its predictions attributes (tasks, heads,
    target scaling, role, seed), the dataset attributes (length, alphabet, N policy) and the
    config (architecture, model parameters). No TensorFlow."""
    attrs = hdf5.read_attrs(predictions_h5)
    ds = hdf5.read_attrs(dataset_h5)
    tasks = _attr_json(attrs, "tasks", predictions_h5)
    heads = _attr_json(attrs, "heads", predictions_h5)
    ds_tasks = _attr_json(ds, "tasks", dataset_h5)
    if tasks != ds_tasks:
        raise DeguInputError(f"{predictions_h5}: tasks {tasks} differ from those of {dataset_h5}: {ds_tasks}")
    scaling = _attr_json(attrs, "target_scaling", predictions_h5) if "target_scaling" in attrs else {}
    p5, p3 = constant_flanks(dataset_h5) if adaptors is None else adaptors
    meta = {
        "format": BUNDLE_FORMAT,
        "kind": "model",
        "model_file": MODEL_NAME,
        "sha256": sha256_file(model_path),
        "architecture": architecture,
        "model_params": dict(model_params or {}),
        "seq_len": int(ds["seq_len"]),
        "alphabet": str(ds["alphabet"]),
        "n_policy": str(ds["n_policy"]),
        "adaptors": {"5p": p5, "3p": p3} if (p5 or p3) else None,
        "tasks": tasks,
        "heads": heads,
        "n_outputs": output_width(heads, tasks),
        "target_scaling": scaling or None,
        "source": {
            "run": run,
            "dataset": dataset,
            "assay": str(ds["assay"]) if "assay" in ds else None,
            "fraction": float(attrs["fraction"]),
            "role": str(attrs["role"]),
            "method": str(attrs["method"]),
            "seed": int(attrs["seed"]),
            "n_train": int(attrs["n_train"]) if "n_train" in attrs else None,
            "predictions": str(predictions_h5),
        },
        "versions": {**package_versions(), "keras_saved": keras_saved_version(model_path)},
    }
    if conformal is not None:
        meta["conformal"] = conformal
    return validate_metadata(meta, f"metadata of {model_path}")


def conformal_entry(
    table, calibration_csv, *, dataset: str, method: str, seed: int | None, alpha: float, split: str
) -> dict:
    """The conformal scales of one model or ensemble from the calibration table
    (``metrics/calibration/<dataset>.csv``, :func:`degu.jobs.calibration_job`)."""
    rows = table[(table["dataset"] == dataset) & (table["method"] == method)]
    rows = rows[rows["seed"].isna()] if seed is None else rows[rows["seed"] == seed]
    if rows.empty:
        raise DeguInputError(
            f"{calibration_csv}: no row for dataset {dataset!r}, method {method!r}, seed {seed} "
            "(the calibration analysis did not include this model)"
        )
    scale, coverage = {}, {}
    for row in rows.itertuples():
        s = float(row.conformal_scale)
        scale[row.kind] = s if math.isfinite(s) else None
        coverage[row.kind] = float(row.coverage_conformal)
    return {
        "alpha": float(alpha),
        "split": split,
        "n": int(rows["n_cal"].iloc[0]),
        "table": str(calibration_csv),
        "method": method,
        "scale": scale,
        "test_coverage": coverage,
    }


def write_bundle(out_dir, model_path, meta: dict) -> Path:
    """Copy ``model_path`` to ``out_dir/model.keras`` and write ``out_dir/degu.json``."""
    out_dir = Path(out_dir)
    with atomic_path(out_dir / MODEL_NAME) as tmp:
        shutil.copyfile(model_path, tmp)
    if sha256_file(out_dir / MODEL_NAME) != meta["sha256"]:
        raise DeguInputError(f"{model_path}: changed while the bundle was written")
    write_metadata(out_dir / META_NAME, meta)
    return out_dir


def ensemble_metadata(members: dict[str, dict], *, run=None, conformal: dict | None = None) -> dict:
    """``degu.json`` of an ensemble of the member bundles ``{relative dir: metadata}``."""
    names, metas = list(members), list(members.values())
    check_compatible(metas, names)
    heads = list(metas[0]["heads"])
    for name, m in zip(names, metas, strict=True):
        if m["heads"] != heads:
            raise DeguInputError(
                f"ensemble members differ in key 'heads': {names[0]} has {heads}, {name} has {m['heads']}"
            )
    meta = {
        "format": BUNDLE_FORMAT,
        "kind": "ensemble",
        "members": names,
        **{k: metas[0][k] for k in COMPATIBLE_KEYS},
        "heads": heads,
        "source": {
            "run": run,
            "dataset": metas[0]["source"].get("dataset"),
            "fraction": metas[0]["source"].get("fraction"),
            "method": "ensemble",
            "member_seeds": [m["source"].get("seed") for m in metas],
            "std_ddof": 0,
        },
        "versions": package_versions(),
    }
    if conformal is not None:
        meta["conformal"] = conformal
    return validate_metadata(meta, "ensemble metadata")


def write_ensemble(out_dir, members: list, *, run=None, conformal: dict | None = None) -> Path:
    """Write ``out_dir/degu.json``: an ensemble of the bundles ``members`` (directories, stored
    relative to ``out_dir``); returns ``out_dir``."""
    out_dir = Path(out_dir)
    rel = {os.path.relpath(Path(m).resolve(), out_dir.resolve()): read_metadata(m) for m in members}
    write_metadata(out_dir / META_NAME, ensemble_metadata(rel, run=run, conformal=conformal))
    return out_dir


__all__ = [
    "BUNDLE_FORMAT",
    "META_NAME",
    "load",
    "load_ensemble",
    "model_metadata",
    "read_metadata",
    "validate_metadata",
    "write_bundle",
    "write_ensemble",
]
