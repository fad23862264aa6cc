"""Turn raw files of a given assay into the pipeline's HDF5 dataset."""

from __future__ import annotations

import numpy as np

from degu.encoding import one_hot
from degu.io import hdf5, starrseq


def prepare_starrseq(
    raw_dir,
    out_h5,
    *,
    tasks: list[str],
    activity_columns: list[str],
    seq_len: int = 249,
    n_policy: str = "zeros",
) -> dict[str, int]:
    """Parse and validate the six DeepSTARR files in ``raw_dir``; write ``out_h5``.

    Splits are kept exactly as given (Train/Val/Test). Returns the record count per split.
    """
    if len(tasks) != len(activity_columns):
        raise ValueError(f"{len(tasks)} tasks but {len(activity_columns)} activity columns")
    splits = {}
    for split in starrseq.SPLITS:
        records, y = starrseq.read_split(raw_dir, split, activity_columns, length=seq_len, n_policy=n_policy)
        x = one_hot([r.seq for r in records], n_policy=n_policy)
        splits[split] = hdf5.Split(x, y, np.array([r.id for r in records], dtype=object))
    hdf5.write_dataset(
        out_h5,
        splits,
        tasks,
        n_policy=n_policy,
        attrs={"assay": "starrseq", "activity_columns": ",".join(activity_columns)},
    )
    return {k: len(v.y) for k, v in splits.items()}


PREPARERS = {"starrseq": prepare_starrseq}
