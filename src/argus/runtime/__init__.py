"""Inference runtimes: the only package that imports onnxruntime or dlib.

Models receive a :class:`~argus.runtime.session.Session` (or a dlib handle) from here, so model
code stays pure pre/post-processing and unit tests can hand models a fake session.
"""
