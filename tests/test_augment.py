"""EvoAug augmentations, shuffles, the augmented train step and dynamic ensemble labels."""

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from evoaug_tf import augment as evoaug

from degu.models.augment import (
    PAPER_AUGMENTATIONS,
    CroppedInsertion,
    EvoAugmenter,
    augment_array,
    make_augmenter,
    shuffle_sequences,
)
from degu.models.training import TrainConfig, finetune, fit
from degu.uq.distill import DistillationLoss, EnsembleLabeller
from degu.uq.ensemble import ensemble_stats, predict_members

L = 249


def one_hot(n, length=L, seed=0):
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))]


def assert_one_hot(x):
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(x.sum(-1), 1.0)


@pytest.mark.parametrize(
    "name,params",
    [
        ("deletion", {"min": 0, "max": 20}),
        ("insertion", {"min": 0, "max": 20}),
        ("translocation", {"min": 0, "max": 20}),
        ("mutation", {"rate": 0.05}),
        ("rc", {"prob": 0.5}),
    ],
)
def test_each_augmentation_keeps_one_hot_and_length(name, params):
    x = one_hot(50)
    tf.random.set_seed(0)
    out = make_augmenter({"kind": "evoaug", "n_min": 1, "n_max": 1}, {name: params})(tf.constant(x)).numpy()
    assert out.shape == x.shape
    assert_one_hot(out)
    assert not np.array_equal(out, x)  # it did something


def test_noise_keeps_length_but_not_one_hot_by_design():
    x = one_hot(20)
    tf.random.set_seed(0)
    out = make_augmenter({"kind": "evoaug"}, {"noise": {"mean": 0.0, "std": 0.2}})(tf.constant(x)).numpy()
    assert out.shape == x.shape
    assert abs(np.std(out - x) - 0.2) < 0.01


def test_insertion_padding_is_cropped_back_to_the_model_length():
    x = one_hot(30)
    tf.random.set_seed(1)
    raw = evoaug.RandomInsertion(insert_min=0, insert_max=20)(tf.constant(x)).numpy()
    assert raw.shape == (30, L + 20, 4)  # upstream pads to L + max
    cropped = CroppedInsertion(0, 20)(tf.constant(x)).numpy()
    assert cropped.shape == x.shape
    assert_one_hot(cropped)
    # the crop is the central window of the same insertion
    tf.random.set_seed(1)
    again = CroppedInsertion(0, 20)(tf.constant(x)).numpy()
    tf.random.set_seed(1)
    raw = evoaug.RandomInsertion(insert_min=0, insert_max=20)(tf.constant(x)).numpy()
    np.testing.assert_array_equal(again, raw[:, 10 : 10 + L])


def test_deletion_keeps_the_kept_bases_in_order():
    x = one_hot(1)
    tf.random.set_seed(3)
    out = evoaug.RandomDeletion(delete_min=10, delete_max=10)(tf.constant(x)).numpy()[0]
    seq = x[0].argmax(-1)
    got = out.argmax(-1)
    # 10 deleted -> 5 random pad bases each side; the middle is the sequence with a 10-bp gap
    middle = got[5 : L - 5]
    assert any(np.array_equal(middle, np.concatenate([seq[:i], seq[i + 10 :]])) for i in range(L - 10 + 1))


def test_shuffle_preserves_each_sequence_composition_but_not_order():
    x = one_hot(40)
    tf.random.set_seed(0)
    out = shuffle_sequences(tf.constant(x)).numpy()
    assert_one_hot(out)
    np.testing.assert_array_equal(out.sum(1), x.sum(1))  # per-sequence base counts
    assert (out.argmax(-1) != x.argmax(-1)).mean() > 0.6  # ~3/4 of positions change base

    # mononucleotide only: dinucleotide counts are not kept
    def dinuc(a):
        s = a.argmax(-1)
        return np.stack([np.bincount(4 * r[:-1] + r[1:], minlength=16) for r in s])

    assert not np.array_equal(dinuc(out), dinuc(x))


def test_mutation_rate_matches_the_configured_fraction():
    x = one_hot(400)
    out = augment_array(x, {"kind": "mutation", "rate": 0.05}, seed=0)
    changed = (out.argmax(-1) != x.argmax(-1)).mean()
    assert abs(changed - 0.05) < 0.005  # round(249 * .05/.75) = 17 draws, 3/4 change the base


def test_evoaug_draws_the_configured_number_of_augmentations():
    aug = EvoAugmenter(PAPER_AUGMENTATIONS, n_min=0, n_max=2)
    tf.random.set_seed(0)
    counts = np.array([int(tf.reduce_sum(tf.cast(aug.selection(), tf.int32))) for _ in range(600)])
    assert set(counts) == {0, 1, 2}
    for n in (0, 1, 2):
        assert abs((counts == n).mean() - 1 / 3) < 0.07
    one = EvoAugmenter(PAPER_AUGMENTATIONS, n_min=1, n_max=1)
    picks = np.stack([one.selection().numpy() for _ in range(400)])
    np.testing.assert_array_equal(picks.sum(1), 1)
    assert (picks.mean(0) > 0.15).all()  # every augmentation gets picked
    with pytest.raises(ValueError, match="n_max"):
        EvoAugmenter(PAPER_AUGMENTATIONS, n_min=0, n_max=5)


def test_nothing_selected_is_the_identity_and_unknown_names_fail():
    aug = EvoAugmenter(PAPER_AUGMENTATIONS, 0, 2)
    x = tf.constant(one_hot(5))
    np.testing.assert_array_equal(aug.apply(x, tf.constant([False] * 4)).numpy(), x.numpy())
    with pytest.raises(ValueError, match="unknown EvoAug augmentation 'inversion'"):
        EvoAugmenter({"inversion": {}})
    with pytest.raises(ValueError, match="unknown augmentation scheme kind 'dinucleotide'"):
        make_augmenter({"kind": "dinucleotide"})


def test_shifted_sets_are_reproducible_for_a_seed():
    x = one_hot(64)
    scheme = {"kind": "evoaug", "n_min": 2, "n_max": 2}
    a = augment_array(x, scheme, PAPER_AUGMENTATIONS, batch_size=16, seed=5)
    b = augment_array(x, scheme, PAPER_AUGMENTATIONS, batch_size=16, seed=5)
    c = augment_array(x, scheme, PAPER_AUGMENTATIONS, batch_size=16, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ------------------------------------------------------------ the train step


def small_model(n_out, seed, length=40):
    """Conv + dense, no BatchNorm/dropout: training-mode output equals inference output."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((length, 4))
    h = keras.layers.Conv1D(4, 5, activation="relu")(inp)
    h = keras.layers.Flatten()(h)
    return keras.Model(inp, keras.layers.Dense(n_out)(h), name=f"m{seed}")


def reverse_complement(x):
    return tf.reverse(x, axis=[1, 2])


FROZEN = TrainConfig(learning_rate=0.0, batch_size=32, max_epochs=1)


def test_reported_loss_is_the_mse_of_the_augmented_batch():
    x, y = one_hot(32, 40, seed=1), np.random.default_rng(1).normal(size=(32, 2)).astype(np.float32)
    model = small_model(2, 0)
    hist = fit(model, x, y, x, y, FROZEN, augment=reverse_complement, verbose=0)
    pred_aug = model.predict(reverse_complement(x).numpy(), verbose=0)
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(hist["loss"].iloc[0], np.mean((pred_aug - y) ** 2), rtol=1e-5)
    # validation is on the unaugmented data
    np.testing.assert_allclose(hist["val_loss"].iloc[0], np.mean((pred - y) ** 2), rtol=1e-5)
    assert abs(hist["loss"].iloc[0] - hist["val_loss"].iloc[0]) > 1e-3


def test_finetune_stage_applies_no_augmentation():
    x, y = one_hot(64, 40, seed=2), np.random.default_rng(2).normal(size=(64, 1)).astype(np.float32)
    calls = tf.Variable(0)

    def destructive(x):
        calls.assign_add(1)
        return tf.zeros_like(x)

    model = small_model(1, 0)
    fit(
        model,
        x,
        y,
        x,
        y,
        TrainConfig(learning_rate=1e-3, batch_size=32, max_epochs=2),
        augment=destructive,
        verbose=0,
    )
    assert int(calls.numpy()) == 4  # 2 epochs x 2 batches went through the augmentation
    hist = finetune(model, x, y, x, y, FROZEN, epochs=2, learning_rate=0.0, verbose=0)
    assert int(calls.numpy()) == 4  # the fine-tune stage never called it
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(hist["loss"], np.mean((pred - y) ** 2), rtol=1e-5)


def test_dynamic_labels_equal_ensemble_statistics_of_the_same_augmented_batch():
    teachers = [small_model(2, s) for s in (11, 12, 13)]
    labeller = EnsembleLabeller(teachers, n_tasks=2)
    student = small_model(4, 0)
    from degu.models.training import AugmentedTrainer

    trainer = AugmentedTrainer(
        student, augment=make_augmenter({"kind": "mutation", "rate": 0.2}), labeller=labeller
    )
    x = one_hot(50, 40, seed=3)
    tf.random.set_seed(0)
    x_aug, y = tf.function(trainer.transform_batch)(tf.constant(x), tf.zeros((50, 4)))
    x_aug, y = x_aug.numpy(), y.numpy()
    assert not np.array_equal(x_aug, x)
    mean, std = ensemble_stats(predict_members(teachers, x_aug))
    np.testing.assert_allclose(y, np.concatenate([mean, std], 1), atol=1e-5)


def test_dynamic_distillation_loss_is_the_degu_loss_on_fresh_labels():
    teachers = [small_model(1, s) for s in (21, 22)]
    student = small_model(2, 0)
    x = one_hot(32, 40, seed=4)
    hist = fit(
        student,
        x,
        np.zeros((32, 2), np.float32),
        x,
        np.zeros((32, 2), np.float32),
        FROZEN,
        loss=DistillationLoss(1, (1.0, 0.5)),
        augment=reverse_complement,
        labeller=EnsembleLabeller(teachers, n_tasks=1),
        verbose=0,
    )
    x_aug = reverse_complement(x).numpy()
    mean, std = ensemble_stats(predict_members(teachers, x_aug))
    pred = student.predict(x_aug, verbose=0)
    expected = np.mean((pred[:, 0] - mean[:, 0]) ** 2) + 0.5 * np.mean((pred[:, 1] - std[:, 0]) ** 2)
    np.testing.assert_allclose(hist["loss"].iloc[0], expected, rtol=1e-5)


def test_labeller_with_aleatoric_teachers_averages_the_aleatoric_head():
    # 2 tasks: teacher outputs [act_1, act_2, alea_1, alea_2] -> [mean_1, mean_2, std_1, std_2, alea_1, alea_2]
    teachers = [small_model(4, s) for s in (31, 32, 33)]
    x = one_hot(10, 40, seed=5)
    y = EnsembleLabeller(teachers, n_tasks=2, aleatoric=True)(tf.constant(x)).numpy()
    members = predict_members(teachers, x)
    mean, std = ensemble_stats(members[..., :2])
    np.testing.assert_allclose(y, np.concatenate([mean, std, members[..., 2:].mean(0)], 1), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 members"):
        EnsembleLabeller(teachers[:1], n_tasks=1)


def test_per_batch_deletion_and_translocation_share_one_draw_per_batch():
    x = one_hot(30)
    tf.random.set_seed(4)
    moved = make_augmenter({"kind": "evoaug"}, {"translocation": {"min": 0, "max": 20}})(
        tf.constant(x)
    ).numpy()
    shifts = {
        next(k for k in range(-20, 21) if np.array_equal(np.roll(x[i], k, 0), moved[i])) for i in range(30)
    }
    assert len(shifts) == 1  # the same roll for every sequence (paper: "applied per batch")
    from degu.models.augment import BatchDeletion

    tf.random.set_seed(5)
    out = BatchDeletion(delete_min=10, delete_max=10)(tf.constant(x)).numpy()
    assert out.shape == x.shape
    assert_one_hot(out)
    middle = out[:, 5 : L - 5].argmax(-1)  # 10 deleted: 5 random pad bases each side
    seq = x.argmax(-1)
    gaps = [
        {
            i
            for i in range(L - 10 + 1)
            if np.array_equal(middle[j], np.concatenate([seq[j, :i], seq[j, i + 10 :]]))
        }
        for j in range(30)
    ]
    assert all(gaps) and set.intersection(*gaps)  # one deletion position fits every sequence
    assert not np.array_equal(out[0, :5], out[1, :5])  # but each sequence has its own padding
    tf.random.set_seed(4)
    per_seq = make_augmenter({"kind": "evoaug"}, {"translocation": {"max": 20, "per_batch": False}})(
        tf.constant(x)
    ).numpy()
    shifts = {
        next(k for k in range(-20, 21) if np.array_equal(np.roll(x[i], k, 0), per_seq[i])) for i in range(30)
    }
    assert len(shifts) > 1


def test_training_job_fine_tune_stage_never_augments(tmp_path, monkeypatch):
    """Through train_model_job: every augmentation call happens in the first stage."""
    import degu.models.augment
    from degu.assays.datasets import prepare_starrseq
    from degu.assays.simulate import simulate_starrseq
    from degu.assays.splits import write_subsets
    from degu.jobs.train import train_model_job

    simulate_starrseq(tmp_path / "raw", n_train=128, n_val=64, n_test=64, seed=1)
    prepare_starrseq(
        tmp_path / "raw",
        tmp_path / "ds.h5",
        tasks=["Dev", "Hk"],
        activity_columns=["Dev_log2_enrichment", "Hk_log2_enrichment"],
    )
    write_subsets(tmp_path / "sub.h5", 128, [1.0], seed=0)
    calls = tf.Variable(0)

    def counting(scheme, augmentations=None):
        def augment(x):
            calls.assign_add(1)
            return x

        return augment

    monkeypatch.setattr(degu.models.augment, "make_augmenter", counting)
    train_model_job(
        role="teacher",
        dataset_h5=tmp_path / "ds.h5",
        subsets_h5=tmp_path / "sub.h5",
        fraction=1.0,
        seed=0,
        architecture="deepstarr",
        model_params={"conv_filters": [8, 8, 8, 8], "dense_units": [8, 8]},
        training={"max_epochs": 2, "batch_size": 64, "early_stopping_patience": 5},
        threads=1,
        augmentation={"kind": "evoaug"},
        finetune={"epochs": 3, "learning_rate": 1e-4},
        out_model=tmp_path / "m.keras",
        out_history=tmp_path / "h.csv",
        out_predictions=tmp_path / "p.h5",
    )
    hist = pd.read_csv(tmp_path / "h.csv")
    assert list(hist["stage"]) == ["train"] * 2 + ["finetune"] * 3
    assert int(calls.numpy()) == 2 * 2  # 2 epochs x 2 batches, none in the 3 fine-tune epochs
