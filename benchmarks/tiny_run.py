"""The tiny run from scratch, timed: wall time, job-seconds per rule, training health, per-seed r.

Clones the repository's committed HEAD into a scratch directory (a fresh clone, as a new user
would have it), runs ``snakemake --cores N --configfile config/test.yaml`` there with this
environment's Snakemake, and prints Markdown tables for docs/tiny-run.md:

* wall time of the whole run;
* job-seconds per rule (from the Snakemake log's start/finish stamps, 1 s resolution);
* training health (metrics/training.csv): models whose best epoch is the first / the last allowed;
* test Pearson r per seed for every (dataset, fraction, method), with the group median.

    python benchmarks/tiny_run.py [--cores 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")


def rule_seconds(log_text: str) -> pd.DataFrame:
    """Per job: rule and seconds between its start and finish stamps in a Snakemake log."""
    start, rule_of, rows, stamp = {}, {}, [], None
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        m = STAMP.match(line.strip())
        if m:
            stamp = datetime.strptime(re.sub(r" +", " ", m.group(1)), "%a %b %d %H:%M:%S %Y")
            continue
        if line.startswith(("rule ", "localrule ")) and line.rstrip().endswith(":") and stamp is not None:
            rule = line.split()[1].rstrip(":")
            for nxt in lines[i + 1 : i + 40]:
                jm = re.match(r"\s+jobid: (\d+)", nxt)
                if jm:
                    start[jm.group(1)], rule_of[jm.group(1)] = stamp, rule
                    break
        fm = re.match(r"Finished jobid: (\d+)", line.strip())
        if fm and fm.group(1) in start:
            j = fm.group(1)
            rows.append({"rule": rule_of[j], "seconds": (stamp - start[j]).total_seconds()})
    return pd.DataFrame(rows, columns=["rule", "seconds"])


def per_rule_table(jobs: pd.DataFrame) -> pd.DataFrame:
    t = jobs.groupby("rule")["seconds"].agg(jobs="count", job_seconds="sum", mean="mean", max="max")
    return t.sort_values("job_seconds", ascending=False).round(0).astype(int)


def per_seed_table(results: Path) -> pd.DataFrame:
    perf = pd.read_csv(results / "metrics" / "performance.csv")
    r = perf[(perf.metric == "pearson") & perf.method.isin(["standard", "distilled"])]
    rows = []
    for (ds, fr, method, task), g in r.groupby(["dataset", "fraction", "method", "task"]):
        vals = g.sort_values("seed")["value"].round(3).tolist()
        rows.append(
            {
                "dataset": ds,
                "fraction": fr,
                "method": method,
                "task": task,
                "r per seed": " / ".join(f"{v:.3f}" for v in vals),
                "median": round(float(g["value"].median()), 3),
                "worst gap to median": round(float(g["value"].median() - g["value"].min()), 3),
            }
        )
    return pd.DataFrame(rows)


def md_table(df: pd.DataFrame, index: bool = True) -> str:
    """A Markdown table (no tabulate dependency)."""
    if index:
        df = df.reset_index()
    rows = [list(map(str, df.columns))] + [[str(v) for v in r] for r in df.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "---|" * len(df.columns))
    return "\n".join(lines)


def headline(results: Path) -> pd.DataFrame:
    """The ensemble's test Pearson r per dataset, fraction and task (tests/expected/tiny_headline.csv)."""
    perf = pd.read_csv(results / "metrics" / "performance.csv")
    got = perf[(perf.method == "ensemble") & (perf.metric == "pearson")]
    return got[["dataset", "fraction", "task", "value"]].round(4).reset_index(drop=True)


def run(work: Path, cores: int) -> dict:
    subprocess.run(["git", "clone", "-q", "--local", str(REPO), str(work / "repo")], check=True)
    repo = work / "repo"
    exe = Path(sys.executable).parent / "snakemake"
    t0 = time.perf_counter()
    res = subprocess.run(
        [str(exe), "--cores", str(cores), "--configfile", "config/test.yaml"],
        cwd=repo,
        capture_output=True,
        text=True,
        # the clone's own library, not whatever checkout this environment installed in editable mode
        env={**os.environ, "PYTHONPATH": str(repo / "src")},
    )
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-5000:])
    return summarize(repo, wall)


def summarize(repo: Path, wall: float | None) -> dict:
    """Tables of the run in ``repo``: job-seconds per rule from every Snakemake log of the run
    (a run resumed with --rerun-incomplete has several), health, per-seed r."""
    text = "\n".join(p.read_text() for p in sorted((repo / ".snakemake" / "log").glob("*.snakemake.log")))
    results = repo / "results" / "test"
    health = pd.read_csv(results / "metrics" / "training.csv")
    return {
        "wall_s": wall,
        "rules": per_rule_table(rule_seconds(text)),
        "seeds": per_seed_table(results),
        "health": health,
        "results": results,
    }


def result_tables(results: Path) -> dict[str, pd.DataFrame]:
    """The numbers docs/tiny-run.md quotes, from a finished run's metric and figure CSVs."""
    out = {}
    fig2 = pd.read_csv(results / "figures" / "fig2.csv")
    t = fig2[fig2.metric == "pearson"].pivot_table(
        index=["dataset", "fraction", "task"], columns="method", values="mean"
    )
    out["fig2: test Pearson r, mean over seeds"] = t.round(3)
    for fig in ("fig5a", "fig5b"):
        f = pd.read_csv(results / "figures" / f"{fig}.csv")
        out[f"{fig}: {f.metric.iloc[0]}, mean over seeds"] = f.pivot_table(
            index=["dataset", "fraction", "task"], columns="method", values="mean"
        ).round(3)
    rows = []
    for csv in sorted((results / "metrics" / "calibration").glob("*.csv")):
        c = pd.read_csv(csv)
        cols = [k for k in ("coverage", "coverage_conformal", "coverage_conformal_val") if k in c]
        g = c.groupby(["dataset", "method", "kind"])[cols + ["conformal_scale"]].mean().round(3)
        rows.append(g)
    if rows:
        out["calibration: test coverage of 95% intervals, mean over seeds"] = pd.concat(rows)
    rob = pd.read_csv(results / "metrics" / "robustness.csv")
    mse = rob[rob.metric == "mse_oracle"]
    out["robustness: median MSE to the oracle (Dev / Hk)"] = mse.pivot_table(
        index=["procedure", "task"], columns="shift", values="value", aggfunc="median"
    ).round(3)[["none", "small", "moderate", "large"]]
    test_r = rob[(rob.metric == "pearson") & (rob["shift"] == "none")]
    out["robustness: test Pearson r (observed), mean"] = test_r.pivot_table(
        index="procedure", columns="task", values="value"
    ).round(3)
    ens = pd.read_csv(results / "metrics" / "ensemble_size.csv")
    out["ensemble size: test Pearson r, mean"] = (
        ens[ens.metric == "pearson"]
        .pivot_table(index=["k", "method"], columns="task", values="value")
        .round(3)
    )
    attr_csv = results / "metrics" / "attribution.csv"
    if attr_csv.exists():
        out.update(attribution_tables(pd.read_csv(attr_csv)))
    ve_csv = results / "metrics" / "variant_effects.csv"
    if ve_csv.exists():
        out.update(variant_effect_tables(pd.read_csv(ve_csv)))
    atac_csv = results / "metrics" / "atac.csv"
    if atac_csv.exists():
        out.update(
            atac_tables(pd.read_csv(atac_csv), pd.read_csv(results / "metrics" / "atac_attribution.csv"))
        )
    return out


def atac_tables(m: pd.DataFrame, attr: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """docs/atac.md's tables from metrics/atac.csv and metrics/atac_attribution.csv."""
    agg = m.groupby(["dataset", "task", "head", "method"], sort=False)["value"]
    r = pd.DataFrame(
        {"mean": agg.mean(), "per seed": agg.apply(lambda v: " / ".join(f"{x:.3f}" for x in v))}
    ).round(3)
    a = attr.groupby(["dataset", "task", "metric", "method"], sort=False)["value"]
    t = pd.DataFrame(
        {"mean": a.mean(), "per seed": a.apply(lambda v: " / ".join(f"{x:.4f}" for x in v))}
    ).map(lambda v: float(f"{v:.3g}") if isinstance(v, float) else v)
    return {
        "ATAC: whole-test-chromosome Pearson r (head vs observed track; students' epistemic vs the ensemble std)": r,
        "ATAC: attribution consistency (RMSE to the standard models' average map; variability across seeds)": t,
    }


def variant_effect_tables(s: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """docs/variant-effects.md's tables from metrics/variant_effects.csv."""
    out = {}
    allv = s[s["quantile"] == 1.0]
    for metric in ("pearson", "spearman", "pearson_true"):
        t = allv[allv.metric == metric].copy()
        if t.empty:
            continue
        t["seeds"] = t["seed"].fillna(-1).astype(int)
        agg = t.groupby(["locus", "method"], sort=False)["value"]
        table = pd.DataFrame(
            {"mean": agg.mean(), "per seed": agg.apply(lambda v: " / ".join(f"{x:.3f}" for x in v))}
        )
        out[f"variant effects: {metric} of the predicted effect (all variants)"] = table.round(3)
    strat = s[(s.metric == "pearson")]
    out[
        "variant effects: Pearson r over the variants at or below each uncertainty quantile, mean over seeds"
    ] = strat.pivot_table(
        index=["locus", "method"], columns="quantile", values="value", aggfunc="mean"
    ).round(3)
    return out


def attribution_tables(m: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """docs/attribution.md's tables from metrics/attribution.csv."""
    keys = ["dataset", "task", "attribution"]
    out = {}
    for suffix, title in (("", "raw maps"), ("_normalized", "maps divided by their max |score|")):
        per_model = m[m.metric == f"rmse{suffix}"].pivot_table(index=keys, columns="method", values="value")
        var = m[m.metric == f"variability{suffix}"].pivot_table(index=keys, columns="method", values="value")
        tests = m[m.method == "distilled_vs_standard"].pivot_table(
            index=keys, columns="metric", values="value"
        )
        t = pd.DataFrame(
            {
                "RMSE standard": per_model["standard"],
                "RMSE DEGU": per_model["distilled"],
                "p (t-test)": tests[f"rmse{suffix}_p"],
                "variability standard": var["standard"],
                "variability DEGU": var["distilled"],
                "p (paired)": tests[f"variability{suffix}_p"],
            }
        )
        if not suffix and (m.metric == "rmse_leave_one_out").any():
            loo = m[m.metric == "rmse_leave_one_out"].pivot_table(index=keys, values="value")
            t.insert(2, "RMSE standard, leave-one-out", loo["value"])
        out[f"attribution ({title}): mean RMSE to the ensemble map, mean variability across seeds"] = t.map(
            lambda v: float(f"{v:.3g}")
        )
    truth = m[m.metric.isin(["auroc", "auprc"])]
    if not truth.empty:
        t = truth.pivot_table(index=keys, columns=["metric", "method"], values="value").round(3)
        t.columns = [f"{metric.upper()} {method}" for metric, method in t.columns]
        out["attribution: planted-motif recovery, mean over models"] = t
    sec = m[m.metric == "seconds_per_sequence"]
    out["attribution: seconds per sequence (activity head, mean over models)"] = sec.pivot_table(
        index=["dataset"], columns="attribution", values="value"
    ).map(lambda v: float(f"{v:.3g}"))
    add = m[m.metric == "additivity_max_error"]
    if not add.empty:
        out["attribution: largest DeepSHAP additivity error"] = add.pivot_table(
            index="dataset", values="value", aggfunc="max"
        ).map(lambda v: float(f"{v:.2g}"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    ap.add_argument(
        "--write-expected",
        action="store_true",
        help="record the headline r in tests/expected/tiny_headline.csv",
    )
    ap.add_argument(
        "--tables-only",
        type=Path,
        metavar="REPO",
        help="print the tables of a run already made in REPO (its results/test and Snakemake log); no run",
    )
    args = ap.parse_args()
    ctx = None
    if args.tables_only:
        out = summarize(args.tables_only, wall=None)
    else:
        ctx = tempfile.TemporaryDirectory() if args.keep is None else None
        work = Path(ctx.name) if ctx else args.keep
        work.mkdir(parents=True, exist_ok=True)
        out = run(work, args.cores)
    h = out["health"]
    if out["wall_s"] is not None:
        print(f"wall time: {out['wall_s']:.0f} s ({out['wall_s'] / 60:.1f} min) with --cores {args.cores}")
    print(f"jobs: {int(out['rules']['jobs'].sum())}, job-seconds: {int(out['rules']['job_seconds'].sum())}\n")
    print(md_table(out["rules"]))
    at_max = int((h.best_epoch == h.max_epochs).sum())
    print(
        f"\ntraining health: {len(h)} models; best epoch = 1: {int((h.best_epoch == 1).sum())}; "
        f"best epoch = max_epochs: {at_max} ({100 * at_max / len(h):.1f}%)\n"
    )
    print(md_table(out["seeds"], index=False))
    print()
    print(md_table(headline(out["results"]), index=False))
    for title, table in result_tables(out["results"]).items():
        print(f"\n{title}\n")
        print(md_table(table))
    if args.write_expected:
        headline(out["results"]).to_csv(REPO / "tests" / "expected" / "tiny_headline.csv", index=False)
    if ctx:
        ctx.cleanup()


if __name__ == "__main__":
    main()
