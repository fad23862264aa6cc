import hashlib
import time

import numpy as np
import openpyxl
import pandas as pd
import pytest

from degu.assays.simulate import (
    default_human_motifs,
    lentimpra_clean_activity,
    lentimpra_noise_sd,
    simulate_lentimpra,
)
from degu.cli import main as cli_main
from degu.errors import DeguInputError
from degu.io.encoding import reverse_complement
from degu.io.lentimpra import (
    REPLICATE_COLUMNS,
    SEQUENCE_COLUMN,
    merge_lentimpra,
    pair_stem,
    read_agarwal_replicates,
    read_agarwal_sequences,
    read_table,
)

A5, A3 = "AGGACCGGATCAACT", "CATTGCGTGAACCGA"
HG38 = ["chr.hg38", "start.hg38", "stop.hg38", "str.hg38"]
HG19 = ["chr.hg19", "start.hg19", "stop.hg19", "str.hg19"]
KW = dict(n_elements=400, seed=5, p_missing_replicate=0.1, p_unmeasured=0.02, p_reversed_0=0.1)


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory):
    d = tmp_path_factory.mktemp("lenti_xlsx")
    return d, simulate_lentimpra(d, cell_type="HepG2", table_format="xlsx", **KW)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """2,000 elements in tsv, timed (the brief: well under 10 s)."""
    d = tmp_path_factory.mktemp("lenti_big")
    t0 = time.perf_counter()
    counts = simulate_lentimpra(d, cell_type="K562", n_elements=2000, seed=1, table_format="tsv")
    return d, counts, time.perf_counter() - t0


def parse(d, fmt, cell_type):
    sheet3 = f"{cell_type} large-scale" if fmt == "xlsx" else None
    sheet4 = f"{cell_type}_summary_data" if fmt == "xlsx" else None
    seqs = read_agarwal_sequences(d / f"sequences.{fmt}", sheet3)
    reps = read_agarwal_replicates(d / f"replicates.{fmt}", sheet4)
    truth = pd.read_csv(d / "ground_truth.tsv", sep="\t", keep_default_na=False)
    return seqs, reps, truth


def widths():
    return {m.name: len(m.pwm) for m in default_human_motifs()}


def parse_instances(field):
    w = widths()
    return [(n, int(s), st, w[n]) for n, s, st in (i.split(":") for i in filter(None, field.split(";")))]


def test_real_table_layout_xlsx(xlsx):
    d, counts = xlsx
    wb3 = openpyxl.load_workbook(d / "sequences.xlsx", read_only=True)
    assert wb3.sheetnames == ["HepG2 large-scale"]
    wb4 = openpyxl.load_workbook(d / "replicates.xlsx", read_only=True)
    assert wb4.sheetnames == ["HepG2_summary_data"]
    t3 = read_table(d / "sequences.xlsx")
    assert list(t3.columns) == ["name", "category", *HG19, *HG38, SEQUENCE_COLUMN]
    t4 = read_table(d / "replicates.xlsx")
    assert list(t4.columns) == ["name", *REPLICATE_COLUMNS, "mean"]
    assert counts["n_records"] == len(t3) == 800 and counts["n_measured"] == len(t4)
    # missing replicates are empty cells
    assert (t4[REPLICATE_COLUMNS] == "").any(axis=1).sum() == counts["n_with_missing_replicates"] > 0


def test_k562_sheet_has_no_hg19_columns(tmp_path):
    simulate_lentimpra(tmp_path, cell_type="K562", n_elements=5, table_format="xlsx")
    t3 = read_table(tmp_path / "sequences.xlsx", sheet="K562 large-scale")
    assert list(t3.columns) == ["name", "category", *HG38, SEQUENCE_COLUMN]
    read_table(tmp_path / "replicates.xlsx", sheet="K562_summary_data")


def test_sequences_and_pairs(xlsx):
    d, counts = xlsx
    seqs, reps, truth = parse(d, "xlsx", "HepG2")
    assert (seqs["sequence"].str.len() == 230).all()
    assert (seqs["sequence"].str[:15] == A5).all() and (seqs["sequence"].str[-15:] == A3).all()
    fwd, rev = seqs.iloc[0::2], seqs.iloc[1::2]
    assert [pair_stem(n) for n in rev["name"]] == fwd["name"].tolist()
    assert all(n.endswith(("_Reversed", "_Reversed_0")) for n in rev["name"])
    for f, r in zip(fwd["sequence"], rev["sequence"], strict=True):
        assert r[15:215] == reverse_complement(f[15:215])
    n_r0 = int(seqs["name"].str.endswith("_Reversed_0").sum())
    assert n_r0 == counts["n_reversed_0"] and 20 < n_r0 < 70  # p_reversed_0 = 0.1 of 400
    # Table 4 never uses _Reversed_0
    assert not reps["name"].str.endswith("_0").any()
    gc = "".join(seqs["sequence"].str[15:215])
    assert 0.40 < (gc.count("G") + gc.count("C")) / len(gc) < 0.50


def test_merge_resolves_quirks_and_counts(xlsx):
    d, counts = xlsx
    seqs, reps, truth = parse(d, "xlsx", "HepG2")
    out, rep = merge_lentimpra(seqs, reps, aleatoric=True, source=str(d))
    r0 = seqs["name"].str.endswith("_Reversed_0").to_numpy()
    measured = truth["measured"].to_numpy(dtype=bool)
    assert rep["n_matched_after_suffix_normalisation"] == int((r0 & measured).sum()) > 0
    assert rep["n_measurements_without_sequence"] == 0
    assert rep["n_sequences_without_measurement"] == counts["n_unmeasured"] == int((~measured).sum())
    assert rep["n_dropped_few_replicates"] == counts["n_single_replicate"] > 0
    assert rep["n_dropped_missing_activity"] == 0
    assert rep["n_kept"] == len(out) == counts["n_measured"] - counts["n_single_replicate"]
    # ground truth is keyed by Table 4's name; rows follow Table 3 order
    t = truth.set_index("name")
    keys = [n[:-2] if n.endswith("_Reversed_0") else n for n in out["name"]]
    assert (t.loc[keys, "n_replicates"].to_numpy() == out["n_replicates"].to_numpy()).all()
    # Table 4's mean is the mean of the available replicates
    reps_v = reps[["rep_1", "rep_2", "rep_3"]].to_numpy()
    np.testing.assert_allclose(reps["mean"], np.nanmean(reps_v, axis=1), atol=1.5e-6)
    out_f, _ = merge_lentimpra(seqs, reps, aleatoric=False)
    assert len(out_f) == counts["n_measured"]


def test_xlsx_and_tsv_identical(xlsx, tmp_path):
    d, _ = xlsx
    simulate_lentimpra(tmp_path, cell_type="HepG2", table_format="tsv", **KW)
    simulate_lentimpra(tmp_path / "csv", cell_type="HepG2", table_format="csv", **KW)
    a, b, c = (
        parse(d, "xlsx", "HepG2"),
        parse(tmp_path, "tsv", "HepG2"),
        parse(tmp_path / "csv", "csv", "HepG2"),
    )
    for x, y, z in zip(a, b, c, strict=True):
        pd.testing.assert_frame_equal(x, y)
        pd.testing.assert_frame_equal(x, z)
    t3x = read_table(d / "sequences.xlsx")
    t3t = read_table(tmp_path / "sequences.tsv")
    assert t3x.astype(object).values.tolist() == t3t.astype(object).values.tolist()


def test_deterministic(xlsx, tmp_path):
    d, _ = xlsx
    simulate_lentimpra(tmp_path / "a", cell_type="HepG2", table_format="tsv", **KW)
    simulate_lentimpra(tmp_path / "b", cell_type="HepG2", table_format="tsv", **KW)
    simulate_lentimpra(tmp_path / "c", cell_type="HepG2", table_format="tsv", **{**KW, "seed": 6})
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    for name in ("sequences.tsv", "replicates.tsv", "ground_truth.tsv"):
        assert digest(tmp_path / "a" / name) == digest(tmp_path / "b" / name)
        assert digest(tmp_path / "a" / name) != digest(tmp_path / "c" / name)
    simulate_lentimpra(tmp_path / "x", cell_type="HepG2", table_format="xlsx", **KW)
    for name in ("sequences.xlsx", "replicates.xlsx"):
        pd.testing.assert_frame_equal(read_table(d / name), read_table(tmp_path / "x" / name))


def test_ground_truth_recomputes_and_motifs_planted(big):
    d, _, _ = big
    seqs, _, truth = parse(d, "tsv", "K562")
    assert truth["name"].tolist() == seqs["name"].tolist()  # no _Reversed_0 here
    motifs = {m.name: m.pwm for m in default_human_motifs()}
    matched = total = 0
    for row, seq in zip(truth.head(600).itertuples(), seqs["sequence"].head(600), strict=True):
        inst = parse_instances(row.instances)
        assert lentimpra_clean_activity(inst, "K562") == pytest.approx(row.y_clean, abs=2e-6)
        assert lentimpra_noise_sd(seq, inst) == pytest.approx(row.noise_sd, abs=2e-6)
        for name, start, strand, w in inst:
            assert 15 <= start and start + w <= 215  # inside the element, never in an adaptor
            site = seq[start : start + w]
            site = reverse_complement(site) if strand == "-" else site
            pwm = motifs[name]
            matched += sum(pwm[i, "ACGT".index(b)] == pwm[i].max() for i, b in enumerate(site))
            total += w
    # 0.88 (or 2 x 0.44, or N) on the consensus; a wrong coordinate/strand gives ~0.3
    assert 0.85 < matched / total < 0.95


def test_orientation_effect_small_and_noise_shared(big):
    d, _, _ = big
    truth = pd.read_csv(d / "ground_truth.tsv", sep="\t", keep_default_na=False)
    f, r = truth.iloc[0::2], truth.iloc[1::2]
    assert (r["stem"].to_numpy() == f["name"].to_numpy()).all()
    diff = r["y_clean"].to_numpy() - f["y_clean"].to_numpy()
    assert 0.05 < np.std(diff) < 0.5 and np.corrcoef(f["y_clean"], r["y_clean"])[0, 1] > 0.8
    np.testing.assert_array_equal(f["noise_sd"].to_numpy(), r["noise_sd"].to_numpy())


def test_replicates_agree_with_truth_and_noise_sd(big):
    d, counts, _ = big
    seqs, reps, truth = parse(d, "tsv", "K562")
    m = reps.merge(truth, on="name", validate="one_to_one")
    assert len(m) == counts["n_measured"]
    v = m[["rep_1", "rep_2", "rep_3"]].to_numpy()
    sd = m["noise_sd"].to_numpy()
    n = np.isfinite(v).sum(1)
    # mean of replicates vs y_clean within the noise
    z = (m["mean"].to_numpy() - m["y_clean"].to_numpy()) / (sd / np.sqrt(n))
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1 and np.abs(z).max() < 5.5
    # standardised residuals ~ N(0, 1) over all replicates: the recorded sd is the true sd
    resid = ((v - m["y_clean"].to_numpy()[:, None]) / sd[:, None])[np.isfinite(v)]
    assert abs(resid.mean()) < 0.05 and 0.95 < resid.std() < 1.05
    # empirical sample variance (ddof=1) vs noise_sd^2, overall and per noise-level bin
    full = n == 3
    s2 = np.var(v[full], axis=1, ddof=1)
    assert np.mean(s2) / np.mean(sd[full] ** 2) == pytest.approx(1.0, abs=0.06)
    edges = np.quantile(sd[full], [0, 0.25, 0.5, 0.75, 1])
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        b = (sd[full] >= lo) & (sd[full] <= hi)
        assert np.mean(s2[b]) / np.mean(sd[full][b] ** 2) == pytest.approx(1.0, abs=0.15)
    # heteroscedastic: a wide range, and the sample SD tracks it
    assert sd.min() < 0.12 and sd.max() > 0.7 and 0.18 < np.median(sd) < 0.35
    assert np.corrcoef(np.sqrt(s2), sd[full])[0, 1] > 0.4


def test_noise_follows_gc_and_yy1(big):
    d, _, _ = big
    seqs, _, truth = parse(d, "tsv", "K562")
    el = seqs["sequence"].str[15:215]
    gc = el.str.count("[GC]") / 200
    yy1 = truth["instances"].str.count("YY1:")
    log_sd = np.log(truth["noise_sd"])
    assert np.corrcoef(gc[yy1 == 0], log_sd[yy1 == 0])[0, 1] < -0.8
    assert log_sd[yy1 >= 2].mean() > log_sd[yy1 == 0].mean() + 0.8


def test_noise_gain_zero_is_homoscedastic(tmp_path):
    simulate_lentimpra(tmp_path, n_elements=50, table_format="tsv", noise_gain=0.0, base_noise_sd=0.3)
    truth = pd.read_csv(tmp_path / "ground_truth.tsv", sep="\t")
    np.testing.assert_allclose(truth["noise_sd"], 0.3)


def test_cell_type_specific_grammar(tmp_path):
    out = {}
    for ct in ("K562", "HepG2"):
        simulate_lentimpra(tmp_path / ct, cell_type=ct, n_elements=400, table_format="tsv", seed=2)
        out[ct] = pd.read_csv(tmp_path / ct / "ground_truth.tsv", sep="\t", keep_default_na=False)
    # same seed: same library, different activities
    assert out["K562"]["instances"].tolist() == out["HepG2"]["instances"].tolist()
    planted = out["K562"]["instances"] != ""  # negatives (no motif) are inactive in every cell type
    counts = {m: out["K562"]["instances"][planted].str.count(f"{m}:") for m in ("GATA1", "HNF1A")}

    def corr(ct, motif):
        return np.corrcoef(counts[motif], out[ct]["y_clean"][planted])[0, 1]

    assert corr("K562", "GATA1") > 0.3 and corr("HepG2", "GATA1") < 0.1
    assert corr("HepG2", "HNF1A") > 0.3 and corr("K562", "HNF1A") < 0.1


def test_speed(big):
    _, counts, seconds = big
    assert counts["n_records"] == 4000
    print(f"simulate_lentimpra: 2,000 elements (4,000 records, tsv) in {seconds:.2f} s")
    assert seconds < 10


def test_cli(tmp_path, capsys):
    argv = ["simulate", "lentimpra", "--out", str(tmp_path), "--cell-type", "HepG2", "--n-elements", "12"]
    assert cli_main([*argv, "--seed", "3", "--format", "tsv"]) == 0
    printed = capsys.readouterr().out
    assert str(tmp_path / "replicates.tsv") in printed and "n_records=24" in printed
    seqs = read_agarwal_sequences(tmp_path / "sequences.tsv")
    assert len(seqs) == 24


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli_main(["simulate", "lentimpra", "--out", str(tmp_path), "--format", "parquet"])
    assert cli_main(["simulate", "lentimpra", "--out", str(tmp_path / "o"), "--n-elements", "0"]) == 2
    assert "n_elements must be a positive integer" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"n_elements": 0}, "n_elements must be a positive integer, got 0"),
        ({"table_format": "parquet"}, "table_format must be one of ('xlsx', 'tsv', 'csv'), got 'parquet'"),
        ({"cell_type": "K562 [x]"}, "cell_type must be 1-18 letters"),
        ({"p_unmeasured": 1.5}, "p_unmeasured must be in [0, 1], got 1.5"),
        ({"p_reversed_0": -0.1}, "p_reversed_0 must be in [0, 1]"),
        ({"n_replicates": 1}, "n_replicates must be an integer from 2 to 20, got 1"),
        ({"base_noise_sd": 0.0}, "base_noise_sd must be > 0"),
        ({"noise_gain": -1.0}, "noise_gain must be >= 0"),
    ],
)
def test_bad_arguments_write_nothing(tmp_path, kwargs, message):
    with pytest.raises(DeguInputError) as e:
        simulate_lentimpra(tmp_path / "out", **kwargs)
    assert str(e.value).startswith("simulate_lentimpra: ") and message in str(e.value)
    assert not (tmp_path / "out").exists()


def test_more_replicates(tmp_path):
    simulate_lentimpra(tmp_path, n_elements=30, table_format="csv", n_replicates=4, p_missing_replicate=0.5)
    cols = [f"replicate {k} [log2(rna/dna)]" for k in range(1, 5)]
    reps = read_agarwal_replicates(tmp_path / "replicates.csv", replicate_columns=cols)
    v = reps[[f"rep_{k}" for k in range(1, 5)]].to_numpy()
    n = np.isfinite(v).sum(1)
    assert n.min() >= 1 and (n < 4).any() and n.max() == 4
