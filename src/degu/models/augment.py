"""Sequence augmentations: EvoAug training, dynamic-augmentation distillation and the
covariate-shifted test sets.

Every transformation is described by a *scheme*, a small dict from the config:

* ``{"kind": "evoaug", "n_min": a, "n_max": b}``: per minibatch, ``n`` (uniform in
  ``[a, b]``) distinct augmentations are drawn from the EvoAug list (``augmentations``,
  given separately, in config order) and applied to every sequence of the batch in list
  order, as EvoAug does. The paper trains with ``a = b = 1``, distils with ``0..2`` and
  builds the moderate shift with ``2``.
* ``{"kind": "mutation", "rate": r}``: EvoAug's random mutation. EvoAug draws
  ``round(L * r / 0.75)`` positions and a uniformly random base for each, so that a
  fraction ``r`` of positions changes on average (a quarter of the draws keep the base).
* ``{"kind": "shuffle"}``: a per-sequence **mononucleotide** shuffle (a uniformly random
  permutation of the positions). It keeps each sequence's base composition exactly but
  not its dinucleotide composition. The paper says only "random shuffling"; a
  mononucleotide shuffle is what can run inside the training graph for the dynamic
  scheme, and the large-shift test set uses the same transformation so the two match.
* ``{"kind": "none"}``: identity.

The EvoAug augmentation list (paper Methods) maps names to ``evoaug_tf.augment`` classes:
``deletion {min, max, per_batch}`` (pads the freed positions with random DNA, so the length
is kept) and ``translocation {min, max, per_batch}`` (a roll; evoaug-tf 1.0.3 draws shifts in
``[-max, max)`` and ignores ``min``). The paper applies both "per batch": one deletion / shift
for the whole minibatch (RandomDeletionBatch, fixed here as :class:`BatchDeletion`, and
RandomTranslocationBatch); ``per_batch: false`` draws one per sequence (RandomDeletion,
RandomTranslocation). ``insertion
{min, max}`` (RandomInsertion; see :class:`CroppedInsertion`), ``noise {mean, std}``
(RandomNoise; the result is no longer one-hot, by design), ``mutation {rate}``
(RandomMutation) and ``rc {prob}`` (RandomRC).

All transformations are TensorFlow ops, usable inside ``tf.function``/``train_step``;
they draw from TensorFlow's global seed, so a seeded process is reproducible.
``RobustModel`` from evoaug-tf is *not* used (broken on Keras 3, see FIELD-NOTES).
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf
from evoaug_tf import augment as evoaug

KINDS = ("evoaug", "mutation", "shuffle", "none")

#: The paper's EvoAug list (Methods, "Training DeepSTARR with EvoAug").
PAPER_AUGMENTATIONS = {
    "deletion": {"min": 0, "max": 20},
    "translocation": {"min": 0, "max": 20},
    "noise": {"mean": 0.0, "std": 0.2},
    "mutation": {"rate": 0.05},
}


class CroppedInsertion:
    """EvoAug's RandomInsertion, cropped back to the input length.

    RandomInsertion returns ``L + max`` positions (random DNA pads both ends). EvoAug's
    RobustModel instead widens the *model* input to ``L + max`` and pads every other batch;
    that would give EvoAug-trained models a different input length from every other model
    of the pipeline. Here the central ``L`` positions are kept, as in an insertion within a
    fixed-length window: up to ``max / 2`` positions at each end are pushed out (and an
    insertion near an end can itself be partly cropped).
    """

    def __init__(self, insert_min: int = 0, insert_max: int = 20):
        self.insert_max = int(insert_max)
        self._insert = evoaug.RandomInsertion(insert_min=insert_min, insert_max=insert_max)

    def __call__(self, x):
        length = tf.shape(x)[1]
        out = self._insert(x)
        start = self.insert_max // 2
        return out[:, start : start + length, :]


class BatchDeletion(evoaug.RandomDeletionBatch):
    """evoaug-tf's RandomDeletionBatch (one deletion length and position for the whole batch,
    each sequence padded at both ends with its own random DNA), with its upstream bug fixed:
    1.0.3 concatenates the pieces along the batch axis instead of the sequence axis."""

    def __call__(self, x):
        n = tf.shape(x)[0]
        length = tf.shape(x)[1]
        pad = tf.one_hot(tf.random.uniform((n, self.delete_max), 0, 4, dtype=tf.int32), 4, dtype=x.dtype)
        size = tf.random.uniform([], self.delete_min, self.delete_max + 1, dtype=tf.int32)
        start = tf.random.uniform([], 0, length - self.delete_max + 1, dtype=tf.int32)
        left = size // 2
        kept = tf.concat([x[:, :start, :], x[:, start + size :, :]], axis=1)
        return tf.concat([pad[:, :left, :], kept, pad[:, left + self.delete_max - size :, :]], axis=1)


def _one(name: str, params: dict) -> Callable:
    p = dict(params or {})
    per_batch = bool(p.get("per_batch", True))
    if name == "deletion":
        cls = BatchDeletion if per_batch else evoaug.RandomDeletion
        return cls(delete_min=int(p.get("min", 0)), delete_max=int(p.get("max", 20)))
    if name == "insertion":
        return CroppedInsertion(int(p.get("min", 0)), int(p.get("max", 20)))
    if name == "translocation":
        cls = evoaug.RandomTranslocationBatch if per_batch else evoaug.RandomTranslocation
        return cls(shift_min=int(p.get("min", 0)), shift_max=int(p.get("max", 20)))
    if name == "noise":
        return evoaug.RandomNoise(noise_mean=float(p.get("mean", 0.0)), noise_std=float(p.get("std", 0.2)))
    if name == "mutation":
        return evoaug.RandomMutation(mutate_frac=float(p.get("rate", 0.05)))
    if name == "rc":
        return evoaug.RandomRC(rc_prob=float(p.get("prob", 0.5)))
    raise ValueError(
        f"unknown EvoAug augmentation {name!r}; known: deletion, insertion, translocation, noise, mutation, rc"
    )


def shuffle_sequences(x):
    """Mononucleotide shuffle: each sequence's positions in an independent random order."""
    shape = tf.shape(x)
    order = tf.argsort(tf.random.uniform(shape[:2]), axis=1)
    return tf.gather(x, order, axis=1, batch_dims=1)


class EvoAugmenter:
    """Apply ``n`` ~ U{n_min..n_max} distinct augmentations (in list order) to a batch."""

    def __init__(self, augmentations: dict, n_min: int = 1, n_max: int = 1):
        if not augmentations:
            raise ValueError("EvoAug needs at least one augmentation")
        self.names = list(augmentations)
        self.transforms = [_one(n, augmentations[n]) for n in self.names]
        k = len(self.transforms)
        if not 0 <= int(n_min) <= int(n_max) <= k:
            raise ValueError(
                f"need 0 <= n_min <= n_max <= {k} (number of augmentations), got {n_min}, {n_max}"
            )
        self.n_min, self.n_max = int(n_min), int(n_max)

    def selection(self):
        """Boolean mask over the augmentation list for one minibatch."""
        k = len(self.transforms)
        n = tf.random.uniform([], self.n_min, self.n_max + 1, dtype=tf.int32)
        rank = tf.argsort(tf.random.uniform([k]))  # rank[j]: position of augmentation j in a random order
        return rank < n

    def apply(self, x, selected):
        for j, transform in enumerate(self.transforms):
            x = tf.cond(selected[j], lambda t=transform, x=x: t(x), lambda x=x: x)
        return x

    def __call__(self, x):
        return self.apply(x, self.selection())


def make_augmenter(scheme: dict | None, augmentations: dict | None = None) -> Callable | None:
    """The batch transformation of a scheme (see the module docstring); None for no-op."""
    if not scheme or scheme.get("kind", "none") == "none":
        return None
    kind = scheme["kind"]
    if kind == "evoaug":
        aug = EvoAugmenter(
            augmentations or PAPER_AUGMENTATIONS, scheme.get("n_min", 1), scheme.get("n_max", 1)
        )
    elif kind == "mutation":
        aug = _one("mutation", {"rate": scheme.get("rate", 0.05)})
    elif kind == "shuffle":
        aug = shuffle_sequences
    else:
        raise ValueError(f"unknown augmentation scheme kind {kind!r}; known: {KINDS}")

    def transform(x):
        # Every transformation keeps the length; make that static for the model's layers.
        return tf.ensure_shape(aug(x), x.shape)

    return transform


def augment_array(x, scheme: dict, augmentations: dict | None = None, batch_size: int = 100, seed: int = 0):
    """Transform a whole array batch by batch (each batch draws its own EvoAug selection),
    reproducibly for a given ``seed``. Used to build the shifted test sets."""
    import numpy as np

    transform = make_augmenter(scheme, augmentations)
    x = np.asarray(x, dtype=np.float32)
    if transform is None:
        return x.copy()
    tf.random.set_seed(int(seed))
    step = tf.function(transform, reduce_retracing=True)
    out = [step(tf.constant(x[i : i + batch_size])).numpy() for i in range(0, len(x), batch_size)]
    return np.concatenate(out, axis=0) if out else x.copy()
