"""What the dashboard's use cases need beyond the pipeline's Deps."""

from __future__ import annotations

from dataclasses import dataclass

from signal_copier.core.ports import TelegramLogin, WebStore
from signal_copier.services.deps import Deps


@dataclass(frozen=True, slots=True, kw_only=True)
class WebDeps:
    """The pipeline's ports plus the dashboard's store and the Telegram login flow."""

    deps: Deps
    web: WebStore
    telegram: TelegramLogin
