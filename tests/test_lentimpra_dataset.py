"""lentiMPRA/table/degu_h5 datasets: pair-aware splits, replicate std, authors' HDF5, archives."""

import io
import json
import tarfile

import h5py
import numpy as np
import pandas as pd
import pytest

from degu.assays.datasets import prepare_dataset
from degu.assays.download import extract_member
from degu.assays.simulate import simulate_lentimpra
from degu.assays.splits import grouped_split
from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.lentimpra import pair_stem, replicate_std


def test_grouped_split_keeps_groups_together_and_sizes():
    rng = np.random.default_rng(0)
    groups = np.repeat([f"g{i}" for i in range(3000)], rng.choice([1, 2], size=3000))
    parts = grouped_split(groups, (0.8, 0.1, 0.1), seed=3)
    all_idx = np.concatenate(list(parts.values()))
    assert np.array_equal(np.sort(all_idx), np.arange(len(groups)))  # a partition
    owner = {}
    for name, idx in parts.items():
        for g in set(groups[idx]):
            assert owner.setdefault(g, name) == name  # no group in two splits
    n = len(groups)
    for name, frac in (("Train", 0.8), ("Val", 0.1), ("Test", 0.1)):
        assert abs(len(parts[name]) - frac * n) <= 2
    again = grouped_split(groups, (0.8, 0.1, 0.1), seed=3)
    assert all(np.array_equal(parts[k], again[k]) for k in parts)
    other = grouped_split(groups, (0.8, 0.1, 0.1), seed=4)
    assert not np.array_equal(parts["Test"], other["Test"])


def test_grouped_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="summing to 1"):
        grouped_split(["a", "b"], (0.5, 0.1, 0.1))


def test_replicate_std_matches_numpy_ddof1_over_available():
    reps = np.array([[1.0, 2.0, 4.0], [1.0, np.nan, 3.0], [np.nan, np.nan, 5.0], [2.0, 2.0, 2.0]])
    std, n = replicate_std(reps, min_replicates=2)
    assert list(n) == [3, 2, 1, 3]
    assert std[0] == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1))
    assert std[1] == pytest.approx(np.std([1.0, 3.0], ddof=1))
    assert np.isnan(std[2])
    assert std[3] == 0.0
    std3, _ = replicate_std(reps, min_replicates=3)
    assert np.isnan(std3[1]) and not np.isnan(std3[0])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    simulate_lentimpra(raw, cell_type="HepG2", n_elements=400, seed=5, table_format="tsv", p_reversed_0=0.05)
    return raw


LENTI = {
    "tasks": ["HepG2"],
    "files": {"sequences": "sequences.tsv", "replicates": "replicates.tsv"},
    "seq_len": 230,
}


def test_prepare_lentimpra_pairs_never_straddle_splits(simulated, tmp_path):
    out = tmp_path / "d.h5"
    sizes = prepare_dataset("lentimpra", simulated, out, aleatoric=True, **LENTI)
    stems = {}
    for split in ("Train", "Val", "Test"):
        ids = hdf5.read_arrays(out, [f"{split}/ids"])[f"{split}/ids"]
        assert len(ids) == sizes[split]
        for name in ids:
            assert stems.setdefault(pair_stem(name), split) == split, name
    assert sum(1 for s in stems.values()) < sum(sizes.values())  # pairs exist


def test_prepare_lentimpra_targets_equal_replicate_mean_and_std(simulated, tmp_path):
    out = tmp_path / "d.h5"
    prepare_dataset("lentimpra", simulated, out, aleatoric=True, **LENTI)
    reps = pd.read_csv(simulated / "replicates.tsv", sep="\t").set_index("name")
    rep_cols = [c for c in reps.columns if c.startswith("replicate")]
    report = json.loads(hdf5.read_attrs(out)["prepare_report"])
    assert report["n_dropped_few_replicates"] > 0  # the simulator writes some single-replicate rows
    data = hdf5.read_split(out, "Test")
    for name, y, a in zip(data.ids, data.y[:, 0], data.aleatoric[:, 0], strict=True):
        key = name.replace("_Reversed_0", "_Reversed")
        values = reps.loc[key, rep_cols].dropna().to_numpy(float)
        assert len(values) >= 2
        assert a == pytest.approx(np.std(values, ddof=1), abs=1e-5)
        assert y == pytest.approx(reps.loc[key, "mean"], abs=1e-5)


def test_activity_only_dataset_keeps_single_replicate_records(simulated, tmp_path):
    a = prepare_dataset("lentimpra", simulated, tmp_path / "a.h5", aleatoric=False, **LENTI)
    b = prepare_dataset("lentimpra", simulated, tmp_path / "b.h5", aleatoric=True, **LENTI)
    assert sum(a.values()) > sum(b.values())
    assert not hdf5.has_aleatoric(tmp_path / "a.h5") and hdf5.has_aleatoric(tmp_path / "b.h5")


def test_generic_table_dataset(tmp_path):
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 20)) for _ in range(50)]
    table = pd.DataFrame(
        {
            "id": [f"e{i // 2}" + ("_Reversed:" if i % 2 else "") for i in range(50)],
            "seq": seqs,
            "act": rng.normal(size=50),
            "r1": rng.normal(size=50),
            "r2": rng.normal(size=50),
        }
    )
    table.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "t.h5"
    sizes = prepare_dataset(
        "table",
        tmp_path,
        out,
        tasks=["act"],
        files={"table": "t.csv"},
        id_column="id",
        sequence_column="seq",
        activity_columns=["act"],
        replicate_columns=["r1", "r2"],
        aleatoric=True,
        seq_len=20,
    )
    assert sum(sizes.values()) == 50
    ids = np.concatenate([hdf5.read_split(out, s).ids for s in ("Train", "Val", "Test")])
    alea = np.concatenate([hdf5.read_split(out, s).aleatoric[:, 0] for s in ("Train", "Val", "Test")])
    expected = table.set_index("id").loc[ids, ["r1", "r2"]].std(axis=1, ddof=1).to_numpy()
    np.testing.assert_allclose(alea, expected, rtol=1e-5)


def _authors_h5(path, n=(8, 2, 2), L=10, y_cols=2, bad=None):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        for split, k in zip(("Train", "Val", "Test"), n, strict=True):
            x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, size=(k, L))]
            y = rng.normal(size=(k, y_cols)).astype(np.float32)
            y[:, 1:] = np.abs(y[:, 1:])  # column 1 is the replicate std
            if bad == "onehot" and split == "Val":
                x[1, 3] = 1
            if bad == "nan" and split == "Test":
                y[1, 0] = np.nan
            f.create_dataset(f"{split}/X", data=x)
            f.create_dataset(f"{split}/y", data=y)


def test_degu_h5_dataset_reads_authors_layout(tmp_path):
    _authors_h5(tmp_path / "a.h5")
    sizes = prepare_dataset(
        "degu_h5",
        tmp_path,
        tmp_path / "d.h5",
        tasks=["K562"],
        files={"h5": "a.h5"},
        aleatoric=True,
        seq_len=10,
    )
    assert sizes == {"Train": 8, "Val": 2, "Test": 2}
    with h5py.File(tmp_path / "a.h5") as f:
        y = f["Val/y"][...]
        x = f["Val/X"][...]
    d = hdf5.read_split(tmp_path / "d.h5", "Val")
    np.testing.assert_array_equal(d.X, x)
    np.testing.assert_array_equal(d.y[:, 0], y[:, 0])
    np.testing.assert_array_equal(d.aleatoric[:, 0], y[:, 1])


@pytest.mark.parametrize(
    ("bad", "kwargs", "message"),
    [
        ("onehot", {}, r"a\.h5 \(Val\): record 1 of X is not one-hot"),
        ("nan", {}, r"a\.h5 \(Test\): record 'Test_1': non-finite activity \(y column 0\) nan \(1 bad value"),
        (None, {"seq_len": 12}, r"a\.h5 \(Train\): X has shape \(8, 10, 4\)"),
        (None, {"h5_columns": {"aleatoric": 5}}, r"y has 2 column\(s\); h5_columns asks for \[0, 5\]"),
    ],
)
def test_degu_h5_bad_input(tmp_path, bad, kwargs, message):
    _authors_h5(tmp_path / "a.h5", bad=bad)
    args = {"tasks": ["K562"], "files": {"h5": "a.h5"}, "aleatoric": True, "seq_len": 10, **kwargs}
    with pytest.raises(DeguInputError, match=message):
        prepare_dataset("degu_h5", tmp_path, tmp_path / "d.h5", **args)
    assert not (tmp_path / "d.h5").exists()


def _tar(path, members: dict):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_extract_member(tmp_path):
    _tar(tmp_path / "data.tar.gz", {"data/a.h5": b"hello", "data/b.h5": b"other"})
    out = extract_member(tmp_path / "data.tar.gz", "data/a.h5", tmp_path / "raw" / "a.h5")
    assert out.read_bytes() == b"hello"
    with pytest.raises(DeguInputError, match=r"no member 'data/c\.h5'; members include \['data/a\.h5'"):
        extract_member(tmp_path / "data.tar.gz", "data/c.h5", tmp_path / "raw" / "c.h5")
    assert not (tmp_path / "raw" / "c.h5").exists()


def test_extract_member_truncated_archive_leaves_nothing(tmp_path):
    _tar(tmp_path / "full.tar.gz", {"data/a.h5": np.random.default_rng(0).bytes(200_000)})
    blob = (tmp_path / "full.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DeguInputError, match="cut.tar.gz: cannot read the archive"):
        extract_member(tmp_path / "cut.tar.gz", "data/a.h5", tmp_path / "raw" / "a.h5")
    raw = tmp_path / "raw"
    assert not raw.exists() or list(raw.iterdir()) == []  # no partial file, no temp file
