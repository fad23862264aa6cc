"""Train one standard model on a prepared dataset and print its VALIDATION curve.

The tool used to choose the tiny config's training settings (docs/tiny-run.md): it reports
validation Pearson r per epoch (and, to tell over- from underfitting, the r on 2,000 evenly
spaced training sequences) and never looks at the test split.

    python benchmarks/train_one.py results/test/data/deepstarr/dataset.h5 \\
        --params '{"conv_filters": [64, 32, 32, 32], "dense_units": [64, 64], "bn_momentum": 0.9}' \\
        --train '{"learning_rate": 0.01, "batch_size": 64, "max_epochs": 8, "lr_decay_patience": 1,
                  "early_stopping_patience": 3, "precise_bn": 1000}' [--subset 0.5] [--n 4000] [--seed 0]

``--subset F`` trains on the pipeline's nested subset of fraction F (``subsets.h5`` beside the
dataset); ``--n N`` on the first N training sequences. ``--augment SCHEME`` trains through an
augmentation scheme of :mod:`degu.models.augment` (``'{"kind": "evoaug", "n_min": 1, "n_max": 1}'``
uses the paper's EvoAug list, or the list given as ``--augmentations '{"rc": {"prob": 0.5}}'``),
and ``--finetune '{"epochs": 5, "learning_rate": 0.0001}'`` adds EvoAug's fine-tune stage on the
original data, as the pipeline's EvoAug teachers do (one line for the stage: its best epoch and the
validation and training r of the weights it keeps). Seconds per epoch are printed too, but they
are only comparable within one run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset_h5", type=Path)
    ap.add_argument("--arch", default="deepstarr")
    ap.add_argument("--params", default="{}", help="model_params as JSON")
    ap.add_argument("--train", default="{}", help="training settings as JSON (degu TrainConfig keys)")
    ap.add_argument("--subset", type=float, default=None, help="train on this fraction's subset")
    ap.add_argument("--n", type=int, default=None, help="train on the first N training sequences")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--augment", default=None, help="augmentation scheme as JSON (degu.models.augment)")
    ap.add_argument("--augmentations", default=None, help="EvoAug list as JSON (default: the paper's)")
    ap.add_argument(
        "--finetune", default=None, help='EvoAug fine-tune stage as JSON {"epochs", "learning_rate"}'
    )
    args = ap.parse_args()
    if args.augmentations and not args.augment:
        ap.error("--augmentations needs --augment (the scheme that uses the list)")
    if args.finetune and not args.augment:
        ap.error("--finetune is EvoAug's second stage: it needs --augment")

    from degu.runtime import setup_tensorflow

    setup_tensorflow(args.seed, threads=1, deterministic=True)
    import keras
    import numpy as np

    from degu.assays.splits import read_subset
    from degu.io import hdf5
    from degu.models import build_model
    from degu.models.augment import make_augmenter
    from degu.models.training import TrainConfig, finetune, fit

    # built before any data is read, so that a bad scheme fails first (building draws no random numbers)
    augmentations = json.loads(args.augmentations) if args.augmentations else None
    augment = make_augmenter(json.loads(args.augment), augmentations) if args.augment else None
    index = read_subset(args.dataset_h5.with_name("subsets.h5"), args.subset) if args.subset else None
    train, val = hdf5.read_split(args.dataset_h5, "Train", index), hdf5.read_split(args.dataset_h5, "Val")
    x, y = (train.X[: args.n], train.y[: args.n]) if args.n else (train.X, train.y)
    model = build_model(args.arch, x.shape[1], y.shape[1], json.loads(args.params))
    x_val = val.X.astype(np.float32)
    # training-set r on (at most) 2,000 evenly spaced training sequences: over- or underfitting
    fit_rows = np.linspace(0, len(x) - 1, min(len(x), 2000)).astype(int)
    x_fit, y_fit = x[fit_rows].astype(np.float32), y[fit_rows]

    def r_values() -> str:
        """Validation r and the r on the training rows, per task."""
        pred = model.predict(x_val, verbose=0, batch_size=1000)
        r = [float(np.corrcoef(pred[:, j], val.y[:, j])[0, 1]) for j in range(y.shape[1])]
        pred_fit = model.predict(x_fit, verbose=0, batch_size=1000)
        r_fit = [float(np.corrcoef(pred_fit[:, j], y_fit[:, j])[0, 1]) for j in range(y.shape[1])]
        return f"val r {' / '.join(f'{v:.3f}' for v in r)}, train r {' / '.join(f'{v:.3f}' for v in r_fit)}"

    class ValidationR(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.t0
            print(
                f"epoch {epoch + 1}: {seconds:.1f} s, val_loss {logs['val_loss']:.4f}, {r_values()}",
                flush=True,
            )

    cfg = TrainConfig.from_dict(json.loads(args.train))
    history = fit(model, x, y, x_val, val.y, cfg, verbose=0, augment=augment, extra_callbacks=[ValidationR()])
    best = history[history.best]
    print(
        f"{len(x)} training sequences, {model.count_params()} parameters: best epoch "
        f"{int(best.epoch.iloc[0])} of {len(history)}",
        flush=True,
    )
    if args.finetune:
        stage = json.loads(args.finetune)
        tuned = finetune(
            model, x, y, x_val, val.y, cfg, int(stage["epochs"]), float(stage["learning_rate"]), verbose=0
        )
        best = tuned[tuned.best]
        print(
            f"fine-tune: best epoch {int(best.epoch.iloc[0])} of {len(tuned)}, "
            f"val_loss {float(best.val_loss.iloc[0]):.4f}, {r_values()}"
        )


if __name__ == "__main__":
    main()
