"""Replicate processing (degu.assays.tracks): WiggleTools' mean / stddev semantics checked
against hand-computed values (missing = 0, population sd, all-missing = no data), the Python
engine's files, and the WiggleTools engine's exact commands."""

from __future__ import annotations

import math

import numpy as np
import pytest

from degu.assays.tracks import replicate_mean_std, replicate_tracks, wiggletools_commands
from degu.errors import DeguInputError
from degu.io.bigwig import chrom_sizes, read_bedgraph, read_chrom_sizes, read_region, write_bigwig

NAN = np.nan


def test_mean_std_by_hand():
    # columns: complete; one missing; two missing; all missing; all zero
    reps = np.array(
        [
            [1.0, 1.0, 5.0, NAN, 0.0],
            [2.0, NAN, NAN, NAN, 0.0],
            [3.0, 3.0, NAN, NAN, 0.0],
        ]
    )
    mean, std = replicate_mean_std(reps)
    # hand values: a missing replicate counts as 0, divide by 3 (population sd)
    assert mean[0] == pytest.approx(2.0) and std[0] == pytest.approx(math.sqrt((1 + 0 + 1) / 3))
    assert mean[1] == pytest.approx(4 / 3)  # (1 + 0 + 3) / 3
    assert std[1] == pytest.approx(math.sqrt(((1 - 4 / 3) ** 2 + (4 / 3) ** 2 + (3 - 4 / 3) ** 2) / 3))
    assert mean[2] == pytest.approx(5 / 3)
    assert std[2] == pytest.approx(math.sqrt(((10 / 3) ** 2 + 2 * (5 / 3) ** 2) / 3))
    assert np.isnan(mean[3]) and np.isnan(std[3])
    assert mean[4] == 0 and std[4] == 0
    assert std[0] != pytest.approx(1.0)  # not the sample sd (ddof 1) of 1, 2, 3


def _replicates(tmp_path):
    """Three replicates over chr1 (8 bp) and chr2 (4 bp; only in the first replicate)."""
    r1 = {
        "chr1": np.array([1, 1, NAN, 4, 0.5, NAN, 2, 2], np.float32),
        "chr2": np.array([3, NAN, 3, 3], np.float32),
    }
    r2 = {"chr1": np.array([2, NAN, NAN, 4, 0.25, NAN, 2, 2], np.float32)}
    r3 = {"chr1": np.array([3, 1, NAN, 4, NAN, NAN, 2, 5], np.float32)}
    paths = []
    for i, r in enumerate((r1, r2, r3), start=1):
        paths.append(tmp_path / f"rep{i}.bw")
        write_bigwig(paths[-1], r, {c: len(v) for c, v in r.items()})
    return paths


def test_python_engine_files_by_hand(tmp_path):
    paths = _replicates(tmp_path)
    out = replicate_tracks(paths, tmp_path / "out" / "A549")
    assert read_chrom_sizes(tmp_path / "out" / "A549.chrom.sizes") == {"chr1": 8, "chr2": 4}
    # hand values, base by base (missing = 0, / 3): chr1
    mean1 = [2, 2 / 3, NAN, 4, 0.25, NAN, 2, 3]
    std1 = [
        math.sqrt(2 / 3),
        math.sqrt((2 * (1 / 3) ** 2 + (2 / 3) ** 2) / 3),
        NAN,
        0,
        math.sqrt((0.25**2 + 0 + 0.25**2) / 3),
        NAN,
        0,
        math.sqrt((1 + 1 + 4) / 3),
    ]
    mean2 = [1, NAN, 1, 1]  # chr2 only in replicate 1: 3 / 3
    std2 = [math.sqrt((4 + 1 + 1) / 3), NAN, math.sqrt(2), math.sqrt(2)]
    # the bedGraph is WiggleTools' text: 0-based, half-open, values printed with %f
    assert out["mean"]["bedGraph"].read_text() == (
        "chr1\t0\t1\t2.000000\nchr1\t1\t2\t0.666667\nchr1\t3\t4\t4.000000\nchr1\t4\t5\t0.250000\n"
        "chr1\t6\t7\t2.000000\nchr1\t7\t8\t3.000000\nchr2\t0\t1\t1.000000\nchr2\t2\t4\t1.000000\n"
    )
    assert out["std"]["bedGraph"].read_text().splitlines()[1] == "chr1\t1\t2\t0.471405"  # sqrt(2/9)
    for track, hand in (("mean", {"chr1": mean1, "chr2": mean2}), ("std", {"chr1": std1, "chr2": std2})):
        bw = out[track]["bigWig"]
        assert chrom_sizes(bw) == {"chr1": 8, "chr2": 4}
        for chrom, values in hand.items():
            expected = np.array([NAN if np.isnan(v) else float(f"{v:f}") for v in values], np.float32)
            np.testing.assert_array_equal(read_region(bw, chrom), expected)  # gaps where all missing
            bg = read_bedgraph(out[track]["bedGraph"], {"chr1": 8, "chr2": 4})[chrom]
            np.testing.assert_array_equal(bg, expected)


def test_block_size_does_not_change_the_tracks(tmp_path):
    paths = _replicates(tmp_path)
    a = replicate_tracks(paths, tmp_path / "a", block=3)
    b = replicate_tracks(paths, tmp_path / "b", block=1_000_000)
    for track in ("mean", "std"):
        for chrom in ("chr1", "chr2"):
            np.testing.assert_array_equal(
                read_region(a[track]["bigWig"], chrom), read_region(b[track]["bigWig"], chrom)
            )


def test_chromosome_size_disagreement(tmp_path):
    a, b = tmp_path / "a.bw", tmp_path / "b.bw"
    write_bigwig(a, {"chr1": np.ones(10)})
    write_bigwig(b, {"chr1": np.ones(12)})
    with pytest.raises(DeguInputError) as e:
        replicate_tracks([a, b], tmp_path / "out")
    assert str(e.value) == f"{b}: chromosome 'chr1' has 12 bp, but 10 bp in {a}"
    assert not (tmp_path / "out.mean.bw").exists()


def test_wiggletools_commands_exactly():
    cmds = wiggletools_commands(["reps/a.bw", "reps/b.bigWig", "reps/c c.bigwig"], "results/atac/A549")
    assert cmds == [
        "wiggletools write_bg results/atac/A549.mean.bedGraph mean reps/a.bw reps/b.bigWig 'reps/c c.bigwig'",
        "wiggletools write_bg results/atac/A549.std.bedGraph stddev reps/a.bw reps/b.bigWig 'reps/c c.bigwig'",
        "bedGraphToBigWig results/atac/A549.mean.bedGraph results/atac/A549.chrom.sizes results/atac/A549.mean.bw",
        "bedGraphToBigWig results/atac/A549.std.bedGraph results/atac/A549.chrom.sizes results/atac/A549.std.bw",
    ]
    sized = wiggletools_commands(["a.bw", "b.bw"], "x", chrom_sizes="hg38.chrom.sizes")
    assert sized[2] == "bedGraphToBigWig x.mean.bedGraph hg38.chrom.sizes x.mean.bw"


def test_wiggletools_commands_reject_what_wiggletools_would_misread():
    with pytest.raises(DeguInputError) as e:
        wiggletools_commands(["a.bw", "b.bigWig.gz"], "x")
    assert (
        str(e.value) == "b.bigWig.gz: WiggleTools reads a bigWig only with the suffix .bw, .bigWig or .bigwig"
    )
    with pytest.raises(DeguInputError) as e:
        wiggletools_commands(["a.bw"], "x")
    assert str(e.value) == "tracks: need at least 2 replicate bigWigs, got 1"


def test_a_failure_leaves_no_output(tmp_path, monkeypatch):
    import degu.assays.tracks as tracks

    paths = _replicates(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "A549.std.bw").write_text("an earlier run's file")

    def fail(*args, **kwargs):
        raise DeguInputError("bedGraph -> bigWig failed")

    monkeypatch.setattr(tracks, "bedgraph_to_bigwig", fail)  # after both bedGraphs are written
    with pytest.raises(DeguInputError, match="bedGraph -> bigWig failed"):
        tracks.replicate_tracks(paths, tmp_path / "out" / "A549")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["A549.std.bw"]
    assert (tmp_path / "out" / "A549.std.bw").read_text() == "an earlier run's file"
