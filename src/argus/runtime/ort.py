"""ONNX Runtime sessions: provider choice, thread settings, and the provider actually used.

Only this module imports ``onnxruntime``, and only when a session is built or the providers are
asked for (start-up does not pay for it). TensorRT and CUDA are used when the installed build
offers them (``onnxruntime-gpu``), else the CPU; ``OrtSession.providers`` reports what the
session really runs on, since ORT silently falls back when a provider fails to initialise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from argus.config import RuntimeSettings
from argus.errors import ModelLoadFailed
from argus.runtime.session import TensorInfo

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

PREFERRED_PROVIDERS = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "CPUExecutionProvider",
)


def available_providers() -> list[str]:
    """Execution providers this onnxruntime build offers."""
    import onnxruntime as ort

    return list(ort.get_available_providers())


def choose_providers(settings: RuntimeSettings) -> list[str]:
    """The providers to ask for: the configured order, else TensorRT > CUDA > CPU if present."""
    available = set(available_providers())
    wanted = settings.providers or list(PREFERRED_PROVIDERS)
    chosen = [p for p in wanted if p in available]
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


def _info(arg: ort.NodeArg) -> TensorInfo:
    shape = tuple(arg.shape or ())
    return TensorInfo(arg.name, shape, str(arg.type))


class OrtSession:
    """An ``onnxruntime.InferenceSession`` behind the :class:`Session` protocol."""

    def __init__(self, model: Path | bytes, settings: RuntimeSettings) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, settings.intra_op_threads)
        opts.inter_op_num_threads = max(1, settings.inter_op_threads)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        source = model if isinstance(model, bytes) else str(model)
        try:
            self._session = ort.InferenceSession(
                source, sess_options=opts, providers=choose_providers(settings)
            )
        except Exception as exc:  # ORT raises its own untyped exceptions
            name = "<bytes>" if isinstance(model, bytes) else Path(model).name
            raise ModelLoadFailed(f"ONNX Runtime could not load {name}: {exc}") from exc
        self._inputs = [_info(a) for a in self._session.get_inputs()]
        self._outputs = [_info(a) for a in self._session.get_outputs()]
        meta = self._session.get_modelmeta()
        self._metadata = dict(meta.custom_metadata_map or {})
        log.debug("loaded %s on %s", model, self.providers)

    @property
    def inputs(self) -> Sequence[TensorInfo]:
        return self._inputs

    @property
    def outputs(self) -> Sequence[TensorInfo]:
        return self._outputs

    @property
    def providers(self) -> Sequence[str]:
        return list(self._session.get_providers())

    @property
    def metadata(self) -> Mapping[str, str]:
        return self._metadata

    def run(
        self, feeds: Mapping[str, npt.NDArray[np.generic]], outputs: Sequence[str] | None = None
    ) -> list[npt.NDArray[np.generic]]:
        result = self._session.run(list(outputs) if outputs else None, dict(feeds))
        return [np.asarray(r) for r in result]
