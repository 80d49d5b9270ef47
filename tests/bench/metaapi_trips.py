"""MetaAPI round trips before an opening's first order, through the adapter over the fake SDK.

Every fake SDK request takes ROUND_TRIP_S; the time from the message to the first trade request,
divided by that, is the round trips waited one after another (what is left over is our own CPU
time). Requests made at once cost one round trip; the request count is reported beside it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from engine import ROUND_TRIP_S  # beside this file

from signal_copier.broker.paper import PaperBroker
from signal_copier.core.market import Credentials
from signal_copier.core.model import RawMessage
from signal_copier.core.records import Plan
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import accounts
from signal_copier.services.deps import Deps
from signal_copier.services.local import LocalPipeline
from signal_copier.store.sqlite import SqliteStore
from signal_copier.vault.local import LocalVault

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
GOLD = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"
EURUSD = "EURUSD SELL NOW 1.0850\nSL 1.0880\nTP 1.0820"
GBPUSD = "GBPUSD buy 1.2700 sl 1.2670 tp 1.2730 tp 1.2760"
GUARDS = {"max_open_trades": 50, "daily_loss_limit": "1000"}
# (case, text, account guards set): openings a simulated minute apart, on one account.
CASES = (
    ("first", GOLD, False),  # the connection opens
    ("same_symbol", GOLD, False),
    ("new_symbol", EURUSD, False),
    ("new_symbol_with_account_guards", GBPUSD, True),
)
TARGET = 4  # the issue's: at most 4 round trips before the first order


@dataclass(frozen=True, slots=True, kw_only=True)
class Trips:
    """One opening: round trips waited before its first order, and the requests made."""

    round_trips: float
    requests: list[str]


async def metaapi_round_trips(folder: Path) -> dict[str, Trips]:
    """Return each case's round trips (time to the first trade / ROUND_TRIP_S) and requests."""
    sys.path.insert(0, str(ROOT / "tests"))  # the fake SDK lives beside the tests
    from fakes.metaapi import FakeSdk
    from fakes.mt5 import Mt5Server
    from signal_copier.broker.metaapi import Limits, MetaApiBroker

    paper, ticks = PaperBroker(now=START), [0.0]
    server = Mt5Server(paper, delay=ROUND_TRIP_S)
    broker = MetaApiBroker(
        sdk=FakeSdk(server), limits=Limits(close_grace=0), now=lambda: paper.now,
        monotonic=lambda: ticks[0],
    )  # fmt: skip
    store, queue = SqliteStore(str(folder / "metaapi.sqlite3")), InProcessQueue()
    vault = LocalVault(folder / "mk", folder / "ms")
    deps = Deps(store=store, queue=queue, vault=vault, broker=broker)
    await _onboard(deps, paper)
    pipeline = LocalPipeline(deps, queue, paper, {}, START)
    found: dict[str, Trips] = {}
    for n, (case, text, guarded) in enumerate(CASES):
        settings = {"max_signal_age_s": 3600, **(GUARDS if guarded else {})}
        await accounts.register_user(deps, "alice", Plan.PREMIUM, settings)
        at, seen = START + timedelta(minutes=n), len(server.calls)
        ticks[0] = 60.0 * n
        began = time.perf_counter()
        await pipeline.message(
            RawMessage(chat_id="bench", message_id=n + 1, text=text, date=at, received=at), at
        )
        calls = server.calls[seen:]
        first = seen + calls.index("trade")
        found[case] = Trips(
            round_trips=(server.sent_at[first] - began) / ROUND_TRIP_S,
            requests=calls[: first - seen],
        )
    await broker.aclose()
    store.close()
    return found


def rows(trips: dict[str, Trips]) -> list[tuple[str, str, str, bool | None]]:
    """Return (name, value, target, met) rows: whole round trips, the time-based figure beside."""
    names = {
        "first": "first opening (connects)",
        "same_symbol": "same symbol again",
        "new_symbol": "a new symbol",
        "new_symbol_with_account_guards": "a new symbol, max_open_trades + daily_loss_limit set",
    }
    found = []
    for case, label in names.items():
        figure = trips[case]
        whole = int(figure.round_trips)
        judged = case != "first"  # opening a connection is not what the target counts
        found.append(
            (
                f"MetaAPI round trips before the 1st order: {label}"
                f" ({len(figure.requests)} requests)",
                f"{whole} ({figure.round_trips:.2f})",
                f"<= {TARGET}" if judged else "-",
                whole <= TARGET if judged else None,
            )
        )
    return found


async def _onboard(deps: Deps, paper: PaperBroker) -> None:
    await accounts.register_user(deps, "alice", Plan.PREMIUM, {"max_signal_age_s": 3600})
    paper.open_account("acc-alice", balance=Decimal(1_000_000))
    await accounts.save_credentials(deps, "alice", Credentials(account_id="acc-alice", token="t"))
    await accounts.follow_channel(deps, "alice", "bench")
