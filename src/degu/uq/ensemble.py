"""Ensemble statistics: the teachers' mean and standard deviation.

Following the paper, ``sigma_i = sqrt(1/M * sum_m (f_m(x_i) - mu_i)^2)`` is the
population standard deviation (ddof=0).
"""

from __future__ import annotations

import numpy as np


def ensemble_stats(member_predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``member_predictions`` of shape (M, N, T) -> (mean, std) each (N, T), std with ddof=0."""
    p = np.asarray(member_predictions, dtype=np.float64)
    if p.ndim != 3:
        raise ValueError(f"expected (members, sequences, tasks), got shape {p.shape}")
    if p.shape[0] < 2:
        raise ValueError(f"an ensemble needs at least 2 members, got {p.shape[0]}")
    mean = p.mean(axis=0)
    std = np.sqrt(((p - mean) ** 2).mean(axis=0))
    return mean.astype(np.float32), std.astype(np.float32)


def ensemble_aleatoric(member_aleatoric: np.ndarray) -> np.ndarray:
    """The ensemble's aleatoric std: the members' mean aleatoric head, (M, N, T) -> (N, T) float32."""
    return np.asarray(member_aleatoric).mean(axis=0).astype(np.float32)


def predict_members(models, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Stack each member's predictions on ``x`` into (M, N, T)."""
    from degu.models.training import predict

    return np.stack([predict(m, x, batch_size) for m in models])
