"""Attribution analysis (rules/attribution.smk; Fig. 4, Supp. Figs. 6 and 7, issue 12).

``attribution_maps_job`` explains one trained model (teacher or student) on the test
sequences with the largest observed activity per task; ``attribution_metrics_job`` compares
the maps of the standard models, the DEGU students and the ensemble average, and scores them
against the motifs the simulator planted where a ground truth exists.

Maps file (``attribution/<dataset>/frac<f>/<role>/seed<s>.h5``, format ``degu-attribution/1``):

* ``<task>/indices`` (n,): the explained Test-split rows, largest observed activity first;
* ``<task>/<method>/<head>`` (n, L, 4) float16: gradient-corrected maps of the output column
  (``head``, ``task``): ``mean`` (the activity head) for every model, ``epistemic`` for
  students (beyond the paper);
* ``background`` (b,): the Test rows used as the DeepSHAP background;
* attributes: dataset, role, seed, model, sha256, tasks, methods, heads, and ``info`` (JSON:
  ``{"<task>/<method>/<head>": {seconds_per_sequence, additivity_max_error}}``).

As in the paper, a standard model's RMSE is measured against an ensemble average that includes
its own map (a bias towards standard models that grows as the ensemble shrinks: 1/M of the
reference is the model itself); ``rmse_leave_one_out`` adds, for standard models only, the RMSE
to the average of the other standard models.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.encoding import decode
from degu.jobs._common import prediction_attrs

MAPS_FORMAT = "degu-attribution/1"
#: the metrics that compare the two groups, and the test each one takes (issue 12, paper Methods)
GROUP_METRICS = ("rmse", "rmse_normalized", "variability", "variability_normalized")


def attribution_maps_job(
    *,
    dataset_h5,
    model_meta,
    out_h5,
    methods: list[str],
    n_sequences: int,
    n_background: int,
    background_seed: int,
    uncertainty_heads: bool = True,
    saliency_batch_size: int = 1000,
    deepshap_batch_size: int = 50,
    threads: int | None = None,
) -> None:
    """Corrected saliency and/or DeepSHAP maps of one model (a bundle's ``degu.json``)."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=True)
    from degu.analysis.attribution import attribute, background_indices, top_sequences
    from degu.models import bundle
    from degu.models.heads import HeadLayout

    model, meta = bundle.load(model_meta)
    layout = HeadLayout(meta["heads"], meta["tasks"])
    heads = ["mean"] + (["epistemic"] if uncertainty_heads and "epistemic" in layout else [])
    test = hdf5.read_split(dataset_h5, "Test")
    tasks = hdf5.dataset_tasks(dataset_h5)
    if list(tasks) != list(meta["tasks"]):
        raise DeguInputError(f"{model_meta}: tasks {meta['tasks']} differ from {dataset_h5}'s {tasks}")
    x_all = test.X.astype(np.float32)
    bg = background_indices(len(x_all), n_background, background_seed)
    arrays: dict[str, np.ndarray] = {"background": bg}
    info: dict[str, dict] = {}
    for j, task in enumerate(tasks):
        idx = top_sequences(test.y[:, j], n_sequences)
        arrays[f"{task}/indices"] = idx
        x = x_all[idx]
        for head in heads:
            column = layout.columns(head).start + j
            for method in methods:
                batch = saliency_batch_size if method == "saliency" else deepshap_batch_size
                maps, stats = attribute(model, x, column, method, background=x_all[bg], batch_size=batch)
                arrays[f"{task}/{method}/{head}"] = maps.astype(np.float16)
                info[f"{task}/{method}/{head}"] = {
                    "seconds_per_sequence": float(stats["seconds_per_sequence"]),
                    "additivity_max_error": float(stats["additivity_max_error"]),
                }
    source = meta.get("source", {})
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs=prediction_attrs(
            format=MAPS_FORMAT,
            dataset=str(source.get("dataset", "")),
            role=str(source.get("role", "")),
            seed=int(source.get("seed", -1)),
            model=str(Path(model_meta)),
            sha256=meta["sha256"],
            tasks=list(tasks),
            methods=list(methods),
            heads=heads,
            n_background=len(bg),
            background_seed=int(background_seed),
            info=json.dumps(info, sort_keys=True),
        ),
        compression="gzip",
    )


# ------------------------------------------------------------------------------ metrics


def read_maps(path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(attrs, arrays)`` of a maps file, checked: its format, the attributes the metrics need
    (``tasks``, ``methods``, ``info``), and for every task and method the indices, the activity
    head's maps and its timing entry. Every problem is one line naming the file."""
    attrs = hdf5.read_attrs(path)
    if attrs.get("format") != MAPS_FORMAT:
        raise DeguInputError(
            f"{path}: not a {MAPS_FORMAT} file (attribute 'format' is {attrs.get('format')!r})"
        )
    try:
        for key in ("tasks", "methods", "info"):
            attrs[key] = json.loads(attrs[key])
    except KeyError as exc:
        raise DeguInputError(f"{path}: attribute {exc} missing") from None
    except ValueError as exc:
        raise DeguInputError(f"{path}: attribute is not JSON: {exc}") from None
    arrays = hdf5.read_arrays(path)
    for task in attrs["tasks"]:
        needed = [f"{task}/indices"] + [f"{task}/{m}/mean" for m in attrs["methods"]]
        missing = [k for k in needed if k not in arrays]
        missing += [f"info[{m!r}]" for m in needed[1:] if m not in attrs["info"]]
        if missing:
            raise DeguInputError(f"{path}: missing {', '.join(missing)}")
    return attrs, arrays


def _read_truth(truth: dict) -> dict:
    """The simulator's planted instances of the Test split and the motif widths, read once."""
    from degu.assays.simulate import motif_widths, planted_instances

    return {
        "planted": planted_instances(truth["tsv"], truth["assay"], split="Test"),
        "widths": motif_widths(truth["assay"]),
    }


def _truth_masks(truth: dict, read: dict, ids: list[str], task: str, length: int) -> tuple[np.ndarray, list]:
    """Boolean masks (n, L) of the planted instances of the motifs that act on ``task``, and
    those instances per sequence as (motif, start, end, strand)."""
    from degu.analysis.attribution import motif_mask
    from degu.assays.simulate import functional_motifs, truth_key

    planted, widths = read["planted"], read["widths"]
    keep = functional_motifs(truth["assay"], task, truth.get("cell_type"))
    masks, listed = [], []
    for rid in ids:
        key = truth_key(rid, planted)
        if key is None:
            raise DeguInputError(f"{truth['tsv']}: no ground truth for test record '{rid}'")
        try:
            masks.append(motif_mask(planted[key], widths, length, keep))
        except DeguInputError as exc:
            raise DeguInputError(f"{truth['tsv']}: record '{key}': {exc}") from None
        inst = []
        for item in filter(None, planted[key].split(";")):
            name, start, strand = item.split(":")
            if name in keep:
                inst.append((name, int(start), int(start) + widths[name], strand))
        listed.append(inst)
    return np.asarray(masks, dtype=bool), listed


def _stack(files: dict[int, tuple[dict, dict]], key: str) -> tuple[list[int], np.ndarray]:
    seeds = sorted(files)
    return seeds, np.stack([files[s][1][key].astype(np.float32) for s in seeds])


def dataset_attribution_rows(
    dataset: str,
    dataset_h5,
    teachers: dict[int, str],
    students: dict[int, str],
    truth: dict | None,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Metric rows, example-map rows and example-motif rows of one dataset."""
    from degu.analysis.attribution import (
        group_tests,
        motif_recovery,
        normalize_max_abs,
        rmse_to_reference,
        variability,
    )

    std = {int(s): read_maps(p) for s, p in teachers.items()}
    dis = {int(s): read_maps(p) for s, p in students.items()}
    if len(std) < 2 or len(dis) < 2:
        raise DeguInputError(f"attribution of {dataset}: need at least 2 standard models and 2 students")
    first_attrs = next(iter(std.values()))[0]
    tasks, methods = first_attrs["tasks"], first_attrs["methods"]
    for path, (attrs, _) in zip(
        [*teachers.values(), *students.values()], [*std.values(), *dis.values()], strict=True
    ):
        if attrs["tasks"] != tasks or attrs["methods"] != methods:
            raise DeguInputError(
                f"{path}: tasks {attrs['tasks']} and methods {attrs['methods']} differ from those of "
                f"{next(iter(teachers.values()))} ({tasks}, {methods})"
            )
    test = hdf5.read_split(dataset_h5, "Test")
    if truth is not None:
        from degu.models.bundle import constant_flanks

        lo, hi = (len(f) for f in constant_flanks(dataset_h5))
        truth_read = _read_truth(truth)
    rows, example, motifs = [], [], []

    def row(task, method, attribution, metric, value, seed="", sequence=""):
        rows.append(
            {
                "dataset": dataset,
                "task": task,
                "method": method,
                "attribution": attribution,
                "seed": seed,
                "sequence": sequence,
                "metric": metric,
                "value": float(value),
            }
        )

    for task in tasks:
        idx = next(iter(std.values()))[1][f"{task}/indices"]
        for group in (std, dis):
            for seed, (_, arr) in group.items():
                if not np.array_equal(arr[f"{task}/indices"], idx):
                    raise DeguInputError(
                        f"{dataset}: the maps of seed {seed} explain other sequences for task {task}"
                    )
        x = test.X[idx].astype(np.float32)
        ids = list(test.ids[idx])
        masks, listed = (None, None)
        if truth is not None:
            masks, listed = _truth_masks(truth, truth_read, ids, task, x.shape[1])
            # the constant adaptors (identical in every sequence) are never motifs, and DeepSHAP
            # gives them exactly 0 against a background that carries them too: score only the
            # positions that vary (the 200-nt element of a lentiMPRA record)
            scored = slice(lo, x.shape[1] - hi)
        for method in methods:
            key = f"{task}/{method}/mean"
            s_seeds, s_maps = _stack(std, key)
            d_seeds, d_maps = _stack(dis, key)
            reference = s_maps.mean(axis=0)
            s_norm, d_norm = normalize_max_abs(s_maps), normalize_max_abs(d_maps)
            reference_norm = s_norm.mean(axis=0)
            per_model = {}
            for name, seeds_, maps, norm in (
                ("standard", s_seeds, s_maps, s_norm),
                ("distilled", d_seeds, d_maps, d_norm),
            ):
                group = std if name == "standard" else dis
                per_model[name] = {"rmse": [], "rmse_normalized": []}
                for k, seed in enumerate(seeds_):
                    r = rmse_to_reference(maps[k], reference).mean()
                    rn = rmse_to_reference(norm[k], reference_norm).mean()
                    per_model[name]["rmse"].append(r)
                    per_model[name]["rmse_normalized"].append(rn)
                    row(task, name, method, "rmse", r, seed)
                    row(task, name, method, "rmse_normalized", rn, seed)
                    if name == "standard":  # the paper's reference includes the model itself
                        others = np.delete(maps, k, axis=0).mean(axis=0)
                        row(
                            task,
                            name,
                            method,
                            "rmse_leave_one_out",
                            rmse_to_reference(maps[k], others).mean(),
                            seed,
                        )
                    stats = group[seed][0]["info"][key]
                    row(task, name, method, "seconds_per_sequence", stats["seconds_per_sequence"], seed)
                    if method == "deepshap":
                        row(task, name, method, "additivity_max_error", stats["additivity_max_error"], seed)
                    if masks is not None:
                        auroc, auprc = motif_recovery(maps[k][:, scored], x[:, scored], masks[:, scored])
                        row(task, name, method, "auroc", np.nanmean(auroc), seed)
                        row(task, name, method, "auprc", np.nanmean(auprc), seed)
                var = variability(maps)
                var_n = variability(norm)
                per_model[name]["variability"] = var
                per_model[name]["variability_normalized"] = var_n
                for i, seq in enumerate(idx):
                    row(task, name, method, "variability", var[i], sequence=int(seq))
                    row(task, name, method, "variability_normalized", var_n[i], sequence=int(seq))
            if masks is not None:
                auroc, auprc = motif_recovery(reference[:, scored], x[:, scored], masks[:, scored])
                row(task, "ensemble", method, "auroc", np.nanmean(auroc))
                row(task, "ensemble", method, "auprc", np.nanmean(auprc))
            for suffix in ("", "_normalized"):
                tests = group_tests(
                    per_model["standard"][f"rmse{suffix}"],
                    per_model["distilled"][f"rmse{suffix}"],
                    per_model["standard"][f"variability{suffix}"],
                    per_model["distilled"][f"variability{suffix}"],
                )
                for stat, value in tests.items():
                    metric, kind = stat.rsplit("_", 1)
                    row(task, "distilled_vs_standard", method, f"{metric}{suffix}_{kind}", value)
            # the example: the task's highest-activity test sequence
            panels = [
                ("standard", s_seeds[0], s_maps[0, 0]),
                ("distilled", d_seeds[0], d_maps[0, 0]),
                ("ensemble", "", reference[0]),
            ]
            epi = f"{task}/{method}/epistemic"
            if epi in dis[d_seeds[0]][1]:
                panels.append(
                    ("distilled_epistemic", d_seeds[0], dis[d_seeds[0]][1][epi][0].astype(np.float32))
                )
            bases = decode(x[:1])[0]
            for panel, seed, m in panels:
                for p in range(m.shape[0]):
                    example.append(
                        {
                            "dataset": dataset,
                            "task": task,
                            "attribution": method,
                            "panel": panel,
                            "seed": seed,
                            "sequence": int(idx[0]),
                            "position": p,
                            "base": bases[p],
                            **{b: float(m[p, c]) for c, b in enumerate("ACGT")},
                        }
                    )
        if listed is not None:
            for name, start, end, strand in listed[0]:
                motifs.append(
                    {
                        "dataset": dataset,
                        "task": task,
                        "sequence": int(idx[0]),
                        "motif": name,
                        "start": start,
                        "end": end,
                        "strand": strand,
                    }
                )
    return rows, example, motifs


def attribution_metrics_job(*, datasets: dict[str, dict], out_csv, example_csv, motifs_csv) -> None:
    """``metrics/attribution.csv`` (tidy), the example maps of Fig. 4a and the planted motifs of
    the example sequences, from every dataset's maps files.

    ``datasets``: ``{name: {"dataset_h5", "teachers": {seed: maps.h5}, "students": {seed: maps.h5},
    "truth": None | {"tsv", "assay", "cell_type"}}}``.
    """
    import pandas as pd

    from degu.io.atomic import atomic_path

    rows, example, motifs = [], [], []
    for name, d in datasets.items():
        r, e, m = dataset_attribution_rows(
            name, d["dataset_h5"], d["teachers"], d["students"], d.get("truth")
        )
        rows += r
        example += e
        motifs += m
    motif_cols = ["dataset", "task", "sequence", "motif", "start", "end", "strand"]
    for path, table in (
        (out_csv, pd.DataFrame(rows)),
        (example_csv, pd.DataFrame(example)),
        (motifs_csv, pd.DataFrame(motifs, columns=motif_cols)),
    ):
        with atomic_path(path) as tmp:
            table.to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")
