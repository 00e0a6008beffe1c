"""The seed APIs' edges, one module per seed: its pydantic shapes, its messages, its renderers.

Pipelines below ``api/`` return typed results; these modules turn them into the exact JSON and
texts each seed's clients expect: :mod:`.category` (seed 000, photo categories),
:mod:`.moderation` (seed 001), :mod:`.anonymize` (seed 002), :mod:`.analysis` (seed 003),
:mod:`.faces` (seed 004). Error bodies go through :func:`argus.api.seeds.routing.seed_route_class`.
"""
