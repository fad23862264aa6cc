"""Model architectures, built from config values.

``deepstarr`` follows the paper's Methods exactly (defaults below): four conv
blocks (Conv1D 'same' padding -> BatchNorm -> ReLU -> MaxPool(2)) with
256/60/60/120 filters and kernel sizes 7/3/5/3, flatten, two dense blocks
(256 units -> BatchNorm -> ReLU -> Dropout(0.4)) and a linear output. BatchNorm uses
the Keras default momentum (0.99) unless ``bn_momentum`` is set: with few steps per
epoch (tiny data) a lower value lets the moving statistics, and hence validation
loss and early stopping, settle within the first epochs. With 249-bp
input and 2 outputs it has 624,738 parameters; a distilled student has 2N outputs
(activity per task, then epistemic std per task).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

DEEPSTARR_DEFAULTS: dict[str, Any] = {
    "conv_filters": [256, 60, 60, 120],
    "conv_kernels": [7, 3, 5, 3],
    "pool_size": 2,
    "dense_units": [256, 256],
    "dropout": 0.4,
    "bn_momentum": 0.99,
}


def build_deepstarr(input_length: int, n_outputs: int, name: str = "deepstarr", **params: Any) -> keras.Model:
    p = {**DEEPSTARR_DEFAULTS, **params}
    unknown = set(params) - set(DEEPSTARR_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown DeepSTARR parameter(s): {sorted(unknown)}")
    if len(p["conv_filters"]) != len(p["conv_kernels"]):
        raise ValueError("conv_filters and conv_kernels must have the same length")
    inputs = keras.Input(shape=(input_length, 4), name="sequence")
    x = inputs
    for i, (filters, kernel) in enumerate(zip(p["conv_filters"], p["conv_kernels"], strict=True), start=1):
        x = layers.Conv1D(filters, kernel, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=p["bn_momentum"], name=f"conv{i}_bn")(x)
        x = layers.Activation("relu", name=f"conv{i}_relu")(x)
        x = layers.MaxPooling1D(p["pool_size"], name=f"conv{i}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(p["dense_units"], start=1):
        x = layers.Dense(units, name=f"dense{i}")(x)
        x = layers.BatchNormalization(momentum=p["bn_momentum"], name=f"dense{i}_bn")(x)
        x = layers.Activation("relu", name=f"dense{i}_relu")(x)
        x = layers.Dropout(p["dropout"], name=f"dense{i}_dropout")(x)
    outputs = layers.Dense(n_outputs, activation="linear", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


ARCHITECTURES = {"deepstarr": build_deepstarr}


def build_model(
    architecture: str, input_length: int, n_outputs: int, params: dict | None = None, name: str | None = None
) -> keras.Model:
    try:
        builder = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}; known: {sorted(ARCHITECTURES)}") from None
    return builder(input_length, n_outputs, name=name or architecture, **(params or {}))


def load_model(path) -> keras.Model:
    """Load a ``.keras`` model in safe mode (no arbitrary code/pickles), without compiling."""
    return keras.models.load_model(path, compile=False, safe_mode=True)
