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

``cnn_task_base`` (ATAC-seq profiles) is GOPHER's base-resolution CNN; see
:func:`build_cnn_task_base`.
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


CNN_TASK_BASE_DEFAULTS: dict[str, Any] = {
    "conv_filters": [192, 256, 512],
    "conv_kernels": [19, 7, 7],
    "pool_sizes": [8, 4, 4],
    "conv_dropouts": [0.1, 0.1, 0.2],
    "dense_units": 256,
    "dense_dropout": 0.3,
    "bottleneck": 8,
    "output_length": None,  # None: the input length (base resolution)
    "bottleneck_dropout": 0.1,
    "profile_filters": 256,
    "profile_kernel": 7,
    "profile_dropout": 0.2,
    "head_filters": 64,
    "head_kernel": 7,
    "head_dropout": 0.1,
    "bn_momentum": 0.99,
}


def build_cnn_task_base(
    input_length: int, n_outputs: int, name: str = "cnn_task_base", **params: Any
) -> keras.Model:
    """CNN-task-base (ATAC-seq profiles, Supp Fig 1): GOPHER's ``conv_profile_task_base`` as the
    paper's Methods describe it, defaults in ``CNN_TASK_BASE_DEFAULTS``.

    1. three conv blocks, i = 1..3: Conv1D(``conv_filters[i]``, ``conv_kernels[i]``, 'same') -> BN
       -> ReLU -> MaxPool(``pool_sizes[i]``) -> Dropout(``conv_dropouts[i]``)
       (192 k19 pool 8 drop 0.1; 256 k7 pool 4 drop 0.1; 512 k7 pool 4 drop 0.2)
    2. Flatten -> Dense(256) -> BN -> ReLU -> Dropout(0.3)
    3. Dense(``output_length`` * ``bottleneck``) -> BN -> ReLU -> Reshape(output_length,
       bottleneck) -> Dropout(0.1) (the bottleneck rescaled to base resolution; bottleneck 8)
    4. Conv1D(256, 7, 'same') -> BN -> ReLU -> Dropout(0.2)
    5. one head per output channel: Conv1D(64, 7, 'same') -> BN -> ReLU -> Dropout(0.1) ->
       Dense(1, softplus) per position; the heads concatenated on the last axis.

    Output: (batch, ``output_length``, ``n_outputs``), non-negative (softplus), in the project's
    head layout (:class:`degu.models.heads.HeadLayout` with ``length=output_length``): a teacher
    has heads [mean, aleatoric] (the replicate mean and std tracks), a DEGU student [mean,
    aleatoric, epistemic] (``degu.models.heads.profile_layout``), each head with one column per
    task, every column its own head block as in GOPHER. The builder only counts columns.

    Input length: the model sees the training crop, not the 3072-bp bin. GOPHER builds it with
    ``input_shape = (2048, 4)`` and ``output_shape = (2048, tasks)`` and the paper trains on a random
    2048-bp window of each bin (validation and test: the centre window), so ``input_length`` is the
    crop length (2048 for the paper) and ``output_length`` defaults to it. The pools use 'valid'
    padding: 2048 bp become 2048/8/4/4 = 16 positions x 512 channels = 8,192 features before the
    dense layers, so the parameter count depends on the input length; ``input_length`` must be at
    least the product of the pool sizes. All hidden activations are ReLU (paper; GOPHER makes the
    first one a sweep parameter). Parameter counts (2048 bp in and out, defaults): 7,901,378 with
    2 outputs, 8,016,451 with 3 (each head adds 115,073).
    """
    unknown = set(params) - set(CNN_TASK_BASE_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown CNN-task-base parameter(s): {sorted(unknown)}")
    p = {**CNN_TASK_BASE_DEFAULTS, **params}
    blocks = [p["conv_filters"], p["conv_kernels"], p["pool_sizes"], p["conv_dropouts"]]
    if len({len(b) for b in blocks}) != 1 or not blocks[0]:
        raise ValueError(
            "conv_filters, conv_kernels, pool_sizes and conv_dropouts must be non-empty and equally long"
        )
    reduction = 1
    for pool in p["pool_sizes"]:
        reduction *= int(pool)
    if input_length < reduction:
        raise ValueError(
            f"input_length {input_length} is shorter than the product of the pool sizes ({reduction})"
        )
    if int(n_outputs) < 1:
        raise ValueError(f"n_outputs must be >= 1, got {n_outputs}")
    out_len = int(p["output_length"] or input_length)
    mom = p["bn_momentum"]

    def block(x, filters, kernel, tag):
        x = layers.Conv1D(filters, kernel, padding="same", name=tag)(x)
        x = layers.BatchNormalization(momentum=mom, name=f"{tag}_bn")(x)
        return layers.Activation("relu", name=f"{tag}_relu")(x)

    inputs = keras.Input(shape=(input_length, 4), name="sequence")
    x = inputs
    for i, (filters, kernel, pool, drop) in enumerate(zip(*blocks, strict=True), start=1):
        x = block(x, filters, kernel, f"conv{i}")
        x = layers.MaxPooling1D(pool, name=f"conv{i}_pool")(x)
        x = layers.Dropout(drop, name=f"conv{i}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(p["dense_units"], name="dense1")(x)
    x = layers.BatchNormalization(momentum=mom, name="dense1_bn")(x)
    x = layers.Activation("relu", name="dense1_relu")(x)
    x = layers.Dropout(p["dense_dropout"], name="dense1_dropout")(x)
    x = layers.Dense(out_len * p["bottleneck"], name="bottleneck")(x)
    x = layers.BatchNormalization(momentum=mom, name="bottleneck_bn")(x)
    x = layers.Activation("relu", name="bottleneck_relu")(x)
    x = layers.Reshape((out_len, p["bottleneck"]), name="bottleneck_reshape")(x)
    x = layers.Dropout(p["bottleneck_dropout"], name="bottleneck_dropout")(x)
    x = block(x, p["profile_filters"], p["profile_kernel"], "profile_conv")
    x = layers.Dropout(p["profile_dropout"], name="profile_dropout")(x)
    heads = []
    for k in range(int(n_outputs)):
        h = block(x, p["head_filters"], p["head_kernel"], f"head{k}_conv")
        h = layers.Dropout(p["head_dropout"], name=f"head{k}_dropout")(h)
        heads.append(layers.Dense(1, activation="softplus", name=f"head{k}_output")(h))
    outputs = heads[0] if len(heads) == 1 else layers.Concatenate(axis=-1, name="output")(heads)
    return keras.Model(inputs, outputs, name=name)


ARCHITECTURES = {
    "deepstarr": build_deepstarr,
    "residualbind": build_residualbind,
    "cnn_task_base": build_cnn_task_base,
}


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
