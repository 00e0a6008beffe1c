"""`ClipTextEncoder`: the text tower of a CLIP model exported to ONNX, as a pulled model.

Files: ``model`` (``onnx/text_model.onnx`` of a Xenova/Optimum export: input ``input_ids``,
optionally ``attention_mask``, output ``text_embeds``) and ``tokenizer`` (``tokenizer.json``,
read with the Hugging Face ``tokenizers`` library). Texts are tokenised with the file's own
normaliser, pre-tokeniser and post-processor (CLIP's ``<|startoftext|>`` ... ``<|endoftext|>``),
truncated and padded to :data:`CONTEXT_LENGTH` tokens with the file's padding token (CLIP pads
with ``<|endoftext|>``; the export pools at the first end-of-text, so padding does not change the
vector). The vector is ``text_embeds`` (projected, 512-d for ViT-B/32), else ``pooler_output``,
else the graph's first output; returned raw like the image tower's. :meth:`embed_prompts`
keeps L2-normalised, averaged prompt vectors for as long as the model stays loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel
from argus.models.embedders import pooled
from argus.runtime.session import Session

if TYPE_CHECKING:
    from tokenizers import Tokenizer

CONTEXT_LENGTH = 77
VECTOR_OUTPUTS = ("text_embeds", "pooler_output")
PAD_TOKENS = ("<|endoftext|>", "<pad>", "[PAD]")
MAX_BATCH = 32


def normalised(vectors: npt.NDArray[np.floating]) -> Float32Array:
    """Rows scaled to unit length (zero rows stay zero)."""
    arr = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=-1, keepdims=True)
    return np.asarray(arr / np.maximum(norms, 1e-12), dtype=np.float32)


class ClipTextEncoder(InferenceModel[str, Float32Array]):
    """Texts -> one float32 ``(D,)`` vector each, in the image tower's embedding space."""

    _session: Session
    _tokenizer: Tokenizer
    _inputs: list[str]
    _output: str
    _prompt_cache: dict[tuple[tuple[str, ...], ...], Float32Array]

    @property
    def providers(self) -> list[str]:
        return list(self._session.providers) if self.loaded else []

    def _load(self) -> None:
        path = self.context.files["tokenizer"]
        from tokenizers import Tokenizer  # imported when a CLIP model loads, not at start

        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises its own Exception subclasses
            raise ModelLoadFailed(f"Could not read {path.name}: {exc}") from exc
        pad_id = next(
            (i for t in PAD_TOKENS if (i := tokenizer.token_to_id(t)) is not None),
            tokenizer.padding["pad_id"] if tokenizer.padding else 0,
        )
        pad_token = tokenizer.id_to_token(pad_id) or ""
        tokenizer.enable_truncation(max_length=CONTEXT_LENGTH)
        tokenizer.enable_padding(length=CONTEXT_LENGTH, pad_id=pad_id, pad_token=pad_token)
        session = self.context.session("model")
        names = [i.name for i in session.inputs]
        if "input_ids" not in names or not session.outputs:
            raise ModelLoadFailed(f"{self.name}: the graph has no input_ids input or no output.")
        outputs = [o.name for o in session.outputs]
        self._output = next((n for n in VECTOR_OUTPUTS if n in outputs), outputs[0])
        self._inputs = [n for n in ("input_ids", "attention_mask") if n in names]
        self._tokenizer = tokenizer
        self._session = session
        self._prompt_cache = {}

    def _unload(self) -> None:
        del self._session
        self._prompt_cache = {}

    def _predict(self, batch: Sequence[str]) -> list[Float32Array]:
        out: list[Float32Array] = []
        for i in range(0, len(batch), MAX_BATCH):
            encodings = self._tokenizer.encode_batch(list(batch[i : i + MAX_BATCH]))
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            }
            (values,) = self._session.run({k: feed[k] for k in self._inputs}, [self._output])
            out.extend(pooled(self._output, values))
        return out

    def embed_prompts(self, groups: Sequence[Sequence[str]]) -> Float32Array:
        """``(len(groups), D)``: per group, the mean of its prompts' unit vectors, re-normalised.

        Computed once per load for a given set of groups (zero-shot class vectors).
        """
        key = tuple(tuple(g) for g in groups)
        self.load()
        cached = self._prompt_cache.get(key)
        if cached is not None:
            return cached
        if any(not g for g in key):
            raise ValueError("every class needs at least one prompt")
        flat = [p for g in key for p in g]
        vectors = normalised(np.stack(self.predict(flat)))
        rows, start = [], 0
        for group in key:
            rows.append(vectors[start : start + len(group)].mean(axis=0))
            start += len(group)
        matrix = normalised(np.stack(rows))
        self._prompt_cache[key] = matrix
        return matrix
