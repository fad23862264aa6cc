"""Non-neural reference: ridge regression on k-mer counts (issue 10, item 4).

Features: the count of every k-mer (4**k columns, A,C,G,T base-4 order, first base most
significant) in each one-hot sequence; windows that contain an N (an all-zero row) are
skipped. With ``both_strands`` the counts of the reverse complement are added, so a k-mer
and its reverse complement share their evidence (their columns stay separate).

Model: scikit-learn's :class:`~sklearn.linear_model.Ridge` (one multi-output fit on all task
columns, intercept fitted, features not scaled: counts already share one scale, and centring
them would densify the sparse matrix). k and the penalty alpha are chosen on the validation
split only (highest mean Pearson r over tasks); the test split is only predicted.

The pipeline step (fit on a fraction's training subset, write a predictions file) is
:func:`degu.jobs.reference.kmer_ridge_job`.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from scipy import sparse

DENSE_MAX_CELLS = 20_000_000  # below this many matrix cells the features are a dense float32 array

log = logging.getLogger("degu.kmer")


def base_codes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-position base code 0..3 (A,C,G,T) and whether the position is a real base (not N)."""
    X = np.asarray(X)
    valid = X.sum(axis=-1) == 1
    return np.argmax(X, axis=-1).astype(np.int64), valid


def _window_codes(codes: np.ndarray, valid: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Base-4 code of every length-k window (N, L-k+1) and whether it holds no N."""
    n_win = codes.shape[1] - k + 1
    value = np.zeros((codes.shape[0], max(n_win, 0)), dtype=np.int64)
    for j in range(k):
        value = value * 4 + codes[:, j : j + n_win]
    bad = np.concatenate([np.zeros((codes.shape[0], 1), np.int64), np.cumsum(~valid, axis=1)], axis=1)
    ok = (bad[:, k:] - bad[:, :n_win]) == 0 if n_win > 0 else np.zeros_like(value, bool)
    return value, ok


def kmer_counts(X: np.ndarray, k: int, *, both_strands: bool = False, dense: bool | None = None):
    """k-mer counts of one-hot sequences ``X`` (N, L, 4): (N, 4**k) float32, CSR or dense.

    ``dense=None`` picks a dense array when N * 4**k is at most ``DENSE_MAX_CELLS``.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    codes, valid = base_codes(X)
    strands = [(codes, valid)]
    if both_strands:  # reverse complement: reversed positions, A<->T, C<->G (3 - code)
        strands.append((3 - codes[:, ::-1], valid[:, ::-1]))
    n = codes.shape[0]
    rows, cols = [], []
    for c, v in strands:
        value, ok = _window_codes(c, v, k)
        r = np.broadcast_to(np.arange(n)[:, None], value.shape)
        rows.append(r[ok])
        cols.append(value[ok])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    counts = sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(n, 4**k), dtype=np.float32
    )
    counts.sum_duplicates()
    if dense is None:
        dense = n * 4**k <= DENSE_MAX_CELLS
    return counts.toarray() if dense else counts


def mean_pearson(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean over task columns of the Pearson r (a constant prediction counts as r = 0)."""
    y, pred = np.asarray(y, np.float64), np.asarray(pred, np.float64)
    rs = []
    for j in range(y.shape[1]):
        a, b = y[:, j] - y[:, j].mean(), pred[:, j] - pred[:, j].mean()
        den = np.sqrt((a * a).sum() * (b * b).sum())
        rs.append(float((a * b).sum() / den) if den > 0 else 0.0)
    return float(np.mean(rs))


def fit_ridge(features, y: np.ndarray, alpha: float):
    from sklearn.linear_model import Ridge

    return Ridge(alpha=alpha).fit(features, y)


def predict(model, features) -> np.ndarray:
    """Ridge predictions as (N, T) float32 (scikit-learn returns 1-D for a single target)."""
    pred = np.asarray(model.predict(features), dtype=np.float32)
    return pred.reshape(len(pred), -1)


def select_and_fit(
    train_X: np.ndarray,
    train_y: np.ndarray,
    val_X: np.ndarray,
    val_y: np.ndarray,
    ks: list[int],
    alphas: list[float],
    *,
    both_strands: bool = False,
) -> tuple[dict, list[dict]]:
    """Fit every (k, alpha) on train, score it on validation; return the best and the grid.

    The best is ``{"k", "alpha", "val_pearson", "model"}`` (highest mean validation Pearson r;
    ties go to the earlier grid point). The grid rows are ``{"k", "alpha", "val_pearson"}``.
    """
    grid: list[dict] = []
    best: dict | None = None
    for k in ks:
        f_train = kmer_counts(train_X, k, both_strands=both_strands)
        f_val = kmer_counts(val_X, k, both_strands=both_strands)
        for alpha in alphas:
            t0 = time.time()
            model = fit_ridge(f_train, train_y, alpha)
            r = mean_pearson(val_y, predict(model, f_val))
            grid.append({"k": int(k), "alpha": float(alpha), "val_pearson": r})
            log.info("k=%d alpha=%g: validation mean Pearson r %.4f (%.1f s)", k, alpha, r, time.time() - t0)
            if best is None or r > best["val_pearson"]:
                best = {"k": int(k), "alpha": float(alpha), "val_pearson": r, "model": model}
    assert best is not None
    return best, grid
