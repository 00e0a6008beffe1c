"""Tools for working on Argus itself (not used by the server): :mod:`argus.devtools.layers`."""
