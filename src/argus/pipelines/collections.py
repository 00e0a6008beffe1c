"""Per-tenant collections: binary classifiers on image embeddings, versioned, the best one served.

As seed 003's ``train_classifiers.py``: each training run fits a logistic regression with
balanced class weights (``C=0.1``, liblinear; the embeddings are standardised first, so a
collection works whatever the scale of its embedding model) on an 80/20 stratified split
(``random_state=42``); then every kept version of that collection competes on the new held-out
split by macro-averaged precision, the best ``max_collection_versions`` are kept and the best is
recorded and served. Files live under ``<data_dir>/collections/<tenant>/<collection_id>/``: one
``<version>.joblib`` per version and ``collection.json`` (embedding name, dimensionality, versions
with their scores, the best version). Labels are booleans, or their usual spellings (``true``,
``in``, ``yes``, ``1``, ``positive`` ...).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from argus.config import Settings
from argus.errors import ValidationFailed

POSITIVE = frozenset({"true", "1", "yes", "in", "positive", "pos", "member"})
NEGATIVE = frozenset({"false", "0", "no", "out", "negative", "neg", "other"})
MANIFEST = "collection.json"
TEST_FRACTION = 0.2
RANDOM_STATE = 42


def parse_label(value: Any) -> bool:
    """A training label as a boolean; raises :class:`ValidationFailed` for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in POSITIVE:
        return True
    if text in NEGATIVE:
        return False
    raise ValidationFailed(f"Label '{value}' is not a yes/no label (true/false, in/out, 1/0).")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


@dataclass(frozen=True)
class Classifier:
    """A collection's served model: ``predict(vector) -> (is_in_collection, probability)``."""

    collection_id: int
    version: str
    embedding: str
    model: Any

    def predict(self, vector: npt.ArrayLike) -> tuple[bool, float]:
        x = np.asarray(vector, dtype=np.float64).reshape(1, -1)
        classes = list(self.model.classes_)
        proba = self.model.predict_proba(x)[0]
        p = float(proba[classes.index(True)]) if True in classes else 0.0
        return bool(self.model.predict(x)[0]), round(p, 6)


@dataclass(frozen=True)
class TrainReport:
    collection_id: int
    version: str
    best_version: str
    embedding: str
    dimensionality: int
    samples: int
    test_samples: int
    scores: dict[str, float]  # macro precision of every kept version on the new test split


class CollectionStore:
    """Collections of every tenant under ``<data_dir>/collections``."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.data_dir / "collections"
        self.keep = max(1, settings.analysis.max_collection_versions)
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int, str], Classifier] = {}

    def folder(self, tenant: str, collection_id: int) -> Path:
        return self.root / _safe(tenant) / str(collection_id)

    def manifest(self, tenant: str, collection_id: int) -> dict[str, Any] | None:
        path = self.folder(tenant, collection_id) / MANIFEST
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def list(self, tenant: str) -> list[dict[str, Any]]:
        base = self.root / _safe(tenant)
        out = []
        if base.is_dir():
            for folder in sorted(base.iterdir(), key=lambda p: (len(p.name), p.name)):
                if folder.name.isdigit() and (m := self.manifest(tenant, int(folder.name))):
                    out.append(m)
        return out

    def best(self, tenant: str, collection_id: int) -> Classifier | None:
        """The served classifier of a collection, or None when it has none."""
        import joblib  # type: ignore[import-untyped]

        manifest = self.manifest(tenant, collection_id)
        if manifest is None or not manifest.get("best"):
            return None
        key = (tenant, collection_id, str(manifest["best"]))
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                path = self.folder(tenant, collection_id) / f"{manifest['best']}.joblib"
                if not path.is_file():
                    return None
                model = joblib.load(path)  # our own files, written by train()
                cached = Classifier(collection_id, key[2], str(manifest["embedding"]), model)
                self._cache[key] = cached
        return cached

    def train(
        self,
        tenant: str,
        collection_id: int,
        embeddings: Sequence[Sequence[float]] | npt.NDArray[np.floating[Any]],
        labels: Sequence[Any],
        *,
        embedding: str = "clip",
    ) -> TrainReport:
        """Fit a new version, run the bake-off, keep the best versions; see the module doc."""
        import joblib
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import precision_score
        from sklearn.model_selection import train_test_split
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        x, y = _dataset(embeddings, labels)
        counts = {v: int((y == v).sum()) for v in (True, False)}
        if min(counts.values()) < 2:
            raise ValidationFailed(
                "Training needs at least 2 examples in the collection and 2 outside it "
                f"(got {counts[True]} in, {counts[False]} out)."
            )
        n_test = max(2, int(np.ceil(len(y) * TEST_FRACTION)))
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=n_test, stratify=y, random_state=RANDOM_STATE
        )
        model = make_pipeline(
            StandardScaler(),
            LogisticRegression(class_weight="balanced", C=0.1, solver="liblinear"),
        )
        model.fit(x_train, y_train)
        folder = self.folder(tenant, collection_id)
        folder.mkdir(parents=True, exist_ok=True)
        old = self.manifest(tenant, collection_id) or {}
        if old and (old.get("embedding"), old.get("dimensionality")) != (embedding, x.shape[1]):
            old = {}  # another embedding: older versions cannot compete
        version = datetime.now(UTC).strftime("%Y-%m-%d_%H%M%S_%f")
        joblib.dump(model, folder / f"{version}.joblib", protocol=4)
        entries = {e["version"]: e for e in old.get("versions", [])}
        entries[version] = {
            "version": version,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "samples": len(y_train),
        }
        scores: dict[str, float] = {}
        for name in list(entries):
            path = folder / f"{name}.joblib"
            if not path.is_file():
                entries.pop(name)
                continue
            candidate = model if name == version else joblib.load(path)
            predicted = candidate.predict(x_test)
            scores[name] = float(
                precision_score(y_test, predicted, average="macro", zero_division=0)
            )
        ranked = sorted(entries, key=lambda n: (scores[n], n), reverse=True)
        for name in ranked[self.keep :]:
            (folder / f"{name}.joblib").unlink(missing_ok=True)
        kept = ranked[: self.keep]
        for name in kept:
            entries[name]["macro_precision"] = round(scores[name], 4)
        manifest = {
            "collection_id": collection_id,
            "embedding": embedding,
            "dimensionality": int(x.shape[1]),
            "best": kept[0],
            "test_samples": len(y_test),
            "versions": [entries[n] for n in kept],
        }
        tmp = folder / f"{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        tmp.replace(folder / MANIFEST)
        return TrainReport(
            collection_id,
            version,
            kept[0],
            embedding,
            int(x.shape[1]),
            len(y),
            len(y_test),
            {n: round(scores[n], 4) for n in kept},
        )


def _dataset(
    embeddings: Sequence[Sequence[float]] | npt.NDArray[np.floating[Any]], labels: Sequence[Any]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    if len(embeddings) != len(labels):
        raise ValidationFailed(f"{len(embeddings)} embeddings but {len(labels)} labels.")
    try:
        x = np.asarray(embeddings, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Embeddings must be lists of numbers of one length.") from exc
    if x.ndim != 2 or x.shape[1] == 0 or not np.isfinite(x).all():
        raise ValidationFailed("Embeddings must be non-empty lists of finite numbers.")
    y = np.asarray([parse_label(v) for v in labels], dtype=bool)
    return x, y
