"""`signal-copier parse`: how one message (or a file of them) is read."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from signal_copier.core.parsing import parse, to_label


def register(sub: Any) -> None:
    """Add the `parse` subcommand."""
    p = sub.add_parser("parse", help="show how a message is read")
    p.add_argument("text", nargs="?", help="the message text")
    p.add_argument("--jsonl", action="store_true", help='read {"id","text"} lines from stdin')
    p.add_argument("--explain", action="store_true", help="show which words were read as what")
    p.set_defaults(func=_parse)


def _parse(args: argparse.Namespace) -> int:
    if args.jsonl:
        return _parse_lines(sys.stdin, sys.stdout)
    if args.text is None:
        print("error: give a TEXT or --jsonl", file=sys.stderr)
        return 2
    parsed = parse(args.text)
    print(json.dumps(to_label(parsed), ensure_ascii=False, indent=2))
    if args.explain:
        print("\n".join(parsed.explain) or "(nothing recognised)")
        if parsed.reason:
            print(f"reason: {parsed.reason}")
    return 0


def _parse_lines(source: TextIO, sink: TextIO) -> int:
    """Write one prediction per input line; a bad line gets an error record, never a crash."""
    failures = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected {"id": ..., "text": "..."}')
        except ValueError as e:
            failures += 1
            print(f"error: line {number}: {e}", file=sys.stderr)
            sink.write(json.dumps({"id": None, "line": number, "error": str(e)}) + "\n")
            continue
        prediction = {"id": item.get("id"), **to_label(parse(item["text"]))}
        sink.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    return 1 if failures else 0
