"""Bad inputs of issue 15: each case asserts the exact one-line message, and
docs/bad-inputs.md is generated from this table (a test fails when it is out of date;
regenerate with ``DEGU_WRITE_DOCS=1 python -m pytest tests/test_bad_inputs.py -k doc``)."""

from __future__ import annotations

import bz2
import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from degu.assays.datasets import prepare_dataset
from degu.cli import main as cli_main
from degu.config import load_config
from degu.errors import DeguInputError

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
DOC = REPO / "docs" / "bad-inputs.md"
RC = str.maketrans("ACGT", "TGCA")


@dataclass
class Case:
    id: str
    item: str  # the must-have item
    input: str  # what is wrong, as a user would put it
    expected: str  # the exact message; {tmp} is the test's directory
    run: object  # run(tmp_path) -> the message


CASES: list[Case] = []


def case(cid, item, what, expected):
    def deco(fn):
        CASES.append(Case(cid, item, what, expected, fn))
        return fn

    return deco


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(DeguInputError) as e:
        fn(*args, **kwargs)
    return str(e.value)


def cli_error(capsys, argv) -> str:
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    return err.rstrip("\n")


# ------------------------------------------------------------------ builders


def _seq(rng, n=20):
    return "".join(rng.choice(list("ACGT"), size=n))


def table(path, rows, header=("id", "seq", "act")):
    path.write_text("\t".join(header) + "\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    return path


def paired_rows(n_elements, suffix="_Reversed", seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_elements):
        s = _seq(rng)
        rows += [(f"e{i}", s, f"{rng.normal():.3f}"), (f"e{i}{suffix}", s.translate(RC)[::-1], "0.5")]
    return rows


def prepare_table(tmp, name="t.tsv", **kw):
    args = dict(
        tasks=["a"],
        files={"table": name},
        id_column="id",
        sequence_column="seq",
        activity_columns=["act"],
        seq_len=20,
    )
    return prepare_dataset("table", tmp, tmp / "d.h5", **{**args, **kw})


def authors_h5(path, y_fn):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        for split, k in (("Train", 8), ("Val", 3), ("Test", 3)):
            f.create_dataset(f"{split}/X", data=np.eye(4, dtype=np.uint8)[rng.integers(0, 4, size=(k, 10))])
            y = np.abs(rng.normal(size=(k, 2)))
            f.create_dataset(f"{split}/y", data=y_fn(split, y))


def base_config():
    return yaml.safe_load((REPO / "config" / "test.yaml").read_text())


def write_config(tmp, cfg, name="c.yaml"):
    p = tmp / name
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return p


# ------------------------------------------------------------------ 1. pairs


@case(
    "pairs-declared-none-found",
    "1 pairs",
    "a table declared to have orientation pairs (`orientation_pairs: true`) in which none are found",
    "{tmp}/t.tsv: the dataset is declared to have forward/reverse pairs (orientation_pairs) but none "
    "were found among 30 records: reverse_pattern '_Reversed(?:_\\\\d+)?:?$' matches 0 name(s) and no two "
    "sequences are reverse complements; set reverse_pattern to your reverse records' suffix (e.g. '_rc$') "
    "or orientation_pairs: false",
)
def _pairs_none(tmp):
    rng = np.random.default_rng(1)
    table(tmp / "t.tsv", [(f"r{i}", _seq(rng), "1.0") for i in range(30)])
    return error_of(prepare_table, tmp, orientation_pairs=True)


# ------------------------------------------------------------------ 2. values


@case(
    "h5-negative-aleatoric",
    "2 values",
    "`degu_h5`: a negative value in the aleatoric (std) column, e.g. columns swapped through `h5_columns`",
    "{tmp}/a.h5 (Train): record 'Train_0': negative aleatoric (y column 0; see h5_columns) -0.5 "
    "(a standard deviation must be >= 0) (8 bad value(s))",
)
def _h5_negative(tmp):
    # column 0 holds a std-like value made negative, as if activity and std were swapped
    authors_h5(tmp / "a.h5", lambda s, y: np.stack([np.full(len(y), -0.5), y[:, 0]], axis=1))
    kw = dict(tasks=["K"], files={"h5": "a.h5"}, aleatoric=True, seq_len=10)
    kw["h5_columns"] = {"activity": 1, "aleatoric": 0}
    msg = error_of(prepare_dataset, "degu_h5", tmp, tmp / "d.h5", **kw)
    assert not (tmp / "d.h5").exists()
    return msg


@case(
    "h5-activity-overflows-float32",
    "2 values",
    "`degu_h5`: an activity of 1e39 (finite in float64, `inf` in the stored float32)",
    "{tmp}/a.h5 (Val): record 'Val_2': activity (y column 0) 1e+39 does not fit float32 "
    "(|value| > 3.4e38) (1 bad value(s))",
)
def _h5_overflow(tmp):
    def y_fn(split, y):
        if split == "Val":
            y[2, 0] = 1e39
        return y

    authors_h5(tmp / "a.h5", y_fn)
    kw = dict(tasks=["K"], files={"h5": "a.h5"}, seq_len=10)
    return error_of(prepare_dataset, "degu_h5", tmp, tmp / "d.h5", **kw)


@case(
    "table-activity-overflows-float32",
    "2 values",
    "a table whose activity is 1e39",
    "{tmp}/t.tsv: record 'e1_Reversed': activity (column 'act') 1e+39 does not fit float32 (|value| > 3.4e38) (1 bad value(s))",
)
def _table_overflow(tmp):
    rows = paired_rows(20)
    rows[3] = (*rows[3][:2], "1e39")
    table(tmp / "t.tsv", rows)
    return error_of(prepare_table, tmp)


@case(
    "starrseq-activity-overflows-float32",
    "2 values",
    "a DeepSTARR activity file with the value 1e39",
    "{tmp}/Sequences_activity_Train.txt:3: value '1e39' in column 'Dev' does not fit float32 "
    "(|value| > 3.4e38; 1 such value(s) in this column)",
)
def _starr_overflow(tmp):
    from degu.io.starrseq import read_activity

    (tmp / "Sequences_activity_Train.txt").write_text("Dev\n1.0\n1e39\n")
    return error_of(read_activity, tmp / "Sequences_activity_Train.txt", ["Dev"])


@case(
    "replicates-std-impossible",
    "2 values",
    "replicate values whose standard deviation cannot be stored (1e200 and -1e200)",
    "{tmp}/t.tsv: record 'e2': non-finite replicate std inf (replicate values too large for a standard deviation) (1 bad value(s))",
)
def _replicates_std(tmp):
    rows = [(*r, "0.1", "0.2") for r in paired_rows(20)]
    rows[4] = (*rows[4][:3], "1e200", "-1e200")
    table(tmp / "t.tsv", rows, header=("id", "seq", "act", "r1", "r2"))
    with np.errstate(over="ignore", invalid="ignore"):
        return error_of(prepare_table, tmp, aleatoric=True, replicate_columns=["r1", "r2"])


# ------------------------------------------------------------------ 3. splits


@case(
    "config-empty-split",
    "3 splits",
    "`split: {fractions: [1, 0, 0]}` (`degu validate-config`, and the workflow at start)",
    "invalid configuration:\n  {tmp}/c.yaml: key 'datasets.hepg2.split.fractions': the Val fraction is 0, "
    "but conformal calibration at alpha=0.05 needs at least 19 Val record(s)\n  {tmp}/c.yaml: key "
    "'datasets.hepg2.split.fractions': the Test fraction is 0, but test metrics needs at least 2 Test record(s)",
)
def _config_empty_split(tmp):
    cfg = base_config()
    cfg["datasets"]["hepg2"]["split"] = {"fractions": [1, 0, 0]}
    return error_of(load_config, write_config(tmp, cfg), SCHEMA)


@case(
    "config-simulated-split-too-small",
    "3 splits",
    "a simulated lentiMPRA set too small for conformal calibration (`n_elements: 50`, calibrate true)",
    "invalid configuration:\n  {tmp}/c.yaml: key 'datasets.hepg2.simulate.n_elements': the Val split "
    "would hold about 10 record(s); conformal calibration at alpha=0.05 needs at least 19",
)
def _config_small_sim(tmp):
    cfg = base_config()
    cfg["datasets"]["hepg2"]["simulate"]["n_elements"] = 50
    return error_of(load_config, write_config(tmp, cfg), SCHEMA)


@case(
    "prepare-four-records",
    "3 splits",
    "a table of four records (prepare; the sizes come from the data)",
    "{tmp}/t.tsv: split 'Val' has 0 record(s); early stopping needs at least 1 "
    "(split sizes: Train=4, Val=0, Test=0)",
)
def _prepare_four(tmp):
    table(tmp / "t.tsv", paired_rows(2))
    minimums = {"Train": [2, "training"], "Val": [1, "early stopping"], "Test": [2, "test metrics"]}
    msg = error_of(prepare_table, tmp, min_split_sizes=minimums)
    assert not (tmp / "d.h5").exists()
    return msg


# ------------------------------------------------------------------ 5. config


@case(
    "config-duplicate-key",
    "5 config",
    "a YAML key given twice (`degu validate-config` and the workflow)",
    "{tmp}/c.yaml: duplicate key 'lambda' on lines 5 and 6 (YAML would silently keep the last value)",
)
def _dup_key(tmp):
    p = tmp / "c.yaml"
    p.write_text("run: x\ndatasets: {}\nteachers: {n: 2}\ndistillation:\n  lambda: 1\n  lambda: 2\n")
    return error_of(load_config, p, SCHEMA)


@case(
    "validate-config-cross-field",
    "5 config",
    "a config the workflow rejects by a cross-field check (`degu validate-config` runs the same checks)",
    "degu: error: invalid configuration: {tmp}/c.yaml: key 'datasets.hepg2.raw_from': no dataset named 'nope'",
)
def _cli_cross_field(tmp, capsys):
    cfg = base_config()
    cfg["datasets"]["hepg2"]["raw_from"] = "nope"
    return cli_error(capsys, ["validate-config", str(write_config(tmp, cfg))])


@case(
    "run-outside-results",
    "5 config",
    "`run: ..` (outputs would land outside `results/<run>/`)",
    "invalid configuration:\n  {tmp}/c.yaml: key 'run': '..' would put outputs outside results/<run>/ "
    "(use letters, digits, '_', '-' and '.', not starting with '.')",
)
def _run_dotdot(tmp):
    cfg = base_config()
    cfg["run"] = ".."
    return error_of(load_config, write_config(tmp, cfg), SCHEMA)


@case(
    "file-outside-raw-dir",
    "5 config",
    "a file name that leaves the raw directory (`files: {sequences: ../../s.tsv}`)",
    "invalid configuration:\n  {tmp}/c.yaml: key 'datasets.hepg2.files.sequences': '../../s.tsv' must be "
    "a relative path inside the dataset's raw directory (no leading '/', no '..')",
)
def _file_outside(tmp):
    cfg = base_config()
    cfg["datasets"]["hepg2"]["files"] = {"sequences": "../../s.tsv", "replicates": "r.tsv"}
    return error_of(load_config, write_config(tmp, cfg), SCHEMA)


@case(
    "manifest-file-outside-raw-dir",
    "5 config",
    "a download manifest whose file name leaves the raw directory",
    "{tmp}/m.tsv:2: file '../x.fa' must be a relative path inside the raw directory (no leading '/', no '..')",
)
def _manifest_outside(tmp):
    from degu.assays.download import read_manifest

    (tmp / "m.tsv").write_text("file\turl\tmd5\tzenodo_record\n../x.fa\thttps://h/x.fa\t" + "0" * 32 + "\t\n")
    return error_of(read_manifest, tmp / "m.tsv")


# ------------------------------------------------------------------ 6. messages


@case(
    "fasta-zstd",
    "6 messages",
    "a FASTA compressed with a format there is no reader for (zstd)",
    "{tmp}/x.fa: zstd-compressed; decompress it first or recompress with gzip",
)
def _fasta_zstd(tmp):
    from degu.io.fasta import read_fasta

    (tmp / "x.fa").write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 20)
    return error_of(read_fasta, tmp / "x.fa")


@case(
    "h5-gzipped",
    "6 messages",
    "a gzipped `degu_h5` file",
    "{tmp}/a.h5: gzip-compressed; decompress the HDF5 file first",
)
def _h5_gz(tmp):
    authors_h5(tmp / "plain.h5", lambda s, y: y)
    (tmp / "a.h5").write_bytes(gzip.compress((tmp / "plain.h5").read_bytes()))
    kw = dict(tasks=["K"], files={"h5": "a.h5"}, seq_len=10)
    return error_of(prepare_dataset, "degu_h5", tmp, tmp / "d.h5", **kw)


@case(
    "cli-missing-file",
    "6 messages",
    "`degu prepare` with a raw directory that does not exist",
    "degu: error: {tmp}/nope/Sequences_Train.fa: file not found",
)
def _cli_missing(tmp, capsys):
    return cli_error(capsys, ["prepare", "starrseq", str(tmp / "nope"), str(tmp / "o.h5")])


@case(
    "cli-tasks-columns",
    "6 messages",
    "`degu prepare` with more tasks than activity columns",
    "degu: error: 3 tasks ['a', 'b', 'c'] but 2 activity columns ['Dev_log2_enrichment', "
    "'Hk_log2_enrichment']: give one activity column per task",
)
def _cli_tasks(tmp, capsys):
    return cli_error(capsys, ["prepare", "starrseq", str(tmp), str(tmp / "o.h5"), "--tasks", "a", "b", "c"])


@case(
    "cli-usage",
    "6 messages",
    "a CLI usage error",
    "degu: error: argument --n-policy: invalid choice: 'x' (choose from zeros, error) "
    "(see 'degu prepare --help')",
)
def _cli_usage(tmp, capsys):
    with pytest.raises(SystemExit) as e:
        cli_main(["prepare", "starrseq", "a", "b", "--n-policy", "x"])
    assert e.value.code == 2
    return capsys.readouterr().err.rstrip("\n").replace("'zeros', 'error'", "zeros, error")


CAGI5_HEADER = (
    "".join(f"##{k}\tx\n" for k in ("Chrom", "Pos", "Ref", "Alt", "Value", "Confidence"))
    + "#Chrom\tPos\tRef\tAlt\tValue\tConfidence\n"
)


@case(
    "cagi5-not-snv",
    "13 variants",
    "a CAGI5 file with a two-base `Alt`",
    "{tmp}/release_PKLR.tsv:9: Alt 'CT' is not one base A, C, G or T (CAGI5 lists SNVs only)",
)
def _cagi5_not_snv(tmp):
    from degu.io.variants import read_cagi5

    (tmp / "release_PKLR.tsv").write_text(CAGI5_HEADER + "1\t100\tA\tC\t0.1\t0.5\n1\t101\tA\tCT\t0.2\t0.5\n")
    return error_of(read_cagi5, tmp / "release_PKLR.tsv")


@case(
    "cagi5-missing",
    "13 variants",
    "the pipeline's CAGI5 file of a locus is not in `variant_effects.local_dir`",
    "{tmp}/challenge_PKLR.tsv: CAGI5 file of locus PKLR (challenge set) not found (key "
    "'variant_effects.local_dir'; CAGI distributes these files to registered users: docs/variant-effects.md)",
)
def _cagi5_missing(tmp):
    from degu.jobs.variant_effects import read_locus_variants

    return error_of(read_locus_variants, {"challenge": str(tmp / "challenge_PKLR.tsv")}, "PKLR")


@case(
    "genome-truncated",
    "13 variants",
    "a truncated gzip genome download (the decompress step)",
    "{tmp}/g.fa.gz: cannot decompress (truncated or not gzip?): Compressed file ended before the "
    "end-of-stream marker was reached",
)
def _genome_truncated(tmp):
    from degu.io.compression import gunzip

    seq = "".join(np.random.default_rng(0).choice(list("ACGT"), 5000))
    data = gzip.compress((">chr1\n" + seq + "\n").encode())
    (tmp / "g.fa.gz").write_bytes(data[: len(data) // 2])
    msg = error_of(gunzip, tmp / "g.fa.gz", tmp / "g.fa")
    assert not (tmp / "g.fa").exists()
    return msg


@case(
    "score-variants-element",
    "13 variants",
    "an elements table (`degu score-variants --elements`) used without naming the element",
    "{tmp}/e.csv: name the element the variants lie in (--element); elements: LDLR",
)
def _score_variants_element(tmp):
    from degu.io.variants import ElementReference

    (tmp / "e.csv").write_text("regulatory_element,ref_sequence,start_pos\nLDLR,ACGT,10\n")
    return error_of(ElementReference(tmp / "e.csv").check_element, None)


@case(
    "atac-encode-ambiguous",
    "14 ATAC",
    "ENCODE metadata with two released fold-change bigWigs for one biological replicate",
    "meta.json: ENCSR032RGS has 3 biological replicate(s) with a released 'fold change over control' "
    "bigWig on GRCh38 ({1: ['ENCFF1'], 2: ['ENCFF2', 'ENCFF2b'], 3: ['ENCFF3']}); expected 3 with one "
    "file each",
)
def _encode_ambiguous(tmp):
    from degu.assays.download import encode_manifest

    def f(acc, rep):
        return {
            "accession": acc,
            "status": "released",
            "output_type": "fold change over control",
            "assembly": "GRCh38",
            "file_format": "bigWig",
            "biological_replicates": [rep],
            "md5sum": "0" * 32,
            "href": f"/files/{acc}/@@download/{acc}.bigWig",
        }

    meta = {
        "accession": "ENCSR032RGS",
        "files": [f("ENCFF1", 1), f("ENCFF2", 2), f("ENCFF2b", 2), f("ENCFF3", 3)],
    }
    return error_of(encode_manifest, meta, experiment="ENCSR032RGS", where="meta.json")


@case(
    "atac-bed-overlap",
    "14 ATAC",
    "`degu predict --bed` with two overlapping regions (a bigWig cannot hold both)",
    "{tmp}/r.bed:2: region chr1:10-29 overlaps the region of line 1",
)
def _bed_overlap(tmp):
    from degu.predict_profiles import read_bed

    (tmp / "r.bed").write_text("chr1\t3\t20\nchr1\t10\t29\n")
    return error_of(read_bed, tmp / "r.bed", {"chr1": 80})


@case(
    "atac-crop",
    "14 ATAC",
    "an ATAC window (`atac.crop`) longer than the bins",
    "invalid configuration:\n  {tmp}/c.yaml: key 'atac.datasets.simatac': crop 1024 must lie between half the "
    "bin size and the bin size (384-768) so that two windows cover a bin",
)
def _atac_crop(tmp):
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    cfg["atac"]["crop"] = 1024
    (tmp / "c.yaml").write_text(yaml.safe_dump(cfg))
    return error_of(load_config, tmp / "c.yaml", REPO / "workflow" / "schemas" / "config.schema.yaml")


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input_message(c, tmp_path, capsys):
    import inspect

    args = (tmp_path, capsys) if len(inspect.signature(c.run).parameters) == 2 else (tmp_path,)
    assert c.run(*args) == c.expected.replace("{tmp}", str(tmp_path))


def render_doc() -> str:
    lines = [
        "# Bad inputs and their messages",
        "",
        "Generated from `tests/test_bad_inputs.py`, which asserts each message exactly (`<dir>` is",
        "the directory of the input); regenerate with",
        "`DEGU_WRITE_DOCS=1 python -m pytest tests/test_bad_inputs.py -k doc`. Every message is one",
        "line from the `degu` CLI (`degu: error: ...`, exit code 2; a multi-problem config message",
        "is joined with `; ` there). No bad input leaves a partial output.",
        "",
        "| Issue item | Input | Message |",
        "|---|---|---|",
    ]
    for c in CASES:
        msg = c.expected.replace("{tmp}", "<dir>").replace("\n  ", " / ").replace("|", "\\|")
        lines.append(f"| {c.item} | {c.input.replace('|', chr(92) + '|')} | `{msg}` |")
    lines += [
        "",
        "Fixed behaviour (no error; tested in the same file and in `tests/test_atomic.py`):",
        "",
        *[f"- {b}" for b in FIXED],
        "",
    ]
    return "\n".join(lines)


FIXED = [
    "reverse records not named by `reverse_pattern` (e.g. `_rc`) are paired by sequence and kept in "
    "the forward record's split; the report counts `n_pairs_by_name` and `n_pairs_by_sequence`",
    "outputs get the mode the umask gives a normal file (0644 under umask 022), not 0600",
    "gzip, bzip2 and xz input is read whatever its suffix; a UTF-8 byte-order mark is ignored",
    "`--debug` shows the traceback instead of the one-line error",
]


def test_doc_table_is_current():
    text = render_doc()
    if os.environ.get("DEGU_WRITE_DOCS"):
        DOC.write_text(text)
    assert DOC.read_text() == text, "docs/bad-inputs.md is out of date (see the module docstring)"


# ------------------------------------------------------------------ fixed behaviour


def test_reverse_records_not_named_are_paired_by_sequence(tmp_path):
    import json

    from degu.io.hdf5 import read_attrs, read_split

    table(tmp_path / "t.tsv", paired_rows(38, suffix="_rc"))
    prepare_table(tmp_path)
    report = json.loads(read_attrs(tmp_path / "d.h5")["prepare_report"])
    assert (report["n_pairs_by_name"], report["n_pairs_by_sequence"]) == (0, 38)
    where = {}
    for split in ("Train", "Val", "Test"):
        for rid in read_split(tmp_path / "d.h5", split).ids:
            where[rid] = split
    assert all(where[f"e{i}"] == where[f"e{i}_rc"] for i in range(38))


def test_pairs_by_name_and_sequence_are_counted_apart(tmp_path):
    import json

    from degu.io.hdf5 import read_attrs

    rows = paired_rows(20) + paired_rows(10, suffix="_rc", seed=1)
    rows = [(f"x{r[0]}", *r[1:]) if i >= 40 else r for i, r in enumerate(rows)]
    table(tmp_path / "t.tsv", rows)
    prepare_table(tmp_path, orientation_pairs=True)
    report = json.loads(read_attrs(tmp_path / "d.h5")["prepare_report"])
    assert (report["n_pairs_by_name"], report["n_pairs_by_sequence"], report["n_pairs"]) == (20, 10, 30)


def test_lentimpra_adaptor_flanks_set_aside_for_sequence_pairs():
    from degu.assays.pairs import orientation_groups

    a5, a3 = "AGGACCGGATCAACT", "CATTGCGTGAACCGA"
    el = ["ACGTTGCAAAGG", "TTTGGGCCCAAT"]
    seqs = [a5 + e + a3 for e in el] + [a5 + e.translate(RC)[::-1] + a3 for e in el]
    groups, info = orientation_groups(["a", "b", "a_other", "b_other"], seqs, "_Reversed$")
    assert list(groups) == ["a", "b", "a", "b"]
    assert info["n_pairs_by_sequence"] == 2 and info["sequence_flanks_ignored"] == [15, 15]


@pytest.mark.parametrize("compress", ["gzip", "bzip2", "bom"])
def test_fasta_compressed_or_bom_is_read(tmp_path, compress):
    from degu.io.fasta import read_fasta

    data = b">a\nACGT\n>b\nTTTT\n"
    path = tmp_path / "x.fa"  # no .gz suffix: recognised by content
    if compress == "gzip":
        path.write_bytes(gzip.compress(data))
    elif compress == "bzip2":
        path.write_bytes(bz2.compress(data))
    else:
        path.write_bytes(b"\xef\xbb\xbf" + data)
    assert [(r.id, r.seq) for r in read_fasta(path)] == [("a", "ACGT"), ("b", "TTTT")]


def test_gzipped_table_without_gz_suffix_is_read(tmp_path):
    from degu.io.lentimpra import read_table

    (tmp_path / "t.tsv").write_bytes(gzip.compress(b"a\tb\n1\t2\n"))
    assert read_table(tmp_path / "t.tsv").to_dict("list") == {"a": ["1"], "b": ["2"]}


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(DeguInputError, match="3 tasks"):
        cli_main(["--debug", "prepare", "starrseq", str(tmp_path), "o.h5", "--tasks", "a", "b", "c"])
    with pytest.raises(DeguInputError, match="3 tasks"):
        cli_main(["prepare", "starrseq", str(tmp_path), "o.h5", "--tasks", "a", "b", "c", "--debug"])


def test_validate_config_valid_prints_valid(capsys):
    assert cli_main(["validate-config", str(REPO / "config" / "test.yaml")]) == 0
    assert capsys.readouterr().out.strip().endswith("test.yaml: valid")


# ------------------------------------------------------------------ the workflow runs the same checks


def _dry_run(tmp_path, *configfiles):
    from conftest import run_snakemake

    files = [str(REPO / "config" / "test.yaml"), *map(str, configfiles)]
    res = run_snakemake(["-n", "--configfile", *files, "--directory", str(tmp_path)], timeout=300)
    res.out = res.stderr + res.stdout
    return res


def test_workflow_rejects_a_duplicated_key(tmp_path):
    dup = tmp_path / "dup.yaml"
    dup.write_text("run: test\nrun: other\n")
    res = _dry_run(tmp_path, dup)
    assert res.returncode != 0
    assert f"{dup}: duplicate key 'run' on lines 1 and 2 (YAML would silently keep the last value)" in res.out


def test_workflow_rejects_an_empty_split(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("datasets: {k562: {split: {fractions: [1, 0, 0]}}}\n")
    res = _dry_run(tmp_path, extra)
    assert res.returncode != 0
    assert (
        "key 'datasets.k562.split.fractions': the Val fraction is 0, but conformal calibration at "
        "alpha=0.05 needs at least 19 Val record(s)"
    ) in res.out


def test_nested_override_by_layered_configfile(tmp_path):
    """The documented way to override nested keys: a second --configfile, merged key by key
    (max_epochs 0 reaches the schema; the other training keys are kept, so no other error)."""
    extra = tmp_path / "extra.yaml"
    extra.write_text("training: {max_epochs: 0}\n")
    res = _dry_run(tmp_path, extra)
    assert res.returncode != 0
    assert "config: key 'training.max_epochs': 0 is less than the minimum of 1\n" in res.out
    assert res.out.count("config: key ") == 1
    extra.write_text("training: {max_epochs: 3}\n")
    assert _dry_run(tmp_path, extra).returncode == 0
