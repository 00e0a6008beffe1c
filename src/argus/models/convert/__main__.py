"""``python -m argus.models.convert [NAME...] [--force]``: what ``make models`` runs.

The same as ``argus models install`` without importing the web stack the CLI carries, so a rerun
that finds every manifest up to date costs about a second.
"""

from __future__ import annotations

import sys

from argus.config import Settings
from argus.errors import ArgusError
from argus.models.convert.install import InstallResult, install_converted


def _report(result: InstallResult) -> None:
    detail = f": {result.detail}" if result.detail and result.status != "installed" else ""
    print(f"{result.status} {result.name} ({result.seconds:.1f} s){detail}", flush=True)


def main(argv: list[str]) -> int:
    force = "--force" in argv
    names = [a for a in argv if a != "--force"]
    try:
        results = install_converted(Settings(), names or None, force=force, report=_report)
    except ArgusError as exc:
        print(f"error ({exc.code}): {exc.message}", file=sys.stderr)
        return 2
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
