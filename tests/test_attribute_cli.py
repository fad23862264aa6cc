"""`degu attribute` (degu.attribute): maps against the library on the same model, the model's
input rules (adaptors), DeepSHAP's background, ensembles, logos, and one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_bundle import A3, A5, make_bundle, random_seqs

from degu.cli import main as cli_main
from degu.io import hdf5
from degu.io.encoding import one_hot


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attr_student")
    return make_bundle(tmp / "student", tmp / "work", tasks=("t1", "t2"))


def _fasta(path, seqs, prefix="s"):
    path.write_text("".join(f">{prefix}{i}\n{s}\n" for i, s in enumerate(seqs)))
    return path


def _run(capsys, *argv):
    rc = cli_main(["attribute", *[str(a) for a in argv], "--threads", "1"])
    return rc, capsys.readouterr()


def test_saliency_of_each_head_and_task_equals_the_library(student, tmp_path, capsys):
    from degu.analysis.attribution import gradient_correct, saliency

    path, model = student
    seqs = random_seqs(np.random.default_rng(3), 6, 40)
    fa = _fasta(tmp_path / "in.fa", seqs)
    x = one_hot(seqs).astype(np.float32)
    # layout [mean, epistemic, aleatoric] x [t1, t2]: epistemic of t2 is column 3
    for head, task, column in (("mean", "t1", 0), ("mean", "t2", 1), ("epistemic", "t2", 3)):
        out = tmp_path / f"{head}_{task}.h5"
        rc, io = _run(capsys, "--model", path, "--input", fa, "--out", out, "--head", head, "--task", task)
        assert rc == 0, io.err
        got = hdf5.read_arrays(out)
        assert list(got["ids"]) == [f"s{i}" for i in range(6)]
        np.testing.assert_array_equal(got["x"], one_hot(seqs))
        np.testing.assert_allclose(
            got["maps"], gradient_correct(saliency(model, x, column)), rtol=1e-5, atol=1e-7
        )
        np.testing.assert_allclose(got["maps"].sum(axis=-1), 0.0, atol=1e-6)  # corrected
        attrs = hdf5.read_attrs(out)
        assert (attrs["format"], attrs["method"], attrs["head"], attrs["task"]) == (
            "degu-attribute/1",
            "saliency",
            head,
            task,
        )
        assert f"{head} head, task {task}, 1 model" in io.err


def test_deepshap_with_a_given_background_is_additive(student, tmp_path, capsys):
    path, model = student
    rng = np.random.default_rng(4)
    seqs, bg = random_seqs(rng, 3, 40), random_seqs(rng, 5, 40)
    out = tmp_path / "shap.h5"
    rc, io = _run(
        capsys,
        "--model",
        path,
        "--input",
        _fasta(tmp_path / "in.fa", seqs),
        "--background",
        _fasta(tmp_path / "bg.fa", bg, "b"),
        "--method",
        "deepshap",
        "--task",
        "t1",
        "--out",
        out,
    )
    assert rc == 0, io.err
    from degu.analysis.attribution import deepshap, gradient_correct

    want, error = deepshap(model, one_hot(seqs).astype(np.float32), one_hot(bg).astype(np.float32), 0)
    np.testing.assert_allclose(hdf5.read_arrays(out)["maps"], gradient_correct(want), rtol=1e-4, atol=1e-7)
    attrs = hdf5.read_attrs(out)
    assert attrs["n_background"] == 5 and attrs["additivity_max_error"] < 1e-5
    assert attrs["additivity_max_error"] == pytest.approx(error, rel=1e-3, abs=1e-9)


def test_element_only_input_gets_the_adaptors(tmp_path, capsys):
    path, _ = make_bundle(tmp_path / "b", tmp_path / "w", seq_len=40, adaptors=(A5, A3), heads=("mean",))
    element_len = 40 - len(A5) - len(A3)
    elements = random_seqs(np.random.default_rng(5), 2, element_len)
    out_a, out_b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert (
        _run(capsys, "--model", path, "--input", _fasta(tmp_path / "e.fa", elements), "--out", out_a)[0] == 0
    )
    full = [A5 + e + A3 for e in elements]
    assert _run(capsys, "--model", path, "--input", _fasta(tmp_path / "f.fa", full), "--out", out_b)[0] == 0
    np.testing.assert_array_equal(hdf5.read_arrays(out_a)["maps"], hdf5.read_arrays(out_b)["maps"])
    np.testing.assert_array_equal(hdf5.read_arrays(out_a)["x"], one_hot(full))


def test_several_models_give_the_average_map(tmp_path, capsys):
    from degu.analysis.attribution import gradient_correct, saliency

    bundles = [make_bundle(tmp_path / f"t{s}", tmp_path / "w", heads=("mean",), seed=s) for s in (0, 1)]
    seqs = random_seqs(np.random.default_rng(6), 4, 40)
    out = tmp_path / "ens.h5"
    argv = [a for p, _ in bundles for a in ("--model", p)]
    rc, io = _run(capsys, *argv, "--input", _fasta(tmp_path / "in.fa", seqs), "--out", out)
    assert rc == 0, io.err
    assert "2 models (their average)" in io.err
    x = one_hot(seqs).astype(np.float32)
    want = np.mean([gradient_correct(saliency(m, x, 0)) for _, m in bundles], axis=0)
    np.testing.assert_allclose(hdf5.read_arrays(out)["maps"], want, rtol=1e-5, atol=1e-7)
    rc, io = _run(
        capsys, *argv, "--input", tmp_path / "in.fa", "--out", tmp_path / "x.h5", "--head", "epistemic"
    )
    assert rc == 2 and "an ensemble is explained through its members' activity head only" in io.err


def test_logos_pdf(student, tmp_path, capsys):
    path, _ = student
    seqs = random_seqs(np.random.default_rng(7), 3, 40)
    logos = tmp_path / "logos.pdf"
    rc, io = _run(
        capsys,
        "--model",
        path,
        "--input",
        _fasta(tmp_path / "in.fa", seqs),
        "--out",
        tmp_path / "m.h5",
        "--task",
        "t1",
        "--logos",
        logos,
        "--n-logos",
        "2",
    )
    assert rc == 0, io.err
    assert logos.read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--head", "logvar", "--task", "t1"],
            "--head logvar: the model has heads ['mean', 'epistemic', 'aleatoric']",
        ),
        ([], "--task is needed: the model has tasks ['t1', 't2']"),
        (["--task", "t9"], "--task t9: the model has tasks ['t1', 't2']"),
    ],
)
def test_bad_head_or_task_is_one_line_and_writes_nothing(student, tmp_path, capsys, extra, message):
    path, _ = student
    fa = _fasta(tmp_path / "in.fa", random_seqs(np.random.default_rng(8), 2, 40))
    out = tmp_path / "o" / "m.h5"
    rc, io = _run(capsys, "--model", path, "--input", fa, "--out", out, *extra)
    assert rc == 2 and io.err == f"degu: error: {message}\n"
    assert not out.exists()


def test_bad_sequences_are_the_predict_messages(student, tmp_path, capsys):
    path, _ = student
    seqs = random_seqs(np.random.default_rng(9), 2, 40)
    fa = _fasta(tmp_path / "short.fa", [seqs[0], seqs[1][:39]])
    out = tmp_path / "m.h5"
    rc, io = _run(capsys, "--model", path, "--input", fa, "--out", out, "--task", "t1")
    assert rc == 2
    assert io.err == f"degu: error: {fa}:3: record 's1' has length 39, expected 40 (truncated record?)\n"
    assert not out.exists()
