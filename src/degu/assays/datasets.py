"""Turn raw files of a given assay into the pipeline's HDF5 dataset.

Every assay ends in the same layout (``degu.io.hdf5``), so the rules downstream of
``prepare`` do not know which assay a dataset came from:

* ``starrseq``: the six DeepSTARR files; the published Train/Val/Test split is kept.
* ``lentimpra``: Agarwal et al. 2023 Supplementary Tables 3 (sequences) and 4
  (replicates), joined on the element name. Activity-only datasets keep every
  measured element with a sequence; ``aleatoric=True`` datasets also carry the
  replicate sample std (ddof=1) and drop elements with fewer than
  ``min_replicates`` replicates (paper Methods). Split 80/10/10 at random with
  forward/reverse pairs kept together.
* ``table``: one generic table (users' own MPRA data; the real HepG2 file), the
  same random pair-aware split.

What was dropped, and why, is counted in the dataset's ``prepare_report`` attribute
(JSON) and logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from degu.assays.pairs import orientation_groups
from degu.assays.splits import carve_groups, grouped_split
from degu.config import conformal_min_n
from degu.errors import DeguInputError
from degu.io import hdf5, lentimpra, starrseq
from degu.io.compression import sniff
from degu.io.encoding import decode, one_hot

log = logging.getLogger("degu")


def prepare_starrseq(
    raw_dir,
    out_h5,
    *,
    tasks: list[str],
    activity_columns: list[str],
    seq_len: int = 249,
    n_policy: str = "zeros",
    min_split_sizes: dict | None = None,
    **_ignored,
) -> dict[str, int]:
    """Parse and validate the six DeepSTARR files in ``raw_dir``; write ``out_h5``.

    Splits are kept exactly as given (Train/Val/Test). Returns the record count per split.
    """
    if len(tasks) != len(activity_columns):
        raise DeguInputError(
            f"{len(tasks)} tasks {list(tasks)} but {len(activity_columns)} activity columns "
            f"{list(activity_columns)}: give one activity column per task"
        )
    splits = {}
    for split in starrseq.SPLITS:
        records, y = starrseq.read_split(raw_dir, split, activity_columns, length=seq_len, n_policy=n_policy)
        x = one_hot([r.seq for r in records], n_policy=n_policy)
        splits[split] = hdf5.Split(x, y, np.array([r.id for r in records], dtype=object))
    check_split_sizes({k: len(v.y) for k, v in splits.items()}, min_split_sizes, raw_dir)
    hdf5.write_dataset(
        out_h5,
        splits,
        tasks,
        n_policy=n_policy,
        attrs={"assay": "starrseq", "activity_columns": ",".join(activity_columns)},
    )
    return {k: len(v.y) for k, v in splits.items()}


def check_split_sizes(sizes: dict[str, int], minimums: dict | None, source) -> None:
    """Every split a later step uses must hold at least its minimum number of records
    (``minimums``: ``{split: [n, what needs it]}``, from :func:`degu.config.split_minimums`;
    default: none may be empty)."""
    minimums = minimums or {s: [1, "a later step"] for s in hdf5.SPLITS}
    for split, (need, why) in minimums.items():
        have = sizes.get(split, 0)
        if have < need:
            raise DeguInputError(
                f"{source}: split '{split}' has {have} record(s); {why} needs at least {need} "
                f"(split sizes: {', '.join(f'{k}={v}' for k, v in sizes.items())})"
            )


def check_targets(
    values: np.ndarray, names, columns: list[str], source, *, std_like: bool = False
) -> np.ndarray:
    """Cast targets to float32 (the stored dtype) and check them *after* the cast: every value
    finite (1e39 overflows to inf) and, for std-like targets, >= 0. Returns the float32 array."""
    v64 = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        v32 = v64.astype(np.float32)
    bad = ~np.isfinite(v32)
    if std_like:
        bad |= v32 < 0
    rows, cols = np.nonzero(bad)
    if rows.size:
        i, j = int(rows[0]), int(cols[0])
        value = v64[i, j]
        if np.isfinite(value) and value < 0 and std_like:
            what = f"negative {columns[j]} {value:g} (a standard deviation must be >= 0)"
        elif np.isfinite(value):
            what = f"{columns[j]} {value:g} does not fit float32 (|value| > 3.4e38)"
        else:
            what = f"non-finite {columns[j]} {value}" + (
                " (replicate values too large for a standard deviation)" if std_like else ""
            )
        raise DeguInputError(f"{source}: record '{names[i]}': {what} ({rows.size} bad value(s))")
    return v32


def _write_split_table(
    table: pd.DataFrame,
    out_h5,
    *,
    assay: str,
    tasks: list[str],
    activity: list[str],
    aleatoric: bool,
    n_policy: str,
    reverse_pattern: str | None,
    split: dict | None,
    report: dict,
    source,
    orientation_pairs: bool = False,
    min_split_sizes: dict | None = None,
) -> dict[str, int]:
    """Pair-aware random split of a parsed table (``name, sequence``, ``activity`` columns and,
    with ``aleatoric``, an ``aleatoric`` column) and the dataset file; shared by the
    ``lentimpra`` and ``table`` assays. Pairs are found by name and by sequence
    (:func:`degu.assays.pairs.orientation_groups`); ``orientation_pairs``: finding none is an error."""
    split = {"fractions": [0.8, 0.1, 0.1], "seed": 0, **(split or {})}
    pattern = reverse_pattern or lentimpra.DEFAULT_REVERSE_PATTERN
    names = table["name"].to_numpy(dtype=object)
    labels = [
        f"activity (column '{c[len('activity_') :]}')" if c.startswith("activity_") else c for c in activity
    ]
    y_all = check_targets(table[activity].to_numpy(), names, labels, source)
    a_all = (
        check_targets(table[["aleatoric"]].to_numpy(), names, ["replicate std"], source, std_like=True)
        if aleatoric
        else None
    )
    stems, pairs = orientation_groups(names, table["sequence"], pattern)
    if orientation_pairs and pairs["n_pairs_by_name"] + pairs["n_pairs_by_sequence"] == 0:
        raise DeguInputError(
            f"{source}: the dataset is declared to have forward/reverse pairs (orientation_pairs) "
            f"but none were found among {len(names)} records: reverse_pattern {pattern!r} matches "
            f"{pairs['n_reverse_names']} name(s) and no two sequences are reverse complements; "
            "set reverse_pattern to your reverse records' suffix (e.g. '_rc$') or orientation_pairs: false"
        )
    if pairs["n_pairs_by_sequence"]:
        log.warning(
            "%s: %d forward/reverse pair(s) found by sequence but not by name (reverse_pattern %r); "
            "kept in one split",
            source,
            pairs["n_pairs_by_sequence"],
            pattern,
        )
    parts = grouped_split(stems, split["fractions"], split["seed"])
    sizes = {k: len(v) for k, v in parts.items()}
    check_split_sizes(sizes, min_split_sizes, source)
    x_all = one_hot(list(table["sequence"]), n_policy=n_policy)
    splits = {
        name: hdf5.Split(x_all[idx], y_all[idx], names[idx], None if a_all is None else a_all[idx])
        for name, idx in parts.items()
    }
    stem_counts = pd.Series(stems).value_counts()
    report = {
        **report,
        "n_pairs": int((stem_counts >= 2).sum()),
        "n_unpaired": int((stem_counts == 1).sum()),
        **pairs,
        "split_sizes": sizes,
    }
    log.info("prepare report: %s", json.dumps(report))
    hdf5.write_dataset(
        out_h5,
        splits,
        tasks,
        n_policy=n_policy,
        attrs={
            "assay": assay,
            "aleatoric": bool(aleatoric),
            "split_seed": int(split["seed"]),
            "split_fractions": json.dumps([float(f) for f in split["fractions"]]),
            "prepare_report": json.dumps(report),
        },
    )
    return report["split_sizes"]


def prepare_lentimpra(
    raw_dir,
    out_h5,
    *,
    tasks: list[str],
    files: dict,
    sheets: dict | None = None,
    replicate_columns: list[str] | None = None,
    activity_columns: list[str] = ("mean",),
    aleatoric: bool = False,
    min_replicates: int = 2,
    max_unmatched_fraction: float = 0.05,
    reverse_pattern: str | None = None,
    split: dict | None = None,
    seq_len: int = 230,
    n_policy: str = "zeros",
    orientation_pairs: bool = True,
    min_split_sizes: dict | None = None,
    **_ignored,
) -> dict[str, int]:
    """Agarwal et al. Tables 3 + 4 -> activity-only or activity+aleatoric dataset."""
    if len(tasks) != 1 or len(activity_columns) != 1:
        raise DeguInputError(
            "lentimpra datasets have exactly one task and one activity column (Table 4's mean)"
        )
    sheets = sheets or {}
    seq_path = Path(raw_dir) / files["sequences"]
    rep_path = Path(raw_dir) / files["replicates"]
    seqs = lentimpra.read_agarwal_sequences(
        seq_path, sheets.get("sequences"), seq_len=seq_len, n_policy=n_policy
    )
    reps = lentimpra.read_agarwal_replicates(
        rep_path,
        sheets.get("replicates"),
        replicate_columns=list(replicate_columns or lentimpra.REPLICATE_COLUMNS),
        mean_column=activity_columns[0],
    )
    table, report = lentimpra.merge_lentimpra(
        seqs,
        reps,
        aleatoric=aleatoric,
        min_replicates=min_replicates,
        reverse_pattern=reverse_pattern or lentimpra.DEFAULT_REVERSE_PATTERN,
        max_unmatched_fraction=max_unmatched_fraction,
        source=f"{seq_path} + {rep_path}",
    )
    return _write_split_table(
        table,
        out_h5,
        assay="lentimpra",
        tasks=list(tasks),
        activity=["activity"],
        aleatoric=aleatoric,
        n_policy=n_policy,
        reverse_pattern=reverse_pattern,
        split=split,
        report=report,
        source=f"{seq_path} + {rep_path}",
        orientation_pairs=orientation_pairs,
        min_split_sizes=min_split_sizes,
    )


def prepare_table(
    raw_dir,
    out_h5,
    *,
    tasks: list[str],
    files: dict,
    id_column: str,
    sequence_column: str,
    activity_columns: list[str],
    sheets: dict | None = None,
    replicate_columns: list[str] | None = None,
    aleatoric: bool = False,
    min_replicates: int = 2,
    reverse_pattern: str | None = None,
    split: dict | None = None,
    seq_len: int,
    n_policy: str = "zeros",
    orientation_pairs: bool = False,
    min_split_sizes: dict | None = None,
    **_ignored,
) -> dict[str, int]:
    """A generic table (id, sequence, activity columns, optional replicates) -> dataset."""
    if len(tasks) != len(activity_columns):
        raise DeguInputError(f"{len(tasks)} tasks but {len(activity_columns)} activity columns")
    if aleatoric and not replicate_columns:
        raise DeguInputError("aleatoric: true needs replicate_columns for a table dataset")
    path = Path(raw_dir) / files["table"]
    table = lentimpra.read_generic_table(
        path,
        sheet=(sheets or {}).get("table"),
        id_column=id_column,
        sequence_column=sequence_column,
        activity_columns=list(activity_columns),
        replicate_columns=list(replicate_columns) if replicate_columns else None,
        seq_len=seq_len,
        n_policy=n_policy,
    )
    activity = [f"activity_{c}" for c in activity_columns]
    report = {"n_records": len(table)}
    if aleatoric:
        std, _ = lentimpra.replicate_std(
            table[lentimpra.replicate_columns_of(table)].to_numpy(), min_replicates
        )
        keep = ~np.isnan(std)
        dropped = table.loc[~keep, "name"]
        report.update(
            n_dropped_few_replicates=int((~keep).sum()), examples_dropped_few_replicates=list(dropped[:10])
        )
        table = table.loc[keep].assign(aleatoric=std[keep]).reset_index(drop=True)
        if table.empty:
            raise DeguInputError(f"{path}: no record has at least {min_replicates} replicates")
    report["n_kept"] = len(table)
    return _write_split_table(
        table,
        out_h5,
        assay="table",
        tasks=list(tasks),
        activity=activity,
        aleatoric=aleatoric,
        n_policy=n_policy,
        reverse_pattern=reverse_pattern,
        split=split,
        report=report,
        source=path,
        orientation_pairs=orientation_pairs,
        min_split_sizes=min_split_sizes,
    )


def prepare_degu_h5(
    raw_dir,
    out_h5,
    *,
    tasks: list[str],
    files: dict,
    h5_columns: dict | None = None,
    aleatoric: bool = False,
    seq_len: int,
    n_policy: str = "zeros",
    min_split_sizes: dict | None = None,
    **_ignored,
) -> dict[str, int]:
    """The DEGU authors' processed HDF5 (Zenodo 14145285): ``Train/Val/Test`` groups with
    one-hot ``X`` (N, L, 4) and targets ``y``; their pair-aware split is kept.

    ``h5_columns`` maps ``activity`` (and, with ``aleatoric``, ``aleatoric``) to columns
    of ``y`` (default 0 and 1: replicate mean and std).
    """
    import h5py

    cols = {"activity": 0, "aleatoric": 1, **(h5_columns or {})}
    if len(tasks) != 1:
        raise DeguInputError("degu_h5 datasets have exactly one task")
    path = Path(raw_dir) / files["h5"]
    if not path.is_file():
        raise DeguInputError(f"{path}: file not found")
    kind = sniff(path)
    if kind is not None:
        raise DeguInputError(f"{path}: {kind}-compressed; decompress the HDF5 file first")
    if not h5py.is_hdf5(path):
        raise DeguInputError(f"{path}: not an HDF5 file")
    splits = {}
    with h5py.File(path, "r") as f:
        for split in hdf5.SPLITS:
            if split not in f or "X" not in f[split] or "y" not in f[split]:
                raise DeguInputError(f"{path}: expected group '{split}' with datasets 'X' and 'y'")
            x = f[split]["X"][...]
            y = np.asarray(f[split]["y"][...], dtype=np.float64)  # checked after the float32 cast
            if y.ndim == 1:
                y = y[:, None]
            where = f"{path} ({split})"
            if x.ndim != 3 or x.shape[1:] != (seq_len, 4) or len(x) != len(y):
                raise DeguInputError(
                    f"{where}: X has shape {x.shape}, y {y.shape}; expected ({len(y)}, {seq_len}, 4)"
                )
            bad = np.flatnonzero(~(np.isin(x, (0, 1)).all(axis=(1, 2)) & (x.sum(axis=2) <= 1).all(axis=1)))
            if bad.size:
                raise DeguInputError(f"{where}: record {bad[0]} of X is not one-hot")
            need = [cols["activity"]] + ([cols["aleatoric"]] if aleatoric else [])
            if max(need) >= y.shape[1]:
                raise DeguInputError(f"{where}: y has {y.shape[1]} column(s); h5_columns asks for {need}")
            ids = np.array([f"{split}_{i}" for i in range(len(y))], dtype=object)
            act = check_targets(
                y[:, [cols["activity"]]], ids, [f"activity (y column {cols['activity']})"], where
            )
            alea = (
                check_targets(
                    y[:, [cols["aleatoric"]]],
                    ids,
                    [f"aleatoric (y column {cols['aleatoric']}; see h5_columns)"],
                    where,
                    std_like=True,
                )
                if aleatoric
                else None
            )
            splits[split] = hdf5.Split(x.astype(np.uint8), act, ids, alea)
    check_split_sizes({k: len(v.y) for k, v in splits.items()}, min_split_sizes, path)
    hdf5.write_dataset(
        out_h5,
        splits,
        list(tasks),
        n_policy=n_policy,
        attrs={"assay": "degu_h5", "aleatoric": bool(aleatoric)},
    )
    return {k: len(v.y) for k, v in splits.items()}


PREPARERS = {
    "starrseq": prepare_starrseq,
    "lentimpra": prepare_lentimpra,
    "table": prepare_table,
    "degu_h5": prepare_degu_h5,
}


def carve_calibration_split(
    out_h5,
    *,
    source: str,
    fraction: float,
    seed: int = 0,
    alpha: float = 0.05,
    reverse_pattern: str | None = None,
) -> dict[str, int]:
    """Move about ``fraction`` of the ``source`` split ("val" or "train") of a prepared dataset
    into a new ``Cal`` split, by whole forward/reverse pairs (found by name and by sequence, as
    for the main split: :func:`degu.assays.pairs.orientation_groups`), deterministically from ``seed``; rewrite ``out_h5``. Returns the split sizes.

    Models then early-stop on the remaining ``Val`` and never see ``Cal``, on which the
    conformal scale is calibrated. ``Cal`` must hold at least
    :func:`degu.config.conformal_min_n` records (19 at alpha 0.05), so that the conformal
    quantile ``ceil((n+1)(1-alpha))`` exists.
    """
    key = "uncertainty.calibration_split"
    if source not in ("val", "train"):
        raise DeguInputError(f"{key}.source must be val, train or none, got {source!r}")
    if not 0 < fraction < 1:
        raise DeguInputError(f"{key}.fraction must be in (0, 1), got {fraction}")
    attrs = hdf5.read_attrs(out_h5)
    if hdf5.has_split(out_h5, hdf5.CAL):
        raise DeguInputError(f"{out_h5}: already has a '{hdf5.CAL}' split")
    splits = {name: hdf5.read_split(out_h5, name) for name in hdf5.SPLITS}
    pool_name = {"val": "Val", "train": "Train"}[source]
    pool = splits[pool_name]
    pattern = reverse_pattern or lentimpra.DEFAULT_REVERSE_PATTERN
    # the same pairs as the main split: by name and by sequence (degu.assays.pairs)
    stems, _ = orientation_groups(pool.ids, decode(pool.X), pattern)
    kept, carved = carve_groups(stems, fraction, seed)
    need = conformal_min_n(alpha)
    if len(carved) < need or len(kept) == 0:
        raise DeguInputError(
            f"{key}: fraction {fraction} of {pool_name} ({len(pool.ids)} records) gives a calibration "
            f"split of {len(carved)} and leaves {len(kept)}; alpha {alpha} needs at least {need} "
            f"calibration records and the rest must not be empty (raise {key}.fraction or use source "
            f"{'train' if source == 'val' else 'val'})"
        )

    def take(s: hdf5.Split, idx) -> hdf5.Split:
        return hdf5.Split(s.X[idx], s.y[idx], s.ids[idx], None if s.aleatoric is None else s.aleatoric[idx])

    splits[pool_name], splits[hdf5.CAL] = take(pool, kept), take(pool, carved)
    tasks = json.loads(attrs.pop("tasks"))
    n_policy = attrs.pop("n_policy")
    for k in ("format", "alphabet", "seq_len"):
        attrs.pop(k, None)
    attrs["calibration_split"] = json.dumps(
        {"source": source, "fraction": float(fraction), "seed": int(seed), "n": len(carved)}
    )
    hdf5.write_dataset(out_h5, splits, tasks, n_policy=n_policy, attrs=attrs)
    sizes = {k: len(v.y) for k, v in splits.items()}
    log.info("calibration split carved from %s: %s", pool_name, json.dumps(sizes))
    return sizes


def prepare_dataset(
    assay: str, raw_dir, out_h5, calibration_split: dict | None = None, **params
) -> dict[str, int]:
    """Prepare ``out_h5``; with ``calibration_split`` (``{source, fraction, seed, alpha}``, source
    not "none") also carve the ``Cal`` split (:func:`carve_calibration_split`)."""
    try:
        preparer = PREPARERS[assay]
    except KeyError:
        raise DeguInputError(f"unknown assay {assay!r}; known: {sorted(PREPARERS)}") from None
    counts = preparer(raw_dir, out_h5, **params)
    if calibration_split and calibration_split.get("source", "none") != "none":
        counts = carve_calibration_split(
            out_h5, reverse_pattern=params.get("reverse_pattern"), **calibration_split
        )
    return counts
