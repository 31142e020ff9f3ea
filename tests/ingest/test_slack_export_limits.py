"""A zipped export that would expand too far, or JSON nested too deep, is one line (issue 15)."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from supportml.cli import cli
from supportml.ingest.errors import IngestError
from supportml.ingest.slack_export import ZipLimits
from tests.ingest.test_slack_export import PARENT, msg, read, write_export

DAY = "help-platform/2026-03-02.json"
BOMB = b"[" + b" " * (8 << 20) + b"]"  # 8 MiB that deflates to a few KiB


def export(tmp_path: Path, **extra: bytes) -> Path:
    return write_export(tmp_path / "export.zip", {DAY: [msg(PARENT)]}, extra=extra)


def test_a_normal_export_is_within_the_default_limits(tmp_path):
    assert len(read(export(tmp_path))) == 1


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (ZipLimits(max_bytes=100), "expands to"),
        (ZipLimits(max_members=2), "3 members, more than the limit of 2"),
    ],
)
def test_size_and_member_count_are_checked_before_reading(tmp_path, limits, expected):
    with pytest.raises(IngestError, match=expected) as info:
        read(export(tmp_path), limits=limits)
    assert "export.zip" in str(info.value) and "\n" not in str(info.value)


def test_a_zip_bomb_member_is_refused_by_its_ratio(tmp_path):
    path = export(tmp_path, **{"help-platform/2026-03-03.json": BOMB})
    with pytest.raises(IngestError, match="2026-03-03.json: compressed more than 100 to 1"):
        read(path)
    assert len(read(path, limits=ZipLimits(max_ratio=1e6))) == 1  # configurable


def test_a_header_that_understates_a_member_is_a_corrupt_export_not_memory(tmp_path):
    path = export(tmp_path, **{"help-platform/2026-03-03.json": BOMB})
    lie(path, "help-platform/2026-03-03.json", 1000)
    with zipfile.ZipFile(path) as archive:  # the directory now passes every limit
        assert archive.getinfo("help-platform/2026-03-03.json").file_size == 1000
    with pytest.raises(IngestError, match="2026-03-03.json: cannot read .*corrupt") as info:
        read(path)
    assert "\n" not in str(info.value)


def lie(path: Path, member: str, size: int) -> None:
    """Rewrite ``member``'s uncompressed size in its local header and the central directory."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        while at != -1:
            name_at = at + (30 if offset == 22 else 46)
            if raw[name_at : name_at + len(name)] == name:
                raw[at + offset : at + offset + 4] = struct.pack("<I", size)
            at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))


def test_json_nested_too_deeply_is_one_line(tmp_path):
    path = export(tmp_path, **{"help-platform/2026-03-03.json": b"[" * 200_000 + b"]" * 200_000})
    with pytest.raises(IngestError, match="2026-03-03.json: JSON nested too deeply") as info:
        read(path)
    assert "\n" not in str(info.value)


def test_the_cli_limits_come_from_flags_or_the_environment(tmp_path, monkeypatch):
    path = export(tmp_path)
    args = ["import", "slack-export", str(path), "--channel", "help-platform"]
    args += ["--database-url", f"sqlite:///{tmp_path / 's.db'}"]
    runner = CliRunner()
    result = runner.invoke(cli, [*args, "--max-bytes", "100"])
    assert result.exit_code == 2 and "more than the limit of 100 B" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    monkeypatch.setenv("SUPPORTML_EXPORT_MAX_MEMBERS", "2")
    result = runner.invoke(cli, args)
    assert result.exit_code == 2 and "more than the limit of 2" in result.stderr
    result = runner.invoke(cli, [*args, "--max-members", "10", "--max-bytes", "1MiB", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == 1
    result = runner.invoke(cli, [*args, "--max-bytes", "lots"])
    assert result.exit_code == 2 and "--max-bytes='lots'" in result.stderr
