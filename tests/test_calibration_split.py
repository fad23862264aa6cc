"""uncertainty.calibration_split: a Cal split disjoint from Train/Val/Test, carved by whole
forward/reverse pairs, and conformal scales calibrated on it and on Val."""

import json

import h5py
import numpy as np
import pytest

from degu.config import validate_config
from degu.datasets import carve_calibration_split, prepare_dataset
from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.lentimpra import pair_stem
from degu.simulate import simulate_lentimpra

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
