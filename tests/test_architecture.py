"""The dependency rule of docs/ARCHITECTURE.md, checked in a fresh interpreter."""

import subprocess
import sys

CORE = [
    "config",
    "text",
    "redact",
    "messages",
    "vocabulary",
    "csvsafe",
    "data",
    "compact",
    "model",
    "evaluate",
    "docs",
    "docs.catalogue",
    "docs.pages",
    "docs.indexer",
    "docs.search",
    "suggest",
    "train",
    "learning.training_set",
    "learning.promotion",
    "learning.loop",
    "learning.sources",
    "learning.watcher",
    "shares",
    "logformat",
    "ownership",
    "business_time",
    "followup",
    "effort",
    "embeddings",
]
ADAPTER_LIBS = ["mlflow", "click", "slack_bolt", "sqlalchemy"]


def modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in done.stdout.split()}


def test_core_imports_no_adapter_library():
    loaded = modules_after("; ".join(f"import supportml.{name}" for name in CORE))
    assert not loaded & set(ADAPTER_LIBS)


def test_predict_with_a_local_model_never_imports_mlflow(trained):
    """mlflow costs seconds to import: predicting with a models/ export must not pay for it."""
    args = ["predict", "--model", str(trained.model_dir), "hi"]
    loaded = modules_after(
        "from click.testing import CliRunner\n"
        "from supportml.cli import cli\n"
        f"result = CliRunner().invoke(cli, {args!r})\n"
        "assert result.exit_code == 0, result.output"
    )
    assert "numpy" in loaded and "mlflow" not in loaded
    # the embeddings extra is imported by the models that use it, never by the default one
    assert not loaded & {"torch", "sentence_transformers", "transformers"}


def test_store_commands_never_import_scikit_learn_or_mlflow(tmp_path):
    """Commands load lazily: `supportml db status` must not pay for the model stack."""
    args = ["db", "status", "--database-url", f"sqlite:///{tmp_path / 's.db'}"]
    loaded = modules_after(
        "from click.testing import CliRunner\n"
        "from supportml.cli import cli\n"
        f"result = CliRunner().invoke(cli, {args!r})\n"
        "assert result.exit_code == 0, result.output"
    )
    assert "sqlalchemy" in loaded and not loaded & {"sklearn", "mlflow", "pandas"}


def test_slack_adapter_imports_no_other_adapter_and_never_mlflow():
    """supportml.slack depends on the core and the store only; serving never imports mlflow."""
    loaded = modules_after("import supportml.slack.app, supportml.slack.replay")
    assert "slack_bolt" in loaded and "mlflow" not in loaded
    full = subprocess.run(
        [sys.executable, "-c", "import supportml.slack.app, supportml.slack.replay, sys;"
         "print(' '.join(n for n in sys.modules if n.startswith('supportml.')))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert not {
        n
        for n in full
        if n.startswith(
            ("supportml.cli", "supportml.ingest", "supportml.report", "supportml.tracking")
        )
    }
