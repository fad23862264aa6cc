"""The pipeline's HDF5 layouts (documented in docs/data-layout.md).

Dataset file (written by the ``prepare`` rule); groups follow the DEGU authors'
processed-data layout so their Zenodo files share the same reader::

    /Train/X    uint8   (N, L, 4)   one-hot, channels A,C,G,T; N bases are all-zero
    /Train/y    float32 (N, T)      targets, columns named by the ``tasks`` attribute
    /Train/ids  str     (N,)        record identifiers (FASTA headers without '>')
    /Train/aleatoric float32 (N, T) optional: std (ddof=1) over experimental replicates
    /Val/...  /Test/...             same
    /Cal/...                        optional, same: a calibration split carved from Val or
                                    Train (``uncertainty.calibration_split``); never trained
                                    or early-stopped on
    attrs: tasks (JSON list), alphabet="ACGT", n_policy, seq_len, format="degu-dataset/1"

Every writer goes through :func:`degu.io.atomic.atomic_path`, so a failed job
leaves no partial HDF5 file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path

SPLITS = ("Train", "Val", "Test")
CAL = "Cal"  # optional calibration split (see degu.assays.datasets.carve_calibration_split)
DATASET_FORMAT = "degu-dataset/1"
_STR = h5py.string_dtype("utf-8")


@dataclass
class Split:
    X: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    aleatoric: np.ndarray | None = None  # replicate std per task, when the assay has replicates


def write_dataset(path, splits: dict[str, Split], tasks: list[str], *, n_policy: str, attrs=None) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = DATASET_FORMAT
        f.attrs["tasks"] = json.dumps(list(tasks))
        f.attrs["alphabet"] = "ACGT"
        f.attrs["n_policy"] = n_policy
        f.attrs["seq_len"] = int(next(iter(splits.values())).X.shape[1])
        for key, value in (attrs or {}).items():
            f.attrs[key] = value
        for name, s in splits.items():
            g = f.create_group(name)
            g.create_dataset(
                "X",
                data=s.X.astype(np.uint8),
                compression="gzip",
                compression_opts=4,
                chunks=(min(len(s.X), 1024), s.X.shape[1], 4) if len(s.X) else None,
            )
            g.create_dataset("y", data=s.y.astype(np.float32))
            g.create_dataset("ids", data=np.asarray(s.ids, dtype=object), dtype=_STR)
            if s.aleatoric is not None:
                g.create_dataset("aleatoric", data=np.asarray(s.aleatoric, dtype=np.float32))


def dataset_tasks(path) -> list[str]:
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["tasks"])


def has_aleatoric(path) -> bool:
    """Whether the dataset carries replicate-std (aleatoric) targets."""
    with h5py.File(path, "r") as f:
        return all("aleatoric" in f[s] for s in (*SPLITS, CAL) if s in f)


def has_split(path, split: str) -> bool:
    """Whether the dataset file has the group ``split`` (e.g. the optional ``Cal``)."""
    with h5py.File(path, "r") as f:
        return split in f


def split_size(path, split: str) -> int:
    """Number of records in one split, without reading any data."""
    with h5py.File(path, "r") as f:
        if split not in f:
            raise DeguInputError(f"{path}: no group '{split}' (groups: {list(f.keys())})")
        return int(f[split]["y"].shape[0])


def read_split(path, split: str, index: np.ndarray | None = None) -> Split:
    """Read one split; ``index`` (int array) selects rows.

    The split is read whole and indexed in memory: h5py's point selection on a
    compressed, chunked dataset is super-linear in the number of rows (tens of
    seconds for 50k of 100k rows), while a full read of 400k DeepSTARR sequences
    is ~400 MB and under a second.
    """
    path = Path(path)
    with h5py.File(path, "r") as f:
        if split not in f:
            raise DeguInputError(f"{path}: no group '{split}' (groups: {list(f.keys())})")
        g = f[split]
        sel = slice(None) if index is None else np.asarray(index)
        alea = g["aleatoric"][...][sel] if "aleatoric" in g else None
        return Split(g["X"][...][sel], g["y"][...][sel], g["ids"].asstr()[...][sel], alea)


def write_arrays(
    path, arrays: dict[str, np.ndarray], attrs: dict | None = None, compression: str | None = None
) -> None:
    """Write a flat or '/'-nested dict of arrays to HDF5 atomically (``compression``, e.g.
    "gzip", applies to numeric arrays of 2 or more dimensions)."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for key, value in (attrs or {}).items():
            f.attrs[key] = value
        for key, value in arrays.items():
            value = np.asarray(value)
            if value.dtype.kind in "OUS":
                f.create_dataset(key, data=value.astype(object), dtype=_STR)
            elif compression and value.ndim >= 2:
                f.create_dataset(key, data=value, compression=compression, shuffle=True)
            else:
                f.create_dataset(key, data=value)


def read_arrays(path, keys: list[str] | None = None) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and (keys is None or name in keys):
                out[name] = obj.asstr()[...] if obj.dtype.kind == "O" else obj[...]

        f.visititems(visit)
    if keys is not None:
        missing = [k for k in keys if k not in out]
        if missing:
            raise DeguInputError(f"{path}: missing dataset(s) {missing}")
    return out


def read_attrs(path) -> dict:
    with h5py.File(path, "r") as f:
        return dict(f.attrs)
