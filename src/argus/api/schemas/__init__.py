"""Pydantic response and request shapes: JSON only at this edge."""
