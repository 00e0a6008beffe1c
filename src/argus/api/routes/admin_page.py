"""Serves the admin console: ``/admin`` (the HTML shell) and ``/admin/assets/{name}`` (the bundle).

The page itself is public static content; every figure it shows comes from admin-token API calls
made by its script after the login form. The bundle (``admin.js``, ``admin.css``) is built by
``make web`` from ``src/argus/web/src`` into ``src/argus/web/dist`` (gitignored); without it the
page answers 503 saying how to build it. Nothing is fetched from any other host.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from argus.errors import NotFound, ServiceUnavailable

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
DIST_DIR = WEB_DIR / "dist"
ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
}
#: The page is small and versioned with the server: revalidate, never serve stale.
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=Response)
async def admin_page() -> Response:
    if not (DIST_DIR / "admin.js").is_file():
        raise ServiceUnavailable(
            "The admin console is not built: run `make web` (needs Node.js and npm)."
        )
    return FileResponse(WEB_DIR / "index.html", media_type="text/html", headers=NO_CACHE)


@router.get("/admin/", response_class=Response)
async def admin_slash() -> Response:
    return RedirectResponse("/admin", status_code=308)


@router.get("/admin/assets/{name}", response_class=Response)
async def admin_asset(name: str) -> Response:
    suffix = Path(name).suffix
    path = DIST_DIR / name
    if name != Path(name).name or suffix not in ASSET_TYPES or not path.is_file():
        raise NotFound(f"No admin asset {name!r}.")
    return FileResponse(path, media_type=ASSET_TYPES[suffix], headers=NO_CACHE)
