"""What the dashboard's use cases need beyond the pipeline's Deps."""

from __future__ import annotations

from dataclasses import dataclass

from signal_copier.core.ports import FleetStore, TelegramLogin, WebStore
from signal_copier.services.deps import Deps


@dataclass(frozen=True, slots=True, kw_only=True)
class WebDeps:
    """The pipeline's ports plus the dashboard's store, the fleet's and the Telegram login flow.

    `fleet` is where linked sessions are recorded for the listeners (unlinking removes them).
    """

    deps: Deps
    web: WebStore
    fleet: FleetStore
    telegram: TelegramLogin
