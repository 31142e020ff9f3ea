"""Shared fixtures: small deterministic data, one MLflow store per session, one trained model, and
an empty request store on SQLite and on the local PostgreSQL for every store test.

`make test` runs the suite on pytest-xdist workers, a whole file at a time (--dist loadfile):
module fixtures are built once, session fixtures once per worker that needs them.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import random
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine

from supportml.data import load_requests
from supportml.model import ModelParams
from supportml.store import open_store
from supportml.train import train

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "sample_requests.csv"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a slow test first: `make test` hands whole files to the xdist workers in this
    order (--dist loadfile), so no slow file starts last while the other workers idle."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)  # stable: files keep their own order


def load_script(path: Path) -> ModuleType:
    """A script that is not in a package (datasets/*.py), loaded by file path as benchmarks do."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Small topic vocabularies that overlap on purpose (deploy/pipeline/test share words).
VOCAB = {
    "CI Error": [
        "ci",
        "build",
        "job",
        "failed",
        "lint",
        "github actions",
        "workflow",
        "exit code",
        "runner",
        "yarn install",
        "cache",
        "red check",
    ],
    "Failed Deployment": [
        "deploy",
        "failed",
        "production",
        "rollback",
        "release",
        "staging",
        "argo",
        "helm",
        "pods",
        "crashloop",
        "exit code",
        "manifest",
    ],
    "Access Request": [
        "access",
        "permission",
        "grant",
        "role",
        "aws",
        "console",
        "sso",
        "okta",
        "login",
        "team",
        "add me",
        "denied",
    ],
    "PR Review": [
        "review",
        "pull request",
        "approve",
        "pr",
        "merge",
        "codeowners",
        "comments",
        "reviewer",
        "blocking",
        "diff",
        "changes",
        "please look",
    ],
    "Test Failure": [
        "test",
        "spec",
        "flaky",
        "cypress",
        "rspec",
        "jest",
        "failed",
        "assertion",
        "timeout",
        "e2e",
        "suite",
        "snapshot",
    ],
    "Environments": [
        "environment",
        "dev",
        "staging",
        "sandbox",
        "env var",
        "config",
        "secret",
        "parameter store",
        "url",
        "down",
        "dns",
        "certificate",
    ],
}
FILLER = [
    "hi team",
    "hey all",
    "quick question",
    "thanks!",
    "any ideas?",
    "not sure why",
    "since this morning",
    "it worked yesterday",
    "can someone help",
    "urgent-ish",
]


def make_rows(n_per_topic: int = 30, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    topics = list(VOCAB)
    for topic, words in VOCAB.items():
        for i in range(n_per_topic):
            # some rows mix in another topic's words and one in ten is labelled wrongly, as in
            # real history, so the model is good but not perfect
            other = VOCAB[topics[(topics.index(topic) + 1 + i) % len(topics)]]
            body = rng.sample(other if i % 10 == 9 else words, 3) + rng.sample(FILLER, 2)
            if i % 3 == 1:
                body += rng.sample(other, 2)
            rng.shuffle(body)
            if i % 5 == 0:
                body.append(f"<@U0{rng.randint(10000, 99999)}>")
            rows.append({"id": f"{topic[:3]}-{i}", "text": " ".join(body), "topic": topic})
    rng.shuffle(rows)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def tiny_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("data") / "tiny.csv", make_rows())


@pytest.fixture(scope="session")
def fast_params() -> ModelParams:
    return ModelParams(char_ngrams=(2, 4), max_iter=200)


@pytest.fixture(scope="session")
def trained(tiny_csv: Path, fast_params: ModelParams, tmp_path_factory: pytest.TempPathFactory):
    """A model trained once on the tiny data and exported; tests must not modify its files."""
    dataset = load_requests(tiny_csv)
    return train(dataset, fast_params, tmp_path_factory.mktemp("model") / "m")


@pytest.fixture(scope="session")
def sample_trained(tmp_path_factory: pytest.TempPathFactory):
    """The default parameters trained once on the bundled sample (seconds; `trained` is the quick
    model); tests must not modify its files."""
    return train(load_requests(SAMPLE), ModelParams(), tmp_path_factory.mktemp("sample") / "m")


@dataclass
class Fits:
    """The texts behind every logistic-regression fit (with their labels) and every scoring
    call, read back from the feature rows the feature union built (``fits`` fixture)."""

    fitted: list[list[tuple[str, str]]] = field(default_factory=list)
    scored: list[list[str]] = field(default_factory=list)


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> Fits:
    """Record, as texts, what each classifier fit trained on and each decision_function scored
    (rows built by FeatureUnion.fit_transform; other rows read as "")."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    record, text_of = Fits(), {}

    def key(matrix: Any, i: int) -> bytes:
        return matrix[i].toarray().tobytes()

    def fit_transform(self: Any, texts: Any, *args: Any, **kwargs: Any) -> Any:
        matrix = real_fit_transform(self, texts, *args, **kwargs)
        text_of.update({key(matrix, i): text for i, text in enumerate(texts)})
        return matrix

    def fit(self: Any, matrix: Any, labels: Any, *args: Any, **kwargs: Any) -> Any:
        rows = [text_of.get(key(matrix, i), "") for i in range(matrix.shape[0])]
        record.fitted.append(list(zip(rows, map(str, labels), strict=True)))
        return real_fit(self, matrix, labels, *args, **kwargs)

    def decision_function(self: Any, matrix: Any) -> Any:
        record.scored.append([text_of.get(key(matrix, i), "") for i in range(matrix.shape[0])])
        return real_decision(self, matrix)

    real_fit_transform, real_fit = FeatureUnion.fit_transform, LogisticRegression.fit
    real_decision = LogisticRegression.decision_function
    monkeypatch.setattr(FeatureUnion, "fit_transform", fit_transform)
    monkeypatch.setattr(LogisticRegression, "fit", fit)
    monkeypatch.setattr(LogisticRegression, "decision_function", decision_function)
    return record


def name_rows_of(fitted: list[tuple[str, str]], topics: list[str]) -> list[tuple[str, str]]:
    """The (text, label) rows of one fit whose text is the readable name of one of ``topics``."""
    from supportml.model import readable

    names = {readable(topic) for topic in topics}
    return sorted(row for row in fitted if row[0] in names)


@pytest.fixture(scope="session")
def mlflow_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One sqlite tracking store per session: creating one runs migrations (seconds)."""
    root = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{root / 'mlflow.db'}"


# Every variable the app (or a library it configures) reads starts with one of these.
ISOLATED_PREFIXES = ("SUPPORTML_", "SLACK_", "MLFLOW_")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's MLflow store, models/ or Slack credentials by accident.

    Cleared by prefix, so a setting added later is cleared without touching this list.
    """
    for name in [name for name in os.environ if name.startswith(ISOLATED_PREFIXES)]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


# The machine's PostgreSQL (trust auth); .ci/run makes sure it is up. Each test gets its own schema.
POSTGRES_URL = os.environ.get(
    "SUPPORTML_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database; yields a URL whose search_path points at it."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # a missing server must fail loudly, never skip the Postgres path
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not usable ({exc.__class__.__name__}): {exc}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store: a SQLite file in tmp, or a fresh schema in the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store as open_store migrates it, once per session."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    open_store(f"sqlite:///{path}").dispose()
    assert not path.with_name(f"{path.name}-wal").exists(), "the template is not checkpointed"
    return path


def migrated(url: str, template: Path) -> str:
    """``url`` with the schema in place: a SQLite file is a copy of ``template`` (a tenth of the
    time migrating it takes); a PostgreSQL schema is left for open_store to migrate."""
    if url.startswith("sqlite:///"):
        shutil.copyfile(template, url.removeprefix("sqlite:///"))
    return url


@pytest.fixture
def engine(database_url: str, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, empty store on each backend; disposed after the test."""
    engine = open_store(migrated(database_url, sqlite_template))
    yield engine
    engine.dispose()
