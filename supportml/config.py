"""Settings: one frozen value built from the environment; CLI flags take precedence.

Nothing here runs at import time; callers build `Settings.from_env()` when they need it, so tests
can pass their own environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from supportml.errors import UserError

REGISTERED_MODEL = "supportml-topic"
CHAMPION_ALIAS = "champion"


class ConfigError(UserError):
    """A setting from the environment that cannot be used; one line for the user."""


@dataclass(frozen=True)
class Settings:
    """Everything a command may need; see the configuration table in README.md."""

    model_path: Path = Path("models") / REGISTERED_MODEL
    tracking_uri: str | None = None
    experiment: str = "supportml"
    registered_model: str = REGISTERED_MODEL
    target_precision: float = 0.90
    database_url: str = "sqlite:///supportml.db"
    redact_off: tuple[str, ...] = ()  # names of built-in PII patterns to switch off
    redact_extra: tuple[str, ...] = ()  # extra regexes whose matches are redacted too

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``SUPPORTML_*`` and ``MLFLOW_TRACKING_URI``; flags override these in the CLI."""
        env = os.environ if env is None else env
        precision = env.get("SUPPORTML_TARGET_PRECISION", str(cls.target_precision))
        try:
            target_precision = float(precision)
        except ValueError:
            target_precision = -1.0
        if not 0 < target_precision <= 1:
            raise ConfigError(
                f"SUPPORTML_TARGET_PRECISION={precision!r}: expected a number in (0, 1]"
            )
        return cls(
            model_path=Path(env.get("SUPPORTML_MODEL", str(cls.model_path))),
            tracking_uri=env.get("MLFLOW_TRACKING_URI") or None,
            experiment=env.get("SUPPORTML_EXPERIMENT", cls.experiment),
            target_precision=target_precision,
            database_url=env.get("SUPPORTML_DATABASE_URL") or cls.database_url,
            redact_off=tuple(
                name.strip()
                for name in env.get("SUPPORTML_REDACT_OFF", "").split(",")
                if name.strip()
            ),
            redact_extra=tuple(
                line for line in env.get("SUPPORTML_REDACT_EXTRA", "").splitlines() if line.strip()
            ),
        )
