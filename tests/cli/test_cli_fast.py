"""`--help` stays fast: listing commands and reading their options imports none of the heavy
libraries (scikit-learn with scipy alone takes a second or more to import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from supportml.cli import COMMANDS

HEAVY = {"numpy", "sklearn", "scipy", "pandas", "mlflow", "matplotlib"}


def imported(*args: str) -> set[str]:
    """Top-level packages that `python -X importtime ARGS` imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in lines}


def test_the_check_sees_a_heavy_import() -> None:
    assert {"sklearn", "scipy"} <= imported("-c", "import sklearn")


@pytest.mark.parametrize("command", ["", *sorted(COMMANDS)], ids=lambda c: c or "supportml")
def test_help_imports_no_heavy_library(command: str) -> None:
    args = [command, "--help"] if command else ["--help"]
    assert imported("-m", "supportml", *args) & HEAVY == set()


def test_a_subcommand_help_imports_no_heavy_library() -> None:
    assert imported("-m", "supportml", "model", "promote", "--help") & HEAVY == set()


def test_predict_one_text_from_a_model_directory_imports_no_heavy_library(trained) -> None:
    """The compact export (supportml/compact.py) is read with numpy alone; scikit-learn with
    scipy.stats, pandas and mlflow would add seconds to a one-text prediction."""
    args = ["predict", "--model", str(trained.model_dir), "--docs", "none", "deploy failed"]
    assert imported("-m", "supportml", *args) & (HEAVY - {"numpy"} | {"joblib"}) == set()
