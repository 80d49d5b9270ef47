"""Who an intent acts for: the user, and their settings for the intent's channel."""

from __future__ import annotations

from signal_copier.core.errors import Rejected
from signal_copier.core.model import Intent, IntentKind, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import UserRecord
from signal_copier.core.settings import TradeSettings, effective_settings
from signal_copier.services.deps import Deps
from signal_copier.services.records import skipped


async def user_context(
    deps: Deps, intent: Intent, *, opening: bool | None = None
) -> tuple[UserRecord, TradeSettings] | TradeResult:
    """Load the user and their effective settings for this intent's channel, or a skip.

    An opening (by default: an OPEN intent) needs a live subscription to its chat; a follow-up,
    an edit's level change or position management does not (unfollowing a channel never
    strands the trades it opened).
    """
    user = await deps.store.get_user(intent.user_id)
    if user is None:
        return skipped(intent, Reason.UNKNOWN_USER, "no such user")
    subscription = await deps.store.subscription(user.user_id, intent.chat_id)
    opens = intent.kind is IntentKind.OPEN if opening is None else opening
    if subscription is None and opens:
        return skipped(intent, Reason.NOT_SUBSCRIBED, "you do not follow this channel")
    overrides = subscription.overrides if subscription is not None else {}
    try:
        settings = effective_settings(user.settings, overrides, intent.signal)
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    return user, settings
