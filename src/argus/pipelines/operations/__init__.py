"""Seed 003's operations and Argus's own, one small module per family, over a shared request run."""
