"""Where a tiny-config training job's time goes on CPU, measured side by side in one run.

Prints, for the tiny config's narrow models on random one-hot input (batch 64, 62 minibatches
per epoch, about the tiny data sets' 3,900-4,000 training sequences), one intra-op thread as in
the pipeline's jobs:

* the start-up of a fresh Python process that imports TensorFlow and Keras (what every
  TensorFlow job pays before its first line of work);
* the first epoch (tracing + one epoch) against a later epoch (the steady state), so the
  tracing cost per ``fit``;
* milliseconds per training step, and each variant's step time as a ratio to the tiny config's
  ResidualBind (filters 32);
* one 3-wide Conv1D with 32 channels on a (64, 230, 32) activation, forward + weight gradient,
  against BatchNorm + ReLU on the same tensor: the two kinds of operations that make up the
  ResidualBind step.

    python benchmarks/step_cost.py [--epochs 2]

Timings swing with the machine's load; only the ratios within one run are comparable.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

VARIANTS = [
    (
        "residualbind",
        230,
        {"filters": 32, "conv2_filters": 32, "dense_units": 32},
        "tiny config (filters 32)",
    ),
    ("residualbind", 230, {"filters": 16, "conv2_filters": 32, "dense_units": 32}, "filters 16"),
    (
        "residualbind",
        230,
        {"filters": 32, "conv2_filters": 32, "dense_units": 32, "dilations": [1]},
        "1 residual conv",
    ),
    ("deepstarr", 249, {"conv_filters": [64, 32, 32, 32], "dense_units": [64, 64]}, "tiny config"),
]


def import_seconds(repeats: int = 2) -> float:
    """Best wall time of a fresh interpreter that imports TensorFlow and Keras."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import tensorflow, keras"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=2, help="steady-state epochs to average (default 2)")
    args = ap.parse_args()

    startup = import_seconds()

    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=1, deterministic=True)
    import keras
    import numpy as np
    import tensorflow as tf

    from degu.models import build_model

    rng = np.random.default_rng(0)
    batch, steps = 64, 62
    rows = []
    for arch, length, params, label in VARIANTS:
        x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (batch * steps, length))]
        y = rng.normal(size=(batch * steps, 2)).astype(np.float32)
        model = build_model(arch, length, 2, params)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", jit_compile=False)
        t = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        first = time.perf_counter() - t
        t = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=args.epochs, verbose=0)
        epoch = (time.perf_counter() - t) / args.epochs
        rows.append((arch, label, model.count_params(), first, epoch, 1000 * epoch / steps))

    act = tf.constant(rng.random((batch, 230, 32), dtype=np.float32))
    kernel = tf.Variable(rng.random((3, 32, 32), dtype=np.float32))
    bn = keras.layers.BatchNormalization()

    @tf.function
    def conv_step():
        with tf.GradientTape() as tape:
            out = tf.nn.conv1d(act, kernel, 1, "SAME")
            loss = tf.reduce_sum(out * out)
        return tape.gradient(loss, [kernel])

    @tf.function
    def bn_step():
        with tf.GradientTape() as tape:
            out = tf.nn.relu(bn(act, training=True))
            loss = tf.reduce_sum(out * out)
        return tape.gradient(loss, bn.trainable_variables)

    micro = {}
    for name, fn in (
        ("Conv1D(32, 3) fwd + weight grad", conv_step),
        ("BatchNorm + ReLU fwd + grad", bn_step),
    ):
        fn()
        t = time.perf_counter()
        for _ in range(50):
            fn()
        micro[name] = 1000 * (time.perf_counter() - t) / 50

    ref = rows[0][5]
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, 1 intra-op thread\n")
    print(f"fresh process `import tensorflow, keras`: {startup:.1f} s\n")
    print(
        "| model | variant | parameters | first epoch s | later epoch s | tracing s | ms/step | step vs tiny ResidualBind |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for arch, label, n, first, epoch, ms in rows:
        print(
            f"| {arch} | {label} | {n:,} | {first:.1f} | {epoch:.1f} | {first - epoch:.1f} | {ms:.0f} | {ms / ref:.2f} |"
        )
    print("\n| operation on a (64, 230, 32) activation | ms |")
    print("|---|---|")
    for name, ms in micro.items():
        print(f"| {name} | {ms:.1f} |")


if __name__ == "__main__":
    main()
