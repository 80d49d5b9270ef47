"""The human-readable demo/run report: one table per user."""

from __future__ import annotations

from typing import Any


def render_table(result: dict[str, Any]) -> str:
    """Return the run summary as text tables."""
    latency = result["latency_ms"]
    lines = [
        f"messages {result['messages']}  signals {result['signals']}  "
        f"commands {result['commands']}  ignored {result['ignored']}  "
        f"latency p50 {latency['p50']:.2f} ms  p99 {latency['p99']:.2f} ms",
        "",
    ]
    for user_id, row in result["users"].items():
        extra = result.get("details", {}).get(user_id, {})
        lines.append(f"== {user_id}")
        rows = [
            ("signals seen", extra.get("signals_seen", "")),
            ("trades placed", extra.get("trades_placed", "")),
            ("orders placed", row["orders_placed"]),
            ("positions open", row["open_positions"]),
            ("positions closed", row["positions_closed"]),
            ("closed partially", row["positions_closed_partially"]),
            ("SL/TP changes", row["sl_tp_changes"]),
            ("orders cancelled", row["orders_cancelled"]),
            ("missed for quota", row["missed_for_quota"]),
        ]
        rows += [(f"skipped: {reason}", n) for reason, n in row["skipped"].items()]
        width = max(len(label) for label, _ in rows)
        lines += [f"  {label:<{width}}  {value:>5}" for label, value in rows]
        lines.append("")
    lines += [f"note: {note}" for note in result.get("notes", [])]
    return "\n".join(lines).rstrip()
