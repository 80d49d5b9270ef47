"""The late opening of a signal refused for want of a stop: once per user, by levels or an edit.

"XAUUSD BUY NOW @ 2650" is refused for a user with `no_sl: skip` (`no_sl`), "XAUUSD BUY 2650
SL 2604 TP 2653" for everyone (`price_typo`: 2644 was meant). Its stop may come
later in two ways: a levels-only message ("SL 2640 TP1 2660", a reply or the next post), or
the channel editing the signal. Either opens the completed signal through every opening guard.

Exactly once: both routes open it as one intent, `ids.LATE_OPENING_VERSION` of the signal's
message for that user and part, so its claim, clientIds, quota reservation and trade record
are the same whichever route gets there, however often and in whatever order they are
delivered. Whichever claims it first opens it; a route that finds it decided (done) records
that; one that finds it in flight is redelivered (InFlight) and then finds the trade open and
completes or edits it as any follow-up. That id is a genuine intent id: if the worker running
it dies, the sweep re-publishes it and it finishes (adopting its legs) on its own.

The signal's deletion, its edit into a cancel or onto another side or symbol, and a close do
not wait for a late opening (it is no version of any message), so the late opening looks for
them before it opens, after it placed, and again once its record is stored: whatever it misses
then finds its trade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids, late_opening
from signal_copier.core.completion import late_detail, misfit, off_detail
from signal_copier.core.errors import InFlight
from signal_copier.core.model import ChangeKind, Command, Intent, IntentKind, Signal, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import ClaimState, TradeRecord
from signal_copier.core.settings import TradeSettings
from signal_copier.services import opening, opening_checks
from signal_copier.services.deps import Deps
from signal_copier.services.late_ends import taken_back, undone_if_taken_back, unturned
from signal_copier.services.late_outcome import decided, told
from signal_copier.services.once import run_once
from signal_copier.services.records import skipped
from signal_copier.services.targets import Wait

OPENED = "opened the signal completed by these levels"


def late_intent(base: Intent, signal: Signal) -> Intent:
    """Return the one intent under which a signal refused for no stop is opened late."""
    return replace(
        base,
        id=_late_id(base),
        kind=IntentKind.OPEN,
        version=ids.LATE_OPENING_VERSION,
        signal=signal,
        command=None,
        previous=None,
    )


# Refused for want of a stop it can use: none, or one that reads as a typo ("SL 2604" for 2644).
# A correction posted as levels ("SL 2644", a reply or the next post) completes either.
_WANTED_A_STOP = frozenset({Reason.NO_SL, Reason.PRICE_TYPO})


def refused_for_no_sl(records: Sequence[TradeRecord], part: int | None = None) -> list[TradeRecord]:
    """Return the signal openings (of `part`, if given) refused for want of a usable stop.

    A re-entry refused so ("Buy again" before the levels) is filed with its signal, but is not
    the signal the levels complete.
    """
    return [
        r
        for r in records
        if r.intent.kind is IntentKind.OPEN
        and r.intent.version != ids.LATE_OPENING_VERSION
        and r.result.reason in _WANTED_A_STOP
        and (part is None or r.intent.part == part)
        and ids.ref_message(r.signal_ref) in (None, r.intent.message_id)
    ]


async def from_levels(
    intent: Intent,
    command: Command,
    records: Sequence[TradeRecord],
    settings: TradeSettings,
    deps: Deps,
    now: datetime,
) -> TradeResult | Wait | None:
    """Open the signal a levels-only message completes, when its opening wanted a stop.

    None when the message is about no such signal (the caller records `no_position`). The
    signal is taken as born complete when the levels were posted: its age counts from them,
    while a kill switch pressed after the signal itself arrived still keeps it closed.
    """
    refused = [r for r in refused_for_no_sl(records) if r.intent.message_id < intent.message_id]
    if not refused:
        return None
    if len({(r.intent.message_id, r.intent.part) for r in refused}) > 1:
        detail = "the signal it follows holds several signals: these levels name none of them"
        return skipped(intent, Reason.NO_POSITION, detail)
    base = refused[0].intent
    state = await _late_state(deps, base)
    signal = await _completed(intent, command, refused[0], settings, deps)
    if isinstance(signal, TradeResult):
        if state is None or state is ClaimState.DONE:
            return signal
        # Begun by an attempt cut short, and refused now: it only adopts what that attempt
        # placed (a signal without a stop plans nothing new).
        stopless = refused[0].signal
        assert stopless is not None  # an opening's record carries its signal
        signal = stopless
    born = replace(base, message_date=intent.message_date, received=opening_checks.arrived(base))
    late = late_intent(replace(born, trace_id=intent.trace_id), signal)
    begun = (state, base.version, intent.message_date)
    return await _open(intent, late, begun, deps, now, said=OPENED)


async def from_edit(
    intent: Intent,
    signal: Signal,
    records: Sequence[TradeRecord],
    deps: Deps,
    now: datetime,
    retry: bool,
) -> TradeResult | Wait:
    """Open a signal an edit fixed: late (once with its levels) if it was refused for no stop."""
    stopless = signal.sl is None and signal.sl_pips is None
    if stopless or not refused_for_no_sl(records, intent.part):
        return await opening.open_signal(intent, signal, deps, now, retry=retry)
    late = late_intent(intent, signal)
    state = await _late_state(deps, late)
    said = "opened the signal as this edit completed it"
    return await _open(intent, late, (state, intent.version, None), deps, now, said=said)


async def _late_state(deps: Deps, base: Intent) -> ClaimState | None:
    late_id = _late_id(base)
    return (await deps.store.claim_states([late_id])).get(late_id)


def _late_id(base: Intent) -> str:
    # The one id of "the late opening of this signal for this user": both routes compute it.
    return ids.intent_id(
        base.chat_id, base.message_id, ids.LATE_OPENING_VERSION, base.user_id, base.part
    )


async def _completed(
    intent: Intent,
    command: Command,
    refused: TradeRecord,
    settings: TradeSettings,
    deps: Deps,
) -> Signal | TradeResult:
    # In time, a stop given, levels on the signal's side, and the signal still standing.
    base = refused.intent
    if settings.split_window_s == 0:
        return skipped(intent, Reason.LEVELS_ONLY_OFF, off_detail())
    late = late_detail(base.message_date, intent.message_date, settings.split_window_s)
    if late is not None:
        return skipped(intent, Reason.LEVELS_TOO_LATE, late)
    # The signal as the channel last wrote it (its deletion or end is judged before opening),
    # or as it was when these levels were posted if the channel flipped it since.
    head = await deps.store.latest_message(base.chat_id, base.message_id)
    if head is None or head.deleted:
        standing = refused.signal
    else:
        standing = await unturned(deps, base, head, intent.message_date)
    if standing is None:
        detail = f"the signal these levels complete (message {base.message_id}) is no longer one"
        return skipped(intent, Reason.SIGNAL_CANCELLED, detail)
    signal = late_opening.completed(standing, command)
    if isinstance(signal, str):
        return skipped(intent, Reason.NO_SL, signal)
    found = misfit(command, standing, [])
    if found is not None:
        return skipped(intent, found.reason, found.detail)
    wrong = late_opening.unfit(signal)
    if wrong is not None:
        return skipped(intent, wrong.reason, f"{wrong.detail} (not opened; a fix of it is)")
    return signal


class _Parked(Exception):
    """The late opening must wait for earlier messages: its caller parks, not it."""

    def __init__(self, wait: Wait) -> None:
        super().__init__(f"waiting for message {wait.awaiting}")
        self.wait = wait


async def _open(
    outer: Intent,
    late: Intent,
    begun: tuple[ClaimState | None, int, datetime | None],
    deps: Deps,
    now: datetime,
    *,
    said: str,
) -> TradeResult | Wait:
    # Run the late opening under its own claim, inside the route's; record what it did.
    # `begun`: the late opening's claim state, the signal's version an end must follow, and
    # when the levels were posted (a flip made after them takes back what opens, as in order).
    state, since, posted = begun
    if state is ClaimState.DONE:
        return decided(outer, await deps.store.trade(late.user_id, late.id))
    if state is None:
        gone = await taken_back(deps, late, since, as_of=posted)
        if gone is not None:
            return skipped(outer, gone[0], gone[1])
    result = await _run(late, since, deps, now)
    if result is None:  # another route decided it between our read and our claim
        raise InFlight(f"the late opening {late.id} was decided meanwhile: run {outer.id} again")
    if isinstance(result, Wait):
        return result
    if not any(c.kind in _UNDONE for c in result.changes):
        # Checked again now its record is stored: a deletion or close handled before that
        # found nothing to take back; one handled after it finds this trade.
        result = await undone_if_taken_back(deps, late, since, result)
    return told(outer, late.message_id, result, said)


_UNDONE = (ChangeKind.CLOSE, ChangeKind.CANCEL)  # legs closed again before it was recorded


async def _run(late: Intent, since: int, deps: Deps, now: datetime) -> TradeResult | Wait | None:
    async def work(retry: bool) -> TradeResult:
        assert late.signal is not None  # built with its signal
        outcome = await opening.open_signal(late, late.signal, deps, now, retry=retry)
        if isinstance(outcome, Wait):
            raise _Parked(outcome)
        return await undone_if_taken_back(deps, late, since, outcome)

    try:
        return await run_once(late, deps, now, work)
    except _Parked as parked:
        return parked.wait
