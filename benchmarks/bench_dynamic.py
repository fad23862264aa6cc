"""Dynamic-augmentation distillation: throughput of one distillation step with the teacher
ensemble labelling each augmented minibatch inside the training graph (what the pipeline
does: ``degu.models.training.fit`` with ``augment`` and ``degu.uq.distill.EnsembleLabeller``) vs a
naive labeller that calls every member's ``model.predict`` on the augmented batch and then
takes a Keras ``train_on_batch`` step on the result.

Both paths use the same student, the same M teachers (paper-width DeepSTARR, random
weights: speed does not depend on the values), the same augmentation function and batch
size; rounds are interleaved in one process and medians reported. Goal: >= 3x.

    python benchmarks/bench_dynamic.py                    # paper width, M = 10
    python benchmarks/bench_dynamic.py --members 3 --n 1000

Prints a table; nothing is asserted (speed goals are not unit tests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--batch", type=int, default=100, help="minibatch size (paper: 100)")
    ap.add_argument("--n", type=int, default=2000, help="sequences per timed round")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--schemes", default="mutation,evoaug,shuffle")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    from degu.models import build_model
    from degu.models.augment import PAPER_AUGMENTATIONS, make_augmenter
    from degu.models.training import AugmentedTrainer
    from degu.runtime import setup_tensorflow
    from degu.uq.distill import DistillationLoss, EnsembleLabeller
    from degu.uq.ensemble import ensemble_stats

    device = setup_tensorflow(0, threads=args.threads, deterministic=False)
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(args.n, 249))]
    y0 = np.zeros((args.n, 4), np.float32)
    teachers: list = []  # rebuilt per scheme (see below)
    schemes = {
        "mutation": {"kind": "mutation", "rate": 0.05},
        "evoaug": {"kind": "evoaug", "n_min": 0, "n_max": 2},
        "shuffle": {"kind": "shuffle"},
    }

    def in_graph(scheme):
        student = build_model("deepstarr", 249, 4, name="student_graph")
        trainer = AugmentedTrainer(
            student,
            augment=make_augmenter(scheme, PAPER_AUGMENTATIONS),
            labeller=EnsembleLabeller(teachers, n_tasks=2),
        )
        trainer.compile(optimizer=keras.optimizers.Adam(1e-3), loss=DistillationLoss(2), jit_compile=False)
        trainer.fit(x[: args.batch], y0[: args.batch], batch_size=args.batch, epochs=1, verbose=0)  # trace
        return lambda: trainer.fit(x, y0, batch_size=args.batch, epochs=1, shuffle=True, verbose=0)

    def naive(scheme):
        student = build_model("deepstarr", 249, 4, name="student_naive")
        student.compile(optimizer=keras.optimizers.Adam(1e-3), loss=DistillationLoss(2), jit_compile=False)
        augment = tf.function(make_augmenter(scheme, PAPER_AUGMENTATIONS))

        def epoch():
            for i in range(0, args.n, args.batch):
                xa = augment(tf.constant(x[i : i + args.batch])).numpy()
                members = np.stack([t.predict(xa, batch_size=args.batch, verbose=0) for t in teachers])
                mean, std = ensemble_stats(members)
                student.train_on_batch(xa, np.concatenate([mean, std], 1))

        augment(tf.constant(x[: args.batch]))
        student.train_on_batch(x[: args.batch], y0[: args.batch])
        for t in teachers:
            t.predict(x[: args.batch], verbose=0)
        return epoch

    def labels_in_graph(scheme):
        augment = make_augmenter(scheme, PAPER_AUGMENTATIONS)
        labeller = EnsembleLabeller(teachers, n_tasks=2)
        step = tf.function(lambda xb: labeller(augment(xb)))
        step(tf.constant(x[: args.batch]))

        def epoch():
            for i in range(0, args.n, args.batch):
                step(tf.constant(x[i : i + args.batch])).numpy()

        return epoch

    def labels_naive(scheme):
        augment = tf.function(make_augmenter(scheme, PAPER_AUGMENTATIONS))
        augment(tf.constant(x[: args.batch]))
        for t in teachers:
            t.predict(x[: args.batch], verbose=0)

        def epoch():
            for i in range(0, args.n, args.batch):
                xa = augment(tf.constant(x[i : i + args.batch])).numpy()
                ensemble_stats(np.stack([t.predict(xa, batch_size=args.batch, verbose=0) for t in teachers]))

        return epoch

    print(f"device: {device}; M = {args.members} teachers, batch {args.batch}, {args.n} sequences per round")
    print(f"{'scheme':<10} {'what':<28} {'in-graph seq/s':>15} {'naive seq/s':>12} {'ratio':>7}")
    for name in args.schemes.split(","):
        # Fresh teachers for every scheme: reusing one set of models across several trainers'
        # graphs made every scheme after the first ~40% slower here, whatever its augmentation.
        keras.backend.clear_session()
        teachers[:] = [build_model("deepstarr", 249, 2, name=f"teacher_{i}") for i in range(args.members)]
        for what, make_fast, make_slow in (
            ("distillation step", in_graph, naive),
            ("labelling only (no training)", labels_in_graph, labels_naive),
        ):
            fast, slow = make_fast(schemes[name]), make_slow(schemes[name])
            t_fast, t_slow = [], []
            for _ in range(args.repeats):
                for fn, out in ((fast, t_fast), (slow, t_slow)):
                    t = time.perf_counter()
                    fn()
                    out.append(time.perf_counter() - t)
            a, b = args.n / statistics.median(t_fast), args.n / statistics.median(t_slow)
            print(f"{name:<10} {what:<28} {a:>15.0f} {b:>12.0f} {a / b:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
