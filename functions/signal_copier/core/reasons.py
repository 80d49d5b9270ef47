"""Why an intent did nothing, was refused or failed: one vocabulary for records, errors and guards.

The values are the short snake_case words users and the demo summary see; they are stable.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    NONE = ""  # nothing to explain: the intent did what it was for

    # The user and the account
    UNKNOWN_USER = "unknown_user"
    COPYING_STOPPED = "copying_stopped"
    KILL_SWITCH = "kill_switch"
    BROKER_BREAKER = "broker_breaker"
    DAILY_LOSS_LIMIT = "daily_loss_limit"
    QUOTA = "quota"
    NO_CREDENTIALS = "no_credentials"
    BROKER_NOT_CONNECTED = "broker_not_connected"  # the user removed their broker account
    ACCOUNT_TAKEN = "account_taken"
    NOT_SUBSCRIBED = "not_subscribed"
    NETTING_ACCOUNT = "netting_account"
    MAX_OPEN_TRADES = "max_open_trades"

    # The signal
    STALE_SIGNAL = "stale_signal"
    SL_WRONG_SIDE = "sl_wrong_side"
    TP_WRONG_SIDE = "tp_wrong_side"
    TPS_OUT_OF_ORDER = "tps_out_of_order"
    PRICE_DECIMAL_SLIP = "price_decimal_slip"
    PRICE_TYPO = "price_typo"  # a stop far beyond the targets, one slip from fitting them
    PRICE_TOO_FAR = "price_too_far"
    SPREAD_TOO_WIDE = "spread_too_wide"
    NO_SL = "no_sl"
    NO_ENTRY = "no_entry"  # a limit or stop order without its entry price
    VOLUME_TOO_SMALL = "volume_too_small"
    SYMBOL_NOT_ALLOWED = "symbol_not_allowed"
    OUTSIDE_TRADING_HOURS = "outside_trading_hours"
    UNKNOWN_SYMBOL = "unknown_symbol"
    AMBIGUOUS_SYMBOL = "ambiguous_symbol"

    # Follow-ups and edits
    NO_POSITION = "no_position"
    NOTHING_TO_CHANGE = "nothing_to_change"
    NOT_EXECUTED = "not_executed"
    SIGNAL_CHANGED = "signal_changed"
    SIGNAL_CLOSED = "signal_closed"  # the channel closed or cancelled it before it was opened
    SIGNAL_DELETED = "signal_deleted"  # the channel deleted the signal's message
    SIGNAL_REPEATED = "signal_repeated"  # posted again level for level: traded once
    # A call to trade now reached its TP1 while its entry waited: the waiting entry was cancelled
    TARGET_REACHED = "target_reached"
    FOLLOW_UP_DELETED = "follow_up_deleted"  # the channel deleted it before it was acted on
    FOLLOW_UP_EDITED = "follow_up_edited"  # an edit of a follow-up that is not run again
    STOP_KEPT = "stop_kept"
    LEVELS_TOO_LATE = "levels_too_late"  # a levels-only message after split_window_s
    LEVELS_ONLY_OFF = "levels_only_off"  # split_window_s is 0
    NO_SIGNAL = "no_signal"  # a re-entry refers to no signal this copier knows
    REENTRY_MISMATCH = "reentry_mismatch"  # a re-entry's side or symbol is not its signal's
    SIGNAL_CANCELLED = "signal_cancelled"  # the channel cancelled the signal a re-entry repeats

    # The broker
    BROKER_REJECTED = "broker_rejected"
    BROKER_UNAVAILABLE = "broker_unavailable"
    NOTHING_PLACED = "nothing_placed"
    INVALID_VOLUME = "invalid_volume"
    INVALID_PRICE = "invalid_price"
    INVALID_STOPS = "invalid_stops"
    NO_MONEY = "no_money"
    NO_QUOTES = "no_quotes"
    MARKET_CLOSED = "market_closed"
    TRADE_DISABLED = "trade_disabled"
    NOT_FOUND = "not_found"
    UNKNOWN_ACCOUNT = "unknown_account"
    BROKER_THROTTLED = "broker_throttled"  # the broker's rate limit: retry at its recommended time
    BROKER_TOKEN_REJECTED = "broker_token_rejected"  # 401/403: connect the account again
    ACCOUNT_NOT_DEPLOYED = "account_not_deployed"  # the MetaAPI account is undeployed: deploy it
    INVESTOR_PASSWORD = "investor_password"  # read-only login: use the master password
    AUTOTRADING_DISABLED = "autotrading_disabled"
    BROKER_LIMIT = "broker_limit"  # the broker's cap on orders, volume or positions
    HEDGING_PROHIBITED = "hedging_prohibited"
    FROZEN = "frozen"  # too close to the market to change (freeze level)

    # Inputs, storage and the pipeline itself
    ERROR = "error"
    REJECTED = "rejected"
    RETRY = "retry"
    INVALID_INPUT = "invalid_input"
    INVALID_SETTINGS = "invalid_settings"
    INVALID_INTENT = "invalid_intent"
    STORE_UNAVAILABLE = "store_unavailable"
    STORE_CORRUPT = "store_corrupt"
    IN_FLIGHT = "in_flight"
    INTERNAL_ERROR = "internal_error"
    VAULT_KEY_INSECURE = "vault_key_insecure"
    SECRET_UNREADABLE = "secret_unreadable"
    QUEUE_UNAVAILABLE = "queue_unavailable"
    VAULT_UNAVAILABLE = "vault_unavailable"
