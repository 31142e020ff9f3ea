"""Settings: one frozen value built from the environment plus CLI overrides.

Nothing here runs at import time; callers build `Settings.from_env()` when they need it, so tests
can pass their own environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

REGISTERED_MODEL = "supportml-topic"
CHAMPION_ALIAS = "champion"


@dataclass(frozen=True)
class Settings:
    """Everything a command may need; see the configuration table in README.md."""

    model_path: Path = Path("models") / REGISTERED_MODEL
    tracking_uri: str | None = None
    experiment: str = "supportml"
    registered_model: str = REGISTERED_MODEL
    target_precision: float = 0.90
    seed: int = 42

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``SUPPORTML_*`` and ``MLFLOW_TRACKING_URI``; explicit overrides (not None) win."""
        env = os.environ if env is None else env
        base = cls(
            model_path=Path(env.get("SUPPORTML_MODEL", str(cls.model_path))),
            tracking_uri=env.get("MLFLOW_TRACKING_URI") or None,
            experiment=env.get("SUPPORTML_EXPERIMENT", cls.experiment),
            target_precision=float(env.get("SUPPORTML_TARGET_PRECISION", cls.target_precision)),
            seed=int(env.get("SUPPORTML_SEED", cls.seed)),
        )
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})
