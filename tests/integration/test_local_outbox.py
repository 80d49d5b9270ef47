"""A local run's queue survives a hard kill: what was published and not yet handled is delivered
after a restart, once (handlers are idempotent), and a throwaway demo keeps nothing."""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from signal_copier import bootstrap
from signal_copier.broker.paper import PaperBroker
from signal_copier.config import Settings
from signal_copier.core.model import RawMessage
from signal_copier.services import demo
from signal_copier.services.local import LocalPipeline
from signal_copier.services.pipeline import handle_message
from signal_copier.store.sqlite import SqliteStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = demo.DemoUser(
    user_id="alice", plan=demo.Plan.PREMIUM, balance=D(10_000), settings={"lot": "0.10"}
)
SIGNAL = RawMessage(
    chat_id="-1001", message_id=7, text="XAUUSD BUY NOW\nSL 2640\nTP 2660", date=T0, received=T0
)


def _paper() -> PaperBroker:
    paper = PaperBroker(now=T0)
    paper.open_account("paper-alice", balance=ALICE.balance)
    paper.set_quotes({"XAUUSD": (D("2650.00"), D("2650.30"))}, T0)
    return paper


async def _killed_after_fan_out(folder: Path, paper: PaperBroker, *, durable: bool) -> None:
    # The message is remembered and fanned out, then the process dies before its queue drains.
    settings = replace(Settings.from_env({}), data_dir=folder)
    runtime = bootstrap.build_local(settings, paper=paper, durable=durable)
    await demo.onboard(runtime.deps, paper, [ALICE], [SIGNAL.chat_id])
    record = await handle_message(SIGNAL, runtime.deps, T0)
    assert record is not None
    stored = await runtime.store.message(record.key)
    assert stored is not None and stored.fanned_out == 1  # marked: a rerun skips the message
    runtime.close()


async def _restarted(folder: Path, paper: PaperBroker, *, durable: bool) -> bootstrap.LocalRuntime:
    settings = replace(Settings.from_env({}), data_dir=folder)
    runtime = bootstrap.build_local(settings, paper=paper, durable=durable)
    pipeline = LocalPipeline(runtime.deps, runtime.queue, paper, {}, T0 + timedelta(seconds=2))
    await pipeline.sweep(force=True)  # drains the queue
    return runtime


@pytest.mark.parametrize(("durable", "positions"), [(True, 1), (False, 0)])
async def test_a_message_killed_between_fan_out_and_delivery_is_traded_after_a_restart(
    tmp_path: Path, durable: bool, positions: int
) -> None:
    # Arrange
    paper = _paper()
    await _killed_after_fan_out(tmp_path, paper, durable=durable)

    # Act
    runtime = await _restarted(tmp_path, paper, durable=durable)

    # Assert: journaled, the intent is delivered; a throwaway queue lost it
    account = await paper.connect("alice", demo.Credentials(account_id="paper-alice", token="p"))
    assert len(await account.positions()) == positions
    assert runtime.store.kept() == []
    runtime.close()


async def test_an_intent_delivered_again_after_a_restart_places_nothing_more(
    tmp_path: Path,
) -> None:
    # Arrange: handled in full after a restart, then its journal row put back, as a kill
    # between the handler's end and `forget` leaves it
    paper = _paper()
    await _killed_after_fan_out(tmp_path, paper, durable=True)
    database = str(replace(Settings.from_env({}), data_dir=tmp_path).database)
    with closing(SqliteStore(database)) as store:
        kept = store.kept()
    (await _restarted(tmp_path, paper, durable=True)).close()
    with closing(SqliteStore(database)) as store:
        for _, topic, data, attributes in kept:
            store.keep(topic, data, attributes)

    # Act: the next restart delivers the same intent again
    runtime = await _restarted(tmp_path, paper, durable=True)

    # Assert: one position, as after the first delivery
    account = await paper.connect("alice", demo.Credentials(account_id="paper-alice", token="p"))
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.10"), D("2640.00"))]
    assert len(kept) == 1 and runtime.store.kept() == []
    runtime.close()
