"""Standard training, as in the paper's Methods (every value configurable).

MSE loss (or a given loss), Adam (lr 1e-3), batch size 100, at most 100 epochs,
learning rate x0.1 after 5 epochs without validation improvement, early stopping
that restores the weights of the epoch with the lowest validation loss.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import ops

from degu.io.atomic import atomic_path


@dataclass(frozen=True)
class TrainConfig:
    learning_rate: float = 1e-3
    batch_size: int = 100
    max_epochs: int = 100
    lr_decay_factor: float = 0.1
    lr_decay_patience: int = 5
    early_stopping_patience: int = 10
    min_learning_rate: float = 1e-7
    weight_decay: float = 0.0  # > 0: AdamW (decoupled weight decay); 0: the paper's Adam
    precise_bn: int = 0  # > 0: BatchNorm statistics recomputed from this many training sequences

    @classmethod
    def from_dict(cls, d: dict | None) -> TrainConfig:
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown training option(s): {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)


class AugmentedTrainer(keras.Model):
    """Training wrapper: transform each minibatch inside the train step, then take Keras's own
    step (so the reported loss is the compiled loss on the batch actually trained on).

    * ``augment``: a batch transformation (see :mod:`degu.models.augment`) applied to the inputs;
    * ``labeller``: replaces the targets by a function of the (augmented) inputs, e.g. the
      teacher ensemble (:class:`degu.uq.distill.EnsembleLabeller`) for dynamic distillation.

    Validation (``test_step``) and prediction use the wrapped model on the data as given,
    unaugmented. Only the wrapped ``net`` is saved; this wrapper is never serialised.
    """

    def __init__(self, net: keras.Model, augment=None, labeller=None, **kwargs):
        super().__init__(name=f"{net.name}_trainer", **kwargs)
        self.net = net
        self.augment = augment
        self.labeller = labeller
        # track the teachers so their (frozen) variables live in this model's graph
        self.teachers = list(labeller.teachers) if labeller is not None else []

    def call(self, x, training=False):
        return self.net(x, training=training)

    def transform_batch(self, x, y):
        """The (inputs, targets) a train step fits for the minibatch (x, y)."""
        if self.augment is not None:
            x = self.augment(x)
        if self.labeller is not None:
            y = ops.cast(ops.stop_gradient(self.labeller(x)), "float32")
        return x, y

    def train_step(self, data):
        x, y = data[0], data[1]
        return super().train_step(self.transform_batch(x, y))


def _layers(model: keras.Model) -> list:
    """Every layer of ``model``, nested models included, in order."""
    out = []
    for layer in model.layers:
        out += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    return out


def precise_batchnorm(net: keras.Model, x: np.ndarray, batch_size: int = 500, forward=None) -> int:
    """Replace the moving mean and variance of every BatchNormalization layer of ``net`` by the
    average batch statistics of ``x`` under the current weights ("precise BN", Wu & Johnson
    2021, *Rethinking "Batch" in BatchNorm*), with dropout off.

    Keras keeps exponential moving averages of the batch statistics (momentum 0.9-0.99); at the
    high learning rates that small training sets need, the weights move faster than those
    averages follow, and the model in inference mode is shifted from the one being trained
    (measured on the tiny K562-like set: a mean offset of 0.2-0.9 in inference mode against
    0.02-0.04 in training mode, enough for early stopping to keep the constant epoch-1 model).
    Batches are run in training mode with momentum 0, one at a time, and their statistics
    averaged, as in pycls' ``compute_precise_bn_stats``. ``forward`` (default: an eager call)
    runs ``net`` in training mode on a batch; :class:`PreciseBatchNorm` passes a compiled one,
    traced with these settings in force. Returns the number of BN layers.
    """
    layers = _layers(net)
    bns = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    drops = [layer for layer in layers if isinstance(layer, keras.layers.Dropout)]
    if not bns or len(x) == 0:
        return 0
    rates, momenta = [d.rate for d in drops], [b.momentum for b in bns]
    sums = [
        [np.zeros(b.moving_mean.shape, np.float64), np.zeros(b.moving_mean.shape, np.float64)] for b in bns
    ]
    n_batches = 0
    try:
        for d in drops:
            d.rate = 0.0
        for b in bns:
            b.momentum = 0.0  # moving statistics := this batch's statistics
        for i in range(0, len(x), batch_size):
            (forward or (lambda b: net(b, training=True)))(x[i : i + batch_size].astype(np.float32))
            n_batches += 1
            for acc, b in zip(sums, bns, strict=True):
                acc[0] += np.asarray(b.moving_mean, np.float64)
                acc[1] += np.asarray(b.moving_variance, np.float64)
        for (mean, var), b in zip(sums, bns, strict=True):
            b.moving_mean.assign((mean / n_batches).astype(np.float32))
            b.moving_variance.assign((var / n_batches).astype(np.float32))
    finally:
        for d, r in zip(drops, rates, strict=True):
            d.rate = r
        for b, m in zip(bns, momenta, strict=True):
            b.momentum = m
    return len(bns)


class PreciseBatchNorm(keras.callbacks.Callback):
    """Recompute the BatchNorm statistics (:func:`precise_batchnorm`) from a fixed, evenly spaced
    subset of the training sequences before every validation pass of ``fit``, so the
    validation loss (early stopping, LR decay) and the saved model use the current weights'
    statistics."""

    def __init__(self, net: keras.Model, x_train: np.ndarray, n: int):
        super().__init__()
        self.net = net
        idx = np.unique(np.linspace(0, len(x_train) - 1, min(int(n), len(x_train))).astype(np.int64))
        self.x = np.asarray(x_train[idx], dtype=np.float32)
        # traced on first use, while precise_batchnorm has dropout off and momentum 0: the graph
        # keeps those settings and is reused every epoch
        self.forward = tf.function(lambda b: self.net(b, training=True), reduce_retracing=True)

    def on_test_begin(self, logs=None):
        precise_batchnorm(self.net, self.x, forward=self.forward)


def optimizer(cfg: TrainConfig) -> keras.optimizers.Optimizer:
    """Adam at ``cfg.learning_rate``; AdamW when ``cfg.weight_decay`` > 0."""
    if cfg.weight_decay > 0:
        return keras.optimizers.AdamW(learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay)
    return keras.optimizers.Adam(learning_rate=cfg.learning_rate)


def training_callbacks(net: keras.Model, cfg: TrainConfig, x_precise_bn: np.ndarray | None = None) -> list:
    """The callbacks of standard training: LR x ``lr_decay_factor`` after ``lr_decay_patience``
    stalled epochs, early stopping after ``early_stopping_patience`` (best weights restored), and
    with ``cfg.precise_bn`` > 0 and training inputs ``x_precise_bn``, :class:`PreciseBatchNorm`
    before every validation pass (first, so the validation pass sees its statistics)."""
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=cfg.early_stopping_patience, restore_best_weights=True, verbose=0
        )
    ]
    if cfg.precise_bn > 0 and x_precise_bn is not None:
        callbacks.insert(0, PreciseBatchNorm(net, x_precise_bn, cfg.precise_bn))
    if cfg.lr_decay_factor < 1.0:
        callbacks.insert(
            0,
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss",
                factor=cfg.lr_decay_factor,
                patience=cfg.lr_decay_patience,
                min_lr=cfg.min_learning_rate,
                min_delta=0.0,  # the same notion of "improvement" as early stopping
                verbose=0,
            ),
        )
    return callbacks


def fit(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    cfg: TrainConfig,
    loss: keras.losses.Loss | str = "mse",
    verbose: int = 2,
    augment=None,
    labeller=None,
    extra_callbacks: list | None = None,
) -> pd.DataFrame:
    """Compile ``model`` with Adam and ``loss``, train, restore the best epoch.

    With ``augment`` and/or ``labeller`` the model is trained through an
    :class:`AugmentedTrainer` (validation stays on the original data).

    Returns the per-epoch history (epoch, loss, val_loss, learning_rate) with a
    ``best`` column marking the epoch whose weights the model now holds.
    """
    net = model
    if augment is not None or labeller is not None:
        model = AugmentedTrainer(model, augment=augment, labeller=labeller)
    model.compile(optimizer=optimizer(cfg), loss=loss, jit_compile=False)
    callbacks = training_callbacks(net, cfg, x_train if cfg.precise_bn > 0 else None)
    callbacks += list(extra_callbacks or [])
    hist = model.fit(
        x_train.astype(np.float32),
        y_train.astype(np.float32),
        validation_data=(x_val.astype(np.float32), y_val.astype(np.float32)),
        batch_size=cfg.batch_size,
        epochs=cfg.max_epochs,
        shuffle=True,
        callbacks=callbacks,
        verbose=verbose,
    )
    return history_table(hist)


def history_table(hist) -> pd.DataFrame:
    """A Keras ``History`` as a table: epoch, the logged values, and ``best`` marking the epoch of
    lowest validation loss (the weights early stopping restores)."""
    table = pd.DataFrame(hist.history)
    table.insert(0, "epoch", np.arange(1, len(table) + 1))
    table["best"] = False
    table.loc[table["val_loss"].idxmin(), "best"] = True
    return table


def finetune(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    cfg: TrainConfig,
    epochs: int,
    learning_rate: float,
    loss: keras.losses.Loss | str = "mse",
    verbose: int = 2,
) -> pd.DataFrame:
    """EvoAug's second stage: ``epochs`` epochs on the original (unaugmented) data at a lower
    learning rate, keeping the weights of the best validation epoch of this stage.

    ``model`` is the bare network, recompiled here with a fresh optimizer, so no
    augmentation can take part (unlike ``RobustModel.finetune_mode``, which Keras 3 ignores).
    """
    stage = TrainConfig(
        learning_rate=learning_rate,
        batch_size=cfg.batch_size,
        max_epochs=int(epochs),
        lr_decay_factor=1.0,  # constant learning rate in this stage
        early_stopping_patience=int(epochs),
        min_learning_rate=min(cfg.min_learning_rate, learning_rate),
        weight_decay=cfg.weight_decay,
        precise_bn=cfg.precise_bn,
    )
    history = fit(model, x_train, y_train, x_val, y_val, stage, loss=loss, verbose=verbose)
    history["learning_rate"] = learning_rate  # constant; Keras only logs it with an LR schedule
    return history


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    return np.asarray(model.predict(x.astype(np.float32), batch_size=batch_size, verbose=0), dtype=np.float32)


def save_history(history: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        history.to_csv(tmp, index=False)


def save_model(model: keras.Model, path) -> None:
    with atomic_path(path) as tmp:
        model.save(tmp)
