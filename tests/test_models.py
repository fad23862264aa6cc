import numpy as np
import pytest

from degu.models import build_model, load_model
from degu.models.training import save_model


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


@pytest.mark.parametrize("n_out,expected", [(1, 1_083_417), (2, 1_083_674), (3, 1_083_931)])
def test_residualbind_parameter_counts(n_out, expected):
    # 1,083,931 is the measured count of the authors' 3-output model on 230-nt input
    assert build_model("residualbind", 230, n_out).count_params() == expected


def test_residualbind_six_conv_reading_is_not_the_authors_model():
    # the Methods' literal list (an undilated conv, then dilations 1..16) would add one conv+BN
    six = build_model("residualbind", 230, 3, {"dilations": [1, 1, 2, 4, 8, 16]})
    assert six.count_params() == 1_083_931 + (196 * 3 * 196 + 196) + 4 * 196 == 1_200_159


def test_residualbind_layer_structure_from_methods():
    m = build_model("residualbind", 230, 1)
    convs = [layer for layer in m.layers if layer.__class__.__name__ == "Conv1D"]
    assert [(c.filters, c.kernel_size[0], c.dilation_rate[0], c.padding) for c in convs] == [
        (196, 19, 1, "same"),
        (196, 3, 1, "same"),
        (196, 3, 2, "same"),
        (196, 3, 4, "same"),
        (196, 3, 8, "same"),
        (196, 3, 16, "same"),
        (256, 7, 1, "same"),
    ]
    acts = [layer.activation.__name__ for layer in m.layers if layer.__class__.__name__ == "Activation"]
    assert acts == ["silu"] + ["relu"] * 5 + ["silu"] * 4
    drops = [layer.rate for layer in m.layers if layer.__class__.__name__ == "Dropout"]
    assert drops == [0.2] + [0.1] * 5 + [0.2, 0.2, 0.5, 0.5]
    pools = [layer.pool_size[0] for layer in m.layers if layer.__class__.__name__ == "MaxPooling1D"]
    assert pools == [5, 5]
    dense = [layer.units for layer in m.layers if layer.__class__.__name__ == "Dense"]
    assert dense == [256, 256, 1]
    bns = [layer.momentum for layer in m.layers if layer.__class__.__name__ == "BatchNormalization"]
    assert bns == [0.99] * 9
    # the skip connection adds the block input (first conv's dropout output) to the last residual conv
    add = m.get_layer("res_add")
    assert [t.name for t in add.input] == [
        m.get_layer("conv1_dropout").output.name,
        m.get_layer("res5_dropout").output.name,
    ]
    assert m.get_layer("dense1").output.shape == (None, 9, 256)  # dense applied per position
    assert m.get_layer("output").activation.__name__ == "linear"


@pytest.mark.parametrize("length,pooled", [(230, (46, 9)), (300, (60, 12))])
def test_residualbind_shapes(length, pooled):
    m = build_model("residualbind", length, 3, {"filters": 8, "conv2_filters": 8, "dense_units": 8})
    assert m.input_shape == (None, length, 4) and m.output_shape == (None, 3)
    assert (m.get_layer("res_pool").output.shape[1], m.get_layer("conv2_pool").output.shape[1]) == pooled
    assert m.predict(np.zeros((2, length, 4), np.float32), verbose=0).shape == (2, 3)


def test_residualbind_params_and_errors():
    m = build_model("residualbind", 230, 1, {"filters": 32, "conv2_filters": 32, "dense_units": 32})
    assert m.count_params() < 40_000
    with pytest.raises(ValueError, match=r"unknown ResidualBind parameter\(s\): \['conv_filters'\]"):
        build_model("residualbind", 230, 1, {"conv_filters": [8]})
    with pytest.raises(ValueError, match="too short"):
        build_model("residualbind", 24, 1)
    with pytest.raises(ValueError, match="dilations"):
        build_model("residualbind", 230, 1, {"dilations": []})


def test_residualbind_keras_roundtrip_in_safe_mode(tmp_path):
    m = build_model("residualbind", 60, 2, {"filters": 8, "conv2_filters": 8, "dense_units": 8})
    x = np.random.default_rng(0).random((5, 60, 4)).astype(np.float32)
    save_model(m, tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(m.predict(x, verbose=0), again.predict(x, verbose=0))
