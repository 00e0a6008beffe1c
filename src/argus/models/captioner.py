"""`OnnxCaptioner`: an ONNX encoder-decoder image captioner in the transformers.js layout.

Files (as ``Xenova/vit-gpt2-image-captioning`` has them): ``encoder`` (``onnx/encoder_model.onnx``,
``pixel_values`` -> ``last_hidden_state``), ``decoder`` (``onnx/decoder_model.onnx``, or a
``decoder_model_merged.onnx`` run on its no-cache branch with empty past key/values),
``config`` (``config.json``: ``decoder_start_token_id``, ``eos_token_id``, ``pad_token_id``, at
the top level or under ``decoder``), ``preprocessor`` (``preprocessor_config.json``, the same
transformers-compatible preprocessing as the image classifiers) and ``tokenizer``
(``tokenizer.json``, decoded with the ``tokenizers`` package, special tokens skipped).
Decoding is greedy and does not use past key/values: the plain decoder runs on the whole growing
sequence at every step, which is O(n²) in the caption length. That is fine for the ~10-20 token
captions such models write (they stop at the end-of-sequence token); ``max_length`` (new tokens)
bounds the worst case. As with ``no_repeat_ngram_size=3`` in transformers, a token that would
repeat a trigram already in the caption is never chosen (greedy GPT-2 captioners otherwise
loop on phrases until ``max_length``). Input: ``(RGB image, max_length)``; output: the caption.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel
from argus.models.image_classifier import Preprocessing, preprocess
from argus.runtime.session import Session, TensorInfo

CaptionRequest = tuple[RGB, int]
NO_REPEAT_NGRAM = 3


def banned_tokens(ids: Sequence[int], n: int = NO_REPEAT_NGRAM) -> set[int]:
    """Tokens that would complete an n-gram already present in ``ids``."""
    if len(ids) < n:
        return set()
    prefix = tuple(ids[len(ids) - n + 1 :])
    return {ids[i + n - 1] for i in range(len(ids) - n + 1) if tuple(ids[i : i + n - 1]) == prefix}


def _read_json(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadFailed(f"Could not read {path.name}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def token_id(config: Mapping[str, Any], *keys: str) -> int | None:
    """The first of ``keys`` set in ``config`` or its ``decoder`` section (a list: its first)."""
    sections = [config, config.get("decoder") or {}]
    for key in keys:
        for section in sections:
            value = section.get(key) if isinstance(section, Mapping) else None
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def _static(dim: int | str | None) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def empty_past(info: TensorInfo, batch: int) -> npt.NDArray[np.float32]:
    """A zero-length past key/value tensor for a merged decoder's no-cache branch."""
    dims = [batch if i == 0 else (_static(d) or 0) for i, d in enumerate(info.shape)]
    return np.zeros(dims, np.float16 if "float16" in info.dtype else np.float32)


class OnnxCaptioner(InferenceModel[CaptionRequest, str]):
    """``(RGB uint8 (H, W, 3), max_length)`` -> one caption."""

    _encoder: Session
    _decoder: Session
    _pre: Preprocessing
    _fixed: tuple[int, int] | None
    _enc_input: str
    _enc_output: str
    _logits: str
    _start: int
    _eos: set[int]
    _tokenizer: Any

    @property
    def providers(self) -> list[str]:
        return list(self._decoder.providers) if self.loaded else []

    def _load(self) -> None:
        from tokenizers import Tokenizer

        files = self.context.files
        config = _read_json(files.get("config"))
        self._pre = Preprocessing.from_config(_read_json(files.get("preprocessor")))
        start = token_id(config, "decoder_start_token_id", "bos_token_id")
        eos = token_id(config, "eos_token_id")
        if start is None or eos is None:
            raise ModelLoadFailed(
                f"{self.name}: config.json names no decoder_start_token_id or eos_token_id."
            )
        self._start, self._eos = start, {eos}
        try:
            self._tokenizer = Tokenizer.from_file(str(files["tokenizer"]))
        except Exception as exc:  # the tokenizers package raises plain Exception subclasses
            raise ModelLoadFailed(f"{self.name}: could not read tokenizer.json: {exc}") from exc
        encoder = self.context.session("encoder")
        inputs = [i for i in encoder.inputs if i.name == "pixel_values"] or list(encoder.inputs)
        names = [o.name for o in encoder.outputs]
        if not inputs or not names:
            raise ModelLoadFailed(f"{self.name}: the encoder has no input or no output.")
        self._enc_input = inputs[0].name
        self._enc_output = "last_hidden_state" if "last_hidden_state" in names else names[0]
        shape = inputs[0].shape
        h, w = (_static(d) for d in shape[2:4]) if len(shape) == 4 else (None, None)
        self._fixed = (h, w) if h is not None and w is not None else None
        decoder = self.context.session("decoder")
        known = ("input_ids", "encoder_hidden_states", "attention_mask", "use_cache_branch")
        for info in decoder.inputs:
            if not (
                info.name in known
                or info.name.endswith("attention_mask")
                or info.name.startswith("past_key_values")
            ):
                raise ModelLoadFailed(f"{self.name}: unknown decoder input '{info.name}'.")
        if not any(i.name == "input_ids" for i in decoder.inputs):
            raise ModelLoadFailed(f"{self.name}: the decoder has no input_ids input.")
        outputs = [o.name for o in decoder.outputs]
        self._logits = "logits" if "logits" in outputs else outputs[0]
        self._encoder, self._decoder = encoder, decoder

    def _unload(self) -> None:
        del self._encoder, self._decoder, self._tokenizer

    def _feeds(
        self, ids: npt.NDArray[np.int64], hidden: npt.NDArray[np.generic]
    ) -> dict[str, npt.NDArray[np.generic]]:
        feeds: dict[str, npt.NDArray[np.generic]] = {}
        for info in self._decoder.inputs:
            name = info.name
            if name == "input_ids":
                feeds[name] = ids
            elif name == "encoder_hidden_states":
                feeds[name] = hidden
            elif name == "encoder_attention_mask":
                feeds[name] = np.ones(hidden.shape[:2], np.int64)
            elif name.endswith("attention_mask"):
                feeds[name] = np.ones(ids.shape, np.int64)
            elif name == "use_cache_branch":
                feeds[name] = np.array([False])
            else:  # past_key_values.*: empty, ignored on the no-cache branch
                feeds[name] = empty_past(info, ids.shape[0])
        return feeds

    def caption(self, image: RGB, max_length: int) -> str:
        """Greedy decoding of up to ``max_length`` new tokens (stops at end-of-sequence)."""
        pixels = preprocess(np.asarray(image), self._pre, self._fixed)[None]
        (hidden,) = self._encoder.run({self._enc_input: pixels}, [self._enc_output])
        ids = [self._start]
        for _ in range(max(int(max_length), 0)):
            x = np.asarray([ids], np.int64)
            (logits,) = self._decoder.run(self._feeds(x, hidden), [self._logits])
            last = np.array(np.asarray(logits)[0, -1], np.float32)
            banned = list(banned_tokens(ids[1:]))
            if banned:
                last[banned] = -np.inf
            nxt = int(np.argmax(last))
            if nxt in self._eos:
                break
            ids.append(nxt)
        text: str = self._tokenizer.decode(ids[1:], skip_special_tokens=True)
        return " ".join(text.split())

    def _predict(self, batch: Sequence[CaptionRequest]) -> list[str]:
        return [self.caption(image, max_length) for image, max_length in batch]
