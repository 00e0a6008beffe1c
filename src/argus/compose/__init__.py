"""The composition root: :mod:`argus.compose.services` builds every part from the settings and
:mod:`argus.compose.kinds` registers the job kinds (adapters over the pipelines).

Layer: above ``jobs`` and ``pipelines``, below ``api`` and ``cli`` (see ``tests/test_layers.py``
and ``python -m argus.devtools.layers``).
"""
