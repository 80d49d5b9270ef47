"""A trader takes their secrets back: remove the broker credentials, unlink Telegram.

Both are idempotent (a repeat, or a retry after a crash half way, finishes the job and changes
nothing more), audited, and leave what is already open on the broker account as it is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from signal_copier.core.dashboard import AuditAction
from signal_copier.core.fleet import session_secret_name
from signal_copier.core.reasons import Reason
from signal_copier.services import accounts, audit, control
from signal_copier.services.webdeps import WebDeps

LOG_OUT_TIMEOUT_S = 15.0  # an unlink request must answer even when Telegram cannot be reached


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerRemoved:
    """What removing the broker credentials did."""

    account_id: str  # the account given back ('' if none was connected)
    paused_reason: Reason  # broker_not_connected, or a kill switch's pause that stays


async def disconnect_broker(w: WebDeps, user_id: str, now: datetime, ip: str) -> BrokerRemoved:
    """Remove the user's broker credentials; new signals are skipped until one is connected.

    Copying pauses first (new signals are skipped as `broker_not_connected`), then the
    credentials leave the vault, the user's cached connections close and the account is given
    back so its owner can connect it again. Positions and orders already open stay open, and
    the copier no longer manages them.
    """
    user = await control.pause_until_connected(w.deps, user_id)
    profile = await w.web.profile(user_id)
    account = await accounts.remove_credentials(w.deps, user_id, profile.account_id)
    if profile.account_id or profile.margin_mode or profile.currency:
        await w.web.put_profile(replace(profile, account_id="", margin_mode="", currency=""))
    await audit.record(
        w.web, user_id, AuditAction.CREDENTIALS_REMOVED, now, ip, account_id=account or "none"
    )
    paused = user.paused_reason if user is not None else Reason.BROKER_NOT_CONNECTED
    return BrokerRemoved(account_id=account, paused_reason=paused)


class SessionEnd(StrEnum):
    """What became of the Telegram session at Telegram's end when it was unlinked."""

    LOGGED_OUT = "logged_out"  # Telegram ended it: its key opens nothing any more
    NOT_REACHED = "not_reached"  # forgotten here; end it in Telegram (Settings → Devices)
    NONE_STORED = "none_stored"  # no session was stored (never linked, or already unlinked)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unlinked:
    """What unlinking Telegram did."""

    unfollowed: int  # channels unfollowed
    session: SessionEnd


async def unlink_telegram(w: WebDeps, user_id: str, now: datetime, ip: str) -> Unlinked:
    """Unlink the user's Telegram session: log it out at Telegram, then forget it here.

    The session is logged out at Telegram first, so a copy of it (a backup, a leaked vault)
    opens nothing; if Telegram cannot be reached it is forgotten all the same and the answer
    says so. The session string then leaves the vault (with any half-done login). Then the fleet's
    record goes, with the chats the session could read, its watermarks and the bot status: the
    listener that runs the session stops it at its next roster read (within `roster_every`),
    and its chat list, status and notices are not written back meanwhile (a watermark it
    flushes in that minute may be: a later link then resumes from it). The user's channels are
    unfollowed: without a session nobody can check that the user may still read them (trades
    they opened still get their channel's follow-ups, as after unfollowing).
    """
    session = await _log_out(w, user_id)
    await w.deps.vault.delete(session_secret_name(user_id))
    await w.telegram.cancel(user_id)
    await w.fleet.unlink_session(user_id)
    followed = await w.deps.store.subscriptions(user_id)
    for subscription in followed:
        await w.deps.store.delete_subscription(user_id, subscription.chat_id)
    profile = await w.web.profile(user_id)
    if profile.telegram_linked:
        await w.web.put_profile(replace(profile, telegram_linked=False))
    channels = ",".join(s.chat_id for s in followed) or "none"
    await audit.record(
        w.web,
        user_id,
        AuditAction.TELEGRAM_UNLINKED,
        now,
        ip,
        unfollowed=channels,
        session=session.value,
    )
    return Unlinked(unfollowed=len(followed), session=session)


async def _log_out(w: WebDeps, user_id: str) -> SessionEnd:
    stored = await w.deps.vault.get(session_secret_name(user_id))
    if stored is None:
        return SessionEnd.NONE_STORED
    try:
        done = await asyncio.wait_for(w.telegram.log_out(user_id, stored), LOG_OUT_TIMEOUT_S)
    except TimeoutError:
        done = False
    return SessionEnd.LOGGED_OUT if done else SessionEnd.NOT_REACHED
