"""Secrets are encrypted at rest and never logged."""

import io
import logging
from pathlib import Path

from builders import GOLD_BUY
from signal_copier import logs
from signal_copier.core.market import Credentials
from world import World


async def test_broker_token_never_reaches_logs_records_or_disk_in_clear(tmp_path: Path) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("DEBUG", stream)
    try:
        world = World(tmp_path)
        await world.add_user("alice")
        await world.say(GOLD_BUY, id=1)
        await world.say("Close all", id=2)
        logging.getLogger("signal_copier.test").info(
            "credentials %r token=t0ken-alice", Credentials(account_id="a", token="t0ken-alice")
        )
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        logging.captureWarnings(False)
    text = stream.getvalue()
    assert '"severity": "INFO"' in text  # the pipeline did log
    assert "t0ken-alice" not in text
    records = await world.records("alice")
    assert records and all("t0ken" not in repr(r) for r in records)
    for secret_file in (tmp_path / "secrets").iterdir():
        assert b"t0ken-alice" not in secret_file.read_bytes()
    assert oct((tmp_path / "vault.key").stat().st_mode & 0o777) == "0o600"
