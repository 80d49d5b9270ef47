"""`signal-copier parse`: how one message (or a file of them) is read."""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from signal_copier.core.parsing import parse, to_label

MAX_ID_DIGITS = 100  # an id is a name, not a number to compute with: longer ones are refused


def register(sub: Any) -> None:
    """Add the `parse` subcommand."""
    p = sub.add_parser("parse", help="show how a message is read")
    p.add_argument("text", nargs="?", help="the message text")
    p.add_argument("--jsonl", action="store_true", help='read {"id","text"} lines from stdin')
    p.add_argument("--explain", action="store_true", help="show which words were read as what")
    p.set_defaults(func=_parse)


def _parse(args: argparse.Namespace) -> int:
    out, err = _utf8(sys.stdout), _utf8(sys.stderr)
    if args.jsonl:
        return parse_lines(getattr(sys.stdin, "buffer", sys.stdin), out, err)
    if args.text is None:
        print("error: give a TEXT or --jsonl", file=err)
        return 2
    parsed = parse(args.text)
    print(json.dumps(to_label(parsed), ensure_ascii=False, indent=2), file=out)
    if args.explain:
        print("\n".join(parsed.explain) or "(nothing recognised)", file=out)
        if parsed.reason:
            print(f"reason: {parsed.reason}", file=out)
    return 0


def _utf8(stream: TextIO) -> TextIO:
    # Under a strict locale (LC_ALL=C) the standard streams may be ASCII: the output is UTF-8
    # whatever the locale, and text that cannot be encoded is escaped rather than a crash.
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    return stream


def parse_lines(source: Iterable[bytes | str], sink: TextIO, errors: TextIO) -> int:
    """Write one prediction per input line; a bad line gets an error record, never a crash.

    Return 1 when any line failed (the others are still read and answered), else 0.
    """
    failures = 0
    for number, raw in enumerate(source, start=1):
        try:
            item = _record(raw)
        except ValueError as e:
            failures += 1
            print(f"error: line {number}: {e}", file=errors)
            known = e.id if isinstance(e, _BadLine) else None
            sink.write(json.dumps({"id": known, "line": number, "error": str(e)}) + "\n")
            continue
        if item is not None:
            prediction = {"id": item["id"], **to_label(parse(item["text"]))}
            sink.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    return 1 if failures else 0


def _record(raw: bytes | str) -> dict[str, Any] | None:
    """Return the line's {"id", "text"}, None for a blank line; raise ValueError saying why not."""
    try:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 (byte {e.start + 1} of the line)") from e
    if not line.strip():
        return None
    try:
        item = json.loads(line)
    except RecursionError as e:
        raise ValueError("not JSON: nested too deeply") from e
    except ValueError as e:  # json.JSONDecodeError, and integers longer than Python reads
        raise ValueError(f"not JSON: {e}") from e
    if not isinstance(item, dict):
        raise ValueError('expected {"id": ..., "text": "..."}')
    known = _checked_id(item.get("id"))
    if not isinstance(item.get("text"), str):
        # The id is kept so a scorer can tell which message was not read.
        raise _BadLine(known, "text: missing" if "text" not in item else "text: must be a string")
    return {"id": known, "text": item["text"]}


class _BadLine(ValueError):
    """A line whose id is readable but whose text is not."""

    def __init__(self, known: object, why: str) -> None:
        super().__init__(why)
        self.id = known


def _checked_id(value: object) -> object:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if len(str(abs(value))) > MAX_ID_DIGITS:
            raise ValueError(f"id: more than {MAX_ID_DIGITS} digits")
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ValueError("id: must be a string, a number or null")
