"""/health answers from memory while component checks run (or hang) in the background; /ready
asks the database."""

from __future__ import annotations

import asyncio

import httpx

from argus.api.app import create_app
from argus.api.health import HealthMonitor
from argus.config import ServerSettings, Settings


def test_health_answers_while_a_check_hangs_then_names_it(settings: Settings) -> None:
    server = ServerSettings(health_interval_s=3600, check_timeout_s=0.2)
    app = create_app(settings.model_copy(update={"server": server}))
    entered = asyncio.Event()

    async def hanging() -> str | None:
        entered.set()
        await asyncio.Event().wait()
        return None

    async def main() -> tuple[int, int, dict[str, str], int]:
        async with app.router.lifespan_context(app):
            monitor: HealthMonitor = app.state.health
            monitor.add("broker", hanging)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                refreshing = asyncio.create_task(monitor.refresh())
                await entered.wait()
                during = await client.get("/health")  # the check is still hanging
                assert not refreshing.done()
                await refreshing
                # one slow answer is not a failure; three in a row are
                assert (await client.get("/health")).status_code == 200
                await monitor.refresh()
                await monitor.refresh()
                after = await client.get("/health")
                ready = await client.get("/ready")
                return (
                    during.status_code,
                    after.status_code,
                    after.json()["failing"],
                    (ready.status_code),
                )

    during, after, failing, ready = asyncio.run(main())
    assert during == 200
    assert after == 503
    assert set(failing) == {"broker"}
    assert "0.2 s" in failing["broker"]
    assert ready == 200  # readiness asks the database only


def test_a_failing_check_is_reported_and_recovers() -> None:
    state = {"up": False}

    async def flaky() -> str | None:
        return None if state["up"] else "connection refused"

    async def main() -> list[dict[str, str]]:
        monitor = HealthMonitor(interval_s=3600, timeout_s=1)
        monitor.add("database", flaky)
        await monitor.refresh()
        first = monitor.failing()
        state["up"] = True
        await monitor.refresh()
        return [first, monitor.failing()]

    assert asyncio.run(main()) == [{"database": "connection refused"}, {}]
