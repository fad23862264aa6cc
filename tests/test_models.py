import numpy as np
import pytest

from degu.models import build_model, load_model
from degu.training import save_model


def test_deepstarr_parameter_count_matches_paper():
    assert build_model("deepstarr", 249, 2).count_params() == 624_738


@pytest.mark.parametrize("n_out", [2, 4])
def test_deepstarr_shapes(n_out):
    m = build_model("deepstarr", 249, n_out)
    assert m.input_shape == (None, 249, 4)
    assert m.output_shape == (None, n_out)
    assert m.predict(np.zeros((3, 249, 4), np.float32), verbose=0).shape == (3, n_out)


def test_deepstarr_layer_structure_from_methods():
    m = build_model("deepstarr", 249, 2)
    convs = [layer for layer in m.layers if layer.__class__.__name__ == "Conv1D"]
    assert [(c.filters, c.kernel_size[0]) for c in convs] == [(256, 7), (60, 3), (60, 5), (120, 3)]
    dense = [layer for layer in m.layers if layer.__class__.__name__ == "Dense"]
    assert [d.units for d in dense] == [256, 256, 2]
    drops = [layer.rate for layer in m.layers if layer.__class__.__name__ == "Dropout"]
    assert drops == [0.4, 0.4]
    pools = [layer.pool_size[0] for layer in m.layers if layer.__class__.__name__ == "MaxPooling1D"]
    assert pools == [2, 2, 2, 2]
    bns = [layer.momentum for layer in m.layers if layer.__class__.__name__ == "BatchNormalization"]
    assert bns == [0.99] * 6
    assert m.get_layer("output").activation.__name__ == "linear"


def test_student_differs_only_in_output_layer():
    teacher, student = build_model("deepstarr", 249, 2), build_model("deepstarr", 249, 4)
    assert student.count_params() - teacher.count_params() == 2 * 257


def test_config_overrides_and_unknown_params():
    m = build_model("deepstarr", 249, 2, {"conv_filters": [8, 8, 8, 8], "dense_units": [16, 16]})
    assert m.count_params() < 50_000
    with pytest.raises(ValueError, match=r"unknown DeepSTARR parameter\(s\): \['filters'\]"):
        build_model("deepstarr", 249, 2, {"filters": 3})
    with pytest.raises(ValueError, match="unknown architecture 'nope'"):
        build_model("nope", 249, 2)


def test_keras_roundtrip_in_safe_mode(tmp_path):
    m = build_model("deepstarr", 249, 4, {"conv_filters": [8, 8, 8, 8], "dense_units": [8, 8]})
    x = np.random.default_rng(0).random((5, 249, 4)).astype(np.float32)
    save_model(m, tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(m.predict(x, verbose=0), again.predict(x, verbose=0))
