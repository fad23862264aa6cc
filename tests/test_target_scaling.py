"""Issue 10: standardized student targets and correlation intervals (training health:
test_jobs_health.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from degu.models import load_model
from degu.uq.distill import EnsembleLabeller, TargetScaling
from degu.uq.ensemble import ensemble_stats, predict_members
from degu.uq.metrics import correlation_ci


def test_scaling_by_hand_two_tasks_three_heads():
    # columns [mean_1, mean_2, epi_1, epi_2, alea_1, alea_2]
    y = np.array([[1.0, 10.0, 0.2, 2.0, 0.4, 4.0], [3.0, 30.0, 0.6, 6.0, 0.8, 8.0]])
    sc = TargetScaling.fit(y, ["mean", "epistemic", "aleatoric"])
    np.testing.assert_allclose(sc.mean, [2.0, 20.0])
    np.testing.assert_allclose(sc.scale, [1.0, 10.0])  # population sd of each activity column
    z = sc.transform(y)
    np.testing.assert_allclose(z, [[-1, -1, 0.2, 0.2, 0.4, 0.4], [1, 1, 0.6, 0.6, 0.8, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(sc.inverse(z), y, rtol=1e-6)


def test_scaling_rejects_unknown_heads_and_constant_targets_get_unit_scale():
    with pytest.raises(ValueError, match="heads"):
        TargetScaling(["logvar"], [0.0], [1.0])
    sc = TargetScaling.fit(np.ones((5, 2)), ["mean", "epistemic"])
    assert sc.scale.tolist() == [1.0]


def test_attached_model_predicts_in_activity_units_and_reloads_in_safe_mode(tmp_path):
    keras.utils.set_random_seed(0)
    inp = keras.Input((20, 4))
    net = keras.Model(inp, keras.layers.Dense(4)(keras.layers.Flatten()(inp)), name="net")
    sc = TargetScaling(["mean", "epistemic"], [1.5, -2.0], [0.1, 3.0])
    x = np.random.default_rng(0).random((7, 20, 4)).astype(np.float32)
    z = net.predict(x, verbose=0)
    full = sc.attach(net)
    np.testing.assert_allclose(full.predict(x, verbose=0), sc.inverse(z), rtol=1e-5, atol=1e-6)
    full.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")  # safe mode: the layer is a registered class
    np.testing.assert_allclose(again.predict(x, verbose=0), sc.inverse(z), rtol=1e-5, atol=1e-6)


def test_dynamic_labels_are_standardized_like_the_static_ones():
    def small(n_out, seed):
        keras.utils.set_random_seed(seed)
        inp = keras.Input((30, 4))
        return keras.Model(inp, keras.layers.Dense(n_out)(keras.layers.Flatten()(inp)))

    teachers = [small(2, s) for s in (1, 2, 3)]  # 1 task: [activity, aleatoric]
    sc = TargetScaling(["mean", "epistemic", "aleatoric"], [0.3], [0.05])
    x = np.random.default_rng(1).random((9, 30, 4)).astype(np.float32)
    got = EnsembleLabeller(teachers, 1, aleatoric=True, scaling=sc)(tf.constant(x)).numpy()
    members = predict_members(teachers, x)
    mean, std = ensemble_stats(members[..., :1])
    raw = np.concatenate([mean, std, members[..., 1:].mean(0)], 1)
    np.testing.assert_allclose(got, sc.transform(raw), rtol=1e-4, atol=1e-4)


def test_correlation_interval_is_a_back_transformed_fisher_t_interval():
    r = np.array([0.9, 0.95, 0.7])
    m, lo, hi = correlation_ci(r)
    z = np.arctanh(r)
    half = stats.t.ppf(0.975, 2) * z.std(ddof=1) / np.sqrt(3)
    assert m == pytest.approx(r.mean())
    assert lo == pytest.approx(np.tanh(z.mean() - half)) and hi == pytest.approx(np.tanh(z.mean() + half))
    # the case of the issue: a plain t-interval over [0.168, 0.068, 0.417] leaves [-1, 1]; this one cannot
    m, lo, hi = correlation_ci([0.168, 0.068, 0.417])
    assert -1 < lo < m < hi < 1
    assert correlation_ci([0.4]) == (0.4, 0.4, 0.4)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        correlation_ci([0.2, 1.5])


def _bn_net(seed=0, length=24):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((length, 4))
    h = keras.layers.Conv1D(6, 5, name="conv")(inp)
    h = keras.layers.BatchNormalization(momentum=0.9, name="bn1")(h)
    h = keras.layers.Activation("relu")(h)
    h = keras.layers.Dropout(0.3, name="drop")(h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    h = keras.layers.Dense(5, name="dense")(h)
    h = keras.layers.BatchNormalization(momentum=0.9, name="bn2")(h)
    return keras.Model(inp, keras.layers.Dense(1, name="out")(h))


def test_precise_batchnorm_sets_the_population_statistics_under_current_weights():
    from degu.models.training import precise_batchnorm

    net = _bn_net()
    x = np.random.default_rng(0).random((200, 24, 4)).astype(np.float32)
    assert precise_batchnorm(net, x, batch_size=500) == 2  # one batch: exact population statistics
    for name in ("bn1", "bn2"):
        bn = net.get_layer(name)
        # the layer's input in inference mode, i.e. with the already recomputed upstream BN
        feat = keras.Model(net.inputs, bn.input).predict(x, verbose=0).reshape(-1, bn.moving_mean.shape[0])
        np.testing.assert_allclose(np.asarray(bn.moving_mean), feat.mean(0), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(bn.moving_variance), feat.var(0), rtol=1e-3, atol=1e-5)
        assert bn.momentum == 0.9  # restored
    assert net.get_layer("drop").rate == 0.3


def test_precise_bn_runs_before_each_validation_pass():
    from degu.models.training import TrainConfig, fit, precise_batchnorm

    net = _bn_net(1)
    rng = np.random.default_rng(1)
    x, y = rng.random((64, 24, 4)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    xv, yv = rng.random((32, 24, 4)).astype(np.float32), rng.normal(size=(32, 1)).astype(np.float32)
    cfg = TrainConfig(learning_rate=0.05, batch_size=16, max_epochs=1, precise_bn=64)
    hist = fit(net, x, y, xv, yv, cfg, verbose=0)
    # the recorded validation loss is that of the model with recomputed statistics
    np.testing.assert_allclose(
        hist["val_loss"].iloc[0], np.mean((net.predict(xv, verbose=0) - yv) ** 2), rtol=1e-5
    )
    before = [np.asarray(w).copy() for w in net.get_layer("bn2").weights]
    precise_batchnorm(net, x)  # the same subset (all 64): nothing changes
    for a, b in zip(before, net.get_layer("bn2").weights, strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6)


def test_weight_decay_selects_adamw():
    from degu.models.training import TrainConfig, optimizer

    assert type(optimizer(TrainConfig())).__name__ == "Adam"
    opt = optimizer(TrainConfig(weight_decay=0.1))
    assert type(opt).__name__ == "AdamW" and opt.weight_decay == pytest.approx(0.1)


def test_a_standardized_student_loads_in_a_fresh_process(tmp_path):
    """ood_predict and ensemble jobs load students with degu.models.load_model alone."""
    import subprocess
    import sys

    inp = keras.Input((20, 4))
    net = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Flatten()(inp)))
    TargetScaling(["mean", "epistemic"], [1.0], [2.0]).attach(net).save(tmp_path / "s.keras")
    code = "import sys; from degu.models import load_model; print(load_model(sys.argv[1]).layers[-1].name)"
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "s.keras")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "unstandardize"
