import numpy as np
import pytest

from degu.io.atomic import atomic_path
from degu.io.hdf5 import read_arrays, write_arrays


def test_success_renames_onto_target(tmp_path):
    target = tmp_path / "sub" / "out.h5"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.endswith(".tmp.h5") and tmp != target
        tmp.write_text("x")
    assert target.read_text() == "x"
    assert [p.name for p in target.parent.iterdir()] == ["out.h5"]


def test_failure_leaves_neither_target_nor_temp(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_an_existing_target_untouched(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new, partial")
        raise RuntimeError("boom")
    assert target.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_hdf5_writer_failing_midway_leaves_nothing(tmp_path):
    target = tmp_path / "arrays.h5"
    with pytest.raises(TypeError):
        # the first array is written, the second cannot be stored in HDF5
        write_arrays(target, {"a": np.arange(3), "b": np.array([object(), object()], dtype=object)})
    assert list(tmp_path.iterdir()) == []
    write_arrays(target, {"a/x": np.arange(3), "s": np.array(["u", "v"])})
    got = read_arrays(target)
    np.testing.assert_array_equal(got["a/x"], [0, 1, 2])
    assert list(got["s"]) == ["u", "v"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_output_gets_the_mode_of_a_normal_file(tmp_path, umask):
    """mkstemp's temporary file is 0600; the output must not keep that private mode."""
    import os
    import stat

    from degu.io.atomic import current_umask

    old = os.umask(umask)
    try:
        assert current_umask() == umask
        write_arrays(tmp_path / "a.h5", {"a": np.arange(3)})
        with atomic_path(tmp_path / "b.csv") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    for name in ("a.h5", "b.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask
