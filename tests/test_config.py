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


def test_docs_settings_from_the_environment():
    from supportml.docs import DEFAULT_MIN_SCORE
    from supportml.suggest import DEFAULT_HOLDOUT

    defaults = Settings.from_env({})  # tests run in an empty tmp dir: no bundled catalogue here
    assert defaults.docs_catalogue is None
    assert defaults.docs_min_score == DEFAULT_MIN_SCORE and defaults.docs_holdout == DEFAULT_HOLDOUT
    env = {
        "SUPPORTML_DOCS": "handbook/catalogue.yaml",
        "SUPPORTML_DOCS_MIN_SCORE": "0.2",
        "SUPPORTML_DOCS_HOLDOUT": "0",
    }
    settings = Settings.from_env(env)
    assert settings.docs_catalogue == Path("handbook/catalogue.yaml")
    assert settings.docs_min_score == 0.2 and settings.docs_holdout == 0.0


def test_bundled_catalogue_is_the_default_only_where_it_exists(tmp_path):
    bundled = tmp_path / "datasets" / "docs_catalogue.yaml"
    bundled.parent.mkdir()
    bundled.write_text("docs: []\n")
    assert Settings.from_env({}).docs_catalogue == Path("datasets/docs_catalogue.yaml")
    for off in ("none", "OFF"):
        assert Settings.from_env({"SUPPORTML_DOCS": off}).docs_catalogue is None


@pytest.mark.parametrize("name", ["SUPPORTML_DOCS_MIN_SCORE", "SUPPORTML_DOCS_HOLDOUT"])
def test_bad_docs_numbers_are_reported(name):
    for value in ("some", "1.5", "-0.1", "nan"):
        with pytest.raises(ConfigError, match=f"{name}='{value}': expected a number in \\[0, 1\\]"):
            Settings.from_env({name: value})


def test_responder_settings_from_the_environment():
    defaults = Settings.from_env({})
    assert defaults.channels == () and defaults.support_staff == ()
    assert defaults.resolved_reaction == "white_check_mark" and defaults.slack_api_url is None
    settings = Settings.from_env(
        {
            "SUPPORTML_CHANNELS": "#platform-support, C0SUPPORT1  platform-devops-support",
            "SUPPORTML_STAFF": "U0STAFF001,U0STAFF002",
            "SUPPORTML_RESOLVED_REACTION": ":heavy_check_mark:",
            "SLACK_API_URL": "https://slack-gov.com/api/",
        }
    )
    assert settings.channels == ("platform-support", "C0SUPPORT1", "platform-devops-support")
    assert settings.support_staff == ("U0STAFF001", "U0STAFF002")
    assert settings.resolved_reaction == "heavy_check_mark"
    assert settings.slack_api_url == "https://slack-gov.com/api/"


def test_the_redactor_is_built_once_from_the_redaction_settings():
    settings = Settings.from_env(
        {"SUPPORTML_REDACT_OFF": "email", "SUPPORTML_REDACT_EXTRA": "EMP-\\d+"}
    )
    assert settings.redactor is settings.redactor
    assert settings.redactor.redact("EMP-42 jane@example.gov") == "[redacted] jane@example.gov"
    assert Settings().redactor.redact("EMP-42 jane@example.gov") == "EMP-42 [email]"
    with pytest.raises(ConfigError, match="extra redaction regex '\\('"):
        _ = Settings.from_env({"SUPPORTML_REDACT_EXTRA": "("}).redactor


def test_export_limits_from_the_environment():
    settings = Settings.from_env(
        {"SUPPORTML_EXPORT_MAX_BYTES": "500MiB", "SUPPORTML_EXPORT_MAX_MEMBERS": "10",
         "SUPPORTML_EXPORT_MAX_RATIO": "50"}
    )  # fmt: skip
    assert (settings.export_max_bytes, settings.export_max_members) == (500 << 20, 10)
    assert settings.export_max_ratio == 50
    assert Settings.from_env({}).export_max_bytes == 2 << 30


@pytest.mark.parametrize(
    ("name", "value"),
    [("SUPPORTML_EXPORT_MAX_BYTES", "2 pints"), ("SUPPORTML_EXPORT_MAX_RATIO", "0"),
     ("SUPPORTML_EXPORT_MAX_MEMBERS", "many")],
)  # fmt: skip
def test_a_bad_export_limit_names_its_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
