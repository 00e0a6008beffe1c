"""The ``argus`` console script's entry point: it imports the command line when called.

The installed ``argus`` script imports this module at its top and calls :func:`main`. Each
worker process of ``argus serve --workers N`` is spawned and re-runs that script as its main
module (``__mp_main__``, without calling :func:`main`), so whatever the script imports at its
top is paid once per worker for nothing: here, nothing but this module.
"""

from __future__ import annotations


def main() -> None:
    """Run ``argus`` (:data:`argus.cli.main.app`) with this process's command line."""
    from argus.cli.main import app

    app()
