"""The ImageNet class-group table and its evidence function, on synthetic probability vectors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from argus.pipelines.imagenet_categories import (
    GROUPS,
    NUM_CLASSES,
    category_evidence,
    group_evidence,
)


def peaked(index: int, mass: float = 0.9) -> npt.NDArray[np.float64]:
    """``mass`` on one class, the rest spread evenly over the other 999."""
    p = np.full(NUM_CLASSES, (1.0 - mass) / (NUM_CLASSES - 1))
    p[index] = mass
    return p


def test_the_table_names_match_the_standard_imagenet_order() -> None:
    names = {i: name for g in GROUPS for i, name in g.classes.items()}
    spot_checks = {
        151: "Chihuahua",
        207: "golden_retriever",
        268: "Mexican_hairless",
        281: "tabby",
        285: "Egyptian_cat",
        333: "hamster",
        483: "castle",
        497: "church",
        698: "palace",
        839: "suspension_bridge",
        923: "plate",
        963: "pizza",
        970: "alp",
        980: "volcano",
    }
    for index, name in spot_checks.items():
        assert names[index] == name


def test_no_class_is_in_two_groups_and_indices_are_in_range() -> None:
    seen: list[int] = [i for g in GROUPS for i in g.classes]
    assert len(seen) == len(set(seen))
    assert all(0 <= i < NUM_CLASSES for i in seen)
    # wild animals and persons are no one's evidence
    for wild in (269, 286, 291, 292, 340):  # timber wolf, cougar, lion, tiger, zebra
        assert wild not in seen


@pytest.mark.parametrize(
    ("index", "category"),
    [
        (162, "pets"),  # beagle
        (282, "pets"),  # tiger cat
        (333, "pets"),  # hamster
        (963, "foods"),  # pizza
        (933, "foods"),  # cheeseburger
        (970, "travel_scenery"),  # alp
        (978, "travel_scenery"),  # seashore
        (483, "travel_scenery"),  # castle
        (437, "travel_scenery"),  # beacon (lighthouse)
    ],
)
def test_a_confident_class_is_strong_evidence_for_its_category_only(
    index: int, category: str
) -> None:
    evidence = category_evidence(peaked(index))
    assert evidence[category] >= 0.9
    assert all(v < 0.1 for c, v in evidence.items() if c != category)


def test_an_unrelated_class_gives_no_category_evidence() -> None:
    evidence = category_evidence(peaked(291))  # lion: wildlife, not a pet
    assert max(evidence.values()) < 0.1


def test_uniform_uncertainty_gives_each_category_only_its_share() -> None:
    evidence = category_evidence(np.full(NUM_CLASSES, 1.0 / NUM_CLASSES))
    assert evidence["pets"] == pytest.approx(127 / NUM_CLASSES, abs=1e-6)
    assert all(v < 0.2 for v in evidence.values())


def test_weaker_groups_count_for_less() -> None:
    cup = category_evidence(peaked(968))["foods"]  # a cup: goes with food
    banana = category_evidence(peaked(954))["foods"]  # produce
    pizza = category_evidence(peaked(963))["foods"]  # a dish
    assert cup < banana < pizza


def test_mass_split_between_breeds_adds_up() -> None:
    p = np.zeros(NUM_CLASSES)
    p[[207, 208, 222]] = 0.3  # golden, Labrador, kuvasz: unsure which dog
    p[0] = 0.1
    assert category_evidence(p)["pets"] == pytest.approx(0.9)
    assert group_evidence(p)["dogs"] == pytest.approx(0.9)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(999),
        np.zeros((2, NUM_CLASSES)),
        np.full(NUM_CLASSES, 0.5),  # sums to 500: logits or sigmoids, not a softmax
        np.r_[-0.1, np.full(NUM_CLASSES - 1, 1.1 / (NUM_CLASSES - 1))],
        np.r_[np.nan, np.zeros(NUM_CLASSES - 1)],
    ],
    ids=["short", "batch", "not-summing-to-1", "negative", "nan"],
)
def test_vectors_that_are_not_one_softmax_are_refused(bad: npt.NDArray[np.float64]) -> None:
    with pytest.raises(ValueError):
        category_evidence(bad)
