"""Orchestration: which models run, in which order, with which fallbacks; no HTTP, no SQL."""
