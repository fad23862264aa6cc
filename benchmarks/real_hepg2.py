"""Real-data check: small ResidualBind teachers/students on the real lentiMPRA HepG2 file.

Runs tests/configs/real_hepg2.yaml (activity only, 3 teachers + 3 students, epistemic part
of the uncertainty analysis) on CPU against ../shared/data/lentimpra_hepg2/ (or the folder
given as the first argument / DEGU_SHARED_DATA), in a scratch directory, and prints the wall
time, test Pearson r of standard / distilled / ensemble, the students' epistemic-head r and
the epistemic-interval coverage before/after conformal calibration, and the zero-shot CAGI5
scores of the release sheets of LDLR, F9 and SORT1 (../shared/data/cagi5; Pearson/Spearman per
locus and method) with the window counts.

    python benchmarks/real_hepg2.py [SHARED_DATA_DIR] [--keep WORKDIR] [--width 64] [--dynamic] [--seeds 2] [--max-epochs 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]


def write_config(
    data_dir: Path,
    out: Path,
    width: int | None = None,
    dynamic: bool = False,
    seeds: int | None = None,
    max_epochs: int | None = None,
) -> Path:
    """The real-data config with ``local_dir`` set; ``width`` replaces the narrow model's
    filters, conv2_filters and dense_units (32 in the CI version); ``dynamic`` adds the
    students distilled with dynamic mutagenesis to the CAGI5 scoring (not in CI: time);
    ``seeds`` sets the number of teachers and of students (default the config's 3; the test
    suite runs 2, the smaller version that keeps CI inside its time limit); ``max_epochs`` caps
    training (default the config's 30; the test suite runs 10)."""
    cfg = yaml.safe_load((REPO / "tests" / "configs" / "real_hepg2.yaml").read_text())
    ds = cfg["datasets"]["hepg2_real"]
    ds["local_dir"] = str(data_dir / "lentimpra_hepg2")
    cfg["variant_effects"]["local_dir"] = str(data_dir / "cagi5")
    cfg["variant_effects"]["reference"]["path"] = str(data_dir / "cagi5" / "base_seqs_v2.csv")
    if dynamic:
        cfg["variant_effects"]["methods"].append("dynamic_mutation")
        cfg["variant_effects"]["fig6_method"] = "dynamic_mutation"
    if width:
        ds["model_params"].update(filters=width, conv2_filters=width, dense_units=width)
    for name, value in (("seeds", seeds), ("max_epochs", max_epochs)):
        if value is not None and int(value) < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if seeds is not None:
        cfg["teachers"]["n"] = cfg["students"]["n"] = int(seeds)
    if max_epochs is not None:
        cfg["training"]["max_epochs"] = int(max_epochs)
    out.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return out


def run(
    data_dir: Path,
    work: Path,
    cores: int = 2,
    width: int | None = None,
    dynamic: bool = False,
    seeds: int | None = None,
    max_epochs: int | None = None,
) -> dict:
    cfg = write_config(data_dir, work / "real_hepg2.yaml", width, dynamic, seeds, max_epochs)
    exe = Path(sys.executable).parent / "snakemake"
    start = time.perf_counter()
    res = subprocess.run(
        [str(exe), "-s", str(REPO / "workflow" / "Snakefile"), "--cores", str(cores)]
        + ["--configfile", str(cfg), "--directory", str(work)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-5000:])
    out = work / "results" / "real_hepg2"
    return {"wall_s": wall, **summarise(out)}


def summarise(out: Path) -> dict:
    perf = pd.read_csv(out / "metrics" / "performance.csv")
    cal = pd.read_csv(out / "metrics" / "calibration" / "hepg2_real.csv")
    r = perf[perf.metric == "pearson"].groupby("method")["value"].agg(["mean", "min", "max", "count"])
    epi = perf[perf.metric == "epistemic_pearson"]["value"]
    cov = cal.groupby(["method", "kind"])[["coverage", "coverage_conformal", "interval_width"]].mean()
    ve = pd.read_csv(out / "metrics" / "variant_effects.csv")
    ve = ve[(ve["quantile"] == 1.0) & ve["metric"].isin(["pearson", "spearman"])]
    cagi = ve.groupby(["locus", "method", "metric"], sort=False)["value"].agg(["mean", "min", "max", "count"])
    windows = pd.read_csv(out / "metrics" / "variant_windows.csv")
    seeds = per_seed(perf)
    # the same comparison per CAGI5 locus (Pearson r of predicted vs measured effect, all variants)
    cagi_vs = {locus: compare(g, "distilled", "standard") for locus, g in ve.groupby("locus", sort=False)}
    return {
        "pearson": r,
        "per_seed": seeds,
        "validation_r": validation_r(out, seeds),
        "distilled_vs_standard": compare(perf, "distilled", "standard"),
        "cagi5_distilled_vs_standard": cagi_vs,
        "epistemic_r": (epi.mean(), epi.min(), epi.max()),
        "calibration": cov,
        "cagi5": cagi,
        "cagi5_windows": windows,
    }


def per_seed(perf: pd.DataFrame) -> dict[str, list[tuple[int, float]]]:
    """Test r of the activity head per seed, for the standard and the distilled models."""
    r = perf[perf.metric == "pearson"].sort_values("seed")
    return {
        m: [(int(s), float(v)) for s, v in zip(g.seed, g.value, strict=True)]
        for m, g in r.groupby("method")
        if m in ("standard", "distilled")
    }


def validation_r(out: Path, seeds: dict[str, list[tuple[int, float]]]) -> dict[str, list[tuple[int, float]]]:
    """Pearson r of the activity head on the validation split (the split that early stopping and
    the k-mer ridge's k and alpha were chosen on), per teacher and student seed of this run's
    ``performance.csv`` (``seeds``, as from :func:`per_seed`; a kept directory may hold models of
    other runs), from their ``predictions.h5``; ``ensemble``: the teachers' mean prediction."""
    import h5py
    import numpy as np

    with h5py.File(out / "data" / "hepg2_real" / "dataset.h5") as f:
        y = f["Val/y"][:, 0]
    models = out / "models" / "hepg2_real" / "frac1.0"
    res: dict[str, list[tuple[int, float]]] = {}
    preds = []
    for role, method in (("teacher", "standard"), ("student", "distilled")):
        for seed, _ in seeds[method]:
            with h5py.File(models / role / f"seed{seed}" / "predictions.h5") as f:
                pred = f["Val/pred"][:, 0]
            res.setdefault(method, []).append((seed, float(np.corrcoef(pred, y)[0, 1])))
            if role == "teacher":
                preds.append(pred)
    res["ensemble"] = [(-1, float(np.corrcoef(np.mean(preds, axis=0), y)[0, 1]))]
    return res


def compare(perf: pd.DataFrame, a: str, b: str) -> dict:
    """Mean test r of method ``a`` minus that of ``b`` over their seeds (independent samples:
    students and teachers do not pair up), with Welch's t-test, its 95% confidence interval and a
    two-sided Mann-Whitney U test."""
    from scipy import stats

    r = perf[perf.metric == "pearson"]
    x, y = r.loc[r.method == a, "value"].to_numpy(), r.loc[r.method == b, "value"].to_numpy()
    out = {
        "n": (len(x), len(y)),
        "difference": float(x.mean() - y.mean()) if len(x) and len(y) else float("nan"),
    }
    if min(len(x), len(y)) < 2:
        return out
    out["sd"] = (float(x.std(ddof=1)), float(y.std(ddof=1)))
    t = stats.ttest_ind(x, y, equal_var=False)
    ci = t.confidence_interval(0.95)
    out.update(welch_p=float(t.pvalue), ci95=(float(ci.low), float(ci.high)))
    out["mann_whitney_p"] = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
    return out


def comparison_text(c: dict) -> str:
    """One line for a :func:`compare` result."""
    line = f"{c['difference']:+.3f} (n {c['n'][0]} vs {c['n'][1]}"
    if "ci95" in c:
        line += f"; sd {c['sd'][0]:.3f} vs {c['sd'][1]:.3f}"
        line += f"; Welch 95% CI {c['ci95'][0]:+.3f} to {c['ci95'][1]:+.3f}, p {c['welch_p']:.3g}"
        line += f"; Mann-Whitney p {c['mann_whitney_p']:.3g}"
    return line + ")"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("DEGU_SHARED_DATA", REPO.parent / "shared" / "data")
    ap.add_argument("data", nargs="?", default=default, type=Path)
    ap.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--width", type=int, help="ResidualBind width (default: the config's 32, as in CI)")
    ap.add_argument(
        "--dynamic", action="store_true", help="also 3 students distilled with dynamic mutagenesis (CAGI5)"
    )
    ap.add_argument("--seeds", type=int, help="teachers and students each (default: the config's 3; CI: 2)")
    ap.add_argument(
        "--max-epochs", type=int, help="at most this many epochs (default: the config's 30; CI: 10)"
    )
    args = ap.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args.data, args.keep, args.cores, args.width, args.dynamic, args.seeds, args.max_epochs)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(
                args.data, Path(tmp), args.cores, args.width, args.dynamic, args.seeds, args.max_epochs
            )
    print(f"wall time: {result['wall_s']:.0f} s ({args.cores} cores)")
    print("test Pearson r of activity (mean/min/max over seeds):")
    print(result["pearson"].round(3).to_string())
    for method, rs in result["per_seed"].items():
        print(f"{method} per seed: " + ", ".join(f"{seed} {v:.3f}" for seed, v in rs))
    print(
        "validation r: "
        + "; ".join(
            f"{m} " + ", ".join(f"{v:.3f}" for _, v in rs) for m, rs in result["validation_r"].items()
        )
    )
    print("distilled - standard, mean test r: " + comparison_text(result["distilled_vs_standard"]))
    m, lo, hi = result["epistemic_r"]
    print(f"students' epistemic head vs ensemble std, r mean/min/max: {m:.3f} / {lo:.3f} / {hi:.3f}")
    print("calibration (means over seeds):")
    print(result["calibration"].round(3).to_string())
    print("CAGI5 release sheets, zero-shot: predicted vs measured effect (mean/min/max over seeds):")
    print(result["cagi5"].round(3).to_string())
    for locus, c in result["cagi5_distilled_vs_standard"].items():
        print(f"CAGI5 {locus}, distilled - standard, mean Pearson r: " + comparison_text(c))
    print("CAGI5 windows (edge windows shifted inside the element):")
    print(result["cagi5_windows"].to_string(index=False))


if __name__ == "__main__":
    main()
