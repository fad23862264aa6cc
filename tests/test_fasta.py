import pytest

from degu.errors import DeguInputError
from degu.io.fasta import read_fasta, write_fasta


def write(tmp_path, text, name="x.fa"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_single_and_multi_line_records(tmp_path):
    p = write(tmp_path, ">a desc\nACGT\nAC\n>b\nacgtnn\n")
    recs = read_fasta(p)
    assert [(r.id, r.seq, r.line) for r in recs] == [("a", "ACGTAC", 1), ("b", "acgtnn", 4)]


def test_write_then_read_roundtrip(tmp_path):
    p = tmp_path / "o.fa"
    write_fasta(p, ["r1", "r2"], ["ACGT", "TTTT"])
    assert p.read_text() == ">r1\nACGT\n>r2\nTTTT\n"
    assert [r.seq for r in read_fasta(p, length=4)] == ["ACGT", "TTTT"]


def test_truncated_record_without_sequence(tmp_path):
    p = write(tmp_path, ">a\nACGT\n>b\n")
    with pytest.raises(DeguInputError) as e:
        read_fasta(p)
    assert str(e.value) == f"{p}:3: record 'b' has no sequence (truncated record?)"


def test_truncated_sequence_is_wrong_length(tmp_path):
    p = write(tmp_path, ">a\nACGTACGT\n>b\nACG")
    with pytest.raises(DeguInputError) as e:
        read_fasta(p, length=8)
    assert str(e.value) == f"{p}:3: record 'b' has length 3, expected 8 (truncated record?)"


def test_too_long_sequence(tmp_path):
    p = write(tmp_path, ">a\nACGTA\n")
    with pytest.raises(DeguInputError, match=r"x.fa:1: record 'a' has length 5, expected 4$"):
        read_fasta(p, length=4)


def test_non_acgt_names_line_record_and_position(tmp_path):
    p = write(tmp_path, ">a\nACGT\n>b\nACGT\nACXT\n")
    with pytest.raises(DeguInputError) as e:
        read_fasta(p)
    assert str(e.value) == (
        f"{p}:5: record 'b' has invalid character 'X' at position 7 (allowed: A, C, G, T or N, either case)"
    )


def test_n_rejected_when_policy_is_error(tmp_path):
    p = write(tmp_path, ">a\nACNT\n")
    with pytest.raises(
        DeguInputError,
        match=r"x.fa:2: record 'a' has invalid character 'N' at position 3 "
        r"\(allowed: A, C, G, T, either case\)",
    ):
        read_fasta(p, n_policy="error")


def test_sequence_before_header(tmp_path):
    p = write(tmp_path, "ACGT\n>a\nACGT\n")
    with pytest.raises(DeguInputError, match=r"x.fa:1: sequence data before the first '>' header"):
        read_fasta(p)


def test_duplicate_ids(tmp_path):
    p = write(tmp_path, ">a\nACGT\n>a\nACGT\n")
    with pytest.raises(DeguInputError, match=r"x.fa:3: duplicate record id 'a' \(first seen on line 1\)"):
        read_fasta(p)
    assert len(read_fasta(p, unique_ids=False)) == 2


def test_empty_file(tmp_path):
    p = write(tmp_path, "")
    with pytest.raises(DeguInputError, match="no FASTA records found"):
        read_fasta(p)
