"""`signal-copier run --config FILE`: one trader's local setup, validated before anything runs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from signal_copier.core.errors import InvalidSettings
from signal_copier.core.records import Plan
from signal_copier.core.settings import validate_settings
from signal_copier.services.demo import DemoUser


class PaperBrokerConfig(BaseModel):
    """The paper account to trade on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["paper"] = "paper"
    balance: Decimal = Field(default=Decimal(10_000), gt=0)
    symbol_suffix: str = ""


class MetaApiBrokerConfig(BaseModel):
    """A real MT5 account through MetaAPI; the token stays in the local vault, never here."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["metaapi"]
    account_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    token_secret: str = Field(default="metaapi.token", pattern=r"^[A-Za-z0-9_.:-]{1,128}$")
    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,32}$")


def _broker_kind(value: Any) -> str:
    kind = value.get("kind", "paper") if isinstance(value, dict) else getattr(value, "kind", "")
    return str(kind)


BrokerConfig = Annotated[
    Annotated[PaperBrokerConfig, Tag("paper")] | Annotated[MetaApiBrokerConfig, Tag("metaapi")],
    Discriminator(_broker_kind),
]


class TelegramSourceConfig(BaseModel):
    """The trader's own Telegram session (linked with `link-telegram`) as the source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["telegram"]
    # Marked chat ids as Telegram reports them (-100… for channels): live messages carry these.
    chats: list[Annotated[str, Field(pattern=r"^-?[0-9]{1,20}$")]] = Field(min_length=1)


class RunConfig(BaseModel):
    """A local run: where messages come from, the account, and the trader's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    replay: Path | None = None  # a channel file (JSON Lines) ...
    source: TelegramSourceConfig | None = None  # ... or a live Telegram session: exactly one
    data_dir: Path = Path("var")
    user_id: str = Field(default="me", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    plan: Plan = Plan.PREMIUM
    broker: BrokerConfig = PaperBrokerConfig()
    settings: dict[str, Any] = Field(default_factory=dict)

    def demo_user(self) -> DemoUser:
        """Return the trader as the replay runner takes users."""
        paper = self.broker if isinstance(self.broker, PaperBrokerConfig) else PaperBrokerConfig()
        return DemoUser(
            user_id=self.user_id,
            plan=self.plan,
            balance=paper.balance,
            settings=self.settings,
            symbol_suffix=paper.symbol_suffix,
        )


def load_run_config(path: Path) -> RunConfig:
    """Read and validate a run config (JSON); paths in it are relative to the file."""
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as e:
        raise InvalidSettings(f"cannot read {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise InvalidSettings(
            f"{path}: not UTF-8 text (byte {e.start + 1}); a config is JSON"
        ) from e
    except json.JSONDecodeError as e:
        raise InvalidSettings(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from e
    except (ValueError, RecursionError) as e:  # 5,000-digit numbers, 100k-deep nesting
        raise InvalidSettings(f"{path}: not valid JSON ({str(e).splitlines()[0]})") from e
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidSettings(f"{path}: {field}: {first['msg']}") from e
    validate_settings(config.settings)
    if (config.replay is None) == (config.source is None):
        raise InvalidSettings(f"{path}: give exactly one of 'replay' and 'source'")
    if config.source is not None and isinstance(config.broker, MetaApiBrokerConfig):
        raise InvalidSettings(
            f"{path}: broker.kind: a live Telegram source trades the paper broker; "
            "'metaapi' works with a 'replay' file only"
        )
    base = path.parent
    replay = None if config.replay is None else base / config.replay
    return config.model_copy(update={"replay": replay, "data_dir": base / config.data_dir})
