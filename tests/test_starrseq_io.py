import numpy as np
import pytest

from degu.assays.datasets import prepare_starrseq
from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.starrseq import read_activity, read_split

COLS = ["Dev_log2_enrichment", "Hk_log2_enrichment"]


def write_split(
    d, split, seqs, rows, header="Dev_log2_enrichment\tHk_log2_enrichment\tDev_log2_enrichment_scaled"
):
    (d / f"Sequences_{split}.fa").write_text(
        "".join(f">chr2L_{i}_{i + 3}_+_positive_peaks\n{s}\n" for i, s in enumerate(seqs))
    )
    (d / f"Sequences_activity_{split}.txt").write_text(header + "\n" + "".join(r + "\n" for r in rows))


def test_activity_selected_by_name(tmp_path):
    write_split(
        tmp_path, "Train", ["ACGT"], ["1.5\t-2\t0.3"], header="Hk_log2_enrichment\tDev_log2_enrichment\tx"
    )
    np.testing.assert_array_equal(
        read_activity(tmp_path / "Sequences_activity_Train.txt", COLS), [[-2.0, 1.5]]
    )


def test_missing_column(tmp_path):
    write_split(tmp_path, "Train", ["ACGT"], ["1\t2"], header="Dev_log2_enrichment\tother")
    p = tmp_path / "Sequences_activity_Train.txt"
    with pytest.raises(DeguInputError, match=r"missing column\(s\) \['Hk_log2_enrichment'\]"):
        read_activity(p, COLS)


@pytest.mark.parametrize(
    "value,what", [("NaN", "NaN"), ("", "empty value"), ("abc", "non-numeric value 'abc'")]
)
def test_bad_values_name_file_line_and_column(tmp_path, value, what):
    write_split(tmp_path, "Train", ["ACGT"] * 3, ["1\t2\t0", f"3\t{value}\t0", "5\t6\t0"])
    p = tmp_path / "Sequences_activity_Train.txt"
    with pytest.raises(DeguInputError) as e:
        read_activity(p, COLS)
    assert str(e.value).startswith(f"{p}:3: {what} in column 'Hk_log2_enrichment' (data row 2;")


def test_rows_must_match_records(tmp_path):
    write_split(tmp_path, "Val", ["ACGT"] * 3, ["1\t2\t0", "3\t4\t0"])
    with pytest.raises(DeguInputError) as e:
        read_split(tmp_path, "Val", COLS, length=4)
    assert str(e.value).startswith(
        f"{tmp_path / 'Sequences_activity_Val.txt'} has 2 data rows but "
        f"{tmp_path / 'Sequences_Val.fa'} has 3 records"
    )


def test_prepare_writes_layout_and_no_partial_file_on_error(tmp_path):
    for split in ("Train", "Val", "Test"):
        write_split(tmp_path, split, ["ACGT", "acgN"], ["1\t2\t0", "3\t4\t0"])
    out = tmp_path / "ds.h5"
    counts = prepare_starrseq(tmp_path, out, tasks=["Dev", "Hk"], activity_columns=COLS, seq_len=4)
    assert counts == {"Train": 2, "Val": 2, "Test": 2}
    s = hdf5.read_split(out, "Test")
    assert s.X.dtype == np.uint8 and s.X.shape == (2, 4, 4)
    np.testing.assert_array_equal(s.X[1], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(s.y, [[1, 2], [3, 4]])
    assert list(s.ids) == ["chr2L_0_3_+_positive_peaks", "chr2L_1_4_+_positive_peaks"]
    assert hdf5.dataset_tasks(out) == ["Dev", "Hk"]
    assert hdf5.split_size(out, "Train") == 2
    assert hdf5.read_attrs(out)["alphabet"] == "ACGT"
    # now break the Test FASTA: the error names it and no output is written
    out.unlink()
    write_split(tmp_path, "Test", ["ACGT", "ACZT"], ["1\t2\t0", "3\t4\t0"])
    with pytest.raises(DeguInputError, match="Sequences_Test.fa:4: record 'chr2L_1_4_\\+_positive_peaks'"):
        prepare_starrseq(tmp_path, out, tasks=["Dev", "Hk"], activity_columns=COLS, seq_len=4)
    assert not out.exists()
    assert list(tmp_path.glob("*.tmp*")) == []


def test_infinite_values_rejected(tmp_path):
    write_split(tmp_path, "Train", ["ACGT"] * 2, ["1\t2\t0", "-inf\t4\t0"])
    p = tmp_path / "Sequences_activity_Train.txt"
    with pytest.raises(
        DeguInputError,
        match=r"Sequences_activity_Train.txt:3: infinite value '-inf' in column "
        r"'Dev_log2_enrichment'",
    ):
        read_activity(p, COLS)


def test_blank_line_is_reported_on_its_own_line(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Dev_log2_enrichment\tHk_log2_enrichment\n1\t2\n\n3\tnan\n")
    with pytest.raises(DeguInputError, match=r"a.txt:3: empty value in column 'Dev_log2_enrichment'"):
        read_activity(p, COLS)
