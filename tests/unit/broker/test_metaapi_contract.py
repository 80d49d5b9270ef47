"""The fake MetaAPI SDK is shaped like the installed one: same methods, signatures, sync/async."""

from __future__ import annotations

import inspect

import pytest
from metaapi_cloud_sdk import MetaApi
from metaapi_cloud_sdk.metaapi.metatrader_account import MetatraderAccount
from metaapi_cloud_sdk.metaapi.metatrader_account_api import MetatraderAccountApi
from metaapi_cloud_sdk.metaapi.rpc_metaapi_connection_instance import (
    RpcMetaApiConnectionInstance,
)

from fakes.metaapi import (
    FakeMetaApi,
    FakeMetatraderAccount,
    FakeMetatraderAccountApi,
    FakeRpcConnection,
)

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


def test_every_sdk_call_the_adapter_makes_is_faked() -> None:
    from signal_copier.broker.metaapi.account import TRADE_METHODS

    faked = set(vars(FakeRpcConnection))
    assert set(TRADE_METHODS.values()) <= faked
