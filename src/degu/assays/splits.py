"""Downsampled training subsets.

One random permutation of the training indices (seeded) defines every subset:
the subset for fraction ``f`` is the first ``round(f * n)`` entries of that
permutation, sorted. Subsets are therefore nested (the 0.25 subset lies inside
the 0.5 subset), and every model trained at one fraction sees exactly the same
sequences.
"""

from __future__ import annotations

import numpy as np

from degu.io.hdf5 import read_arrays, write_arrays


def fraction_key(fraction: float) -> str:
    """Canonical text for a fraction, used in paths and HDF5 keys (0.25 -> '0.25', 1 -> '1.0')."""
    return repr(float(fraction))


def subset_size(n: int, fraction: float) -> int:
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    return max(1, int(round(fraction * n)))


def nested_subsets(n: int, fractions: list[float], seed: int) -> dict[str, np.ndarray]:
    """Return ``{fraction_key: sorted int64 index array}`` for nested random subsets."""
    perm = np.random.default_rng(seed).permutation(n)
    return {fraction_key(f): np.sort(perm[: subset_size(n, f)]).astype(np.int64) for f in fractions}


def write_subsets(path, n: int, fractions: list[float], seed: int) -> None:
    subsets = nested_subsets(n, fractions, seed)
    write_arrays(path, {f"fraction/{k}": v for k, v in subsets.items()}, attrs={"n_train": n, "seed": seed})


def read_subset(path, fraction: float | str) -> np.ndarray:
    key = fraction if isinstance(fraction, str) else fraction_key(fraction)
    return read_arrays(path, [f"fraction/{key}"])[f"fraction/{key}"]


def grouped_split(
    groups, fractions=(0.8, 0.1, 0.1), seed: int = 0, names=("Train", "Val", "Test")
) -> dict[str, np.ndarray]:
    """Random train/val/test split that never separates records of one group.

    ``groups[i]`` is the group of record ``i`` (for lentiMPRA: the forward/reverse pair
    stem, so both orientations of an element land in the same split). Groups are put in
    a seeded random order and cut where the cumulative record count crosses the split
    fractions, so each split holds ``fraction * n`` records up to one group. Returns
    ``{name: sorted int64 record indices}``.
    """
    fractions = np.asarray(fractions, dtype=np.float64)
    if len(fractions) != len(names) or (fractions < 0).any() or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"split fractions must be {len(names)} non-negative numbers summing to 1")
    groups = np.asarray(groups)
    uniq, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(uniq))
    ends = np.cumsum(counts[order])  # records up to and including each group, in shuffled order
    starts = ends - counts[order]
    bounds = np.cumsum(fractions)[:-1] * len(groups)
    # a group goes to the split in which its first record falls
    which_sorted = np.searchsorted(bounds, starts, side="right")
    which = np.empty(len(uniq), dtype=np.int64)
    which[order] = which_sorted
    record_split = which[inverse]
    return {name: np.flatnonzero(record_split == k).astype(np.int64) for k, name in enumerate(names)}


def carve_groups(groups, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split records into ``(kept, carved)`` index arrays, carving about ``fraction`` of the
    records by whole groups (pairs never straddle), deterministically from ``seed``."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    parts = grouped_split(groups, (1 - fraction, fraction), seed, names=("kept", "carved"))
    return parts["kept"], parts["carved"]
