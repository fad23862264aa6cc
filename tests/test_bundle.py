"""Model bundles (degu.models.bundle): metadata built without TensorFlow, validation errors, loading."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.encoding import one_hot
from degu.jobs.bundle import bundle_job
from degu.models import bundle

A5, A3 = "ACGTTGCA", "TTGACC"  # constant flanks of the fake MPRA library
SMALL = {"conv_filters": [4, 4, 4, 4], "dense_units": [8, 8]}


def random_seqs(rng, n, length):
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


def make_dataset(path, *, seq_len=40, adaptors=None, tasks=("t1",), n_policy="zeros", seed=0, cal=False):
    """A prepared-dataset file; with ``adaptors`` (5', 3') every sequence carries them."""
    rng = np.random.default_rng(seed)
    a5, a3 = adaptors or ("", "")
    splits = {}
    for k, name in enumerate(("Train", "Val", "Test", *(("Cal",) if cal else ()))):
        seqs = [a5 + s + a3 for s in random_seqs(rng, 12 + k, seq_len - len(a5) - len(a3))]
        y = rng.normal(size=(len(seqs), len(tasks))).astype(np.float32)
        splits[name] = hdf5.Split(
            one_hot(seqs), y, np.array([f"{name}{i}" for i in range(len(seqs))], dtype=object)
        )
    hdf5.write_dataset(path, splits, list(tasks), n_policy=n_policy, attrs={"assay": "table"})
    return path


def make_model(
    path, *, seq_len=40, heads=("mean", "epistemic", "aleatoric"), n_tasks=1, seed=0, scaling=None
):
    """A small DeepSTARR model with ``len(heads) * n_tasks`` outputs, saved to ``path``."""
    import keras

    from degu.models import build_model
    from degu.models.training import save_model

    keras.utils.set_random_seed(seed)
    model = build_model("deepstarr", seq_len, len(heads) * n_tasks, SMALL, name=f"m{seed}")
    if scaling is not None:
        model = scaling.attach(model)
    save_model(model, path)
    return model


def make_predictions(path, *, heads, tasks, role="student", method="distilled", seed=1000, scaling=None):
    attrs = {
        "role": role,
        "method": method,
        "seed": seed,
        "fraction": 1.0,
        "tasks": json.dumps(list(tasks)),
        "heads": json.dumps(list(heads)),
        "n_train": 12,
        "target_scaling": json.dumps(scaling.to_dict() if scaling is not None else {}),
    }
    hdf5.write_arrays(path, {"Test/pred": np.zeros((3, len(heads) * len(tasks)), np.float32)}, attrs=attrs)
    return path


def make_bundle(
    out_dir,
    tmp,
    *,
    seq_len=40,
    heads=("mean", "epistemic", "aleatoric"),
    tasks=("t1",),
    adaptors=None,
    n_policy="zeros",
    seed=0,
    conformal=None,
    role="student",
    method="distilled",
):
    """A bundle of a fresh small model; returns (bundle dir, keras model)."""
    tmp = Path(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    ds = make_dataset(
        tmp / f"ds{seed}.h5", seq_len=seq_len, adaptors=adaptors, tasks=tasks, n_policy=n_policy
    )
    model = make_model(tmp / f"m{seed}.keras", seq_len=seq_len, heads=heads, n_tasks=len(tasks), seed=seed)
    pred = make_predictions(
        tmp / f"p{seed}.h5", heads=heads, tasks=tasks, role=role, method=method, seed=seed
    )
    meta = bundle.model_metadata(
        model_path=tmp / f"m{seed}.keras",
        predictions_h5=pred,
        dataset_h5=ds,
        dataset="fake",
        architecture="deepstarr",
        model_params=SMALL,
        conformal=conformal,
    )
    return bundle.write_bundle(out_dir, tmp / f"m{seed}.keras", meta), model


# ------------------------------------------------------------------ building (no TensorFlow)


def test_constant_flanks_are_the_adaptors_every_sequence_shares(tmp_path):
    ds = make_dataset(tmp_path / "a.h5", seq_len=40, adaptors=(A5, A3), cal=True)
    assert bundle.constant_flanks(ds) == (A5, A3)
    assert bundle.constant_flanks(ds, chunk=3) == (A5, A3)  # read in chunks: same answer
    assert bundle.constant_flanks(make_dataset(tmp_path / "b.h5", seq_len=40)) == ("", "")


def test_constant_flanks_stop_at_an_n_and_at_a_differing_record(tmp_path):
    ds = make_dataset(tmp_path / "a.h5", seq_len=30, adaptors=("NNAC", "GG"))
    assert bundle.constant_flanks(ds) == ("", "GG")  # an all-zero (N) column is no adaptor base
    # one Test record with another last base: the 3' flank shrinks to what all share
    splits = {s: hdf5.read_split(ds, s) for s in hdf5.SPLITS}
    splits["Test"].X[0, -1] = [1, 0, 0, 0]  # A instead of G
    hdf5.write_dataset(tmp_path / "b.h5", splits, ["t1"], n_policy="zeros")
    assert bundle.constant_flanks(tmp_path / "b.h5") == ("", "")


def test_metadata_from_predictions_dataset_and_config(tmp_path):
    from degu.uq.distill import TargetScaling

    make_dataset(tmp_path / "ds.h5", seq_len=40, adaptors=(A5, A3), tasks=("Dev", "Hk"))
    heads = ["mean", "epistemic"]
    sc = TargetScaling(heads, [1.0, 2.0], [0.5, 0.25])
    make_model(tmp_path / "m.keras", heads=heads, n_tasks=2, scaling=sc)
    make_predictions(tmp_path / "p.h5", heads=heads, tasks=["Dev", "Hk"], seed=7, scaling=sc)
    meta = bundle.model_metadata(
        model_path=tmp_path / "m.keras",
        predictions_h5=tmp_path / "p.h5",
        dataset_h5=tmp_path / "ds.h5",
        dataset="fake",
        architecture="deepstarr",
        model_params=SMALL,
        run="test",
    )
    assert meta["format"] == "degu-bundle/1" and meta["kind"] == "model"
    assert (meta["seq_len"], meta["alphabet"], meta["n_policy"]) == (40, "ACGT", "zeros")
    assert meta["adaptors"] == {"5p": A5, "3p": A3}
    assert (meta["tasks"], meta["heads"], meta["n_outputs"]) == (["Dev", "Hk"], heads, 4)
    assert meta["target_scaling"] == {"heads": heads, "mean": [1.0, 2.0], "scale": [0.5, 0.25]}
    assert meta["source"] == {
        "run": "test",
        "dataset": "fake",
        "assay": "table",
        "fraction": 1.0,
        "role": "student",
        "method": "distilled",
        "seed": 7,
        "n_train": 12,
        "predictions": str(tmp_path / "p.h5"),
    }
    assert meta["sha256"] == bundle.sha256_file(tmp_path / "m.keras")
    import keras

    assert meta["versions"]["keras"] == keras.__version__ == meta["versions"]["keras_saved"]
    assert "conformal" not in meta  # only once calibration has run
    # the metadata survives a JSON round trip and validation
    bundle.write_bundle(tmp_path / "b", tmp_path / "m.keras", meta)
    assert bundle.read_metadata(tmp_path / "b") == meta
    assert bundle.read_metadata(tmp_path / "b" / "model.keras") == meta
    assert bundle.read_metadata(tmp_path / "b" / "degu.json") == meta


def test_model_metadata_rejects_tasks_other_than_the_datasets(tmp_path):
    make_dataset(tmp_path / "ds.h5", tasks=("Dev",))
    make_predictions(tmp_path / "p.h5", heads=["mean"], tasks=["Hk"])
    (tmp_path / "m.keras").write_bytes(b"x")
    with pytest.raises(DeguInputError) as e:
        bundle.model_metadata(
            model_path=tmp_path / "m.keras",
            predictions_h5=tmp_path / "p.h5",
            dataset_h5=tmp_path / "ds.h5",
            dataset="fake",
            architecture="deepstarr",
            model_params={},
        )
    assert (
        str(e.value)
        == f"{tmp_path / 'p.h5'}: tasks ['Hk'] differ from those of {tmp_path / 'ds.h5'}: ['Dev']"
    )


CAL_CSV = """dataset,method,seed,kind,n_cal,n_test,pearson,coverage,interval_width,conformal_scale,coverage_conformal,interval_width_conformal,n_nonpositive_sigma,pearson_sigma_vs_true_noise
fake,ensemble,,epistemic,30,13,0.5,0.4,0.5,9.982342804986363,0.9244897959183673,2.5,0,0.1
fake,ensemble,,aleatoric,30,13,0.5,0.7,1.0,3.4280625314110122,0.9448979591836735,1.8,0,0.5
fake,ensemble,,total,30,13,0.5,0.8,1.2,2.9677688292351565,0.9551020408163265,1.8,0,0.4
fake,standard,0,aleatoric,30,13,0.6,0.8,1.0,3.307737445366808,0.93,1.7,0,0.4
fake,standard,1,aleatoric,30,13,0.6,0.8,1.0,3.1,0.94,1.7,0,0.4
fake,distilled,1000,epistemic,30,13,0.6,0.8,1.0,6.385529807941737,0.94,1.7,0,0.4
fake,distilled,1000,aleatoric,30,13,0.6,0.8,1.0,inf,1.0,inf,0,0.4
fake,distilled,1000,total,30,13,0.6,0.8,1.0,2.9277213667900672,0.95,1.7,0,0.4
"""


def test_conformal_scales_come_from_the_calibration_table(tmp_path):
    (tmp_path / "cal.csv").write_text(CAL_CSV)
    table = pd.read_csv(tmp_path / "cal.csv")
    kw = {"dataset": "fake", "alpha": 0.05, "split": "Cal"}
    ens = bundle.conformal_entry(table, tmp_path / "cal.csv", method="ensemble", seed=None, **kw)
    assert ens["scale"] == {
        "epistemic": 9.982342804986363,
        "aleatoric": 3.4280625314110122,
        "total": 2.9677688292351565,
    }
    assert (ens["alpha"], ens["split"], ens["n"]) == (0.05, "Cal", 30)
    assert ens["test_coverage"]["total"] == 0.9551020408163265
    st = bundle.conformal_entry(table, tmp_path / "cal.csv", method="distilled", seed=1000, **kw)
    assert st["scale"] == {"epistemic": 6.385529807941737, "aleatoric": None, "total": 2.9277213667900672}
    with pytest.raises(DeguInputError) as e:
        bundle.conformal_entry(table, tmp_path / "cal.csv", method="standard", seed=5, **kw)
    assert str(e.value) == (
        f"{tmp_path / 'cal.csv'}: no row for dataset 'fake', method 'standard', seed 5 "
        "(the calibration analysis did not include this model)"
    )


def test_bundle_job_writes_models_and_an_ensemble_without_tensorflow(tmp_path):
    ds = make_dataset(tmp_path / "ds.h5", seq_len=40, adaptors=(A5, A3), cal=True)
    (tmp_path / "cal.csv").write_text(CAL_CSV)
    models = []
    for name, role, method, seed in (
        ("teacher_seed0", "teacher", "standard", 0),
        ("teacher_seed1", "teacher", "standard", 1),
        ("student_seed1000", "student", "distilled", 1000),
    ):
        heads = ["mean", "aleatoric"] if role == "teacher" else ["mean", "epistemic", "aleatoric"]
        (tmp_path / f"{name}.keras").write_bytes(f"not a real model {name}".encode())  # copied, never loaded
        make_predictions(
            tmp_path / f"{name}.h5", heads=heads, tasks=["t1"], role=role, method=method, seed=seed
        )
        models.append(
            {"name": name, "model": tmp_path / f"{name}.keras", "predictions": tmp_path / f"{name}.h5"}
        )
    out = tmp_path / "bundles"
    bundle_job(
        dataset="fake",
        dataset_h5=ds,
        architecture="deepstarr",
        model_params=SMALL,
        models=models,
        ensemble_members=["teacher_seed0", "teacher_seed1"],
        calibration_csv=tmp_path / "cal.csv",
        alpha=0.05,
        out_dir=out,
        run="test",
    )
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "ensemble/degu.json",
        "student_seed1000/degu.json",
        "student_seed1000/model.keras",
        "teacher_seed0/degu.json",
        "teacher_seed0/model.keras",
        "teacher_seed1/degu.json",
        "teacher_seed1/model.keras",
    ]
    assert (out / "teacher_seed1" / "model.keras").read_bytes() == b"not a real model teacher_seed1"
    t1 = bundle.read_metadata(out / "teacher_seed1")
    assert t1["conformal"]["scale"] == {"aleatoric": 3.1} and t1["conformal"]["split"] == "Cal"
    assert t1["heads"] == ["mean", "aleatoric"] and t1["adaptors"] == {"5p": A5, "3p": A3}
    ens = bundle.read_metadata(out / "ensemble")
    assert ens["kind"] == "ensemble" and ens["members"] == ["../teacher_seed0", "../teacher_seed1"]
    assert ens["conformal"]["scale"]["total"] == 2.9677688292351565
    assert ens["source"]["member_seeds"] == [0, 1] and ens["seq_len"] == 40
    assert bundle.read_metadata(out / "student_seed1000")["conformal"]["scale"]["aleatoric"] is None
    # the module builds bundles without TensorFlow (the rule is a light job)
    import subprocess
    import sys

    code = "import sys, degu.models.bundle; sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ------------------------------------------------------------------ reading: validation


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("good")
    path, model = make_bundle(tmp / "b", tmp / "work")
    return path


def copy_with(good, tmp_path, edit=None, text=None):
    dst = tmp_path / "b"
    shutil.copytree(good, dst)
    if text is not None:
        (dst / "degu.json").write_text(text)
    if edit is not None:
        meta = json.loads((dst / "degu.json").read_text())
        edit(meta)
        (dst / "degu.json").write_text(json.dumps(meta, indent=2))
    return dst


def meta_error(path) -> str:
    with pytest.raises(DeguInputError) as e:
        bundle.load(path)
    return str(e.value)


def test_load_returns_the_model_and_its_metadata(good):
    from degu.models import load_model

    model, meta = bundle.load(good)
    assert meta == bundle.read_metadata(good)
    assert model.input_shape == (None, 40, 4) and model.output_shape == (None, 3)
    x = one_hot(random_seqs(np.random.default_rng(3), 5, 40)).astype(np.float32)
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), load_model(good / "model.keras").predict(x, verbose=0)
    )


def test_missing_or_unreadable_metadata(good, tmp_path):
    (tmp_path / "lone").mkdir()
    shutil.copy(good / "model.keras", tmp_path / "lone" / "model.keras")
    lone = tmp_path / "lone"
    expected = f"{lone / 'degu.json'}: file not found ({lone} is not a DEGU model bundle: a degu.json must be beside the model)"
    assert meta_error(lone) == expected
    expected = f"{lone / 'degu.json'}: file not found ({lone / 'model.keras'} is not a DEGU model bundle: a degu.json must be beside the model)"
    assert meta_error(lone / "model.keras") == expected
    assert meta_error(tmp_path / "nothing") == f"{tmp_path / 'nothing'}: no such bundle directory or file"
    b = copy_with(good, tmp_path, text='{"format": "degu-bundle/1",\n "kind": "model",\n  "tasks": [}\n')
    assert meta_error(b) == f"{b / 'degu.json'}:3: not valid JSON: Expecting value (column 13)"


@pytest.mark.parametrize(
    "edit,expected",
    [
        (lambda m: m.pop("tasks"), "missing key 'tasks'"),
        (
            lambda m: m.update(format="degu-bundle/9"),
            "key 'format' is 'degu-bundle/9'; this degu reads 'degu-bundle/1'",
        ),
        (lambda m: m.update(seq_len="40"), "key 'seq_len' must be a positive integer, got \"40\""),
        (
            lambda m: m.update(alphabet="TGCA"),
            "key 'alphabet' must be 'ACGT' (the one-hot channel order), got \"TGCA\"",
        ),
        (
            lambda m: m.update(heads=["epistemic"]),
            "key 'heads' unknown head layout ['epistemic']; expected 'mean' then any of 'epistemic', 'aleatoric', or one of ['mean', 'logvar'], ['gamma', 'nu', 'alpha', 'beta']",
        ),
        (
            lambda m: m.update(n_outputs=6),
            "key 'n_outputs' is 6, but heads ['mean', 'epistemic', 'aleatoric'] x tasks ['t1'] give 3",
        ),
        (
            lambda m: m.update(adaptors={"5p": "ACGU", "3p": ""}),
            'key \'adaptors\' must be null or {"5p": bases, "3p": bases} (A/C/G/T), got {"5p": "ACGU", "3p": ""}',
        ),
        (
            lambda m: m.update(conformal={"alpha": 0.05, "split": "Cal", "n": 30, "scale": {"total": -1}}),
            "key 'conformal.scale.total' must be a non-negative number or null (infinite), got -1",
        ),
        (
            lambda m: m.update(conformal={"alpha": 5, "split": "Cal", "n": 30, "scale": {"total": 1}}),
            "key 'conformal.alpha' must be in (0, 1), got 5",
        ),
        (
            lambda m: m.update(model_file="../m.keras"),
            "key 'model_file' must be a file name beside degu.json, got '../m.keras'",
        ),
    ],
    ids=[
        "missing",
        "format",
        "seq_len",
        "alphabet",
        "heads",
        "n_outputs",
        "adaptors",
        "scale",
        "alpha",
        "model_file",
    ],
)
def test_bad_metadata_is_one_line_naming_file_and_key(good, tmp_path, edit, expected):
    b = copy_with(good, tmp_path, edit)
    assert meta_error(b) == f"{b / 'degu.json'}: {expected}"


def test_model_that_does_not_match_its_metadata(good, tmp_path):
    # another model file in place of the bundled one: the checksum catches it
    b = copy_with(good, tmp_path)
    make_model(b / "model.keras", seq_len=48, seed=5)
    got = meta_error(b)
    digest = bundle.sha256_file(b / "model.keras")
    meta = bundle.read_metadata(b)
    assert got == (
        f"{b / 'model.keras'}: sha256 {digest[:12]}... does not match {b / 'degu.json'} (key 'sha256': "
        f"{meta['sha256'][:12]}...); the model file was changed after the bundle was written"
    )
    # ... and with the checksum updated, the input length
    meta["sha256"] = digest
    (b / "degu.json").write_text(json.dumps(meta))
    assert meta_error(b) == (
        f"{b / 'model.keras'}: model input shape (48, 4) does not match {b / 'degu.json'} "
        "(keys 'seq_len' 40 and 'alphabet' 'ACGT')"
    )
    # ... and the output width
    make_model(b / "model.keras", seq_len=40, heads=("mean", "epistemic"), seed=5)
    meta["sha256"] = bundle.sha256_file(b / "model.keras")
    (b / "degu.json").write_text(json.dumps(meta))
    assert meta_error(b) == (
        f"{b / 'model.keras'}: model has 2 outputs, but {b / 'degu.json'} says 3 "
        "(key 'n_outputs': heads ['mean', 'epistemic', 'aleatoric'] x tasks ['t1'])"
    )


def test_a_corrupt_model_file_is_one_line(good, tmp_path):
    b = copy_with(good, tmp_path)
    (b / "model.keras").write_bytes(b"PK\x03\x04 truncated")
    meta = bundle.read_metadata(b)
    meta["sha256"] = bundle.sha256_file(b / "model.keras")
    (b / "degu.json").write_text(json.dumps(meta))
    got = meta_error(b)
    assert got.startswith(f"{b / 'model.keras'}: cannot load in Keras safe mode: ") and "\n" not in got


def test_bundle_job_leaves_models_without_uncertainty_uncalibrated(tmp_path):
    """Activity-only data (no replicates): a standard model predicts no std, the calibration
    table has no row for it, and its bundle has no conformal entry (the ensemble's has)."""
    ds = make_dataset(tmp_path / "ds.h5", seq_len=40, adaptors=(A5, A3), cal=True)
    table = pd.read_csv(io.StringIO(CAL_CSV))
    table[table.method != "standard"].to_csv(tmp_path / "cal.csv", index=False)
    models = []
    for name, seed in (("teacher_seed0", 0), ("teacher_seed1", 1)):
        (tmp_path / f"{name}.keras").write_bytes(b"not a real model")
        make_predictions(
            tmp_path / f"{name}.h5",
            heads=["mean"],
            tasks=["t1"],
            role="teacher",
            method="standard",
            seed=seed,
        )
        models.append(
            {"name": name, "model": tmp_path / f"{name}.keras", "predictions": tmp_path / f"{name}.h5"}
        )
    out = tmp_path / "bundles"
    bundle_job(
        dataset="fake",
        dataset_h5=ds,
        architecture="deepstarr",
        model_params=SMALL,
        models=models,
        ensemble_members=["teacher_seed0", "teacher_seed1"],
        calibration_csv=tmp_path / "cal.csv",
        alpha=0.05,
        out_dir=out,
    )
    assert "conformal" not in json.loads((out / "teacher_seed0" / "degu.json").read_text())
    assert "conformal" in json.loads((out / "ensemble" / "degu.json").read_text())
