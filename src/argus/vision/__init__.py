"""Vision types and pure array functions shared by every model and pipeline."""

from argus.vision.detections import Detections

__all__ = ["Detections"]
