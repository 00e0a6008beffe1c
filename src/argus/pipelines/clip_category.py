"""The ``clip`` engine of photo categories: CLIP zero-shot over a list of prompts per category.

Needs two pulled models: the image tower (``clip-vit-b-32``, also used for embeddings) and the
text tower with its tokenizer (``clip-vit-b-32-text``). Each of the eight categories has several
English prompts (:data:`PROMPTS`, or ``classify.clip_prompts``); their unit text vectors are
averaged and re-normalised into one class vector, computed once per text-model load. An image's
unit vector is compared with the eight class vectors by cosine similarity, scaled by CLIP's
logit scale (:data:`LOGIT_SCALE`, 100 as trained) and turned into probabilities with a softmax;
the best category answers (a :class:`~argus.categories.CategoryAnswer`, engine ``clip``) with
its probability as the confidence. Zero-shot CLIP knows screenshots, documents, food, pets,
landscapes and groups of people well, but it is not a face counter: one person in a crowd-like
scene may come out as ``social_activities``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from argus.categories import CATEGORIES, CategoryAnswer
from argus.models.catalog import Catalog
from argus.models.clip_text import normalised
from argus.models.pool import ModelPool
from argus.models.tasks import ImageEmbedder, TextEmbedder

LOGIT_SCALE = 100.0
#: Seed 000's Chinese names of the eight keys (for the answer's description).
CATEGORY_NAMES = {
    "social_activities": "社交活动",
    "pets": "宠物萌照",
    "single_person": "单人照片",
    "foods": "美食记录",
    "travel_scenery": "旅行风景",
    "screenshot": "手机截图",
    "idcard": "证件照",
    "other": "其它",
}

#: Several English prompts per category (CLIP was trained on English captions).
PROMPTS: dict[str, tuple[str, ...]] = {
    "social_activities": (
        "a photo of a group of people at a party",
        "a group photo of friends",
        "a photo of many people at an event",
        "a photo of people having dinner together",
        "a photo of a family gathering",
    ),
    "pets": (
        "a photo of a cat",
        "a photo of a dog",
        "a photo of a pet",
        "a cute photo of my pet animal",
    ),
    "single_person": (
        "a portrait photo of a person",
        "a selfie of one person",
        "a photo of a man",
        "a photo of a woman",
    ),
    "foods": (
        "a photo of food",
        "a photo of a meal on a plate",
        "a photo of a dish at a restaurant",
        "a photo of a drink or a dessert",
    ),
    "travel_scenery": (
        "a photo of a landscape",
        "a photo of a famous tourist attraction",
        "a photo of mountains, a lake or the sea",
        "a photo of a city skyline",
        "a travel photo of scenery",
    ),
    "screenshot": (
        "a screenshot of a phone app",
        "a screenshot of a chat conversation",
        "a screenshot of a web page",
        "a mobile phone screen capture with text and icons",
    ),
    "idcard": (
        "a photo of an identity card",
        "a photo of a passport",
        "a photo of a driver license",
        "an ID document with a face photo and text",
    ),
    "other": (
        "a photo of an object",
        "a photo of a document",
        "a blurry photo",
        "a photo of a building interior",
    ),
}


def prompt_groups(overrides: Mapping[str, Sequence[str]] | None = None) -> list[tuple[str, ...]]:
    """The prompts of each category in :data:`CATEGORIES` order (overrides replace a list)."""
    chosen = dict(PROMPTS)
    for category, prompts in (overrides or {}).items():
        if category in chosen and prompts:
            chosen[category] = tuple(prompts)
    return [chosen[c] for c in CATEGORIES]


def installed(catalog: Catalog, image_model: str, text_model: str) -> bool:
    """Whether both towers are pulled (the ``clip`` engine runs only then)."""
    return all(catalog.installed(catalog.get(name)) for name in (image_model, text_model))


def zero_shot(
    image_vector: npt.NDArray[np.floating], class_vectors: npt.NDArray[np.float32], model: str
) -> CategoryAnswer:
    """Softmax over ``LOGIT_SCALE`` times the cosine of the image with each class vector;
    ``seen`` holds every category's probability."""
    logits = LOGIT_SCALE * (class_vectors @ normalised(image_vector[None, :])[0])
    exp = np.exp(logits - logits.max())
    probs = exp / exp.sum()
    best = int(np.argmax(probs))
    scores = {c: round(float(p), 4) for c, p in zip(CATEGORIES, probs, strict=True)}
    category = CATEGORIES[best]
    return CategoryAnswer(
        category=category,
        confidence=float(probs[best]),
        description=f"CLIP 零样本分类：{CATEGORY_NAMES[category]}",
        engine="clip",
        model=model,
        seen={"engine": "clip", "model": model, "scores": scores},
    )


def classify_clip(
    pixels: npt.NDArray[np.uint8],
    pool: ModelPool,
    *,
    image_model: str,
    text_model: str,
    prompts: Mapping[str, Sequence[str]] | None = None,
) -> CategoryAnswer:
    """One RGB image through both towers (blocking: run it in a thread)."""
    classes = pool.get(text_model, TextEmbedder).embed_prompts(prompt_groups(prompts))
    image = pool.get(image_model, ImageEmbedder)
    vector = np.asarray(image.predict([pixels])[0], dtype=np.float32)
    if vector.shape[-1] != classes.shape[-1]:
        raise ValueError(
            f"{image_model} gives {vector.shape[-1]}-d vectors, {text_model} {classes.shape[-1]}-d"
        )
    return zero_shot(vector, classes, image_model)
