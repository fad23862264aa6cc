import numpy as np

from degu.assays.splits import fraction_key, nested_subsets, read_subset, write_subsets


def test_subsets_are_nested_sized_and_sorted():
    fr = [0.1, 0.25, 0.5, 0.75, 1.0]
    s = nested_subsets(1003, fr, seed=7)
    keys = [fraction_key(f) for f in fr]
    assert keys == ["0.1", "0.25", "0.5", "0.75", "1.0"]
    assert [len(s[k]) for k in keys] == [100, 251, 502, 752, 1003]
    for small, big in zip(keys[:-1], keys[1:], strict=True):
        assert np.isin(s[small], s[big]).all()
    for v in s.values():
        assert np.all(np.diff(v) > 0)
    np.testing.assert_array_equal(s["1.0"], np.arange(1003))


def test_subsets_deterministic_and_seed_dependent(tmp_path):
    a = nested_subsets(500, [0.5], seed=1)["0.5"]
    np.testing.assert_array_equal(a, nested_subsets(500, [0.5], seed=1)["0.5"])
    assert not np.array_equal(a, nested_subsets(500, [0.5], seed=2)["0.5"])
    # adding a fraction to the grid does not change the others
    np.testing.assert_array_equal(a, nested_subsets(500, [0.25, 0.5, 0.9], seed=1)["0.5"])
    write_subsets(tmp_path / "s.h5", 500, [0.5, 1.0], seed=1)
    np.testing.assert_array_equal(read_subset(tmp_path / "s.h5", 0.5), a)
    np.testing.assert_array_equal(read_subset(tmp_path / "s.h5", "0.5"), a)
