"""Non-neural reference (rules/reference.smk): ridge regression on k-mer counts."""

from __future__ import annotations

import json
import logging
import time

from degu.analysis.kmer import kmer_counts, predict, select_and_fit
from degu.io import hdf5

log = logging.getLogger("degu.kmer")  # the logger name the job's log lines have always had


def kmer_ridge_job(
    *,
    dataset_h5,
    subsets_h5,
    fraction: float | str,
    out_predictions,
    ks: list[int],
    alphas: list[float],
    both_strands: bool = False,
) -> dict:
    """Ridge on k-mer counts, trained on the fraction's training subset (the CNNs' subset).

    Writes ``Val/pred``, ``Test/pred`` (N, T) and ``Train/index`` like the CNNs' prediction
    files; attrs: ``k``, ``alpha``, ``val_pearson`` (chosen), ``grid`` (JSON list of every
    grid point with its validation r), ``both_strands``, ``tasks`` and ``heads`` (["mean"]).
    """
    from degu.assays.splits import read_subset

    t0 = time.time()
    index = read_subset(subsets_h5, fraction)
    train = hdf5.read_split(dataset_h5, "Train", index)
    val = hdf5.read_split(dataset_h5, "Val")
    test = hdf5.read_split(dataset_h5, "Test")
    best, grid = select_and_fit(
        train.X, train.y, val.X, val.y, list(ks), list(alphas), both_strands=both_strands
    )
    k, model = best["k"], best["model"]
    arrays = {
        "Val/pred": predict(model, kmer_counts(val.X, k, both_strands=both_strands)),
        "Test/pred": predict(model, kmer_counts(test.X, k, both_strands=both_strands)),
        "Train/index": index,
    }
    attrs = {
        "method": "kmer_ridge",
        "k": k,
        "alpha": best["alpha"],
        "val_pearson": best["val_pearson"],
        "grid": json.dumps(grid),
        "both_strands": bool(both_strands),
        "tasks": json.dumps(hdf5.dataset_tasks(dataset_h5)),
        "heads": json.dumps(["mean"]),
        "n_train": len(index),
        "seconds": time.time() - t0,
    }
    hdf5.write_arrays(out_predictions, arrays, attrs=attrs)
    log.info(
        "kmer_ridge: k=%d alpha=%g validation r %.4f, %d training sequences, %.1f s",
        k,
        best["alpha"],
        best["val_pearson"],
        len(index),
        time.time() - t0,
    )
    return {key: attrs[key] for key in ("k", "alpha", "val_pearson", "seconds")}
