"""A tiny ONNX encoder-decoder captioner in the transformers.js layout, for the fake hub.

Vocabulary (a WordLevel ``tokenizer.json`` built with the tokenizers library): ``<s>`` 0 (the
decoder start), ``</s>`` 1 (end), ``<pad>`` 2, ``<unk>`` 3, then ``red green blue is the main
colour``. The encoder pools the normalised image to one value per channel and maps red, green
and blue to the logits of their colour words (``(N, 1, V)`` hidden states). The decoder's logits
are ``one_hot(input_ids) @ T + hidden``: after ``<s>`` (a zero row of T) the image's dominant
colour wins; after that T (entries 100) forces ``is the main colour </s>``. So a red photo's
caption is "red is the main colour", and ``max_length=2`` gives "red is".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

SPECIAL = ["<s>", "</s>", "<pad>", "<unk>"]
WORDS = ["red", "green", "blue", "is", "the", "main", "colour"]
VOCAB = {w: i for i, w in enumerate(SPECIAL + WORDS)}
V = len(VOCAB)
CAPTION_TAIL = ["is", "the", "main", "colour"]


def _model(graph: onnx.GraphProto) -> bytes:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def tiny_encoder() -> bytes:
    inp = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, 224, 224])
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", 1, V])
    w = np.zeros((3, V), np.float32)
    for channel, word in enumerate(("red", "green", "blue")):
        w[channel, VOCAB[word]] = 5.0
    nodes = [
        helper.make_node("GlobalAveragePool", ["pixel_values"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["scores"]),
        helper.make_node("Unsqueeze", ["scores", "axis1"], ["last_hidden_state"]),
    ]
    inits = [
        numpy_helper.from_array(w, "W"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    return _model(helper.make_graph(nodes, "tiny_encoder", [inp], [out], inits))


def tiny_decoder(*, merged: bool = False) -> bytes:
    """The decoder; ``merged``: as ``decoder_model_merged.onnx``, with ``use_cache_branch`` and
    ``past_key_values.0.key/value`` inputs: the cache branch or a non-empty past adds to the
    logit of ``<unk>``, so only the no-cache branch with empty past gives the caption)."""
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])
    hidden = helper.make_tensor_value_info(
        "encoder_hidden_states", TensorProto.FLOAT, ["batch", "enc_seq", V]
    )
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", V])
    t = np.zeros((V, V), np.float32)
    chain = ["red", "green", "blue"]
    for word in chain:
        t[VOCAB[word], VOCAB["is"]] = 100.0
    for a, b in zip(CAPTION_TAIL, [*CAPTION_TAIL[1:], "</s>"], strict=True):
        t[VOCAB[a], VOCAB[b]] = 100.0
    nodes = [
        helper.make_node("OneHot", ["input_ids", "depth", "onoff"], ["onehot"], axis=-1),
        helper.make_node("MatMul", ["onehot", "T"], ["moves"]),
        helper.make_node("ReduceMean", ["encoder_hidden_states"], ["image"], axes=[1], keepdims=1),
        helper.make_node("Add", ["moves", "image"], ["logits" if not merged else "plain"]),
    ]
    inits = [
        numpy_helper.from_array(t, "T"),
        numpy_helper.from_array(np.array([V], np.int64), "depth"),
        numpy_helper.from_array(np.array([0.0, 1.0], np.float32), "onoff"),
    ]
    inputs = [ids, hidden]
    if merged:
        past = [
            helper.make_tensor_value_info(
                f"past_key_values.0.{kind}", TensorProto.FLOAT, ["batch", 2, "past_seq", 4]
            )
            for kind in ("key", "value")
        ]
        branch = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
        inputs += [*past, branch]
        nodes += [
            helper.make_node("ReduceSum", ["past_key_values.0.key"], ["k"], keepdims=0),
            helper.make_node("ReduceSum", ["past_key_values.0.value"], ["v"], keepdims=0),
            helper.make_node("Cast", ["use_cache_branch"], ["branch"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["branch", "thousand"], ["cached"]),
            helper.make_node("Add", ["k", "v"], ["kv"]),
            helper.make_node("Add", ["kv", "cached"], ["offset"]),
            helper.make_node("Mul", ["offset", "unk"], ["nudge"]),
            helper.make_node("Add", ["plain", "nudge"], ["logits"]),
        ]
        unk = np.zeros(V, np.float32)
        unk[VOCAB["<unk>"]] = 1.0  # a cache branch or a non-empty past would make <unk> win
        inits += [
            numpy_helper.from_array(np.array([1000.0], np.float32), "thousand"),
            numpy_helper.from_array(unk, "unk"),
        ]
    return _model(helper.make_graph(nodes, "tiny_decoder", inputs, [out], inits))


def tiny_tokenizer() -> bytes:
    tok = Tokenizer(WordLevel(VOCAB, unk_token="<unk>"))
    tok.pre_tokenizer = Whitespace()  # type: ignore[assignment]
    tok.add_special_tokens(SPECIAL)
    return tok.to_str().encode()


CONFIG: dict[str, Any] = {
    "model_type": "vision-encoder-decoder",
    "decoder_start_token_id": 0,
    "eos_token_id": 1,
    "pad_token_id": 2,
    "decoder": {"model_type": "gpt2", "bos_token_id": 0, "eos_token_id": 1},
}
PREPROCESSOR: dict[str, Any] = {
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "image_processor_type": "ViTImageProcessor",
    "resample": 2,
    "rescale_factor": 1 / 255,
    "size": {"height": 224, "width": 224},
}


def captioner_repo() -> dict[str, bytes]:
    """The files of ``Xenova/vit-gpt2-image-captioning`` as the catalog expects them."""
    return {
        "config.json": json.dumps(CONFIG).encode(),
        "preprocessor_config.json": json.dumps(PREPROCESSOR).encode(),
        "tokenizer.json": tiny_tokenizer(),
        "onnx/encoder_model.onnx": tiny_encoder(),
        "onnx/decoder_model.onnx": tiny_decoder(),
    }


def caption_for(colour: str, max_length: int = 50) -> str:
    return " ".join([colour, *CAPTION_TAIL][:max_length])


# --------------------------------------------------------------------------- the LLM fake

_LLM_TESTS = str(Path(__file__).resolve().parents[1] / "llm")
if _LLM_TESTS not in sys.path:
    sys.path.append(_LLM_TESTS)

from llm_fakes import FakeLlm, Reply, running_llm  # noqa: E402, F401
