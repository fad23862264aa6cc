"""Training and prediction of base-resolution profile models (CNN-task-base, ATAC-seq, Supp Fig 1).

The paper's Methods for CNN-task-base: Poisson loss, Adam (lr 1e-3), minibatch 100, learning
rate x0.3 after 5 epochs without validation improvement, the weights of the best validation
epoch; every minibatch sees an independent random 2048-bp window of each 3072-bp bin (targets
cut alike) and half of it reverse-complemented (coverage reversed); validation and test see the
centre window. Data are read lazily from the profile dataset (:mod:`degu.assays.profiles`), one
minibatch at a time, since the paper-scale set (~1M bins) does not fit in memory.

* :class:`ProfileBatches` is that data pipeline (a ``keras.utils.PyDataset``): shuffled and
  augmented per epoch for training, in file order and centre-cropped otherwise. Its random
  numbers depend only on ``(seed, epoch, batch)``, so the same seed gives the same minibatches
  in any order Keras asks for them.
* :class:`ProfilePoissonLoss` is the Poisson loss per output column, averaged over positions,
  with one weight per head: a teacher's [mean, aleatoric] heads weigh 1 each; a DEGU student's
  [mean, aleatoric, epistemic] heads weigh 1, gamma, lambda (the scalar DEGU loss with Poisson
  in place of MSE, since every profile target is a non-negative track).
* :func:`fit_profile` trains with the callbacks of :func:`degu.models.training.fit`.
* :func:`predict_bins` predicts centre windows; :func:`predict_full_bins` covers whole bins
  with two windows (for the ensemble's bigWig tracks).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import keras
import numpy as np
import pandas as pd
from keras import ops

from degu.assays.profiles import center_crop, profile_split_size, random_crop_rc, read_profile_rows
from degu.models.training import TrainConfig, history_table, training_callbacks

#: the targets (profile dataset names) behind each head of a profile model
HEAD_TARGETS = {"mean": "y", "aleatoric": "aleatoric", "epistemic": "epistemic"}


class ProfileBatches(keras.utils.PyDataset):
    """Minibatches of one split of a profile dataset: ``(x (B, crop, 4), y (B, crop, H*T))``,
    targets stacked head by head in the order of ``heads`` (:data:`HEAD_TARGETS`).

    ``augment=True`` (training): the bins are shuffled every epoch and each minibatch gets
    :func:`degu.assays.profiles.random_crop_rc`; otherwise bins come in file order with
    :func:`degu.assays.profiles.center_crop`. Only the minibatch's bins are read from disk.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        split: str,
        heads: Sequence[str],
        batch_size: int,
        crop: int,
        augment: bool = False,
        seed: int = 0,
        rows: np.ndarray | None = None,
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        unknown = [h for h in heads if h not in HEAD_TARGETS]
        if unknown:
            raise ValueError(f"unknown profile head(s) {unknown}; known: {list(HEAD_TARGETS)}")
        self.path, self.split, self.heads = str(path), split, list(heads)
        self.batch_size, self.crop, self.augment, self.seed = int(batch_size), int(crop), augment, int(seed)
        n = profile_split_size(path, split)
        self.rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
        if len(self.rows) == 0:
            raise ValueError(f"{path}: split '{split}' has no bins")
        self.epoch = 0
        self._order = self._epoch_order()

    def _epoch_order(self) -> np.ndarray:
        if not self.augment:
            return self.rows
        return np.random.default_rng([self.seed, self.epoch]).permutation(self.rows)

    def __len__(self) -> int:
        return math.ceil(len(self.rows) / self.batch_size)

    def read(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The uncropped bins of minibatch ``index``: x (B, L, 4) float32, y (B, L, H*T)."""
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        data = read_profile_rows(self.path, self.split, rows)
        missing = [HEAD_TARGETS[h] for h in self.heads if HEAD_TARGETS[h] not in data]
        if missing:
            raise ValueError(f"{self.path}: split '{self.split}' has no target(s) {missing}")
        y = np.concatenate([data[HEAD_TARGETS[h]] for h in self.heads], axis=-1)
        return data["X"].astype(np.float32), y.astype(np.float32)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.read(index)
        if self.augment:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            x, y = random_crop_rc(x, y, self.crop, rng)
        else:
            x, y = center_crop(x, y, self.crop)
        return np.ascontiguousarray(x), np.ascontiguousarray(y)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._order = self._epoch_order()


@keras.saving.register_keras_serializable(package="degu")
class ProfilePoissonLoss(keras.losses.Loss):
    """Sum over heads of ``weight[h]`` x the Poisson loss of head h, each the mean over positions
    and the head's task columns of ``y_pred - y_true * log(y_pred + eps)`` (Keras' ``poisson``;
    with one head of weight 1 this equals ``keras.losses.Poisson``). Outputs (B, L, H*T)."""

    def __init__(
        self, n_tasks: int, head_weights: Sequence[float], epsilon: float = 1e-7, name="profile_poisson", **kw
    ):
        super().__init__(name=name, **kw)
        self.n_tasks, self.head_weights, self.epsilon = (
            int(n_tasks),
            [float(w) for w in head_weights],
            float(epsilon),
        )
        # one weight per column, divided by the columns of its head: the mean over a head's tasks
        self._column_weights = np.repeat(
            np.asarray(self.head_weights, np.float32) / self.n_tasks, self.n_tasks
        )

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        per_column = ops.mean(y_pred - y_true * ops.log(y_pred + self.epsilon), axis=1)  # (B, H*T)
        return ops.sum(per_column * ops.convert_to_tensor(self._column_weights), axis=-1)

    def get_config(self):
        return {
            "n_tasks": self.n_tasks,
            "head_weights": self.head_weights,
            "epsilon": self.epsilon,
            "name": self.name,
        }


def fit_profile(
    model: keras.Model,
    train: ProfileBatches,
    val: ProfileBatches,
    cfg: TrainConfig,
    loss: keras.losses.Loss,
    verbose: int = 2,
) -> pd.DataFrame:
    """Compile ``model`` with Adam and ``loss`` and train on ``train``, validating on ``val``, with
    the learning-rate cut and early stopping of :func:`degu.models.training.fit` (best weights
    restored). ``cfg.batch_size`` is the batch size of ``train`` (set there). Returns the
    per-epoch history with a ``best`` column, as ``fit`` does."""
    from degu.models.training import optimizer

    model.compile(optimizer=optimizer(cfg), loss=loss, jit_compile=False)
    bn_sample = None
    if cfg.precise_bn > 0:  # a fixed, evenly spaced sample of training bins, centre windows
        idx = np.unique(np.linspace(0, len(train.rows) - 1, min(cfg.precise_bn, len(train.rows))).astype(int))
        data = read_profile_rows(train.path, train.split, train.rows[idx])
        bn_sample = center_crop(
            data["X"].astype(np.float32), data["X"][..., :1].astype(np.float32), train.crop
        )[0]
    hist = model.fit(
        train,
        validation_data=val,
        epochs=cfg.max_epochs,
        callbacks=training_callbacks(model, cfg, bn_sample),
        verbose=verbose,
    )
    return history_table(hist)


def predict_bins(
    model: keras.Model, path, split: str, crop: int, batch_size: int = 100, rows=None
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, predictions (N, crop, width))`` of the centre window of every bin of ``split``."""
    n = profile_split_size(path, split)
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    ids, out = [], []
    for a in range(0, len(rows), batch_size):
        data = read_profile_rows(path, split, rows[a : a + batch_size])
        x, _ = center_crop(data["X"].astype(np.float32), data["X"][..., :1], crop)
        out.append(np.asarray(model.predict_on_batch(x), np.float32))
        ids.append(data["ids"])
    if not out:
        return np.array([], dtype=object), np.zeros((0, crop, model.output_shape[-1]), np.float32)
    return np.concatenate(ids), np.concatenate(out)


def full_bin_starts(length: int, crop: int) -> tuple[int, int]:
    """The two window starts that cover a bin of ``length`` with windows of ``crop`` (0 and
    ``length - crop``): bases ``[0, length//2)`` come from the first window, the rest from the
    second, so each base is predicted at least ``length//2 - (length - crop)`` bases from a
    window edge (512 of 3072 with 2048-bp windows)."""
    if not length / 2 <= crop <= length:
        raise ValueError(
            f"two {crop}-bp windows cannot cover a {length}-bp bin (need length/2 <= crop <= length)"
        )
    return 0, length - crop


def predict_full_bins(model: keras.Model, x: np.ndarray, crop: int) -> np.ndarray:
    """Predictions (B, L, width) for whole bins ``x`` (B, L, 4) from two ``crop`` windows
    (:func:`full_bin_starts`)."""
    length = x.shape[1]
    a, b = full_bin_starts(length, crop)
    x = np.asarray(x, np.float32)
    first = np.asarray(model.predict_on_batch(x[:, a : a + crop]), np.float32)
    second = np.asarray(model.predict_on_batch(x[:, b : b + crop]), np.float32)
    half = length // 2
    return np.concatenate([first[:, :half], second[:, half - b :]], axis=1)
