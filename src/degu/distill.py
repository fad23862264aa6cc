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


class EnsembleLabeller:
    """Label a batch with the teacher ensemble inside the training graph.

    All members are called in the same graph (one ``tf.function`` with the train step), in
    inference mode (BatchNorm moving statistics, no dropout). Returns the student layout
    ``[mean_1..T, std_1..T (, mean aleatoric_1..T)]``: the members' mean and population std
    (ddof=0, as :func:`degu.ensemble.ensemble_stats`) of the activity head, and, for teachers
    with an aleatoric head (outputs ``[activity, aleatoric]``), the mean of that head.
    """

    def __init__(self, teachers, n_tasks: int, aleatoric: bool = False):
        if len(teachers) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(teachers)}")
        self.teachers = list(teachers)
        for t in self.teachers:
            t.trainable = False
        self.n_tasks = int(n_tasks)
        self.aleatoric = bool(aleatoric)
        width = self.n_tasks * (2 if aleatoric else 1)
        for t in self.teachers:
            if t.output_shape[-1] < width:
                raise ValueError(f"teacher {t.name} has {t.output_shape[-1]} outputs, need {width}")

    def __call__(self, x):
        outs = ops.stack([t(x, training=False) for t in self.teachers])  # (M, B, K)
        act = outs[..., : self.n_tasks]
        mean = ops.mean(act, axis=0)
        std = ops.sqrt(ops.mean(ops.square(act - mean[None]), axis=0))
        parts = [mean, std]
        if self.aleatoric:
            parts.append(ops.mean(outs[..., self.n_tasks : 2 * self.n_tasks], axis=0))
        return ops.concatenate(parts, axis=-1)
