"""bigWig / bedGraph / chrom.sizes I/O (degu.io.bigwig): round trips, gaps, the exact text
written, and one-line errors naming the file (and line)."""

from __future__ import annotations

import numpy as np
import pyBigWig
import pytest

from degu.errors import DeguInputError
from degu.io.bigwig import (
    bedgraph_to_bigwig,
    chrom_sizes,
    open_bigwig,
    read_bedgraph,
    read_chrom_sizes,
    read_region,
    runs,
    write_bedgraph,
    write_bigwig,
    write_chrom_sizes,
)

NAN = np.nan
TRACKS = {
    "chr2": np.array([5, 5, 5, NAN, 0.25], np.float32),
    "chr10": np.array([1, 1, NAN, NAN, 2, 3, 3, 0], np.float32),
}


def error(fn, *args, **kwargs) -> str:
    with pytest.raises(DeguInputError) as e:
        fn(*args, **kwargs)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_runs_by_hand():
    s, e, v = runs(np.array([1, 1, NAN, NAN, 2, 3, 3, 0], np.float32), offset=100)
    assert s.tolist() == [100, 104, 105, 107]
    assert e.tolist() == [102, 105, 107, 108]
    assert v.tolist() == [1, 2, 3, 0]
    s, e, v = runs(np.full(4, NAN))
    assert s.size == e.size == v.size == 0


def test_bigwig_round_trip_keeps_gaps(tmp_path):
    path = tmp_path / "t.bw"
    write_bigwig(path, TRACKS, sizes={"chr2": 5, "chr10": 8, "chrEmpty": 50})
    assert chrom_sizes(path) == {"chr2": 5, "chr10": 8, "chrEmpty": 50}
    for chrom, v in TRACKS.items():
        np.testing.assert_array_equal(read_region(path, chrom), v)
    np.testing.assert_array_equal(read_region(path, "chr10", 1, 5), [1, NAN, NAN, 2])
    assert np.isnan(read_region(path, "chrEmpty")).all() and read_region(path, "chrEmpty").shape == (50,)
    # an independent reader (pyBigWig itself) sees the intervals, gaps left out
    bw = pyBigWig.open(str(path))
    assert bw.intervals("chr10") == ((0, 2, 1.0), (4, 5, 2.0), (5, 7, 3.0), (7, 8, 0.0))
    assert bw.intervals("chr2") == ((0, 3, 5.0), (4, 5, 0.25))
    assert list(bw.chroms()) == ["chr10", "chr2", "chrEmpty"]  # bytewise order, as bedGraphToBigWig
    bw.close()
    with open_bigwig(path) as b:
        assert b.intervals("chrEmpty") == []


def test_values_are_stored_as_float32(tmp_path):
    path = tmp_path / "f.bw"
    write_bigwig(path, {"chr1": np.array([0.1, 1 / 3], dtype=np.float64)})
    got = read_region(path, "chr1")
    assert got.dtype == np.float32
    assert got.tolist() == [np.float32(0.1), np.float32(1 / 3)]


def test_bigwig_without_any_data(tmp_path):
    path = tmp_path / "empty.bw"
    write_bigwig(path, {}, sizes={"chr1": 10})
    assert np.isnan(read_region(path, "chr1", 2, 6)).all() and read_region(path, "chr1", 2, 6).shape == (4,)


def test_bedgraph_text_is_zero_based_half_open(tmp_path):
    path = tmp_path / "t.bedGraph"
    write_bedgraph(path, TRACKS)
    assert path.read_text() == (
        "chr10\t0\t2\t1\nchr10\t4\t5\t2\nchr10\t5\t7\t3\nchr10\t7\t8\t0\nchr2\t0\t3\t5\nchr2\t4\t5\t0.25\n"
    )
    back = read_bedgraph(path, {"chr2": 5, "chr10": 8})
    for chrom, v in TRACKS.items():
        np.testing.assert_array_equal(back[chrom], v)
    write_bedgraph(path, {"c": np.array([1 / 3], np.float32)}, fmt="%f")
    assert path.read_text() == "c\t0\t1\t0.333333\n"


def test_bedgraph_to_bigwig_matches_direct_writer(tmp_path):
    bg, direct, converted = tmp_path / "t.bedGraph", tmp_path / "a.bw", tmp_path / "b.bw"
    sizes = {"chr2": 5, "chr10": 8}
    write_bedgraph(bg, TRACKS)
    write_bigwig(direct, TRACKS, sizes)
    bedgraph_to_bigwig(bg, sizes, converted, batch=2)  # several batches
    for chrom in sizes:
        np.testing.assert_array_equal(read_region(converted, chrom), read_region(direct, chrom))


def test_bedgraph_with_header_lines_converts(tmp_path):
    bg, out = tmp_path / "h.bedGraph", tmp_path / "h.bw"
    bg.write_text("track type=bedGraph\n# comment\nchr1 0 3 1.5\nchr1\t5\t6\t-2\n")
    bedgraph_to_bigwig(bg, {"chr1": 8}, out)
    np.testing.assert_array_equal(read_region(out, "chr1"), [1.5, 1.5, 1.5, NAN, NAN, -2, NAN, NAN])


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "chr1\t0\t3\t1\nchr1\t2\t4\t1\n",
            "{p}:2: not sorted or overlapping (sort with LC_COLLATE=C sort -k1,1 -k2,2n)",
        ),
        (
            "chr2\t0\t3\t1\nchr1\t0\t4\t1\n",
            "{p}:2: not sorted or overlapping (sort with LC_COLLATE=C sort -k1,1 -k2,2n)",
        ),
        ("chr1\t0\t3\t1\nchr3\t0\t4\t1\n", "{p}:2: chromosome 'chr3' is not in the chromosome sizes"),
        ("chr1\t0\t3\t1\nchr1\t5\t11\t1\n", "{p}:2: end 11 is beyond the end of chr1 (10 bp)"),
        ("chr1\t0\t3\n", "{p}:1: expected 4 columns (chrom, start, end, value), got 3"),
        ("chr1\t4\t3\t1\n", "{p}:1: start and end must be integers with 0 <= start < end, got '4', '3'"),
        ("chr1\t0\t3\tx\n", "{p}:1: value 'x' is not a number"),
    ],
)
def test_bad_bedgraph_is_a_one_line_error_and_writes_nothing(tmp_path, text, expected):
    bg, out = tmp_path / "bad.bedGraph", tmp_path / "out.bw"
    bg.write_text(text)
    assert error(bedgraph_to_bigwig, bg, {"chr1": 10, "chr2": 10}, out) == expected.format(p=bg)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.bedGraph"]  # no temporary left


def test_not_a_bigwig(tmp_path):
    text = tmp_path / "x.bw"
    text.write_text("chr1\t0\t10\t1\n")
    assert (
        error(read_region, text, "chr1")
        == f"{text}: not a bigWig file (it does not start with the bigWig magic number)"
    )
    bigbed = tmp_path / "x.bb"
    bigbed.write_bytes(bytes.fromhex("ebf28987") + bytes(60))
    assert error(chrom_sizes, bigbed) == f"{bigbed}: is a bigBed file, not a bigWig file"
    missing = tmp_path / "nothing.bw"
    assert error(chrom_sizes, missing) == f"{missing}: no such file"


@pytest.mark.parametrize("keep", [0.05, 0.5, 0.9])
def test_truncated_bigwig(tmp_path, keep):
    good, cut = tmp_path / "good.bw", tmp_path / "cut.bw"
    write_bigwig(good, {"chr1": np.arange(5000, dtype=np.float32) % 7})
    data = good.read_bytes()
    cut.write_bytes(data[: int(len(data) * keep)])
    assert (
        error(chrom_sizes, cut)
        == f"{cut}: truncated or corrupt bigWig file (its header or index cannot be read)"
    )


def test_unknown_chromosome_and_out_of_bounds(tmp_path):
    path = tmp_path / "t.bw"
    write_bigwig(path, TRACKS)
    assert error(read_region, path, "chr3") == f"{path}: unknown chromosome 'chr3' (chromosomes: chr10, chr2)"
    oob = "is out of bounds (chr2 has 5 bp; coordinates are 0-based, half-open)"
    assert error(read_region, path, "chr2", 3, 6) == f"{path}: region chr2:3-6 {oob}"
    assert error(read_region, path, "chr2", -1, 2) == f"{path}: region chr2:-1-2 {oob}"
    assert error(read_region, path, "chr2", 3, 3) == f"{path}: region chr2:3-3 {oob}"


def test_write_bigwig_errors_leave_nothing(tmp_path):
    path = tmp_path / "t.bw"
    assert error(write_bigwig, path, {"chr1": np.ones(5)}, {"chr1": 6}) == (
        f"{path}: values of 'chr1' have shape (5,), expected (6,)"
    )
    assert error(write_bigwig, path, {"chr1": np.ones(5)}, {"chr2": 6}) == (
        f"{path}: chromosome 'chr1' has values but no size"
    )
    assert list(tmp_path.iterdir()) == []


def test_chrom_sizes_file(tmp_path):
    path = tmp_path / "g.chrom.sizes"
    write_chrom_sizes(path, {"chr2": 5, "chr10": 8})
    assert path.read_text() == "chr10\t8\nchr2\t5\n"
    assert read_chrom_sizes(path) == {"chr10": 8, "chr2": 5}
    path.write_text("chr1\t10\nchr2\tten\n")
    assert error(read_chrom_sizes, path) == f"{path}:2: size of 'chr2' must be a positive integer, got 'ten'"
    path.write_text("chr1\t10\nchr1\t10\n")
    assert error(read_chrom_sizes, path) == f"{path}:2: chromosome 'chr1' listed twice"
