"""tfjs weight manifests: every stored dtype decodes to what tfjs loads, across shard files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tfjs_support import write_weights

from argus.models.convert.tfjs_weights import WeightsError, read_weights


def test_float32_float16_uint8_and_int32_weights_decode_across_shards(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weights = [
        ("dense/kernel", rng.normal(size=(4, 3)).astype(np.float32), "float32"),
        ("conv/kernel", rng.normal(size=(3, 3, 2, 2)).astype(np.float32), "uint8"),
        ("conv/bias", np.array([1.5, -2.25], np.float32), "float16"),
        ("shape", np.array([1, -1, 6], np.int32), "int32"),
    ]
    manifest, expected = write_weights(tmp_path, weights, shards=3)

    got = read_weights(manifest, tmp_path)

    assert set(got) == {name for name, _, _ in weights}
    for name, array, _ in weights:
        assert got[name].shape == array.shape
        np.testing.assert_array_equal(got[name], expected[name])
    assert got["shape"].dtype == np.int32
    assert got["conv/bias"].tolist() == [1.5, -2.25]
    # uint8 dequantization stays within half a step of the original values
    step = manifest[0]["weights"][1]["quantization"]["scale"]
    assert np.abs(got["conv/kernel"] - weights[1][1]).max() <= step / 2 + 1e-6


def test_known_uint8_values_dequantize_with_scale_and_min(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(bytes([0, 128, 255]))
    manifest = [
        {
            "paths": ["w.bin"],
            "weights": [
                {
                    "name": "q",
                    "shape": [3],
                    "dtype": "float32",
                    "quantization": {"dtype": "uint8", "scale": 0.1, "min": -1.0},
                }
            ],
        }
    ]
    np.testing.assert_allclose(read_weights(manifest, tmp_path)["q"], [-1.0, 11.8, 24.5], 1e-5)


def test_shards_longer_than_the_manifest_are_refused(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 12)
    manifest = [{"paths": ["w.bin"], "weights": [{"name": "a", "shape": [2], "dtype": "float32"}]}]
    with pytest.raises(WeightsError, match="covers 8 of 12"):
        read_weights(manifest, tmp_path)


def test_shards_shorter_than_the_manifest_are_refused(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 4)
    manifest = [{"paths": ["w.bin"], "weights": [{"name": "a", "shape": [2], "dtype": "float32"}]}]
    with pytest.raises(WeightsError, match="runs past the end"):
        read_weights(manifest, tmp_path)


def test_a_shard_path_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    manifest = [{"paths": ["../secret.bin"], "weights": []}]
    with pytest.raises(WeightsError, match="plain file name"):
        read_weights(manifest, tmp_path / "model")


def test_string_weights_are_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"")
    manifest = [{"paths": ["w.bin"], "weights": [{"name": "s", "shape": [1], "dtype": "string"}]}]
    with pytest.raises(WeightsError, match=r"'s'.*string"):
        read_weights(manifest, tmp_path)
