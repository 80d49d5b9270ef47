"""The demo: two users with different settings copy a replayed channel on the paper broker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from signal_copier.core.errors import QuotaExceeded
from signal_copier.core.market import Credentials
from signal_copier.core.quotas import period_key
from signal_copier.core.records import MessageRecord, Plan
from signal_copier.core.timeline import ReplayEvent, chats
from signal_copier.services import accounts, summary
from signal_copier.services.deps import Deps
from signal_copier.services.local import DeliveringQueue, LocalPipeline, PriceFeed

Progress = Callable[[int, int, str], None]  # (events done, events in all, what just happened)


@dataclass(frozen=True, slots=True, kw_only=True)
class Controls:
    """How a runner steers a replay: where to resume, when to stop, what to do after each line.

    `resume_after` skips the lines a previous run finished (their messages are in the store);
    `stop` is asked between lines (a Ctrl-C waits for the line in progress to finish);
    `after_line` is called with each finished line (e.g. to save the paper account).
    """

    resume_after: int = 0
    stop: Callable[[], bool] | None = None
    after_line: Callable[[int], None] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoUser:
    user_id: str
    plan: Plan
    balance: Decimal
    settings: dict[str, Any]
    symbol_suffix: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)


DEMO_USERS = (
    DemoUser(
        user_id="alice",
        plan=Plan.FREE,
        balance=Decimal(10_000),
        settings={
            "risk_mode": "fixed_lot",
            "lot": "0.10",
            "breakeven_on_tp1": True,
            "max_signal_age_s": 120,
        },
    ),
    DemoUser(
        user_id="bob",
        plan=Plan.PREMIUM,
        balance=Decimal(25_000),
        settings={
            "risk_mode": "risk_percent",
            "risk_percent": "1",
            "no_sl": "default_sl",
            "default_sl_pips": "40",
            "trail_sl_to_previous_tp": True,
            "max_signal_age_s": 120,
            "max_spread_pips": "50",
        },
        symbol_suffix=".m",  # his broker names symbols XAUUSD.m: exercised by symbol mapping
    ),
)


class Accounts(PriceFeed, Protocol):
    """The paper broker as the demo sets it up."""

    @property
    def now(self) -> datetime: ...

    def has_account(self, account_id: str) -> bool: ...

    def open_account(
        self, account_id: str, *, balance: Decimal, symbol_suffix: str = ""
    ) -> object: ...


async def onboard(
    deps: Deps, broker: Accounts, users: Sequence[DemoUser], chat_ids: Sequence[str]
) -> list[str]:
    """Create the demo users, their paper accounts and subscriptions; return notes."""
    notes = []
    for user in users:
        await accounts.register_user(deps, user.user_id, user.plan, user.settings)
        account_id = f"paper-{user.user_id}"
        if not broker.has_account(account_id):  # a resumed run keeps its paper account
            broker.open_account(account_id, balance=user.balance, symbol_suffix=user.symbol_suffix)
        await accounts.save_credentials(
            deps, user.user_id, Credentials(account_id=account_id, token="paper")
        )
        for chat_id in chat_ids:
            try:
                await accounts.follow_channel(
                    deps, user.user_id, chat_id, user.overrides, now=broker.now
                )
            except QuotaExceeded as e:
                notes.append(f"{user.user_id} does not follow {chat_id}: {e}")
    return notes


async def run(
    events: Sequence[ReplayEvent],
    deps: Deps,
    queue: DeliveringQueue,
    broker: Accounts,
    progress: Progress | None = None,
    users: Sequence[DemoUser] = DEMO_USERS,
    controls: Controls = Controls(),
) -> dict[str, Any]:
    """Replay events through the full pipeline and return the summary (see the README).

    The summary also says which line was the last one finished and whether it stopped early.
    """
    start = max(events[0].at, broker.now) if events else broker.now
    notes = await onboard(deps, broker, users, chats(events))
    pipeline = LocalPipeline(
        deps, queue, broker, {f"paper-{u.user_id}": u.user_id for u in users}, start
    )
    kinds: Counter[str] = Counter()
    last_line, stopped = controls.resume_after, False
    for number, event in enumerate(events, start=1):
        if event.line <= controls.resume_after:
            continue
        if controls.stop is not None and controls.stop():
            stopped = True
            break
        what = await _replay(pipeline, event, kinds)
        last_line = event.line
        if controls.after_line:
            controls.after_line(event.line)
        if progress:
            progress(number, len(events), what)
    periods = sorted({period_key(e.at) for e in events})
    rows, details = await summarise(deps, users, periods)
    return {
        "users": rows,
        "messages": kinds["message"],
        "signals": kinds["open"],
        "commands": kinds["command"],
        "ignored": kinds["none"],
        "latency_ms": summary.latency(pipeline.latencies_ms),
        "details": details,  # for the table only; not part of the JSON contract
        "notes": notes,
        "progress": {"last_line": last_line, "stopped": stopped},  # likewise
    }


async def _replay(pipeline: LocalPipeline, event: ReplayEvent, kinds: Counter[str]) -> str:
    if event.quotes:
        await pipeline.quotes(event.quotes, event.at)
    what = "quotes"
    if event.message is not None:
        record = await pipeline.message(event.message, event.at)
        kinds["message"] += 1
        kinds[kind_of(record)] += 1
        what = f"{event.message.chat_id}#{event.message.message_id} {kind_of(record)}"
    await pipeline.sweep()
    return what


def kind_of(record: MessageRecord | None) -> str:
    """Return how the summary counts a handled message version (None: a duplicate)."""
    if record is None:
        return "duplicate"
    if record.deleted:
        return "deleted"
    if record.command is not None and record.command.report:
        return "none"  # a result the channel reported ("TP1 hit"): no instruction of its own
    return record.kind if record.kind in ("open", "none") else "command"


async def summarise(
    deps: Deps, users: Sequence[DemoUser], periods: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return each user's summary row and the table's details, from the store and the broker."""
    rows, details = {}, {}
    for user in users:
        records = await deps.store.trades(user.user_id)
        missed = sum([(await deps.store.usage(user.user_id, p)).missed for p in periods])
        account = await accounts.connect_account(deps, user.user_id)
        rows[user.user_id] = summary.user_summary(records, missed, len(await account.positions()))
        details[user.user_id] = {
            "signals_seen": summary.signals_seen(records),
            "trades_placed": summary.signals_traded(records),
        }
    return rows, details
