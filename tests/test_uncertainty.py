import keras
import numpy as np
import pytest
from keras import layers
from scipy import special, stats

from degu.models import build_model, load_model
from degu.models.heads import EVIDENTIAL_EPSILON, evidential_outputs, heteroscedastic_std
from degu.models.training import save_model
from degu.uq.uncertainty import EvidentialLoss, GaussianNLLLoss, mc_dropout_predict

NARROW = {"filters": 8, "conv2_filters": 8, "dense_units": 8}


def _softplus(x):
    return np.log1p(np.exp(x))  # fine for the moderate values used here


def _nig_np(raw):
    eps = EVIDENTIAL_EPSILON
    gamma = raw[:, 0]
    nu = _softplus(raw[:, 1]) + eps
    alpha = _softplus(raw[:, 2]) + 1.0 + eps
    beta = _softplus(raw[:, 3]) + eps
    return gamma, nu, alpha, beta


# ---------------------------------------------------------------- heteroscedastic (Gaussian NLL)


def test_gaussian_nll_against_hand_computation():
    y = np.array([[1.0], [0.0], [-2.0]], np.float32)
    pred = np.array([[0.5, 0.0], [0.0, np.log(4.0)], [1.0, -1.0]], np.float32)
    mu, var = pred[:, 0], np.exp(pred[:, 1])
    per_sample = 0.5 * (np.log(2 * np.pi * var) + (y[:, 0] - mu) ** 2 / var)
    # the middle sample by hand: 0.5 * log(2 pi * 4)
    assert per_sample[1] == pytest.approx(0.5 * np.log(8 * np.pi))
    loss = GaussianNLLLoss()
    assert float(loss(y, pred)) == pytest.approx(per_sample.mean(), rel=1e-6)
    # the same as scipy's normal log density
    assert float(loss(y, pred)) == pytest.approx(
        -stats.norm.logpdf(y[:, 0], mu, np.sqrt(var)).mean(), rel=1e-6
    )
    # (N,) targets and (N, k) targets (column 0 is used) give the same value
    assert float(loss(y[:, 0], pred)) == pytest.approx(per_sample.mean(), rel=1e-6)
    y2 = np.concatenate([y, np.full_like(y, 99.0)], axis=1)
    assert float(loss(y2, pred)) == pytest.approx(per_sample.mean(), rel=1e-6)


def test_gaussian_nll_needs_two_outputs():
    with pytest.raises(ValueError, match="needs 2 model outputs, got 3"):
        GaussianNLLLoss()(np.zeros((2, 1), np.float32), np.zeros((2, 3), np.float32))


def test_heteroscedastic_std():
    np.testing.assert_allclose(
        heteroscedastic_std([np.log(4.0), 0.0, np.log(0.01)]), [2.0, 1.0, 0.1], rtol=1e-6
    )


# ---------------------------------------------------------------- deep evidential regression


def _evidential_case(n=40, seed=0):
    rng = np.random.default_rng(seed)
    raw = rng.normal(scale=1.5, size=(n, 4)).astype(np.float32)
    y = (raw[:, :1] + rng.normal(scale=2.0, size=(n, 1))).astype(np.float32)
    return y, raw


@pytest.mark.parametrize("coeff", [0.0, 0.01, 0.5])
def test_evidential_loss_against_independent_numpy(coeff):
    y, raw = _evidential_case()
    gamma, nu, alpha, beta = _nig_np(raw.astype(np.float64))
    omega = 2 * beta * (1 + nu)
    err = y[:, 0] - gamma
    nll = (
        0.5 * np.log(np.pi / nu)
        - alpha * np.log(omega)
        + (alpha + 0.5) * np.log(nu * err**2 + omega)
        + special.gammaln(alpha)
        - special.gammaln(alpha + 0.5)
    )
    expected = nll + coeff * np.abs(err) * (2 * nu + alpha)
    loss = EvidentialLoss(coeff=coeff)
    np.testing.assert_allclose(np.asarray(loss.call(y, raw)), expected, rtol=1e-5, atol=1e-5)
    assert float(loss(y, raw)) == pytest.approx(expected.mean(), rel=1e-5)


def test_evidential_nll_is_student_t_marginal():
    """Amini et al.: the NIG evidence marginalises to St(y; gamma, beta(1+nu)/(nu alpha), 2 alpha)."""
    y, raw = _evidential_case(seed=1)
    gamma, nu, alpha, beta = _nig_np(raw.astype(np.float64))
    scale = np.sqrt(beta * (1 + nu) / (nu * alpha))
    neg_log_t = -stats.t.logpdf(y[:, 0], df=2 * alpha, loc=gamma, scale=scale)
    nll = np.asarray(EvidentialLoss(coeff=0.0).call(y, raw))
    np.testing.assert_allclose(nll, neg_log_t, rtol=1e-5, atol=1e-5)


def test_evidential_loss_needs_four_outputs():
    with pytest.raises(ValueError, match="needs 4 model outputs, got 2"):
        EvidentialLoss()(np.zeros((2, 1), np.float32), np.zeros((2, 2), np.float32))


def test_evidential_outputs_hand_values():
    # softplus^-1(v) = log(e^v - 1): nu = 2, alpha = 1 + 4 = 5, beta = 3
    inv = lambda v: np.log(np.expm1(v))  # noqa: E731
    raw = np.array([[0.5, inv(2.0), inv(4.0), inv(3.0)], [-1.0, inv(0.5), inv(1.0), inv(2.0)]], np.float32)
    out = evidential_outputs(raw)
    np.testing.assert_allclose(out["mean"], [0.5, -1.0])
    np.testing.assert_allclose(out["nu"], [2.0, 0.5], rtol=1e-5)
    np.testing.assert_allclose(out["alpha"], [5.0, 2.0], rtol=1e-5)
    np.testing.assert_allclose(out["beta"], [3.0, 2.0], rtol=1e-5)
    # aleatoric sqrt(beta / (alpha - 1)); epistemic sqrt(beta / (nu (alpha - 1)))
    np.testing.assert_allclose(out["aleatoric_std"], [np.sqrt(3 / 4), np.sqrt(2 / 1)], rtol=1e-5)
    np.testing.assert_allclose(out["epistemic_std"], [np.sqrt(3 / 8), np.sqrt(2 / 0.5)], rtol=1e-5)
    assert all(v.dtype == np.float32 and v.shape == (2,) for v in out.values())
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        evidential_outputs(np.zeros((3, 2)))


def test_evidential_outputs_finite_at_extreme_raw_values():
    out = evidential_outputs(np.array([[0.0, -200.0, -200.0, -200.0], [0.0, 200.0, 200.0, 200.0]]))
    assert all(np.isfinite(v).all() for v in out.values())


# ---------------------------------------------------------------- serialisation


@pytest.mark.parametrize("loss", [GaussianNLLLoss(), EvidentialLoss(coeff=0.05)])
def test_losses_serialise_in_safe_mode(loss):
    cfg = keras.saving.serialize_keras_object(loss)
    assert cfg["registered_name"] == f"degu>{type(loss).__name__}"
    again = keras.saving.deserialize_keras_object(cfg, safe_mode=True)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    clone = type(loss).from_config(loss.get_config())
    y, raw = _evidential_case(n=5)
    pred = raw if isinstance(loss, EvidentialLoss) else raw[:, :2]
    assert float(clone(y, pred)) == float(loss(y, pred))


@pytest.mark.parametrize("loss,n_out", [(GaussianNLLLoss(), 2), (EvidentialLoss(coeff=0.05), 4)])
def test_compiled_model_saves_and_loads(tmp_path, loss, n_out):
    m = build_model("residualbind", 50, n_out, NARROW)
    m.compile(optimizer="adam", loss=loss)
    x = np.random.default_rng(0).random((6, 50, 4)).astype(np.float32)
    y = np.random.default_rng(1).random((6, 1)).astype(np.float32)
    m.fit(x, y, epochs=1, batch_size=3, verbose=0)
    save_model(m, tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")  # safe mode, not compiled
    np.testing.assert_array_equal(m.predict(x, verbose=0), again.predict(x, verbose=0))
    compiled = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert type(compiled.loss) is type(loss) and compiled.loss.get_config() == loss.get_config()


# ---------------------------------------------------------------- MC dropout


def _randomise_bn(model, seed=0):
    """Moving statistics far from any batch's statistics, so BN's mode shows in the outputs."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(size=layer.moving_mean.shape).astype(np.float32))
            layer.moving_variance.assign(
                rng.uniform(0.5, 3.0, size=layer.moving_variance.shape).astype(np.float32)
            )


def _x(n=30, length=50, seed=0):
    return np.random.default_rng(seed).random((n, length, 4)).astype(np.float32)


def test_mc_dropout_without_dropout_equals_inference_predict():
    zero = {"dropout_conv": 0.0, "dropout_residual": 0.0, "dropout_dense": 0.0}
    m = build_model("residualbind", 50, 2, {**NARROW, **zero})
    _randomise_bn(m)
    x = _x()
    ref = m.predict(x, verbose=0)
    mean, std = mc_dropout_predict(m, x, passes=5, batch_size=16)
    assert mean.shape == std.shape == (30, 2)
    np.testing.assert_array_equal(std, 0.0)
    np.testing.assert_allclose(mean, ref, rtol=1e-5, atol=1e-5)
    # sanity: batch-statistics BN (what model(x, training=True) does) gives different outputs,
    # and such a call even moves the BN moving statistics of the model
    moving = np.array(m.get_layer("conv1_bn").moving_mean)
    assert not np.allclose(np.asarray(m(x, training=True)), ref, atol=1e-3)
    assert not np.allclose(np.array(m.get_layer("conv1_bn").moving_mean), moving)


def test_mc_dropout_seeded_and_leaves_model_untouched():
    m = build_model("residualbind", 50, 1, NARROW)
    _randomise_bn(m)
    before = [w.copy() for w in m.get_weights()]
    x = _x()
    a = mc_dropout_predict(m, x, passes=8, batch_size=16, seed=3)
    b = mc_dropout_predict(m, x, passes=8, batch_size=16, seed=3)
    c = mc_dropout_predict(m, x, passes=8, batch_size=16, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])
    assert (a[1] > 0).all()
    for w0, w1 in zip(before, m.get_weights(), strict=True):  # BN moving statistics included
        np.testing.assert_array_equal(w0, w1)
    # the model itself is still deterministic in inference
    np.testing.assert_array_equal(m.predict(x, verbose=0), m.predict(x, verbose=0))


def test_mc_dropout_statistics_on_a_known_model():
    """Dropout(0.5) on 1000 ones then the average: each unit is 0 or 2, so the output has
    mean 1 and std sqrt(1/1000) across passes."""
    inp = keras.Input((1000,))
    h = layers.Dropout(0.5)(inp)
    out = layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(1 / 1000))(h)
    m = keras.Model(inp, out)
    x = np.ones((4, 1000), np.float32)
    mean, std = mc_dropout_predict(m, x, passes=400, batch_size=3, seed=0)
    np.testing.assert_allclose(mean, 1.0, atol=0.01)
    np.testing.assert_allclose(std, np.sqrt(1 / 1000), rtol=0.15)
    assert len(np.unique(mean)) == 4  # different masks for different sequences and batches


# ---------------------------------------------------------------- learning a heteroscedastic problem


def _hetero_data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 3)).astype(np.float32)
    sigma = 0.1 + 0.45 * (x[:, 2] + 1)  # 0.1 .. 1.0, set by the third feature only
    y = x[:, 0] + 0.5 * x[:, 1] + sigma * rng.normal(size=n)
    return x, y[:, None].astype(np.float32), sigma


def _mlp(n_out):
    inp = keras.Input((3,))
    h = layers.Dense(32, activation="relu")(inp)
    h = layers.Dense(32, activation="relu")(h)
    return keras.Model(inp, layers.Dense(n_out)(h))


@pytest.mark.parametrize("kind", ["gaussian", "evidential"])
def test_losses_learn_input_dependent_noise(kind):
    keras.utils.set_random_seed(0)
    x, y, sigma = _hetero_data()
    loss, n_out = (GaussianNLLLoss(), 2) if kind == "gaussian" else (EvidentialLoss(coeff=0.01), 4)
    m = _mlp(n_out)
    m.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss)
    hist = m.fit(x, y, epochs=15, batch_size=64, verbose=0).history["loss"]
    assert hist[-1] < hist[0] - 0.3
    pred = m.predict(x, verbose=0)
    if kind == "gaussian":
        mean, sd = pred[:, 0], heteroscedastic_std(pred[:, 1])
    else:
        out = evidential_outputs(pred)
        mean, sd = out["mean"], out["aleatoric_std"]
        assert np.isfinite(out["epistemic_std"]).all() and (out["epistemic_std"] > 0).all()
    assert stats.spearmanr(sd, sigma).statistic > 0.8
    assert np.corrcoef(mean, x[:, 0] + 0.5 * x[:, 1])[0, 1] > 0.9
