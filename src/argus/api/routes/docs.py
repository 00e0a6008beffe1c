"""The API pages, offline: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) with their assets.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so they are blank on a machine with no
network. ``make web`` copies both projects' browser bundles from npm (``swagger-ui-dist``,
``redoc``, pinned in ``web/package-lock.json``) into ``src/argus/web/dist`` next to the admin
page, and these routes serve them from ``/docs/assets/{name}``. Without the bundle (no Node.js at
install time) the pages fall back to FastAPI's CDN defaults, which work only online.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse, Response

from argus.api.routes.admin_page import DIST_DIR
from argus.errors import NotFound

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""The files ``make web`` copies into the bundle folder for these pages, and their types."""
OFFLINE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
"""Content-Security-Policy of the bundled pages: nothing from another host (ReDoc's sidebar
credit links a logo on its makers' site; the browser does not fetch it)."""
ASSET_PATH = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


def _local(name: str) -> str | None:
    """The served URL of one bundled asset, or None when ``make web`` has not built it."""
    return f"{ASSET_PATH}/{name}" if (DIST_DIR / name).is_file() else None


def _openapi_url(request: Request) -> str:
    url: str = request.app.openapi_url or "/openapi.json"
    return url


def _offline(page: HTMLResponse, *, bundled: bool) -> HTMLResponse:
    """Pin a page built from the bundled assets to this server (CDN fallbacks stay unpinned)."""
    if bundled:
        page.headers["Content-Security-Policy"] = OFFLINE_POLICY
    return page


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    js, css, icon = (
        _local("swagger-ui-bundle.js"),
        _local("swagger-ui.css"),
        _local("favicon-32x32.png"),
    )
    urls: dict[str, Any] = {
        key: value
        for key, value in {
            "swagger_js_url": js,
            "swagger_css_url": css,
            "swagger_favicon_url": icon,
        }.items()
        if value is not None
    }
    page = get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - API",
        oauth2_redirect_url=OAUTH2_REDIRECT,
        **urls,
    )
    return _offline(page, bundled=js is not None and css is not None)


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    urls = {
        key: value
        for key, value in {
            "redoc_js_url": _local("redoc.standalone.js"),
            "redoc_favicon_url": _local("favicon-32x32.png"),
        }.items()
        if value is not None
    }
    page = get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - API",
        with_google_fonts=False,
        **urls,
    )
    return _offline(page, bundled="redoc_js_url" in urls)


@router.get(ASSET_PATH + "/{name}", response_class=Response)
async def docs_asset(name: str) -> Response:
    path = DIST_DIR / name
    if name not in ASSETS or not path.is_file():
        raise NotFound(f"No API page asset {name!r}.")
    # Versioned by the lock file, large, and the same for every user: let browsers keep them.
    return FileResponse(path, media_type=ASSETS[name], headers={"Cache-Control": "max-age=3600"})
