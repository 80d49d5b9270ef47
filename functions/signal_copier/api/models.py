"""Request payloads: pydantic models whose JSON Schema also drives the dashboard's forms."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from signal_copier.core.errors import InvalidInput
from signal_copier.core.settings import TradeSettings

__all__ = ["TradeSettings"]

_Strict = ConfigDict(extra="forbid", str_strip_whitespace=True)
AccountId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class BrokerPayload(BaseModel):
    """Connect MetaTrader 5 through the user's own MetaAPI account."""

    model_config = _Strict
    account_id: AccountId = Field(description="MetaAPI account id")
    token: str = Field(min_length=1, max_length=4096, description="your MetaAPI token")


class PhonePayload(BaseModel):
    model_config = _Strict
    phone: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="international form")


class CodePayload(BaseModel):
    model_config = _Strict
    code: str = Field(pattern=r"^[0-9]{4,8}$")


class PasswordPayload(BaseModel):
    model_config = _Strict
    password: str = Field(min_length=1, max_length=256)


class ChannelPayload(BaseModel):
    model_config = _Strict
    overrides: dict[str, Any] = Field(default_factory=dict, max_length=32)


class PreviewPayload(BaseModel):
    model_config = _Strict
    settings: TradeSettings
    text: str | None = Field(default=None, max_length=4096)


class KillPayload(BaseModel):
    """The kill switch closes every copied position: the page asks to type KILL first."""

    model_config = _Strict
    confirm: str = Field(pattern=r"^KILL$", description="type KILL to confirm")


class LocalLoginPayload(BaseModel):
    model_config = _Strict
    code: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class OidcCallbackPayload(BaseModel):
    model_config = _Strict
    code: str = Field(min_length=1, max_length=2048)
    state: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class WidgetPayload(BaseModel):
    model_config = _Strict
    query: str = Field(min_length=1, max_length=2048)


_CHAT = re.compile(r"^(-?[0-9]{1,20}|@[A-Za-z0-9_]{1,64})$")


def chat_id(value: str) -> str:
    """Return a chat id from a path, or InvalidInput naming the field."""
    if not _CHAT.match(value):
        raise InvalidInput("chat_id: expected a numeric chat id or an @username")
    return value


def settings_schema() -> dict[str, Any]:
    """Return the JSON Schema of the risk settings form."""
    return TradeSettings.model_json_schema()
