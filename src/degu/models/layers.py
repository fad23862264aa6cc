"""Custom Keras layers that a saved model may hold.

:func:`degu.models.load_model` imports this module, so every model loads (safe mode) in any
process. Registered names (``degu>Unstandardize``) are what saved models refer to: keep them.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="degu")
class Unstandardize(keras.layers.Layer):
    """``y = z * factor + offset`` per output column: the inverse of
    :class:`degu.uq.distill.TargetScaling`, the last layer of a standardized student."""

    def __init__(self, offset, factor, **kwargs):
        super().__init__(**kwargs)
        self.offset = [float(v) for v in offset]
        self.factor = [float(v) for v in factor]

    def call(self, z):
        return z * ops.convert_to_tensor(self.factor, z.dtype) + ops.convert_to_tensor(self.offset, z.dtype)

    def get_config(self):
        return {**super().get_config(), "offset": self.offset, "factor": self.factor}
