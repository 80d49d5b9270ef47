"""One redaction for every text a person reads: stored trade details and notes, and log lines.

It is the last line of defence, not the first: secrets are never put into messages on purpose.
It masks what has the shape of a credential and leaves trading text (prices, symbols, reasons,
ids of intents and orders) alone.
"""

from __future__ import annotations

import re

from signal_copier.core.errors import CopierError

MASK = "***"
MAX_TEXT = 2000  # a stored detail or note longer than this is cut (it is a sentence, not a dump)
MAX_ERROR = 300  # an unexpected error is shown as its type and at most this much of its text

_SECRET_NAME = (
    r"[\w-]*(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|api[_-]?hash|phone[_-]?code[_-]?hash"
    r"|session[_-]?(?:string|key|id)|auth[_-]?key|private[_-]?key|credentials?|signature)"
)
# Each pattern and its replacement, applied in order (the earlier ones are the more specific).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM blocks: private keys, certificates with keys.
    (re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.S), MASK),
    # JSON Web Tokens (Firebase ID tokens, MetaAPI tokens): header.payload.signature.
    (re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), MASK),
    # "Authorization: Bearer x", "authorization=Basic x", {"Authorization": "x"}.
    (
        re.compile(
            r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?[^\s\"',;}]+"
        ),
        rf"\g<1>{MASK}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[\w.~+/=-]{6,}"), rf"\g<1>\g<2>{MASK}"),
    # A Telegram bot token, also inside a URL path (https://api.telegram.org/bot<token>/...).
    (re.compile(r"(?<!\d)\d{5,12}:[\w-]{30,}"), MASK),
    # user:password@ in a URL.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^/\s@]+@"), rf"\g<1>:{MASK}@"),
    # Long hex (keys, hashes of keys; 32-hex intent ids stay readable).
    (re.compile(r"(?<![\w+/=-])[0-9a-fA-F]{40,}(?![\w+/=-])"), MASK),
)
# name=value, name: value, "name": "value", 'name': 'value' for secret-sounding names.
_NAMED = re.compile(
    rf"(?i)\b(?P<name>{_SECRET_NAME})(?P<sep>[\"']?\s*[:=]\s*)"
    r"(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;}&)\]]+)"
)
# "token 9f8e7d6c5b": a secret's name, a space, and a value that mixes letters and digits.
_NAMED_SPACE = re.compile(rf"(?i)\b(?P<name>{_SECRET_NAME})(?P<sep>\s+)(?P<value>[\w.~+/=-]{{8,}})")
# Key-shaped: a long run of base64 characters mixing upper case, lower case and digits.
_BLOB = re.compile(r"(?<![\w+/=.-])[\w+/-]{32,}={0,2}(?![\w+/=-])")
# What every pattern above needs somewhere in the text: a secret's name (or a word of it), a
# marker (PEM, JWT, URL) or a long run of key characters. A text with none of them is left as it
# is without running the patterns (a trading sentence has none).
_MAYBE = re.compile(
    r"(?i)-----BEGIN|eyJ|://|token|secret|passw|pwd|api|auth|session|private|credential"
    r"|signature|bearer|basic|phone|[\w+/=-]{30}"
)
_MIXED = (re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"\d"))
_LETTER, _DIGIT = re.compile(r"[A-Za-z]"), re.compile(r"\d")


def redact(text: str) -> str:
    """Return `text` with anything shaped like a credential replaced by ***."""
    if _MAYBE.search(text) is None:
        return text  # no pattern can match: most texts are trading sentences
    return redact_every_pattern(text)


def redact_every_pattern(text: str) -> str:
    """Return `text` after every redaction pattern ran over it (what `redact` does)."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = _NAMED.sub(_mask_value, text)
    text = _NAMED_SPACE.sub(_mask_spaced, text)
    return _BLOB.sub(_mask_blob, text)


def bounded(text: str, limit: int = MAX_TEXT) -> str:
    """Return `text` redacted and cut to `limit` characters (with an ellipsis when cut)."""
    clean = redact(text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def describe_error(error: BaseException, limit: int = MAX_ERROR) -> str:
    """Return an error as a user may read it: redacted, bounded, and never a traceback.

    Errors the copier raised on purpose read as their sentence; anything else (a bug, an
    untranslated vendor error) as its type and the start of its text.
    """
    text = " ".join(str(error).split())  # one line: a multi-line vendor dump becomes a sentence
    if isinstance(error, CopierError):
        return bounded(text, limit)
    name = type(error).__name__
    return bounded(f"{name}: {text}" if text else name, limit)


def _mask_value(match: re.Match[str]) -> str:
    value = match.group(0)[match.end("sep") - match.start() :]
    quote = value[0] if value[0] in "\"'" else ""
    # "token=x" and "token": "x" are assignments; after a bare colon a plain word is prose
    # ("the token: connect again"), while a value with digits or symbols is a credential.
    if not quote and "=" not in match.group("sep") and value.isalpha() and len(value) < 16:
        return match.group(0)
    return f"{match.group('name')}{match.group('sep')}{quote}{MASK}{quote}"


def _mask_spaced(match: re.Match[str]) -> str:
    value = match.group("value")
    if _LETTER.search(value) and _DIGIT.search(value):
        return f"{match.group('name')}{match.group('sep')}{MASK}"
    return match.group(0)


def _mask_blob(match: re.Match[str]) -> str:
    run = match.group(0)
    # Paths split on "/" into short words; a key's pieces are long and mix cases and digits.
    if any(len(piece) >= 16 and all(p.search(piece) for p in _MIXED) for piece in run.split("/")):
        return MASK
    return run
