"""Topic maps: rename/merge labels from older taxonomies into the current one (`old: new` YAML)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from supportml.ingest.errors import IngestError


@dataclass(frozen=True)
class TopicMapFile:
    """A validated map with its chains resolved (A→B, B→C becomes A→C) and a content hash."""

    name: str
    mapping: dict[str, str]

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.mapping, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def read_topic_map(path: Path) -> TopicMapFile:
    """Parse and validate; every problem names the file and the offending key."""
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where else ""
        reason = str(exc).splitlines()[0]
        raise IngestError(
            f"{path}{line}: not a YAML map of `old topic: new topic` ({reason})"
        ) from None
    except RecursionError:  # PyYAML's composer recurses per level of nesting
        raise IngestError(f"{path}: YAML nested too deeply") from None
    if not isinstance(raw, dict) or not raw:
        raise IngestError(f"{path}: expected a YAML map of `old topic: new topic` lines")
    mapping: dict[str, str] = {}
    for old, new in raw.items():
        if (
            not isinstance(old, str)
            or not isinstance(new, str)
            or not old.strip()
            or not new.strip()
        ):
            raise IngestError(f"{path}: entry {old!r}: both sides must be non-empty topic names")
        if old.strip() != new.strip():
            mapping[old.strip()] = new.strip()
    return TopicMapFile(path.name, _resolve_chains(mapping, path))


def _resolve_chains(mapping: dict[str, str], path: Path) -> dict[str, str]:
    resolved = {}
    for old in mapping:
        seen = [old]
        new = mapping[old]
        while new in mapping:
            if new in seen:
                cycle = " -> ".join([*seen, new])
                raise IngestError(f"{path}: entry {old!r}: the map loops ({cycle})")
            seen.append(new)
            new = mapping[new]
        resolved[old] = new
    return resolved


def apply_maps(topic: str | None, maps: Sequence[Mapping[str, str]]) -> str | None:
    """The current name of a historical label after every recorded map, in order."""
    for mapping in maps:
        if topic is not None:
            topic = mapping.get(topic, topic)
    return topic
