"""A tiny CLIP laid out as ``Xenova/clip-vit-base-patch32``: both ONNX towers and a tokenizer.

Image tower: ``pixel_values (N, 3, 224, 224)`` -> mean of each channel -> ``image_embeds (N, 3)``,
so a solid colour's vector is its CLIP-normalised RGB. Text tower: ``input_ids`` and
``attention_mask``, both declared ``(N, 77)`` so that ONNX Runtime refuses anything not padded
or truncated to 77 tokens, -> the masked sum of one embedding row per token -> ``text_embeds``.
Every word has a zero row except the :data:`WORD_VECTORS` ones, so "a photo of a cat" points
where a red picture does and "a screenshot of a phone app" where a blue one does. The tokenizer
is a WordLevel model built with the ``tokenizers`` library (lower case, whitespace split,
``<|startoftext|> $A <|endoftext|>``), saved as ``tokenizer.json``.
"""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from fakehub import CLIP_MEAN, CLIP_PREPROCESSOR, CLIP_STD

RED = (230, 20, 20)
BLUE = (20, 20, 230)
SPECIALS = ("[UNK]", "<|startoftext|>", "<|endoftext|>")


def colour_vector(rgb: tuple[int, int, int]) -> npt.NDArray[np.float32]:
    """The tiny image tower's output for a picture of one solid colour."""
    v = (np.asarray(rgb, np.float64) / 255 - np.asarray(CLIP_MEAN)) / np.asarray(CLIP_STD)
    return v.astype(np.float32)


WORD_VECTORS: dict[str, npt.NDArray[np.float32]] = {
    "cat": colour_vector(RED),
    "dog": colour_vector(RED),
    "screenshot": colour_vector(BLUE),
    "phone": colour_vector(BLUE),
}
FILLER = [
    "a",
    "photo",
    "of",
    "the",
    "an",
    "with",
    "and",
    "my",
    "on",
    "at",
    "or",
    "screen",
    "app",
    "chat",
]


def _model(graph: onnx.GraphProto) -> bytes:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def vision_tower() -> bytes:
    inp = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, 224, 224])
    out = helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch", 3])
    nodes = [
        helper.make_node("GlobalAveragePool", ["pixel_values"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["image_embeds"], axis=1),
    ]
    return _model(helper.make_graph(nodes, "tiny_clip_vision", [inp], [out]))


def vocabulary() -> dict[str, int]:
    words = list(SPECIALS) + sorted(set(WORD_VECTORS) | set(FILLER))
    return {w: i for i, w in enumerate(words)}


def text_tower(vocab: dict[str, int]) -> bytes:
    table = np.zeros((len(vocab), 3), np.float32)
    for word, vector in WORD_VECTORS.items():
        table[vocab[word]] = vector
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", 77])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", 77])
    out = helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch", 3])
    inits = [
        numpy_helper.from_array(table, "table"),
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["tokens"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tokens", "mask3"], ["kept"]),
        helper.make_node("ReduceSum", ["kept", "axis1"], ["text_embeds"], keepdims=0),
    ]
    graph = helper.make_graph(nodes, "tiny_clip_text", [ids, mask], [out], inits)
    return _model(graph)


def tokenizer_json(vocab: dict[str, int]) -> bytes:
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<|startoftext|> $A <|endoftext|>",
        special_tokens=[(t, vocab[t]) for t in ("<|startoftext|>", "<|endoftext|>")],
    )
    return tokenizer.to_str().encode()


def clip_repo() -> dict[str, bytes]:
    """The files of ``Xenova/clip-vit-base-patch32`` the two catalog entries pull."""
    vocab = vocabulary()
    return {
        "config.json": json.dumps({"model_type": "clip"}).encode(),
        "preprocessor_config.json": json.dumps(CLIP_PREPROCESSOR).encode(),
        "onnx/vision_model.onnx": vision_tower(),
        "onnx/text_model.onnx": text_tower(vocab),
        "tokenizer.json": tokenizer_json(vocab),
    }


def solid(rgb: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> npt.NDArray[np.uint8]:
    return np.full((size[1], size[0], 3), rgb, np.uint8)
