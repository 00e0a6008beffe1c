"""ImageNet-1k classes grouped by the photo category they are evidence for, and the pure
function that turns one 1000-way probability vector into per-category evidence.

Indices follow the standard ImageNet-1k (ILSVRC-2012) ordering, the synsets sorted by WordNet
id, as published in Keras' ``imagenet_class_index.json`` and used unchanged by torchvision,
timm and the EfficientNet-Lite checkpoints; the names beside the indices are that file's, so a
reader can check every row. Groups: ``pets`` (the 118 dog breeds 151-268, the five domestic
cats 281-285 and small pets), ``foods`` (prepared food and dishes 923-969 minus the cup, fruit and
vegetables at half weight, tableware at a quarter), ``travel_scenery`` (natural scenes 970-980
and a few more, landmarks: castle, palace, church, mosque, stupa, bridges, the lighthouse
``beacon``, ... and harbour context at half weight). The table is not wired into the local
engine yet: it waits for an ImageNet classifier among the built-in models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NUM_CLASSES = 1000


@dataclass(frozen=True)
class ClassGroup:
    """ImageNet classes that together are evidence for one photo category.

    ``weight`` scales the group's summed probability: 1 for classes that are the category
    (a beagle is a pet), less for classes that only go with it (a plate of fruit may be a
    still life, a pier may be a workplace)."""

    name: str
    category: str
    weight: float
    classes: Mapping[int, str]


def _span(first: int, last: int, names: str) -> dict[int, str]:
    """Indices ``first..last`` inclusive with their names, given as one space-separated string."""
    words = names.split()
    if len(words) != last - first + 1:
        raise ValueError(f"{first}-{last}: {len(words)} names for {last - first + 1} classes")
    return dict(zip(range(first, last + 1), words, strict=True))


DOGS = _span(
    151,
    268,
    "Chihuahua Japanese_spaniel Maltese_dog Pekinese Shih-Tzu Blenheim_spaniel papillon "
    "toy_terrier Rhodesian_ridgeback Afghan_hound basset beagle bloodhound bluetick "
    "black-and-tan_coonhound Walker_hound English_foxhound redbone borzoi Irish_wolfhound "
    "Italian_greyhound whippet Ibizan_hound Norwegian_elkhound otterhound Saluki "
    "Scottish_deerhound Weimaraner Staffordshire_bullterrier American_Staffordshire_terrier "
    "Bedlington_terrier Border_terrier Kerry_blue_terrier Irish_terrier Norfolk_terrier "
    "Norwich_terrier Yorkshire_terrier wire-haired_fox_terrier Lakeland_terrier "
    "Sealyham_terrier Airedale cairn Australian_terrier Dandie_Dinmont Boston_bull "
    "miniature_schnauzer giant_schnauzer standard_schnauzer Scotch_terrier Tibetan_terrier "
    "silky_terrier soft-coated_wheaten_terrier West_Highland_white_terrier Lhasa "
    "flat-coated_retriever curly-coated_retriever golden_retriever Labrador_retriever "
    "Chesapeake_Bay_retriever German_short-haired_pointer vizsla English_setter Irish_setter "
    "Gordon_setter Brittany_spaniel clumber English_springer Welsh_springer_spaniel "
    "cocker_spaniel Sussex_spaniel Irish_water_spaniel kuvasz schipperke groenendael malinois "
    "briard kelpie komondor Old_English_sheepdog Shetland_sheepdog collie Border_collie "
    "Bouvier_des_Flandres Rottweiler German_shepherd Doberman miniature_pinscher "
    "Greater_Swiss_Mountain_dog Bernese_mountain_dog Appenzeller EntleBucher boxer bull_mastiff "
    "Tibetan_mastiff French_bulldog Great_Dane Saint_Bernard Eskimo_dog malamute Siberian_husky "
    "dalmatian affenpinscher basenji pug Leonberg Newfoundland Great_Pyrenees Samoyed Pomeranian "
    "chow keeshond Brabancon_griffon Pembroke Cardigan toy_poodle miniature_poodle "
    "standard_poodle Mexican_hairless",
)
CATS = _span(281, 285, "tabby tiger_cat Persian_cat Siamese_cat Egyptian_cat")
SMALL_PETS = {1: "goldfish", 332: "Angora", 333: "hamster", 338: "guinea_pig"}

DISHES = {
    **_span(
        923,
        935,
        "plate guacamole consomme hot_pot trifle ice_cream ice_lolly French_loaf bagel pretzel "
        "cheeseburger hotdog mashed_potato",
    ),
    **_span(959, 965, "carbonara chocolate_sauce dough meat_loaf pizza potpie burrito"),
    966: "red_wine",
    967: "espresso",
    969: "eggnog",
}
PRODUCE = _span(
    936,
    957,
    "head_cabbage broccoli cauliflower zucchini spaghetti_squash acorn_squash butternut_squash "
    "cucumber artichoke bell_pepper cardoon mushroom Granny_Smith strawberry orange lemon fig "
    "pineapple banana jackfruit custard_apple pomegranate",
)
TABLEWARE = {
    504: "coffee_mug",
    809: "soup_bowl",
    968: "cup",
    659: "mixing_bowl",
    567: "frying_pan",
    909: "wok",
}

NATURE = {
    i: name
    for i, name in _span(
        970,
        980,
        "alp bubble cliff coral_reef geyser lakeside promontory sandbar seashore valley volcano",
    ).items()
    if name != "bubble"  # soap bubbles, not a landscape
}
LANDMARKS = {
    437: "beacon",
    442: "bell_cote",
    483: "castle",
    497: "church",
    500: "cliff_dwelling",
    525: "dam",
    538: "dome",
    562: "fountain",
    649: "megalith",
    663: "monastery",
    668: "mosque",
    682: "obelisk",
    698: "palace",
    727: "planetarium",
    821: "steel_arch_bridge",
    832: "stupa",
    839: "suspension_bridge",
    873: "triumphal_arch",
    888: "viaduct",
}
HARBOUR = {449: "boathouse", 460: "breakwater", 536: "dock", 576: "gondola", 718: "pier"}

GROUPS: tuple[ClassGroup, ...] = (
    ClassGroup("dogs", "pets", 1.0, DOGS),
    ClassGroup("cats", "pets", 1.0, CATS),
    ClassGroup("small_pets", "pets", 1.0, SMALL_PETS),
    ClassGroup("dishes", "foods", 1.0, DISHES),
    ClassGroup("produce", "foods", 0.5, PRODUCE),
    ClassGroup("tableware", "foods", 0.25, TABLEWARE),
    ClassGroup("nature", "travel_scenery", 1.0, NATURE),
    ClassGroup("landmarks", "travel_scenery", 1.0, LANDMARKS),
    ClassGroup("harbour", "travel_scenery", 0.5, HARBOUR),
)
"""Every group; no class belongs to two groups (checked by the tests)."""

CATEGORIES_WITH_EVIDENCE = ("pets", "foods", "travel_scenery")


def _checked(probs: npt.ArrayLike) -> npt.NDArray[np.float64]:
    p = np.asarray(probs, np.float64)
    if p.shape != (NUM_CLASSES,):
        raise ValueError(f"expected {NUM_CLASSES} class probabilities, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0.0) or np.any(p > 1.0):
        raise ValueError("class probabilities must be finite and in [0, 1] (apply softmax first)")
    if abs(float(p.sum()) - 1.0) > 1e-3:
        raise ValueError(f"class probabilities sum to {p.sum():.4f}, not 1 (softmax them first)")
    return p


def group_evidence(probs: npt.ArrayLike) -> dict[str, float]:
    """Each group's summed probability (before its weight), keyed by group name.

    ``probs`` is one softmax output over the 1000 ImageNet classes in the standard order; a
    wrong shape, a negative value or a vector that does not sum to 1 is a ``ValueError``."""
    p = _checked(probs)
    return {g.name: float(p[list(g.classes)].sum()) for g in GROUPS}


def category_evidence(probs: npt.ArrayLike) -> dict[str, float]:
    """Evidence in [0, 1] for ``pets``, ``foods`` and ``travel_scenery``: the weighted sum of
    their groups' probabilities (a photo the classifier is sure shows a beagle gives pets ~1;
    one it is unsure about spreads a little evidence everywhere)."""
    groups = group_evidence(probs)
    out = dict.fromkeys(CATEGORIES_WITH_EVIDENCE, 0.0)
    for g in GROUPS:
        out[g.category] += g.weight * groups[g.name]
    return {c: min(1.0, round(v, 6)) for c, v in out.items()}
