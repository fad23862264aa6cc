import gzip
import statistics

import numpy as np
import openpyxl
import pandas as pd
import pytest

from degu.errors import DeguInputError
from degu.io.encoding import reverse_complement
from degu.io.lentimpra import (
    DEFAULT_REVERSE_PATTERN,
    MEAN_COLUMN,
    REPLICATE_COLUMNS,
    SEQUENCE_COLUMN,
    is_reverse,
    merge_lentimpra,
    pair_stem,
    read_agarwal_replicates,
    read_agarwal_sequences,
    read_generic_table,
    read_table,
)

A5, A3 = "AGGACCGGATCAACT", "CATTGCGTGAACCGA"
T3_K562 = ["name", "category", "chr.hg38", "start.hg38", "stop.hg38", "str.hg38", SEQUENCE_COLUMN]
T4 = ["name", *REPLICATE_COLUMNS, MEAN_COLUMN]


def element(seed: int) -> str:
    rng = np.random.default_rng(seed)
    return "".join("ACGT"[i] for i in rng.integers(0, 4, 200))


def lib(seed: int, reverse: bool = False) -> str:
    el = element(seed)
    return A5 + (reverse_complement(el) if reverse else el) + A3


def t3_row(name, seq):
    return [name, "potential enhancer", "chr1", 1000, 1200, "+", seq]


def write_xlsx(path, sheets: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                ws.cell(row=r, column=c, value=v)
    wb.save(path)
    return path


def write_text(path, rows: list[list], sep="\t"):
    text = "".join(sep.join("" if v is None else str(v) for v in row) + "\n" for row in rows)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def t3_rows():
    return [
        T3_K562,
        t3_row("E1", lib(1)),
        t3_row("E1_Reversed", lib(1, True)),
        t3_row("E2", lib(2).lower()),
        t3_row("E2_Reversed_0", lib(2, True)),
    ]


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name,stem,rev",
    [
        ("E1", "E1", False),
        ("E1_Reversed", "E1", True),
        ("E1_Reversed_0", "E1", True),
        ("E1_Reversed:", "E1", True),
        ("E1_Reversed_12:", "E1", True),
        ("E1_ReversedX", "E1_ReversedX", False),
        ("Reversed_E1", "Reversed_E1", False),
        ("E1_Reversed_0_x", "E1_Reversed_0_x", False),
    ],
)
def test_pair_stem_and_is_reverse(name, stem, rev):
    assert pair_stem(name) == stem
    assert is_reverse(name) is rev
    assert is_reverse(name, DEFAULT_REVERSE_PATTERN) is rev


def test_custom_reverse_pattern():
    assert pair_stem("E1_rc", r"_rc$") == "E1" and is_reverse("E1_rc", r"_rc$")
    assert not is_reverse("E1_Reversed", r"_rc$")


# --------------------------------------------------------------------------- read_table


def test_read_table_formats_agree_and_keep_strings(tmp_path):
    rows = [["name", "x", "y"], ["a", 1.5, None], ["b", "NA", "nan"], ["c", -2, 3.25]]
    x = read_table(write_xlsx(tmp_path / "t.xlsx", {"Other": [["q"], [1]], "S": rows}), sheet="S")
    t = read_table(write_text(tmp_path / "t.tsv", rows))
    c = read_table(write_text(tmp_path / "t.csv", rows, sep=","))
    g = read_table(write_text(tmp_path / "t.tsv.gz", rows))
    txt = read_table(write_text(tmp_path / "t.txt", rows))
    expect = pd.DataFrame({"name": ["a", "b", "c"], "x": ["1.5", "NA", "-2"], "y": ["", "nan", "3.25"]})
    for df in (x, t, c, g, txt):
        assert list(df.columns) == ["name", "x", "y"]
        assert df.astype(object).values.tolist() == expect.values.tolist()
    assert x.attrs["sheet"] == "S" and t.attrs["sheet"] is None
    # the first sheet by default
    first = read_table(tmp_path / "t.xlsx")
    assert list(first.columns) == ["q"] and first.attrs["sheet"] == "Other"


def test_read_table_keeps_interior_blank_rows_drops_trailing(tmp_path):
    rows = [["name", "v"], ["a", 1], [None, None], ["b", 2], [None, None], [None, None]]
    for df in (
        read_table(write_xlsx(tmp_path / "t.xlsx", {"S": rows})),
        read_table(write_text(tmp_path / "t.tsv", rows)),
    ):
        assert df["name"].tolist() == ["a", "", "b"]


def test_read_table_missing_sheet_lists_sheets(tmp_path):
    p = write_xlsx(tmp_path / "t.xlsx", {"K562 large-scale": [["name"], ["a"]], "Other": [["x"]]})
    with pytest.raises(DeguInputError) as e:
        read_table(p, sheet="HepG2 large-scale")
    assert str(e.value) == (
        f"{p}: no sheet named 'HepG2 large-scale'; sheets present: ['K562 large-scale', 'Other']"
    )


@pytest.mark.parametrize("name", ["t.tsv", "t.csv", "t.xlsx", "t.tsv.gz"])
def test_read_table_empty_file(tmp_path, name):
    p = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(p, "wt") as fh:
            fh.write("")
    else:
        p.write_bytes(b"")
    with pytest.raises(DeguInputError, match=rf"^{p}: file is empty \(expected a header row\)$"):
        read_table(p)


def test_read_table_unreadable(tmp_path):
    bad = tmp_path / "t.xlsx"
    bad.write_bytes(b"this is not a zip archive")
    with pytest.raises(DeguInputError, match=rf"^{bad}: cannot read as an Excel workbook"):
        read_table(bad)
    odd = tmp_path / "t.parquet"
    odd.write_text("x")
    with pytest.raises(DeguInputError, match=rf"^{odd}: unsupported table format '.parquet'"):
        read_table(odd)
    with pytest.raises(DeguInputError, match=r"missing.tsv: file not found"):
        read_table(tmp_path / "missing.tsv")
    ragged = write_text(tmp_path / "r.tsv", [["a", "b"], ["1", "2", "3"]])
    with pytest.raises(DeguInputError, match=rf"^{ragged}: malformed table"):
        read_table(ragged)
    latin = tmp_path / "l.tsv"
    latin.write_bytes("name\n\xe9\n".encode("latin-1"))
    with pytest.raises(DeguInputError, match=rf"^{latin}: not UTF-8 text"):
        read_table(latin)


def test_read_table_header_problems(tmp_path):
    dup = write_text(tmp_path / "d.tsv", [["name", "x", "name"], ["a", "1", "b"]])
    with pytest.raises(DeguInputError, match=r"column 'name' appears more than once"):
        read_table(dup)
    blank = write_text(tmp_path / "b.tsv", [["name", "", "x"], ["a", "1", "2"]])
    with pytest.raises(DeguInputError, match=r"b.tsv: header cell 2 is empty"):
        read_table(blank)


# --------------------------------------------------------------------------- Table 3


def test_sequences_xlsx_and_tsv_agree(tmp_path):
    rows = t3_rows()
    x = read_agarwal_sequences(
        write_xlsx(tmp_path / "t3.xlsx", {"K562 large-scale": rows}), "K562 large-scale"
    )
    t = read_agarwal_sequences(write_text(tmp_path / "t3.tsv", rows))
    pd.testing.assert_frame_equal(x, t)
    assert list(x.columns) == ["name", "sequence"]
    assert x["name"].tolist() == ["E1", "E1_Reversed", "E2", "E2_Reversed_0"]
    assert x["sequence"].iloc[2] == lib(2)  # uppercased
    assert all(len(s) == 230 for s in x["sequence"])


def _seq_error(tmp_path, rows, fmt, **kw):
    if fmt == "xlsx":
        p = write_xlsx(tmp_path / "t3.xlsx", {"HepG2 large-scale": rows})
        where = lambda r: rf"{p} \(sheet 'HepG2 large-scale', row {r}\)"  # noqa: E731
    else:
        p = write_text(tmp_path / "t3.tsv", rows)
        where = lambda r: rf"{p}:{r}"  # noqa: E731
    with pytest.raises(DeguInputError) as e:
        read_agarwal_sequences(p, **kw)
    return str(e.value), where


@pytest.mark.parametrize("fmt", ["xlsx", "tsv"])
def test_sequences_missing_column(tmp_path, fmt):
    rows = [["name", "category", "sequence"], ["E1", "x", lib(1)]]
    msg, _ = _seq_error(tmp_path, rows, fmt)
    assert f'missing column(s) ["{SEQUENCE_COLUMN}"]' in msg
    assert "columns present: ['name', 'category', 'sequence']" in msg
    assert "t3." in msg


@pytest.mark.parametrize("fmt", ["xlsx", "tsv"])
def test_sequences_row_errors(tmp_path, fmt):
    def check(rows, pattern, **kw):
        msg, where = _seq_error(tmp_path, rows, fmt, **kw)
        assert pd.Series([msg]).str.match(pattern.format(w=where)).iloc[0], msg

    rows = t3_rows()
    rows[3] = t3_row("", lib(2))
    msg, where = _seq_error(tmp_path, rows, fmt)
    assert pd.Series([msg]).str.fullmatch(rf"{where(4)}: empty name in column 'name'").iloc[0], msg

    rows = t3_rows()
    rows[3] = t3_row("E1", lib(2))
    msg, where = _seq_error(tmp_path, rows, fmt)
    assert (
        pd.Series([msg])
        .str.fullmatch(rf"{where(4)}: duplicate name 'E1' in column 'name' \(first seen in row 2\)")
        .iloc[0]
    ), msg

    rows = t3_rows()
    bad = lib(2)[:40] + "Z" + lib(2)[41:]
    rows[3] = t3_row("E2", bad)
    msg, where = _seq_error(tmp_path, rows, fmt)
    assert (
        pd.Series([msg])
        .str.match(rf"{where(4)}: record 'E2' has invalid character 'Z' at position 41 in column")
        .iloc[0]
    ), msg

    rows = t3_rows()
    rows[2] = t3_row("E1_Reversed", lib(1, True)[:229])
    msg, where = _seq_error(tmp_path, rows, fmt)
    assert (
        pd.Series([msg])
        .str.match(rf"{where(3)}: record 'E1_Reversed' has sequence length 229, expected 230")
        .iloc[0]
    ), msg

    rows = t3_rows()
    rows[4] = t3_row("E2_Reversed_0", lib(2, True)[:100] + "n" + lib(2, True)[101:])
    msg, where = _seq_error(tmp_path, rows, fmt, n_policy="error")
    assert (
        pd.Series([msg])
        .str.match(
            rf"{where(5)}: record 'E2_Reversed_0' has invalid character 'n' at position 101 .*"
            r"n_policy='error'"
        )
        .iloc[0]
    ), msg

    rows = t3_rows()
    rows[1] = t3_row("E1", "")
    msg, where = _seq_error(tmp_path, rows, fmt)
    assert pd.Series([msg]).str.match(rf"{where(2)}: record 'E1' has an empty sequence").iloc[0], msg


def test_sequences_n_allowed_and_blank_rows_counted(tmp_path):
    rows = t3_rows()
    rows[1] = t3_row("E1", lib(1)[:100] + "N" + lib(1)[101:])
    ok = read_agarwal_sequences(write_text(tmp_path / "t3.tsv", rows))
    assert ok["sequence"].iloc[0][100] == "N"
    # a blank row is skipped but still counted: the error names the row as the user sees it
    rows = [*t3_rows()[:3], [None] * 7, t3_row("E2", "ACGT")]
    p = write_xlsx(tmp_path / "t3.xlsx", {"S": rows})
    with pytest.raises(DeguInputError, match=r"sheet 'S', row 5\): record 'E2' has sequence length 4"):
        read_agarwal_sequences(p)
    assert read_agarwal_sequences(p, seq_len=None)["name"].tolist() == ["E1", "E1_Reversed", "E2"]


def test_sequences_header_only(tmp_path):
    p = write_text(tmp_path / "t3.tsv", [T3_K562])
    with pytest.raises(DeguInputError, match=r"t3.tsv: no data rows \(only a header\)"):
        read_agarwal_sequences(p)


# --------------------------------------------------------------------------- Table 4


def t4_rows():
    return [
        T4,
        ["E1", 1.0, 1.5, 2.0, 1.5],
        ["E1_Reversed", 0.5, None, 0.25, 0.375],
        ["E2", "NA", 0.1, "#N/A", 0.1],
        ["E2_Reversed", "nan", None, "N/A", None],
    ]


def test_replicates_parse_missing_as_nan(tmp_path):
    x = read_agarwal_replicates(write_xlsx(tmp_path / "t4.xlsx", {"K562_summary_data": t4_rows()}))
    t = read_agarwal_replicates(write_text(tmp_path / "t4.tsv", t4_rows()))
    pd.testing.assert_frame_equal(x, t)
    assert list(x.columns) == ["name", "rep_1", "rep_2", "rep_3", "mean"]
    assert all(x[c].dtype == np.float64 for c in ["rep_1", "rep_2", "rep_3", "mean"])
    np.testing.assert_array_equal(
        x[["rep_1", "rep_2", "rep_3", "mean"]].to_numpy(),
        [[1.0, 1.5, 2.0, 1.5], [0.5, np.nan, 0.25, 0.375], [np.nan, 0.1, np.nan, 0.1], [np.nan] * 4],
    )


@pytest.mark.parametrize("fmt", ["xlsx", "tsv"])
def test_replicates_errors(tmp_path, fmt):
    def err(rows, **kw):
        if fmt == "xlsx":
            p = write_xlsx(tmp_path / "t4.xlsx", {"HepG2_summary_data": rows})
            where = lambda r: f"{p} (sheet 'HepG2_summary_data', row {r})"  # noqa: E731
        else:
            p = write_text(tmp_path / "t4.tsv", rows)
            where = lambda r: f"{p}:{r}"  # noqa: E731
        with pytest.raises(DeguInputError) as e:
            read_agarwal_replicates(p, **kw)
        return str(e.value), p, where

    rows = [r[:3] + r[4:] for r in t4_rows()]
    msg, p, _ = err(rows)
    assert msg.startswith(f"{p}") and f"missing column(s) ['{REPLICATE_COLUMNS[2]}']" in msg

    rows = [r[:4] for r in t4_rows()]
    msg, p, _ = err(rows)
    assert "missing column(s) ['mean']" in msg

    rows = t4_rows()
    rows[3][2] = "abc"
    msg, _, where = err(rows)
    assert msg.startswith(
        f"{where(4)}: non-numeric value 'abc' in column '{REPLICATE_COLUMNS[1]}' for record 'E2'"
    ), msg

    rows = t4_rows()
    rows[2][4] = "-inf"
    msg, _, where = err(rows)
    assert msg.startswith(f"{where(3)}: infinite value '-inf' in column 'mean' for record 'E1_Reversed'"), msg

    rows = t4_rows()
    rows[4][0] = "E1"
    msg, _, where = err(rows)
    assert msg == f"{where(5)}: duplicate name 'E1' in column 'name' (first seen in row 2)", msg


def test_replicates_custom_columns(tmp_path):
    rows = [["id", "r1", "r2"], ["a", 1, 3]]
    t = read_agarwal_replicates(
        write_text(tmp_path / "t.csv", rows, sep=","),
        name_column="id",
        replicate_columns=["r1", "r2"],
        mean_column=None,
    )
    assert t["name"].tolist() == ["a"] and t["rep_2"].tolist() == [3.0] and np.isnan(t["mean"].iloc[0])


# --------------------------------------------------------------------------- merge


def frames():
    seqs = pd.DataFrame(
        {
            "name": ["A", "A_Reversed", "B", "B_Reversed_0", "C", "C_Reversed", "D", "D_Reversed"],
            "sequence": [f"S{i}" for i in range(8)],
        }
    )
    reps = pd.DataFrame(
        {
            "name": ["D_Reversed", "B_Reversed", "A", "A_Reversed", "B", "C", "C_Reversed", "D"],
            "rep_1": [0.1, 0.2, 1.0, 2.0, 3.0, np.nan, np.nan, 0.7],
            "rep_2": [0.3, 0.6, 2.0, np.nan, 4.5, np.nan, 1.0, np.nan],
            "rep_3": [0.8, np.nan, 4.0, 3.0, 5.0, np.nan, np.nan, 0.9],
            "mean": [0.4, 0.4, 7 / 3, 2.5, np.nan, np.nan, 1.0, 0.8],
        }
    )
    return seqs, reps


def test_merge_aleatoric_drops_and_report():
    seqs, reps = frames()
    out, rep = merge_lentimpra(seqs, reps, aleatoric=True, source="t3+t4")
    assert list(out.columns) == ["name", "sequence", "activity", "aleatoric", "n_replicates"]
    # in the order of the sequences table; C has nothing, C_Reversed has one replicate
    assert out["name"].tolist() == ["A", "A_Reversed", "B", "B_Reversed_0", "D", "D_Reversed"]
    assert out["sequence"].tolist() == ["S0", "S1", "S2", "S3", "S6", "S7"]
    np.testing.assert_allclose(out["activity"], [7 / 3, 2.5, 4.166666666666667, 0.4, 0.8, 0.4])
    expected_sd = [
        statistics.stdev([1.0, 2.0, 4.0]),
        statistics.stdev([2.0, 3.0]),
        statistics.stdev([3.0, 4.5, 5.0]),
        statistics.stdev([0.2, 0.6]),
        statistics.stdev([0.7, 0.9]),
        statistics.stdev([0.1, 0.3, 0.8]),
    ]
    np.testing.assert_allclose(out["aleatoric"], expected_sd, rtol=1e-12)
    assert out["n_replicates"].tolist() == [3, 2, 3, 2, 2, 3]
    assert out["n_replicates"].dtype == np.int64
    counts = {k: v for k, v in rep.items() if not k.startswith("examples")}
    assert counts == {
        "n_sequences": 8,
        "n_measured": 8,
        "n_matched": 8,
        "n_matched_after_suffix_normalisation": 1,
        "n_measurements_without_sequence": 0,
        "n_sequences_without_measurement": 0,
        "n_mean_recomputed": 1,
        "n_dropped_missing_activity": 1,
        "n_dropped_few_replicates": 1,
        "n_kept": 6,
    }
    assert rep["examples_dropped_missing_activity"] == ["C"]
    assert rep["examples_dropped_few_replicates"] == ["C_Reversed"]
    assert rep["examples_matched_after_suffix_normalisation"] == ["B_Reversed_0"]


def test_merge_without_aleatoric_keeps_single_replicates():
    seqs, reps = frames()
    out, rep = merge_lentimpra(seqs, reps, aleatoric=False)
    assert "aleatoric" not in out.columns
    assert "C_Reversed" in out["name"].tolist() and "C" not in out["name"].tolist()
    assert rep["n_dropped_few_replicates"] == 0 and rep["n_kept"] == 7
    out3, rep3 = merge_lentimpra(seqs, reps, aleatoric=True, min_replicates=3)
    assert out3["name"].tolist() == ["A", "B", "D_Reversed"]
    assert rep3["n_dropped_few_replicates"] == 4


def test_merge_std_matches_numpy_on_random_tables():
    rng = np.random.default_rng(0)
    n = 300
    vals = rng.normal(size=(n, 3))
    vals[rng.random((n, 3)) < 0.2] = np.nan
    names = [f"E{i}" for i in range(n)]
    seqs = pd.DataFrame({"name": names, "sequence": ["ACGT"] * n})
    reps = pd.DataFrame(
        {"name": names[::-1], "rep_1": vals[::-1, 0], "rep_2": vals[::-1, 1], "rep_3": vals[::-1, 2]}
    )
    reps["mean"] = np.nan
    out, rep = merge_lentimpra(seqs, reps, aleatoric=True)
    avail = np.isfinite(vals).sum(1)
    keep = avail >= 2
    assert rep["n_kept"] == keep.sum() and rep["n_dropped_few_replicates"] == (avail == 1).sum()
    assert rep["n_dropped_missing_activity"] == (avail == 0).sum()
    assert rep["n_mean_recomputed"] == keep.sum()
    sd = [np.std(v[np.isfinite(v)], ddof=1) for v in vals[keep]]
    mu = [np.mean(v[np.isfinite(v)]) for v in vals[keep]]
    np.testing.assert_allclose(out["aleatoric"], sd, rtol=1e-12)
    np.testing.assert_allclose(out["activity"], mu, rtol=1e-12)


def test_merge_unmatched_ids_raise_with_examples():
    seqs, reps = frames()
    reps = reps.copy()
    reps.loc[reps["name"] == "A", "name"] = "ZZZ"
    with pytest.raises(DeguInputError) as e:
        merge_lentimpra(seqs, reps, aleatoric=False, source="K562 tables")
    msg = str(e.value)
    assert msg.startswith("K562 tables: IDs that don't match")
    assert "1 of 8 measurements have no sequence (e.g. ['ZZZ'])" in msg
    assert "1 of 8 sequences have no measurement (e.g. ['A'])" in msg
    # within the tolerance they are dropped and counted instead
    out, rep = merge_lentimpra(seqs, reps, aleatoric=False, max_unmatched_fraction=0.2)
    assert rep["n_measurements_without_sequence"] == 1 and rep["examples_sequences_without_measurement"] == [
        "A"
    ]
    assert "A" not in out["name"].tolist()


def test_merge_ambiguous_suffix_is_not_matched():
    seqs = pd.DataFrame({"name": ["X", "X_Reversed_0", "X_Reversed_1"], "sequence": ["A", "C", "G"]})
    reps = pd.DataFrame(
        {"name": ["X", "X_Reversed"], "rep_1": [1.0, 2.0], "rep_2": [1.0, 2.0], "mean": [1, 2.0]}
    )
    out, rep = merge_lentimpra(seqs, reps, aleatoric=False, max_unmatched_fraction=1.0)
    assert out["name"].tolist() == ["X"]
    assert rep["n_matched_after_suffix_normalisation"] == 0
    assert rep["n_sequences_without_measurement"] == 2 and rep["n_measurements_without_sequence"] == 1


def test_merge_nothing_kept_and_bad_arguments():
    seqs = pd.DataFrame({"name": ["X"], "sequence": ["A"]})
    reps = pd.DataFrame({"name": ["X"], "rep_1": [np.nan], "rep_2": [np.nan], "mean": [np.nan]})
    with pytest.raises(DeguInputError, match=r"^src: no records left after merging \(1 matched, 1 without"):
        merge_lentimpra(seqs, reps, aleatoric=False, source="src")
    with pytest.raises(DeguInputError, match="min_replicates must be at least 2"):
        merge_lentimpra(seqs, reps, aleatoric=True, min_replicates=1)


def test_merge_parsed_tables_end_to_end(tmp_path):
    t3 = write_xlsx(tmp_path / "t3.xlsx", {"K562 large-scale": t3_rows()})
    rows4 = t4_rows()
    rows4[4][0] = "E2_Reversed"  # Table 4 spells Table 3's E2_Reversed_0 without the _0
    rows4[4][1:] = [0.5, 0.7, None, None]
    t4 = write_xlsx(tmp_path / "t4.xlsx", {"K562_summary_data": rows4})
    out, rep = merge_lentimpra(read_agarwal_sequences(t3), read_agarwal_replicates(t4), aleatoric=True)
    assert out["name"].tolist() == ["E1", "E1_Reversed", "E2_Reversed_0"]
    assert rep["n_matched_after_suffix_normalisation"] == 1
    assert rep["n_dropped_few_replicates"] == 1 and rep["examples_dropped_few_replicates"] == ["E2"]
    np.testing.assert_allclose(out["activity"], [1.5, 0.375, 0.6])
    np.testing.assert_allclose(
        out["aleatoric"], [0.5, statistics.stdev([0.5, 0.25]), statistics.stdev([0.5, 0.7])]
    )


# --------------------------------------------------------------------------- generic


def generic_rows():
    return [
        ["seq_id", "seq", "mean_value", "other", "r1", "r2"],
        ["E1", lib(1), "0.5", "1", "0.4", "0.6"],
        ["E1_Reversed:", lib(1, True), "-0.25", "2", "", "-0.25"],
    ]


def test_generic_table(tmp_path):
    kw = dict(id_column="seq_id", sequence_column="seq", seq_len=230)
    for p in (
        write_text(tmp_path / "g.tsv.gz", generic_rows()),
        write_text(tmp_path / "g.csv", generic_rows(), sep=","),
        write_xlsx(tmp_path / "g.xlsx", {"data": generic_rows()}),
    ):
        t = read_generic_table(
            p, activity_columns=["mean_value", "other"], replicate_columns=["r1", "r2"], **kw
        )
        assert list(t.columns) == [
            "name",
            "sequence",
            "activity_mean_value",
            "activity_other",
            "rep_1",
            "rep_2",
        ]
        assert t["activity_mean_value"].tolist() == [0.5, -0.25]
        assert t["activity_other"].dtype == np.float64
        assert np.isnan(t["rep_1"].iloc[1]) and t["rep_2"].tolist() == [0.6, -0.25]
        assert [pair_stem(n) for n in t["name"]] == ["E1", "E1"]
    t = read_generic_table(p, activity_columns=["mean_value"], **kw)
    assert list(t.columns) == ["name", "sequence", "activity_mean_value"]


@pytest.mark.parametrize(
    "value,what", [("", "empty value"), ("NA", "missing value 'NA'"), ("x1", "non-numeric value 'x1'")]
)
def test_generic_activity_must_be_present(tmp_path, value, what):
    rows = generic_rows()
    rows[2][2] = value
    p = write_text(tmp_path / "g.tsv", rows)
    with pytest.raises(DeguInputError) as e:
        read_generic_table(
            p, id_column="seq_id", sequence_column="seq", activity_columns=["mean_value"], seq_len=230
        )
    assert str(e.value).startswith(f"{p}:3: {what} in column 'mean_value' for record 'E1_Reversed:'")


def test_generic_errors(tmp_path):
    p = write_text(tmp_path / "g.tsv", generic_rows())
    kw = dict(id_column="seq_id", sequence_column="seq", activity_columns=["mean_value"])
    with pytest.raises(DeguInputError, match=r"missing column\(s\) \['value'\]; columns present: \['seq_id'"):
        read_generic_table(
            p, id_column="seq_id", sequence_column="seq", activity_columns=["value"], seq_len=230
        )
    with pytest.raises(DeguInputError, match=rf"^{p}:2: record 'E1' has sequence length 230, expected 200"):
        read_generic_table(p, seq_len=200, **kw)
    with pytest.raises(DeguInputError, match="n_policy must be one of"):
        read_generic_table(p, seq_len=230, n_policy="drop", **kw)
    rows = generic_rows()
    rows[2][0] = "E1"
    with pytest.raises(DeguInputError, match=r"g2.tsv:3: duplicate name 'E1' in column 'seq_id'"):
        read_generic_table(write_text(tmp_path / "g2.tsv", rows), seq_len=230, **kw)


def test_real_hepg2_table(shared_data):
    path = shared_data / "lentimpra_hepg2" / "test_HepG2.tsv.gz"
    t = read_generic_table(
        path, id_column="seq_id", sequence_column="seq", activity_columns=["mean_value"], seq_len=230
    )
    assert len(t) == 12_298
    assert (t["sequence"].str.len() == 230).all()
    assert (t["sequence"].str[:15] == A5).all() and (t["sequence"].str[-15:] == A3).all()
    assert np.isfinite(t["activity_mean_value"]).all()
    rev = t["name"].map(is_reverse)
    assert t.loc[rev, "name"].str.endswith("_Reversed:").all()
    stems = t.assign(stem=t["name"].map(pair_stem), rev=rev).groupby("stem")["rev"].agg(["sum", "count"])
    both = int(((stems["sum"] == 1) & (stems["count"] == 2)).sum())
    print(f"real HepG2: {len(t)} records, {len(stems)} stems, {both} with both orientations")
    assert both == len(stems) == 6_149
    # the reverse record is the reverse complement of the forward element, adaptors unchanged
    seq = dict(zip(t["name"], t["sequence"], strict=True))
    for stem in stems.index[:200]:
        assert seq[f"{stem}_Reversed:"][15:215] == reverse_complement(seq[stem][15:215])
