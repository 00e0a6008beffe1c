"""`ModelPool`: lazy loading once under concurrency, TTL unload, LRU under a memory budget, a
preload list that stays, and a clear error for a catalogued model that is not installed.

The models here are a tiny `InferenceModel` defined in this module and registered through a
catalog of specs whose family points at it: the pool's real code runs, nothing is mocked."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from argus import timing
from argus.config import Settings
from argus.errors import ModelNotInstalled, UnknownModel, WrongModelKind
from argus.models.base import InferenceModel
from argus.models.catalog import Catalog, HubSource, ModelFile, ModelSpec, PackageSource
from argus.models.faces_dlib import HogFaceDetector
from argus.models.pool import ModelPool
from argus.models.tasks import Detector, Geocoder, ImageClassifier, Model

LOADS: Counter[str] = Counter()
_LOADS_LOCK = threading.Lock()


class Doubler(InferenceModel[int, int]):
    """Takes 50 ms to load (so concurrent first requests overlap) and doubles numbers."""

    def _load(self) -> None:
        time.sleep(0.05)
        with _LOADS_LOCK:
            LOADS[self.name] += 1

    def _predict(self, batch: Sequence[int]) -> list[int]:
        return [2 * x for x in batch]


def spec(name: str, memory_mb: float = 100.0) -> ModelSpec:
    return ModelSpec(
        name=name,
        task="image-classification",
        family=f"{__name__}:Doubler",
        source=PackageSource("argus"),  # files=() resolve inside the installed argus package
        files=(),
        license="MIT",
        description=f"test model {name}",
        memory_mb=memory_mb,
    )


KNOWN = (spec("a"), spec("b"), spec("c"), spec("big", memory_mb=500.0))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _reset_loads() -> None:
    LOADS.clear()


def make_pool(tmp_path: Path, clock: Clock, **models: object) -> ModelPool:
    settings = Settings(data_dir=tmp_path / "data", offline=True, models=models)
    return ModelPool(settings, Catalog(settings.models_dir, KNOWN), clock=clock)


def loaded(pool: ModelPool) -> set[str]:
    return {s.name for s in pool.status() if s.loaded}


def test_eight_concurrent_first_requests_load_once(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, Clock())
    start = threading.Barrier(8)
    results: list[int] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            results.append(pool.get("a", Doubler).predict_one(i))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [2 * i for i in range(8)]
    assert LOADS == {"a": 1}


def test_idle_models_unload_after_the_ttl_and_load_again_on_use(tmp_path: Path) -> None:
    clock = Clock()
    pool = make_pool(tmp_path, clock, ttl_s=60.0)
    pool.get("a", Doubler)
    clock.now = 30.0
    pool.get("b", Doubler)
    clock.now = 61.0
    assert pool.evict() == ["a"]
    assert loaded(pool) == {"b"}
    status = {s.name: s for s in pool.status()}
    assert status["b"].idle_s == 31.0 and status["a"].idle_s is None

    assert pool.get("a", Doubler).predict([3]) == [6]
    assert LOADS == {"a": 2, "b": 1}


def test_ttl_zero_keeps_models_loaded(tmp_path: Path) -> None:
    clock = Clock()
    pool = make_pool(tmp_path, clock, ttl_s=0.0)
    pool.get("a", Doubler)
    clock.now = 1e9
    assert pool.evict() == []
    assert loaded(pool) == {"a"}


def test_least_recently_used_models_go_first_over_the_budget(tmp_path: Path) -> None:
    clock = Clock()
    pool = make_pool(tmp_path, clock, memory_budget_mb=250.0)
    for t, name in enumerate(["a", "b", "c"], start=1):
        clock.now = float(t)
        pool.get(name, Doubler)
    assert loaded(pool) == {"b", "c"}  # a was the least recently used

    clock.now = 4.0
    pool.get("b", Doubler)  # b is now fresher than c
    clock.now = 5.0
    pool.get("a", Doubler)
    assert loaded(pool) == {"a", "b"}
    assert pool.loaded_memory_mb() == 200.0


def test_a_model_over_the_budget_alone_still_serves(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, Clock(), memory_budget_mb=250.0)
    pool.get("a", Doubler)
    assert pool.get("big", Doubler).predict([1]) == [2]
    assert loaded(pool) == {"big"}


def test_preloaded_models_stay_loaded(tmp_path: Path) -> None:
    clock = Clock()
    pool = make_pool(tmp_path, clock, preload=["a"], ttl_s=10.0, memory_budget_mb=150.0)
    pool.preload()
    assert loaded(pool) == {"a"}
    clock.now = 100.0
    pool.get("b", Doubler)  # over budget (200 > 150) and a is idle past its TTL: a stays anyway
    clock.now = 200.0
    pool.get("c", Doubler)
    assert loaded(pool) == {"a", "c"}
    assert LOADS["a"] == 1


def test_close_unloads_everything(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, Clock())
    pool.get("a", Doubler)
    pool.get("b", Doubler)
    pool.close()
    assert loaded(pool) == set()


def test_a_catalogued_model_that_is_not_installed_names_the_pull_command(tmp_path: Path) -> None:
    absent = ModelSpec(
        name="tiny-rgb",
        task="image-classification",
        family="argus.models.image_classifier:OnnxImageClassifier",
        source=HubSource("argus-test/tiny-rgb"),
        files=(ModelFile("model", "onnx/model.onnx"),),
        license="MIT",
        description="",
        builtin=False,
    )
    settings = Settings(data_dir=tmp_path / "data", offline=True)
    pool = ModelPool(settings, Catalog(settings.models_dir, (absent,)))
    with pytest.raises(ModelNotInstalled, match="argus models pull tiny-rgb") as err:
        pool.get("tiny-rgb", ImageClassifier)
    assert err.value.status == 409
    status = pool.status()[0]
    assert not status.installed and status.pull_command == "argus models pull tiny-rgb"
    with pytest.raises(UnknownModel):
        pool.get("no-such-model", Model)


def test_option_taking_entry_points_count_as_use_and_time_the_model(tmp_path: Path) -> None:
    """``detect`` with per-call options marks the model used on the pool's clock (so TTL does not
    unload a model in use) and shows in the request's timing breakdown, as ``predict`` does."""
    now = [1000.0]
    pool = ModelPool(Settings(data_dir=tmp_path, offline=True), clock=lambda: now[0])
    hog = pool.get("dlib-hog-face", HogFaceDetector)
    now[0] = 5000.0
    with timing.collect() as spans:
        hog.detect([np.zeros((64, 64, 3), np.uint8)], upsample=0)
    assert hog.last_used == 5000.0
    assert "model:dlib-hog-face" in spans.ms


def test_a_model_of_another_kind_is_refused_before_it_loads(tmp_path: Path) -> None:
    """``get(name, kind)`` checks the protocol and the catalog task: the Doubler has
    ``predict`` (so it would pass a bare protocol check) but is an image classifier."""
    pool = make_pool(tmp_path, Clock())
    with pytest.raises(WrongModelKind, match="'a' \\(image-classification\\) is not a Detector"):
        pool.get("a", Detector)
    with pytest.raises(WrongModelKind) as err:
        pool.get("a", Geocoder)  # no locate/nearest_towns: not one structurally either
    assert err.value.status == 400 and err.value.code == "wrong_model_kind"
    assert LOADS["a"] == 0 and loaded(pool) == set()
    assert pool.get("a", ImageClassifier).predict([2]) == [4]


def test_a_model_outside_the_catalog_is_kept_once_and_evicted_like_the_others(
    tmp_path: Path,
) -> None:
    clock = Clock()
    pool = make_pool(tmp_path, clock, ttl_s=10.0)
    own = spec("user:own")
    first = pool.local(own, {}, Doubler)
    assert pool.local(own, {}, Doubler) is first and LOADS["user:own"] == 1
    clock.now = 100.0
    pool.get("a", Doubler)  # evicts what idled past the TTL
    assert not first.loaded
    assert pool.local(own, {}, Doubler).predict([1]) == [2]
    assert LOADS["user:own"] == 2


def test_installed_spec_answers_for_a_loaded_model_from_memory(tmp_path: Path) -> None:
    """A loaded model answers whatever happens to its files meanwhile, so the pool says it is
    installed without looking at them (a request's hot path); one that is not loaded is
    checked on disk, and a name outside the catalog is an error."""
    pulled = ModelSpec(
        name="pulled",
        task="image-classification",
        family=f"{__name__}:Doubler",
        source=HubSource("argus-test/pulled"),
        files=(ModelFile("model", "model.onnx"),),
        license="MIT",
        description="",
        builtin=False,
    )
    settings = Settings(data_dir=tmp_path / "data", offline=True, models={"ttl_s": 10})
    clock = Clock()
    pool = ModelPool(settings, Catalog(settings.models_dir, (pulled,)), clock=clock)
    assert pool.installed_spec("pulled") is None
    weights = settings.models_dir / "pulled" / "model.onnx"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    assert pool.installed_spec("pulled") == pulled
    assert pool.get("pulled", ImageClassifier).predict([3]) == [6]
    weights.unlink()
    assert pool.installed_spec("pulled") == pulled  # loaded: answers from memory
    clock.now = 100.0
    assert pool.evict() == ["pulled"]
    assert pool.installed_spec("pulled") is None  # unloaded: its files are gone
    with pytest.raises(UnknownModel):
        pool.installed_spec("no-such-model")
