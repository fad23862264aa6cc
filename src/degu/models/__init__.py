"""Models: architectures and their registry, output heads, saved bundles, training, augmentation.

==================  =====================================================================
module              what it holds
==================  =====================================================================
``architectures``   ``build_model`` (registry ``ARCHITECTURES``: deepstarr, residualbind,
                    cnn_task_base),
                    ``load_model`` (Keras safe mode)
``heads``           ``HeadLayout``: a model's outputs as named heads; decoding raw outputs;
                    ``profile_layout`` of profile teachers and students
``layers``          custom Keras layers a saved model may hold (``Unstandardize``)
``bundle``          a model file with its ``degu.json`` metadata: write, read, validate, load
``training``        fit, fine-tune, predict, save
``augment``         sequence augmentations (EvoAug training, dynamic distillation,
                    shifted test sets)
==================  =====================================================================

``build_model`` and ``load_model`` are re-exported here (``from degu.models import load_model``)
and imported on first use, so importing this package, or its NumPy-only modules (``heads``,
``bundle``), does not import Keras or TensorFlow.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {"build_model": "degu.models.architectures", "load_model": "degu.models.architectures"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'degu.models' has no attribute {name!r}")


__all__ = ["build_model", "load_model"]
