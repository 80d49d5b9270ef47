"""Link a Telegram account across separate requests: code, then the 2FA password if asked.

Never `client.start()` (it prompts on a terminal). Between steps the half-logged-in session,
the phone and the code hash are kept encrypted in the vault for ten minutes (a half-logged-in
session is as sensitive as a full one); the finished StringSession goes to the vault only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telethon import TelegramClient, errors, functions, types
from telethon.sessions import StringSession

from signal_copier.core.fleet import (
    LoginExpired,
    LoginFailed,
    LoginProgress,
    LoginStep,
    session_secret_name,
)
from signal_copier.core.ports import Vault
from signal_copier.telegram.telethon.errors import translate

PENDING_TTL = timedelta(minutes=10)


def pending_name(user_id: str) -> str:
    """Return the vault name of a user's pending login."""
    return f"telegram_login.{user_id}"


class TelethonLogin:
    """The `TelegramLogin` port on Telethon: one short-lived client per step."""

    def __init__(
        self,
        vault: Vault,
        api_id: int,
        api_hash: str,
        *,
        client_class: type[TelegramClient] = TelegramClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._vault, self._clock = vault, clock
        self._api_id, self._api_hash, self._class = api_id, api_hash, client_class

    def _factory(self, session: StringSession) -> TelegramClient:
        # No updates (a login needs none) and no automatic flood sleeping: the user is told.
        return self._class(
            session, self._api_id, self._api_hash, receive_updates=False, flood_sleep_threshold=0
        )

    async def send_code(self, user_id: str, phone: str) -> LoginProgress:
        """Send a login code; for the same phone within ten minutes, resend it instead."""
        phone = phone.strip().replace(" ", "")
        if not phone.lstrip("+").isdigit():
            raise LoginFailed("the phone number must be digits with the country code, e.g. +4915…")
        pending = await self._pending(user_id)
        resend = pending is not None and pending["phone"] == phone
        session = StringSession(pending["session"] if resend and pending else None)
        async with _Connected(self._factory(session)) as client:
            if resend and pending:
                request: Any = functions.auth.ResendCodeRequest(phone, pending["hash"])
            else:
                request = functions.auth.SendCodeRequest(
                    phone, client.api_id, client.api_hash, types.CodeSettings()
                )
            sent = await _call(client, request)
            if isinstance(sent, types.auth.SentCodeSuccess):
                return await self._linked(user_id, client, sent.authorization.user)
            _check_sent(sent)
            # After the request: Telethon may have moved to the phone's home DC (new auth key).
            await self._save(user_id, client, phone=phone, hash=sent.phone_code_hash, step="code")
            return LoginProgress(step=LoginStep.CODE_SENT, code_via=_via(sent.type))

    async def sign_in(self, user_id: str, code: str) -> LoginProgress:
        """Sign in with the code: LINKED, or PASSWORD_NEEDED when the account has 2FA."""
        pending = await self._required(user_id)
        async with _Connected(self._factory(StringSession(pending["session"]))) as client:
            try:
                user = await client.sign_in(
                    phone=pending["phone"], code=code.strip(), phone_code_hash=pending["hash"]
                )
            except errors.SessionPasswordNeededError:
                hint = (await _call(client, functions.account.GetPasswordRequest())).hint or ""
                await self._save(
                    user_id, client, phone=pending["phone"], hash=pending["hash"], step="password"
                )
                return LoginProgress(step=LoginStep.PASSWORD_NEEDED, password_hint=hint)
            except errors.RPCError as e:
                raise _translated(e) from e
            return await self._linked(user_id, client, user)

    async def check_password(self, user_id: str, password: str) -> LoginProgress:
        """Finish a two-step login with the account's password."""
        pending = await self._required(user_id)
        if pending["step"] != "password":
            raise LoginFailed("Telegram has not asked for a password: enter the code first")
        async with _Connected(self._factory(StringSession(pending["session"]))) as client:
            try:
                user = await client.sign_in(password=password)
            except errors.RPCError as e:
                raise _translated(e) from e
            return await self._linked(user_id, client, user)

    async def _linked(self, user_id: str, client: TelegramClient, user: Any) -> LoginProgress:
        if not isinstance(user, types.User):
            raise LoginFailed(
                "Telegram asks to sign up: create the account in a Telegram app first"
            )
        await self._vault.put(session_secret_name(user_id), client.session.save().encode())
        await self._vault.delete(pending_name(user_id))
        return LoginProgress(step=LoginStep.LINKED, telegram_id=user.id)

    async def _save(self, user_id: str, client: TelegramClient, **fields: str) -> None:
        expires = self._clock() + PENDING_TTL
        state = {**fields, "session": client.session.save(), "expires": expires.isoformat()}
        await self._vault.put(pending_name(user_id), json.dumps(state).encode())

    async def _pending(self, user_id: str) -> dict[str, str] | None:
        raw = await self._vault.get(pending_name(user_id))
        state: dict[str, str] | None = json.loads(raw) if raw is not None else None
        if state is not None and datetime.fromisoformat(state["expires"]) <= self._clock():
            await self._vault.delete(pending_name(user_id))
            state = None
        return state

    async def _required(self, user_id: str) -> dict[str, str]:
        state = await self._pending(user_id)
        if state is None:
            raise LoginExpired("no login in progress (or older than 10 minutes): send a new code")
        return state


class _Connected:
    """Connect a client for one step and always disconnect it."""

    def __init__(self, client: TelegramClient) -> None:
        self._client = client

    async def __aenter__(self) -> TelegramClient:
        try:
            await self._client.connect()
        except (OSError, errors.RPCError) as e:
            raise _translated(e) from e
        return self._client

    async def __aexit__(self, *_: object) -> None:
        await self._client.disconnect()


async def _call(client: TelegramClient, request: Any) -> Any:
    try:
        return await client(request)
    except (OSError, errors.RPCError) as e:
        raise _translated(e) from e


def _translated(error: BaseException) -> Exception:
    found = translate(error)
    return (
        found
        if found is not None
        else LoginFailed(f"Telegram refused the login: {type(error).__name__}")
    )


def _check_sent(sent: Any) -> None:
    if isinstance(sent, types.auth.SentCodePaymentRequired):
        raise LoginFailed(
            "Telegram wants a paid subscription to send this login code by SMS: open Telegram on "
            "a device where you are logged in, or try again later"
        )
    if isinstance(getattr(sent, "type", None), types.auth.SentCodeTypeSetUpEmailRequired):
        raise LoginFailed("Telegram needs a login email first: set one up in a Telegram app")
    if not isinstance(sent, types.auth.SentCode):
        raise LoginFailed(f"Telegram answered the code request with {type(sent).__name__}")


def _via(code_type: Any) -> str:
    name = type(code_type).__name__.removeprefix("SentCodeType")
    return name.lower() or "app"


if TYPE_CHECKING:
    from signal_copier.core.ports import TelegramLogin

    _conforms: TelegramLogin = TelethonLogin(None, 1, "")  # type: ignore[arg-type]
