"""Image intake: bytes in, a `Picture` out, with limits checked before pixels are decoded."""

from argus.imaging.decode import (
    Frame,
    Header,
    Picture,
    decode,
    iter_frames,
    read_header,
    register_heif,
    to_rgb,
)
from argus.imaging.encode import encode, to_base64, to_base64_png, to_data_url
from argus.imaging.exif import ExifInfo, GpsPosition, read_exif
from argus.imaging.formats import ImageFormat, sniff
from argus.imaging.video import VideoFrame, VideoInfo, iter_video_frames, probe

__all__ = [
    "ExifInfo",
    "Frame",
    "GpsPosition",
    "Header",
    "ImageFormat",
    "Picture",
    "VideoFrame",
    "VideoInfo",
    "decode",
    "encode",
    "iter_frames",
    "iter_video_frames",
    "probe",
    "read_exif",
    "read_header",
    "register_heif",
    "sniff",
    "to_base64",
    "to_base64_png",
    "to_data_url",
    "to_rgb",
]
