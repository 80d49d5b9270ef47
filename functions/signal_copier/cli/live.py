"""`run --config` on a real MT5 account through MetaAPI: one trader, the real clock.

The token is read from the local vault (`signal-copier credentials set --config FILE`). Every
message is judged at the moment it is replayed, so an old channel file is skipped as stale
rather than traded at today's prices; quote lines in the file are ignored (prices are real).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from signal_copier import bootstrap
from signal_copier.config import Settings
from signal_copier.core.errors import CredentialsMissing, QuotaExceeded
from signal_copier.core.market import BrokerEvent, Credentials
from signal_copier.core.ports import Broker
from signal_copier.core.quotas import period_key
from signal_copier.runconfig import MetaApiBrokerConfig, RunConfig
from signal_copier.services import accounts, demo, summary
from signal_copier.services.deps import Deps
from signal_copier.services.local import LocalPipeline
from signal_copier.telegram.replay import ReplayEvent, chats


class RealMarket:
    """The price feed of a real account: prices move by themselves, quote lines are ignored."""

    def set_quotes(
        self, quotes: Mapping[str, tuple[Decimal, Decimal]], now: datetime
    ) -> list[BrokerEvent]:
        """Ignore a replay file's quotes (a real account has real prices)."""
        return []

    def advance(self, now: datetime) -> None:
        """Do nothing: the real clock needs no help."""


async def replay_on_metaapi(
    config: RunConfig,
    settings: Settings,
    events: Sequence[ReplayEvent],
    broker: Broker | None = None,
) -> dict[str, Any]:
    """Replay a channel file onto the configured MetaAPI account; return the run summary."""
    target = config.broker
    if not isinstance(target, MetaApiBrokerConfig):
        raise TypeError("replay_on_metaapi needs a metaapi broker config")
    owned = None
    if broker is None:  # ours to close; a broker handed in stays the caller's
        broker = owned = bootstrap.metaapi_broker(target.region)
    runtime = bootstrap.build_local(settings)
    deps = replace(runtime.deps, broker=broker)
    try:
        notes = await _onboard(deps, config, target, events)
        owners = {target.account_id: config.user_id}
        pipeline = LocalPipeline(deps, runtime.queue, RealMarket(), owners, _now(), poll_deals=True)
        kinds: Counter[str] = Counter()
        for event in events:
            if event.message is not None:
                record = await pipeline.message(event.message, _now())
                await pipeline.sweep(_now())  # TP hits, expiry: polled from the account
                kinds["message"] += 1
                kinds[demo.kind_of(record)] += 1
        result = await _summarise(deps, config, events)
        return {
            **result,
            "messages": kinds["message"],
            "signals": kinds["open"],
            "commands": kinds["command"],
            "ignored": kinds["none"],
            "latency_ms": summary.latency(pipeline.latencies_ms),
            "notes": notes,
        }
    finally:
        if owned is not None:
            await owned.aclose()
        runtime.close()


async def _onboard(
    deps: Deps, config: RunConfig, target: MetaApiBrokerConfig, events: Sequence[ReplayEvent]
) -> list[str]:
    token = await deps.vault.get(target.token_secret)
    if not token:
        raise CredentialsMissing(
            f"no MetaAPI token named {target.token_secret!r} in the vault: run "
            "`signal-copier credentials set --config FILE` first"
        )
    await accounts.register_user(deps, config.user_id, config.plan, config.settings)
    credentials = Credentials(account_id=target.account_id, token=token.decode())
    await accounts.save_credentials(deps, config.user_id, credentials)
    notes = []
    for chat_id in chats(events):
        try:
            await accounts.follow_channel(deps, config.user_id, chat_id)
        except QuotaExceeded as e:
            notes.append(f"{config.user_id} does not follow {chat_id}: {e}")
    return notes


async def _summarise(
    deps: Deps, config: RunConfig, events: Sequence[ReplayEvent]
) -> dict[str, Any]:
    user_id = config.user_id
    records = await deps.store.trades(user_id)
    periods = sorted({period_key(e.at) for e in events})
    missed = sum([(await deps.store.usage(user_id, p)).missed for p in periods])
    account = await accounts.connect_account(deps, user_id)
    row = summary.user_summary(records, missed, len(await account.positions()))
    details = {
        "signals_seen": summary.signals_seen(records),
        "trades_placed": summary.signals_traded(records),
    }
    return {"users": {user_id: row}, "details": {user_id: details}}


def _now() -> datetime:
    return datetime.now(UTC)
