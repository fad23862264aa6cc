"""Side-by-side measurements for the walking skeleton (run: python benchmarks/bench_inference.py).

1. Inference throughput of one DEGU student (DeepSTARR, 4 outputs) vs the M-member
   teacher ensemble (M DeepSTARR models, 2 outputs each): same inputs, same batch size,
   the pipeline's own inference paths, timed in interleaved rounds in one process
   (medians). Goal: ratio >= 9x (the physical limit is M = 10x).
2. Wall time of the paper-config dry-run (`snakemake -n`). Goal: <= 10 s.

Prints a table; nothing is asserted (speed goals are not unit tests).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def inference(n_seqs: int, members: int, batch: int, repeats: int, threads: int | None) -> dict:
    """Median-of-``repeats`` wall time of the two inference paths the pipeline uses.

    * student: ``degu.models.training.predict`` (one ``model.predict``);
    * ensemble: ``degu.uq.ensemble.predict_members`` + ``ensemble_stats`` (what the labels
      job runs: every member's ``predict``, then mean and std).

    Both run on the same inputs in interleaved rounds, so drifts in machine load hit both
    sides alike. Single calls on a 2-core machine are bimodal (~0.9 s or ~1.3 s for the same
    model), so the median, not the minimum, is reported.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np

    from degu.models import build_model
    from degu.models.training import predict
    from degu.runtime import setup_tensorflow
    from degu.uq.ensemble import ensemble_stats, predict_members

    device = setup_tensorflow(0, threads=threads, deterministic=False)
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n_seqs, 249))]
    student = build_model("deepstarr", 249, 4, name="student")
    teachers = [build_model("deepstarr", 249, 2, name=f"teacher_{i}") for i in range(members)]
    predict(student, x[:batch], batch)  # warm-up (graph tracing) outside the timed region
    predict_members(teachers, x[:batch], batch)
    t_student, t_ensemble = [], []
    for _ in range(repeats):
        t_student.append(timed(lambda: predict(student, x, batch)))
        t_ensemble.append(timed(lambda: ensemble_stats(predict_members(teachers, x, batch))))
    ts, te = float(np.median(t_student)), float(np.median(t_ensemble))
    return {
        "device": device,
        "student_seq_per_s": n_seqs / ts,
        "ensemble_seq_per_s": n_seqs / te,
        "ratio": te / ts,
    }


def dry_run(repeats: int) -> tuple[float, float]:
    """(first, median) wall time of ``snakemake -n`` on the paper config."""
    exe = Path(sys.executable).parent / "snakemake"
    cmd = [
        str(exe),
        "-s",
        str(REPO / "workflow" / "Snakefile"),
        "-n",
        "--quiet",
        "all",
        "--configfile",
        str(REPO / "config" / "config.yaml"),
    ]
    with tempfile.TemporaryDirectory() as work:

        def once():
            subprocess.run(cmd + ["--directory", work], check=True, capture_output=True)

        times = [timed(once) for _ in range(repeats)]
    return times[0], sorted(times)[len(times) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-seqs", type=int, default=5000)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="TensorFlow intra-op threads (default: all)")
    args = ap.parse_args()
    inf = inference(args.n_seqs, args.members, args.batch, args.repeats, args.threads)
    dr_first, dr_median = dry_run(args.repeats)
    print(f"device: {inf['device']}")
    print(f"{'measurement':<48}{'value':>14}{'goal':>10}")
    print(f"{'student inference (seq/s)':<48}{inf['student_seq_per_s']:>14.0f}")
    print(f"{f'ensemble of {args.members} inference (seq/s)':<48}{inf['ensemble_seq_per_s']:>14.0f}")
    print(f"{'student / ensemble throughput ratio':<48}{inf['ratio']:>13.2f}x{'>= 9x':>10}")
    print(f"{'paper-config dry-run wall time, first run (s)':<48}{dr_first:>14.2f}{'<= 10 s':>10}")
    print(
        f"{f'paper-config dry-run wall time, median of {args.repeats} (s)':<48}{dr_median:>14.2f}{'<= 10 s':>10}"
    )


if __name__ == "__main__":
    main()
