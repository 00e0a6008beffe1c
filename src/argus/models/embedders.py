"""`OnnxImageEmbedder`: image towers of CLIP and DINOv2 exported to ONNX, as pulled models.

Files: ``model`` (an ONNX graph with input ``pixel_values``) and ``preprocessor``
(``preprocessor_config.json``, read by the same transformers-compatible preprocessing as the
image classifiers: resize, center crop, rescale, normalize). The vector is taken from the first
output present among ``image_embeds`` (CLIP's projected image features, 512-d for ViT-B/32),
``pooler_output`` (DINOv2's layer-normed CLS token, 768-d for the base model), then the CLS row
of ``last_hidden_state``, else the graph's first output. Vectors are returned raw (not
L2-normalised), as seed 003 returned them. Batches run as one call when the batch axis is dynamic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Float32Array
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel
from argus.models.image_classifier import Preprocessing, preprocess
from argus.runtime.session import Session, TensorInfo

#: Outputs that hold the image vector, best first.
VECTOR_OUTPUTS = ("image_embeds", "pooler_output", "last_hidden_state")
MAX_BATCH = 16


def _static(dim: int | str | None) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def pooled(output_name: str, values: npt.NDArray[np.generic]) -> Float32Array:
    """``(N, D)`` vectors from a graph output: ``(N, T, D)`` token outputs give their CLS row."""
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim == 3:
        return np.ascontiguousarray(arr[:, 0, :])
    if arr.ndim != 2:
        raise ModelLoadFailed(f"output '{output_name}' has shape {arr.shape}, not (N, D)")
    return arr


class OnnxImageEmbedder(InferenceModel[RGB, Float32Array]):
    """RGB uint8 ``(H, W, 3)`` images -> one float32 ``(D,)`` vector each."""

    _session: Session
    _pre: Preprocessing
    _input: TensorInfo
    _output: str
    _fixed: tuple[int, int] | None
    _dynamic_batch: bool

    @property
    def providers(self) -> list[str]:
        return list(self._session.providers) if self.loaded else []

    def _load(self) -> None:
        path = self.context.files.get("preprocessor")
        config = {}
        if path is not None:
            try:
                config = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ModelLoadFailed(f"Could not read {path.name}: {exc}") from exc
        self._pre = Preprocessing.from_config(config)
        session = self.context.session("model")
        inputs = [i for i in session.inputs if i.name == "pixel_values"] or list(session.inputs)
        if not inputs or not session.outputs:
            raise ModelLoadFailed(f"{self.name}: the graph has no input or no output.")
        names = [o.name for o in session.outputs]
        self._output = next((n for n in VECTOR_OUTPUTS if n in names), names[0])
        self._input = inputs[0]
        shape = self._input.shape
        h, w = (_static(d) for d in shape[2:4]) if len(shape) == 4 else (None, None)
        self._fixed = (h, w) if h is not None and w is not None else None
        self._dynamic_batch = not shape or _static(shape[0]) is None
        self._session = session

    def _unload(self) -> None:
        del self._session

    def _predict(self, batch: Sequence[RGB]) -> list[Float32Array]:
        tensors = [preprocess(np.asarray(im), self._pre, self._fixed) for im in batch]
        step = MAX_BATCH if self._dynamic_batch else 1
        out: list[Float32Array] = []
        for i in range(0, len(tensors), step):
            group = tensors[i : i + step]
            shapes = {t.shape for t in group}
            chunks = [group] if len(shapes) == 1 else [[t] for t in group]
            for chunk in chunks:
                x = np.ascontiguousarray(np.stack(chunk), dtype=np.float32)
                (values,) = self._session.run({self._input.name: x}, [self._output])
                out.extend(pooled(self._output, values))
        return out
