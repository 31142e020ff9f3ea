"""notebooks/support_analysis.ipynb runs top to bottom on a demo-like store, and is committed clean.

The store is built the way `make demo` builds ./supportml.db: the sample turned into a Slack export
and imported with the sample tracking sheet and topic map, plus a model trained on the sample at
the default model path. The notebook runs twice: on that store (imports only, so the model scores
the labelled requests offline) and on a copy where the responder recorded a suggestion for every
request (the production path). Any failing cell fails the test with the cell's traceback.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient
from sqlalchemy import func, select

from supportml.cli import cli
from supportml.model import load
from supportml.store import open_store, transaction
from supportml.store.models import Request
from supportml.store.repository import record_suggestion
from supportml.suggest import Suggester, in_holdout
from supportml.train import TrainResult
from tests.conftest import ROOT, load_script

NOTEBOOK = ROOT / "notebooks" / "support_analysis.ipynb"
DATASETS = ROOT / "datasets"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sample_trained: TrainResult) -> Path:
    """A folder laid out like the project after `make demo`: supportml.db and models/."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'supportml.db'}"
    gen = load_script(DATASETS / "make_slack_export.py")
    export = folder / "export.zip"
    gen.build_export(export)
    channels = [arg for name in gen.SUPPORT_CHANNELS.values() for arg in ("--channel", name)]
    sheet = DATASETS / "sample_tracking_sheet.csv"
    for args in (
        ["slack-export", str(export), *channels],
        ["spreadsheet", str(sheet), "--workspace", gen.WORKSPACE],
        ["topics-map", str(DATASETS / "topics_map.example.yaml")],
    ):
        result = CliRunner().invoke(cli, ["import", *args, "--database-url", url])
        assert result.exit_code == 0, result.output
    shutil.copytree(sample_trained.model_dir, folder / "models" / "supportml-topic")
    return folder


def record_suggestions(store: Path, model: Path) -> int:
    """What the responder does for each new request: suggest a topic and record it (batched);
    the requests become live ones, as only those were shown a reply and links."""
    suggester = Suggester.from_card(*load(model))
    engine = open_store(f"sqlite:///{store}")
    with transaction(engine) as session:
        requests = list(session.scalars(select(Request)))
        backlog = suggester.suggest_backlog([request.text for request in requests])
        recorded = 0
        for i, request in enumerate(requests):
            if not backlog.topics[i]:  # nothing left to classify: the responder skips it too
                continue
            key = f"{request.workspace}/{request.channel}/{request.ts}"
            request.import_run_id = None  # as if the responder had received it live
            record_suggestion(
                session, request, topic=backlog.topics[i],
                confidence=float(backlog.confidence[i]), abstained=bool(backlog.abstained[i]),
                model_version=suggester.model_version, links=[], holdout=in_holdout(key),
            )  # fmt: skip
            recorded += 1
    engine.dispose()
    return recorded


def run_notebook(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Execute the notebook in ``folder`` (the kernel inherits the environment): text outputs."""
    monkeypatch.setenv("SUPPORTML_DATABASE_URL", f"sqlite:///{folder / 'supportml.db'}")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    texts, images = [], 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
            images += "image/png" in output.get("data", {})
    assert images >= 6  # weekly volume, topics, team mix, times, confusion matrix, doc gaps
    return texts


def stored_count(folder: Path) -> int:
    engine = open_store(f"sqlite:///{folder / 'supportml.db'}")
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Request))
    engine.dispose()
    return int(count or 0)


@pytest.mark.slow
def test_notebook_runs_on_the_demo_store(demo: Path, monkeypatch: pytest.MonkeyPatch):
    output = "\n".join(run_notebook(demo, monkeypatch))
    assert f"{stored_count(demo):,} requests from 2026-03-02" in output
    assert "predictions: offline: model" in output
    assert "accuracy " in output and "topic people gave" in output  # matrix and top confusions


@pytest.mark.slow
def test_notebook_runs_on_a_store_with_recorded_suggestions(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    copy = sqlite3.connect(tmp_path / "supportml.db")  # no models/ next to it
    with closing(sqlite3.connect(demo / "supportml.db")) as source, closing(copy):
        source.backup(copy)  # the store runs in WAL mode: copying the file could miss rows
    suggested = record_suggestions(tmp_path / "supportml.db", demo / "models" / "supportml-topic")
    output = "\n".join(run_notebook(tmp_path, monkeypatch))
    assert 0 < suggested <= stored_count(tmp_path)
    assert "predictions: suggestions recorded by the Slack responder" in output
    assert "no recorded suggestions" not in output  # the weekly low-confidence trend is drawn
    assert "suggested_topic" in output  # no link was recorded: every request is listed as a gap


def test_notebook_is_committed_without_outputs():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code and all(cell["outputs"] == [] for cell in code)
    assert all(cell["execution_count"] is None for cell in code)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    source = "\n".join("".join(cell["source"]) for cell in code)
    # it reads the store through supportml's API, never with its own SQL
    assert "from supportml.report import build_report, request_rows" in source
    assert "select " not in source.lower() and "read_sql" not in source
