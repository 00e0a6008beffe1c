"""Typed access to what the app keeps on ``app.state``: the composition root's
:class:`~argus.compose.services.Services` (set by the lifespan) and the app's own HTTP parts
(metrics, health, login throttle, set by :func:`argus.api.app.create_app`).

The types are imported for the type checker only: importing this module (and the request guard,
the error handlers and the auth dependencies that read it) does not import the composition root,
which the app's lifespan imports when it builds the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

if TYPE_CHECKING:
    from argus.api.health import HealthMonitor
    from argus.api.metrics import Metrics
    from argus.auth.throttle import LoginThrottle
    from argus.compose.services import Services


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def metrics(request: Request) -> Metrics:
    found: Metrics = request.app.state.metrics
    return found


def health(request: Request) -> HealthMonitor:
    found: HealthMonitor = request.app.state.health
    return found


def login_throttle(request: Request) -> LoginThrottle:
    found: LoginThrottle = request.app.state.login_throttle
    return found
