"""Argus: a self-hosted image-understanding server.

One process serves photo classification, NSFW moderation, anonymization, per-image analysis and
face features, with built-in models that work offline and pullable ONNX models for more.
"""

__version__ = "0.1.0"
