import json
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from degu.assays.datasets import prepare_starrseq
from degu.assays.simulate import simulate_starrseq
from degu.assays.splits import write_subsets

SMALL = {"conv_filters": [16, 8, 8, 8], "dense_units": [16, 16]}
TRAIN = {"max_epochs": 6, "batch_size": 32, "early_stopping_patience": 3, "lr_decay_patience": 1}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    simulate_starrseq(d / "raw", n_train=400, n_val=100, n_test=100, seed=2)
    prepare_starrseq(
        d / "raw",
        d / "ds.h5",
        tasks=["Dev", "Hk"],
        activity_columns=["Dev_log2_enrichment", "Hk_log2_enrichment"],
    )
    write_subsets(d / "subsets.h5", 400, [0.5, 1.0], seed=0)
    return d


def train_in_subprocess(data, out, seed, role="teacher", labels=None, **extra):
    kwargs = dict(
        role=role,
        dataset_h5=str(data / "ds.h5"),
        subsets_h5=str(data / "subsets.h5"),
        labels_h5=labels and str(labels),
        fraction=1.0,
        seed=seed,
        architecture="deepstarr",
        model_params=SMALL,
        training=TRAIN,
        threads=1,
        out_model=str(out / "model.keras"),
        out_history=str(out / "history.csv"),
        out_predictions=str(out / "pred.h5"),
        out_meta=str(out / "degu.json"),
        dataset="toy",
        **extra,
    )
    code = "import json, sys; from degu.jobs.train import train_model_job; train_model_job(**json.loads(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], check=True, capture_output=True)


def weights(path):
    from degu.models import load_model

    return load_model(path).get_weights()


def test_same_seed_gives_identical_model_on_cpu(data, tmp_path):
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        train_in_subprocess(data, tmp_path / name, seed)
    wa, wb, wc = (weights(tmp_path / n / "model.keras") for n in "abc")
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(wa, wc, strict=True))
    with h5py.File(tmp_path / "a" / "pred.h5") as fa, h5py.File(tmp_path / "b" / "pred.h5") as fb:
        np.testing.assert_array_equal(fa["Test/pred"][...], fb["Test/pred"][...])
        assert fa.attrs["role"] == "teacher" and json.loads(fa.attrs["heads"]) == ["mean"]
        assert fa["Test/pred"].shape == (100, 2)
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a" / "history.csv"), pd.read_csv(tmp_path / "b" / "history.csv")
    )
    # the model describes itself: degu.json beside it, and a bundle load predicts what the job saved
    from degu.io import hdf5
    from degu.models import bundle

    model, meta = bundle.load(tmp_path / "a" / "model.keras")
    assert (meta["tasks"], meta["heads"], meta["seq_len"]) == (["Dev", "Hk"], ["mean"], 249)
    assert (meta["source"]["dataset"], meta["source"]["seed"], meta["source"]["role"]) == (
        "toy",
        11,
        "teacher",
    )
    assert meta["sha256"] == bundle.sha256_file(tmp_path / "a" / "model.keras")
    x = hdf5.read_split(data / "ds.h5", "Test").X.astype(np.float32)
    with h5py.File(tmp_path / "a" / "pred.h5") as fa:
        np.testing.assert_allclose(
            model.predict(x, batch_size=500, verbose=0), fa["Test/pred"][...], atol=1e-6
        )


def test_augmented_and_dynamic_training_are_reproducible(data, tmp_path):
    """EvoAug (+ fine-tune) and dynamic-augmentation distillation draw their augmentations from
    TensorFlow's seeded RNG: the same seed gives the same model in two processes."""
    from degu.jobs.labels import ensemble_labels_job

    evo = {
        "augmentation": {"kind": "evoaug", "n_min": 1, "n_max": 1},
        "augmentations": {"deletion": {"min": 0, "max": 20}, "noise": {"mean": 0.0, "std": 0.2}},
        "finetune": {"epochs": 1, "learning_rate": 1e-4},
    }
    for name, seed in (("t0", 3), ("t1", 4), ("t0b", 3)):
        train_in_subprocess(data, tmp_path / name, seed, **evo)
    assert all(
        np.array_equal(x, y)
        for x, y in zip(
            weights(tmp_path / "t0" / "model.keras"), weights(tmp_path / "t0b" / "model.keras"), strict=True
        )
    )
    train_in_subprocess(data, tmp_path / "plain", 3)  # same seed, no augmentation: another model
    assert not all(
        np.array_equal(x, y)
        for x, y in zip(
            weights(tmp_path / "t0" / "model.keras"), weights(tmp_path / "plain" / "model.keras"), strict=True
        )
    )
    hist = pd.read_csv(tmp_path / "t0" / "history.csv")
    assert list(hist["stage"].iloc[-1:]) == ["finetune"] and hist["learning_rate"].iloc[-1] == 1e-4
    teachers = [str(tmp_path / t / "model.keras") for t in ("t0", "t1")]
    ensemble_labels_job(
        dataset_h5=data / "ds.h5",
        subsets_h5=data / "subsets.h5",
        fraction=1.0,
        teacher_models=teachers,
        out_h5=tmp_path / "labels.h5",
    )
    dyn = {"augmentation": {"kind": "mutation", "rate": 0.05}, "dynamic_teachers": teachers}
    for name in ("s", "s2"):
        train_in_subprocess(data, tmp_path / name, 7, role="student", labels=tmp_path / "labels.h5", **dyn)
    ws, ws2 = weights(tmp_path / "s" / "model.keras"), weights(tmp_path / "s2" / "model.keras")
    assert all(np.array_equal(x, y) for x, y in zip(ws, ws2, strict=True))
    with h5py.File(tmp_path / "s" / "pred.h5") as f:
        assert json.loads(f.attrs["dynamic_teachers"]) == teachers
        assert json.loads(f.attrs["heads"]) == ["mean", "epistemic"]


def test_fit_restores_best_epoch_and_decays_lr(data):
    from degu.io.hdf5 import read_split
    from degu.models import build_model
    from degu.models.training import TrainConfig, fit
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=1)
    tr, va = read_split(data / "ds.h5", "Train"), read_split(data / "ds.h5", "Val")
    model = build_model("deepstarr", 249, 2, SMALL)
    cfg = TrainConfig(
        max_epochs=8,
        batch_size=32,
        early_stopping_patience=3,
        lr_decay_patience=1,
        learning_rate=1e-3,
        lr_decay_factor=0.1,
    )
    hist = fit(model, tr.X, tr.y, va.X, va.y, cfg, verbose=0)
    assert list(hist.columns) == ["epoch", "loss", "val_loss", "learning_rate", "best"]
    best = hist.loc[hist["best"]]
    assert len(best) == 1 and best["val_loss"].iloc[0] == hist["val_loss"].min()
    # the weights now in the model are those of the best epoch
    val_loss_now = model.evaluate(va.X.astype(np.float32), va.y, batch_size=32, verbose=0)
    assert val_loss_now == pytest.approx(best["val_loss"].iloc[0], rel=1e-4)
    # every LR change is a x0.1 decay that follows an epoch without improvement
    lr = hist["learning_rate"].to_numpy()
    running_best = np.minimum.accumulate(hist["val_loss"].to_numpy())
    for e in np.flatnonzero(lr[1:] != lr[:-1]) + 1:
        assert lr[e] == pytest.approx(lr[e - 1] * 0.1)
        assert hist["val_loss"].iloc[e - 1] > running_best[e - 2]
    # early stopping: training ends patience epochs after the best one (or at max_epochs)
    assert len(hist) == min(8, int(best["epoch"].iloc[0]) + 3)


def test_standardized_student_predicts_in_activity_units(data, tmp_path):
    """A student fitted on standardized targets (issue 10): its saved model, its Test/pred and
    a reload in safe mode all give activity units; the scaling is recorded with it."""
    from degu.io.hdf5 import read_arrays, read_split
    from degu.jobs.labels import ensemble_labels_job
    from degu.models import load_model
    from degu.uq.distill import TargetScaling

    teachers = []
    for seed in (1, 2):
        train_in_subprocess(data, tmp_path / f"t{seed}", seed)
        teachers.append(str(tmp_path / f"t{seed}" / "model.keras"))
    ensemble_labels_job(
        dataset_h5=data / "ds.h5",
        subsets_h5=data / "subsets.h5",
        fraction=1.0,
        teacher_models=teachers,
        out_h5=tmp_path / "labels.h5",
    )
    out = tmp_path / "s"
    train_in_subprocess(data, out, 5, role="student", labels=tmp_path / "labels.h5", standardize_targets=True)
    with h5py.File(out / "pred.h5") as f:
        scaling = json.loads(f.attrs["target_scaling"])
        health = json.loads(f.attrs["health"])
        test_pred = f["Test/pred"][...]
    labels = read_arrays(tmp_path / "labels.h5")
    expected = TargetScaling.fit(
        np.concatenate([labels["Train/mean"], labels["Train/std"]], 1), ["mean", "epistemic"]
    )
    np.testing.assert_allclose(scaling["mean"], expected.mean, rtol=1e-6)
    np.testing.assert_allclose(scaling["scale"], expected.scale, rtol=1e-6)
    assert 1 <= health["best_epoch"] <= health["stopped_epoch"] <= health["max_epochs"] == TRAIN["max_epochs"]
    model = load_model(out / "model.keras")
    assert model.layers[-1].name == "unstandardize"
    x = read_split(data / "ds.h5", "Test").X
    np.testing.assert_allclose(
        model.predict(x.astype(np.float32), verbose=0), test_pred, rtol=1e-5, atol=1e-6
    )
    # in activity units: the mean head lives on the scale of the ensemble mean, not of z-scores
    pred_mean = test_pred[:, :2].mean(0)
    assert np.all(np.abs(pred_mean - labels["Test/mean"].mean(0)) < 0.5 * labels["Test/mean"].std(0) + 0.2)
