"""Video in, H.264 MP4 out with the audio kept: the PyAV transcoder behind video anonymization.

:class:`Transcoder` opens an MP4, MOV, WebM/Matroska or AVI file with PyAV (FFmpeg's libraries
ship in its wheel; no system ffmpeg), checks the limits of :class:`~argus.config.VideoSettings`
before the first frame is decoded (file bytes, declared duration and frame count: 413), and
streams: :meth:`Transcoder.frames` decodes one frame at a time (RGB uint8) while copying the
first audio stream's packets to the output as the demuxer meets them, and :meth:`Transcoder.write`
encodes a frame with libx264 (CRF ``crf``, ``yuv420p``; ``yuv444p`` when a side is odd, since
4:2:0 needs even sides) at the input's size and time stamps, so the frame rate and duration are
the input's. Audio in a codec MP4 holds (AAC, MP3, Opus, FLAC, ALAC, AC-3) is copied packet for
packet; other audio (PCM in AVI or MOV, Vorbis in WebM) is re-encoded to AAC (mono or
stereo). Nothing but the frames waiting in the caller's own window is held in memory, whatever
the video's length.
A file FFmpeg cannot read is an InvalidVideo (400); a stream longer than its limits is cut by a
PayloadTooLarge (413) raised when the limit is crossed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

from argus.arrays import RGB
from argus.config import VideoSettings
from argus.config.units import bytes_to_mb, mb_to_bytes
from argus.errors import InvalidVideo, PayloadTooLarge
from argus.imaging.formats import describe
from argus.plainwords import describe as describe_error

#: Audio codecs an MP4 file holds as they are (copied, not re-encoded).
MP4_AUDIO = frozenset({"aac", "mp3", "opus", "flac", "alac", "ac3", "eac3"})
_VIDEO_WORDS = ("MP4/MOV video", "AVI video", "Matroska/WebM video")


def looks_like_video(head: bytes) -> bool:
    """Whether the first bytes of a file are an MP4/MOV, AVI or Matroska/WebM container."""
    return any(word in describe(head) for word in _VIDEO_WORDS)


@dataclass(frozen=True)
class VideoStreams:
    """What the input holds.

    Attributes:
        width, height: frame size in pixels.
        fps: average frame rate (frames per second), None when the container does not say.
        frame_count: frames declared by the container, None when unknown.
        duration_s: length in seconds, None when unknown.
        audio: the audio codec's name, None without audio.
        audio_copied: whether the audio is copied as it is (else re-encoded to AAC).
    """

    width: int
    height: int
    fps: Fraction | None
    frame_count: int | None
    duration_s: float | None
    audio: str | None
    audio_copied: bool


class InFrame(NamedTuple):
    """One decoded frame: index from 0, presentation time stamp (input time base), RGB pixels."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, on purpose
    pts: int | None
    pixels: RGB


def _open(path: Path) -> Any:
    import av

    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        with path.open("rb") as handle:
            looks = describe(handle.read(4096))
        raise InvalidVideo(
            f"The file is not a video Argus can read (looks like {looks}): {describe_error(exc)}"
        ) from None


class Transcoder:
    """Decode ``src`` frame by frame and encode the frames written back into ``dst`` (MP4)."""

    def __init__(
        self,
        src: str | os.PathLike[str],
        dst: str | os.PathLike[str],
        limits: VideoSettings,
        *,
        crf: int = 20,
        preset: str = "veryfast",
    ) -> None:
        import av

        source = Path(src)
        size = source.stat().st_size
        if size == 0:
            raise InvalidVideo("The file is empty (0 bytes)")
        if size > mb_to_bytes(limits.max_video_mb):
            raise PayloadTooLarge(
                f"The video is {bytes_to_mb(size):.1f} MB; "
                f"the limit is {limits.max_video_mb:.1f} MB",
                bytes=size,
                limit=mb_to_bytes(limits.max_video_mb),
            )
        self.limits = limits
        self._in = _open(source)
        try:
            self.info = self._probe()
            self._check_declared()
            self._out = av.open(str(dst), mode="w", format="mp4")
        except BaseException:
            self._in.close()
            raise
        self._vin = self._in.streams.video[0]
        self._ain = self._in.streams.audio[0] if self._in.streams.audio else None
        self._vout = self._out.add_stream("libx264", rate=self.info.fps or Fraction(25))
        self._vout.width, self._vout.height = self.info.width, self.info.height
        even = self.info.width % 2 == 0 and self.info.height % 2 == 0
        self._vout.pix_fmt = "yuv420p" if even else "yuv444p"
        self._vout.codec_context.time_base = self._vin.time_base
        self._vout.options = {"crf": str(crf), "preset": preset}
        self._aout: Any = None
        if self._ain is not None:
            if self.info.audio_copied:
                self._aout = self._out.add_stream_from_template(self._ain)
            else:
                self._aout = self._out.add_stream("aac", rate=self._ain.codec_context.sample_rate)
                channels = self._ain.codec_context.channels
                self._aout.layout = "mono" if channels == 1 else "stereo"  # named: AAC needs one
        self._written = 0
        self._closed = False

    def _probe(self) -> VideoStreams:
        import av

        if not self._in.streams.video:
            raise InvalidVideo("The file has no video stream")
        video = self._in.streams.video[0]
        ctx = video.codec_context
        if not ctx.width or not ctx.height:
            raise InvalidVideo("The video declares no frame size; it is corrupt or not a video")
        rate = video.average_rate or video.guessed_rate
        fps = Fraction(rate) if rate and 0 < float(rate) <= 1000 else None
        duration: float | None = None
        if video.duration is not None and video.time_base is not None:
            duration = float(video.duration * video.time_base)
        elif self._in.duration is not None:
            duration = self._in.duration / av.time_base
        count = video.frames if video.frames and video.frames > 0 else None
        if count is None and duration is not None and fps is not None:
            count = math.ceil(duration * fps)
        audio = self._in.streams.audio[0].codec_context.name if self._in.streams.audio else None
        return VideoStreams(
            width=ctx.width,
            height=ctx.height,
            fps=fps,
            frame_count=count,
            duration_s=duration,
            audio=audio,
            audio_copied=audio in MP4_AUDIO,
        )

    def _check_declared(self) -> None:
        info, limits = self.info, self.limits
        if info.duration_s is not None and info.duration_s > limits.max_duration_s:
            raise PayloadTooLarge(
                f"The video is {info.duration_s:.1f} s long; "
                f"the limit is {limits.max_duration_s:.1f} s",
                duration_s=info.duration_s,
                limit=limits.max_duration_s,
            )
        if info.frame_count is not None and info.frame_count > limits.max_frames:
            raise PayloadTooLarge(
                f"The video has {info.frame_count} frames; the limit is {limits.max_frames}",
                frames=info.frame_count,
                limit=limits.max_frames,
            )

    def frames(self) -> Iterator[InFrame]:
        """Every frame in order (RGB); audio packets go to the output on the way."""
        import av

        streams = [self._vin] + ([self._ain] if self._ain is not None else [])
        index = 0
        start: int | None = None
        try:
            for packet in self._in.demux(*streams):
                if packet.stream is self._ain:
                    self._audio(packet)
                    continue
                for frame in packet.decode():
                    if index >= self.limits.max_frames:
                        raise PayloadTooLarge(
                            f"The video has more than {self.limits.max_frames} frames",
                            limit=self.limits.max_frames,
                        )
                    if frame.pts is not None and frame.time_base is not None:
                        start = frame.pts if start is None else start
                        seconds = float((frame.pts - start) * frame.time_base)
                        if seconds > self.limits.max_duration_s:
                            raise PayloadTooLarge(
                                f"The video is longer than {self.limits.max_duration_s:.1f} s",
                                limit=self.limits.max_duration_s,
                            )
                    yield InFrame(index, frame.pts, frame.to_ndarray(format="rgb24"))
                    index += 1
        except av.FFmpegError as exc:
            if index == 0:
                raise InvalidVideo(f"The video cannot be decoded: {describe_error(exc)}") from None
            raise InvalidVideo(
                f"The video is corrupt after frame {index}: {describe_error(exc)}"
            ) from None
        if index == 0:
            raise InvalidVideo("The video has no frame that can be decoded")
        if self._ain is not None and not self.info.audio_copied:
            for out in self._aout.encode(None):
                self._out.mux(out)

    def _audio(self, packet: Any) -> None:
        if self.info.audio_copied:
            if packet.dts is None:
                return  # the demuxer's end-of-stream marker
            packet.stream = self._aout
            self._out.mux(packet)
            return
        for frame in packet.decode():
            frame.pts = None
            for out in self._aout.encode(frame):
                self._out.mux(out)

    def write(self, pixels: RGB, pts: int | None) -> None:
        """Encode one frame (RGB, the input's size) at the input time stamp ``pts``."""
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        frame.pts = pts if pts is not None else self._written
        frame.time_base = self._vin.time_base
        for packet in self._vout.encode(frame):
            self._out.mux(packet)
        self._written += 1

    @property
    def written(self) -> int:
        """Frames encoded so far."""
        return self._written

    def close(self, *, finish: bool = True) -> None:
        """Flush the encoder (when ``finish``) and close both files."""
        if self._closed:
            return
        self._closed = True
        try:
            if finish:
                for packet in self._vout.encode(None):
                    self._out.mux(packet)
        finally:
            self._out.close()
            self._in.close()

    def __enter__(self) -> Transcoder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(finish=exc_type is None)
