"""The systemd units in deploy/systemd/ parse cleanly (`systemd-analyze verify`) and keep the
promises README "Running it for a team" makes about them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[1] / "deploy" / "systemd"
INSTALLED = "/opt/supportml/venv/bin/supportml"  # where the units expect the install
ENV_FILE = "EnvironmentFile=/etc/supportml/supportml.env"


def unit(name: str) -> str:
    return (UNITS / name).read_text()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_units_verify_without_warnings(tmp_path: Path) -> None:
    # the units run /opt/supportml; verify checks the executable exists, so point it at ours
    here = str(Path(sys.executable).with_name("supportml"))
    names = {"supportml-serve@.service": "supportml-serve@3000.service"}
    for path in [*UNITS.glob("*.service"), *UNITS.glob("*.timer")]:
        target = tmp_path / names.get(path.name, path.name)
        target.write_text(path.read_text().replace(INSTALLED, here))
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(p.name for p in tmp_path.iterdir())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys and bad values; its warnings are the failures
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize(
    "name", ["supportml-serve@.service", "supportml-retrain.service", "supportml-digest.service"]
)
def test_services_run_the_installed_command_hardened(name: str) -> None:
    text = unit(name)
    assert f"ExecStart={INSTALLED} " in text and ENV_FILE in text
    assert "User=supportml" in text and "ReadWritePaths=/var/lib/supportml" in text
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert option in text, option


def test_the_responder_restarts_and_stops_gracefully() -> None:
    text = unit("supportml-serve@.service")
    assert "Restart=on-failure" in text and "TimeoutStopSec=" in text
    assert "Environment=PORT=%i" in text


def test_the_account_the_units_run_as_is_declared() -> None:
    assert "\nu supportml " in unit("supportml.sysusers.conf")


def test_the_digest_posts_weekly_to_the_channel_the_env_file_names() -> None:
    service = unit("supportml-digest.service")
    assert f"ExecStart={INSTALLED} digest $SUPPORTML_DIGEST_ARGS" in service
    timer = unit("supportml-digest.timer")
    assert "OnCalendar=Mon *-*-* 08:00:00" in timer and "Persistent=true" in timer
    assert "\nSUPPORTML_DIGEST_CHANNEL=" in unit("supportml.env.example")  # read by --post-to
