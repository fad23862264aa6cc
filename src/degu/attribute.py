"""``degu attribute``: gradient-corrected saliency or DeepSHAP maps of any sequences.

The same models, inputs and checks as ``degu predict`` (:mod:`degu.predict`: a bundle, an
ensemble bundle or several bundles; FASTA or a table; the model's length, alphabet, N policy and
adaptors). An ensemble's map is the average of its members' corrected maps, the reference map
of the attribution analysis (docs/attribution.md).

Output: an HDF5 file with ``ids`` (n,), ``x`` (n, L, 4) uint8 (the one-hot model inputs) and
``maps`` (n, L, 4) float32, and attributes ``format`` (``degu-attribute/1``), ``method``,
``head``, ``task``, ``models`` and, for DeepSHAP, the background and the largest additivity
error. With ``--logos`` the first ``n_logos`` sequences are drawn as logos (the map at the
observed base) into one PDF.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from degu.errors import DeguInputError
from degu.predict import InputRules, iter_records, open_models

ATTRIBUTE_FORMAT = "degu-attribute/1"
METHODS = ("saliency", "deepshap")


def _column(meta: dict, head: str, task: str | None) -> tuple[int, str]:
    from degu.models.heads import HeadLayout

    layout = HeadLayout(meta["heads"], meta["tasks"])
    if head not in layout:
        raise DeguInputError(f"--head {head}: the model has heads {list(layout.heads)}")
    if task is None:
        if layout.n_tasks > 1:
            raise DeguInputError(f"--task is needed: the model has tasks {list(layout.tasks)}")
        task = layout.tasks[0]
    if task not in layout.tasks:
        raise DeguInputError(f"--task {task}: the model has tasks {list(layout.tasks)}")
    return layout.columns(head).start + layout.tasks.index(task), task


def _read(path, rules: InputRules, id_column, sequence_column) -> tuple[list[str], np.ndarray]:
    from degu.io.encoding import one_hot

    records = list(iter_records(path, rules, id_column, sequence_column))
    if not records:
        raise DeguInputError(f"{path}: no records found")
    return [r for r, _ in records], one_hot([s for _, s in records], n_policy=rules.n_policy)


def attribute_file(
    models: list,
    input_path,
    out,
    *,
    head: str = "mean",
    task: str | None = None,
    method: str = "saliency",
    background=None,
    n_background: int = 100,
    background_seed: int = 1234,
    batch_size: int | None = None,
    logos=None,
    n_logos: int = 5,
    id_column: str | None = None,
    sequence_column: str | None = None,
    threads: int | None = None,
) -> dict:
    """Write the corrected maps of ``head`` (and ``task``) for every record of ``input_path``.

    DeepSHAP's background: the records of ``background`` (a FASTA or table, checked like the
    input), else ``n_background`` records of the input drawn with ``background_seed`` (numpy
    ``default_rng``, without replacement). Returns a summary (n, method, head, task, seconds
    per sequence, additivity error)."""
    if method not in METHODS:
        raise DeguInputError(f"--method {method}: choose one of {', '.join(METHODS)}")
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=True)
    from degu.analysis.attribution import attribute, background_indices

    predictor = open_models(models)
    if predictor.is_ensemble and head != "mean":
        raise DeguInputError(
            f"--head {head}: an ensemble is explained through its members' activity head only"
        )
    rules = InputRules.of(predictor.meta)
    ids, x = _read(input_path, rules, id_column, sequence_column)
    bg = None
    if method == "deepshap":
        if background is not None:
            bg = _read(background, rules, None, None)[1]
        else:
            bg = x[background_indices(len(x), n_background, background_seed)]
    maps, seconds, additivity = [], 0.0, 0.0
    for model, meta in zip(predictor.models, predictor.metas, strict=True):
        column, task_name = _column(meta, head, task)
        m, info = attribute(model, x.astype(np.float32), column, method, background=bg, batch_size=batch_size)
        maps.append(m)
        seconds += info["seconds_per_sequence"]
        additivity = max(additivity, float(info["additivity_max_error"]) if method == "deepshap" else 0.0)
    result = np.mean(maps, axis=0, dtype=np.float32) if len(maps) > 1 else maps[0]
    from degu.io import hdf5

    attrs = {
        "format": ATTRIBUTE_FORMAT,
        "method": method,
        "head": head,
        "task": task_name,
        "models": json.dumps(predictor.names),
        "corrected": "gradient correction: the per-position mean over the 4 channels subtracted",
    }
    if method == "deepshap":
        attrs["n_background"] = int(len(bg))
        attrs["additivity_max_error"] = additivity
    hdf5.write_arrays(
        out, {"ids": np.asarray(ids, dtype=object), "x": x.astype(np.uint8), "maps": result}, attrs=attrs
    )
    if logos is not None:
        draw_logos(
            result[:n_logos], x[:n_logos], ids[:n_logos], logos, title=f"{method}, {head} head, {task_name}"
        )
    return {
        "n": len(ids),
        "method": method,
        "head": head,
        "task": task_name,
        "seconds_per_sequence": seconds,
        "additivity_max_error": additivity if method == "deepshap" else None,
        "n_models": len(maps),
    }


def draw_logos(maps: np.ndarray, x: np.ndarray, ids: list[str], path, title: str = "") -> None:
    """One logo per sequence (the map at the observed base, logomaker), into one PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import logomaker
    import matplotlib.pyplot as plt
    import pandas as pd

    from degu.io.atomic import atomic_path

    n = len(maps)
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, maps.shape[1] / 25), 1.6 * n), squeeze=False)
    for ax, m, xi, rid in zip(axes[:, 0], maps, x, ids, strict=True):
        logomaker.Logo(pd.DataFrame(m * xi, columns=list("ACGT")), ax=ax, color_scheme="classic")
        ax.set_title(f"{rid}  ({title})", fontsize=8, loc="left")
        ax.set_ylabel("score", fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="pdf")
    plt.close(fig)


def summary_line(summary: dict, out) -> str:
    where = Path(out)
    extra = (
        f"; DeepSHAP additivity error <= {summary['additivity_max_error']:.2g}"
        if summary["additivity_max_error"] is not None
        else ""
    )
    models = f"{summary['n_models']} models (their average)" if summary["n_models"] > 1 else "1 model"
    return (
        f"degu attribute: {summary['n']} sequences -> {where} ({summary['method']}, {summary['head']} head, "
        f"task {summary['task']}, {models}, {summary['seconds_per_sequence']:.3g} s/sequence{extra})"
    )
