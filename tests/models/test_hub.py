"""`argus models pull|verify|remove` against a loopback fake hub, through the real download and
load code: what is pulled is listed, loads and predicts; what fails leaves nothing installed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from argus.config import Settings
from argus.errors import (
    DownloadFailed,
    DownloadsDisabled,
    InvalidInput,
    ModelNotInstalled,
    NotFound,
    UnknownModel,
)
from argus.models import hub as models_hub
from argus.models.catalog import MANIFEST, Catalog, HubSource
from argus.models.pool import ModelPool
from argus.models.tasks import ImageClassifier
from fakehub import (
    RGB_LABELS,
    FakeHub,
    classifier_repo,
    classifier_spec,
    pull_settings,
    running_hub,
)

REPO = "argus-test/tiny-rgb"
RGB = np.ndarray


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    with running_hub(monkeypatch, tmp_path) as h:
        yield h


@pytest.fixture
def online(tmp_path: Path, hub: FakeHub) -> Settings:
    return pull_settings(tmp_path, hub)


def solid(r: int, g: int, b: int) -> RGB:
    image = np.empty((40, 56, 3), np.uint8)
    image[...] = (r, g, b)
    return image


def pulled_names(settings: Settings) -> list[str]:
    """Installed pulled models (the catalog also lists known pullable ones, not installed)."""
    catalog = Catalog(settings.models_dir)
    return [s.name for s in catalog.specs() if not s.builtin and catalog.installed(s)]


def test_pulled_classifier_is_listed_and_predicts_what_the_pixels_say(
    hub: FakeHub, online: Settings, chelsea: RGB, coffee: RGB
) -> None:
    hub.add_repo(REPO, classifier_repo())
    spec = models_hub.pull(REPO, online)

    catalog = Catalog(online.models_dir)
    assert pulled_names(online) == [REPO]
    assert catalog.installed(catalog.get(REPO))
    assert spec.labels == RGB_LABELS
    assert spec.task == "image-classification"
    assert isinstance(spec.source, HubSource)
    assert spec.source.revision == hub.repos[REPO].sha  # the commit, not "main"
    assert spec.license == "apache-2.0"

    model = ModelPool(online).get(REPO, ImageClassifier)
    photos = [chelsea, coffee]
    results = model.predict([solid(220, 30, 30), solid(20, 200, 40), solid(10, 20, 230), *photos])
    assert [r[0][0] for r in results[:3]] == ["red", "green", "blue"]
    for photo, result in zip(photos, results[3:], strict=True):
        brightest = RGB_LABELS[int(photo.reshape(-1, 3).mean(axis=0).argmax())]
        assert result[0][0] == brightest
    assert results[3][0][0] == "red"  # an orange cat
    for result in results:
        assert sorted(label for label, _ in result) == sorted(RGB_LABELS)
        assert sum(score for _, score in result) == pytest.approx(1.0, abs=1e-5)


def test_pull_fetches_only_what_the_model_needs(hub: FakeHub, online: Settings) -> None:
    hub.add_repo(REPO, classifier_repo(onnx_files=("onnx/model.onnx", "onnx/model_quantized.onnx")))
    seen: dict[str, tuple[int, int | None]] = {}
    spec = models_hub.pull(
        REPO, online, progress=lambda p, done, total: seen.update({p: (done, total)})
    )

    fetched = {r.path.rsplit("/resolve/", 1)[-1].split("/", 1)[-1] for r in hub.downloads()}
    assert not any("README" in p or "quantized" in p or "gitattributes" in p for p in fetched)
    assert {f.path for f in spec.files} == {
        "onnx/model.onnx",
        "config.json",
        "preprocessor_config.json",
    }
    size = len(hub.repos[REPO].files["onnx/model.onnx"])
    assert seen["onnx/model.onnx"] == (size, size)

    before = len(hub.requests)
    models_hub.pull(REPO, online)  # already there at this commit: nothing is downloaded
    assert [r.path for r in hub.requests[before:]] == [f"/api/models/{REPO}/revision/main"]

    quantized = models_hub.pull(REPO, online, variant="quantized")
    assert {f.key: f.path for f in quantized.files}["model"] == "onnx/model_quantized.onnx"


def test_onnx_choice_rule() -> None:
    choose = models_hub.choose_onnx_file
    both = ["model.onnx", "onnx/model.onnx", "onnx/model_quantized.onnx", "onnx/model_fp16.onnx"]
    assert choose(both) == "onnx/model.onnx"
    assert choose(both, "quantized") == "onnx/model_quantized.onnx"
    assert choose(both, "fp16") == "onnx/model_fp16.onnx"
    assert choose(["model.onnx", "onnx/model_int8.onnx"]) == "model.onnx"
    assert choose(["onnx/model_uint8.onnx", "onnx/model_fp16.onnx"]) == "onnx/model_uint8.onnx"
    assert choose(["pytorch_model.bin"]) is None
    assert choose([]) is None


def test_offline_refuses_before_any_request(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.add_repo(REPO, classifier_repo())
    offline = pull_settings(tmp_path, hub, offline=True)
    with pytest.raises(DownloadsDisabled, match="ARGUS_OFFLINE"):
        models_hub.pull(REPO, offline)

    monkeypatch.setenv("ARGUS_OFFLINE", "1")
    with pytest.raises(DownloadsDisabled):
        models_hub.pull(REPO, pull_settings(tmp_path, hub))

    assert hub.requests == []
    assert not offline.models_dir.exists()


def test_unknown_repo_and_names_fail_readably(hub: FakeHub, online: Settings) -> None:
    with pytest.raises(DownloadFailed, match=r"'nobody/no-such-model' was not found") as err:
        models_hub.pull("nobody/no-such-model", online)
    assert err.value.status == 502

    with pytest.raises(UnknownModel):
        models_hub.pull("not a repo id", online)
    assert len(hub.requests) == 1

    hub.add_repo(REPO, classifier_repo())
    with pytest.raises(DownloadFailed, match=r"Revision 'v9' .* not found"):
        models_hub.pull(REPO, online, revision="v9")

    hub.add_repo("argus-test/weights-only", {"config.json": b"{}", "pytorch_model.bin": b"x"})
    with pytest.raises(DownloadFailed, match=r"no ONNX graph.*no preprocessor_config\.json"):
        models_hub.pull("argus-test/weights-only", online)
    assert pulled_names(online) == []


def test_unreachable_hub_fails_readably(tmp_path: Path, hub: FakeHub) -> None:
    dead = f"http://127.0.0.1:{hub.port}"
    hub.stop()
    with pytest.raises(DownloadFailed, match=r"ConnectError|connect"):
        models_hub.pull(REPO, pull_settings(tmp_path, models={"hub_endpoint": dead}))


def test_interrupted_pull_leaves_nothing_installed_and_resumes(
    hub: FakeHub, online: Settings
) -> None:
    hub.add_repo(REPO, classifier_repo(onnx_files=("onnx/model.onnx",), padding_bytes=64_000))
    hub.break_file(REPO, "onnx/model.onnx", resume=False)
    # the config arrives, the graph is cut halfway and the hub then answers 503
    with pytest.raises(DownloadFailed):
        models_hub.pull(REPO, online)

    assert pulled_names(online) == []
    with pytest.raises(UnknownModel):
        ModelPool(online).get(REPO, ImageClassifier)
    assert not list(online.models_dir.glob(f"*/{MANIFEST}"))

    # the next pull downloads only what was missing
    hub._broken.clear()
    before = len(hub.downloads())
    models_hub.pull(REPO, online)
    again = [r.path for r in hub.downloads()[before:]]
    assert not any(p.endswith("config.json") for p in again)
    assert pulled_names(online) == [REPO]
    assert models_hub.verify(REPO, online).ok


def test_dropped_connection_resumes_with_a_range_request(hub: FakeHub, online: Settings) -> None:
    # huggingface_hub writes in 10 MB chunks: only a cut after one resumes with a Range request
    hub.add_repo(REPO, classifier_repo(padding_bytes=21_000_000))
    hub.break_file(REPO, "onnx/model.onnx", resume=True)
    spec = models_hub.pull(REPO, online)

    ranges = [r.headers.get("range") for r in hub.downloads() if r.path.startswith("/cdn/")]
    assert ranges[0] is None
    assert ranges[1] is not None and ranges[1].startswith("bytes=")
    assert models_hub.verify(spec.name, online).ok


def test_corrupted_download_is_rejected(hub: FakeHub, online: Settings) -> None:
    hub.add_repo(REPO, classifier_repo())
    hub.tamper(REPO, "onnx/model.onnx")
    with pytest.raises(DownloadFailed, match="corrupted"):
        models_hub.pull(REPO, online)
    assert pulled_names(online) == []


def test_private_repo_needs_the_token_which_stays_off_the_cdn(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_repo(REPO, classifier_repo(), token="hf_secret")
    with pytest.raises(DownloadFailed, match="not found"):
        models_hub.pull(REPO, pull_settings(tmp_path, hub))

    settings = pull_settings(tmp_path, hub, models={"hub_token": "hf_secret"})
    models_hub.pull(REPO, settings)
    assert [r.authorized for r in hub.requests if r.path.startswith("/cdn/")] == [False]
    assert all(r.authorized for r in hub.requests[1:] if not r.path.startswith("/cdn/"))


def test_hf_endpoint_variable_is_the_fallback(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_repo(REPO, classifier_repo())
    models_hub.pull(REPO, pull_settings(tmp_path))  # no hub_endpoint: HF_ENDPOINT names the hub
    assert hub.requests


def test_verify_detects_a_corrupted_file_and_remove_deletes_the_model(
    hub: FakeHub, online: Settings
) -> None:
    hub.add_repo(REPO, classifier_repo())
    spec = models_hub.pull(REPO, online)
    report = models_hub.verify(REPO, online)
    assert report.ok, report.summary()
    assert len(report.files) == 3

    graph = online.models_dir / "argus-test--tiny-rgb" / "onnx" / "model.onnx"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    report = models_hub.verify(REPO, online)
    assert not report.ok
    assert "model: " in report.problems()[0] and "corrupted" in report.problems()[0]
    assert "CORRUPTED" in report.summary()

    (online.models_dir / "argus-test--tiny-rgb" / "config.json").unlink()
    assert any("missing" in p for p in models_hub.verify(REPO, online).problems())

    removed = models_hub.remove(spec.name, online)
    assert not removed.exists()
    assert pulled_names(online) == []
    with pytest.raises(UnknownModel):
        models_hub.verify(REPO, online)
    with pytest.raises(UnknownModel):
        models_hub.remove(REPO, online)


def test_builtins_verify_and_cannot_be_removed(settings: Settings) -> None:
    report = models_hub.verify("nudenet-320n", settings)
    assert report.ok, report.summary()
    assert report.builtin
    with pytest.raises(InvalidInput, match="built in"):
        models_hub.remove("haar-face-frontal", settings)
    assert models_hub.pull("haar-face-frontal", settings).name == "haar-face-frontal"  # no-op


def test_verify_reports_an_onnx_that_does_not_load(hub: FakeHub, online: Settings) -> None:
    hub.add_repo(REPO, classifier_repo())
    models_hub.pull(REPO, online)
    graph = online.models_dir / "argus-test--tiny-rgb" / "onnx" / "model.onnx"
    graph.write_bytes(b"not an onnx graph")
    problems = models_hub.verify(REPO, online).problems()
    assert any("could not load" in p for p in problems)


def test_catalog_hub_spec_pull_and_missing_model_error(hub: FakeHub, online: Settings) -> None:
    spec = classifier_spec(REPO, "tiny-rgb")
    known = (spec,)
    pool = ModelPool(online, Catalog(online.models_dir, known))
    with pytest.raises(ModelNotInstalled, match="argus models pull tiny-rgb"):
        pool.get("tiny-rgb", ImageClassifier)
    with pytest.raises(NotFound):
        models_hub.remove("tiny-rgb", online, known=known)

    hub.add_repo(REPO, classifier_repo())
    installed = models_hub.pull("tiny-rgb", online, known=known)
    assert installed.license == "MIT" and installed.memory_mb == 5
    assert all(f.sha256 for f in installed.files)
    manifest = json.loads((online.models_dir / "tiny-rgb" / MANIFEST).read_text())
    assert manifest["repo_id"] == REPO and manifest["revision"] == hub.repos[REPO].sha

    pool = ModelPool(online, Catalog(online.models_dir, known))
    assert pool.get("tiny-rgb", ImageClassifier).predict([solid(0, 0, 250)])[0][0][0] == "blue"
    assert models_hub.verify("tiny-rgb", online, known=known).ok
