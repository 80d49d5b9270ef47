"""Logs: every logger (ours and the SDKs') writes redacted Cloud Logging JSON with its trace."""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import httpx
import pytest

from builders import GOLD_BUY
from signal_copier import config, logs
from signal_copier.core.errors import InvalidSettings
from world import World

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZzEyMyIsImV4cCI6MX0.c2lnbmF0dXJlLXBhcnQtaGVyZQ"
BOT = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
SESSION = "1BVtsOKABu6Xk0gQ3eHZRQlp-Uy6Q9SC8eA9H8T6Vz4xJh2mPq_Rs7Tu8VwXyZ0"
API_HASH = "0123456789abcdef0123456789abcdef"
SECRETS = (JWT, BOT, SESSION, API_HASH, "t0ken-alice", "hunter2")
SDKS = (
    "metaapi_cloud_sdk",
    "telethon",
    "google.cloud.firestore",
    "google.auth",
    "google.api_core",
    "httpx",
    "httpcore",
    "uvicorn",
    "starlette",
    "functions_framework",
)
# The SDKs' logger names, including MetaAPI's, which are named by category, not by package.
SDK_LOGGERS = (
    "metaapi_cloud_sdk",
    "RpcMetaApiConnectionInstance",
    "TerminalState",
    "telethon",
    "telethon.network.mtprotosender",
    "google",
    "google.auth.transport.requests",
    "google.api_core.retry",
    "httpx",
    "httpcore.http11",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "functions_framework",
    "py.warnings",
)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Configure logging at DEBUG into a buffer; put every logger back as it was afterwards."""
    saved = {
        logger: (logger.level, logger.handlers[:], logger.propagate, logger.disabled)
        for logger in [logging.getLogger(), *_loggers()]
    }
    buffer = io.StringIO()
    logs.configure("DEBUG", buffer, project="demo-project")
    try:
        yield buffer
    finally:
        for logger in [logging.getLogger(), *_loggers()]:
            level, handlers, propagate, disabled = saved.get(
                logger, (logging.NOTSET, [], True, False)
            )
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled
        logging.captureWarnings(False)


def _loggers() -> list[logging.Logger]:
    return [v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)]


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _say_secrets(logger: logging.Logger) -> None:
    logger.debug("login api_hash=%s session_string=%s", API_HASH, SESSION)
    logger.info("GET https://api.telegram.org/bot%s/getMe", BOT)
    logger.warning({"headers": {"Authorization": f"Bearer {JWT}"}})
    try:
        raise RuntimeError(f"password: hunter2 token t0ken-alice {JWT}")
    except RuntimeError:
        logger.exception("call failed")


def test_every_sdk_logger_at_debug_goes_through_the_json_formatter_and_leaks_nothing(
    stream: io.StringIO,
) -> None:
    for module in SDKS:
        importlib.import_module(module)
    logs.configure("DEBUG", stream, project="demo-project")  # after the SDKs set themselves up
    names = set(SDK_LOGGERS) | {
        name for name in logging.Logger.manager.loggerDict if name.split(".")[0] in SDKS
    }

    for name in sorted(names):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        _say_secrets(logger)

    text = stream.getvalue()
    assert _leaks(text) == []
    seen = {line["logger"] for line in _lines(stream)}
    assert names <= seen  # every one reached our handler, none printed around it


def test_a_handler_an_sdk_adds_later_still_sees_only_redacted_text(
    stream: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    uvicorn_config = importlib.import_module("uvicorn.config")
    # uvicorn.run() applies its own logging config after ours: its access log prints itself.
    logging.config.dictConfig(deepcopy(uvicorn_config.LOGGING_CONFIG))

    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.1:5", "GET", f"/hook?token={SESSION}", "1.1", 200
    )
    logging.getLogger("uvicorn.error").error("bad header Authorization: Bearer %s", JWT)

    printed = capsys.readouterr()
    assert "GET /hook?token=***" in printed.out + printed.err
    assert _leaks(printed.out + printed.err + stream.getvalue()) == []


def test_http_client_logs_of_a_bot_token_url_are_redacted(stream: io.StringIO) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))

    async def call() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get(
                f"https://api.telegram.org/bot{BOT}/getMe",
                headers={"Authorization": f"Bearer {JWT}"},
            )

    asyncio.run(call())

    lines = _lines(stream)
    assert any(line["logger"] == "httpx" and "bot***/getMe" in line["message"] for line in lines)
    assert _leaks(stream.getvalue()) == []


def test_a_line_is_cloud_logging_json_with_severity_message_logger_and_trace(
    stream: io.StringIO,
) -> None:
    log = logging.getLogger("signal_copier.test")

    with logs.trace("c1:812:0"):
        log.warning("within %s", "the trace")
    log.info("outside")

    inside, outside = _lines(stream)
    assert inside == {
        "severity": "WARNING",
        "message": "within the trace",
        "logger": "signal_copier.test",
        "logging.googleapis.com/trace": "projects/demo-project/traces/c1:812:0",
    }
    assert outside["severity"] == "INFO" and "logging.googleapis.com/trace" not in outside


def test_without_a_project_the_trace_is_the_bare_id() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.JsonFormatter())
    log = logging.getLogger("signal_copier.bare")
    log.addHandler(handler)
    try:
        with logs.trace("abc123"):
            log.error("x")
    finally:
        log.removeHandler(handler)
    assert json.loads(buffer.getvalue())["logging.googleapis.com/trace"] == "abc123"


async def test_every_line_of_one_message_carries_its_trace_id(
    stream: io.StringIO, tmp_path: Path
) -> None:
    world = World(tmp_path)
    await world.add_user("alice")
    await world.add_user("bob")

    await world.say(GOLD_BUY, id=7)

    pipeline_lines = [
        line for line in _lines(stream) if line["logger"].startswith("signal_copier.services")
    ]
    assert len(pipeline_lines) >= 3  # the message, and one intent per user
    traces = {line.get("logging.googleapis.com/trace") for line in pipeline_lines}
    assert traces == {"projects/demo-project/traces/c1:7:0"}
    assert logs.current_trace() == ""  # nothing leaks into the caller's later lines


async def test_set_trace_marks_the_task_until_reset(stream: io.StringIO) -> None:
    token = logs.set_trace("t-1")
    logging.getLogger("signal_copier.x").info("a")
    logs.reset_trace(token)
    logging.getLogger("signal_copier.x").info("b")

    first, second = [line for line in _lines(stream) if line["logger"] == "signal_copier.x"]
    assert first["logging.googleapis.com/trace"].endswith("/t-1")
    assert "logging.googleapis.com/trace" not in second


def test_log_level_has_one_default_and_refuses_unknown_levels() -> None:
    assert config.log_level({}) == "WARNING"
    assert config.log_level({"COPIER_LOG_LEVEL": "debug"}) == "DEBUG"
    with pytest.raises(InvalidSettings, match="COPIER_LOG_LEVEL"):
        config.log_level({"COPIER_LOG_LEVEL": "LOUD"})


def test_without_a_stream_lines_follow_whatever_stderr_is_now(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs.configure("INFO")  # as the CLI does: no stream given
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)  # a tool (or a test) swaps stderr afterwards

    logging.getLogger("signal_copier.x").warning("after the swap")

    assert json.loads(later.getvalue())["message"] == "after the swap"


async def test_the_metaapi_sdk_logs_through_logging_never_print(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from metaapi_cloud_sdk.logger import LoggerManager, NativeLogger

    from signal_copier.broker.metaapi import Limits, MetaApiBroker
    from signal_copier.core.errors import BrokerRejected, BrokerUnavailable
    from signal_copier.core.market import Credentials

    broker = MetaApiBroker(limits=Limits(connect=1.0, read=1.0, close_grace=0.2))
    credentials = Credentials(account_id="0123456789abcdef", token="made-up-token-7f3a9c0e5b")
    with pytest.raises((BrokerUnavailable, BrokerRejected)):  # MetaAPI is out of reach here
        await asyncio.wait_for(broker.connect("tg1", credentials), 60)
    await broker.aclose()

    assert not isinstance(LoggerManager.get_logger("RpcMetaApiConnectionInstance"), NativeLogger)
    assert capsys.readouterr().out == ""  # nothing printed past logging and its redaction
