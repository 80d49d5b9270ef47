"""The TelegramLogin port on Telethon: code, then the 2FA password, across separate requests.

Never `client.start()` (it prompts on a terminal). Between steps the half-logged-in session,
the phone and the code hash are kept encrypted in the vault for ten minutes (a half-logged-in
session is as sensitive as a full one). The finished StringSession goes to the vault only, and
the session is recorded for the fleet (`sessions/{uid}`): from then on only a listener connects
it — two connections of one session from two places get it killed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telethon import TelegramClient, errors, functions, types
from telethon.sessions import StringSession

from signal_copier.core.dashboard import (
    FloodWait,
    LoginEmailRequired,
    LoginStage,
    LoginStep,
    NoLoginInProgress,
    PaymentRequired,
    TelegramLoginRejected,
)
from signal_copier.core.errors import CopierError
from signal_copier.core.fleet import SessionLink, TelegramFloodWait, session_secret_name
from signal_copier.core.leases import shard_of
from signal_copier.core.ports import FleetStore, Vault
from signal_copier.telegram.telethon.errors import translate

PENDING_TTL = timedelta(minutes=10)


def pending_name(user_id: str) -> str:
    """Return the vault name of a user's pending login."""
    return f"telegram_login.{user_id}"


class TelethonLogin:
    """Link a Telegram account with one short-lived Telethon client per step."""

    def __init__(
        self,
        vault: Vault,
        fleet: FleetStore,
        api_id: int,
        api_hash: str,
        *,
        shards: int = 1024,
        client_class: type[TelegramClient] = TelegramClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._vault, self._fleet, self._shards, self._clock = vault, fleet, shards, clock
        self._api_id, self._api_hash, self._class = api_id, api_hash, client_class

    async def send_code(self, user_id: str, phone: str) -> LoginStep:
        """Send a login code; for the same phone within ten minutes, resend it instead."""
        phone = phone.strip().replace(" ", "")
        if not phone.lstrip("+").isdigit():
            raise TelegramLoginRejected("phone: digits with the country code, e.g. +447700900123")
        pending = await self._pending(user_id)
        resend = pending if pending is not None and pending["phone"] == phone else None
        async with _Connected(self._client(resend["session"] if resend else None)) as client:
            if resend is not None:
                request: Any = functions.auth.ResendCodeRequest(phone, resend["hash"])
            else:
                settings = types.CodeSettings()
                request = functions.auth.SendCodeRequest(
                    phone, self._api_id, self._api_hash, settings
                )
            sent = await _call(client, request)
            if isinstance(sent, types.auth.SentCodeSuccess):
                return await self._linked(user_id, client, sent.authorization.user)
            _check_sent(sent)
            # After the request: Telethon may have moved to the phone's home DC (new auth key).
            await self._save(user_id, client, phone=phone, hash=sent.phone_code_hash, step="code")
            hint = f"the code was sent via {_via(sent.type)}"
            return LoginStep(stage=LoginStage.CODE_SENT, hint=hint)

    async def submit_code(self, user_id: str, code: str) -> LoginStep:
        """Sign in with the code: linked, or the 2FA password is needed."""
        pending = await self._required(user_id)
        async with _Connected(self._client(pending["session"])) as client:
            try:
                user = await client.sign_in(
                    phone=pending["phone"], code=code.strip(), phone_code_hash=pending["hash"]
                )
            except errors.SessionPasswordNeededError:
                hint = (await _call(client, functions.account.GetPasswordRequest())).hint or ""
                fields = {"phone": pending["phone"], "hash": pending["hash"], "step": "password"}
                await self._save(user_id, client, **fields)
                return LoginStep(stage=LoginStage.PASSWORD_NEEDED, hint=hint)
            except (OSError, errors.RPCError) as e:
                raise _translated(e) from e
            return await self._linked(user_id, client, user)

    async def submit_password(self, user_id: str, password: str) -> LoginStep:
        """Finish a two-step login with the account's password."""
        pending = await self._required(user_id)
        if pending["step"] != "password":
            raise TelegramLoginRejected("Telegram has not asked for a password: enter the code")
        async with _Connected(self._client(pending["session"])) as client:
            try:
                user = await client.sign_in(password=password)
            except (OSError, errors.RPCError) as e:
                raise _translated(e) from e
            return await self._linked(user_id, client, user)

    async def cancel(self, user_id: str) -> None:
        """Forget a pending login."""
        await self._vault.delete(pending_name(user_id))

    async def log_out(self, user_id: str, session: bytes) -> bool:
        """Log the session out at Telegram (auth.logOut); False if Telegram was not reached.

        A session Telegram no longer knows (revoked, or ended from another device) counts as
        logged out: its key already opens nothing.
        """
        try:
            client = self._client(session.decode())
        except (UnicodeDecodeError, ValueError):
            return False  # not a session Telethon can read: only Telegram's Devices list can end it
        try:
            await client.connect()
            await client(functions.auth.LogOutRequest())
        except (errors.AuthKeyUnregisteredError, errors.SessionRevokedError):
            return True
        except (OSError, errors.RPCError):
            return False
        finally:
            await client.disconnect()
        return True

    def _client(self, session: str | None) -> TelegramClient:
        # No updates (a login needs none) and no automatic flood sleeping: the user is told.
        return self._class(
            StringSession(session),
            self._api_id,
            self._api_hash,
            receive_updates=False,
            flood_sleep_threshold=0,
        )

    async def _linked(self, user_id: str, client: TelegramClient, user: Any) -> LoginStep:
        if not isinstance(user, types.User):
            raise TelegramLoginRejected("Telegram asks to sign up: create the account in its app")
        await self._vault.put(session_secret_name(user_id), client.session.save().encode())
        await self._vault.delete(pending_name(user_id))
        link = SessionLink(user_id=user_id, shard=shard_of(user_id, self._shards))
        await self._fleet.link_session(link)
        return LoginStep(stage=LoginStage.LINKED, hint=f"Telegram account {user.id}")

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
            raise NoLoginInProgress("no login in progress (or older than 10 minutes): send a code")
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


def _translated(error: BaseException) -> CopierError:
    found = translate(error)
    if isinstance(found, TelegramFloodWait):  # for a login the user waits, not a queue
        return FloodWait(found.seconds)
    if found is not None:
        return found
    return TelegramLoginRejected(f"Telegram refused the login: {type(error).__name__}")


def _check_sent(sent: Any) -> None:
    if isinstance(sent, types.auth.SentCodePaymentRequired):
        raise PaymentRequired(
            "Telegram wants a paid subscription to send this login code by SMS: open Telegram on "
            "a device where you are logged in, or try again later"
        )
    if isinstance(getattr(sent, "type", None), types.auth.SentCodeTypeSetUpEmailRequired):
        raise LoginEmailRequired("Telegram needs a login email first: set one up in its app")
    if not isinstance(sent, types.auth.SentCode):
        raise TelegramLoginRejected(
            f"Telegram answered the code request with {type(sent).__name__}"
        )


def _via(code_type: Any) -> str:
    name = type(code_type).__name__.removeprefix("SentCodeType")
    return name.lower() or "app"


if TYPE_CHECKING:
    from signal_copier.core.ports import TelegramLogin

    _conforms: TelegramLogin = TelethonLogin(None, None, 1, "")  # type: ignore[arg-type]
