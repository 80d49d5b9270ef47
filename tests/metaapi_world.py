"""A local deployment whose broker is MetaApiBroker over the fake SDK (tests/fakes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes.metaapi import FakeSdk
from fakes.mt5 import Mt5Server
from signal_copier.broker.metaapi import Limits, MetaApiBroker
from signal_copier.broker.paper import PaperBroker
from world import World


class MetaApiWorld(World):
    """A local deployment whose broker is MetaApiBroker over the fake SDK."""

    def __init__(self, folder: Path, **queue: Any) -> None:
        self.sdk: FakeSdk
        super().__init__(folder, wrap=self._adapter, **queue)
        self.server = self.sdk.server

    def _adapter(self, paper: PaperBroker) -> MetaApiBroker:
        self.sdk = FakeSdk(Mt5Server(paper))
        limits = Limits(read=0.2, trade=0.2, connect=0.2, close_grace=0)
        return MetaApiBroker(sdk=self.sdk, limits=limits, now=lambda: paper.now)
