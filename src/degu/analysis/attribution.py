"""Attribution maps (paper Fig. 4, Supp. Figs. 6-7): saliency and DeepSHAP, gradient correction,
and the numbers computed on the maps (RMSE to the ensemble map, variability across
initialisations, planted-motif recovery, t-tests).

Arrays in, arrays and numbers out; the jobs that read models and write files live in
:mod:`degu.jobs`. Conventions (``ANALYSIS-NOTES.md``, "Attribution"):

* inputs are one-hot ``(N, L, 4)`` float32 (uint8 is cast); maps have the same shape;
* ``column`` is one output column of the model (its head layout says which; see
  :class:`degu.models.heads.HeadLayout`). A profile output ``(N, L', k)`` is first reduced to a
  scalar per column by its mean along the length, as in the paper's Methods;
* :func:`saliency` and :func:`deepshap` return UNcorrected maps; :func:`attribute` applies the
  gradient correction (:func:`gradient_correct`) that every map in the analysis gets;
* DeepSHAP explains :func:`shap_twin` of the model: the same weights with SiLU written as
  ``x * sigmoid(x)``, which shap's DeepLIFT rules handle exactly (``tf.nn.silu`` carries a custom
  gradient that shap would treat as a plain gradient, and its attributions would not add up).

TensorFlow, Keras, shap, scikit-learn and SciPy are imported inside the functions that need
them, so the NumPy-only functions (metrics, masks) run in processes without TensorFlow.
"""

from __future__ import annotations

import time
from functools import cache

import numpy as np

from degu.errors import DeguInputError

METHODS = ("saliency", "deepshap")
DEFAULT_BATCH_SIZE = {"saliency": 1000, "deepshap": 50}


# ---------------------------------------------------------------- choosing sequences


def top_sequences(y: np.ndarray, n: int) -> np.ndarray:
    """Indices (int64) of the ``n`` largest values of the 1-D ``y``, largest first.

    Ties go to the lower index; NaN is never selected; ``n`` larger than the number of
    non-NaN values gives all of them."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one task), got shape {y.shape}")
    if int(n) < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    idx = np.flatnonzero(~np.isnan(y))
    order = np.lexsort((idx, -y[idx]))  # last key first: by -y, then by index
    return idx[order][: int(n)].astype(np.int64)


def background_indices(n_total: int, n: int, seed: int) -> np.ndarray:
    """``n`` distinct indices out of ``n_total`` (all of them if ``n >= n_total``): the authors'
    ``np.random.default_rng(seed).choice(n_total, size=n, replace=False)``, as int64."""
    rng = np.random.default_rng(seed)
    return rng.choice(int(n_total), size=min(int(n), int(n_total)), replace=False).astype(np.int64)


# ---------------------------------------------------------------- maps


def gradient_correct(maps: np.ndarray) -> np.ndarray:
    """Subtract, at every position, the mean over the 4 channels (Majdandzic et al. 2023).

    ``maps`` (..., L, 4); returns float32."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim < 2 or maps.shape[-1] != 4:
        raise ValueError(f"maps must have shape (..., L, 4), got {maps.shape}")
    return (maps - maps.mean(axis=-1, keepdims=True)).astype(np.float32)


def _as_batch(x, model, what: str = "x") -> np.ndarray:
    """``x`` as float32 (N, L, 4), checked against the model's input shape."""
    x = np.asarray(x)
    expected = tuple(model.input_shape[1:])
    if x.ndim != 3 or x.shape[2] != 4 or (expected[0] is not None and x.shape[1] != expected[0]):
        raise ValueError(f"{what} must be one-hot sequences of shape (N, {expected[0]}, 4), got {x.shape}")
    return x.astype(np.float32, copy=False)


def _check_column(model, column: int) -> int:
    width = model.output_shape[-1]
    if not 0 <= int(column) < width:
        raise ValueError(f"column {column} is not an output column of a model with {width} outputs")
    return int(column)


def _scalar_output(out, column: int):
    """One value per sequence: ``out[:, column]``, after the mean along the length of a profile
    output (N, L', k). Only slicing and a mean: both linear, so shap passes through them."""
    if len(out.shape) == 3:
        out = out.mean(axis=1) if isinstance(out, np.ndarray) else _ops().mean(out, axis=1)
    return out[:, column]


def _ops():
    from keras import ops

    return ops


def saliency(model, x: np.ndarray, column: int, batch_size: int = 1000) -> np.ndarray:
    """Gradient of ``model(x, training=False)[:, column]`` with respect to the one-hot input.

    Returns UNcorrected maps (N, L, 4) float32. One ``tf.function`` with a fixed input signature
    (any batch size) is traced once per call and run on batches of ``batch_size``."""

    x = _as_batch(x, model)
    column = _check_column(model, column)
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return _input_gradients(lambda xb: _scalar_output(model(xb, training=False), column), x, batch_size)


def _input_gradients(scalar_fn, x: np.ndarray, batch_size: int) -> np.ndarray:
    """Per-sequence gradient of ``scalar_fn`` (a (B, L, 4) batch -> (B,) outputs) with respect
    to the input: one ``tf.function`` with a fixed input signature (any batch size), run on
    batches of ``batch_size``. Float32 (N, L, 4)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((None, x.shape[1], 4), tf.float32)], reduce_retracing=True)
    def grad(xb):
        with tf.GradientTape() as tape:
            tape.watch(xb)
            out = scalar_fn(xb)
        # sequences are independent at inference, so the gradient of the sum is per sequence
        return tape.gradient(out, xb)

    out = np.empty(x.shape, dtype=np.float32)
    for start in range(0, len(x), int(batch_size)):
        out[start : start + int(batch_size)] = grad(tf.constant(x[start : start + int(batch_size)])).numpy()
    return out


def profile_saliency(model, x: np.ndarray, column: int, batch_size: int = 100) -> np.ndarray:
    """Saliency of a profile model (outputs (N, L_out, C)): the gradient of the mean over output
    positions of column ``column`` with respect to the one-hot input, i.e. the profile reduced
    to a scalar by its mean (the ATAC-seq attribution analysis, Supp. Fig. 1b). Uncorrected maps
    (N, L, 4) float32."""
    import tensorflow as tf

    x = _as_batch(x, model)
    if len(model.output_shape) != 3:
        raise ValueError(f"a profile model has outputs (N, L, C), this one {model.output_shape}")
    if not 0 <= int(column) < model.output_shape[-1]:
        raise ValueError(f"column {column} is out of range for {model.output_shape[-1]} output columns")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return _input_gradients(
        lambda xb: tf.reduce_mean(model(xb, training=False)[..., int(column)], axis=1), x, batch_size
    )


def _is_silu(fn) -> bool:
    if fn is None:
        return False
    import keras

    return fn is keras.activations.silu or getattr(fn, "__name__", "") in ("silu", "swish")


def _elementary_silu(x):
    """SiLU as ``x * sigmoid(x)``: a Sigmoid and a Mul op, both with DeepLIFT rules in shap."""
    ops = _ops()
    return ops.multiply(x, ops.sigmoid(x))


def shap_twin(model):
    """A copy of ``model`` with the same weights in which every SiLU (an ``Activation("silu")``
    layer, or ``activation="silu"`` inside any layer) computes ``x * sigmoid(x)`` with elementary
    ops, so that DeepSHAP's op handlers treat it correctly. Its outputs equal the model's to
    float32 rounding. Returns ``model`` itself when it has no SiLU.

    Only the model's own layers are inspected (the architectures here have no nested models)."""
    import keras

    if not any(_is_silu(getattr(layer, "activation", None)) for layer in model.layers):
        return model

    def clone(layer):
        new = layer.__class__.from_config(layer.get_config())
        if _is_silu(getattr(layer, "activation", None)):
            new.activation = _elementary_silu  # Activation, Dense and Conv call self.activation
        return new

    twin = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if layer.weights:  # (input layers are renamed by the clone and have none)
            twin.get_layer(layer.name).set_weights(layer.get_weights())
    return twin


@cache
def _column_layer_class():
    import keras

    class _Column(keras.layers.Layer):
        """``_scalar_output`` as a layer, keeping the column axis: (N, 1)."""

        def __init__(self, column: int, **kwargs):
            super().__init__(**kwargs)
            self.column = int(column)

        def call(self, out):
            if len(out.shape) == 3:
                out = _ops().mean(out, axis=1)
            return out[:, self.column : self.column + 1]

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 1)

    return _Column


def _column_model(model, column: int):
    """``model`` reduced to its output column ``column``, shape (N, 1). Built on the model's own
    symbolic tensors (no new call of its layers); the slice is the last layer, which is where
    shap looks for the output to explain."""
    import keras

    out = _column_layer_class()(column, name="attributed_column")(model.outputs[0])
    return keras.Model(model.inputs[0], out, name=f"{model.name}_column{column}")


@cache
def _register_shap_handlers() -> None:
    """Teach shap 0.51's DeepExplainer the two ops of a dilated convolution (once per process).

    TensorFlow runs ``Conv1D(dilation_rate=d)`` as SpaceToBatchND -> convolution ->
    BatchToSpaceND. Both ops only move values (a fixed rearrangement of entries, with zero
    padding): they are linear with a 0/1 Jacobian, so the DeepLIFT multiplier through them is
    exactly their gradient, which is what ``passthrough`` applies. Only the (linear) convolution
    sits between the two, so no nonlinearity rule ever sees the rearranged batch axis."""
    from shap.explainers._deep import deep_tf

    for op in ("SpaceToBatchND", "BatchToSpaceND"):
        deep_tf.op_handlers.setdefault(op, deep_tf.passthrough)


def _predict_column(model, x: np.ndarray, column: int, batch_size: int = 1000) -> np.ndarray:
    out = [
        _scalar_output(np.asarray(model(x[s : s + batch_size], training=False)), column)
        for s in range(0, len(x), batch_size)
    ]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def deepshap(
    model, x: np.ndarray, background: np.ndarray, column: int, batch_size: int = 50
) -> tuple[np.ndarray, float]:
    """DeepSHAP (``shap.DeepExplainer``) of output column ``column`` against ``background``.

    Explains :func:`shap_twin` of ``model`` reduced to that column, ``batch_size`` sequences per
    call. Returns the UNcorrected maps (N, L, 4) float32 and the largest additivity error over
    the sequences, ``max_i |sum(maps[i]) - (f(x_i) - mean_j f(bg_j))|`` with ``f`` the original
    model's column (so the error also covers any difference between twin and model); NaN when
    ``x`` is empty. shap's own additivity check is off."""
    import warnings

    import shap

    x = _as_batch(x, model)
    background = _as_batch(background, model, "background")
    column = _check_column(model, column)
    if len(background) == 0:
        raise ValueError("DeepSHAP needs at least one background sequence")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    _register_shap_handlers()
    wrapper = _column_model(shap_twin(model), column)
    maps = np.empty(x.shape, dtype=np.float32)
    with warnings.catch_warnings():
        # shap warns that TF > 2.4 has no graph mode, Keras that shap passes the input as a list
        warnings.simplefilter("ignore", UserWarning)
        explainer = shap.DeepExplainer(wrapper, background)
        for start in range(0, len(x), int(batch_size)):
            batch = x[start : start + int(batch_size)]
            values = np.asarray(explainer.shap_values(batch, check_additivity=False))
            # shap >= 0.45 puts the explained outputs on the last axis: (n, L, 4, 1) for one column
            if values.shape != (*batch.shape, 1):
                raise RuntimeError(f"unexpected shap_values shape {values.shape} for input {batch.shape}")
            maps[start : start + len(batch)] = values[..., 0]
    if len(x) == 0:
        return maps, float("nan")
    delta = _predict_column(model, x, column) - _predict_column(model, background, column).mean()
    error = np.abs(maps.sum(axis=(1, 2), dtype=np.float64) - delta)
    return maps, float(error.max())


def attribute(
    model, x, column: int, method: str, background=None, batch_size: int | None = None
) -> tuple[np.ndarray, dict]:
    """Gradient-corrected attribution maps (N, L, 4) float32 of output ``column`` by ``method``
    (``saliency`` or ``deepshap``, which needs ``background``), and an info dict: ``method``,
    ``seconds_per_sequence`` (wall time of the computation, ``time.perf_counter``; NaN for no
    sequences) and ``additivity_max_error`` (DeepSHAP; NaN for saliency)."""
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; allowed: {', '.join(METHODS)}")
    if method == "deepshap" and background is None:
        raise ValueError("method 'deepshap' needs background sequences")
    bs = DEFAULT_BATCH_SIZE[method] if batch_size is None else int(batch_size)
    start = time.perf_counter()
    if method == "saliency":
        maps, additivity = saliency(model, x, column, batch_size=bs), float("nan")
    else:
        maps, additivity = deepshap(model, x, background, column, batch_size=bs)
    seconds = time.perf_counter() - start
    info = {
        "method": method,
        "seconds_per_sequence": seconds / len(maps) if len(maps) else float("nan"),
        "additivity_max_error": additivity,
    }
    return gradient_correct(maps), info


# ---------------------------------------------------------------- numbers on maps


def rmse_to_reference(maps: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per sequence ``sqrt(mean over (L, 4) of (maps - reference)^2)``: (N,) float64 for maps
    (N, L, 4) (leading axes broadcast, e.g. (M, N, L, 4) against an (N, L, 4) reference)."""
    diff = np.asarray(maps, dtype=np.float64) - np.asarray(reference, dtype=np.float64)
    return np.sqrt(np.mean(diff**2, axis=(-2, -1)))


def variability(group: np.ndarray) -> np.ndarray:
    """Spread across models: ``group`` (M models, N, L, 4) -> per sequence
    ``sqrt(sum over (L, 4) of the variance over models)`` (ddof 0), (N,) float64."""
    group = np.asarray(group, dtype=np.float64)
    if group.ndim != 4:
        raise ValueError(f"group must have shape (models, N, L, 4), got {group.shape}")
    return np.sqrt(group.var(axis=0, ddof=0).sum(axis=(-2, -1)))


def normalize_max_abs(maps: np.ndarray) -> np.ndarray:
    """Each sequence's map divided by its largest ``|score|`` over (L, 4) (the Supp. Fig. 7
    control); an all-zero map stays zero. Keeps a float dtype (float32 for integer input)."""
    maps = np.asarray(maps)
    if not np.issubdtype(maps.dtype, np.floating):
        maps = maps.astype(np.float32)
    peak = np.abs(maps).max(axis=(-2, -1), keepdims=True)
    return np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)


def motif_mask(
    instances: str, widths: dict[str, int], length: int, keep: set[str] | None = None
) -> np.ndarray:
    """Positions (bool, (length,)) covered by planted motif instances.

    ``instances`` is ``"NAME:start:strand;..."`` as in the simulators' ``ground_truth.tsv``
    (``motifs`` / ``instances`` columns; 0-based start on the forward strand, so an instance
    covers ``[start, start + widths[NAME])`` on either strand). Only motifs in ``keep`` are
    marked (None: all); every instance is checked. The empty string gives all False. A malformed
    instance, an unknown motif or an instance past ``length`` raises
    :class:`degu.errors.DeguInputError` naming the instance (the caller adds file and line)."""
    if keep is not None and set(keep) - set(widths):
        raise ValueError(f"keep names motifs without a width: {sorted(set(keep) - set(widths))}")
    mask = np.zeros(int(length), dtype=bool)
    text = str(instances).strip()
    if not text:
        return mask
    for inst in text.split(";"):
        parts = inst.strip().split(":")
        if len(parts) != 3 or parts[2] not in ("+", "-") or not parts[1].isdecimal():
            raise DeguInputError(
                f"motif instance {inst!r}: expected NAME:start:strand (start >= 0, strand + or -)"
            )
        name, start = parts[0], int(parts[1])
        if name not in widths:
            raise DeguInputError(
                f"motif instance {inst!r}: unknown motif {name!r} (known: {', '.join(sorted(widths))})"
            )
        end = start + int(widths[name])
        if end > length:
            raise DeguInputError(
                f"motif instance {inst!r}: covers positions {start}-{end - 1}, past the sequence length {length}"
            )
        if keep is None or name in keep:
            mask[start:end] = True
    return mask


def motif_recovery(maps: np.ndarray, x: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How well each map ranks planted-motif positions above the rest.

    Per sequence, the score of position p is ``|maps[i, p, observed base at p]|`` (0 where ``x``
    has no base, an all-zero row); returns (AUROC, AUPRC) per sequence, (N,) float64 each
    (scikit-learn ``roc_auc_score`` / ``average_precision_score``) for classifying positions as
    in-motif (``masks`` (N, L) bool). NaN where a mask is all False or all True."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    maps, x, masks = np.asarray(maps), np.asarray(x), np.asarray(masks, dtype=bool)
    if maps.ndim != 3 or maps.shape[-1] != 4 or x.shape != maps.shape or masks.shape != maps.shape[:2]:
        raise ValueError(
            f"need maps and x (N, L, 4) and masks (N, L); got {maps.shape}, {x.shape}, {masks.shape}"
        )
    base = np.argmax(x, axis=-1)
    score = np.abs(np.take_along_axis(maps, base[..., None], axis=-1)[..., 0]).astype(np.float64)
    score[np.max(x, axis=-1) <= 0] = 0.0
    auroc = np.full(len(maps), np.nan)
    auprc = np.full(len(maps), np.nan)
    for i in range(len(maps)):
        if masks[i].any() and not masks[i].all():
            auroc[i] = roc_auc_score(masks[i], score[i])
            auprc[i] = average_precision_score(masks[i], score[i])
    return auroc, auprc


def group_tests(standard_rmse, distilled_rmse, standard_var, distilled_var) -> dict[str, float]:
    """The paper's tests, standard minus distilled (t > 0 when the distilled group is lower):

    ``rmse_t``, ``rmse_p``: independent two-sided t-test (``scipy.stats.ttest_ind``, equal
    variances) on the per-model mean RMSEs; ``variability_t``, ``variability_p``: paired t-test
    (``ttest_rel``) on the per-sequence variabilities. t and p are NaN where a group has fewer
    than 2 values."""
    from scipy import stats

    nan = float("nan")
    s_rmse, d_rmse = np.asarray(standard_rmse, np.float64), np.asarray(distilled_rmse, np.float64)
    s_var, d_var = np.asarray(standard_var, np.float64), np.asarray(distilled_var, np.float64)
    if s_var.shape != d_var.shape:
        raise ValueError(f"paired variabilities need equal shapes, got {s_var.shape} and {d_var.shape}")
    out = {"rmse_t": nan, "rmse_p": nan, "variability_t": nan, "variability_p": nan}
    if s_rmse.size >= 2 and d_rmse.size >= 2:
        res = stats.ttest_ind(s_rmse, d_rmse, equal_var=True)
        out["rmse_t"], out["rmse_p"] = float(res.statistic), float(res.pvalue)
    if s_var.size >= 2:
        res = stats.ttest_rel(s_var, d_var)
        out["variability_t"], out["variability_p"] = float(res.statistic), float(res.pvalue)
    return out
