"""uncertainty.calibration_split: a Cal split disjoint from Train/Val/Test, carved by whole
forward/reverse pairs, and conformal scales calibrated on it and on Val."""

import json
import math

import h5py
import numpy as np
import pandas as pd
import pytest

from degu.assays.datasets import carve_calibration_split, prepare_dataset
from degu.assays.simulate import simulate_lentimpra
from degu.config import validate_config
from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.lentimpra import pair_stem
from degu.jobs.calibration import CALIBRATION_COLUMNS, CALIBRATION_VAL_COLUMNS, calibration_job

LENTI = {
    "tasks": ["HepG2"],
    "files": {"sequences": "sequences.tsv", "replicates": "replicates.tsv"},
    "seq_len": 230,
    "aleatoric": True,
}


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    d = tmp_path_factory.mktemp("raw")
    simulate_lentimpra(d, cell_type="HepG2", n_elements=600, seed=5, table_format="tsv", p_reversed_0=0.05)
    return d


@pytest.fixture(scope="module")
def plain(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("plain") / "d.h5"
    prepare_dataset("lentimpra", raw, out, **LENTI)
    return out


def ids_of(path, split):
    return hdf5.read_arrays(path, [f"{split}/ids"])[f"{split}/ids"]


def structure(path):
    """Every dataset's name, shape and dtype, and the attributes, of an HDF5 file."""
    items = {}
    with h5py.File(path) as f:
        f.visititems(
            lambda n, o: items.__setitem__(n, (o.shape, o.dtype)) if isinstance(o, h5py.Dataset) else None
        )
        return items, dict(f.attrs)


@pytest.mark.parametrize("source, pool", [("val", "Val"), ("train", "Train")])
def test_carve_is_pair_aware_disjoint_sized_and_deterministic(raw, plain, tmp_path, source, pool):
    cal = {"source": source, "fraction": 0.4, "seed": 3, "alpha": 0.05}
    out, again = tmp_path / "a.h5", tmp_path / "b.h5"
    sizes = prepare_dataset("lentimpra", raw, out, calibration_split=cal, **LENTI)
    prepare_dataset("lentimpra", raw, again, calibration_split=cal, **LENTI)
    assert list(sizes) == ["Train", "Val", "Test", "Cal"]
    owner = {}
    for split in sizes:
        ids = ids_of(out, split)
        assert len(ids) == sizes[split] and hdf5.read_split(out, split).aleatoric.shape == (len(ids), 1)
        for name in ids:
            assert owner.setdefault(pair_stem(name), split) == split, name  # no pair straddles
        np.testing.assert_array_equal(ids, ids_of(again, split))  # same seed, same carve
    # Cal and the rest of the pool are a partition of the pool; the other splits are untouched
    before = ids_of(plain, pool)
    assert sorted(np.concatenate([ids_of(out, pool), ids_of(out, "Cal")])) == sorted(before)
    for split in {"Train", "Val", "Test"} - {pool}:
        np.testing.assert_array_equal(ids_of(out, split), ids_of(plain, split))
    # about fraction of the pool's records, up to one pair
    assert abs(sizes["Cal"] - 0.4 * len(before)) <= 2
    # rows stay aligned: X, y, aleatoric of a Cal record are those it had in the pool
    old, new = hdf5.read_split(plain, pool), hdf5.read_split(out, "Cal")
    where = {name: i for i, name in enumerate(old.ids)}
    rows = [where[n] for n in new.ids]
    np.testing.assert_array_equal(new.X, old.X[rows])
    np.testing.assert_array_equal(new.y, old.y[rows])
    np.testing.assert_array_equal(new.aleatoric, old.aleatoric[rows])
    meta = json.loads(hdf5.read_attrs(out)["calibration_split"])
    assert meta == {"source": source, "fraction": 0.4, "seed": 3, "n": sizes["Cal"]}
    assert hdf5.read_attrs(out)["prepare_report"] == hdf5.read_attrs(plain)["prepare_report"]
    other = tmp_path / "c.h5"
    prepare_dataset("lentimpra", raw, other, calibration_split={**cal, "seed": 4}, **LENTI)
    assert set(ids_of(other, "Cal")) != set(ids_of(out, "Cal"))


def test_source_none_leaves_the_dataset_unchanged(raw, plain, tmp_path):
    out = tmp_path / "n.h5"
    sizes = prepare_dataset(
        "lentimpra", raw, out, calibration_split={"source": "none", "fraction": 0.5, "seed": 0}, **LENTI
    )
    assert list(sizes) == ["Train", "Val", "Test"] and not hdf5.has_split(out, "Cal")
    assert structure(out) == structure(plain)
    for split in hdf5.SPLITS:
        np.testing.assert_array_equal(ids_of(out, split), ids_of(plain, split))


def test_too_small_calibration_split_names_the_key(raw, tmp_path):
    out = tmp_path / "s.h5"
    prepare_dataset("lentimpra", raw, out, **LENTI)
    n_val = hdf5.split_size(out, "Val")
    # alpha = 0.001 needs 999 calibration records: far more than the validation split has
    with pytest.raises(DeguInputError, match=r"uncertainty\.calibration_split.*at least 999") as exc:
        carve_calibration_split(out, source="val", fraction=0.5, alpha=0.001)
    assert "\n" not in str(exc.value)
    assert hdf5.split_size(out, "Val") == n_val and not hdf5.has_split(out, "Cal")  # file untouched
    with pytest.raises(DeguInputError, match=r"uncertainty\.calibration_split\.fraction"):
        carve_calibration_split(out, source="val", fraction=1.0)
    carve_calibration_split(out, source="val", fraction=0.5)
    with pytest.raises(DeguInputError, match="already has a 'Cal' split"):
        carve_calibration_split(out, source="train", fraction=0.5)


@pytest.mark.parametrize(
    "value, message",
    [
        ({"source": "val", "fraction": 1.0}, "key 'uncertainty.calibration_split.fraction'"),
        ({"source": "val", "fraction": 0}, "key 'uncertainty.calibration_split.fraction'"),
        ({"source": "test"}, "key 'uncertainty.calibration_split.source'"),
        ({"source": "val", "frac": 0.5}, "key 'uncertainty.calibration_split.frac': unknown key"),
    ],
)
def test_config_errors_name_the_key(repo, value, message):
    import yaml

    cfg = yaml.safe_load((repo / "config" / "test.yaml").read_text())
    cfg["uncertainty"]["calibration_split"] = value
    with pytest.raises(DeguInputError, match=message):
        validate_config(cfg, repo / "workflow" / "schemas" / "config.schema.yaml")


def test_config_default_is_none(repo):
    import yaml

    cfg = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    validate_config(cfg, repo / "workflow" / "schemas" / "config.schema.yaml")
    assert cfg["uncertainty"]["calibration_split"] == {"source": "none", "fraction": 0.5, "seed": 0}


# ------------------------------------------------------------------ calibration on Cal vs Val


def _numpy_conformal(y_cal, mu_cal, s_cal, y_test, mu_test, s_test, alpha=0.05):
    scores = np.sort(np.abs(y_cal - mu_cal) / s_cal)
    lam = scores[math.ceil((len(scores) + 1) * (1 - alpha)) - 1]
    return lam, np.mean(np.abs(y_test - mu_test) <= lam * s_test), np.mean(2 * lam * s_test)


@pytest.fixture()
def synthetic(tmp_path):
    """A dataset with Val/Test/Cal targets and, without Cal, the same Val/Test; a distilled
    model's predictions [mean, epistemic] and an ensemble labels file on every split."""
    rng = np.random.default_rng(0)
    n = {"Train": 5, "Val": 60, "Test": 80, "Cal": 50}
    splits, preds, ens = {}, {}, {}
    for name, k in n.items():
        y = rng.normal(size=(k, 1)).astype(np.float32)
        sd = rng.uniform(0.2, 1.0, size=(k, 1))
        mu = y + rng.normal(size=(k, 1)) * sd * 1.5
        x = np.zeros((k, 10, 4), np.uint8)
        splits[name] = hdf5.Split(x, y, np.array([f"{name}{i}" for i in range(k)], dtype=object))
        preds[f"{name}/pred"] = np.concatenate([mu, sd], 1).astype(np.float32)
        ens[f"{name}/mean"], ens[f"{name}/std"] = mu.astype(np.float32), (0.7 * sd).astype(np.float32)
    with_cal, without = tmp_path / "cal.h5", tmp_path / "nocal.h5"
    hdf5.write_dataset(with_cal, splits, ["t"], n_policy="zeros")
    hdf5.write_dataset(without, {k: v for k, v in splits.items() if k != "Cal"}, ["t"], n_policy="zeros")
    hdf5.write_arrays(tmp_path / "pred.h5", preds, attrs={"heads": json.dumps(["mean", "epistemic"])})
    hdf5.write_arrays(tmp_path / "ens.h5", ens)
    models = [
        {"method": "distilled", "seed": 1, "path": str(tmp_path / "pred.h5")},
        {"method": "ensemble", "seed": None, "path": str(tmp_path / "ens.h5")},
    ]
    return tmp_path, with_cal, without, splits, preds, ens, models


def test_conformal_on_cal_and_on_val_match_numpy(synthetic):
    tmp, with_cal, without, splits, preds, ens, models = synthetic
    table = calibration_job(dataset="d", dataset_h5=with_cal, models=models, out_csv=tmp / "c.csv")
    assert list(table.columns) == CALIBRATION_COLUMNS + CALIBRATION_VAL_COLUMNS
    assert list(pd.read_csv(tmp / "c.csv").columns) == list(table.columns)
    y = {k: s.y[:, 0].astype(float) for k, s in splits.items()}
    for method, mu, sd in (
        ("distilled", lambda s: preds[f"{s}/pred"][:, 0], lambda s: preds[f"{s}/pred"][:, 1]),
        ("ensemble", lambda s: ens[f"{s}/mean"][:, 0], lambda s: ens[f"{s}/std"][:, 0]),
    ):
        row = table.query(f"method == '{method}' and kind == 'epistemic'").iloc[0]
        test = (y["Test"], mu("Test").astype(float), sd("Test").astype(float))
        for split, suffix in (("Cal", ""), ("Val", "_val")):
            lam, cov, width = _numpy_conformal(
                y[split], mu(split).astype(float), sd(split).astype(float), *test
            )
            assert row[f"conformal_scale{suffix}"] == pytest.approx(lam, rel=1e-9)
            assert row[f"coverage_conformal{suffix}"] == pytest.approx(cov, abs=1e-12)
            assert row[f"interval_width_conformal{suffix}"] == pytest.approx(width, rel=1e-6)
        assert (row["n_cal"], row["n_val"], row["n_test"]) == (50, 60, 80)
        assert row["conformal_scale"] != row["conformal_scale_val"]
        assert row["coverage"] == pytest.approx(np.mean(np.abs(test[0] - test[1]) <= 1.959964 * test[2]))


def test_without_cal_the_output_keeps_its_columns_and_val_calibration(synthetic):
    tmp, with_cal, without, splits, preds, ens, models = synthetic
    old = calibration_job(dataset="d", dataset_h5=without, models=models, out_csv=tmp / "o.csv")
    assert list(old.columns) == CALIBRATION_COLUMNS
    assert list(pd.read_csv(tmp / "o.csv").columns) == CALIBRATION_COLUMNS
    assert set(old["n_cal"]) == {60}  # the validation split calibrates, as before
    new = calibration_job(dataset="d", dataset_h5=with_cal, models=models, out_csv=tmp / "n.csv")
    # the *_val columns of a Cal run are exactly the Val-calibrated values of a run without Cal
    for col in ("conformal_scale", "coverage_conformal", "interval_width_conformal"):
        np.testing.assert_array_equal(new[f"{col}_val"].to_numpy(), old[col].to_numpy())
    for col in ("coverage", "interval_width", "pearson"):
        np.testing.assert_array_equal(new[col].to_numpy(), old[col].to_numpy())


def test_model_without_cal_predictions_is_an_error(synthetic):
    tmp, with_cal, without, splits, preds, ens, models = synthetic
    hdf5.write_arrays(
        tmp / "old.h5",
        {k: v for k, v in preds.items() if not k.startswith("Cal/")},
        attrs={"heads": json.dumps(["mean", "epistemic"])},
    )
    stale = [{"method": "distilled", "seed": 1, "path": str(tmp / "old.h5")}]
    with pytest.raises(DeguInputError, match="no Cal predictions"):
        calibration_job(dataset="d", dataset_h5=with_cal, models=stale, out_csv=tmp / "x.csv")


# ------------------------------------------------------ prediction jobs write Cal (tiny models)


def test_prediction_jobs_write_cal(tmp_path):
    """A tiny DeepSTARR-shaped teacher on a few dozen sequences: train_model_job,
    ensemble_labels_job and mc_dropout_job predict the Cal split too."""
    from degu.assays.datasets import prepare_starrseq
    from degu.assays.simulate import simulate_starrseq
    from degu.assays.splits import write_subsets
    from degu.jobs.baselines import mc_dropout_job
    from degu.jobs.labels import ensemble_labels_job
    from degu.jobs.train import train_model_job

    simulate_starrseq(tmp_path / "raw", n_train=48, n_val=40, n_test=24, seed=1)
    ds = tmp_path / "ds.h5"
    prepare_starrseq(
        tmp_path / "raw",
        ds,
        tasks=["Dev", "Hk"],
        activity_columns=["Dev_log2_enrichment", "Hk_log2_enrichment"],
    )
    sizes = carve_calibration_split(ds, source="val", fraction=0.5, seed=0)
    assert sizes["Val"] + sizes["Cal"] == 40 and sizes["Cal"] >= 19
    write_subsets(tmp_path / "sub.h5", 48, [1.0], seed=0)
    train_model_job(
        role="teacher",
        dataset_h5=ds,
        subsets_h5=tmp_path / "sub.h5",
        fraction=1.0,
        seed=0,
        architecture="deepstarr",
        model_params={"conv_filters": [4, 4, 4, 4], "dense_units": [4, 4]},
        training={"max_epochs": 1, "batch_size": 48},
        threads=1,
        out_model=tmp_path / "m.keras",
        out_history=tmp_path / "h.csv",
        out_predictions=tmp_path / "p.h5",
    )
    pred = hdf5.read_arrays(tmp_path / "p.h5")
    assert pred["Cal/pred"].shape == (sizes["Cal"], 2) and pred["Val/pred"].shape == (sizes["Val"], 2)
    ensemble_labels_job(
        dataset_h5=ds,
        subsets_h5=tmp_path / "sub.h5",
        fraction=1.0,
        teacher_models=[tmp_path / "m.keras"] * 2,  # two (identical) members
        out_h5=tmp_path / "ens.h5",
        threads=1,
    )
    labels = hdf5.read_arrays(tmp_path / "ens.h5")
    assert labels["Cal/mean"].shape == labels["Cal/std"].shape == (sizes["Cal"], 2)
    np.testing.assert_allclose(labels["Cal/mean"], pred["Cal/pred"], rtol=1e-5, atol=1e-6)
    mc_dropout_job(
        dataset_h5=ds, model_path=tmp_path / "m.keras", out_h5=tmp_path / "mc.h5", passes=2, threads=1
    )
    mc = hdf5.read_arrays(tmp_path / "mc.h5")
    assert mc["Cal/mean"].shape == mc["Cal/std"].shape == (sizes["Cal"], 2)


def test_carve_keeps_pairs_found_only_by_sequence_together(tmp_path):
    """Records named without a reverse suffix but whose sequences are reverse complements are
    one pair for the main split (degu.assays.pairs) and so for the Cal carve as well."""
    from degu.io.encoding import reverse_complement

    rng = np.random.default_rng(0)
    rows = []
    for i in range(150):
        core = "".join(rng.choice(list("ACGT"), 40))
        rows.append((f"e{i}", core, float(rng.normal())))
        rows.append((f"e{i}_rc", reverse_complement(core), float(rng.normal())))  # not matched by name
    table = tmp_path / "t.tsv"
    pd.DataFrame(rows, columns=["id", "seq", "y"]).to_csv(table, sep="\t", index=False)
    out = tmp_path / "d.h5"
    prepare_dataset(
        "table",
        tmp_path,
        out,
        tasks=["a"],
        files={"table": "t.tsv"},
        id_column="id",
        sequence_column="seq",
        activity_columns=["y"],
        seq_len=40,
        reverse_pattern="_Reversed$",
        calibration_split={"source": "val", "fraction": 0.5, "seed": 1, "alpha": 0.1},
    )
    owner = {}
    for split in ("Train", "Val", "Test", "Cal"):
        for name in ids_of(out, split):
            assert owner.setdefault(name.removesuffix("_rc"), split) == split, name
    assert len(ids_of(out, "Cal")) >= 9
