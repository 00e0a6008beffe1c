"""The `argus` command line (Typer + Rich)."""
