"""One turn of the learning loop on the bundled sample, end to end through the real CLI:

  import   the older weeks of datasets/sample_requests.csv as a tracking sheet in which only a
           pilot's share of rows has a topic (the pilot in ../shared/context labelled 13-41%);
  train    one turn of the learning loop (supportml.learning.loop.turn, what
           `supportml train --from-store` runs): the first champion, registered in MLflow (sqlite
           in a temp dir) and exported to models/;
  serve    `supportml serve --http --reload-minutes 0.05` against tests/slack/fake_slack.py (the
           only fake: Slack's Web API on 127.0.0.1); the newest --live-weeks of the sample are
           replayed as signed message events and each gets its thread reply;
  feedback the requester of a share of those requests clicks "Correct" when the suggestion was
           right and picks the right topic in the select when it was not (interactivity payloads
           built from the blocks the stand-in received, signed, sent to the responder);
  retrain  the next turn with --eval-weeks N: challenger vs champion on the newest N weeks,
           both scored on the same rows, alias moved only if the challenger wins;
  reload   the running responder picks up the new champion from models/ (GET /healthz shows the
           version) and the next request is answered by it.

Baseline vs ours: the champion before feedback vs the retrained challenger, macro-F1 on the same
newest weeks, and their ratio. The sample's topics are synthetic; see datasets/README.md.

    python benchmarks/learning_loop.py [--live-weeks 10] [--eval-weeks 4]
        [--labelled-history 0.3] [--feedback 0.7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from responder_benchmark import load_fake_slack, server, sign, stop  # benchmarks/
from sqlalchemy import select

from supportml.config import Settings
from supportml.learning.loop import Outcome, Rules, turn
from supportml.learning.training_set import LabelledRow
from supportml.model import ModelParams
from supportml.slack import blocks
from supportml.store import connect, repository, transaction
from supportml.store.models import Request
from supportml.store.repository import PENDING_REPLY

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "sample_requests.csv"
DOCS = ROOT / "datasets" / "docs_catalogue.yaml"
SUPPORTML = Path(sys.executable).with_name("supportml")
TEAM = "T0LOOP0001"


def cli(*args: str, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run `supportml ARGS --json` and return its JSON; progress stays on stderr."""
    done = subprocess.run(
        [str(SUPPORTML), *args, "--json"], env=env, cwd=cwd, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"supportml {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def learn(env: dict[str, str], eval_weeks: int, cwd: Path) -> Outcome:
    """One turn of the learning loop in this process, wired as `supportml train --from-store`
    wires it: the store's labelled rows, the registry's champion, the run logged to MLflow."""
    from supportml import tracking  # mlflow: seconds to import, only for this step

    settings = Settings.from_env(env)
    engine = connect(settings.database_url)
    try:
        with transaction(engine) as session:
            rows = [LabelledRow(*row) for row in repository.training_rows(session)]
    finally:
        engine.dispose()
    rules = Rules(ModelParams(), settings.model_path, settings.target_precision)
    with contextlib.chdir(cwd):  # MLflow keeps a sqlite store's artifacts under ./mlruns
        return turn(
            rows,
            rules,
            lambda: tracking.champion(settings),
            eval_weeks=eval_weeks,
            source=settings.database_url,
            track=lambda result, dataset, decision, extra: tracking.log_training(
                result, dataset, settings, decision, extra
            ),
            extra={"data": "store"},
        )


def read_sample() -> list[dict[str, str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(rows, key=lambda r: r["created_at"])


def emit(fields: dict[str, Any]) -> None:
    """One JSON line per step, as the other benchmarks print."""
    print(json.dumps(fields), flush=True)


def when(row: dict[str, str]) -> datetime:
    return datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))


def write_sheet(rows: list[dict[str, str]], share: float, path: Path) -> int:
    """The older weeks as a tracking sheet; only ``share`` of the rows have a topic."""
    rng = random.Random(7)
    labelled = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ticket ID", "Submitted by", "Date", "Team", "Topic", "Summary"])
        for row in rows:
            topic = row["topic"] if rng.random() < share else ""
            labelled += bool(topic)
            writer.writerow(
                [
                    row["id"],
                    row["user"],
                    row["created_at"],
                    row["requester_team"],
                    topic,
                    row["text"],
                ]
            )
    return labelled


def post(url: str, body: str, form: bool = False) -> int:
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(
        url, data=body.encode(), method="POST", headers={"Content-Type": kind, **sign(body)}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def message_event(row: dict[str, str], ts: str, number: int) -> str:
    event = {
        "type": "message", "channel": row["channel"], "user": row["user"], "text": row["text"],
        "ts": ts, "event_ts": ts, "channel_type": "channel",
    }  # fmt: skip
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0LOOP",
            "type": "event_callback",
            "event_id": f"Ev0LOOP{number:06d}",
            "event_time": int(float(ts)),
            "event": event,
        }  # fmt: skip
    )


def stored(database_url: str) -> dict[str, Request]:
    engine = connect(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Request)).all()
        return {row.ts: row for row in rows}
    finally:
        engine.dispose()


def wait_for(check: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - start


def click(fake: Any, base: str, request: Any, user: str, truth: str) -> str:
    """The requester's one click: confirm a right suggestion, pick the right topic otherwise."""
    (reply,) = [
        c.body for c in fake.of("chat.postMessage") if c.body.get("thread_ts") == request.ts
    ]
    (actions,) = [b for b in reply["blocks"] if b["type"] == "actions"]
    elements = {e["action_id"]: e for e in actions["elements"]}
    right = request.predicted_topic == truth and not request.abstained
    action: dict[str, Any] = {"block_id": actions["block_id"], "action_ts": str(time.time())}
    if right and blocks.CONFIRM in elements:
        element = elements[blocks.CONFIRM]
        action |= {"type": "button", "action_id": blocks.CONFIRM, "value": element["value"]}
        kind = "confirm"
    else:
        options = [o for o in elements[blocks.CHANGE_TOPIC]["options"] if o["value"] == truth]
        if not options:
            return "topic not offered"
        action |= {
            "type": "static_select", "action_id": blocks.CHANGE_TOPIC,
            "selected_option": options[0],
        }  # fmt: skip
        kind = "change_topic"
    payload = {
        "type": "block_actions", "token": "legacy", "api_app_id": "A0LOOP",
        "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
        "container": {"type": "message", "message_ts": request.reply_ts,
                      "channel_id": request.channel},
        "channel": {"id": request.channel}, "trigger_id": "1.2.loop",
        "message": {"type": "message", "ts": request.reply_ts, "blocks": reply["blocks"]},
        "response_url": f"{fake.base_url}response", "actions": [action],
    }  # fmt: skip
    assert post(f"{base}/slack/events", urlencode({"payload": json.dumps(payload)}), True) == 200
    return kind


def healthz(base: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live-weeks", type=int, default=10)
    parser.add_argument("--eval-weeks", type=int, default=4)
    parser.add_argument("--labelled-history", type=float, default=0.3)
    parser.add_argument("--feedback", type=float, default=0.7)
    parser.add_argument("--keep", type=Path, help="work here and keep the files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="supportml-loop-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        run(work, args)


def run(work: Path, args: argparse.Namespace) -> None:
    rows = read_sample()
    cutoff = when(rows[-1]) - timedelta(weeks=args.live_weeks)
    history = [r for r in rows if when(r) < cutoff]
    live = [r for r in rows if when(r) >= cutoff]
    database_url = f"sqlite:///{work / 'store.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUPPORTML_"))}
    env |= {
        "SUPPORTML_DATABASE_URL": database_url,
        "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
        "SUPPORTML_MODEL": str(work / "models" / "supportml-topic"),
        "SUPPORTML_DOCS": str(DOCS),
        "SLACK_BOT_TOKEN": "xoxb-loop",
        "SLACK_SIGNING_SECRET": "benchmark-signing-secret-0123456789",
    }

    sheet = work / "history.csv"
    labelled = write_sheet(history, args.labelled_history, sheet)
    imported = cli("import", "spreadsheet", str(sheet), "--workspace", TEAM, env=env, cwd=work)
    emit(
        {
            "step": "import",
            "history_rows": len(history),
            "with_topic": labelled,
            "imported": imported.get("imported"),
        }
    )

    first = learn(env, args.eval_weeks, work)
    emit(
        {
            "step": "train (first champion)",
            "version": first.result.card.version,
            "decision": first.decision.reason,
            "test_macro_f1": round(first.result.metrics()["macro_f1"], 4),
        }
    )

    fake_slack = load_fake_slack()
    channels = sorted({r["channel"] for r in rows})
    command = [str(SUPPORTML), "serve", "--http", "--port", "0", "--host", "127.0.0.1",
               "--reload-minutes", "0.05", "--catch-up-minutes", "0",
               *[arg for c in channels for arg in ("--channel", c)]]  # fmt: skip
    with fake_slack.running() as fake:
        env["SLACK_API_URL"] = fake.base_url
        with server(command, env, work / "serve.log") as (process, base):
            start = time.monotonic()
            for number, row in enumerate(live):
                ts = f"{when(row).timestamp():.0f}.{number:06d}"
                row["ts"] = ts
                assert post(f"{base}/slack/events", message_event(row, ts, number)) == 200
            wait_for(
                lambda: sum(1 for r in stored(database_url).values() if r.reply_ts
                            and r.reply_ts != PENDING_REPLY) >= len(live),
                120, "every live request's reply",
            )  # fmt: skip
            requests = stored(database_url)
            replies = [c for c in fake.of("chat.postMessage") if c.body.get("thread_ts")]
            right = sum(
                requests[r["ts"]].predicted_topic == r["topic"] and not requests[r["ts"]].abstained
                for r in live
            )
            emit(
                {
                    "step": "serve (replayed events)",
                    "events": len(live),
                    "rows": sum(r["ts"] in requests for r in live),
                    "thread_replies": len(replies),
                    "seconds": round(time.monotonic() - start, 1),
                    "suggested_right": right,
                    "abstained": sum(bool(requests[r["ts"]].abstained) for r in live),
                    "model_version": first.result.card.version,
                }
            )

            rng = random.Random(11)
            clicks: dict[str, int] = {}
            for row in live:
                if rng.random() < args.feedback:
                    kind = click(fake, base, requests[row["ts"]], row["user"], row["topic"])
                    clicks[kind] = clicks.get(kind, 0) + 1
            updates = sum(n for k, n in clicks.items() if k != "topic not offered")
            wait_for(lambda: len(fake.of("chat.update")) >= updates, 60, "updated replies")
            human = sum(1 for r in stored(database_url).values() if r.label_source == "human")
            emit({"step": "feedback", "clicks": clicks, "human_labels": human})

            second = learn(env, args.eval_weeks, work)
            decision, challenger = second.decision, second.result.card.version
            if decision.champion_macro_f1 is None:
                raise SystemExit(f"the second turn found no champion: {decision.reason}")
            emit(
                {
                    "step": "retrain",
                    "challenger": challenger,
                    "champion": first.result.card.version,
                    "eval_rows": decision.n_eval,
                    "champion_macro_f1": round(decision.champion_macro_f1, 4),
                    "challenger_macro_f1": round(decision.challenger_macro_f1, 4),
                    "promoted": decision.promote,
                    "reason": decision.reason,
                    "topics": asdict(second.changes),
                }
            )
            emit(
                {
                    "ratio": "challenger / champion macro-F1 on the newest weeks",
                    "value": round(decision.challenger_macro_f1 / decision.champion_macro_f1, 3),
                }
            )
            if decision.promote:
                waited = wait_for(
                    lambda: healthz(base).get("model_version") == challenger,
                    60, "the responder to load the new champion",
                )  # fmt: skip
                row = dict(live[-1], text="deploy to staging failed again with exit code 137")
                ts = f"{time.time():.6f}"
                assert post(f"{base}/slack/events", message_event(row, ts, len(live) + 1)) == 200
                wait_for(lambda: ts in stored(database_url), 30, "the next request")
                emit(
                    {
                        "step": "hot reload",
                        "waited_after_train_seconds": round(waited, 1),
                        "next_request_model_version": stored(database_url)[ts].model_version,
                    }
                )
            stopped = stop(process)
        log = (work / "serve.log").read_text()
        emit(
            {
                "step": "stop",
                "graceful_stop_seconds": round(stopped, 2),
                "swaps_logged": log.count("model swapped"),
                "errors_logged": log.count(" ERROR "),
            }
        )


if __name__ == "__main__":
    main()
