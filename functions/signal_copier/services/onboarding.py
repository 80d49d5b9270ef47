"""The onboarding wizard's steps: broker → Telegram → channels → risk → Start.

Each step checks before it stores, and leaves an audit record (never a secret).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from signal_copier.core.dashboard import AuditAction, LoginStage, LoginStep, Profile
from signal_copier.core.errors import CopierError, InvalidInput, Rejected, StoreUnavailable
from signal_copier.core.market import AccountInfo, Credentials, MarginMode
from signal_copier.core.reasons import Reason
from signal_copier.core.records import Subscription, UserRecord
from signal_copier.core.settings import TradeSettings, validate_settings
from signal_copier.services import accounts, audit, control
from signal_copier.services.webdeps import WebDeps

NETTING_NOTE = (
    "This is a netting account: MT5 keeps one position per symbol. A signal with several TPs "
    "becomes one position instead of one per TP, partial closes and break-even act on that one "
    "position, and your own trades on the same symbol are merged with the copied ones."
)


class AccountTaken(Rejected):
    """Another user already connected this broker account."""

    reason = Reason.REJECTED


async def ensure_user(w: WebDeps, user_id: str) -> UserRecord:
    """Return the user, creating a stopped one (copying starts only when they press Start)."""
    user = await w.deps.store.get_user(user_id)
    if user is not None:
        return user
    # Created only if still absent: a concurrent first request may have set it up meanwhile
    # (its settings, a pause), and overwriting it would silently drop them.
    fresh = UserRecord(user_id=user_id, active=False)
    if await w.deps.store.create_user(fresh):
        return fresh
    user = await w.deps.store.get_user(user_id)
    if user is None:
        raise StoreUnavailable(f"user {user_id!r} vanished while being created; try again")
    return user


async def connect_broker(
    w: WebDeps, user_id: str, credentials: Credentials, now: datetime, ip: str
) -> tuple[Profile, AccountInfo]:
    """Verify the account by reading it, claim it for this user, then store the token.

    A connection opened only to verify credentials that are then refused is closed again.
    Copying paused because the broker account was removed resumes (any other pause stays).
    """
    try:
        info = await _verify(w, user_id, credentials, now, ip)
    except CopierError:
        keep = await accounts.stored_credentials(w.deps, user_id)
        await w.deps.broker.disconnect(user_id, keep=keep)
        raise
    user = await ensure_user(w, user_id)
    profile = await w.web.profile(user_id)
    if profile.account_id and profile.account_id != credentials.account_id:
        await w.deps.store.release_account(profile.account_id, user_id)
    await accounts.save_credentials(w.deps, user_id, credentials)
    # Trades already open on the account (left by a disconnect, whose polls stopped) are
    # managed again; a poll that finds none drops the watch.
    await w.deps.store.watch(user_id, now - w.deps.timing.deal_margin, now)
    if user.paused_reason == control.NO_BROKER:
        await control.lift_broker_pause(w.deps, user_id)
    profile = replace(
        profile,
        account_id=credentials.account_id,
        margin_mode=str(info.margin_mode),
        currency=info.currency,
        step=_after(profile.step, "telegram"),
    )
    await w.web.put_profile(profile)
    await audit.record(
        w.web, user_id, AuditAction.CREDENTIALS_SAVED, now, ip,
        account_id=credentials.account_id, margin_mode=str(info.margin_mode),
    )  # fmt: skip
    return profile, info


async def _verify(
    w: WebDeps, user_id: str, credentials: Credentials, now: datetime, ip: str
) -> AccountInfo:
    account = await w.deps.broker.connect(user_id, credentials)
    info = await account.account_info()  # refuses bad ids and tokens before anything is stored
    if not await w.deps.store.claim_account(credentials.account_id, user_id):
        await audit.record(
            w.web, user_id, AuditAction.CREDENTIALS_REFUSED, now, ip,
            account_id=credentials.account_id, why="connected by another user",
        )  # fmt: skip
        raise AccountTaken("this MetaAPI account is already connected to another user")
    return info


def netting_note(info: AccountInfo) -> str:
    """Return what a netting account means for copying ('' for hedging accounts)."""
    return "" if info.margin_mode is MarginMode.HEDGING else NETTING_NOTE


async def telegram_step(
    w: WebDeps, user_id: str, step: str, value: str, now: datetime, ip: str
) -> LoginStep:
    """Run one step of linking Telegram (phone, code or password); audit the outcome."""
    flows = {
        "phone": w.telegram.send_code,
        "code": w.telegram.submit_code,
        "password": w.telegram.submit_password,
    }
    try:
        result = await flows[step](user_id, value)
    except Rejected as e:
        await audit.record(
            w.web, user_id, AuditAction.TELEGRAM_LINK_FAILED, now, ip, step=step, why=str(e)
        )
        raise
    if result.stage is LoginStage.LINKED:
        await ensure_user(w, user_id)
        profile = await w.web.profile(user_id)
        step_after = _after(profile.step, "channels")
        await w.web.put_profile(replace(profile, telegram_linked=True, step=step_after))
        await audit.record(w.web, user_id, AuditAction.TELEGRAM_LINKED, now, ip)
    elif step == "phone":
        await audit.record(w.web, user_id, AuditAction.TELEGRAM_CODE_SENT, now, ip)
    return result


async def cancel_telegram(w: WebDeps, user_id: str, now: datetime, ip: str) -> None:
    """Forget a pending Telegram login."""
    await w.telegram.cancel(user_id)
    await audit.record(w.web, user_id, AuditAction.TELEGRAM_LINK_CANCELLED, now, ip)


async def follow(
    w: WebDeps, user_id: str, chat_id: str, overrides: dict[str, Any], now: datetime, ip: str
) -> Subscription:
    """Follow one of the user's readable chats (QuotaExceeded names the plan's limit)."""
    if chat_id not in {chat.chat_id for chat in await w.web.user_chats(user_id)}:
        raise InvalidInput("chat_id: your Telegram session cannot read this chat")
    await ensure_user(w, user_id)
    subscription = await accounts.follow_channel(w.deps, user_id, chat_id, overrides, now=now)
    profile = await w.web.profile(user_id)
    await w.web.put_profile(replace(profile, step=_after(profile.step, "risk")))
    await audit.record(w.web, user_id, AuditAction.CHANNEL_FOLLOWED, now, ip, chat_id=chat_id)
    return subscription


async def unfollow(w: WebDeps, user_id: str, chat_id: str, now: datetime, ip: str) -> None:
    """Stop following a chat."""
    await w.deps.store.delete_subscription(user_id, chat_id)
    await audit.record(w.web, user_id, AuditAction.CHANNEL_UNFOLLOWED, now, ip, chat_id=chat_id)


async def save_settings(
    w: WebDeps, user_id: str, settings: TradeSettings, now: datetime, ip: str
) -> UserRecord:
    """Store validated risk settings (only what differs from the defaults)."""
    stored = validate_settings(settings.model_dump(mode="json")).model_dump(
        mode="json", exclude_defaults=True
    )
    await ensure_user(w, user_id)
    user = await w.deps.store.update_user(user_id, lambda u: replace(u, settings=stored))
    if user is None:
        raise InvalidInput(f"user {user_id!r} does not exist")
    profile = await w.web.profile(user_id)
    await w.web.put_profile(replace(profile, step=_after(profile.step, "start")))
    fields = ",".join(sorted(stored)) or "defaults"
    await audit.record(w.web, user_id, AuditAction.SETTINGS_CHANGED, now, ip, fields=fields)
    return user


async def set_running(
    w: WebDeps, user_id: str, running: bool, now: datetime, ip: str
) -> UserRecord:
    """Start (needs a connected broker account) or stop copying."""
    profile = await w.web.profile(user_id)
    if running and not profile.account_id:
        raise InvalidInput("account_id: connect your MetaTrader account before starting")
    await ensure_user(w, user_id)
    user = await control.set_active(w.deps, user_id, running)
    if running:
        await w.web.put_profile(replace(profile, step="done"))
    action = AuditAction.STARTED if running else AuditAction.STOPPED
    await audit.record(w.web, user_id, action, now, ip)
    return user


async def kill(w: WebDeps, user_id: str, now: datetime, ip: str) -> control.KillSwitchReport:
    """Press the kill switch: pause and close everything the copier opened; say what is left."""
    await ensure_user(w, user_id)
    try:
        report = await control.kill_switch(w.deps, user_id, now)
    finally:  # the pause stands even if closing failed half way: record the press regardless
        await audit.record(w.web, user_id, AuditAction.KILL_SWITCH, now, ip)
    return report


async def resume(w: WebDeps, user_id: str, now: datetime, ip: str) -> UserRecord:
    """Lift a pause (kill switch, loss limit, breaker); not while no broker account is connected."""
    if not (await w.web.profile(user_id)).account_id:
        raise InvalidInput("account_id: connect your MetaTrader account before resuming")
    await ensure_user(w, user_id)
    user = await control.resume(w.deps, user_id)
    await audit.record(w.web, user_id, AuditAction.RESUMED, now, ip)
    return user


STEPS = ("broker", "telegram", "channels", "risk", "start", "done")


def _after(current: str, reached: str) -> str:
    # The wizard never moves back because a later step was redone.
    order = {name: n for n, name in enumerate(STEPS)}
    return max(current, reached, key=lambda s: order.get(s, 0))
