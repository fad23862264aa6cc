"""CNN-task-base (degu.models.architectures.build_cnn_task_base): parameter count against a count
by hand from GOPHER's layer list, output shape and layout, one independent head per column."""

from __future__ import annotations

import numpy as np
import pytest

from degu.models.heads import PROFILE_STUDENT_HEADS, PROFILE_TEACHER_HEADS, profile_layout


def conv(k, c_in, c_out):
    return k * c_in * c_out + c_out  # kernel + bias


def dense(n_in, n_out):
    return n_in * n_out + n_out


def bn(c):
    return 4 * c  # gamma, beta, moving mean, moving variance


def hand_count(
    length,
    n_outputs,
    *,
    f=(192, 256, 512),
    k=(19, 7, 7),
    pools=(8, 4, 4),
    units=256,
    bottleneck=8,
    profile=256,
    head=64,
):
    """Parameters of the ANALYSIS-NOTES layer list, layer by layer (paper widths by default)."""
    total, c_in, positions = 0, 4, length
    for filters, kernel, pool in zip(f, k, pools, strict=True):
        total += conv(kernel, c_in, filters) + bn(filters)
        c_in, positions = filters, positions // pool  # 'valid' max-pool
    total += dense(positions * c_in, units) + bn(units)  # Flatten -> Dense 256
    total += dense(units, length * bottleneck) + bn(length * bottleneck)  # Dense(L * 8), reshaped
    total += conv(7, bottleneck, profile) + bn(profile)  # Conv1D 256 k7
    per_output = conv(7, profile, head) + bn(head) + dense(head, 1)  # Conv1D 64 k7 -> Dense(1)
    return total + n_outputs * per_output


def test_hand_count_arithmetic():
    # written out for 2048 bp: conv blocks 14,784 + 768, 344,320 + 1,024, 918,016 + 2,048;
    # 2048 / 8 / 4 / 4 = 16 positions x 512 = 8,192 features: dense 2,097,408 + 1,024;
    # bottleneck 256 x 16,384 + 16,384 = 4,210,688 + 65,536; conv 14,592 + 1,024;
    # each head 114,752 + 256 + 65 = 115,073
    trunk = (
        14_784
        + 768
        + 344_320
        + 1_024
        + 918_016
        + 2_048
        + 2_097_408
        + 1_024
        + 4_210_688
        + 65_536
        + 14_592
        + 1_024
    )
    assert trunk == 7_671_232
    assert hand_count(2048, 0) == trunk
    assert hand_count(2048, 2) == trunk + 2 * 115_073 == 7_901_378
    assert hand_count(2048, 3) == 8_016_451


@pytest.mark.parametrize("n_outputs", [2, 3])
def test_paper_model_parameter_count_and_shape(n_outputs):
    from degu.models import build_model

    model = build_model("cnn_task_base", 2048, n_outputs)
    assert model.count_params() == hand_count(2048, n_outputs)
    assert model.input_shape == (None, 2048, 4)
    assert model.output_shape == (None, 2048, n_outputs)


def test_small_model_output_shape_layout_and_softplus():
    from degu.models import build_model

    params = {"conv_filters": [8, 8, 8], "dense_units": 16, "profile_filters": 8, "head_filters": 4}
    model = build_model("cnn_task_base", 256, 3, params, name="student")
    assert model.count_params() == hand_count(256, 3, f=(8, 8, 8), units=16, profile=8, head=4)
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, size=(5, 256))]
    y = np.asarray(model(x, training=False))
    assert y.shape == (5, 256, 3)
    assert (y > 0).all()  # softplus
    layout = profile_layout("student", ["A549"], 256)
    layout.check(y)
    assert layout.heads == PROFILE_STUDENT_HEADS == ("mean", "aleatoric", "epistemic")
    np.testing.assert_array_equal(layout.head(y, "epistemic")[..., 0], y[..., 2])
    teacher = profile_layout("teacher", ["A549"], 2048)
    assert teacher.heads == PROFILE_TEACHER_HEADS == ("mean", "aleatoric") and teacher.width == 2
    with pytest.raises(ValueError, match="profile role must be 'teacher' or 'student'"):
        profile_layout("ensemble", ["A549"], 2048)


def test_each_column_has_its_own_head():
    from degu.models import build_model

    params = {"conv_filters": [8, 8, 8], "dense_units": 16, "profile_filters": 8, "head_filters": 4}
    model = build_model("cnn_task_base", 128, 3, params)
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, size=(2, 128))]
    before = np.asarray(model(x, training=False))
    dense1 = model.get_layer("head1_output")
    kernel, bias = dense1.get_weights()
    dense1.set_weights([kernel, bias + 50.0])
    after = np.asarray(model(x, training=False))
    np.testing.assert_array_equal(after[..., [0, 2]], before[..., [0, 2]])
    assert (after[..., 1] > before[..., 1] + 20).all()  # softplus(z + 50) - softplus(z) > 20 unless z < -30


def test_output_length_and_bad_parameters():
    from degu.models import build_model

    small = {"conv_filters": [4, 4, 4], "dense_units": 8, "profile_filters": 4, "head_filters": 4}
    m = build_model("cnn_task_base", 256, 1, {**small, "output_length": 64})
    assert m.output_shape == (None, 64, 1)
    with pytest.raises(ValueError, match="unknown CNN-task-base parameter"):
        build_model("cnn_task_base", 2048, 2, {"filters": 8})
    with pytest.raises(ValueError, match="input_length 100 is shorter than the product of the pool sizes"):
        build_model("cnn_task_base", 100, 2)
    with pytest.raises(ValueError, match="must be non-empty and equally long"):
        build_model("cnn_task_base", 2048, 2, {"pool_sizes": [8, 4]})
