"""Headless Chromium (Debian's) through Playwright, and `signal-copier serve` as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import repo_root

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = repo_root() / "var" / "screenshots"


def chromium() -> str:
    """Return Chromium's path, or skip the test with the reason."""
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@contextmanager
def browser_page() -> Iterator[Any]:
    """Yield a fresh page in headless Chromium; page errors fail the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert not errors, errors
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> None:
    """Save a full-page screenshot under var/screenshots/ (named in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@contextmanager
def serve(*extra: str, pace: str = "0.3") -> Iterator[dict[str, str]]:
    """Run `signal-copier serve --replay examples/demo_channel.jsonl` and yield its links."""
    command = [
        sys.executable, "-m", "signal_copier.cli.serve", "--replay",
        str(repo_root() / "examples" / "demo_channel.jsonl"), "--port", "0", "--pace", pace, *extra,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "serve printed nothing"
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=20)
