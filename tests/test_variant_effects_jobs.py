"""The variant-effect pipeline jobs (degu.jobs.variant_effects): the CAGI5 sets of a locus read
and concatenated, and metrics/variant_effects.csv recomputed independently from hand-made
per-locus files."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from degu.errors import DeguInputError
from degu.jobs.variant_effects import (
    PREDICTION_COLUMNS,
    SUMMARY_COLUMNS,
    read_locus_variants,
    variant_effects_metrics_job,
)

HEADER = [
    "##Chrom\tGRCh37/hg19 chromosome name",
    "##Pos\tChromosomal position (1-based)",
    "##Ref\tReference allele",
    "##Alt\tAlternate allele",
    "##Value\tEstimated variant effect",
    "##Confidence\tConfidence score [0-1]",
    "#Chrom\tPos\tRef\tAlt\tValue\tConfidence",
]


def _cagi(path, rows):
    path.write_text("\n".join(HEADER + ["\t".join(map(str, r)) for r in rows]) + "\n")
    return path


def test_sets_are_concatenated_in_order(tmp_path):
    a = _cagi(tmp_path / "challenge_L.tsv", [(1, 10, "A", "C", 0.5, 0.9), (1, 11, "G", "T", -0.2, 0.1)])
    b = _cagi(tmp_path / "release_L.tsv", [(1, 10, "A", "G", 0.1, 0.3)])
    t = read_locus_variants({"challenge": str(a), "release": str(b)}, "L")
    assert list(t["set"]) == ["challenge", "challenge", "release"]
    assert list(t["alt"]) == ["C", "T", "G"] and list(t["value"]) == [0.5, -0.2, 0.1]
    assert (t["id"] == "").all()  # score_variants fills the authors' ids


def test_a_variant_in_two_sets_and_a_missing_file_are_errors(tmp_path):
    a = _cagi(tmp_path / "challenge_L.tsv", [(1, 10, "A", "C", 0.5, 0.9)])
    b = _cagi(tmp_path / "release_L.tsv", [(1, 10, "A", "C", 0.4, 0.9)])
    with pytest.raises(
        DeguInputError, match=r"release_L.tsv: variant 1:10 >C of locus L is also in .*challenge_L.tsv"
    ):
        read_locus_variants({"challenge": str(a), "release": str(b)}, "L")
    with pytest.raises(
        DeguInputError,
        match=r"nope.tsv: CAGI5 file of locus L \(release set\) not found \(key 'variant_effects.local_dir'",
    ):
        read_locus_variants({"release": str(tmp_path / "nope.tsv")}, "L")


def _locus_files(tmp_path, rng, locus="L", n=40):
    """windows.tsv, predictions.tsv (standard: aleatoric only; distilled: both kinds; ensemble)
    and the simulator's truth for one locus."""
    pos = 1000 + np.arange(n)
    alt = np.array(["C", "G", "T", "A"])[np.arange(n) % 4]
    ref = np.where(alt == "A", "C", "A")
    true = rng.normal(size=n)
    measured = np.round(true + rng.normal(scale=0.7, size=n), 2)
    status = np.where(np.arange(n) == 3, "ref_mismatch", "ok")
    win = pd.DataFrame(
        {
            "locus": locus,
            "set": "release",
            "variant": [f"v{i}" for i in range(n)],
            "chrom": "1",
            "pos": pos,
            "ref": ref,
            "alt": alt,
            "value": measured,
            "status": status,
            "edge": np.arange(n) < 5,
            "window_start": pos - 100,
            "window_index": 99,
        }
    )
    win.to_csv(tmp_path / f"{locus}_windows.tsv", sep="\t", index=False)
    ok = status == "ok"
    rows = []
    for method, seed, kinds in [
        ("standard", 0, ("aleatoric",)),
        ("standard", 1, ("aleatoric",)),
        ("distilled", 1000, ("epistemic", "aleatoric")),
        ("ensemble", None, ("epistemic", "aleatoric")),
    ]:
        t = pd.DataFrame(
            {
                "locus": locus,
                "cell_type": "K562",
                "method": method,
                "seed": seed,
                "variant": win["variant"][ok],
                "chrom": "1",
                "pos": pos[ok],
                "ref": ref[ok],
                "alt": alt[ok],
                "position": pos[ok] - 1000,
                "measured": measured[ok],
            }
        )
        t["effect"] = true[ok] + rng.normal(scale=1.0, size=ok.sum())
        t["ref_activity"] = rng.normal(size=ok.sum())
        t["alt_activity"] = t["ref_activity"] + t["effect"]
        for c in PREDICTION_COLUMNS[14:]:
            t[c] = np.nan
        for k in kinds:
            for allele in ("ref", "alt"):
                t[f"{allele}_{k}"] = rng.uniform(0.1, 1.0, size=ok.sum())
            t[f"effect_{k}"] = np.hypot(t[f"ref_{k}"], t[f"alt_{k}"])
        if len(kinds) == 2:
            for allele in ("ref", "alt", "effect"):
                t[f"{allele}_total"] = np.hypot(t[f"{allele}_epistemic"], t[f"{allele}_aleatoric"])
        rows.append(t[list(PREDICTION_COLUMNS)])
    pd.concat(rows).to_csv(tmp_path / f"{locus}_predictions.tsv", sep="\t", index=False)
    pd.DataFrame(
        {
            "locus": locus,
            "cell_type": "K562",
            "set": "release",
            "chrom": "1",
            "pos": pos,
            "ref": ref,
            "alt": alt,
            "true_effect": true,
            "measured": measured,
        }
    ).to_csv(tmp_path / "truth.tsv", sep="\t", index=False)
    return {
        "windows": str(tmp_path / f"{locus}_windows.tsv"),
        "predictions": str(tmp_path / f"{locus}_predictions.tsv"),
        "truth": str(tmp_path / "truth.tsv"),
        "cell_type": "K562",
    }


def _spearman(a, b):
    return np.corrcoef(rankdata(a), rankdata(b))[0, 1]


def test_metrics_recomputed_independently(tmp_path):
    rng = np.random.default_rng(0)
    entry = _locus_files(tmp_path, rng)
    out = {k: tmp_path / f"{k}.csv" for k in ("summary", "predictions", "windows")}
    variant_effects_metrics_job(
        loci={"L": entry},
        stratify={"kind": "total", "allele": "effect"},
        quantiles=[0.5, 1.0],
        out_summary=out["summary"],
        out_predictions=out["predictions"],
        out_windows=out["windows"],
    )
    s = pd.read_csv(out["summary"])
    assert list(s.columns) == list(SUMMARY_COLUMNS)
    pred = pd.read_csv(entry["predictions"], sep="\t")
    truth = pd.read_csv(entry["truth"], sep="\t").set_index("pos")

    def value(method, seed, q, metric):
        sel = s[(s.method == method) & (s["quantile"] == q) & (s.metric == metric)]
        sel = sel[sel.seed.isna()] if seed is None else sel[sel.seed == seed]
        assert len(sel) == 1, (method, seed, q, metric)
        return sel["value"].iloc[0]

    for method, seed in [("standard", 0), ("standard", 1), ("distilled", 1000), ("ensemble", None)]:
        g = pred[(pred.method == method) & (pred.seed.isna() if seed is None else pred.seed == seed)]
        e, m = g["effect"].to_numpy(), g["measured"].to_numpy()
        assert value(method, seed, 1.0, "pearson") == pytest.approx(np.corrcoef(e, m)[0, 1], abs=1e-6)
        assert value(method, seed, 1.0, "spearman") == pytest.approx(_spearman(e, m), abs=1e-6)
        assert value(method, seed, 1.0, "n") == 39  # one reference mismatch not scored
        t = truth.loc[g["pos"], "true_effect"].to_numpy()
        assert value(method, seed, 1.0, "pearson_true") == pytest.approx(np.corrcoef(e, t)[0, 1], abs=1e-6)
        # stratified by the effect's total std; a standard model has only its aleatoric head
        u = (
            g["effect_total"].to_numpy()
            if method in ("distilled", "ensemble")
            else g["effect_aleatoric"].to_numpy()
        )
        keep = u <= np.quantile(u, 0.5)
        assert value(method, seed, 0.5, "n") == keep.sum() == 20
        assert value(method, seed, 0.5, "threshold") == pytest.approx(np.quantile(u, 0.5), abs=1e-6)
        assert value(method, seed, 0.5, "pearson") == pytest.approx(
            np.corrcoef(e[keep], m[keep])[0, 1], abs=1e-6
        )
    ok = pd.read_csv(entry["windows"], sep="\t").query("status == 'ok'")
    t = truth.loc[ok["pos"]]
    assert value("ceiling", None, 1.0, "pearson") == pytest.approx(
        np.corrcoef(t["true_effect"], ok["value"])[0, 1], abs=1e-6
    )
    w = pd.read_csv(out["windows"]).set_index("status")["n"]
    assert w.to_dict() == {"ok": 39, "ref_mismatch": 1, "ok_edge_window": 4}
    assert len(pd.read_csv(out["predictions"])) == 4 * 39


def test_truth_without_the_locus_is_an_error(tmp_path):
    entry = _locus_files(tmp_path, np.random.default_rng(1))
    pd.read_csv(entry["truth"], sep="\t").assign(locus="M").to_csv(entry["truth"], sep="\t", index=False)
    with pytest.raises(DeguInputError, match=r"truth.tsv: no variants of locus 'L'"):
        variant_effects_metrics_job(
            loci={"L": entry},
            stratify={"kind": "total", "allele": "effect"},
            quantiles=[1.0],
            out_summary=tmp_path / "s.csv",
            out_predictions=tmp_path / "p.csv",
            out_windows=tmp_path / "w.csv",
        )
    assert not (tmp_path / "s.csv").exists()
