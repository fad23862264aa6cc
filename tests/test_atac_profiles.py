"""Profile datasets (degu.assays.profiles): bins, chromosome splits, the N-only and missing-coverage
rules, the HDF5 file (layout, chunks, lazy reads), and crop / reverse-complement augmentation
keeping sequence and targets aligned.

(tests/test_profiles.py is about the Snakemake profiles, hence this file's name.)"""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from degu.assays.profiles import (
    PROFILE_FORMAT,
    center_crop,
    chromosome_splits,
    encode_genome,
    genome_bins,
    random_crop_rc,
    read_profile_rows,
    write_profile_dataset,
)
from degu.errors import DeguInputError
from degu.io.bigwig import write_bigwig
from degu.io.encoding import one_hot

NAN = np.nan


def error(fn, *args, **kwargs) -> str:
    with pytest.raises(DeguInputError) as e:
        fn(*args, **kwargs)
    assert "\n" not in str(e.value)
    return str(e.value)


def test_chromosome_splits_paper_rule():
    names = [
        "chr1",
        "chr8",
        "chr9",
        "chr10",
        "chrX",
        "chrY",
        "chrM",
        "chr1_KI270706v1_random",
        "chrUn_GL000195v1",
    ]
    assert chromosome_splits(names) == {
        "chr1": "Train",
        "chr8": "Test",
        "chr9": "Val",
        "chr10": "Train",
        "chrX": "Train",
        "chrY": None,
        "chrM": "Train",  # the paper excludes only chrY and contigs
        "chr1_KI270706v1_random": None,
        "chrUn_GL000195v1": None,
    }
    other = chromosome_splits(
        names, test_chroms=["chr1", "chr10"], val_chroms=["chrX"], exclude_chroms=["chrM"]
    )
    assert [c for c, s in other.items() if s == "Test"] == ["chr1", "chr10"]
    assert other["chrY"] == "Train" and other["chrM"] is None and other["chrUn_GL000195v1"] is None
    assert chromosome_splits(["chr8", "chr9", "chrUn_x"], exclude_contigs=False)["chrUn_x"] == "Train"


def test_chromosome_split_errors():
    assert error(chromosome_splits, ["chr1", "chr9"], where="g.fa") == (
        "g.fa: test_chroms ['chr8'] not in the genome (chromosomes: chr1, chr9)"
    )
    assert error(chromosome_splits, ["chr8", "chr9"], val_chroms=["chr8"], where="g.fa") == (
        "g.fa: chromosome(s) ['chr8'] are in more than one of test, validation, excluded"
    )


def test_bins_by_hand():
    assert genome_bins({"chr1": 10, "chr2": 6, "chr3": 2}, 3) == [
        ("chr1", 0, 3),
        ("chr1", 3, 6),
        ("chr1", 6, 9),
        ("chr2", 0, 3),
        ("chr2", 3, 6),
    ]
    assert len(genome_bins({"chr8": 145_138_636}, 3072)) == 145_138_636 // 3072


def test_encode_genome():
    x = encode_genome("ACGTNRacgt")
    assert x.dtype == np.uint8 and x.shape == (10, 4)
    np.testing.assert_array_equal(x[:4], np.eye(4))
    np.testing.assert_array_equal(x[6:], np.eye(4))
    assert not x[4:6].any()  # N and the IUPAC code R: all zero
    assert error(encode_genome, "ACGX", "g.fa: record 'chr1'", offset=100) == (
        "g.fa: record 'chr1' has invalid character 'X' at position 104 "
        "(allowed: A, C, G, T, N or an IUPAC ambiguity code, either case)"
    )


# ------------------------------------------------------------------ the dataset file

BIN = 4
SEQS = {  # bins of 4 bp; remainders (chr1: 2 bp) are not used
    "chr1": "NNNN" + "ACGT" + "ccgg" + "TA",
    "chr8": "AAAA" + "CNNC",
    "chr9": "GGGG",
    "chrY": "TTTTTTTT",
    "chrUn_a": "ACGTACGT",
}


def _genome(tmp_path, width=5):
    fa = tmp_path / "genome.fa"
    lines = []
    for name, seq in SEQS.items():
        lines.append(f">{name} some description")
        lines += [seq[i : i + width] for i in range(0, len(seq), width)]
    fa.write_text("\n".join(lines) + "\n")
    return fa


def _tracks(tmp_path):
    sizes = {c: len(s) for c, s in SEQS.items()}
    mean = {
        "chr1": np.arange(14, dtype=np.float32),
        "chr8": np.array([1, 2, NAN, 4, 5, 6, 7, 8], np.float32),  # one base without coverage in bin 0
        "chr9": np.array([0.5, 0.5, 0.5, 0.5], np.float32),
        "chrY": np.ones(8, np.float32),
    }
    std = {c: v / 10 for c, v in mean.items()}
    std["chr9"] = np.array([0.1, NAN, NAN, 0.1], np.float32)
    paths = {"y": tmp_path / "mean.bw", "aleatoric": tmp_path / "std.bw"}
    write_bigwig(paths["y"], mean, sizes)
    write_bigwig(paths["aleatoric"], std, sizes)  # chrUn_a: no data in either
    return paths, mean, std


def test_profile_dataset_by_hand(tmp_path):
    fa = _genome(tmp_path)
    paths, mean, std = _tracks(tmp_path)
    out = tmp_path / "atac.h5"
    counts = write_profile_dataset(
        out,
        fa,
        {"y": [paths["y"]], "aleatoric": [paths["aleatoric"]]},
        tasks=["A549"],
        bin_size=BIN,
        block_bins=1,
    )
    # chr1 bin 0 is all N: dropped; chrY and the contig are excluded
    assert counts == {"Train": 2, "Val": 1, "Test": 2, "n_dropped_n": 1, "n_dropped_missing": 0}
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == PROFILE_FORMAT
        assert f.attrs["tasks"] == '["A549"]' and f.attrs["targets"] == '["y", "aleatoric"]'
        assert f.attrs["seq_len"] == BIN and f.attrs["bin_size"] == BIN and f.attrs["missing_value"] == 0.0
        assert f.attrs["n_dropped_n"] == 1
        for split in ("Train", "Val", "Test"):
            assert f[split]["X"].chunks == (1, BIN, 4)  # one bin per chunk: lazy reads
            assert f[split]["y"].chunks == (1, BIN, 1) and f[split]["y"].dtype == np.float32
            assert f[split]["X"].dtype == np.uint8
    train, val, test = (read_profile_rows(out, s) for s in ("Train", "Val", "Test"))
    assert train["ids"].tolist() == ["chr1:4-8", "chr1:8-12"]
    assert val["ids"].tolist() == ["chr9:0-4"]
    assert test["ids"].tolist() == ["chr8:0-4", "chr8:4-8"]
    np.testing.assert_array_equal(train["X"], one_hot(["ACGT", "CCGG"]))  # soft-masked = upper case
    np.testing.assert_array_equal(test["X"], one_hot(["AAAA", "CNNC"]))
    assert train["y"].shape == (2, BIN, 1)
    np.testing.assert_array_equal(train["y"][:, :, 0], [[4, 5, 6, 7], [8, 9, 10, 11]])
    np.testing.assert_array_equal(test["y"][:, :, 0], [[1, 2, 0, 4], [5, 6, 7, 8]])  # missing -> 0
    np.testing.assert_array_equal(val["aleatoric"][0, :, 0], np.float32([0.1, 0, 0, 0.1]))
    np.testing.assert_array_equal(
        train["aleatoric"][:, :, 0], np.float32([[0.4, 0.5, 0.6, 0.7], [0.8, 0.9, 1.0, 1.1]])
    )


def test_missing_coverage_rule_is_an_argument(tmp_path):
    fa = _genome(tmp_path, width=60)
    paths, _, _ = _tracks(tmp_path)
    filled = write_profile_dataset(
        tmp_path / "f.h5", fa, paths, tasks=["A549"], bin_size=BIN, missing_value=-1.0
    )
    assert filled["Test"] == 2
    np.testing.assert_array_equal(
        read_profile_rows(tmp_path / "f.h5", "Test", [0])["y"][0, :, 0], [1, 2, -1, 4]
    )
    dropped = write_profile_dataset(
        tmp_path / "d.h5", fa, paths, tasks=["A549"], bin_size=BIN, missing_value=None
    )
    # chr8:0-4 (mean) and chr9:0-4 (std) have missing bases: dropped
    assert dropped == {"Train": 2, "Val": 0, "Test": 1, "n_dropped_n": 1, "n_dropped_missing": 2}
    assert read_profile_rows(tmp_path / "d.h5", "Test")["ids"].tolist() == ["chr8:4-8"]
    assert read_profile_rows(tmp_path / "d.h5", "Val")["X"].shape == (0, BIN, 4)


def test_lazy_rows_in_the_order_asked(tmp_path):
    fa = _genome(tmp_path)
    paths, _, _ = _tracks(tmp_path)
    out = tmp_path / "atac.h5"
    write_profile_dataset(out, fa, paths, tasks=["A549"], bin_size=BIN)
    whole = read_profile_rows(out, "Test")
    rows = read_profile_rows(out, "Test", [1, 0, 1])
    assert rows["ids"].tolist() == ["chr8:4-8", "chr8:0-4", "chr8:4-8"]
    for key in ("X", "y", "aleatoric"):
        np.testing.assert_array_equal(rows[key], whole[key][[1, 0, 1]])
    assert (
        error(read_profile_rows, out, "Test", [2]) == f"{out}: rows out of range for split 'Test' with 2 bins"
    )


def test_dataset_errors_write_nothing(tmp_path):
    fa = _genome(tmp_path)
    paths, _, _ = _tracks(tmp_path)
    out = tmp_path / "atac.h5"
    wrong = tmp_path / "wrong.bw"
    write_bigwig(wrong, {"chr8": np.ones(9)})
    assert error(write_profile_dataset, out, fa, {"y": [wrong]}, tasks=["A549"], bin_size=BIN) == (
        f"{wrong}: chromosome 'chr8' has 9 bp, but 8 bp in {fa}"
    )
    assert error(write_profile_dataset, out, fa, {"aleatoric": [paths["y"]]}, tasks=["A549"]) == (
        "profile tracks: need the mean track 'y'; got ['aleatoric']"
    )
    assert error(write_profile_dataset, out, fa, {"y": [paths["y"]]}, tasks=["A549", "HepG2"]) == (
        "profile tracks: target 'y' has 1 bigWig(s) for 2 task(s) ['A549', 'HepG2']"
    )
    bad = tmp_path / "bad.fa"
    bad.write_text(">chr8\nACGTACGT\n>chr9\nACGX\n")
    assert error(write_profile_dataset, out, bad, paths, tasks=["A549"], bin_size=BIN) == (
        f"{bad}: record 'chr9' has invalid character 'X' at position 4 "
        "(allowed: A, C, G, T, N or an IUPAC ambiguity code, either case)"
    )
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">chr8\nAC\nACGT\nAC\n>chr9\nACGT\n")
    assert error(write_profile_dataset, out, ragged, paths, tasks=["A549"]).startswith(
        f"{ragged}: cannot index FASTA: "
    )
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".atac.h5")]


# ------------------------------------------------------------------ crops and reverse complement


def _batch(rng, b=10, length=50):
    """Random one-hot x and targets y that carry x itself (channels 0-3) and the position (4)."""
    x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, size=(b, length))]
    pos = np.broadcast_to(np.arange(length, dtype=np.float32)[None, :, None], (b, length, 1))
    return x, np.concatenate([x.astype(np.float32), pos], axis=-1)


def test_center_crop():
    x, y = _batch(np.random.default_rng(0), b=3, length=11)
    xc, yc = center_crop(x, y, 4)
    np.testing.assert_array_equal(xc, x[:, 3:7])
    np.testing.assert_array_equal(yc[..., 4], np.tile([3, 4, 5, 6], (3, 1)))
    xs, ys = center_crop(x, y, 11)
    np.testing.assert_array_equal(xs, x)
    np.testing.assert_array_equal(ys, y)


def test_random_crop_rc_keeps_sequence_and_targets_aligned():
    rng = np.random.default_rng(1)
    b, length, crop = 11, 50, 20
    x, y = _batch(rng, b, length)
    xc, yc = random_crop_rc(x, y, crop, np.random.default_rng(2))
    assert xc.shape == (b, crop, 4) and yc.shape == (b, crop, 5)
    flipped = []
    for i in range(b):
        pos = yc[i, :, 4].astype(int)
        if pos[1] > pos[0]:  # forward: a contiguous window, sequence as in the bin
            start = pos[0]
            np.testing.assert_array_equal(pos, np.arange(start, start + crop))
            np.testing.assert_array_equal(xc[i], x[i, start : start + crop])
            np.testing.assert_array_equal(yc[i, :, :4], xc[i])
        else:  # reverse complement: positions reversed, bases complemented (A,C,G,T reversed)
            start = pos[-1]
            np.testing.assert_array_equal(pos, np.arange(start + crop - 1, start - 1, -1))
            np.testing.assert_array_equal(xc[i], x[i, start : start + crop][::-1, ::-1])
            np.testing.assert_array_equal(yc[i, :, :4], xc[i][:, ::-1])  # coverage reversed, not complemented
            flipped.append(i)
        assert 0 <= start <= length - crop
    assert len(flipped) == b // 2  # half of the minibatch
    # deterministic in the generator
    again = random_crop_rc(x, y, crop, np.random.default_rng(2))
    np.testing.assert_array_equal(again[0], xc)
    np.testing.assert_array_equal(again[1], yc)


def test_random_crop_starts_cover_the_whole_range():
    x, y = _batch(np.random.default_rng(3), b=400, length=12)
    _, yc = random_crop_rc(x, y, 10, np.random.default_rng(4))
    starts = yc[:, :, 4].min(axis=1).astype(int)
    assert set(starts.tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="crop must be between 1 and the sequence length 12"):
        random_crop_rc(x, y, 13)
