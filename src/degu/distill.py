"""DEGU ensemble distribution distillation: targets and loss.

A student for N tasks has ``len(head_weights) * N`` outputs laid out head by head:
``[mean_1..mean_N, epistemic_1..epistemic_N]`` (optionally followed by further
heads such as aleatoric). The loss is ``sum_k w_k * MSE(head_k)`` with
``w = (1, lambda)`` for DEGU (lambda = 1 in the paper). The paper writes each term
with a factor 1/2; we follow the issue/README definition (plain MSE), which only
rescales the loss (Adam is invariant to a constant factor up to epsilon).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="degu")
class DistillationLoss(keras.losses.Loss):
    def __init__(self, n_tasks: int, head_weights=(1.0, 1.0), name: str = "degu_distillation", **kwargs):
        super().__init__(name=name, **kwargs)
        self.n_tasks = int(n_tasks)
        self.head_weights = tuple(float(w) for w in head_weights)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        total = 0.0
        for k, w in enumerate(self.head_weights):
            sl = slice(k * self.n_tasks, (k + 1) * self.n_tasks)
            total = total + w * ops.mean(ops.square(y_pred[:, sl] - y_true[:, sl]), axis=-1)
        return total

    def get_config(self):
        return {**super().get_config(), "n_tasks": self.n_tasks, "head_weights": list(self.head_weights)}


def student_targets(mean: np.ndarray, *heads: np.ndarray) -> np.ndarray:
    """Concatenate per-head targets (each (N, T)) into the student layout (N, k*T)."""
    arrays = [np.asarray(mean, dtype=np.float32)] + [np.asarray(h, dtype=np.float32) for h in heads]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"all heads must have the same shape, got {sorted(shapes)}")
    return np.concatenate(arrays, axis=1)
