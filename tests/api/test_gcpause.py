"""`argus serve` pauses the garbage collector while it starts; the started server collects again.

A server left with its collector off would grow with every reference cycle a request leaves
behind, so the pause must end once the app's lifespan has built and started the services, with
what start-up made frozen; an app that was built without the pause keeps its collector as it is.
"""

from __future__ import annotations

import asyncio
import gc

import httpx

from argus.api import gcpause
from argus.api.app import create_app
from argus.config import Settings


def _serve_once(settings: Settings) -> tuple[int, bool]:
    """Start the app's lifespan, ask /health; its status and whether the collector runs then."""
    app = create_app(settings)

    async def main() -> tuple[int, bool]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                status = (await client.get("/health")).status_code
            return status, gc.isenabled()

    return asyncio.run(main())


def test_a_server_started_with_the_collector_paused_collects_again(settings: Settings) -> None:
    gcpause.pause()
    try:
        status, collecting = _serve_once(settings)
        frozen = gc.get_freeze_count()
    finally:
        gc.enable()
        gc.unfreeze()
    assert status == 200
    assert collecting
    assert frozen > 0  # start-up's objects are skipped by later full collections


def test_an_app_built_without_the_pause_leaves_the_collector_alone(settings: Settings) -> None:
    gc.unfreeze()
    status, collecting = _serve_once(settings)
    assert (status, collecting) == (200, True)
    assert gc.get_freeze_count() == 0
