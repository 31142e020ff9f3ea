"""The CLI through click's CliRunner: exit codes, one-line errors, --json, batch mode."""

import json
from importlib import metadata

import pandas as pd
import pytest
from click.testing import CliRunner

import supportml
from supportml.cli import cli
from tests.conftest import make_rows, write_csv

FAST = ["--no-track"]


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def train(runner, data, out, *extra):
    """`supportml train --data DATA --out OUT --no-track EXTRA…`"""
    return runner.invoke(cli, ["train", "--data", str(data), "--out", str(out), *FAST, *extra])


@pytest.fixture
def params_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("char_ngrams: [2, 4]\nmax_iter: 200\n")
    return path


def test_train_json_then_predict_and_evaluate(runner, tiny_csv, tmp_path, params_file):
    model = tmp_path / "m"
    result = train(runner, tiny_csv, model, "--params", str(params_file), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["model_dir"] == str(model) and 0 < payload["metrics"]["accuracy"] <= 1
    assert {row["label"] for row in payload["per_class"]} >= {"PR Review", "CI Error"}

    result = runner.invoke(
        cli,
        [
            "predict",
            "--model",
            str(model),
            "--json",
            "please approve my pull request <https://github.com/o/r/pull/1|#1>",
        ],
    )
    assert result.exit_code == 0, result.output
    suggestion = json.loads(result.stdout)
    assert suggestion["topic"] == "PR Review" and len(suggestion["alternatives"]) == 3

    result = runner.invoke(cli, ["predict", "--model", str(model), "okta sso login denied"])
    assert result.exit_code == 0 and "Access Request" in result.stdout

    result = runner.invoke(
        cli, ["evaluate", "--model", str(model), "--data", str(tiny_csv), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metrics"]["accuracy"] > 0.6


def test_train_with_cv_and_flags(runner, tiny_csv, tmp_path):
    result = train(runner, tiny_csv, tmp_path / "m", "--cv", "2", "--C", "3", "--max-iter", "150")
    assert result.exit_code == 0, result.output
    assert "cv accuracy mean" in result.stdout and "fold 2/2" in result.stderr
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert card["params"]["C"] == 3.0 and card["params"]["max_iter"] == 150


def test_batch_predict_keeps_every_row_and_column(runner, trained, tmp_path):
    rows = [{"ticket": str(i), "message": r["text"]} for i, r in enumerate(make_rows(5))]
    rows[3]["message"] = "  "
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out" / "pred.csv"
    result = runner.invoke(
        cli,
        [
            "predict",
            "--model",
            str(trained.model_dir),
            "--input",
            str(src),
            "--text-col",
            "message",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 30 and summary["predicted"] == 29 and summary["empty_text"] == 1
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == [
        "ticket",
        "message",
        "predicted_topic",
        "confidence",
        "abstained",
    ]
    assert len(frame) == 30 and frame.loc[3, "predicted_topic"] == ""
    assert frame.loc[3, "abstained"] == "True"
    assert set(frame["predicted_topic"]) - {""} <= set(trained.card.labels)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "missing.csv"], "missing.csv: no such file"),
        (["train", "--data", "{tiny}", "--label-col", "category"], "missing column 'category'"),
        (
            ["train", "--data", "{tiny}", "--id-col", "ticket"],
            "missing column 'ticket' (columns: id, text, topic); choose another with --id-col",
        ),
        (["evaluate", "--model", "nowhere", "--data", "{tiny}"], "nowhere: no model card"),
        (["predict", "--model", "nowhere", "hi"], "nowhere: no model card"),
        (["train", "--data", "{tiny}", "--params", "{params}"], "unknown parameter 'alpha'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, tiny_csv, tmp_path, args, message):
    params = tmp_path / "bad.yaml"
    params.write_text("alpha: 1\n")
    args = [a.format(tiny=tiny_csv, params=params) for a in args]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stderr.strip().count("\n") == 0


def test_bad_rows_exit_2_and_skip_invalid_reports(runner, tmp_path):
    rows = make_rows(5)
    rows[2]["text"] = ""
    path = write_csv(tmp_path / "d.csv", rows)
    result = runner.invoke(cli, ["train", "--data", str(path), *FAST])
    assert result.exit_code == 2 and "line 4: empty 'text'" in result.stderr
    result = runner.invoke(
        cli, ["train", "--data", str(path), "--skip-invalid", "--out", str(tmp_path / "m"), *FAST]
    )
    assert result.exit_code == 0, result.output
    assert "1 skipped: 1 empty text" in result.stderr


def test_predict_usage_errors(runner):
    assert runner.invoke(cli, ["predict"]).exit_code == 2
    result = runner.invoke(cli, ["predict", "--input", "x.csv"])
    assert result.exit_code == 2 and "--input needs --out" in result.output


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "supportml", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"supportml, version {supportml.__version__}"
    assert metadata.version("supportml") == supportml.__version__  # pyproject reads the same string


def test_target_precision_comes_from_the_environment(runner, tiny_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTML_TARGET_PRECISION", "0.8")
    result = runner.invoke(
        cli,
        ["train", "--data", str(tiny_csv), "--out", str(tmp_path / "m"), "--no-track", "--json"],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert card["target_precision"] == 0.8


def test_bad_environment_is_one_line(runner, tiny_csv, monkeypatch):
    monkeypatch.setenv("SUPPORTML_TARGET_PRECISION", "very")
    result = runner.invoke(cli, ["train", "--data", str(tiny_csv), "--no-track"])
    assert result.exit_code == 2 and "SUPPORTML_TARGET_PRECISION='very'" in result.stderr
    assert "Traceback" not in result.output


def _word_terms(model_dir):
    from supportml.model import load

    classifier, _ = load(model_dir)
    union = classifier.pipeline.named_steps["features"]
    return {term for _, vectorizer in union.transformer_list for term in vectorizer.vocabulary_}


def test_train_from_a_file_applies_the_configured_extra_redaction(
    runner, tiny_csv, trained, tmp_path, monkeypatch
):
    assert "cypress" in _word_terms(trained.model_dir)  # the data has the word
    monkeypatch.setenv("SUPPORTML_REDACT_EXTRA", "cypress")
    result = train(runner, tiny_csv, tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert not {term for term in _word_terms(tmp_path / "m") if "cypress" in term}


def test_predict_applies_the_configured_extra_redaction(runner, trained, tmp_path, monkeypatch):
    model = ["--model", str(trained.model_dir)]

    def predict(text):
        result = runner.invoke(cli, ["predict", *model, "--docs", "none", "--json", text])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def predict_file(text):
        source = write_csv(tmp_path / "in.csv", [{"text": text}])
        out = tmp_path / "out.csv"
        result = runner.invoke(cli, ["predict", *model, "--input", str(source), "--out", str(out)])
        assert result.exit_code == 0, result.output
        return pd.read_csv(out)[["predicted_topic", "confidence"]].to_dict("records")

    text, redacted = "cypress cypress flaky spec", "[redacted] [redacted] flaky spec"
    assert predict(text) != predict(redacted)
    assert predict_file(text) != predict_file(redacted)
    monkeypatch.setenv("SUPPORTML_REDACT_EXTRA", "cypress")
    assert predict(text) == predict(redacted)
    assert predict_file(text) == predict_file(redacted)


def test_thin_calibration_is_a_warning_on_stderr(runner, tiny_csv, tmp_path):
    result = train(runner, tiny_csv, tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "calibration row(s) (fewer than 5)" in result.stderr
    assert "out-of-fold" in result.stderr and "out-of-fold" not in result.stdout


@pytest.fixture
def without_embeddings_extra(monkeypatch):
    """sentence-transformers not installed, whatever this environment has."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentence_transformers" else real(name, *a),
    )


def test_the_embeddings_extra_missing_is_one_line_naming_the_install(
    runner, tiny_csv, trained, tmp_path, without_embeddings_extra
):
    from supportml.model import card_integrity

    install = "pip install 'supportml[embeddings]'"
    result = train(runner, tiny_csv, tmp_path / "m", "--embeddings", "all-MiniLM-L6-v2")
    assert result.exit_code == 2 and result.stderr.strip().endswith(install), result.output
    model = tmp_path / "copied"  # a model trained where the extra is installed
    model.mkdir()
    card = json.loads((trained.model_dir / "model_card.json").read_text())
    (model / card["artifact"]).write_bytes((trained.model_dir / card["artifact"]).read_bytes())
    card["features"] = [*card["features"], "embeddings:all-MiniLM-L6-v2"]
    card["integrity"] = card_integrity(card)
    (model / "model_card.json").write_text(json.dumps(card))
    result = runner.invoke(cli, ["predict", "--model", str(model), "okta sso login denied"])
    assert result.exit_code == 2 and result.stderr.strip().count("\n") == 0, result.output
    assert result.stderr.strip().endswith(install) and "Traceback" not in result.output
