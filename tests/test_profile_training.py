"""Training pieces of the ATAC-seq profile models (degu.models.profile_training): the Poisson loss
against a hand computation, the lazy minibatches (crops, reverse complements, determinism), and
the two-window prediction of whole bins."""

from __future__ import annotations

import numpy as np
import pytest

from degu.assays.profiles import read_profile_rows, write_profile_dataset
from degu.io.bigwig import write_bigwig

keras = pytest.importorskip("keras")

from degu.models.profile_training import (  # noqa: E402
    ProfileBatches,
    ProfilePoissonLoss,
    full_bin_starts,
    predict_full_bins,
)

BIN = 12
CROP = 8


def make_dataset(tmp_path, chroms=None, seed=0):
    """A random genome (chr1, chr2 train; chr8 test; chr9 val) with mean = the base position +
    10,000 x the chromosome's index and std = mean / 100, so a target says where it came from."""
    chroms = chroms or {"chr1": 5 * BIN, "chr2": 4 * BIN, "chr8": 3 * BIN, "chr9": 2 * BIN}
    rng = np.random.default_rng(seed)
    seqs = {c: "".join(rng.choice(list("ACGT"), n)) for c, n in chroms.items()}
    fa = tmp_path / "genome.fa"
    fa.write_text("".join(f">{c}\n{s}\n" for c, s in seqs.items()))
    mean = {c: np.arange(n, dtype=np.float32) + 10_000 * k for k, (c, n) in enumerate(chroms.items())}
    write_bigwig(tmp_path / "mean.bw", mean, chroms)
    write_bigwig(tmp_path / "std.bw", {c: v / 100 for c, v in mean.items()}, chroms)
    out = tmp_path / "ds.h5"
    write_profile_dataset(
        out, fa, {"y": [tmp_path / "mean.bw"], "aleatoric": [tmp_path / "std.bw"]}, tasks=["T"], bin_size=BIN
    )
    return out, seqs


def test_poisson_loss_by_hand():
    rng = np.random.default_rng(1)
    y_true = rng.gamma(2.0, 1.0, (3, 5, 6)).astype(np.float32)  # 3 heads x 2 tasks
    y_pred = rng.gamma(2.0, 1.0, (3, 5, 6)).astype(np.float32)
    weights = [1.0, 0.5, 2.0]
    got = float(ProfilePoissonLoss(2, weights)(y_true, y_pred))
    eps = 1e-7
    per = y_pred - y_true * np.log(y_pred + eps)  # (B, L, 6)
    by_hand = np.mean(
        [sum(w * per[b, :, 2 * h : 2 * h + 2].mean() for h, w in enumerate(weights)) for b in range(3)]
    )
    assert got == pytest.approx(by_hand, rel=1e-5)
    # one head of weight 1 is Keras' Poisson loss
    keras_poisson = float(keras.losses.Poisson()(y_true[..., :1], y_pred[..., :1]))
    assert float(ProfilePoissonLoss(1, [1.0])(y_true[..., :1], y_pred[..., :1])) == pytest.approx(
        keras_poisson, rel=1e-5
    )
    cfg = ProfilePoissonLoss(2, weights).get_config()
    assert ProfilePoissonLoss(**{k: v for k, v in cfg.items()}).head_weights == weights


def test_batches_are_aligned_crops_and_reverse_complements(tmp_path):
    path, seqs = make_dataset(tmp_path)
    train = ProfileBatches(
        path, "Train", ["mean", "aleatoric"], batch_size=4, crop=CROP, augment=True, seed=3
    )
    assert len(train) == 3  # 9 training bins
    whole = read_profile_rows(path, "Train")
    starts = {i: int(i.split(":")[1].split("-")[0]) for i in whole["ids"]}
    flipped = 0
    for b in range(len(train)):
        x, y = train[b]
        assert x.shape[1:] == (CROP, 4) and y.shape[1:] == (CROP, 2) and x.dtype == np.float32
        for k in range(len(x)):
            pos, std = y[k, :, 0], y[k, :, 1]
            np.testing.assert_allclose(std, pos / 100, rtol=1e-5)  # heads stay together
            step = pos[1] - pos[0]
            assert step in (1.0, -1.0)
            np.testing.assert_array_equal(np.diff(pos), step)
            first = int(min(pos[0], pos[-1]))
            chrom, first = list(seqs)[first // 10_000], first % 10_000
            assert any(i.startswith(chrom + ":") and starts[i] <= first < starts[i] + BIN for i in starts)
            seq = seqs[chrom][first : first + CROP]
            want = np.eye(4, dtype=np.float32)[["ACGT".index(c) for c in seq]]
            if step < 0:  # reverse complement: positions reversed, A<->T and C<->G
                want = want[::-1, ::-1]
                flipped += 1
            np.testing.assert_array_equal(x[k], want)
    assert 0 < flipped
    # deterministic in (seed, epoch, batch), whatever order Keras asks in
    again = ProfileBatches(
        path, "Train", ["mean", "aleatoric"], batch_size=4, crop=CROP, augment=True, seed=3
    )
    for b in (2, 0, 1):
        np.testing.assert_array_equal(again[b][1], train[b][1])
    before = [train[b][1] for b in range(3)]
    train.on_epoch_end()
    assert train.epoch == 1
    assert any(not np.array_equal(before[b], train[b][1]) for b in range(3))


def test_validation_batches_are_centre_windows_in_file_order(tmp_path):
    path, _ = make_dataset(tmp_path)
    val = ProfileBatches(path, "Val", ["mean"], batch_size=1, crop=CROP)
    whole = read_profile_rows(path, "Val")
    for b in range(len(val)):
        x, y = val[b]
        a = (BIN - CROP) // 2
        np.testing.assert_array_equal(y[0, :, 0], whole["y"][b, a : a + CROP, 0])
        np.testing.assert_array_equal(x[0], whole["X"][b, a : a + CROP].astype(np.float32))
    with pytest.raises(ValueError, match="no target"):
        ProfileBatches(path, "Val", ["mean", "epistemic"], 2, CROP)[0]
    with pytest.raises(ValueError, match=r"unknown profile head\(s\) \['logvar'\]"):
        ProfileBatches(path, "Val", ["logvar"], 2, CROP)


class WindowModel:
    """Returns, per position, the input's first channel plus 0.001 x the position in the window."""

    def predict_on_batch(self, x):
        return x[..., :1] + 0.001 * np.arange(x.shape[1], dtype=np.float32)[None, :, None]


def test_whole_bins_from_two_windows():
    length, crop = 12, 8
    x = np.zeros((2, length, 4), np.float32)
    x[..., 0] = np.arange(length)[None, :] + 100 * np.arange(2)[:, None]
    got = predict_full_bins(WindowModel(), x, crop)
    assert full_bin_starts(length, crop) == (0, 4)
    base = np.arange(length)
    rel = np.where(base < length // 2, base, base - (length - crop))  # first half: window 0; rest: window 2
    np.testing.assert_allclose(got[..., 0], x[..., 0] + 0.001 * rel[None, :], rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match="cannot cover"):
        full_bin_starts(12, 5)
