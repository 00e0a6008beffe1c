"""Seed 000's photo classification: validate, cache lookup, engines in order, cache write.

:class:`PhotoClassifier` is used by the HTTP routes and by ``argus classify`` alike. For one upload:
the bytes are checked the seed's way (size, a readable image, an allowed format; every failure a 400
of :mod:`argus.pipelines.photo_errors`; like the seed, only the header is read for that) and looked
up in the platform's result cache under the client's ``image_hash`` when it sent a SHA-256, else the
bytes' own: a hit is answered without decoding a pixel (from the process's in-memory view of the
cache, :class:`~argus.store.result_cache.ResultCache`, hits counted in batches). On a miss the image
is decoded once and the engines run in the configured order (``llm`` only while a provider is
configured, ``clip`` only while both CLIP towers are pulled): the first answers as
``llm``/``local``, a later one as ``llm_fallback``/``local_fallback``; ``clip`` is a local engine in
seed 000's vocabulary (``local``/``local_fallback``) and the answer's ``engine`` field says
``clip``. Answers are cached when seed 000 would trust them (not a failure, not ``other`` at 0.5,
confidence at least 0.3); clip and local answers only with ``cache_local`` and never ``other``.
While an LLM comes first, cached clip/local answers are not served, so configuring an LLM later
improves old photos. A clip or local answer under 0.3 confidence goes on to the next engine when
there is one, so an LLM is only paid for the photos the offline engines cannot place. An EXIF GPS
position is turned into the nearest city offline and returned with the answer. Every engine answers
a :class:`~argus.categories.CategoryAnswer` (also what the cache stores and reads back);
:class:`Outcome` adds the request's facts, and :mod:`argus.api.seeds.category` renders it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from argus.categories import CategoryAnswer, trustworthy
from argus.config import Settings
from argus.config.units import mb_to_bytes
from argus.errors import (
    ArgusError,
    FormatNotAllowed,
    ImageTooLarge,
    PayloadTooLarge,
    UnreadableImage,
    ValidationFailed,
)
from argus.imaging import ExifInfo, Header, Picture, decode, read_header
from argus.imaging.header_memo import HeaderMemo
from argus.llm import LlmChain, LlmFailed
from argus.llm.image import jpeg_for_llm
from argus.models.pool import ModelPool
from argus.models.tasks import Geocoder
from argus.pipelines.clip_category import classify_clip
from argus.pipelines.clip_category import installed as clip_installed
from argus.pipelines.local_category import MODEL as LOCAL_MODEL
from argus.pipelines.local_category import classify_local
from argus.store import cache
from argus.store.db import Database
from argus.store.result_cache import ResultCache
from argus.timing import span

log = logging.getLogger(__name__)

TASK = "photo-category"
DECODE_MAX_SIDE = 1600
CLIP_RECHECK_S = 5.0  # how long "are the CLIP towers pulled?" is remembered
LOCAL_ESCALATE_BELOW = 0.3  # a local answer this unsure passes the turn to the next engine
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
INLINE_HASH_BYTES = 512 * 1024  # larger uploads are hashed in a thread (about 1 ms per 512 KiB)


@dataclass
class Outcome:
    """One image's answer and the request's facts around it (rendered by the routes)."""

    image_hash: str
    answer: CategoryAnswer
    location: dict[str, Any] | None = None
    image_size: int | None = None
    processing_time_ms: int = 0

    @property
    def from_cache(self) -> bool:
        return self.answer.method == "cache"


def client_hash(value: str | None) -> str | None:
    """A client's ``image_hash`` when it is a SHA-256 hex digest (lower-cased), else None."""
    if value and _SHA256.match(value.strip()):
        return value.strip().lower()
    return None


class PhotoClassifier:
    """The photo-category pipeline over one app's settings, model pool and database."""

    def __init__(
        self,
        settings: Settings,
        pool: ModelPool,
        db: Database,
        results: ResultCache | None = None,
    ) -> None:
        self.settings = settings
        self.config = settings.classify
        self.pool = pool
        self.db = db
        self.results = results if results is not None else ResultCache(db, max_entries=0)
        self.chain = LlmChain(self.config)
        self.engine_order: list[str] = list(self.config.engines)
        self._clip_seen: tuple[float, bool] | None = None  # (when checked, both towers pulled)
        self.limits = settings.imaging.model_copy(update={"max_image_mb": self.config.max_image_mb})
        self.headers = HeaderMemo()  # a repeated upload skips the header parse

    @property
    def offline_models(self) -> set[str]:
        """Cache ``model`` values of the offline engines (clip, local)."""
        return {LOCAL_MODEL, self.config.clip_model}

    @property
    def engines(self) -> list[str]:
        """The engines that will run, in order."""
        return [e for e in self.engine_order if self._available(e)]

    def set_inference(self, *, use_local: bool, fallback: bool) -> None:
        """Seed 000's runtime switches (``USE_LOCAL_INFERENCE``, ``LOCAL_INFERENCE_FALLBACK``)
        as an engine order: offline engines (clip, local) first or the LLM first, and whether
        the other kind follows. Kept in this process only, like the seed's."""
        offline, llm = ["clip", "local"], ["llm"]
        first, then = (offline, llm) if use_local else (llm, offline)
        order = first + then if fallback else first
        if not any(self._available(engine) for engine in order):
            raise ValidationFailed(
                "No engine could answer with these switches: no LLM provider is configured, so "
                "use_local_inference=false needs local_inference_fallback=true"
            )
        self.engine_order = order

    def inference_switches(self) -> tuple[bool, bool]:
        """``(use_local, fallback)`` read back from the engine order."""
        order = self.engine_order
        use_local = bool(order) and order[0] != "llm"
        kinds = {e == "llm" for e in order}
        return use_local, len(kinds) == 2

    def _available(self, engine: str) -> bool:
        if engine == "llm":
            return self.chain.configured
        if engine == "clip":
            now = time.monotonic()
            if self._clip_seen is None or now - self._clip_seen[0] > CLIP_RECHECK_S:
                config = self.config
                found = clip_installed(self.pool.catalog, config.clip_model, config.clip_text_model)
                self._clip_seen = (now, found)
            return self._clip_seen[1]
        return True

    @property
    def max_bytes(self) -> int:
        return mb_to_bytes(self.config.max_image_mb)

    def check_size(self, size: int) -> None:
        """:class:`ImageTooLarge` (400) when ``size`` bytes is over the limit."""
        if size > self.max_bytes:
            raise ImageTooLarge(limit_mb=self.config.max_image_mb, size=size)

    def check(self, data: bytes) -> Header:
        """The seed's checks of an upload from its header alone (no pixel decoded), each a
        400: :class:`ImageTooLarge`, :class:`UnreadableImage`, :class:`FormatNotAllowed`."""
        self.check_size(len(data))
        with self._seed_errors():
            header = read_header(data, self.limits)
        self.check_format(header)
        return header

    def check_format(self, header: Header) -> None:
        """:class:`FormatNotAllowed` (400) for a format the config refuses."""
        fmt = header.format.lower()
        allowed = [f.lower() for f in self.config.allowed_formats]
        if fmt not in allowed and not (fmt == "jpeg" and "jpg" in allowed):
            raise FormatNotAllowed(header.format, allowed)

    def validate(self, data: bytes) -> Picture:
        """Decode an upload :meth:`classify` has checked (:meth:`check`, or a header seen before
        for the same bytes), the seed's way: its refusals are 400s, as in :meth:`check`."""
        with self._seed_errors(), span("decode"):
            return decode(data, self.limits, max_side=DECODE_MAX_SIDE)

    @contextlib.contextmanager
    def _seed_errors(self) -> Iterator[None]:
        try:
            yield
        except PayloadTooLarge as exc:
            raise ImageTooLarge(limit_mb=self.config.max_image_mb, reason=exc.message) from exc
        except ArgusError as exc:
            raise UnreadableImage(exc.message) from exc

    async def lookup(self, image_hash: str) -> Outcome | None:
        """The cached answer for an image hash (counting the hit), or None."""
        entries = await self.results.entries(sha256=image_hash, task=TASK)
        llm_first = bool(self.engines) and self.engines[0] == "llm"
        offline = self.offline_models
        for entry in entries:
            if not llm_first or entry.model not in offline:
                await self.results.hit(entry)
                return Outcome(image_hash, CategoryAnswer.from_stored(entry.result, entry.model))
        return None

    async def classify(self, data: bytes, *, image_hash: str | None = None) -> Outcome:
        """Classify one upload (validation errors raise :class:`InvalidImage`).

        The bytes are hashed and the header checked first (a header seen before comes from
        :attr:`headers`); only a cache miss decodes pixels.
        """
        start = time.perf_counter()
        self.check_size(len(data))
        digest = _sha256(data) if len(data) <= INLINE_HASH_BYTES else None
        header = self.headers.get(digest) if digest is not None else None
        if header is None:
            # a header read (and the JPEG cut-scan) costs up to milliseconds: not on the loop
            header = await asyncio.to_thread(self.check, data)
            if digest is not None:
                self.headers.put(digest, header)
        else:
            self.check_format(header)
        key = client_hash(image_hash) or digest
        if key is None:
            key = await asyncio.to_thread(_sha256, data)
        location = await self._location(header.exif)
        outcome = await self.lookup(key)
        if outcome is None:
            picture = await asyncio.to_thread(self.validate, data)
            outcome = Outcome(key, await self._infer(picture))
            await self._store(outcome)
        outcome.location = location
        outcome.image_size = len(data)
        outcome.processing_time_ms = round((time.perf_counter() - start) * 1000)
        return outcome

    async def _infer(self, picture: Picture) -> CategoryAnswer:
        """The first engine's answer that is sure enough, with the calls made and notes on the
        engines that gave way; seed 000's failure answer when none answered."""
        notes: list[str] = []
        tokens_in = tokens_out = 0
        cost = 0.0
        engines = self.engines
        for position, engine in enumerate(engines):
            method = engine if position == 0 else f"{engine}_fallback"
            more = position + 1 < len(engines)
            answer: CategoryAnswer | None
            if engine == "llm":
                try:
                    answer = await self.chain.classify(
                        await asyncio.to_thread(
                            jpeg_for_llm, picture.pixels, self.config.llm_max_side
                        )
                    )
                except LlmFailed as exc:
                    notes.append(exc.reason)
                    tokens_in += sum(c.input_tokens for c in exc.calls)
                    tokens_out += sum(c.output_tokens for c in exc.calls)
                    cost += sum(c.cost_usd for c in exc.calls)
                    log.warning("LLM classification failed: %s", exc.reason)
                    continue
            elif engine == "clip":
                answer = await self._clip(picture, more, notes)
                if answer is None:
                    continue
                method = method.replace("clip", "local")  # a local engine in seed 000's words
            else:
                answer = await self._local(picture, more, notes)
                if answer is None:
                    continue
            return replace(
                answer,
                method=method,
                input_tokens=tokens_in + answer.input_tokens,
                output_tokens=tokens_out + answer.output_tokens,
                cost_usd=cost + answer.cost_usd,
                notes=tuple(notes),
            )
        # seed 000: a failed LLM with no fallback answers "other" at 0.5 (never cached)
        return CategoryAnswer(
            category="other",
            confidence=0.5,
            method="llm" if "llm" in self.engine_order else "local",
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost,
            notes=tuple(notes),
            failed=True,
        )

    async def _store(self, outcome: Outcome) -> None:
        answer = outcome.answer
        if not trustworthy(answer):
            return
        offline = answer.model in self.offline_models
        if offline and (not self.config.cache_local or answer.category == "other"):
            return
        key = cache.make_key(sha256=outcome.image_hash, task=TASK, model=answer.model)
        await self.results.put(key=key, result=answer.stored())

    async def _clip(self, picture: Picture, more: bool, notes: list[str]) -> CategoryAnswer | None:
        """The clip engine's answer, or None (with a note) when it failed or is unsure."""
        config = self.config
        try:
            answer = await asyncio.to_thread(
                classify_clip,
                picture.pixels,
                self.pool,
                image_model=config.clip_model,
                text_model=config.clip_text_model,
                prompts=config.clip_prompts,
            )
        except (ArgusError, ValueError, TypeError) as exc:
            reason = exc.message if isinstance(exc, ArgusError) else str(exc)
            notes.append(f"clip: {reason}")
            log.warning("CLIP classification failed: %s", reason)
            return None
        if answer.confidence < LOCAL_ESCALATE_BELOW and more:
            notes.append(f"clip: {answer.category} at {answer.confidence:.3f}, asking the next")
            return None
        if not notes:
            return answer
        return replace(answer, seen={**(answer.seen or {}), "notes": list(notes)})

    async def _local(self, picture: Picture, more: bool, notes: list[str]) -> CategoryAnswer | None:
        """The local engine's answer, or None (with a note) when it is unsure and more follow."""
        answer = await asyncio.to_thread(classify_local, picture, self.pool, self.config.local_ocr)
        if answer.confidence < LOCAL_ESCALATE_BELOW and more:
            notes.append(f"local: {answer.category} at {answer.confidence}, asking the next engine")
            return None
        if not notes:
            return answer
        seen = dict(answer.seen or {})
        seen["engine_notes"] = notes
        llm_errors = [n for n in notes if not n.startswith(("clip:", "local:"))]
        if llm_errors:
            seen["llm_errors"] = llm_errors
        return replace(answer, seen=seen)

    async def _location(self, exif: ExifInfo) -> dict[str, Any] | None:
        gps = exif.gps
        if gps is None:
            return None
        try:
            geocoder = await asyncio.to_thread(self.pool.get, "geonames-cities", Geocoder)
            place = (await asyncio.to_thread(geocoder.predict, [(gps.latitude, gps.longitude)]))[0]
        except ArgusError as exc:
            log.warning("no city for the photo's GPS position: %s", exc.message)
            return {"latitude": gps.latitude, "longitude": gps.longitude, "city": None}
        return {
            "latitude": round(gps.latitude, 6),
            "longitude": round(gps.longitude, 6),
            "city": place.city,
            "name_zh": place.name_zh,
            "population": place.population,
            "geoname_id": place.geoname_id,
            "admin1": place.admin1,
            "admin2": place.admin2,
            "country_code": place.country_code,
            "distance_km": round(place.distance_km, 2),
        }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
