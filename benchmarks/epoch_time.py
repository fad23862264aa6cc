"""Training throughput of the paper-width models, and the device-hours of the paper config.

    python benchmarks/epoch_time.py                       # measure here, then estimate
    python benchmarks/epoch_time.py --rates rates.json    # estimate from earlier measurements
    python benchmarks/epoch_time.py --save rates.json     # keep the measurements (e.g. from a GPU node)

1. Measures, on whatever device TensorFlow finds (it says which), the training throughput
   (sequences/s through `model.fit`, compiled exactly as `degu.models.training.fit` does, batch 100)
   and the prediction throughput (batch 1000) of paper-width DeepSTARR (249 bp, 2 outputs,
   624,738 parameters) and ResidualBind (230 bp, 2 outputs: activity + aleatoric).
2. Runs the paper-config dry-run (`snakemake -n --configfile config/config.yaml`) and reads
   every job's rule and wildcards from it.
3. Prices every TensorFlow job from the throughputs, the training-set sizes below and an
   assumed mean number of epochs (early stopping ends training before `max_epochs`), and prints
   device-hours per rule. CPU-only jobs (download, prepare, evaluate, figures) are not counted.

Cost model per job (n = training sequences of the fraction, v/t = validation/test sequences):
  training (teachers, students, baselines):  epochs * (n / train_rate + v / predict_rate)
                                             + (v + t) / predict_rate   (saved predictions)
  ensemble labels (10 members):              10 * (n + v + t) / predict_rate
  MC dropout (100 passes):                   100 * (v + t) / predict_rate
  EvoAug models:                             training with epochs + the fine-tune epochs
  dynamic-augmentation students:             training + per epoch M * n / predict_rate (labels)
  shifted test sets / OOD predictions:       models * 4 levels * t / predict_rate
  ATAC (CNN-task-base, 2048-bp windows; hg38 bin counts ATAC_SIZES, estimated):
    profile model:                           epochs * (n / train_rate + v / predict_rate) + t / predict_rate
    ensemble tracks:                         teachers * 2 windows * (n + v + t) / predict_rate
    attribution:                             models * 3 * n_sequences / predict_rate
  every job:                                 + --job-overhead-s (start-up, loading data)

With the config's ATAC datasets, CNN-task-base is measured too (paper width, Poisson loss, batch
100; --profile-train-seqs windows); a --rates file without it leaves the ATAC jobs unpriced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Training/validation/test sequence counts of the paper-config datasets. Not measured here (the
# development machine has no internet and no copy of the data): DeepSTARR from de Almeida et al.
# 2022 (Zenodo 5502060 files); lentiMPRA K562 training count from config/README.md (DEGU
# authors' aleatoric set), HepG2 as 80% of ~139,000 sequences; validation and test ~10% each.
SIZES = {
    "deepstarr": (402_296, 40_570, 41_186),
    "lentimpra_k562": (181_002, 22_600, 22_600),
    "lentimpra_k562_aleatoric": (180_564, 22_600, 22_600),
    "lentimpra_hepg2": (111_000, 13_900, 13_900),
    "lentimpra_hepg2_aleatoric": (111_000, 13_900, 13_900),
}
MODELS = {"deepstarr": (249, 2), "residualbind": (230, 2)}
# CNN-task-base (ATAC-seq profiles): a 2048-bp window in, 2048 x 2 out (teacher: mean, std).
PROFILE_MODEL = ("cnn_task_base", 2048, 2)
# hg38 in 3072-bp bins (training: every primary chromosome but chr8, chr9 and chrY; validation
# chr9; test chr8), minus roughly the N-only bins. Estimated from the chromosome sizes, not
# counted (no hg38 on the development machine).
ATAC_SIZES = (850_000, 38_000, 47_000)
PROFILE_RULES = {"train_atac_model", "atac_ensemble_tracks", "atac_attribution"}
TRAINING_RULES = {
    "train_teacher",
    "train_student",
    "train_baseline",
    "train_het_student",
    "train_evoaug_teacher",
    "train_evoaug_student",
    "train_dynamic_student",
}
EVOAUG_RULES = {"train_evoaug_teacher", "train_evoaug_student"}  # + the fine-tune epochs
LABEL_RULES = {"ensemble_labels", "heteroscedastic_labels"}
OOD_RULES = {"shifted_test_sets", "ood_predict"}


def device_name() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)} (x{len(gpus)} visible)"
    return f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def measure(
    architecture: str, train_seqs: int, predict_seqs: int, threads: int | None, deterministic: bool
) -> dict:
    """Sequences/s of one training epoch and of prediction, after a warm-up (graph tracing)."""
    import keras
    import numpy as np

    from degu.models import build_model
    from degu.models.training import predict
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=deterministic)
    length, outputs = MODELS[architecture]
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(max(train_seqs, predict_seqs), length))]
    y = rng.normal(size=(len(x), outputs)).astype(np.float32)
    model = build_model(architecture, length, outputs)
    # as degu.models.training.fit compiles it
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse", jit_compile=False)
    model.fit(x[:500], y[:500], batch_size=100, epochs=1, verbose=0)  # warm-up
    t = time.perf_counter()
    model.fit(x[:train_seqs], y[:train_seqs], batch_size=100, epochs=1, shuffle=True, verbose=0)
    train_rate = train_seqs / (time.perf_counter() - t)
    predict(model, x[:1000], 1000)  # warm-up
    t = time.perf_counter()
    predict(model, x[:predict_seqs], 1000)
    predict_rate = predict_seqs / (time.perf_counter() - t)
    return {"params": int(model.count_params()), "train_seq_s": train_rate, "predict_seq_s": predict_rate}


def measure_profile(train_seqs: int, predict_seqs: int, threads: int | None, deterministic: bool) -> dict:
    """Sequences/s of CNN-task-base (paper width, 2048 bp, 2 output tracks): training with the
    Poisson loss at batch 100, and prediction, after a warm-up."""
    import keras
    import numpy as np

    from degu.models import build_model
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=deterministic)
    name, length, outputs = PROFILE_MODEL
    rng = np.random.default_rng(0)
    n = max(train_seqs, predict_seqs, 100)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]
    y = rng.gamma(2.0, 1.0, size=(n, length, outputs)).astype(np.float32)
    model = build_model(name, length, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="poisson", jit_compile=False)
    model.fit(x[:100], y[:100], batch_size=100, epochs=1, verbose=0)  # warm-up
    t = time.perf_counter()
    model.fit(x[:train_seqs], y[:train_seqs], batch_size=100, epochs=1, verbose=0)
    train_rate = train_seqs / (time.perf_counter() - t)
    model.predict(x[:100], batch_size=100, verbose=0)  # warm-up
    t = time.perf_counter()
    model.predict(x[:predict_seqs], batch_size=100, verbose=0)
    predict_rate = predict_seqs / (time.perf_counter() - t)
    return {"params": int(model.count_params()), "train_seq_s": train_rate, "predict_seq_s": predict_rate}


def dry_run_jobs(configfile: Path) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job of the config's dry-run."""
    with tempfile.TemporaryDirectory() as work:
        res = subprocess.run(
            [sys.executable, "-m", "snakemake", "-n", "-s", str(REPO / "workflow" / "Snakefile"),
             "--configfile", str(configfile), "--directory", work],
            cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
    jobs = []
    for rule, body in re.findall(r"^(?:local)?rule (\w+):\n(.*?)(?=^\S|\Z)", res.stdout, re.M | re.S):
        m = re.search(r"^\s+wildcards: (.*)$", body, re.M)
        wildcards = dict(kv.split("=", 1) for kv in m.group(1).split(", ")) if m else {}
        jobs.append((rule, wildcards))
    return jobs


def estimate(
    jobs, rates: dict, config: dict, mean_epochs: float, overhead_s: float
) -> dict[str, tuple[int, float]]:
    """{rule: (number of jobs, device-hours)} for the TensorFlow jobs."""
    members = config["teachers"]["n"]
    rob = config.get("robustness", {})
    oracle = rob.get("oracle", {}).get("n", 10)
    finetune = config.get("evoaug", {}).get("finetune", {}).get("epochs", 5)
    n_students = config.get("robustness", {}).get("n_students", config.get("students", {}).get("n", 10))
    n_shifts = 1 + len(config.get("robustness", {}).get("shifts", {"small": 0, "moderate": 0, "large": 0}))
    passes = config["uncertainty"]["mc_dropout_passes"]
    out: dict[str, list] = defaultdict(lambda: [0, 0.0])
    atac = config.get("atac", {})
    for rule, wc in jobs:
        if rule in PROFILE_RULES and PROFILE_MODEL[0] in rates:
            train_rate, predict_rate = (
                rates[PROFILE_MODEL[0]]["train_seq_s"],
                rates[PROFILE_MODEL[0]]["predict_seq_s"],
            )
            n_train, n_val, n_test = ATAC_SIZES
            if rule == "train_atac_model":
                seconds = mean_epochs * (n_train / train_rate + n_val / predict_rate) + n_test / predict_rate
            elif rule == "atac_ensemble_tracks":  # every bin from two windows, by every teacher
                seconds = atac.get("teachers", {}).get("n", 10) * 2 * sum(ATAC_SIZES) / predict_rate
            else:  # saliency (~3 predictions' cost) of every model on n_sequences bins
                n_models = atac.get("teachers", {}).get("n", 10) + atac.get("students", {}).get("n", 10)
                seconds = n_models * 3 * atac.get("attribution", {}).get("n_sequences", 1000) / predict_rate
            out[rule][0] += 1
            out[rule][1] += (seconds + overhead_s) / 3600
            continue
        if rule not in TRAINING_RULES | LABEL_RULES | OOD_RULES | {"mc_dropout"}:
            continue
        arch = config["datasets"][wc["dataset"]]["architecture"]
        train_rate, predict_rate = rates[arch]["train_seq_s"], rates[arch]["predict_seq_s"]
        n_train, n_val, n_test = SIZES[wc["dataset"]]
        n = n_train * float(wc.get("fraction", 1.0))
        ensemble = wc.get("ensemble", "ensemble")
        k = oracle if ensemble == "evoaug_ensemble" else int(ensemble[len("ensemble_k") :] or members)
        if rule in TRAINING_RULES:
            epochs = mean_epochs + (finetune if rule in EVOAUG_RULES else 0)
            per_epoch = n / train_rate + n_val / predict_rate
            if rule == "train_dynamic_student":  # the teachers label every minibatch
                dynamic_teachers = oracle if rob.get("distill_from", "oracle") == "oracle" else members
                per_epoch += dynamic_teachers * n / predict_rate
            seconds = epochs * per_epoch + (n_val + n_test) / predict_rate
        elif rule == "shifted_test_sets":
            seconds = oracle * n_shifts * n_test / predict_rate
        elif rule == "ood_predict":
            models = members if wc.get("procedure") == "standard" else n_students
            seconds = models * n_shifts * n_test / predict_rate
        elif rule in LABEL_RULES:
            seconds = k * (n + n_val + n_test) / predict_rate
        else:
            seconds = passes * (n_val + n_test) / predict_rate
        out[rule][0] += 1
        out[rule][1] += (seconds + overhead_s) / 3600
    return {rule: (n, h) for rule, (n, h) in out.items()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    ap.add_argument("--train-seqs", type=int, default=3000, help="sequences timed per training measurement")
    ap.add_argument("--predict-seqs", type=int, default=10000)
    ap.add_argument(
        "--profile-train-seqs", type=int, default=300, help="CNN-task-base windows timed in training"
    )
    ap.add_argument("--profile-predict-seqs", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=None, help="TensorFlow intra-op threads (default: all)")
    ap.add_argument("--mean-epochs", type=float, default=30, help="assumed mean epochs until early stopping")
    ap.add_argument("--job-overhead-s", type=float, default=60)
    ap.add_argument("--rates", type=Path, help="read throughputs from this JSON instead of measuring")
    ap.add_argument("--save", type=Path, help="write the measured throughputs to this JSON")
    args = ap.parse_args(argv)

    import yaml

    config = yaml.safe_load(args.config.read_text())
    if args.rates:
        rates = json.loads(args.rates.read_text())
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        rates = {
            arch: measure(
                arch, args.train_seqs, args.predict_seqs, args.threads, bool(config["deterministic"])
            )
            for arch in MODELS
        }
        if config.get("atac", {}).get("datasets"):
            rates[PROFILE_MODEL[0]] = measure_profile(
                args.profile_train_seqs,
                args.profile_predict_seqs,
                args.threads,
                bool(config["deterministic"]),
            )
        rates["device"] = device_name()
        if args.save:
            args.save.write_text(json.dumps(rates, indent=2) + "\n")
    print(f"device: {rates['device']}")
    print(
        f"{'model':<13} {'params':>10} {'train seq/s':>12} {'predict seq/s':>14} {'s/epoch, full train set':>24}"
    )
    for arch in MODELS:
        r = rates[arch]
        full = max(SIZES[d][0] for d, c in config["datasets"].items() if c["architecture"] == arch)
        print(
            f"{arch:<13} {r['params']:>10,} {r['train_seq_s']:>12,.0f} {r['predict_seq_s']:>14,.0f} {full / r['train_seq_s']:>24,.0f}"
        )
    if PROFILE_MODEL[0] in rates:
        r = rates[PROFILE_MODEL[0]]
        print(
            f"{PROFILE_MODEL[0]:<13} {r['params']:>10,} {r['train_seq_s']:>12,.1f} {r['predict_seq_s']:>14,.1f} {ATAC_SIZES[0] / r['train_seq_s']:>24,.0f}"
        )
    jobs = dry_run_jobs(args.config)
    print(
        f"\ndry-run of {args.config.relative_to(REPO) if args.config.is_relative_to(REPO) else args.config}: {len(jobs)} jobs"
    )
    for epochs, label in (
        (args.mean_epochs, "assumed mean"),
        (config["training"]["max_epochs"], "max_epochs, upper bound"),
    ):
        est = estimate(jobs, rates, config, epochs, args.job_overhead_s)
        print(
            f"\ndevice-hours with {epochs:g} epochs per model ({label}), {args.job_overhead_s:g} s overhead per job:"
        )
        for rule, (n, hours) in sorted(est.items(), key=lambda kv: -kv[1][1]):
            print(f"  {rule:<24} {n:>4} jobs {hours:>10,.1f} h")
        print(
            f"  {'total':<24} {sum(n for n, _ in est.values()):>4} jobs {sum(h for _, h in est.values()):>10,.1f} h"
        )


if __name__ == "__main__":
    main()
