"""degu.models.heads.HeadLayout: the one place that knows the head-by-head output layout."""

import numpy as np
import pytest

from degu.models.heads import HeadLayout


def test_split_and_stack_round_trip_on_the_documented_column_order():
    lay = HeadLayout(("mean", "epistemic"), ("Dev", "Hk"))
    # columns: Dev mean, Hk mean, Dev epistemic, Hk epistemic
    out = np.array([[1.0, 2.0, 0.1, 0.2], [3.0, 4.0, 0.3, 0.4]], np.float32)
    parts = lay.split(out)
    np.testing.assert_array_equal(parts["mean"], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(parts["epistemic"], np.float32([[0.1, 0.2], [0.3, 0.4]]))
    np.testing.assert_array_equal(lay.stack(parts), out)
    np.testing.assert_array_equal(lay.stack([parts["mean"], parts["epistemic"]]), out)
    assert lay.width == 4 and lay.columns("epistemic") == slice(2, 4) and "aleatoric" not in lay


def test_profile_layout_splits_the_last_axis():
    lay = HeadLayout(("mean", "aleatoric", "epistemic"), ("ATAC",), length=5)
    out = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
    np.testing.assert_array_equal(lay.head(out, "aleatoric"), out[..., 1:2])
    with pytest.raises(ValueError, match=r"shape \(2, 4, 3\); a profile layout needs \(\.\.\., 5, 3\)"):
        lay.split(out[:, :4])


def test_wrong_width_and_names_are_rejected():
    lay = HeadLayout(("mean", "aleatoric"), ("K562",))
    with pytest.raises(
        ValueError, match=r"outputs have 3 columns; heads \['mean', 'aleatoric'\] x tasks \['K562'\] need 2"
    ):
        lay.split(np.zeros((4, 3)))
    with pytest.raises(KeyError, match="no head 'epistemic'"):
        lay.columns("epistemic")
    with pytest.raises(ValueError, match=r"need heads \['mean', 'aleatoric'\], got \['mean'\]"):
        lay.stack({"mean": np.zeros((2, 1))})
    with pytest.raises(ValueError, match=r"duplicate head name\(s\) \['mean'\]"):
        HeadLayout(("mean", "mean"), ("a",))


def test_per_column_and_dict_round_trip():
    lay = HeadLayout(("mean", "epistemic"), ("a", "b"))
    np.testing.assert_array_equal(lay.per_column({"mean": [1, 2], "epistemic": 0}), [1, 2, 0, 0])
    assert HeadLayout.from_dict(lay.to_dict()) == lay
    assert HeadLayout.blocks(3, 2).width == 6


def test_estimates_decode_every_head_set_the_pipeline_writes():
    from degu.models.heads import estimates, evidential_outputs

    rng = np.random.default_rng(0)
    raw = rng.normal(size=(5, 4)).astype(np.float32)
    student = estimates(raw[:, :3], HeadLayout(("mean", "epistemic", "aleatoric"), ("K562",)))
    assert sorted(student) == ["activity", "aleatoric", "epistemic"]
    np.testing.assert_array_equal(student["epistemic"], raw[:, 1:2])
    het = estimates(raw[:, :2], HeadLayout(("mean", "logvar"), ("K562",)))
    np.testing.assert_allclose(
        het["aleatoric"][:, 0], np.sqrt(np.exp(raw[:, 1].astype(np.float64))), rtol=1e-12
    )
    ev = estimates(raw, HeadLayout(("gamma", "nu", "alpha", "beta"), ("K562",)))
    ref = evidential_outputs(raw)
    np.testing.assert_array_equal(ev["epistemic"][:, 0], ref["epistemic_std"])
    np.testing.assert_array_equal(ev["activity"][:, 0], raw[:, 0])
