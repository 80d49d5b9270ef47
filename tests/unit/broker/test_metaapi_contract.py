"""The fake MetaAPI SDK is shaped like the installed one: same methods, signatures, sync/async."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from metaapi_cloud_sdk import MetaApi
from metaapi_cloud_sdk.metaapi.metatrader_account import MetatraderAccount
from metaapi_cloud_sdk.metaapi.metatrader_account_api import MetatraderAccountApi
from metaapi_cloud_sdk.metaapi.rpc_metaapi_connection_instance import (
    RpcMetaApiConnectionInstance,
)

import signal_copier.broker.metaapi as metaapi_adapter
from fakes.metaapi import (
    FakeMetaApi,
    FakeMetatraderAccount,
    FakeMetatraderAccountApi,
    FakeRpcConnection,
)
from signal_copier.broker.metaapi.account import TRADE_METHODS

PAIRS = [
    (FakeMetaApi, MetaApi),
    (FakeMetatraderAccountApi, MetatraderAccountApi),
    (FakeMetatraderAccount, MetatraderAccount),
    (FakeRpcConnection, RpcMetaApiConnectionInstance),
]


def _faked(fake: type) -> list[str]:
    names = [n for n in vars(fake) if not n.startswith("_")]
    return names + (["__init__"] if fake is FakeMetaApi else [])


def _shape(function: object) -> list[tuple[str, object, object]]:
    signature = inspect.signature(function)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


CASES = [(fake, sdk, name) for fake, sdk in PAIRS for name in _faked(fake)]


@pytest.mark.parametrize(
    ("fake", "sdk", "name"), CASES, ids=[f"{f.__name__}.{n}" for f, _, n in CASES]
)
def test_faked_member_matches_the_installed_sdk(fake: type, sdk: type, name: str) -> None:
    ours, theirs = inspect.getattr_static(fake, name), inspect.getattr_static(sdk, name, None)
    assert theirs is not None, f"{sdk.__name__} has no {name}"
    if isinstance(theirs, property):
        assert isinstance(ours, property)
        return
    assert _shape(ours) == _shape(theirs)
    assert inspect.iscoroutinefunction(ours) == inspect.iscoroutinefunction(theirs)


def _connection_calls() -> set[str]:
    # Every attribute the adapter reads off an RPC connection (self._connection.x, connection.x).
    package = Path(metaapi_adapter.__file__).parent
    names = set(TRADE_METHODS.values())
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and ast.unparse(node.value) in CONNECTIONS:
                names.add(node.attr)
    return names


CONNECTIONS = {"self._connection", "connection", "entry.connection"}


@pytest.mark.parametrize("name", sorted(_connection_calls()))
def test_every_connection_method_the_adapter_calls_exists_in_the_sdk_and_the_fake(
    name: str,
) -> None:
    assert inspect.getattr_static(RpcMetaApiConnectionInstance, name, None) is not None
    assert name in vars(FakeRpcConnection)
