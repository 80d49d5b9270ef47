"""Configuration from the environment: every variable is named here, under COPIER_."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from signal_copier.core.errors import InvalidSettings

MODES = ("local", "cloud")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Process settings (no secrets: only where secrets live)."""

    mode: str = "local"
    data_dir: Path = Path("var")
    project: str = ""  # cloud: Google Cloud project id
    worker: str = "local"
    log_level: str = "INFO"

    @property
    def database(self) -> Path:
        """Return the local SQLite file."""
        return self.data_dir / "copier.sqlite3"

    @property
    def vault_key(self) -> Path:
        """Return the local vault's key file."""
        return self.data_dir / "vault.key"

    @property
    def vault_dir(self) -> Path:
        """Return the folder of the local vault's encrypted secrets."""
        return self.data_dir / "secrets"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from COPIER_* variables; cloud mode fails fast on what is missing."""
        mode = environ.get("COPIER_MODE", "local")
        if mode not in MODES:
            raise InvalidSettings(f"COPIER_MODE: must be one of {', '.join(MODES)}, not {mode!r}")
        project = environ.get("COPIER_PROJECT", environ.get("GOOGLE_CLOUD_PROJECT", ""))
        if mode == "cloud" and not project:
            raise InvalidSettings("COPIER_PROJECT: required in cloud mode")
        return cls(
            mode=mode,
            data_dir=Path(environ.get("COPIER_DATA_DIR", "var")),
            project=project,
            worker=environ.get("COPIER_WORKER", "local"),
            log_level=environ.get("COPIER_LOG_LEVEL", "INFO").upper(),
        )
