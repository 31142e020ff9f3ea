"""Settings: one frozen value built from the environment; CLI flags take precedence.

Nothing here runs at import time; callers build `Settings.from_env()` when they need it, so tests
can pass their own environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from supportml.errors import UserError

if TYPE_CHECKING:
    from supportml.effort import EffortModel
    from supportml.redact import Redactor

REGISTERED_MODEL = "supportml-topic"
CHAMPION_ALIAS = "champion"
BUNDLED_DOCS = Path("datasets") / "docs_catalogue.yaml"
NO_DOCS = {"none", "off"}  # SUPPORTML_DOCS=none / --docs none: no links at all
# The acknowledgement target, in business hours: the report judges it, the responder reminds at it.
ACK_TARGET_HOURS = 3.0


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
    docs_catalogue: Path | None = None  # documentation catalogue for links; None: no links
    docs_min_score: float = 0.10  # docs.search.DEFAULT_MIN_SCORE (config stays a leaf)
    docs_holdout: float = 0.10  # share of requests shown no links (suggest.in_holdout)
    channels: tuple[str, ...] = ()  # support channels the responder watches (ids or names)
    support_staff: tuple[str, ...] = ()  # user ids who may change topics and resolve any request
    resolved_reaction: str = "white_check_mark"  # the reaction that marks a request resolved
    slack_api_url: str | None = None  # Web API base URL (GovSlack, a proxy, the tests' stand-in)
    teams_file: Path | None = None  # ownership file (supportml.ownership); None: no routing
    # how far a zipped Slack export may expand (ingest.slack_export.ZipLimits; config stays a leaf)
    export_max_bytes: int = 2 << 30
    export_max_members: int = 100_000
    export_max_ratio: float = 100.0
    # the staff-time estimate (effort.EffortModel's defaults; config stays a leaf)
    effort_reply_minutes: float = 5.0
    effort_gap_minutes: float = 30.0

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
            registered_model=env.get("SUPPORTML_REGISTERED_MODEL") or cls.registered_model,
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
            docs_catalogue=docs_path(env.get("SUPPORTML_DOCS")),
            docs_min_score=_share(env, "SUPPORTML_DOCS_MIN_SCORE", cls.docs_min_score),
            docs_holdout=_share(env, "SUPPORTML_DOCS_HOLDOUT", cls.docs_holdout),
            channels=_names(env.get("SUPPORTML_CHANNELS", "")),
            support_staff=_names(env.get("SUPPORTML_STAFF", "")),
            resolved_reaction=env.get("SUPPORTML_RESOLVED_REACTION", "").strip(": ")
            or cls.resolved_reaction,
            slack_api_url=env.get("SLACK_API_URL") or None,
            teams_file=Path(env["SUPPORTML_TEAMS"].strip())
            if env.get("SUPPORTML_TEAMS", "").strip()
            else None,
            export_max_bytes=parse_bytes(
                env.get("SUPPORTML_EXPORT_MAX_BYTES", str(cls.export_max_bytes)),
                "SUPPORTML_EXPORT_MAX_BYTES",
            ),
            export_max_members=int(
                _positive(env, "SUPPORTML_EXPORT_MAX_MEMBERS", cls.export_max_members)
            ),
            export_max_ratio=_positive(env, "SUPPORTML_EXPORT_MAX_RATIO", cls.export_max_ratio),
            effort_reply_minutes=_positive(
                env, "SUPPORTML_EFFORT_REPLY_MINUTES", cls.effort_reply_minutes
            ),
            effort_gap_minutes=_positive(
                env, "SUPPORTML_EFFORT_GAP_MINUTES", cls.effort_gap_minutes
            ),
        )

    @cached_property
    def redactor(self) -> Redactor:
        """The PII redactor every path uses (import, train, predict, serve), built once, so a
        configured SUPPORTML_REDACT_OFF / SUPPORTML_REDACT_EXTRA can never be skipped by one."""
        from supportml.redact import Redactor  # redact imports ConfigError from here

        return Redactor.configure(off=self.redact_off, extra=self.redact_extra)

    @property
    def effort_model(self) -> EffortModel:
        """How staff time is estimated from a thread (`supportml.effort`)."""
        from supportml.effort import EffortModel

        return EffortModel(self.effort_reply_minutes, self.effort_gap_minutes)


def docs_path(value: str | None) -> Path | None:
    """The catalogue to use: ``value`` (a path, or 'none' for no links), else the bundled sample
    catalogue when run from a checkout that has it, so `make demo` and `predict` show links.

    A deployment sets SUPPORTML_DOCS to its own catalogue (or 'none'): the sample's links go to
    the fictional handbook.example.gov.
    """
    if value is not None and value.strip():
        return None if value.strip().lower() in NO_DOCS else Path(value.strip())
    return BUNDLED_DOCS if BUNDLED_DOCS.is_file() else None


def _names(value: str) -> tuple[str, ...]:
    """A comma- or space-separated list (channel names may keep or drop their '#')."""
    return tuple(name.strip().lstrip("#") for name in value.replace(",", " ").split() if name)


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gib": 1 << 30}  # fmt: skip


def parse_bytes(raw: str, name: str) -> int:
    """A size such as ``2GiB``, ``500MiB`` or ``1048576`` (bytes); a ConfigError naming ``name``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", raw.lower())
    if match is None or match[2] not in _UNITS or float(match[1]) <= 0:
        raise ConfigError(f"{name}={raw!r}: expected a size such as 2GiB, 500MiB or 1048576")
    return int(float(match[1]) * _UNITS[match[2]])


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A number above 0 from the environment, or a ConfigError naming the variable."""
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{name}={raw!r}: expected a number above 0")
    return value


def _share(env: Mapping[str, str], name: str, default: float) -> float:
    """A number in [0, 1] from the environment, or a ConfigError naming the variable."""
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}={raw!r}: expected a number in [0, 1]")
    return value
