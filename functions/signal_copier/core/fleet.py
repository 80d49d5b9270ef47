"""What the listener fleet keeps: shard leases, watermarks, readable chats, bot status, notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from signal_copier.core.dashboard import AuditAction, AuditEvent, BotStatus
from signal_copier.core.errors import CopierError, Rejected, Retryable


def session_secret_name(user_id: str) -> str:
    """Return the vault name of a user's Telegram session."""
    return f"telegram.{user_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    """Who owns a shard of Telegram sessions until when; `epoch` grows with every new owner."""

    shard: int
    owner: str  # "" once released (or never taken)
    epoch: int
    expires: datetime
    sessions: int = 0  # linked sessions in the shard (what taking it costs)


class LinkState(StrEnum):
    LINKED = "linked"
    BROKEN = "broken"  # Telegram revoked the session: the user must link again


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionLink:
    """A user's linked Telegram session as the fleet runs it (the secret stays in the vault)."""

    user_id: str
    shard: int
    state: LinkState = LinkState.LINKED
    chats: tuple[str, ...] = ()  # the chats the user follows (users/{uid}/channels)


@dataclass(frozen=True, slots=True, kw_only=True)
class Watermark:
    """The last message id published for one (session, chat), and when it was known live."""

    user_id: str
    chat_id: str
    message_id: int
    seen_at: datetime  # edits made before this were received live (or published by a gap fill)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionHealth:
    """A user's bot as the owning listener sees it (written on change only).

    Stored in `users/{uid}/bot/status` together with the dashboard's `BotStatus` fields
    (`dashboard_status`), so the dashboard and the fleet read the same document.
    """

    connected: bool = False
    link: LinkState = LinkState.LINKED
    last_message_at: datetime | None = None
    last_error: str = ""
    updated: datetime | None = None


def dashboard_status(health: SessionHealth) -> BotStatus:
    """Return the dashboard's view of a session's health."""
    if health.link is LinkState.BROKEN:
        detail = "Telegram no longer accepts the session: link your Telegram account again"
        return BotStatus(state="unlinked", detail=detail, updated=health.updated)
    if health.connected:
        return BotStatus(state="running", updated=health.updated)
    if health.last_error:
        return BotStatus(state="error", detail=health.last_error, updated=health.updated)
    return BotStatus(state="connecting", updated=health.updated)


class NoticeKind(StrEnum):
    CHAT_ACCESS_LOST = "chat_access_lost"  # left, kicked or banned: the subscription was removed
    TELEGRAM_LINK_BROKEN = "telegram_link_broken"  # the session was revoked: link again


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """Something the fleet did on a user's behalf that the user must be told about."""

    user_id: str
    kind: NoticeKind
    at: datetime
    chat_id: str = ""
    detail: str = ""


_NOTICE_ACTIONS = {
    NoticeKind.CHAT_ACCESS_LOST: AuditAction.CHANNEL_UNFOLLOWED,
    NoticeKind.TELEGRAM_LINK_BROKEN: AuditAction.TELEGRAM_LINK_FAILED,
}


def notice_event(notice: Notice) -> AuditEvent:
    """Return a notice as the user's activity shows it (an audit event the fleet caused)."""
    detail = {"notice": notice.kind.value, "chat_id": notice.chat_id, "detail": notice.detail}
    action = _NOTICE_ACTIONS[notice.kind]
    return AuditEvent(user_id=notice.user_id, action=action, at=notice.at, detail=detail)


def event_notice(event: AuditEvent) -> Notice | None:
    """Return the notice an activity event records, or None for anyone else's event."""
    kind = event.detail.get("notice", "")
    if kind not in {k.value for k in NoticeKind}:
        return None
    return Notice(
        user_id=event.user_id,
        kind=NoticeKind(kind),
        at=event.at,
        chat_id=event.detail.get("chat_id", ""),
        detail=event.detail.get("detail", ""),
    )


class TelegramError(CopierError):
    """Base of what the Telegram adapter raises (through its one error table)."""


class SessionRevoked(TelegramError, Rejected):
    """Telegram no longer accepts this session (revoked, duplicated, account gone): link again."""


class ChatAccessLost(TelegramError, Rejected):
    """The session can no longer read this chat (left, kicked, banned, private)."""


class TelegramUnavailable(TelegramError, Retryable):
    """Telegram could not be reached or failed internally; try again with backoff."""


class TelegramFloodWait(TelegramError, Retryable):
    """Telegram asks us to wait `seconds` before this kind of request."""

    def __init__(self, seconds: int, detail: str = "") -> None:
        super().__init__(detail or f"Telegram asks to wait {seconds} s before retrying")
        self.seconds = seconds
