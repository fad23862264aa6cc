"""benchmarks/train_one.py: the tool the tiny and real-data configs' training settings were chosen
with (docs/tiny-run.md, docs/real-data.md) prints a validation curve, never reads the test split,
and trains through an augmentation scheme with EvoAug's fine-tune stage when asked."""

import re
import subprocess
import sys
import textwrap

import h5py
import numpy as np
from conftest import REPO


def write_dataset(path, n_train=96, n_val=40, length=40, seed=0):
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        # no Test group: reading the test split would fail with "no group 'Test'"
        for split, n in (("Train", n_train), ("Val", n_val)):
            x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]
            y = x[:, 10:20, 0].sum(axis=1, keepdims=True) + rng.normal(0, 0.1, (n, 1))
            f[f"{split}/X"], f[f"{split}/y"] = x, y.astype(np.float32)
            f.create_dataset(
                f"{split}/ids", data=[f"{split}{i}" for i in range(n)], dtype=h5py.string_dtype()
            )


def run_train_one(dataset, *args, spy=False, timeout=300):
    """benchmarks/train_one.py on ``dataset`` with ``args`` (through SPY with ``spy``)."""
    prefix = [sys.executable] + (["-c", SPY] if spy else [])
    return subprocess.run(
        prefix + [str(REPO / "benchmarks" / "train_one.py"), str(dataset), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_train_one_prints_validation_curve_and_finetunes(tmp_path):
    write_dataset(tmp_path / "dataset.h5")
    params = '{"conv_filters": [8], "conv_kernels": [5], "dense_units": [8], "pool_size": 2}'
    res = run_train_one(
        tmp_path / "dataset.h5",
        *["--params", params, "--train", '{"learning_rate": 0.01, "batch_size": 32, "max_epochs": 2}'],
        *["--augment", '{"kind": "evoaug", "n_min": 1, "n_max": 1}'],
        *["--finetune", '{"epochs": 2, "learning_rate": 0.0001}'],
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    epochs = re.findall(
        r"^epoch (\d+): [\d.]+ s, val_loss ([\d.]+), val r (-?[\d.]+), train r (-?[\d.]+)$", out, re.M
    )
    assert [e[0] for e in epochs] == ["1", "2"]
    assert re.search(r"^96 training sequences, \d+ parameters: best epoch [12] of 2$", out, re.M)
    assert re.search(
        r"^fine-tune: best epoch [12] of 2, val_loss [\d.]+, val r -?[\d.]+, train r -?[\d.]+$", out, re.M
    )
    assert "nan" not in out


def test_train_one_rejects_an_unknown_augmentation_before_reading_data(tmp_path):
    res = run_train_one(tmp_path / "absent.h5", "--augment", '{"kind": "mixup"}')
    assert res.returncode != 0
    assert "unknown augmentation scheme kind 'mixup'" in res.stderr


# Runs train_one.py's main with degu's make_augmenter and fit wrapped, to see what reaches training.
SPY = textwrap.dedent(
    """
    import runpy, sys
    import degu.models.augment as augment
    import degu.models.training as training

    made, real_make, real_fit = [], augment.make_augmenter, training.fit

    def make_augmenter(scheme, augmentations=None):
        made.append(real_make(scheme, augmentations))
        print("make_augmenter", scheme, augmentations, flush=True)
        return made[-1]

    def fit(*args, augment=None, **kwargs):
        print("fit augment is the last augmenter:", augment is not None and augment is made[-1], flush=True)
        return real_fit(*args, augment=augment, **kwargs)

    augment.make_augmenter, training.fit = make_augmenter, fit
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    """
)


def test_train_one_trains_through_the_given_scheme_and_list(tmp_path):
    write_dataset(tmp_path / "dataset.h5")
    params = '{"conv_filters": [8], "conv_kernels": [5], "dense_units": [8], "pool_size": 2}'
    res = run_train_one(
        tmp_path / "dataset.h5",
        *["--params", params, "--train", '{"batch_size": 32, "max_epochs": 1}'],
        *[
            "--augment",
            '{"kind": "evoaug", "n_min": 1, "n_max": 1}',
            "--augmentations",
            '{"rc": {"prob": 0.5}}',
        ],
        spy=True,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    scheme = "{'kind': 'evoaug', 'n_min': 1, 'n_max': 1} {'rc': {'prob': 0.5}}"
    assert f"make_augmenter {scheme}" in res.stdout
    # fit is called once (no fine-tune stage), with the augmenter built from that scheme and list
    assert re.findall(r"^fit augment is the last augmenter: (\w+)$", res.stdout, re.M) == ["True"]


def test_train_one_rejects_a_list_or_finetune_without_a_scheme(tmp_path):
    for extra, message in [
        (["--augmentations", '{"rc": {"prob": 0.5}}'], "--augmentations needs --augment"),
        (["--finetune", '{"epochs": 2, "learning_rate": 0.0001}'], "--finetune is EvoAug's second stage"),
    ]:
        res = run_train_one(tmp_path / "absent.h5", *extra, timeout=60)
        assert res.returncode == 2 and message in res.stderr, res.stderr
