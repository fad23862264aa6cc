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


def fit(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    cfg: TrainConfig,
    loss: keras.losses.Loss | str = "mse",
    verbose: int = 2,
) -> pd.DataFrame:
    """Compile ``model`` with Adam and ``loss``, train, restore the best epoch.

    Returns the per-epoch history (epoch, loss, val_loss, learning_rate) with a
    ``best`` column marking the epoch whose weights the model now holds.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate), loss=loss, jit_compile=False
    )
    callbacks = [
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss",
            factor=cfg.lr_decay_factor,
            patience=cfg.lr_decay_patience,
            min_lr=cfg.min_learning_rate,
            min_delta=0.0,  # the same notion of "improvement" as early stopping
            verbose=0,
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=cfg.early_stopping_patience, restore_best_weights=True, verbose=0
        ),
    ]
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


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    return np.asarray(model.predict(x.astype(np.float32), batch_size=batch_size, verbose=0), dtype=np.float32)


def save_history(history: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        history.to_csv(tmp, index=False)


def save_model(model: keras.Model, path) -> None:
    with atomic_path(path) as tmp:
        model.save(tmp)
