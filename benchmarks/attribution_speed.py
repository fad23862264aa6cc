"""Seconds per sequence of saliency and DeepSHAP (run: python benchmarks/attribution_speed.py).

For each architecture of a config (default ``config/test.yaml``: the narrow DeepSTARR of the
``deepstarr`` dataset and the narrow ResidualBind of ``k562``), a freshly initialised standard
model (activity head, plus the aleatoric head where the dataset has one) is explained on random
one-hot sequences through :func:`degu.analysis.attribution.attribute`, the function the
pipeline's jobs call: saliency in batches of ``--saliency-batch`` (default 1000), DeepSHAP with
``--background`` (default 100) background sequences. Times are wall time including the
one-off tracing of each call, divided by the number of sequences, as the jobs record them.
Untrained weights change no op counts, so the timing is that of a trained model.

Prints a table; nothing is asserted (speed is not a unit test).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(REPO / "config" / "test.yaml"))
    ap.add_argument("--n-saliency", type=int, default=2000, help="sequences explained by saliency")
    ap.add_argument("--saliency-batch", type=int, default=1000)
    ap.add_argument("--n-deepshap", type=int, default=20, help="sequences explained by DeepSHAP")
    ap.add_argument("--background", type=int, default=100)
    ap.add_argument("--threads", type=int, default=None, help="intra-op threads (default: TensorFlow's)")
    args = ap.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np

    from degu.analysis.attribution import attribute
    from degu.config import load_config
    from degu.models import build_model
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(0, threads=args.threads, deterministic=False)
    config = load_config(args.config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    seen, cases = set(), []
    for name, ds in config["datasets"].items():  # the first dataset of each architecture
        if ds["architecture"] not in seen:
            seen.add(ds["architecture"])
            cases.append((name, ds))

    rng = np.random.default_rng(0)
    print(f"device: {device}; config {args.config}")
    header = f"{'dataset':<10} {'architecture':<13} {'params':>8} {'L':>4} {'method':<9} {'setting':<15} {'n':>5} {'s/seq':>9} {'additivity':>10}"
    print(header)
    print("-" * len(header))
    for name, ds in cases:
        n_out = len(ds["tasks"]) * (2 if ds.get("aleatoric") else 1)
        length = ds["seq_len"]
        model = build_model(ds["architecture"], length, n_out, ds.get("model_params") or {})
        n_max = max(args.n_saliency, args.n_deepshap + args.background)
        x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n_max, length))]
        runs = [
            ("saliency", f"batch {args.saliency_batch}", x[: args.n_saliency], None, args.saliency_batch),
            ("deepshap", f"background {args.background}", x[: args.n_deepshap], x[-args.background :], None),
        ]
        for method, setting, xs, bg, batch in runs:
            _, info = attribute(model, xs, 0, method, background=bg, batch_size=batch)
            print(
                f"{name:<10} {ds['architecture']:<13} {model.count_params():>8,} {length:>4} {method:<9} "
                f"{setting:<15} {len(xs):>5} {info['seconds_per_sequence']:>9.5f} "
                f"{info['additivity_max_error']:>10.1e}"
            )


if __name__ == "__main__":
    main()
