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

``residualbind`` (lentiMPRA) follows the paper's Methods; see :func:`build_residualbind`.
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


RESIDUALBIND_DEFAULTS: dict[str, Any] = {
    "filters": 196,
    "kernel_size": 19,
    "residual_kernel": 3,
    "dilations": [1, 2, 4, 8, 16],
    "conv2_filters": 256,
    "conv2_kernel": 7,
    "pool_size": 5,
    "dense_units": 256,
    "dropout_conv": 0.2,
    "dropout_residual": 0.1,
    "dropout_dense": 0.5,
    "bn_momentum": 0.99,
}


def build_residualbind(
    input_length: int, n_outputs: int, name: str = "residualbind", **params: Any
) -> keras.Model:
    """ResidualBind (lentiMPRA model) as in the paper's Methods, defaults in ``RESIDUALBIND_DEFAULTS``.

    1. Conv1D(196, 19, 'same') -> BN -> SiLU -> Dropout(0.2)
    2. dilated residual block: for each dilation d in ``dilations``:
       Conv1D(196, 3, dilation_rate=d, 'same') -> BN -> ReLU -> Dropout(0.1);
       then add the block input (skip) -> SiLU -> Dropout(0.2) -> MaxPool(5)
    3. Conv1D(256, 7, 'same') -> BN -> SiLU -> Dropout(0.2) -> MaxPool(5)
    4. Dense(256) applied per position -> BN -> SiLU -> Dropout(0.5)
    5. GlobalAveragePooling1D, 6. Flatten (a no-op after global pooling; kept as in the paper)
    7. Dense(256) -> BN -> SiLU -> Dropout(0.5)
    8. Dense(n_outputs, linear): 1 (activity), 2 (+ aleatoric std) or 3 (+ epistemic std) units.

    Number of residual convolutions: the Methods list an undilated residual conv followed by
    convs with dilation rates 1, 2, 4, 8 and 16 (6 convs), but the heading says "5 dilations",
    and the authors' model (3 outputs, 230-nt input) measures 1,083,931 parameters. That count is
    matched exactly by 5 convs (dilations 1, 2, 4, 8, 16; each conv+BN adds 116,228 parameters,
    so the 6-conv reading would give 1,200,159). The default therefore uses 5 convs; prepend a 1
    to ``dilations`` for the literal 6-conv reading. Parameter counts (230-nt input; the count
    does not depend on the length): 1,083,417 / 1,083,674 / 1,083,931 for 1 / 2 / 3 outputs.

    Both max-pools use 'valid' padding, so the input must be at least ``pool_size**2`` long.
    """
    unknown = set(params) - set(RESIDUALBIND_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown ResidualBind parameter(s): {sorted(unknown)}")
    p = {**RESIDUALBIND_DEFAULTS, **params}
    dilations = [int(d) for d in p["dilations"]]
    if not dilations or min(dilations) < 1:
        raise ValueError(f"dilations must be a non-empty list of positive integers, got {p['dilations']}")
    if input_length < p["pool_size"] ** 2:
        raise ValueError(
            f"input_length {input_length} is too short for two max-pools of size {p['pool_size']}"
        )
    mom = p["bn_momentum"]
    inputs = keras.Input(shape=(input_length, 4), name="sequence")
    x = layers.Conv1D(p["filters"], p["kernel_size"], padding="same", name="conv1")(inputs)
    x = layers.BatchNormalization(momentum=mom, name="conv1_bn")(x)
    x = layers.Activation("silu", name="conv1_silu")(x)
    skip = layers.Dropout(p["dropout_conv"], name="conv1_dropout")(x)
    x = skip
    for i, d in enumerate(dilations, start=1):
        x = layers.Conv1D(
            p["filters"], p["residual_kernel"], dilation_rate=d, padding="same", name=f"res{i}_conv"
        )(x)
        x = layers.BatchNormalization(momentum=mom, name=f"res{i}_bn")(x)
        x = layers.Activation("relu", name=f"res{i}_relu")(x)
        x = layers.Dropout(p["dropout_residual"], name=f"res{i}_dropout")(x)
    x = layers.Add(name="res_add")([skip, x])
    x = layers.Activation("silu", name="res_silu")(x)
    x = layers.Dropout(p["dropout_conv"], name="res_dropout")(x)
    x = layers.MaxPooling1D(p["pool_size"], name="res_pool")(x)
    x = layers.Conv1D(p["conv2_filters"], p["conv2_kernel"], padding="same", name="conv2")(x)
    x = layers.BatchNormalization(momentum=mom, name="conv2_bn")(x)
    x = layers.Activation("silu", name="conv2_silu")(x)
    x = layers.Dropout(p["dropout_conv"], name="conv2_dropout")(x)
    x = layers.MaxPooling1D(p["pool_size"], name="conv2_pool")(x)
    x = layers.Dense(p["dense_units"], name="dense1")(x)  # per position
    x = layers.BatchNormalization(momentum=mom, name="dense1_bn")(x)
    x = layers.Activation("silu", name="dense1_silu")(x)
    x = layers.Dropout(p["dropout_dense"], name="dense1_dropout")(x)
    x = layers.GlobalAveragePooling1D(name="global_avg_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(p["dense_units"], name="dense2")(x)
    x = layers.BatchNormalization(momentum=mom, name="dense2_bn")(x)
    x = layers.Activation("silu", name="dense2_silu")(x)
    x = layers.Dropout(p["dropout_dense"], name="dense2_dropout")(x)
    outputs = layers.Dense(n_outputs, activation="linear", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


ARCHITECTURES = {"deepstarr": build_deepstarr, "residualbind": build_residualbind}


def build_model(
    architecture: str, input_length: int, n_outputs: int, params: dict | None = None, name: str | None = None
) -> keras.Model:
    try:
        builder = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}; known: {sorted(ARCHITECTURES)}") from None
    return builder(input_length, n_outputs, name=name or architecture, **(params or {}))


def load_model(path) -> keras.Model:
    """Load a ``.keras`` model in safe mode (no arbitrary code/pickles), without compiling.

    Imports the modules whose registered classes a saved model may hold (a student's
    ``Unstandardize`` output layer), so a model loads in any process."""
    import degu.models.layers  # noqa: F401  (registers degu>Unstandardize)

    return keras.models.load_model(path, compile=False, safe_mode=True)
