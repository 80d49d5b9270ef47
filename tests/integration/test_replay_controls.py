"""A replay stops between lines when asked, and a resumed replay skips the lines already done."""

from __future__ import annotations

from pathlib import Path

from signal_copier import bootstrap
from signal_copier.config import Settings
from signal_copier.core.timeline import ReplayEvent
from signal_copier.services import demo
from signal_copier.telegram.replay import load

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "demo_channel.jsonl"


async def _run(folder: Path, events: list[ReplayEvent], controls: demo.Controls) -> dict:  # type: ignore[type-arg]
    runtime = bootstrap.build_local(Settings(data_dir=folder), start=events[0].at)
    try:
        return await demo.run(
            events, runtime.deps, runtime.queue, runtime.broker, controls=controls
        )
    finally:
        runtime.close()


async def test_a_stop_request_ends_the_replay_after_the_line_in_progress(tmp_path: Path) -> None:
    events = load(EXAMPLE)
    finished: list[int] = []

    result = await _run(
        tmp_path,
        events,
        demo.Controls(stop=lambda: len(finished) >= 5, after_line=finished.append),
    )

    assert result["progress"] == {"last_line": finished[-1], "stopped": True}
    assert finished == [e.line for e in events[:5]]


async def test_a_resumed_replay_runs_only_the_lines_after_the_saved_one(tmp_path: Path) -> None:
    events = load(EXAMPLE)
    resume_after = events[9].line
    finished: list[int] = []

    result = await _run(
        tmp_path,
        events,
        demo.Controls(resume_after=resume_after, after_line=finished.append),
    )

    assert finished == [e.line for e in events[10:]]
    assert result["progress"] == {"last_line": events[-1].line, "stopped": False}
    assert result["messages"] == sum(1 for e in events[10:] if e.message is not None)
