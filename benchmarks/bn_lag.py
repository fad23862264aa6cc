"""Why some ResidualBind seeds stopped at epoch 1: BatchNorm moving averages lag the weights.

Trains one narrow ResidualBind teacher (the tiny config's K562-like dataset, seed 2, its
training settings) twice, with and without ``precise_bn``, and prints per epoch: the validation
loss that early stopping sees, the validation Pearson r of the activity head, and the mean
offset of the activity predictions on the validation set in inference mode (moving BN
statistics) and in training mode (batch statistics, dropout off: the network being trained).

    python benchmarks/bn_lag.py RESULTS_DIR [--seed 2] [--epochs 6] [--learning-rate 0.01]

``--learning-rate`` overrides the dataset's configured rate (docs/tiny-run.md shows lr 0.01, the
K562-like set's rate when the lag was diagnosed; the tiny config now uses 0.02 there).

RESULTS_DIR is ``results/test`` of a tiny run (its ``data/k562`` files are read).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path)
    ap.add_argument("--dataset", default="k562")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--learning-rate", type=float, default=None, help="default: the configured rate")
    args = ap.parse_args()
    from degu.runtime import setup_tensorflow

    setup_tensorflow(args.seed, threads=1)
    import keras

    from degu.assays.splits import read_subset
    from degu.io import hdf5
    from degu.models import build_model
    from degu.models.training import TrainConfig, _layers, fit

    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    d = cfg["datasets"][args.dataset]
    data = args.results / "data" / args.dataset
    tr = hdf5.read_split(data / "dataset.h5", "Train", read_subset(data / "subsets.h5", 1.0))
    va = hdf5.read_split(data / "dataset.h5", "Val")
    y_tr = np.concatenate([tr.y, tr.aleatoric], 1)
    y_va = np.concatenate([va.y, va.aleatoric], 1)
    base = {
        **cfg["training"],
        **d.get("training", {}),
        "max_epochs": args.epochs,
        "early_stopping_patience": 99,
    }
    if args.learning_rate is not None:
        base["learning_rate"] = args.learning_rate

    class Offsets(keras.callbacks.Callback):
        def __init__(self, net):
            super().__init__()
            self.net, self.rows = net, []

        def on_epoch_end(self, epoch, logs=None):
            drops = [layer for layer in _layers(self.net) if isinstance(layer, keras.layers.Dropout)]
            rates = [x.rate for x in drops]
            for x in drops:
                x.rate = 0.0
            infer = self.net.predict(va.X, verbose=0)[:, 0]
            bns = [layer for layer in _layers(self.net) if isinstance(layer, keras.layers.BatchNormalization)]
            state = [[np.asarray(w).copy() for w in b.non_trainable_weights] for b in bns]
            train = np.concatenate(
                [self.net(va.X[i : i + 256], training=True).numpy()[:, 0] for i in range(0, len(va.X), 256)]
            )
            for b, ws in zip(bns, state, strict=True):  # undo the moving-average updates of that pass
                for w, v in zip(b.non_trainable_weights, ws, strict=True):
                    w.assign(v)
            for x, r in zip(drops, rates, strict=True):
                x.rate = r
            self.rows.append(
                (
                    epoch + 1,
                    logs["val_loss"],
                    float(np.corrcoef(infer, va.y[:, 0])[0, 1]),
                    float(np.mean(infer - va.y[:, 0])),
                    float(np.mean(train - va.y[:, 0])),
                )
            )

    print("| precise_bn | epoch | val loss | val r | offset, inference mode | offset, training mode |")
    print("|---|---|---|---|---|---|")
    for pbn in (0, base.get("precise_bn", 1000) or 1000):
        keras.utils.set_random_seed(args.seed)
        net = build_model(d["architecture"], tr.X.shape[1], 2, d["model_params"])
        cb = Offsets(net)
        cfg_fit = TrainConfig.from_dict({**base, "precise_bn": pbn})
        fit(net, tr.X, y_tr, va.X, y_va, cfg_fit, verbose=0, extra_callbacks=[cb])
        for e, vl, r, off_i, off_t in cb.rows:
            print(f"| {pbn} | {e} | {vl:.3f} | {r:.3f} | {off_i:+.3f} | {off_t:+.3f} |")


if __name__ == "__main__":
    main()
