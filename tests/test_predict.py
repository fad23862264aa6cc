"""`degu predict` (degu.predict): numbers against independent computations, inputs, errors."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_bundle import A3, A5, make_bundle, random_seqs

from degu.cli import main as cli_main
from degu.io.encoding import one_hot
from degu.jobs.bundle import bundle_job
from degu.models import bundle

REPO = Path(__file__).resolve().parents[1]
Z = stats.norm.ppf(0.975)
CONFORMAL = {
    "alpha": 0.05,
    "split": "Cal",
    "n": 30,
    "scale": {"epistemic": 6.5, "aleatoric": 3.25, "total": 2.75},
}
FLOOR = 1e-8  # degu.jobs.SIGMA_FLOOR


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """A 1-task student-like bundle (mean, epistemic, aleatoric) with conformal scales."""
    tmp = tmp_path_factory.mktemp("student")
    return make_bundle(tmp / "student", tmp / "work", conformal=CONFORMAL)


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """Three 2-task teacher-like bundles (mean, aleatoric) and an ensemble bundle of them."""
    tmp = tmp_path_factory.mktemp("teachers")
    out = []
    for seed in (0, 1, 2):
        out.append(
            make_bundle(
                tmp / f"teacher{seed}",
                tmp / "work",
                heads=("mean", "aleatoric"),
                tasks=("Dev", "Hk"),
                seed=seed,
                role="teacher",
                method="standard",
            )
        )
    return out, tmp


def write_fasta(path, ids, seqs):
    path.write_text(
        "".join(f">{i} description\n{s[:25]}\n{s[25:]}\n" for i, s in zip(ids, seqs, strict=True))
    )
    return path


def write_table(path, ids, seqs, header=("id", "sequence"), sep="\t"):
    text = sep.join(header) + "\n" + "".join(f"{i}{sep}{s}\n" for i, s in zip(ids, seqs, strict=True))
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def run_predict(capsys, *argv):
    rc = cli_main(["predict", *map(str, argv), "--no-progress"])
    return rc, capsys.readouterr()


def read(path, sep="\t"):
    return pd.read_csv(path, sep=sep, dtype={"id": str})


def seqs_and_ids(n=7, length=40, seed=11):
    rng = np.random.default_rng(seed)
    seqs = random_seqs(rng, n, length)
    seqs[1] = seqs[1][:5] + "N" + seqs[1][6:]  # N (all-zero) under n_policy "zeros"
    seqs[2] = seqs[2].lower()  # soft-masked: same as uppercase
    return [f"s{i}" for i in range(n)], seqs


def test_single_model_numbers_against_an_independent_computation(student, tmp_path, capsys):
    path, model = student
    ids, seqs = seqs_and_ids()
    fa = write_fasta(tmp_path / "in.fa", ids, seqs)
    rc, io = run_predict(capsys, "--model", path, "--input", fa, "--out", tmp_path / "out.tsv")
    assert rc == 0, io.err
    assert io.err.strip().splitlines()[-1] == (
        f"degu predict: 7 sequences -> {tmp_path / 'out.tsv'} "
        "(95% interval from the total std; conformal scale 2.75 (calibrated on Cal))"
    )
    got = read(tmp_path / "out.tsv")
    assert list(got.columns) == [
        "id",
        "t1_activity",
        "t1_epistemic_std",
        "t1_aleatoric_std",
        "t1_total_std",
        "t1_lower95",
        "t1_upper95",
        "t1_lower95_conformal",
        "t1_upper95_conformal",
    ]
    assert got["id"].tolist() == ids
    raw = model.predict(one_hot([s.upper() for s in seqs]).astype(np.float32), verbose=0).astype(np.float64)
    mu, e, a = raw[:, 0], raw[:, 1], raw[:, 2]
    total = np.sqrt(np.clip(e, 0, None) ** 2 + np.clip(a, 0, None) ** 2)
    sigma = np.maximum(total, FLOOR)
    expected = {
        "t1_activity": mu,
        "t1_epistemic_std": e,
        "t1_aleatoric_std": a,
        "t1_total_std": total,
        "t1_lower95": mu - Z * sigma,
        "t1_upper95": mu + Z * sigma,
        "t1_lower95_conformal": mu - 2.75 * sigma,
        "t1_upper95_conformal": mu + 2.75 * sigma,
    }
    for col, want in expected.items():
        np.testing.assert_allclose(got[col].to_numpy(), want, rtol=1e-6, atol=1e-7, err_msg=col)
    # the interval from another kind, with that kind's conformal scale
    rc, io = run_predict(
        capsys, "--model", path, "--input", fa, "--out", tmp_path / "epi.tsv", "--interval", "epistemic"
    )
    assert rc == 0, io.err
    epi = read(tmp_path / "epi.tsv")
    sig_e = np.maximum(e, FLOOR)
    np.testing.assert_allclose(epi["t1_upper95"], mu + Z * sig_e, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(epi["t1_lower95_conformal"], mu - 6.5 * sig_e, rtol=1e-6, atol=1e-7)


def test_fasta_tsv_csv_and_compressed_inputs_give_the_same_table(student, tmp_path, capsys):
    path, _ = student
    ids, seqs = seqs_and_ids()
    inputs = {
        "fa": (write_fasta(tmp_path / "in.fa", ids, seqs), []),
        "tsv": (write_table(tmp_path / "in.tsv", ids, seqs), []),
        "tsv.gz": (write_table(tmp_path / "in.tsv.gz", ids, seqs, header=("name", "seq")), []),
    }
    # a CSV with other column names: named on the command line (its extra column is ignored)
    (tmp_path / "in.csv").write_text(
        "ID,dna,other\n" + "".join(f"{i},{s},1\n" for i, s in zip(ids, seqs, strict=True))
    )
    inputs["csv"] = (tmp_path / "in.csv", ["--id-column", "ID", "--sequence-column", "dna"])
    tables = {}
    for name, (inp, extra) in inputs.items():
        rc, io = run_predict(
            capsys, "--model", path, "--input", inp, "--out", tmp_path / f"{name}.out.tsv", *extra
        )
        assert rc == 0, io.err
        tables[name] = (tmp_path / f"{name}.out.tsv").read_text()
    assert len(set(tables.values())) == 1
    # comma-separated output for a .csv name, the same values
    rc, io = run_predict(capsys, "--model", path, "--input", inputs["fa"][0], "--out", tmp_path / "o.csv")
    pd.testing.assert_frame_equal(read(tmp_path / "o.csv", sep=","), read(tmp_path / "fa.out.tsv"))
    # standard output when --out is not given
    rc, io = run_predict(capsys, "--model", path, "--input", inputs["fa"][0])
    assert rc == 0 and io.out == tables["fa"]


def test_batches_stream_in_input_order(student, tmp_path, capsys):
    from degu.predict import predict_file

    path, _ = student
    ids, seqs = seqs_and_ids(n=9)
    fa = write_fasta(tmp_path / "in.fa", ids, seqs)
    one = predict_file([path], fa, tmp_path / "one.tsv", batch_size=1000, progress=False)
    two = predict_file([path], fa, tmp_path / "two.tsv", batch_size=2, progress=True)
    assert one["n"] == two["n"] == 9
    assert "degu predict" in capsys.readouterr().err  # the progress bar
    a, b = read(tmp_path / "one.tsv"), read(tmp_path / "two.tsv")
    assert b["id"].tolist() == ids
    pd.testing.assert_frame_equal(a, b, rtol=1e-6)


def test_adaptors_full_length_or_element_only(tmp_path, capsys):
    path, model = make_bundle(tmp_path / "lenti", tmp_path / "work", adaptors=(A5, A3), conformal=CONFORMAL)
    assert bundle.read_metadata(path)["adaptors"] == {"5p": A5, "3p": A3}
    rng = np.random.default_rng(5)
    elements = random_seqs(rng, 4, 40 - len(A5) - len(A3))
    ids = ["full0", "el0", "full1", "el1"]
    mixed = [A5 + elements[0] + A3, elements[0], A5 + elements[1] + A3, elements[1]]
    fa = write_fasta(tmp_path / "in.fa", ids, mixed)
    rc, io = run_predict(capsys, "--model", path, "--input", fa, "--out", tmp_path / "o.tsv")
    assert rc == 0, io.err
    got = read(tmp_path / "o.tsv").set_index("id")
    pd.testing.assert_series_equal(got.loc["full0"], got.loc["el0"], check_names=False)
    pd.testing.assert_series_equal(got.loc["full1"], got.loc["el1"], check_names=False)
    raw = model.predict(one_hot([A5 + e + A3 for e in elements[:2]]).astype(np.float32), verbose=0)
    np.testing.assert_allclose(got.loc[["el0", "el1"], "t1_activity"], raw[:, 0], rtol=1e-6)
    # any other length names both accepted lengths
    bad = write_fasta(tmp_path / "bad.fa", ["ok", "short"], [elements[2], elements[3][:20]])
    rc, io = run_predict(capsys, "--model", path, "--input", bad, "--out", tmp_path / "bad.tsv")
    assert rc == 2
    assert io.err == (
        f"degu: error: {bad}:4: record 'short' has length 20, expected 40 (with the model's adaptors) "
        "or 26 (the element alone; the adaptors are added)\n"
    )
    assert not (tmp_path / "bad.tsv").exists()


def test_ensemble_of_three_against_numpy(teachers, tmp_path, capsys):
    members, tmp = teachers
    ids, seqs = seqs_and_ids(n=6)
    fa = write_fasta(tmp_path / "in.fa", ids, seqs)
    x = one_hot([s.upper() for s in seqs]).astype(np.float32)
    raw = np.stack([m.predict(x, verbose=0) for _, m in members]).astype(np.float64)  # (3, N, 4)
    act, alea = raw[..., :2], raw[..., 2:]
    mean, std, mean_alea = act.mean(0), act.std(0, ddof=0), alea.mean(0)
    total = np.sqrt(np.clip(std, 0, None) ** 2 + np.clip(mean_alea, 0, None) ** 2)

    argv = [a for p, _ in members for a in ("--model", p)]
    rc, io = run_predict(capsys, *argv, "--input", fa, "--out", tmp_path / "adhoc.tsv")
    assert rc == 0, io.err
    assert "note: several --model bundles form an ad hoc ensemble: no stored conformal scale" in io.err
    got = read(tmp_path / "adhoc.tsv")
    assert list(got.columns) == ["id"] + [
        f"{t}_{c}"
        for t in ("Dev", "Hk")
        for c in ("activity", "epistemic_std", "aleatoric_std", "total_std", "lower95", "upper95")
    ]
    for j, task in enumerate(("Dev", "Hk")):
        np.testing.assert_allclose(got[f"{task}_activity"], mean[:, j], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got[f"{task}_epistemic_std"], std[:, j], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(got[f"{task}_aleatoric_std"], mean_alea[:, j], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got[f"{task}_total_std"], total[:, j], rtol=1e-5, atol=1e-7)
        sigma = np.maximum(total[:, j], FLOOR)
        np.testing.assert_allclose(got[f"{task}_upper95"], mean[:, j] + Z * sigma, rtol=1e-5, atol=1e-6)

    # the same members as an ensemble bundle: same numbers (a 2-task ensemble has no conformal
    # scale: the calibration analysis is single-task)
    ens = bundle.write_ensemble(tmp / "ensemble", [p for p, _ in members])
    assert bundle.read_metadata(ens)["members"] == ["../teacher0", "../teacher1", "../teacher2"]
    rc, io = run_predict(capsys, "--model", ens, "--input", fa, "--out", tmp_path / "ens.tsv")
    assert rc == 0, io.err
    pd.testing.assert_frame_equal(read(tmp_path / "ens.tsv"), got)


def test_single_task_ensemble_bundle_applies_its_conformal_scale(tmp_path, capsys):
    members = [
        make_bundle(
            tmp_path / f"t{s}", tmp_path / "work", heads=("mean", "aleatoric"), seed=s, role="teacher"
        )
        for s in (0, 1)
    ]
    ens = bundle.write_ensemble(tmp_path / "ens", [p for p, _ in members], conformal=CONFORMAL)
    ids, seqs = seqs_and_ids(n=5)
    fa = write_fasta(tmp_path / "in.fa", ids, seqs)
    rc, io = run_predict(capsys, "--model", ens, "--input", fa, "--out", tmp_path / "o.tsv")
    assert rc == 0, io.err
    got = read(tmp_path / "o.tsv")
    sigma = np.maximum(got["t1_total_std"].to_numpy(), FLOOR)
    np.testing.assert_allclose(got["t1_upper95_conformal"], got["t1_activity"] + 2.75 * sigma, rtol=1e-6)
    np.testing.assert_allclose(got["t1_lower95"], got["t1_activity"] - Z * sigma, rtol=1e-6)
    # one teacher alone: an aleatoric head only, so the interval uses it (and there is no total)
    rc, io = run_predict(capsys, "--model", members[0][0], "--input", fa, "--out", tmp_path / "t.tsv")
    assert rc == 0, io.err
    assert list(read(tmp_path / "t.tsv").columns) == [
        "id",
        "t1_activity",
        "t1_aleatoric_std",
        "t1_lower95",
        "t1_upper95",
    ]
    assert "95% interval from the aleatoric std" in io.err
    assert "note: no conformal scale in the bundle (calibration has not run for it)" in io.err


# ------------------------------------------------------------------ bad input


def error_of(capsys, tmp_path, *argv):
    """Run `degu predict` expecting an error: its one line; no output file, no temporary left."""
    out = tmp_path / "out" / "pred.tsv"
    rc, io = run_predict(capsys, *argv, "--out", out)
    assert rc == 2, io.err
    assert io.err.count("\n") == 1, io.err
    assert not out.exists() and (not out.parent.exists() or not any(out.parent.iterdir()))
    return io.err.removeprefix("degu: error: ").rstrip("\n")


def test_bad_sequences_are_the_prepare_messages(student, tmp_path, capsys):
    from degu.io.fasta import read_fasta

    path, _ = student
    ids, seqs = seqs_and_ids(n=3)
    short = write_fasta(tmp_path / "short.fa", ids, [seqs[0], seqs[1], seqs[2][:39]])
    got = error_of(capsys, tmp_path, "--model", path, "--input", short)
    assert got == f"{short}:7: record 's2' has length 39, expected 40 (truncated record?)"
    with pytest.raises(Exception) as e:  # the same words as prepare's FASTA reader
        read_fasta(short, length=40)
    assert str(e.value) == got
    bad = write_fasta(tmp_path / "bad.fa", ids, [seqs[0], seqs[1][:4] + "X" + seqs[1][5:], seqs[2]])
    assert error_of(capsys, tmp_path, "--model", path, "--input", bad) == (
        f"{bad}:5: record 's1' has invalid character 'X' at position 5 (allowed: A, C, G, T or N, either case)"
    )
    tsv = write_table(tmp_path / "bad.tsv", ids, [seqs[0], seqs[1][:30] + "R" + seqs[1][31:], seqs[2]])
    assert error_of(capsys, tmp_path, "--model", path, "--input", tsv) == (
        f"{tsv}:3: record 's1' has invalid character 'R' at position 31 in column 'sequence' "
        "(allowed: A, C, G, T, N, either case)"
    )
    tsv = write_table(tmp_path / "long.tsv", ids, [seqs[0], seqs[1] + "A", seqs[2]])
    assert error_of(capsys, tmp_path, "--model", path, "--input", tsv) == (
        f"{tsv}:3: record 's1' has sequence length 41, expected 40"
    )
    tsv = write_table(tmp_path / "dup.tsv", ["a", "b", "a"], seqs)
    assert error_of(capsys, tmp_path, "--model", path, "--input", tsv) == (
        f"{tsv}:4: duplicate name 'a' in column 'id' (first seen in row 2)"
    )
    tsv = write_table(tmp_path / "cols.tsv", ids, seqs, header=("id", "dna"))
    assert error_of(capsys, tmp_path, "--model", path, "--input", tsv) == (
        f"{tsv}: missing sequence column 'sequence' (or 'seq'); columns present: ['id', 'dna']"
    )
    empty = tmp_path / "empty.fa"
    empty.write_text("\n\n")
    assert error_of(capsys, tmp_path, "--model", path, "--input", empty) == (
        f"{empty}: file is empty (expected FASTA records or a table with a header row)"
    )


def test_n_is_rejected_when_the_model_was_trained_with_n_policy_error(tmp_path, capsys):
    path, _ = make_bundle(tmp_path / "strict", tmp_path / "work", n_policy="error")
    ids, seqs = seqs_and_ids(n=3)  # seqs[1] has an N at position 6
    tsv = write_table(tmp_path / "n.tsv", ids, seqs)
    assert error_of(capsys, tmp_path, "--model", path, "--input", tsv) == (
        f"{tsv}:3: record 's1' has invalid character 'N' at position 6 in column 'sequence' "
        "(N is rejected because n_policy='error')"
    )


def test_bad_bundles_through_the_cli(student, teachers, tmp_path, capsys):
    import shutil

    path, _ = student
    ids, seqs = seqs_and_ids(n=3)
    fa = write_fasta(tmp_path / "in.fa", ids, seqs)
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(path / "model.keras", lone / "model.keras")
    assert error_of(capsys, tmp_path, "--model", lone / "model.keras", "--input", fa) == (
        f"{lone / 'degu.json'}: file not found ({lone / 'model.keras'} is not a DEGU model bundle: "
        "a degu.json must be beside the model)"
    )
    (lone / "degu.json").write_text('{"format": "degu-bundle/1", "kind": "model"')
    assert error_of(capsys, tmp_path, "--model", lone, "--input", fa) == (
        f"{lone / 'degu.json'}:1: not valid JSON: Expecting ',' delimiter (column 44)"
    )
    meta = json.loads((path / "degu.json").read_text())
    meta["seq_len"] = 50
    (lone / "degu.json").write_text(json.dumps(meta))
    assert error_of(capsys, tmp_path, "--model", lone, "--input", fa) == (
        f"{lone / 'model.keras'}: model input shape (40, 4) does not match {lone / 'degu.json'} "
        "(keys 'seq_len' 50 and 'alphabet' 'ACGT')"
    )
    # members that do not fit together
    t0 = teachers[0][0][0]
    assert error_of(capsys, tmp_path, "--model", path, "--model", t0, "--input", fa) == (
        f'the --model bundles differ in key \'tasks\': {path} has ["t1"], {t0} has ["Dev", "Hk"]'
    )
    assert error_of(capsys, tmp_path, "--model", t0, "--input", fa, "--interval", "epistemic") == (
        "--interval epistemic: the model gives no epistemic uncertainty (it gives: aleatoric; "
        "heads ['mean', 'aleatoric'])"
    )


def test_no_partial_output_when_a_later_batch_fails(student, tmp_path, monkeypatch, capsys):
    import degu.predict

    path, _ = student
    ids, seqs = seqs_and_ids(n=6)
    fa = write_fasta(tmp_path / "in.fa", ids, seqs)
    out = tmp_path / "pred.tsv"
    out.write_text("an earlier result\n")
    real, calls = degu.predict.predict_table, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("device lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(degu.predict, "predict_table", failing)
    rc, io = run_predict(capsys, "--model", path, "--input", fa, "--out", out, "--batch-size", "2")
    assert rc == 2 and len(calls) == 2
    assert io.err == "degu: error: RuntimeError: device lost (rerun with --debug for the traceback)\n"
    assert out.read_text() == "an earlier result\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.fa", "pred.tsv"]  # no temporary left


# ------------------------------------------------------------------ the tiny run's models


@pytest.mark.workflow
def test_tiny_run_student_and_ensemble_reproduce_the_pipeline(tiny_run, tmp_path):
    """Bundles of the tiny run's K562-like models: `degu predict` on the test sequences gives the
    student's saved test predictions and the ensemble labels bit for bit (one thread, the
    pipeline's prediction batch size), and intervals with the calibration table's coverage."""
    import yaml

    from degu.io import hdf5
    from degu.io.encoding import decode

    ds, fr = "k562", "1.0"
    data = tiny_run / "data" / ds / "dataset.h5"
    models = [
        {
            "name": f"{role}_seed{s}",
            "model": tiny_run / "models" / ds / f"frac{fr}" / role / f"seed{s}" / "model.keras",
            "predictions": tiny_run / "models" / ds / f"frac{fr}" / role / f"seed{s}" / "predictions.h5",
        }
        for role, seeds in (("teacher", (0, 1, 2)), ("student", (1000,)))
        for s in seeds
    ]
    cal_csv = tiny_run / "metrics" / "calibration" / f"{ds}.csv"
    out = tmp_path / "bundles"
    bundle_job(
        dataset=ds,
        dataset_h5=data,
        architecture="residualbind",
        model_params={},
        models=models,
        ensemble_members=["teacher_seed0", "teacher_seed1", "teacher_seed2"],
        calibration_csv=cal_csv,
        alpha=0.05,
        out_dir=out,
    )
    built = bundle.read_metadata(out / "student_seed1000")
    assert built["adaptors"] == {"5p": "AGGACCGGATCAACT", "3p": "CATTGCGTGAACCGA"}
    pipeline = tiny_run / "bundles" / ds
    if pipeline.is_dir():  # runs made since the bundles rule exist: the pipeline's own bundles
        for name in ("student_seed1000", "ensemble"):
            theirs = bundle.read_metadata(pipeline / name)
            assert theirs.get("sha256") == bundle.read_metadata(out / name).get("sha256")
            assert theirs["conformal"]["scale"] == bundle.read_metadata(out / name)["conformal"]["scale"]

    test = hdf5.read_split(data, "Test")
    seqs = decode(test.X)
    fa = write_fasta(tmp_path / "test.fa", test.ids, seqs)
    el = write_table(tmp_path / "elements.tsv", test.ids, [s[15:-15] for s in seqs])  # adaptors added back
    batch = yaml.safe_load((REPO / "config" / "test.yaml").read_text())["prediction_batch_size"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for model, inp, dst in (("student_seed1000", fa, "student.tsv"), ("ensemble", el, "ensemble.tsv")):
        argv = ["predict", "--model", out / model, "--input", inp, "--out", tmp_path / dst]
        argv += ["--threads", "1", "--batch-size", str(batch), "--no-progress"]
        res = subprocess.run(  # a fresh process: TensorFlow's thread settings apply
            [sys.executable, "-m", "degu.cli", *map(str, argv)], capture_output=True, text=True, env=env
        )
        assert res.returncode == 0, res.stderr[-3000:]

    cols = ["K562_activity", "K562_epistemic_std", "K562_aleatoric_std"]
    student = read(tmp_path / "student.tsv")
    assert student["id"].tolist() == list(test.ids)
    saved = hdf5.read_arrays(models[3]["predictions"], ["Test/pred"])["Test/pred"]
    np.testing.assert_array_equal(student[cols].to_numpy(np.float32), saved)
    ens = read(tmp_path / "ensemble.tsv")
    labels = hdf5.read_arrays(tiny_run / "labels" / ds / f"frac{fr}" / "ensemble.h5")
    for col, key in zip(cols, ("Test/mean", "Test/std", "Test/aleatoric"), strict=True):
        np.testing.assert_array_equal(ens[col].to_numpy(np.float32), labels[key][:, 0])

    # the intervals are the calibration analysis's: same coverage and width on the test set
    table = pd.read_csv(cal_csv)
    y = test.y[:, 0].astype(np.float64)
    for got, method, seed in ((student, "distilled", 1000), (ens, "ensemble", None)):
        row = table[(table["method"] == method) & (table["kind"] == "total")]
        row = row[row["seed"].isna()] if seed is None else row[row["seed"] == seed]
        lo, hi = got["K562_lower95"], got["K562_upper95"]
        assert np.mean((y >= lo) & (y <= hi)) == pytest.approx(row["coverage"].item(), abs=1e-12)
        lo, hi = got["K562_lower95_conformal"], got["K562_upper95_conformal"]
        assert np.mean((y >= lo) & (y <= hi)) == pytest.approx(row["coverage_conformal"].item(), abs=1e-12)
        assert np.mean(hi - lo) == pytest.approx(row["interval_width_conformal"].item(), rel=1e-9)
