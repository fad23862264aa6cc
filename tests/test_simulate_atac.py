"""Simulated ATAC-seq (degu.assays.simulate.simulate_atac): real file formats, a ground truth that
matches an independent computation of the stated profile function, replicate noise with the
stated properties, determinism, and the whole library path bigWigs -> tracks -> bins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from degu.assays.profiles import read_profile_rows, write_profile_dataset
from degu.assays.simulate import (
    ATAC_CHROMOSOMES,
    ATAC_WEIGHTS,
    default_human_motifs,
    simulate_atac,
)
from degu.assays.tracks import replicate_tracks
from degu.errors import DeguInputError
from degu.io.bigwig import read_chrom_sizes
from degu.io.fasta import read_fasta

FILES = ["genome.fa", "chrom.sizes", "rep1.bw", "rep2.bw", "rep3.bw", "truth.bw", "sites.tsv"]
RC = str.maketrans("ACGT", "TGCA")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("atac")
    counts = simulate_atac(out, seed=7)
    return out, counts


def _bw(path):
    bw = pyBigWig.open(str(path))  # an independent reader
    assert bw is not None and bw.isBigWig()
    return bw


def test_files_in_real_formats(sim):
    out, counts = sim
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".fai")) == sorted(FILES)
    genome = {r.id: r.seq for r in read_fasta(out / "genome.fa")}
    assert {c: len(s) for c, s in genome.items()} == ATAC_CHROMOSOMES
    assert read_chrom_sizes(out / "chrom.sizes") == ATAC_CHROMOSOMES
    lines = (out / "genome.fa").read_text().splitlines()
    assert max(len(line) for line in lines if not line.startswith(">")) == 60
    for name in ("rep1.bw", "rep2.bw", "rep3.bw", "truth.bw"):
        assert _bw(out / name).chroms() == ATAC_CHROMOSOMES
    sites = pd.read_csv(out / "sites.tsv", sep="\t")
    assert list(sites.columns) == ["chrom", "start", "end", "motif", "strand", "center", "height", "noise_sd"]
    assert counts == {
        "n_sites": len(sites),
        "n_accessible_sites": int((sites.height > 0).sum()),
        "n_bases": sum(ATAC_CHROMOSOMES.values()),
    }
    assert counts["n_accessible_sites"] > 20


def test_planted_sites_are_motif_instances(sim):
    out, _ = sim
    genome = {r.id: r.seq for r in read_fasta(out / "genome.fa")}
    pwms = {m.name: m.pwm for m in default_human_motifs()}
    sites = pd.read_csv(out / "sites.tsv", sep="\t")
    matches = []
    for s in sites.itertuples():
        planted = genome[s.chrom][s.start : s.end]
        if s.strand == "-":
            planted = planted.translate(RC)[::-1]
        consensus = "".join("ACGT"[i] for i in pwms[s.motif].argmax(axis=1))
        assert len(planted) == len(consensus) == s.end - s.start
        assert s.center == (s.start + s.end) / 2
        assert s.height == ATAC_WEIGHTS.get(s.motif, 0.0)
        matches.append(np.mean([a == b for a, b in zip(planted, consensus, strict=True)]))
    # PWMs put 0.88 on the consensus base (0.5 on each of a two-base IUPAC code)
    assert 0.75 < np.mean(matches) < 0.95
    # no site in the N stretch at the chromosome starts, which has no data in any track
    assert (sites.start >= 4000).all()
    assert set(genome["chr1"][:4000]) == {"N"}


def test_truth_is_the_stated_profile(sim):
    out, _ = sim
    sites = pd.read_csv(out / "sites.tsv", sep="\t")
    truth = _bw(out / "truth.bw")
    for chrom, n in ATAC_CHROMOSOMES.items():
        x = np.arange(n)
        expected = np.full(n, 0.3)  # baseline
        for s in sites[sites.chrom == chrom].itertuples():
            expected += s.height * np.exp(-0.5 * ((x - s.center) / 40.0) ** 2)
        got = np.asarray(truth.values(chrom, 0, n), dtype=np.float64)
        assert np.isnan(got[:4000]).all()
        np.testing.assert_allclose(got[4000:], expected[4000:], rtol=1e-6, atol=1e-4)


def test_replicates_are_noisy_non_negative_copies_of_the_truth(sim):
    out, _ = sim
    truth = _bw(out / "truth.bw")
    reps = [_bw(out / f"rep{r}.bw") for r in (1, 2, 3)]
    t_all, m_all = [], []
    for chrom, n in ATAC_CHROMOSOMES.items():
        t = np.asarray(truth.values(chrom, 0, n))
        v = np.stack([np.asarray(r.values(chrom, 0, n)) for r in reps])
        assert np.isnan(v[:, :4000]).all()
        ok = v[:, 4000:][~np.isnan(v[:, 4000:])]
        assert (ok >= 0).all()
        gaps = np.isnan(v[:, 4000:]).sum(axis=1)
        assert ((gaps >= 2 * 200) & (gaps <= 2 * 1500)).all()  # two stretches of 200-1500 bp each
        complete = ~np.isnan(v).any(axis=0)
        t_all.append(t[complete])
        m_all.append(v[:, complete].mean(axis=0))
        assert not np.array_equal(v[0, complete], v[1, complete])
    r = np.corrcoef(np.concatenate(t_all), np.concatenate(m_all))[0, 1]
    assert r > 0.9


def test_replicate_spread_depends_on_the_motif(tmp_path):
    """AP1 peaks vary more between replicates (log-normal sd 0.6) than CTCF peaks (0.2): the
    aleatoric track is learnable from sequence."""
    chroms = {"chr1": 400_000, "chr8": 5_000, "chr9": 5_000}
    simulate_atac(tmp_path, chromosomes=chroms, seed=3, site_rate=1.0, gaps_per_replicate=0)
    sites = pd.read_csv(tmp_path / "sites.tsv", sep="\t")
    reps = [_bw(tmp_path / f"rep{r}.bw") for r in (1, 2, 3)]
    cv = {}
    for motif in ("AP1", "CTCF"):
        peaks = np.array(
            [
                [r.values(s.chrom, int(s.center), int(s.center) + 1)[0] for r in reps]
                for s in sites[sites.motif == motif].itertuples()
            ]
        )
        assert len(peaks) > 30
        cv[motif] = np.median(peaks.std(axis=1) / peaks.mean(axis=1))
    assert cv["AP1"] > 2 * cv["CTCF"]


def test_deterministic_in_its_arguments(tmp_path):
    chroms = {"chr8": 10_000, "chr9": 9_000, "chr2": 8_000}
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    simulate_atac(a, chromosomes=chroms, seed=1)
    simulate_atac(b, chromosomes=chroms, seed=1)
    simulate_atac(c, chromosomes=chroms, seed=2)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "genome.fa").read_bytes() != (c / "genome.fa").read_bytes()
    assert (a / "rep1.bw").read_bytes() != (c / "rep1.bw").read_bytes()


def test_bad_arguments():
    with pytest.raises(DeguInputError) as e:
        simulate_atac("unused", chromosomes={"chr1": 10_000, "chr9": 10_000}, n_replicates=1)
    assert str(e.value) == (
        "simulate_atac: chromosomes must include chr8 (the test and validation chromosomes); "
        "n_replicates must be an integer from 2 to 20, got 1"
    )
    with pytest.raises(DeguInputError) as e:
        simulate_atac("unused", chromosomes={"chr8": 10_000, "chr9": 100, "scaffold1": 9000})
    assert str(e.value) == (
        "simulate_atac: chromosome chr9 must be an integer of at least telomere_n + 1000 bp, got 100; "
        "chromosome name 'scaffold1' must look like chr1, chrX or chrUn_x"
    )


def test_library_path_bigwigs_to_bins(sim, tmp_path):
    out, _ = sim
    tracks = replicate_tracks([out / f"rep{r}.bw" for r in (1, 2, 3)], tmp_path / "A549")
    h5 = tmp_path / "atac.h5"
    counts = write_profile_dataset(
        h5,
        out / "genome.fa",
        {"y": tracks["mean"]["bigWig"], "aleatoric": tracks["std"]["bigWig"]},
        tasks=["A549"],
    )
    # bins of 3072 bp from base 0; the first bin of each chromosome is N only (4000 N), dropped
    n = {c: s // 3072 - 1 for c, s in ATAC_CHROMOSOMES.items()}
    assert counts == {
        "Train": n["chr1"] + n["chr2"],
        "Val": n["chr9"],
        "Test": n["chr8"],
        "n_dropped_n": 4,
        "n_dropped_missing": 0,
    }
    test = read_profile_rows(h5, "Test")
    assert test["ids"][0] == "chr8:3072-6144" and all(i.startswith("chr8:") for i in test["ids"])
    assert test["y"].shape == (n["chr8"], 3072, 1) and (test["y"] >= 0).all()
    assert (test["aleatoric"] >= 0).all() and test["aleatoric"].max() > 0
    # the dataset's mean track is the replicates' mean (missing = 0) at a complete base
    reps = [_bw(out / f"rep{r}.bw") for r in (1, 2, 3)]
    pos = 3072 + 2000
    v = [r.values("chr8", pos, pos + 1)[0] for r in reps]
    v = [0.0 if np.isnan(a) else a for a in v]
    assert test["y"][0, 2000, 0] == np.float32(float(f"{np.mean(v):f}"))
