"""A real MLflow store (sqlite in a temp dir, shared by the session): runs, registry, champion."""

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

from supportml.cli import cli
from supportml.config import Settings
from supportml.data import load_requests
from supportml.model import ModelError
from supportml.tracking import load_model, log_training
from supportml.train import train

pytestmark = pytest.mark.slow


def test_run_logs_params_metrics_artifacts_and_becomes_champion(trained, tiny_csv, mlflow_uri):
    settings = Settings(tracking_uri=mlflow_uri, experiment="t-first", registered_model="t-first")
    dataset = load_requests(tiny_csv)
    run = log_training(trained, dataset, settings)
    client = MlflowClient(mlflow_uri)
    logged = client.get_run(run.run_id).data
    assert logged.params["data_hash"] == trained.card.data_hash
    assert logged.params["C"] == "10.0" and logged.params["n_topics"] == "6"
    assert logged.metrics["accuracy"] == pytest.approx(trained.evaluation.accuracy)
    assert logged.metrics["macro_f1"] == pytest.approx(trained.evaluation.macro_f1)
    assert logged.metrics["temperature"] == pytest.approx(trained.card.temperature)
    artifacts = {a.path for a in client.list_artifacts(run.run_id)}
    assert {"confusion_matrix.png", "per_class_report.json"} <= artifacts
    assert run.promoted and run.reason == "no champion yet"
    assert (
        str(client.get_model_version_by_alias("t-first", "champion").version) == run.model_version
    )

    classifier, card = load_model("models:/t-first@champion", settings)
    assert card.threshold == trained.card.threshold and card.labels == trained.card.labels
    texts = ["helm rollback production", "okta access denied"]
    assert np.allclose(classifier.predict_proba(texts), trained.classifier.predict_proba(texts))


def test_worse_model_is_not_promoted_unless_forced(tiny_csv, fast_params, mlflow_uri, tmp_path):
    settings = Settings(tracking_uri=mlflow_uri, experiment="t-promo", registered_model="t-promo")
    dataset = load_requests(tiny_csv)
    good = train(dataset, fast_params, tmp_path / "good")
    assert log_training(good, dataset, settings).promoted
    bad = train(dataset, replace(fast_params, C=1e-4, max_iter=2), tmp_path / "bad")
    assert bad.evaluation.macro_f1 < good.evaluation.macro_f1
    kept = log_training(bad, dataset, settings)
    assert not kept.promoted and "champion kept" in kept.reason
    assert kept.champion_macro_f1 == pytest.approx(good.evaluation.macro_f1)
    client = MlflowClient(mlflow_uri)
    assert str(client.get_model_version_by_alias("t-promo", "champion").version) == "1"
    forced = log_training(bad, dataset, settings, promote=True)
    assert forced.promoted and "--promote" in forced.reason
    assert (
        str(client.get_model_version_by_alias("t-promo", "champion").version)
        == forced.model_version
    )
    tags = client.get_run(kept.run_id).data.tags
    assert tags["supportml.promoted"] == "False"


def test_missing_registry_model_is_a_clean_error(mlflow_uri):
    with pytest.raises(ModelError, match="models:/nothing-here@champion"):
        load_model("models:/nothing-here@champion", Settings(tracking_uri=mlflow_uri))


def cli_train(data, tmp_path):
    """`supportml train` with tracking on (the store comes from MLFLOW_TRACKING_URI)."""
    params = tmp_path / "p.yaml"
    params.write_text("char_ngrams: [2, 4]\n")
    args = ["train", "--data", str(data), "--params", str(params), "--out", str(tmp_path / "m")]
    return CliRunner().invoke(cli, args)


def test_cli_train_prints_run_and_ui_command(tiny_csv, mlflow_uri, monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("SUPPORTML_EXPERIMENT", "t-cli")
    result = cli_train(tiny_csv, tmp_path)
    assert result.exit_code == 0, result.output
    assert (
        "MLflow run" in result.stdout
        and f"mlflow ui --backend-store-uri {mlflow_uri}" in result.stdout
    )
    result = CliRunner().invoke(
        cli,
        ["predict", "--model", "models:/supportml-topic@champion", "--json", "cypress spec flaky"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["topic"] == "Test Failure"


def test_unreachable_tracking_store_is_one_line_and_keeps_the_export(
    tiny_csv, monkeypatch, tmp_path
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://nowhere")
    result = cli_train(tiny_csv, tmp_path)
    assert result.exit_code == 1, result.output
    assert "error: MLflow at nosuchscheme://nowhere:" in result.stderr
    assert "Traceback" not in result.output and (tmp_path / "m" / "model_card.json").is_file()
