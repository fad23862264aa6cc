"""`degu score-variants` (degu.score_variants): effects equal model(alt) - model(ref) computed
directly with Keras on hand-cut windows, the library path gives the same numbers, mismatches are
reported and not scored, several models are an ensemble (mean and spread), one-line errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_bundle import A3, A5, make_bundle
from test_variants_io import CAGI5_COLUMNS, CAGI5_META

from degu.cli import main as cli_main
from degu.errors import DeguInputError
from degu.io.encoding import one_hot
from degu.models import bundle

Z = stats.norm.ppf(0.975)
FLOOR = 1e-8
CONFORMAL = {
    "alpha": 0.05,
    "split": "Cal",
    "n": 30,
    "scale": {"epistemic": 6.5, "aleatoric": 3.25, "total": 2.75},
}
SEQ_LEN = 40
ELEMENT_LEN = SEQ_LEN - len(A5) - len(A3)  # 26: the window
FULL_INDEX = (SEQ_LEN - 1) // 2  # 19
INDEX = FULL_INDEX - len(A5)  # 11: the variant's index in the window
CHR1 = "".join(np.random.default_rng(21).choice(list("ACGT"), size=120))
CHR1 = CHR1[:60] + CHR1[60:70].lower() + CHR1[70:]  # soft-masked stretch


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    """Two 1-task students (mean, epistemic, aleatoric) trained with adaptors, with conformal
    scales: the only models this file builds."""
    tmp = tmp_path_factory.mktemp("sv_students")
    return [
        make_bundle(
            tmp / f"s{seed}", tmp / "work", seq_len=SEQ_LEN, adaptors=(A5, A3), conformal=CONFORMAL, seed=seed
        )
        for seed in (0, 1)
    ]


@pytest.fixture()
def genome(tmp_path):
    path = tmp_path / "g.fa"
    path.write_text(
        ">chr1\n" + "\n".join(CHR1[i : i + 50] for i in range(0, 120, 50)) + "\n>chr2\nACGTACGTAC\n"
    )
    return path


def other(base):
    return next(b for b in "ACGT" if b != base.upper())


def run(capsys, *argv):
    rc = cli_main(["score-variants", *map(str, argv), "--threads", "1", "--no-progress"])
    return rc, capsys.readouterr()


def read_out(path):
    table = pd.read_csv(path, sep="\t", dtype={"id": str, "chrom": str, "ref_base": str}, na_filter=True)
    table["ref_base"] = table["ref_base"].fillna("")
    return table


def windows(positions, alts, starts):
    """Model inputs cut by hand: ref and alt full sequences for 1-based ``positions``."""
    up = CHR1.upper()
    refs, alt_seqs = [], []
    for pos, alt, start in zip(positions, alts, starts, strict=True):
        w = up[start : start + ELEMENT_LEN]
        at = pos - 1 - start
        refs.append(A5 + w + A3)
        alt_seqs.append(A5 + w[:at] + alt + w[at + 1 :] + A3)
    return refs, alt_seqs


def raw(model, seqs):
    return model.predict(one_hot(seqs).astype(np.float32), verbose=0).astype(np.float64)


VCF_HEAD = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def test_vcf_effects_equal_the_keras_model(students, genome, tmp_path, capsys):
    (path, model), _ = students
    up = CHR1.upper()
    p_mid, p_soft, p_start = 50, 66, 3  # 1-based; 66 is in the soft-masked stretch
    records = [
        ("1", p_mid, "rs1", up[p_mid - 1], f"{other(up[p_mid - 1])},{other(other(up[p_mid - 1]))}"),
        ("chr1", p_soft, ".", up[p_soft - 1].lower(), other(up[p_soft - 1])),
        ("1", p_start, ".", up[p_start - 1], other(up[p_start - 1])),
        ("1", 80, "bad", other(up[79]), up[79]),  # reference-allele mismatch
        ("1", 90, "ins", up[89], up[89] + "A"),  # not an SNV
        ("5", 10, ".", "A", "C"),  # no such chromosome
        ("2", 5, ".", "A", "C"),  # chr2 is shorter than a window
    ]
    vcf = tmp_path / "v.vcf"
    vcf.write_text(VCF_HEAD + "".join(f"{c}\t{p}\t{i}\t{r}\t{a}\t.\t.\t.\n" for c, p, i, r, a in records))
    out = tmp_path / "out.tsv"
    rc, io = run(capsys, "--model", path, "--variants", vcf, "--fasta", genome, "--out", out)
    assert rc == 0, io.err
    assert io.err.splitlines() == [
        f"degu score-variants: 8 variants -> {out} (ok 4, ref_mismatch 1, not_snv 1, unknown_chrom 1, "
        "outside_reference 1; task t1)",
        "degu score-variants: 1 reference-allele mismatches (listed in the status column)",
        "degu score-variants: 95% effect interval from the total std; conformal scale 2.75",
    ]
    got = read_out(out)
    assert list(got.columns) == [
        "id", "chrom", "pos", "ref", "alt", "status", "window_start", "window_index", "ref_base", "edge",
        "effect", "ref_activity", "alt_activity",
        "ref_epistemic", "alt_epistemic", "effect_epistemic",
        "ref_aleatoric", "alt_aleatoric", "effect_aleatoric",
        "ref_total", "alt_total", "effect_total",
        "effect_lower95", "effect_upper95", "effect_lower95_conformal", "effect_upper95_conformal",
    ]  # fmt: skip
    assert got["status"].tolist() == [
        "ok", "ok", "ok", "ok", "ref_mismatch", "not_snv", "unknown_chrom", "outside_reference"
    ]  # fmt: skip
    start_mid = p_mid - 1 - INDEX
    assert got["id"].tolist()[:4] == [
        "rs1",
        "rs1",
        f"chr1:{p_soft - 1 - FULL_INDEX}-{p_soft - 1 - FULL_INDEX + SEQ_LEN}/{records[1][3].upper()}>{records[1][4]}",
        f"chr1:{p_start - 1 - FULL_INDEX}-{p_start - 1 - FULL_INDEX + SEQ_LEN}/{records[2][3]}>{records[2][4]}",
    ]
    starts = [start_mid, start_mid, p_soft - 1 - INDEX, 0]  # the last shifted to the chromosome start
    assert got["window_start"].tolist()[:4] == starts
    assert got["window_index"].tolist()[:4] == [INDEX, INDEX, INDEX, p_start - 1]
    assert got["edge"].tolist()[:4] == [False, False, False, True]
    assert got.loc[4, "ref_base"] == up[79]
    ok = got.iloc[:4]
    refs, alts = windows([p_mid, p_mid, p_soft, p_start], ok["alt"].tolist(), starts)
    r, a = raw(model, refs), raw(model, alts)  # columns: mean, epistemic, aleatoric
    tot = lambda x: np.hypot(np.clip(x[:, 1], 0, None), np.clip(x[:, 2], 0, None))  # noqa: E731
    pos_ = lambda v: np.clip(v, 0, None)  # noqa: E731
    want = {
        "effect": a[:, 0] - r[:, 0],
        "ref_activity": r[:, 0],
        "alt_activity": a[:, 0],
        "ref_epistemic": r[:, 1],
        "alt_aleatoric": a[:, 2],
        "effect_epistemic": np.hypot(pos_(r[:, 1]), pos_(a[:, 1])),
        "effect_aleatoric": np.hypot(pos_(r[:, 2]), pos_(a[:, 2])),
        "ref_total": tot(r),
        "effect_total": np.hypot(tot(r), tot(a)),
    }
    for col, value in want.items():
        np.testing.assert_allclose(ok[col], value, rtol=1e-5, atol=1e-6, err_msg=col)
    sigma = np.maximum(want["effect_total"], FLOOR)
    np.testing.assert_allclose(ok["effect_lower95"], want["effect"] - Z * sigma, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ok["effect_upper95_conformal"], want["effect"] + 2.75 * sigma, rtol=1e-5, atol=1e-6
    )
    # variants not scored have empty numbers
    assert got.iloc[4:, 10:].isna().all().all()
    assert (got.iloc[4:][["window_start", "window_index"]] == -1).all().all()


def test_cagi5_with_elements_equals_the_library_path(students, tmp_path, capsys):
    """The CLI, score_variants and the pipeline's path (extract_windows + combine +
    effect_columns) give the same numbers."""
    from degu.analysis.variant_effects import effect_columns
    from degu.io.variants import ElementReference, extract_windows, read_variants
    from degu.predict import combine, open_models
    from degu.score_variants import predict_windows, score_variants

    (path, model), _ = students
    start_pos = 5000  # element = CHR1[20:100] at genomic 5000
    element = CHR1[20:100]
    els = tmp_path / "els.csv"
    els.write_text(f"regulatory_element,ref_sequence,start_pos\nOTHER,ACGT,1\nLOCUS,{element},{start_pos}\n")
    rows = []
    for k in (2, 30, 31, 78):  # near both ends and in the middle of the element
        base = element[k].upper()
        for alt in sorted(set("ACGT") - {base}):
            rows.append(("1", start_pos + 1 + k, base, alt, round(float(k) / 10, 2), 0.5))
    rows.append(("1", start_pos + 1 + 40, other(element[40]), element[40].upper(), 0.0, 0.1))  # mismatch
    tsv = tmp_path / "release_LOCUS.tsv"
    tsv.write_text(
        "\n".join([*CAGI5_META, "\t".join(CAGI5_COLUMNS)] + ["\t".join(map(str, r)) for r in rows]) + "\n"
    )
    out = tmp_path / "out.tsv"
    argv = ["--model", path, "--variants", tsv, "--elements", els, "--element", "LOCUS"]
    rc, io = run(capsys, *argv, "--out", out, "--edge", "drop")
    assert rc == 0, io.err
    assert "ok 6, ref_mismatch 1, edge_dropped 6;" in io.err  # positions 2 and 78: past the element
    rc, io = run(capsys, *argv, "--out", out)
    assert rc == 0, io.err
    got = read_out(out)
    assert got["status"].tolist() == ["ok"] * 12 + ["ref_mismatch"]
    np.testing.assert_array_equal(got["value"], [r[4] for r in rows])
    np.testing.assert_array_equal(got["confidence"], [r[5] for r in rows])
    assert got["window_start"].tolist()[:3] == [start_pos] * 3  # shifted inside the element
    assert got["window_index"].tolist()[:3] == [2] * 3

    predictor = open_models([path])
    variants = read_variants(tsv)
    reference = ElementReference(els)
    lib = score_variants(predictor, variants, reference, element="LOCUS", progress=False)
    pd.testing.assert_frame_equal(
        lib.drop(columns=["ref_base"]).reset_index(drop=True),
        got.drop(columns=["ref_base"]),
        check_dtype=False,
        rtol=1e-6,
    )
    refs, alts, table = extract_windows(variants, reference, length=ELEMENT_LEN, index=INDEX, element="LOCUS")
    rules = predictor_rules(predictor)
    est_r = combine(predict_windows(predictor, refs, rules, 1000), predictor.metas)
    est_a = combine(predict_windows(predictor, alts, rules, 1000), predictor.metas)
    cols = effect_columns(est_r, est_a)
    np.testing.assert_array_equal(lib["effect"].to_numpy()[:12], cols["effect"])
    np.testing.assert_array_equal(lib["effect_total"].to_numpy()[:12], cols["effect_total"])
    # and equal to the model applied directly
    direct_r = raw(model, [A5 + s + A3 for s in refs])
    direct_a = raw(model, [A5 + s + A3 for s in alts])
    np.testing.assert_allclose(cols["effect"], direct_a[:, 0] - direct_r[:, 0], rtol=1e-5, atol=1e-6)
    assert refs[0] == element[:ELEMENT_LEN].upper()


def predictor_rules(predictor):
    from degu.predict import InputRules

    return InputRules.of(predictor.meta)


def test_two_models_are_an_ensemble_mean_and_spread(students, genome, tmp_path, capsys):
    (p0, m0), (p1, m1) = students
    up = CHR1.upper()
    positions = [40, 41, 115]  # the last window shifted left
    table = tmp_path / "v.tsv"
    table.write_text(
        "chrom\tpos\tref\talt\n" + "".join(f"1\t{p}\t{up[p - 1]}\t{other(up[p - 1])}\n" for p in positions)
    )
    out = tmp_path / "ens.tsv"
    rc, io = run(capsys, "--model", p0, "--model", p1, "--variants", table, "--fasta", genome, "--out", out)
    assert rc == 0, io.err
    assert "note: several --model bundles form an ad hoc ensemble: no stored conformal scale" in io.err
    got = read_out(out)
    assert "effect_lower95_conformal" not in got.columns
    starts = [p - 1 - INDEX for p in positions[:2]] + [120 - ELEMENT_LEN]
    refs, alts = windows(positions, got["alt"].tolist(), starts)
    r = np.stack([raw(m, refs) for m in (m0, m1)])  # (2, N, 3)
    a = np.stack([raw(m, alts) for m in (m0, m1)])
    np.testing.assert_allclose(got["effect"], a[..., 0].mean(0) - r[..., 0].mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["ref_epistemic"], r[..., 0].std(0, ddof=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["alt_epistemic"], a[..., 0].std(0, ddof=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["ref_aleatoric"], r[..., 2].mean(0), rtol=1e-5, atol=1e-6)
    # the same members as an ensemble bundle with its conformal scale: same numbers, and the bounds
    ens = bundle.write_ensemble(tmp_path / "ens", [p0, p1], conformal=CONFORMAL)
    rc, io = run(capsys, "--model", ens, "--variants", table, "--fasta", genome, "--out", tmp_path / "b.tsv")
    assert rc == 0, io.err
    b = read_out(tmp_path / "b.tsv")
    pd.testing.assert_frame_equal(b[got.columns], got)
    sigma = np.maximum(b["effect_total"], FLOOR)
    np.testing.assert_allclose(b["effect_lower95_conformal"], b["effect"] - 2.75 * sigma, rtol=1e-6)


def test_index_interval_alpha_and_edge_options(students, genome, tmp_path, capsys):
    (path, _), _ = students
    up = CHR1.upper()
    table = tmp_path / "v.csv"
    table.write_text(
        f"id,chrom,pos,ref,alt\nv1,1,50,{up[49]},{other(up[49])}\nv2,1,2,{up[1]},{other(up[1])}\n"
    )
    out = tmp_path / "o.tsv"
    argv = ["--model", path, "--variants", table, "--fasta", genome, "--out", out]
    rc, io = run(capsys, *argv, "--index", str(len(A5)), "--interval", "epistemic", "--edge", "pad")
    assert rc == 0, io.err
    got = read_out(out)
    assert got["window_start"].tolist() == [49, 1] and got["window_index"].tolist() == [0, 0]
    sigma = np.maximum(got["effect_epistemic"], FLOOR)
    np.testing.assert_allclose(got["effect_upper95_conformal"], got["effect"] + 6.5 * sigma, rtol=1e-6)
    rc, io = run(capsys, *argv, "--alpha", "0.1")
    assert rc == 0, io.err
    got = read_out(out)
    assert "effect_lower90" in got.columns and "effect_lower90_conformal" not in got.columns
    assert "note: no conformal bounds: the bundle's scale is for alpha 0.05 and the total std" in io.err
    np.testing.assert_allclose(
        got["effect_upper90"], got["effect"] + stats.norm.ppf(0.95) * got["effect_total"], rtol=1e-6
    )
    # --progress draws a bar on standard error
    rc = cli_main(["score-variants", *map(str, argv), "--threads", "1", "--progress"])
    assert rc == 0 and "degu score-variants" in capsys.readouterr().err
    # standard output without --out
    rc, io = run(capsys, *argv[:-2])
    assert rc == 0 and io.out == out.read_text()


def error_of(capsys, tmp_path, *argv):
    out = tmp_path / "out" / "scores.tsv"
    rc, io = run(capsys, *argv, "--out", out)
    assert rc == 2, io.err
    assert io.err.count("\n") == 1, io.err
    assert not out.exists() and (not out.parent.exists() or not any(out.parent.iterdir()))
    return io.err.removeprefix("degu: error: ").rstrip("\n")


def test_one_line_errors_and_no_output(students, genome, tmp_path, capsys):
    (path, _), _ = students
    good = tmp_path / "v.tsv"
    good.write_text("chrom\tpos\tref\talt\n1\t50\tA\tC\n")
    base = ["--model", path, "--variants", good]
    assert error_of(capsys, tmp_path, *base, "--fasta", genome, "--index", "5") == (
        "--index 5: the variant must sit at index 8..33 of the 40-base model input (the rest are the model's adaptors)"
    )
    els = tmp_path / "els.csv"
    els.write_text("regulatory_element,ref_sequence,start_pos\nA,ACGT,0\n")
    assert error_of(capsys, tmp_path, *base, "--elements", els) == (
        f"{els}: name the element the variants lie in (--element); elements: A"
    )
    assert (
        error_of(capsys, tmp_path, *base, "--elements", els, "--element", "B")
        == f"{els}: no element 'B'; elements: A"
    )
    bad = tmp_path / "bad.vcf"
    bad.write_text(VCF_HEAD + "1\t50\t.\tA\tC\t.\t.\t.\n1\tfifty\t.\tA\tC\t.\t.\t.\n")
    assert error_of(capsys, tmp_path, "--model", path, "--variants", bad, "--fasta", genome) == (
        f"{bad}:4: POS 'fifty' is not a positive integer"
    )
    for extra, message in (
        (["--fasta", genome, "--elements", els], "argument --elements: not allowed with argument --fasta"),
        ([], "one of the arguments --fasta --elements is required"),
    ):
        with pytest.raises(SystemExit) as e:
            run(capsys, *base, *extra)
        assert e.value.code == 2
        assert capsys.readouterr().err == f"degu: error: {message} (see 'degu score-variants --help')\n"


def test_task_is_needed_with_several_tasks():
    from degu.predict import Predictor
    from degu.score_variants import task_index

    pred = Predictor(models=[], metas=[{"tasks": ["Dev", "Hk"], "heads": ["mean"]}], names=["m"])
    assert task_index(pred, "Hk") == (1, "Hk")
    with pytest.raises(DeguInputError) as e:
        task_index(pred, None)
    assert str(e.value) == "--task is needed: the model has tasks ['Dev', 'Hk']"
    with pytest.raises(DeguInputError) as e:
        task_index(pred, "Lung")
    assert str(e.value) == "--task Lung: the model has tasks ['Dev', 'Hk']"
