"""A small local HTTP handler standing in for Secret Manager's REST API (it has no emulator).

The real `SecretManagerServiceClient(transport="rest")` talks to it, so requests, paging of
versions, error statuses and CRC32C fields go through the SDK's own code.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import google_crc32c
import pytest

from json_server import json_server

_ACCESS = re.compile(r"/v1/(projects/[^/]+/secrets/[^/]+)/versions/([^/:]+):access")
_ADD = re.compile(r"/v1/(projects/[^/]+/secrets/[^/]+):addVersion")


@dataclass
class SecretManagerStub:
    """Secrets by full name, each a list of versions (version n is index n - 1)."""

    secrets: dict[str, list[bytes]] = field(default_factory=dict)
    accesses: list[str] = field(default_factory=list)
    crc_offset: int = 0  # add this to every CRC sent: a corrupted transfer
    send_crc: bool = True
    endpoint: str = ""

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Return (status, JSON body) for one request."""
        if method == "GET" and (match := _ACCESS.fullmatch(path)):
            return self._access(match.group(1), match.group(2))
        if method == "POST" and (match := _ADD.fullmatch(path)):
            return self._add(match.group(1), json.loads(body or b"{}"))
        return 404, _error(404, "NOT_FOUND", f"no route {method} {path}")

    def _access(self, secret: str, version: str) -> tuple[int, dict[str, Any]]:
        self.accesses.append(f"{secret}/versions/{version}")
        versions = self.secrets.get(secret, [])
        number = len(versions) if version == "latest" else int(version)
        if not 0 < number <= len(versions):
            return 404, _error(404, "NOT_FOUND", f"Secret Version [{secret}/{version}] not found")
        data = versions[number - 1]
        payload: dict[str, Any] = {"data": base64.b64encode(data).decode()}
        if self.send_crc:
            payload["dataCrc32c"] = str(google_crc32c.value(data) + self.crc_offset)
        return 200, {"name": f"{secret}/versions/{number}", "payload": payload}

    def _add(self, secret: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        data = base64.b64decode(body["payload"]["data"])
        if int(body["payload"].get("dataCrc32c", google_crc32c.value(data))) != (
            google_crc32c.value(data)
        ):
            return 400, _error(400, "INVALID_ARGUMENT", "checksum mismatch")
        self.secrets.setdefault(secret, []).append(data)
        number = len(self.secrets[secret])
        return 200, {"name": f"{secret}/versions/{number}", "state": "ENABLED"}


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message}}


@pytest.fixture
def secret_manager() -> Iterator[SecretManagerStub]:
    """Serve a Secret Manager stand-in on a free loopback port for one test."""
    stub = SecretManagerStub()
    with json_server(stub.answer) as base:
        stub.endpoint = base
        yield stub
