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

    * ``augment``: a batch transformation (see :mod:`degu.augment`) applied to the inputs;
    * ``labeller``: replaces the targets by a function of the (augmented) inputs, e.g. the
      teacher ensemble (:class:`degu.distill.EnsembleLabeller`) for dynamic distillation.

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
) -> pd.DataFrame:
    """Compile ``model`` with Adam and ``loss``, train, restore the best epoch.

    With ``augment`` and/or ``labeller`` the model is trained through an
    :class:`AugmentedTrainer` (validation stays on the original data).

    Returns the per-epoch history (epoch, loss, val_loss, learning_rate) with a
    ``best`` column marking the epoch whose weights the model now holds.
    """
    if augment is not None or labeller is not None:
        model = AugmentedTrainer(model, augment=augment, labeller=labeller)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate), loss=loss, jit_compile=False
    )
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=cfg.early_stopping_patience, restore_best_weights=True, verbose=0
        )
    ]
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
