"""A real MLflow store (sqlite in a temp dir, shared by the session): runs, registry, champion,
and registry models loaded only after their sha256 checks out."""

import json
import logging
from dataclasses import replace
from pathlib import Path

import joblib
import numpy as np
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

from supportml.cli import cli
from supportml.config import Settings
from supportml.data import Dataset, load_requests
from supportml.learning.promotion import Decision, decide
from supportml.model import CARD_FILE, ModelError, card_integrity, sha256_file
from supportml.tracking import (
    RegistrySource,
    TrackingError,
    champion,
    load_model,
    log_training,
)
from supportml.train import TrainResult, train

pytestmark = pytest.mark.slow

TEXTS = ["helm rollback production", "okta access denied", "cypress spec flaky"]


def settings_for(name: str, mlflow_uri: str) -> Settings:
    """Each test its own experiment and registered model in the session's store."""
    return Settings(tracking_uri=mlflow_uri, experiment=name, registered_model=name)


def judge(result: TrainResult, dataset: Dataset, settings: Settings, **kwargs: object) -> Decision:
    """What `supportml train` does: both models on the challenger's test rows, then the policy."""
    texts = [dataset.texts[i] for i in result.split.test]
    truth = [str(dataset.labels[i]) for i in result.split.test]
    current = champion(settings)
    return decide(
        truth,
        result.classifier.predict(texts)[0],
        current.classifier.predict(texts)[0] if current else None,
        current.version if current else None,
        **kwargs,
    )


@pytest.fixture(scope="module")
def dataset(tiny_csv: Path) -> Dataset:
    return load_requests(tiny_csv)


@pytest.fixture(scope="module")
def weaker(dataset, fast_params, tmp_path_factory) -> TrainResult:
    """A second, clearly worse model (a different artifact and card version)."""
    return train(
        dataset, replace(fast_params, C=1e-4, max_iter=2), tmp_path_factory.mktemp("weak") / "m"
    )


def artifact_dir(client: MlflowClient, run_id: str) -> Path:
    """Where the sqlite store's default artifact root keeps the run's supportml_model/."""
    return (
        Path(client.get_run(run_id).info.artifact_uri.removeprefix("file://")) / "supportml_model"
    )


def test_first_run_logs_everything_and_becomes_champion(trained, dataset, mlflow_uri, tmp_path):
    settings = settings_for("t-first", mlflow_uri)
    assert champion(settings) is None
    decision = judge(trained, dataset, settings)
    extra = {"data": "file", "min_gain": 0.005, "n_eval": decision.n_eval}
    run = log_training(trained, dataset, settings, decision, extra)
    assert run.promoted and run.reason == "no champion yet" and run.champion_macro_f1 is None

    client = MlflowClient(mlflow_uri)
    logged = client.get_run(run.run_id).data
    assert logged.params["data_hash"] == trained.card.data_hash
    assert logged.params["C"] == "10.0" and logged.params["n_topics"] == "6"
    assert logged.params["data"] == "file" and logged.params["min_gain"] == "0.005"
    assert logged.params["n_eval"] == str(len(trained.split.test))
    assert logged.metrics["accuracy"] == pytest.approx(trained.evaluation.accuracy)
    assert logged.metrics["macro_f1"] == pytest.approx(trained.evaluation.macro_f1)
    assert logged.metrics["temperature"] == pytest.approx(trained.card.temperature)
    assert logged.metrics["challenger_eval_macro_f1"] == pytest.approx(decision.challenger_macro_f1)
    assert logged.metrics["promoted"] == 1.0 and "champion_eval_macro_f1" not in logged.metrics
    assert logged.tags["supportml.promoted"] == "True"
    assert logged.tags["supportml.promotion_reason"] == "no champion yet"
    assert logged.tags["supportml.sha256"] == trained.card.sha256

    artifacts = {a.path for a in client.list_artifacts(run.run_id)}
    assert {
        "confusion_matrix.png",
        "per_class_report.json",
        "promotion.json",
        "supportml_model",
    } <= artifacts
    exported = {Path(a.path).name for a in client.list_artifacts(run.run_id, "supportml_model")}
    assert exported == {CARD_FILE, trained.card.artifact, trained.card.compact}
    promotion = json.loads(
        Path(client.download_artifacts(run.run_id, "promotion.json")).read_text()
    )
    assert promotion == json.loads(json.dumps(decision.to_dict()))

    version = client.get_model_version("t-first", run.model_version)
    assert version.tags["supportml.version"] == trained.card.version
    assert version.tags["supportml.sha256"] == trained.card.sha256
    assert (
        str(client.get_model_version_by_alias("t-first", "champion").version) == run.model_version
    )

    for uri in ("models:/t-first@champion", f"models:/t-first/{run.model_version}"):
        classifier, card = load_model(uri, settings)
        assert card.sha256 == trained.card.sha256 and card.threshold == trained.card.threshold
        assert np.allclose(classifier.predict_proba(TEXTS), trained.classifier.predict_proba(TEXTS))
    _, card = load_model(f"runs:/{run.run_id}/model", settings)
    assert card.version == trained.card.version

    current = champion(settings)
    assert current is not None and current.version == run.model_version
    assert current.card.version == trained.card.version
    assert current.classifier.predict(TEXTS)[0] == trained.classifier.predict(TEXTS)[0]


def test_a_decision_not_to_promote_registers_but_keeps_the_champion(
    trained, weaker, dataset, mlflow_uri
):
    settings = settings_for("t-keep", mlflow_uri)
    first = log_training(trained, dataset, settings, judge(trained, dataset, settings))
    assert first.promoted

    decision = judge(weaker, dataset, settings)
    assert not decision.promote and decision.champion_version == first.model_version
    kept = log_training(weaker, dataset, settings, decision)
    assert not kept.promoted and kept.reason == decision.reason
    assert "below the required gain" in kept.reason
    assert kept.champion_macro_f1 == pytest.approx(decision.champion_macro_f1)
    assert decision.champion_macro_f1 > decision.challenger_macro_f1

    client = MlflowClient(mlflow_uri)
    assert kept.model_version != first.model_version
    assert client.get_model_version("t-keep", kept.model_version).tags["supportml.version"] == (
        weaker.card.version
    )
    assert (
        str(client.get_model_version_by_alias("t-keep", "champion").version) == first.model_version
    )
    logged = client.get_run(kept.run_id).data
    assert logged.metrics["champion_eval_macro_f1"] == pytest.approx(decision.champion_macro_f1)
    assert logged.metrics["challenger_eval_macro_f1"] == pytest.approx(decision.challenger_macro_f1)
    assert logged.metrics["promoted"] == 0.0
    assert logged.tags["supportml.promoted"] == "False"
    assert logged.tags["supportml.promotion_reason"] == decision.reason
    current = champion(settings)
    assert current is not None and current.version == first.model_version
    assert current.card.version == trained.card.version

    forced = log_training(weaker, dataset, settings, judge(weaker, dataset, settings, force=True))
    assert forced.promoted and "--promote" in forced.reason
    assert (
        str(client.get_model_version_by_alias("t-keep", "champion").version) == forced.model_version
    )
    assert champion(settings).card.version == weaker.card.version


def test_a_tampered_registry_model_is_refused_before_it_is_unpickled(
    trained, dataset, mlflow_uri, tmp_path
):
    settings = settings_for("t-tamper", mlflow_uri)
    run = log_training(trained, dataset, settings, judge(trained, dataset, settings))
    client = MlflowClient(mlflow_uri)
    stored = artifact_dir(client, run.run_id)
    marker = tmp_path / "unpickled"

    class Payload:  # unpickling this creates the marker file
        def __reduce__(self):
            return open, (str(marker), "w")

    # 1. the pipeline swapped in the artifact store: its bytes no longer match the card
    joblib.dump(Payload(), stored / trained.card.artifact)
    uri = "models:/t-tamper@champion"
    with pytest.raises(ModelError) as refused:
        load_model(uri, settings)
    message = str(refused.value)
    assert message.startswith(f"{uri}/{trained.card.artifact}: sha256 ") and "\n" not in message
    assert "refusing to load it" in message
    with pytest.raises(ModelError, match="sha256"):
        champion(settings)

    # 2. the card rewritten to match: the registry's tag still says otherwise
    card = json.loads((stored / CARD_FILE).read_text())
    card["sha256"] = sha256_file(stored / trained.card.artifact)
    card["integrity"] = card_integrity(card)
    (stored / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError) as refused:
        load_model(uri, settings)
    message = str(refused.value)
    assert message.startswith(f"{uri}: the model card's sha256 {card['sha256'][:12]}")
    assert "MLflow recorded when it was logged" in message and "\n" not in message
    with pytest.raises(ModelError, match="MLflow recorded when it was logged"):
        load_model(f"runs:/{run.run_id}", settings)

    # 3. the threshold edited in the card and its integrity recomputed: the registry's tag
    card = {**json.loads((stored / CARD_FILE).read_text()), "sha256": trained.card.sha256}
    card["threshold"] = 0.0
    card["integrity"] = card_integrity(card)
    (stored / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match=r"model card's integrity .*MLflow recorded"):
        load_model(uri, settings)

    # 4. a version without the tag (registered by an older supportml) is not trusted either
    client.delete_model_version_tag("t-tamper", run.model_version, "supportml.sha256")
    with pytest.raises(ModelError, match="older supportml.*retrain"):
        load_model(uri, settings)
    assert not marker.exists(), "the tampered pickle was loaded"


def test_a_wrong_sha256_tag_is_refused(trained, dataset, mlflow_uri):
    settings = settings_for("t-tag", mlflow_uri)
    run = log_training(trained, dataset, settings, judge(trained, dataset, settings))
    MlflowClient(mlflow_uri).set_model_version_tag(
        "t-tag", run.model_version, "supportml.sha256", "0" * 64
    )
    with pytest.raises(ModelError, match=r"^models:/t-tag/1: .*MLflow recorded when it was logged"):
        load_model("models:/t-tag/1", settings)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/nothing-here@champion", "models:/nothing-here@champion: .*nothing-here"),
        ("models:/nothing-here/3", "models:/nothing-here/3: .*not found"),
        ("models:/nothing-here", "expected models:/NAME@ALIAS or models:/NAME/VERSION"),
        ("runs:/0123456789abcdef", "runs:/0123456789abcdef: "),
    ],
)
def test_missing_registry_models_are_one_line_errors(uri, message, mlflow_uri):
    with pytest.raises(ModelError, match=message) as refused:
        load_model(uri, Settings(tracking_uri=mlflow_uri))
    assert "\n" not in str(refused.value)


def test_registry_source_follows_the_alias_and_loads_that_version(
    trained, weaker, dataset, mlflow_uri
):
    settings = settings_for("t-source", mlflow_uri)
    source = RegistrySource("models:/t-source@champion", settings)
    assert source.description == "models:/t-source@champion"
    assert source.published() is None, "no registered model yet"

    held = replace(judge(trained, dataset, settings), promote=False, reason="held back")
    first = log_training(trained, dataset, settings, held)
    assert source.published() is None, "registered, but no alias yet"
    with pytest.raises(ModelError, match="registered model 't-source' has no alias @champion"):
        source.load()

    second = log_training(weaker, dataset, settings, judge(weaker, dataset, settings))
    assert second.promoted
    assert source.published() == weaker.card.version
    classifier, card = source.load()
    assert card.version == weaker.card.version
    assert classifier.predict(TEXTS)[0] == weaker.classifier.predict(TEXTS)[0]

    client = MlflowClient(mlflow_uri)
    client.set_registered_model_alias("t-source", "champion", first.model_version)  # a rollback
    assert source.published() == trained.card.version
    assert source.load()[1].version == trained.card.version

    pinned = RegistrySource(f"models:/t-source/{second.model_version}", settings)
    assert pinned.published() == weaker.card.version
    assert pinned.load()[1].sha256 == weaker.card.sha256

    with pytest.raises(ModelError, match="expected models:/NAME@ALIAS"):
        RegistrySource("models/t-source", settings)


def test_registry_source_survives_an_unreachable_store(caplog):
    source = RegistrySource(
        "models:/t-down@champion", Settings(tracking_uri="nosuchscheme://nowhere")
    )
    with caplog.at_level(logging.WARNING, logger="supportml.tracking"):
        assert source.published() is None
        assert source.published() is None
    warnings = [r.getMessage() for r in caplog.records if r.name == "supportml.tracking"]
    assert len(warnings) == 1, "one warning per distinct problem"
    assert warnings[0].startswith("models:/t-down@champion: cannot reach MLflow at nosuchscheme")
    with pytest.raises(ModelError, match="models:/t-down@champion: "):
        source.load()
    with pytest.raises(TrackingError, match="^MLflow at nosuchscheme://nowhere: "):
        champion(Settings(tracking_uri="nosuchscheme://nowhere"))


def cli_train(data, tmp_path, *extra):
    """`supportml train` with tracking on (the store comes from MLFLOW_TRACKING_URI)."""
    params = tmp_path / "p.yaml"
    params.write_text("char_ngrams: [2, 4]\n")
    args = ["train", "--data", str(data), "--params", str(params), "--out", str(tmp_path / "m")]
    return CliRunner().invoke(cli, [*args, *extra])


def test_cli_train_promotes_then_keeps_the_champion(tiny_csv, mlflow_uri, monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("SUPPORTML_EXPERIMENT", "t-cli")
    monkeypatch.setenv("SUPPORTML_REGISTERED_MODEL", "t-cli")
    result = cli_train(tiny_csv, tmp_path)
    assert result.exit_code == 0, result.output
    assert "promoted to @champion: no champion yet" in result.stdout
    assert "MLflow run" in result.stdout
    assert f"mlflow ui --backend-store-uri {mlflow_uri}" in result.stdout
    result = CliRunner().invoke(
        cli, ["predict", "--model", "models:/t-cli@champion", "--json", "cypress spec flaky"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["topic"] == "Test Failure"

    # the same data and parameters again: no gain, so the champion stays
    result = cli_train(tiny_csv, tmp_path)
    assert result.exit_code == 0, result.output
    assert "not promoted to @champion" in result.stdout
    assert "below the required gain" in result.stdout
    client = MlflowClient(mlflow_uri)
    assert str(client.get_model_version_by_alias("t-cli", "champion").version) == "1"
    assert len(client.search_model_versions("name='t-cli'")) == 2


def test_unreachable_tracking_store_is_one_line_and_publishes_nothing(
    tiny_csv, monkeypatch, tmp_path
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://nowhere")
    result = cli_train(tiny_csv, tmp_path)
    assert result.exit_code != 0, result.output
    assert "error: MLflow at nosuchscheme://nowhere:" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "m" / CARD_FILE).exists()


def admin(*args: str):  # type: ignore[no-untyped-def]
    """`supportml model ARGS…` against the store and model named by the environment."""
    return CliRunner().invoke(cli, ["model", *args])


def test_model_admin_promotes_and_rolls_back_with_who_and_why(
    trained, weaker, dataset, mlflow_uri, monkeypatch
):
    settings = settings_for("t-admin", mlflow_uri)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("SUPPORTML_REGISTERED_MODEL", "t-admin")
    empty = admin("list")
    assert empty.exit_code == 2 and "no registered model 't-admin'" in empty.stderr

    log_training(trained, dataset, settings, judge(trained, dataset, settings))  # v1, champion
    log_training(weaker, dataset, settings, judge(weaker, dataset, settings, force=True))  # v2
    source = RegistrySource("models:/t-admin@champion", settings)  # what a responder watches
    assert source.published() == weaker.card.version

    listed = json.loads(admin("list", "--json").stdout)
    assert [(v["version"], v["champion"]) for v in listed] == [("2", True), ("1", False)]
    assert listed[1]["card_version"] == trained.card.version

    promoted = admin("promote", "1", "--by", "alice", "--reason", "v2 is worse")
    assert promoted.exit_code == 0, promoted.output
    assert "t-admin@champion: version 2 -> version 1" in promoted.stdout
    assert source.published() == trained.card.version
    shown = json.loads(admin("show", "1", "--json").stdout)
    assert shown["aliases"] == ["champion"] and "macro_f1" in shown["metrics"]
    assert shown["tags"]["supportml.by"] == "alice"
    assert shown["tags"]["supportml.reason"] == "v2 is worse"
    assert shown["description"].endswith("promoted @champion by alice: v2 is worse")

    back = admin("rollback", "--reason", "v1 was fine after all")  # undoes the promotion
    assert back.exit_code == 0, back.output
    assert "version 1 -> version 2" in back.stdout and source.published() == weaker.card.version
    client = MlflowClient(mlflow_uri)
    left = client.get_model_version("t-admin", "1")
    assert left.tags["supportml.action"] == "rolled back from"
    assert left.tags["supportml.by"]  # the login name when --by is not given
    assert len(left.description.splitlines()) == 2, "every change stays in the description"

    assert "version 2 -> version 1" in admin("rollback", "--reason", "further").stdout
    exhausted = admin("rollback", "--reason", "once more")
    assert exhausted.exit_code == 2 and "no earlier @champion" in exhausted.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "1"], "Missing option '--reason'"),
        (["promote", "7", "--reason", "r"], "t-admin-bad has no version 7"),
        (["promote", "latest", "--reason", "r"], "a version is a number"),
        (["show", "7"], "t-admin-bad has no version 7"),
    ],
)
def test_model_admin_bad_input_is_one_line_exit_2(
    trained, dataset, mlflow_uri, monkeypatch, args, message
):
    settings = settings_for("t-admin-bad", mlflow_uri)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("SUPPORTML_REGISTERED_MODEL", "t-admin-bad")
    if not MlflowClient(mlflow_uri).search_model_versions("name='t-admin-bad'"):
        log_training(trained, dataset, settings, judge(trained, dataset, settings))
    result = admin(*args)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert "Traceback" not in result.output
