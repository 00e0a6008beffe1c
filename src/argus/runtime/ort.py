"""ONNX Runtime sessions: provider choice, thread settings, and the provider actually used.

Only this module imports ``onnxruntime``, and only when a session is built or the providers are
asked for (start-up does not pay for it). TensorRT and CUDA are used when the installed build
offers them (``onnxruntime-gpu``), else the CPU; ``OrtSession.providers`` reports what the
session really runs on, since ORT silently falls back when a provider fails to initialise.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from argus.config import RuntimeSettings
from argus.errors import ModelLoadFailed
from argus.runtime import load
from argus.runtime.session import TensorInfo

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

PREFERRED_PROVIDERS = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "CPUExecutionProvider",
)
#: ONNX Runtime gains little past a few threads on one small model.
MAX_AUTO_IDLE_THREADS = 8


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


def idle_threads(settings: RuntimeSettings) -> int:
    """Threads for a model call that finds the machine otherwise idle (``runtime.idle_threads``;
    0: the cores this process may use, at most :data:`MAX_AUTO_IDLE_THREADS`)."""
    if settings.idle_threads > 0:
        return settings.idle_threads
    return max(1, min(MAX_AUTO_IDLE_THREADS, len(os.sched_getaffinity(0))))


def _info(arg: ort.NodeArg) -> TensorInfo:
    shape = tuple(arg.shape or ())
    return TensorInfo(arg.name, shape, str(arg.type))


class OrtSession:
    """An ``onnxruntime.InferenceSession`` behind the :class:`Session` protocol.

    On the CPU a call runs on ``runtime.intra_op_threads`` (one) while other Argus work is in
    flight on the machine (:mod:`argus.runtime.load`), and on ``runtime.idle_threads`` when it
    is the only work: a lone request then gets the idle cores, and under load the requests
    share them one thread each. The wider session is a second session of the same graph,
    opened on the first lone call (its weights are a second copy while the model is loaded).
    """

    def __init__(
        self,
        model: Path | bytes,
        settings: RuntimeSettings,
        *,
        machine: load.MachineLoad | None = None,
    ) -> None:
        self._source = model
        self._machine = machine or load.LOAD
        self._settings = settings
        self._providers = choose_providers(settings)
        self._narrow = max(1, settings.intra_op_threads)
        self._session = self._open(self._narrow)
        self._inputs = [_info(a) for a in self._session.get_inputs()]
        self._outputs = [_info(a) for a in self._session.get_outputs()]
        meta = self._session.get_modelmeta()
        self._metadata = dict(meta.custom_metadata_map or {})
        cpu_only = list(self._session.get_providers()) == ["CPUExecutionProvider"]
        wide = idle_threads(settings) if cpu_only else 1
        self._wide_threads = wide if wide > self._narrow else 0
        self._wide: ort.InferenceSession | None = None
        self._wide_lock = threading.Lock()
        #: threads the latest call ran on
        self.last_threads = self._narrow
        log.debug("loaded %s on %s", self._name, self.providers)

    @property
    def _name(self) -> str:
        return "<bytes>" if isinstance(self._source, bytes) else Path(self._source).name

    def _open(self, threads: int) -> ort.InferenceSession:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = max(1, self._settings.inter_op_threads)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if threads > 1:
            # a lone call's threads spin between operators (nsfwjs 6.3 ms vs 7.7 blocking and
            # waking, EfficientNet-Lite0 7.9 vs 9.3, no more CPU) and stop spinning when the
            # call returns: threads left spinning after it made the request's next model (NanoDet
            # then CenterFace) 2x slower, which is why spinning was off before (measured)
            opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
            opts.add_session_config_entry("session.force_spinning_stop", "1")
        source = self._source if isinstance(self._source, bytes) else str(self._source)
        try:
            return ort.InferenceSession(source, sess_options=opts, providers=self._providers)
        except Exception as exc:  # ORT raises its own untyped exceptions
            raise ModelLoadFailed(f"ONNX Runtime could not load {self._name}: {exc}") from exc

    @property
    def wide_threads(self) -> int:
        """Threads of a lone call (0: every call runs on the one session)."""
        return self._wide_threads

    def _for_this_call(self) -> ort.InferenceSession:
        if not self._wide_threads or not self._machine.alone():
            self.last_threads = self._narrow
            return self._session
        with self._wide_lock:
            if self._wide is None:
                self._wide = self._open(self._wide_threads)
        self.last_threads = self._wide_threads
        return self._wide

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
        with load.model_call(self._machine):
            session = self._for_this_call()
            result = session.run(list(outputs) if outputs else None, dict(feeds))
        return [np.asarray(r) for r in result]
