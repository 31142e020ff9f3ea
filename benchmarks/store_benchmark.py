"""Importing a large Slack export: `supportml import slack-export` into SQLite and PostgreSQL.

Generates an export of 100,000 messages in 2,000 threads (datasets/make_slack_export.py), then
times, in the same run, on a fresh SQLite file and a fresh schema of the local PostgreSQL:
  (a) supportml: the CLI end to end (process start, read the zip, rebuild threads, redact,
      batched INSERT … ON CONFLICT DO NOTHING), a first run and a second run (all duplicates);
      the ratio compares its in-process time (the summary's seconds) with the baseline's;
  (b) baseline: the same parsed and redacted records written the way a script usually does it:
      one ORM object per request, a SELECT to check it is new, a commit per row.
Targets (issue 3): first run <= 30 s on SQLite, <= 45 s on PostgreSQL; second run <= 10 s.

    python benchmarks/store_benchmark.py [--messages 100000] [--threads 2000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from _scratch import POSTGRES_URL, postgres_schema  # benchmarks/_scratch.py
from sqlalchemy import select

from supportml.ingest.load import row_of
from supportml.ingest.records import ImportedRequest
from supportml.ingest.slack_export import read_slack_export
from supportml.redact import DEFAULT_REDACTOR
from supportml.store import open_store, transaction
from supportml.store.models import Request
from supportml.text import normalize

ROOT = Path(__file__).resolve().parents[1]
SUPPORTML = Path(sys.executable).with_name("supportml")
TARGETS = {"sqlite": 30.0, "postgresql": 45.0}
SECOND_RUN_TARGET = 10.0


def _generator() -> Callable[..., object]:
    spec = importlib.util.spec_from_file_location(
        "make_slack_export", ROOT / "datasets" / "make_slack_export.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_cli(export: Path, channels: list[str], url: str) -> tuple[float, dict]:
    command = [
        str(SUPPORTML),
        "import",
        "slack-export",
        str(export),
        "--json",
        "--database-url",
        url,
    ]
    for channel in channels:
        command += ["--channel", channel]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr.strip()}")
    return seconds, json.loads(done.stdout)


def run_baseline(export: Path, channels: list[str], url: str) -> tuple[float, int]:
    """Row-by-row ORM writes of the same records (parsing and redaction included, as in ours)."""
    engine = open_store(url)
    clean = lambda raw: DEFAULT_REDACTOR.redact(normalize(raw))  # noqa: E731
    start = time.perf_counter()
    written = 0
    for item in read_slack_export(export, channels):
        if not isinstance(item, ImportedRequest):
            continue
        with transaction(engine) as session:
            exists = session.scalar(
                select(Request.id).where(
                    Request.workspace == item.workspace,
                    Request.channel == item.channel,
                    Request.ts == item.ts,
                )
            )
            if exists is None:
                session.add(Request(**row_of(item, clean, [])))
                written += 1
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, written


def bench(
    kind: str,
    url_for: Callable[[], contextmanager],
    export: Path,
    channels: list[str],
    messages: int,
) -> None:
    with url_for() as url:
        first, summary = run_cli(export, channels, url)
        second, again = run_cli(export, channels, url)
    with url_for() as url:
        baseline, written = run_baseline(export, channels, url)
    for run, seconds, payload, target in (
        ("first", first, summary, TARGETS[kind]),
        ("second (all duplicates)", second, again, SECOND_RUN_TARGET),
    ):
        print(
            json.dumps(
                {
                    "db": kind,
                    "run": run,
                    "messages": messages,
                    "read": payload["read"],
                    "imported": payload["imported"],
                    "duplicate": payload["duplicate"],
                    "seconds": round(seconds, 2),
                    "import_seconds_in_process": payload["seconds"],
                    "messages_per_second": round(messages / seconds),
                    "target_seconds": target,  # end to end, process start included
                    "met": seconds <= target,
                }
            ),
            flush=True,
        )
    print(
        json.dumps(
            {
                "db": kind,
                "run": "baseline row-by-row ORM",
                "requests_written": written,
                "seconds": round(baseline, 2),
                "messages_per_second": round(messages / baseline),
            }
        ),
        flush=True,
    )
    print(
        json.dumps(
            {
                "db": kind,
                "ratio": "supportml first run (in process) / baseline seconds",
                "value": round(summary["seconds"] / baseline, 3),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2_000)
    parser.add_argument(
        "--postgres",
        default=POSTGRES_URL,
    )
    args = parser.parse_args()
    generator = _generator()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        export = root / "export.zip"
        start = time.perf_counter()
        plan = generator.build_export(export, messages=args.messages, threads=args.threads)
        channels = list(generator.SUPPORT_CHANNELS.values())
        print(
            json.dumps(
                {
                    "export": "generated",
                    "messages": plan.messages,
                    "threads": len(plan.requests),
                    "megabytes": round(export.stat().st_size / 1e6, 1),
                    "seconds": round(time.perf_counter() - start, 2),
                }
            ),
            flush=True,
        )
        counter = iter(range(1000))

        @contextmanager
        def sqlite_url() -> Iterator[str]:
            yield f"sqlite:///{root / f'store{next(counter)}.db'}"

        bench("sqlite", sqlite_url, export, channels, plan.messages)
        bench("postgresql", lambda: postgres_schema(args.postgres), export, channels, plan.messages)


if __name__ == "__main__":
    main()
