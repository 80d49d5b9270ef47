"""The dashboard's HTTP API: one Starlette app, served by the cloud `api` function and by
`signal-copier serve`. Every route validates its input and acts only on the caller's own data.

`create_app(ports)` is the factory; `ApiPorts` names what it is built from.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from signal_copier.api import live, login, setup
from signal_copier.api.context import ApiPorts, ChangeFeed, Limits, LocalLinks, SignIn
from signal_copier.api.errors import HANDLERS

MAX_BODY = 16 * 1024

__all__ = ["ApiPorts", "ChangeFeed", "Limits", "LocalLinks", "SignIn", "create_app"]


def create_app(ports: ApiPorts, extra: Sequence[BaseRoute] = ()) -> Starlette:
    """Return the API app for these ports (`extra` routes go last, e.g. the static pages)."""
    routes = [*login.ROUTES, *live.ROUTES, *setup.ROUTES, *extra]
    app = Starlette(routes=routes, exception_handlers=dict(HANDLERS), max_body_size=MAX_BODY)
    app.state.ports = ports
    return app
