"""The real services over the MetaAPI adapter, with the SDK faked at its boundary (fakes/).

The fake SDK answers from the paper broker, so positions, fills and SL/TP hits behave as on an
MT5 server while every call crosses MetaAPI's own method names, payload shapes and exceptions.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from fakes.metaapi import FakeSdk
from fakes.mt5 import Mt5Server
from signal_copier.broker.metaapi import Limits, MetaApiBroker
from signal_copier.broker.paper import PaperBroker
from signal_copier.core.model import Status
from world import World


class MetaApiWorld(World):
    """A local deployment whose broker is MetaApiBroker over the fake SDK."""

    def __init__(self, folder: Path, **queue: object) -> None:
        self.sdk: FakeSdk
        super().__init__(folder, wrap=self._adapter, **queue)
        self.server = self.sdk.server

    def _adapter(self, paper: PaperBroker) -> MetaApiBroker:
        self.sdk = FakeSdk(Mt5Server(paper))
        limits = Limits(read=0.2, trade=0.2, connect=0.2, close_grace=0)
        return MetaApiBroker(sdk=self.sdk, limits=limits, now=lambda: paper.now)


async def test_opening_with_two_tps_places_two_positions_with_client_ids(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    positions = await account.positions()
    record = await world.last("alice")
    assert record.result.status is Status.PLACED, record.result
    assert sorted(p.tp for p in positions) == [D("2655.00"), D("2660.00")]
    assert len({p.client_id for p in positions}) == 2
