"""degu.analysis.attribution: saliency, DeepSHAP (with the SiLU twin), gradient correction and the
numbers computed on maps, each against an independent computation or a hand example."""

import numpy as np
import pytest

from degu.analysis import attribution as attr
from degu.errors import DeguInputError

L = 60
DEEPSTARR = {"conv_filters": [8, 4, 4, 4], "dense_units": [8, 8]}
RESIDUALBIND = {"filters": 8, "conv2_filters": 8, "dense_units": 8, "dilations": [1, 2, 4]}


def onehot(rng, n, length=L):
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]


@pytest.fixture(scope="module")
def models():
    import keras

    from degu.models import build_model
    from degu.uq.distill import TargetScaling

    keras.utils.set_random_seed(0)
    deepstarr = build_model("deepstarr", L, 2, DEEPSTARR)
    residualbind = build_model("residualbind", L, 2, RESIDUALBIND)
    # a standardized DEGU student (activity, epistemic): ResidualBind followed by Unstandardize
    scaling = TargetScaling(["mean", "epistemic"], mean=[0.7], scale=[2.5])
    student = scaling.attach(build_model("residualbind", L, 2, RESIDUALBIND, name="student"))
    return {"deepstarr": deepstarr, "residualbind": residualbind, "student": student}


def test_importing_the_module_loads_no_tensorflow():
    """The NumPy-only functions (metrics, masks) serve jobs that never start TensorFlow."""
    import subprocess
    import sys

    code = (
        "import sys, degu.analysis.attribution\n"
        "print(','.join(m for m in ('tensorflow', 'keras', 'shap', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------- choosing sequences


def test_top_sequences_ties_nan_and_n():
    y = np.array([1.0, 3.0, np.nan, 3.0, 2.0, np.nan, -1.0])
    np.testing.assert_array_equal(attr.top_sequences(y, 3), [1, 3, 4])  # tie 3.0: lower index first
    np.testing.assert_array_equal(attr.top_sequences(y, 100), [1, 3, 4, 0, 6])  # all, never NaN
    assert attr.top_sequences(y, 0).shape == (0,)
    assert attr.top_sequences(y, 2).dtype == np.int64
    # without ties it is the authors' argsort(y)[::-1][:n]
    z = np.random.default_rng(0).normal(size=200)
    np.testing.assert_array_equal(attr.top_sequences(z, 17), np.argsort(z)[::-1][:17])
    with pytest.raises(ValueError, match="1-D"):
        attr.top_sequences(np.zeros((3, 2)), 1)


def test_background_indices_is_the_authors_draw():
    idx = attr.background_indices(500, 100, 1234)
    assert idx.dtype == np.int64 and len(set(idx.tolist())) == 100
    np.testing.assert_array_equal(idx, np.random.default_rng(1234).choice(500, size=100, replace=False))
    assert sorted(attr.background_indices(7, 100, 1).tolist()) == list(range(7))  # n > n_total: all


# ---------------------------------------------------------------- maps


def test_gradient_correct_hand_example():
    maps = np.array([[[1, 2, 3, 6], [0, 0, 0, 4]], [[-1, -1, -1, -1], [2, 0, 0, 2]]], dtype=np.float32)
    expected = [[[-2, -1, 0, 3], [-1, -1, -1, 3]], [[0, 0, 0, 0], [1, -1, -1, 1]]]
    out = attr.gradient_correct(maps)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)


def _float64_copy(model):
    """The same weights computing in float64 (input included), for finite differences that are
    not swamped by float32 rounding."""
    import keras

    copy = keras.models.clone_model(
        model,
        clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(), "dtype": "float64"}),
        input_tensors=keras.Input(model.input_shape[1:], dtype="float64"),
    )
    copy.set_weights(model.get_weights())
    return copy


@pytest.mark.parametrize("name", ["deepstarr", "residualbind"])
def test_saliency_matches_central_finite_differences(models, name):
    """Every entry of the (float32) saliency map against a central difference of the output when
    that one entry of x moves by +-eps, computed on a float64 copy of the model."""
    model = models[name]
    x = onehot(np.random.default_rng(1), 5)
    m64, eps = _float64_copy(model), 1e-5
    steps = eps * np.eye(L * 4).reshape(L * 4, L, 4)  # one perturbed entry per row
    for column in (0, 1):
        grads = attr.saliency(model, x, column, batch_size=2)  # three batches, the last one short
        assert grads.shape == x.shape and grads.dtype == np.float32
        for i in range(len(x)):
            up = m64(x[i].astype(np.float64) + steps, training=False).numpy()[:, column]
            down = m64(x[i].astype(np.float64) - steps, training=False).numpy()[:, column]
            fd = ((up - down) / (2 * eps)).reshape(L, 4)
            # measured max |error| ~4e-7 of the largest gradient (float32 rounding)
            np.testing.assert_allclose(grads[i], fd, rtol=0, atol=1e-5 * np.abs(fd).max())
        assert np.abs(grads).max() > 1e-3  # a live gradient, not zeros on both sides
        # batches of 2 or one batch of 5: the same up to float32 rounding
        whole = attr.saliency(model, x, column)
        np.testing.assert_allclose(grads, whole, rtol=0, atol=1e-6 * np.abs(whole).max())


def test_a_profile_output_is_attributed_through_its_mean_along_the_length():
    import keras

    inp = keras.Input((L, 4))
    profile = keras.layers.Conv1D(3, 5, padding="same", activation="softplus")(inp)  # (N, L, 3)
    model = keras.Model(inp, profile)
    reduced = keras.Model(inp, keras.layers.GlobalAveragePooling1D()(profile))
    rng = np.random.default_rng(2)
    x, bg = onehot(rng, 4), onehot(rng, 3)
    np.testing.assert_allclose(attr.saliency(model, x, 2), attr.saliency(reduced, x, 2), rtol=1e-5, atol=1e-9)
    maps, err = attr.deepshap(model, x, bg, 2)
    reduced_maps, _ = attr.deepshap(reduced, x, bg, 2)
    np.testing.assert_allclose(maps, reduced_maps, rtol=1e-5, atol=1e-9)
    assert err < 1e-6


def test_saliency_rejects_bad_shapes_and_columns(models):
    x = onehot(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match=r"shape \(N, 60, 4\), got \(2, 59, 4\)"):
        attr.saliency(models["deepstarr"], x[:, :59], 0)
    with pytest.raises(ValueError, match="column 2 is not an output column of a model with 2 outputs"):
        attr.saliency(models["deepstarr"], x, 2)


def _silu_count(model):
    return sum(attr._is_silu(getattr(layer, "activation", None)) for layer in model.layers)


def test_shap_twin_deepstarr_has_no_silu(models):
    assert attr.shap_twin(models["deepstarr"]) is models["deepstarr"]


@pytest.mark.parametrize("name", ["residualbind", "student", "saved_student", "dense_silu"])
def test_shap_twin_computes_what_the_model_computes(models, name, tmp_path):
    import keras

    from degu.models import load_model
    from degu.models.training import save_model

    if name == "saved_student":  # a student as the pipeline loads it: from disk, safe mode
        save_model(models["student"], tmp_path / "s.keras")
        model = load_model(tmp_path / "s.keras")
    elif name == "dense_silu":  # SiLU fused into a layer, not a separate Activation
        inp = keras.Input((L, 4))
        h = keras.layers.Conv1D(4, 5, activation="silu")(inp)
        model = keras.Model(inp, keras.layers.Dense(2, activation="swish")(keras.layers.Flatten()(h)))
    else:
        model = models[name]
    x = onehot(np.random.default_rng(3), 16)
    twin = attr.shap_twin(model)
    assert twin is not model and _silu_count(model) > 0 and _silu_count(twin) == 0
    want = model(x, training=False).numpy()
    np.testing.assert_allclose(
        twin(x, training=False).numpy(), want, rtol=0, atol=1e-6 * max(1, np.abs(want).max())
    )
    assert _silu_count(model) > 0  # the original is untouched


# DeepSHAP additivity: |sum(map_i) - (f(x_i) - mean_j f(bg_j))| must stay below ADDITIVITY_TOL times
# the output scale max_i |f(x_i) - mean_j f(bg_j)| (float32 maps; measured ~1e-6 relative).
ADDITIVITY_TOL = 1e-4


def _additivity_case(model, column):
    rng = np.random.default_rng(4)
    x, bg = onehot(rng, 3), onehot(rng, 5)
    maps, err = attr.deepshap(model, x, bg, column, batch_size=2)
    f = lambda v: model(v, training=False).numpy()[:, column].astype(np.float64)  # noqa: E731
    delta = f(x) - f(bg).mean()
    # the returned error is what it says it is
    assert err == pytest.approx(np.abs(maps.sum(axis=(1, 2), dtype=np.float64) - delta).max(), rel=1e-6)
    return maps, err, np.abs(delta).max()


@pytest.mark.parametrize("name,column", [("deepstarr", 1), ("residualbind", 0), ("student", 0)])
def test_deepshap_additivity(models, name, column):
    maps, err, scale = _additivity_case(models[name], column)
    assert maps.shape == (3, L, 4) and maps.dtype == np.float32
    assert scale > 1e-4  # a model whose output moves at all
    assert err < ADDITIVITY_TOL * scale, (err, scale)


def test_deepshap_without_the_twin_breaks_additivity_on_residualbind(models, monkeypatch):
    _, err_twin, scale = _additivity_case(models["student"], 0)
    monkeypatch.setattr(attr, "shap_twin", lambda model: model)  # SiLU left as tf.nn.silu
    _, err_plain, _ = _additivity_case(models["student"], 0)
    assert err_plain > ADDITIVITY_TOL * scale  # shap treats the SiLU as a plain gradient
    assert err_plain > 100 * err_twin


def test_attribute_corrects_and_reports(models):
    model = models["residualbind"]
    rng = np.random.default_rng(5)
    x, bg = onehot(rng, 3).astype(np.uint8), onehot(rng, 4)
    maps, info = attr.attribute(model, x, 1, "saliency")
    np.testing.assert_allclose(maps, attr.gradient_correct(attr.saliency(model, x, 1)), atol=1e-7)
    assert np.abs(maps.sum(axis=-1)).max() < 1e-6  # corrected: channels sum to 0 per position
    assert info["method"] == "saliency" and np.isnan(info["additivity_max_error"])
    assert info["seconds_per_sequence"] > 0
    maps, info = attr.attribute(model, x, 1, "deepshap", background=bg, batch_size=2)
    uncorrected, err = attr.deepshap(model, x, bg, 1)
    np.testing.assert_allclose(maps, attr.gradient_correct(uncorrected), atol=1e-7)
    assert info["additivity_max_error"] == pytest.approx(err, rel=1e-3, abs=1e-12)
    with pytest.raises(ValueError, match="^unknown attribution method 'ism'; allowed: saliency, deepshap$"):
        attr.attribute(model, x, 1, "ism")
    with pytest.raises(ValueError, match="method 'deepshap' needs background sequences"):
        attr.attribute(model, x, 1, "deepshap")


# ---------------------------------------------------------------- numbers on maps


def test_rmse_variability_and_normalisation_against_loops():
    rng = np.random.default_rng(6)
    group = rng.normal(size=(3, 5, 7, 4)).astype(np.float32)
    ref = group.mean(axis=0)
    group[1, 2] = 0.0  # an all-zero map
    rmse = attr.rmse_to_reference(group[0], ref)
    var = attr.variability(group)
    norm = attr.normalize_max_abs(group[1])
    assert rmse.shape == var.shape == (5,) and rmse.dtype == var.dtype == np.float64
    for i in range(5):
        sq, total = 0.0, 0.0
        for p in range(7):
            for c in range(4):
                sq += (float(group[0, i, p, c]) - float(ref[i, p, c])) ** 2
                vals = [float(group[m, i, p, c]) for m in range(3)]
                mu = sum(vals) / 3
                total += sum((v - mu) ** 2 for v in vals) / 3
        assert rmse[i] == pytest.approx((sq / 28) ** 0.5, rel=1e-6)
        assert var[i] == pytest.approx(total**0.5, rel=1e-6)
        peak = max(abs(float(v)) for v in group[1, i].ravel())
        want = np.zeros((7, 4)) if peak == 0 else group[1, i] / peak
        np.testing.assert_allclose(norm[i], want, rtol=1e-6)
    assert not np.isnan(norm).any() and np.all(norm[2] == 0)
    assert np.abs(norm[[0, 1, 3, 4]]).max(axis=(1, 2)) == pytest.approx([1, 1, 1, 1])
    np.testing.assert_allclose(attr.rmse_to_reference(group, ref)[1], attr.rmse_to_reference(group[1], ref))


WIDTHS = {"GATA": 4, "AP1": 3}


def test_motif_mask_hand_strings():
    mask = attr.motif_mask("GATA:2:+;AP1:10:-", WIDTHS, 20)
    assert mask.dtype == bool and mask.shape == (20,)
    assert np.flatnonzero(mask).tolist() == [2, 3, 4, 5, 10, 11, 12]
    kept = attr.motif_mask("GATA:2:+;AP1:10:-", WIDTHS, 20, keep={"AP1"})
    assert np.flatnonzero(kept).tolist() == [10, 11, 12]
    assert not attr.motif_mask("", WIDTHS, 20).any()
    assert np.flatnonzero(attr.motif_mask("GATA:16:-", WIDTHS, 20)).tolist() == [16, 17, 18, 19]  # ends at L


@pytest.mark.parametrize(
    "instances,message",
    [
        ("GATA:2:+;Foo:3:+", "motif instance 'Foo:3:+': unknown motif 'Foo' (known: AP1, GATA)"),
        ("GATA:17:+", "motif instance 'GATA:17:+': covers positions 17-20, past the sequence length 20"),
        ("GATA:x:+", "motif instance 'GATA:x:+': expected NAME:start:strand (start >= 0, strand + or -)"),
        ("GATA:3", "motif instance 'GATA:3': expected NAME:start:strand (start >= 0, strand + or -)"),
    ],
)
def test_motif_mask_errors(instances, message):
    with pytest.raises(DeguInputError) as err:
        attr.motif_mask(instances, WIDTHS, 20, keep={"AP1"})  # checked even when not kept
    assert str(err.value) == message


def test_motif_recovery_hand_maps():
    n_pos = 10
    base = np.arange(n_pos) % 4
    x = np.eye(4, dtype=np.float32)[base][None].repeat(4, axis=0)
    x[3, 4] = 0.0  # no base (N) at a motif position
    mask = np.zeros(n_pos, dtype=bool)
    mask[3:6] = True
    masks = np.stack([mask, mask, np.zeros(n_pos, bool), mask])
    maps = np.full((4, n_pos, 4), 100.0)  # large scores at unobserved bases must not count
    observed = np.where(mask, -5.0, 1.0)  # motif largest in magnitude (sign ignored)
    reversed_ = np.full(n_pos, -1.0)
    reversed_[3:6] = [0.2, 0.3, 0.4]  # motif smallest in magnitude, no ties among motif positions
    maps[np.arange(4)[:, None], np.arange(n_pos), base] = np.stack([observed, reversed_, observed, observed])
    auroc, auprc = attr.motif_recovery(maps, x, masks)
    assert auroc[0] == 1.0 and auprc[0] == 1.0
    assert auroc[1] == 0.0  # reversed
    assert auprc[1] == pytest.approx((1 / 8 + 2 / 9 + 3 / 10) / 3)  # positives at ranks 8, 9, 10
    assert np.isnan(auroc[2]) and np.isnan(auprc[2])  # no motif
    assert auroc[3] == pytest.approx(14 / 21)  # 2 of 3 motif positions above all 7 others, N scores 0
    all_true = attr.motif_recovery(maps[:1], x[:1], np.ones((1, n_pos), bool))
    assert np.isnan(all_true[0][0]) and np.isnan(all_true[1][0])


def test_group_tests_hand_case():
    from scipy.stats import t as student_t

    standard = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
    distilled = np.array([0.5, 0.6, 0.45])
    s_var = np.array([2.0, 2.1, 1.9, 2.2, 2.05])
    d_var = s_var - np.array([0.5, 0.6, 0.4, 0.55, 0.5])
    out = attr.group_tests(standard, distilled, s_var, d_var)
    assert out["rmse_t"] > 0 and out["rmse_p"] < 0.05
    assert out["variability_t"] > 0 and out["variability_p"] < 0.05
    # pooled-variance (equal_var) t with n1 + n2 - 2 degrees of freedom, not Welch's
    pooled = (4 * standard.var(ddof=1) + 2 * distilled.var(ddof=1)) / 6
    t = (standard.mean() - distilled.mean()) / np.sqrt(pooled * (1 / 5 + 1 / 3))
    assert out["rmse_t"] == pytest.approx(t)
    assert out["rmse_p"] == pytest.approx(2 * student_t.sf(t, df=6))
    diff = s_var - d_var
    t = diff.mean() / (diff.std(ddof=1) / np.sqrt(5))
    assert out["variability_t"] == pytest.approx(t)
    assert out["variability_p"] == pytest.approx(2 * student_t.sf(t, df=4))
    # distilled higher: negative t
    assert attr.group_tests(distilled, standard, d_var, s_var)["rmse_t"] < 0
    few = attr.group_tests([1.0], distilled, [1.0], [0.5])
    assert all(np.isnan(few[k]) for k in ("rmse_t", "rmse_p", "variability_t", "variability_p"))
