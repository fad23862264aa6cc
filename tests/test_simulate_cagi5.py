"""The CAGI5 simulator (degu.assays.simulate.simulate_cagi5): official file layout, a genome and
an elements table that agree with the variants, and true effects recomputed independently."""

import numpy as np
import pandas as pd
import pytest

from degu.assays.simulate import (
    LENTI_ADAPTOR_3,
    LENTI_ADAPTOR_5,
    default_human_motifs,
    lentimpra_clean_activity,
    simulate_cagi5,
)
from degu.errors import DeguInputError

LOCI = {"SIMK562": "K562", "SIMHEPG2": "HepG2"}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("cagi5")
    counts = simulate_cagi5(out, loci=LOCI, seed=5, n_replicates=10)
    return out, counts


def _genome(path):
    seqs, name = {}, None
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:]
            seqs[name] = []
        else:
            seqs[name].append(line)
    return {k: "".join(v) for k, v in seqs.items()}


def test_official_layout_and_counts(sim):
    out, counts = sim
    for locus in LOCI:
        lines = {s: (out / f"{s}_{locus}.tsv").read_text().splitlines() for s in ("release", "challenge")}
        for text in lines.values():
            assert [ln.split("\t")[0] for ln in text[:6]] == [
                "##Chrom",
                "##Pos",
                "##Ref",
                "##Alt",
                "##Value",
                "##Confidence",
            ]
            assert text[6] == "#Chrom\tPos\tRef\tAlt\tValue\tConfidence"
        n_release, n_challenge = len(lines["release"]) - 7, len(lines["challenge"]) - 7
        assert (n_release, n_challenge) == (counts[locus]["n_release"], counts[locus]["n_challenge"])
        assert n_release + n_challenge == 600  # 200 positions x 3 alternative bases
        body = pd.read_csv(out / f"release_{locus}.tsv", sep="\t", skiprows=6, dtype={"#Chrom": str})
        assert not body["#Chrom"].str.startswith("chr").any()
        assert body["Confidence"].between(0, 1).all()
        assert (body["Ref"] != body["Alt"]).all()


def test_genome_elements_and_variants_agree(sim):
    out, _ = sim
    genome = _genome(out / "genome.fa")
    assert all(len(line) <= 60 for line in (out / "genome.fa").read_text().splitlines())
    elements = pd.read_csv(out / "elements.csv")
    truth = pd.read_csv(out / "cagi5_truth.tsv", sep="\t", dtype={"chrom": str})
    for (locus, chrom), t in truth.groupby(["locus", "chrom"]):
        seq = genome[f"chr{chrom}"]
        row = elements.set_index("regulatory_element").loc[locus]
        start = int(row["start_pos"])
        assert seq[start : start + len(row["ref_sequence"])].upper() == row["ref_sequence"]
        # every Ref matches the genome at the 1-based Pos, and the element is upper case
        assert all(seq[p - 1] == r for p, r in zip(t["pos"], t["ref"], strict=True))
        assert seq[start:].startswith(seq[start : start + 100].lower())  # soft-masked flank
        assert t["pos"].nunique() == 200


def test_true_effects_recomputed_independently(sim):
    """Each instance hit by a substitution keeps min(1, p(alt)/p(ref)) of its effect under its PWM
    (read on its strand); recomputed here from the truth file's instances."""
    out, _ = sim
    truth = pd.read_csv(out / "cagi5_truth.tsv", sep="\t", dtype={"chrom": str})
    genome = _genome(out / "genome.fa")
    motifs = {m.name: m.pwm for m in default_human_motifs()}
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    for locus, t in truth.groupby("locus"):
        cell = LOCI[locus]
        first = int(t["pos"].min())  # the element's first base (1-based)
        seq = genome[f"chr{t['chrom'].iloc[0]}"].upper()
        record = LENTI_ADAPTOR_5 + seq[first - 1 : first - 1 + 200] + LENTI_ADAPTOR_3
        inst = []
        for item in t["instances"].iloc[0].split(";"):
            name, start, strand = item.split(":")
            inst.append((name, int(start), strand, len(motifs[name])))
        y_ref = lentimpra_clean_activity(inst, cell)
        rows = t.sample(60, random_state=0)
        for _, r in rows.iterrows():
            pos = 15 + int(r["pos"]) - first
            strengths = []
            for name, start, strand, width in inst:
                if not start <= pos < start + width:
                    strengths.append(1.0)
                    continue
                col, a, b = pos - start, record[pos], r["alt"]
                if strand == "-":
                    col, a, b = width - 1 - col, comp[a], comp[b]
                p = motifs[name][col]
                strengths.append(min(1.0, p["ACGT".index(b)] / p["ACGT".index(a)]))
            expected = lentimpra_clean_activity(inst, cell, strengths=strengths) - y_ref
            assert r["true_effect"] == pytest.approx(expected, abs=2e-6)
        # a substitution outside every planted instance changes nothing
        covered = {p for _, s, _, w in inst for p in range(s, s + w)}
        outside = t[[15 + int(p) - first not in covered for p in t["pos"]]]
        assert len(outside) > 0 and (outside["true_effect"].abs() < 1e-9).all()


def test_measured_is_noisy_truth_and_deterministic(sim, tmp_path):
    out, _ = sim
    truth = pd.read_csv(out / "cagi5_truth.tsv", sep="\t")
    z = (truth["measured"] - truth["true_effect"]) / truth["noise_sd"]
    assert abs(z.mean()) < 0.15 and 0.85 < z.std() < 1.15  # Normal(0, noise_sd), 2-decimal rounding
    for locus, t in truth.groupby("locus"):
        r = np.corrcoef(t["true_effect"], t["measured"])[0, 1]
        assert 0.3 < r < 1.0, locus
    simulate_cagi5(tmp_path, loci=LOCI, seed=5, n_replicates=10)
    for name in (
        "release_SIMK562.tsv",
        "challenge_SIMHEPG2.tsv",
        "genome.fa",
        "elements.csv",
        "cagi5_truth.tsv",
    ):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_bad_arguments(tmp_path):
    with pytest.raises(DeguInputError, match=r"^simulate_cagi5: locus name 'a b' must be letters"):
        simulate_cagi5(tmp_path, loci={"a b": "K562"})
    with pytest.raises(DeguInputError, match=r"release_fraction must be in \[0, 1\], got 2"):
        simulate_cagi5(tmp_path, loci={"A": "K562"}, release_fraction=2)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_the_same_files(sim, tmp_path, capsys):
    from degu.cli import main

    out, _ = sim
    argv = ["simulate", "cagi5", "--out", str(tmp_path), "--seed", "5", "--n-replicates", "10"]
    assert main([*argv, "--locus", "SIMK562=K562", "--locus", "SIMHEPG2=HepG2"]) == 0
    assert "SIMK562: n_variants=600" in capsys.readouterr().out
    for name in ("release_SIMK562.tsv", "genome.fa", "cagi5_truth.tsv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()
    assert main(["simulate", "cagi5", "--out", str(tmp_path / "x"), "--locus", "SIMK562"]) == 2
    assert capsys.readouterr().err == (
        "degu: error: --locus 'SIMK562': give NAME=CELL_TYPE, e.g. SIMK562=K562\n"
    )


def test_the_genome_index_is_written_once_and_read_back(sim, tmp_path):
    """The workflow indexes the simulated genome in the job that writes it
    (degu.io.variants.index_fasta), so parallel scoring jobs only read the index."""
    import shutil

    from degu.io.variants import GenomeReference, index_fasta

    out, _ = sim
    fa = tmp_path / "genome.fa"
    shutil.copy(out / "genome.fa", fa)
    fai = index_fasta(fa)
    lines = [ln.split("\t") for ln in fai.read_text().splitlines()]
    assert [(n, int(length), int(bases), int(width)) for n, length, _, bases, width in lines] == [
        ("chr1", 1000, 60, 61),
        ("chr2", 1000, 60, 61),
    ]
    before = fai.stat().st_mtime_ns
    ref = GenomeReference(fa)
    assert ref.fetch(ref.resolve("1"), 0, 10) == _genome(fa)["chr1"][:10]
    assert fai.stat().st_mtime_ns == before  # not rebuilt
    (tmp_path / "bad.fa").write_text(">chr1\nACGT\nAC\nACGT\n")
    with pytest.raises(DeguInputError, match=r"bad.fa: cannot index the FASTA"):
        index_fasta(tmp_path / "bad.fa")
