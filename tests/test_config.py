from pathlib import Path

import pytest

from supportml.config import ConfigError, Settings


def test_defaults_env_and_overrides():
    assert Settings.from_env({}) == Settings()
    env = {
        "SUPPORTML_MODEL": "elsewhere/m",
        "MLFLOW_TRACKING_URI": "sqlite:///x.db",
        "SUPPORTML_EXPERIMENT": "exp",
        "SUPPORTML_TARGET_PRECISION": "0.95",
    }
    settings = Settings.from_env(env)
    assert settings.model_path == Path("elsewhere/m") and settings.tracking_uri == "sqlite:///x.db"
    assert settings.experiment == "exp" and settings.target_precision == 0.95


def test_bad_number_in_the_environment_is_reported():
    for value in ("high", "1.5", "0"):
        with pytest.raises(ConfigError, match=f"SUPPORTML_TARGET_PRECISION='{value}': expected"):
            Settings.from_env({"SUPPORTML_TARGET_PRECISION": value})
