"""`train` (from a file or from the store, champion vs challenger) and `retrain-schedule`."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from supportml.cli._common import (
    clean_errors,
    database_option,
    err,
    out,
    parse_moment,
    settings_of,
    stage,
    store_engine,
)
from supportml.cli.model import data_options, load_dataset, print_evaluation
from supportml.config import CHAMPION_ALIAS, Settings
from supportml.data import Dataset
from supportml.model import (
    CARD_FILE,
    ModelError,
    ModelParams,
    load,
    publish,
)
from supportml.promotion import Champion, Decision, PromotionPolicy, decide
from supportml.retrain import TopicChanges, TrainingSet, topic_changes
from supportml.train import TrainResult


def _champion(settings: Settings, track: bool, out_dir: Path) -> Champion | None:
    """The registry's champion when tracking, else the model exported at ``out_dir``."""
    if track:
        from supportml.tracking import champion

        try:
            with _mlflow_errors(), stage(f"load {settings.registered_model}@{CHAMPION_ALIAS}"):
                found = champion(settings)
        except ModelError as exc:  # it could not serve either: the challenger replaces it
            err.print(f"[yellow]the champion cannot be loaded:[/yellow] {escape(str(exc))}")
            return None
        return found
    if not (out_dir / CARD_FILE).is_file():
        return None
    try:
        classifier, card = load(out_dir)
    except ModelError as exc:
        err.print(f"[yellow]the model at {out_dir} cannot be compared:[/yellow] {escape(str(exc))}")
        return None
    return Champion(str(out_dir), card.version, classifier, card)


def _judge(
    result: TrainResult,
    dataset: Dataset,
    current: Champion | None,
    policy: PromotionPolicy,
    force: bool,
) -> Decision:
    """Score challenger and champion on the same evaluation rows and apply the policy."""
    texts = [dataset.texts[i] for i in result.split.test]
    truth = [str(dataset.labels[i]) for i in result.split.test]
    with stage(f"compare with the champion on {len(texts):,} evaluation requests"):
        challenger, _ = result.classifier.predict(texts)
        champion = current.classifier.predict(texts)[0] if current else None
        return decide(
            truth, challenger, champion, current.version if current else None, policy, force
        )


def _from_store(
    ctx: click.Context,
    database_url: str | None,
    since: str | None,
    topics_map: Path | None,
    min_examples: int,
) -> TrainingSet:
    from supportml.ingest.topics_map import read_topic_map
    from supportml.retrain import LabelledRow, build_training_set
    from supportml.store import repository, transaction

    start = parse_moment(since, "--since")
    mapping = read_topic_map(topics_map).mapping if topics_map else None
    engine = store_engine(ctx, database_url)
    with stage("read labelled requests from the store"), transaction(engine) as session:
        rows = [LabelledRow(*row) for row in repository.training_rows(session, start)]
    where = engine.url.render_as_string(hide_password=True)
    training = build_training_set(rows, mapping, min_examples, source=where)
    sources = ", ".join(f"{n:,} {s}" for s, n in sorted(training.label_sources.items()))
    skipped = [
        f"{training.collapsed:,} near-duplicates collapsed" if training.collapsed else "",
        f"{training.empty:,} without text" if training.empty else "",
        f"{training.renamed:,} relabelled by {topics_map}" if training.renamed else "",
    ]
    err.print(
        f"  {len(training.dataset):,} requests, {len(training.dataset.classes)} topics "
        f"({sources})" + "".join(f"; {s}" for s in skipped if s)
    )
    return training


def _publish(result: TrainResult, decision: Decision, out_dir: Path) -> Path:
    """The champion goes to ``out_dir`` (what `serve` watches); a losing challenger is kept
    next to it for inspection."""
    if decision.promote:
        with stage(f"publish to {out_dir}"):
            publish(result.model_dir, out_dir)
        return out_dir
    kept = out_dir.with_name(out_dir.name + ".challenger")
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(result.model_dir, kept)
    return kept


def _with_columns(func: Any) -> Any:
    """--text-col, --label-col, … as `evaluate` has them (its --data is required, ours not)."""
    for option in reversed(data_options[1:]):
        func = option(func)
    return func


@click.command()
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    help="Labelled requests, .csv or .jsonl (or use --from-store).",
)
@_with_columns
@click.option(
    "--from-store",
    is_flag=True,
    help="Learn from the store: people's topics (buttons, forms) first, imported labels next, "
    "never the model's own guesses; deleted requests left out, near-duplicates collapsed.",
)
@click.option("--since", help="--from-store: only requests created on or after this day.")
@click.option(
    "--topics-map",
    type=click.Path(path_type=Path),
    help="--from-store: YAML `old: new` map applied to the labels (the store is not changed).",
)
@click.option(
    "--eval-weeks",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="--from-store: train on older requests, evaluate on the newest N weeks.",
)
@click.option(
    "--min-examples",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    help="--from-store: topics with fewer labelled requests are listed and left out.",
)
@database_option
@click.option(
    "--params",
    "params_file",
    type=click.Path(path_type=Path),
    help="YAML/JSON file of model parameters (flags below override it).",
)
@click.option("--C", "c", type=float, help="Inverse regularisation strength of the regression.")
@click.option("--max-iter", type=int, help="Solver iterations.")
@click.option("--min-df", type=int, help="Ignore n-grams seen in fewer requests than this.")
@click.option("--seed", type=int, help="Random seed for splits and solver.")
@click.option("--cv", type=click.IntRange(min=2), help="Also run K-fold cross-validation.")
@click.option(
    "--target-precision",
    type=click.FloatRange(0, 1, min_open=True),
    help="Precision the abstention threshold must reach on held-out rows  "
    "[default: $SUPPORTML_TARGET_PRECISION or 0.90]",
)
@click.option(
    "--min-gain",
    type=click.FloatRange(min=0),
    default=PromotionPolicy.min_gain,
    show_default=True,
    help="Macro-F1 the challenger must add over the champion to replace it.",
)
@click.option(
    "--max-topic-drop",
    type=click.FloatRange(0, 1),
    default=PromotionPolicy.max_topic_drop,
    show_default=True,
    help="F1 any topic with enough evaluation rows (--min-support) may lose.",
)
@click.option(
    "--min-support",
    type=click.IntRange(min=1),
    default=PromotionPolicy.min_support,
    show_default=True,
    help="Evaluation rows a topic needs to be guarded by --max-topic-drop.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Where the champion is exported (what `serve` loads)  [default: models/supportml-topic]",
)
@click.option(
    "--track/--no-track",
    default=True,
    show_default=True,
    help="Log the run to MLflow, register the model and compare with its @champion "
    "(without: compare with the model at --out).",
)
@click.option("--promote", is_flag=True, help="Make this model the champion whatever it scores.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.pass_context
@clean_errors
def train(
    ctx: click.Context,
    data_path: Path | None,
    from_store: bool,
    since: str | None,
    topics_map: Path | None,
    eval_weeks: int,
    min_examples: int,
    database_url: str | None,
    params_file: Path | None,
    c: float | None,
    max_iter: int | None,
    min_df: int | None,
    seed: int | None,
    cv: int | None,
    target_precision: float | None,
    min_gain: float,
    max_topic_drop: float,
    min_support: int,
    out_dir: Path | None,
    track: bool,
    promote: bool,
    as_json: bool,
    **columns: Any,
) -> None:
    """Train the topic classifier, score it against the current champion on the same requests,
    and make it the champion only if it is better.

    From a file, the test rows are a stratified random fifth. With --from-store the model learns
    from what people labelled in Slack and is tested on the newest --eval-weeks weeks, the way it
    will be used. The run, both scores and the decision are logged to MLflow; a promoted model
    moves the registry alias @champion and is exported to --out, where `serve` picks it up.

    \b
    Examples:
      supportml train --data datasets/sample_requests.csv
      supportml train --data history.jsonl --text-col message --label-col category --cv 5
      supportml train --from-store --since 2026-01-01 --eval-weeks 4
      supportml train --from-store --topics-map taxonomy-2027.yaml --min-gain 0.01
      MLFLOW_TRACKING_URI=http://mlflow:5000 supportml train --data history.csv --promote
    """
    from supportml.retrain import time_split
    from supportml.train import train as run_training

    if (data_path is None) == (not from_store):
        raise click.UsageError("give either --data FILE or --from-store")
    settings = settings_of(ctx)
    out_dir = out_dir or settings.model_path
    base = ModelParams.from_file(params_file) if params_file else ModelParams()
    overrides = {"C": c, "max_iter": max_iter, "min_df": min_df, "seed": seed}
    params = ModelParams.from_mapping(
        {**vars(base), **{k: v for k, v in overrides.items() if v is not None}}, "flags"
    )
    policy = PromotionPolicy(min_gain, max_topic_drop, min_support)
    training: TrainingSet | None = None
    parts = None
    extra: dict[str, object] = {"data": "file"}
    if from_store:
        training = _from_store(ctx, database_url, since, topics_map, min_examples)
        dataset = training.dataset
        parts, cutoff = time_split(
            training.created_at, dataset.labels, eval_weeks, seed=params.seed
        )
        err.print(
            f"  train on {len(parts.train) + len(parts.calibration):,} requests before "
            f"{cutoff:%Y-%m-%d %H:%M}, evaluate on {len(parts.test):,} from the newest "
            f"{eval_weeks} week(s)"
        )
        extra = {
            "data": "store",
            "since": since or "",
            "eval_weeks": eval_weeks,
            "eval_cutoff": cutoff.isoformat(timespec="seconds"),
            "min_examples": min_examples,
            "topics_map": str(topics_map or ""),
            "near_duplicates_collapsed": training.collapsed,
            **{f"labels_{source}": n for source, n in training.label_sources.items()},
        }
    elif data_path is not None:
        dataset = load_dataset(data_path, **columns, redactor=settings.redactor)
    extra.update(min_gain=min_gain, max_topic_drop=max_topic_drop, min_support=min_support)
    with tempfile.TemporaryDirectory(prefix="supportml-challenger-") as staging:
        result = run_training(
            dataset,
            params,
            Path(staging) / "model",
            target_precision=target_precision or settings.target_precision,
            cv=cv,
            parts=parts,
            stage=stage,
        )
        current = _champion(settings, track, out_dir)
        decision = _judge(result, dataset, current, policy, promote)
        tracked = _track(result, dataset, settings, decision, extra) if track else None
        kept = _publish(result, decision, out_dir)
    changes = topic_changes(
        [str(label) for label in dataset.labels],
        [*result.split.train, *result.split.calibration],
        current.card.labels if current else None,
        training.too_few if training else {},
    )
    _report(result, dataset, decision, changes, current, kept, tracked, as_json)


def _track(
    result: TrainResult,
    dataset: Dataset,
    settings: Settings,
    decision: Decision,
    extra: dict[str, object],
) -> Any:
    from supportml.tracking import log_training

    with _mlflow_errors(), stage("log run to MLflow"):
        return log_training(result, dataset, settings, decision, extra)


@contextmanager
def _mlflow_errors() -> Iterator[None]:
    """MLflow down or refusing: one line, exit 1, and nothing published."""
    from supportml.tracking import TrackingError

    try:
        yield
    except TrackingError as exc:
        err.print(
            f"[red]error:[/red] {escape(str(exc))}; nothing was published, re-run with "
            "--no-track to compare with the exported model instead",
            soft_wrap=True,
        )
        sys.exit(1)


def _report(
    result: TrainResult,
    dataset: Dataset,
    decision: Decision,
    changes: TopicChanges,
    current: Champion | None,
    kept: Path,
    tracked: Any,
    as_json: bool,
) -> None:
    if as_json:
        payload: dict[str, object] = {
            "model_dir": str(kept),
            "model_version": result.card.version,
            "metrics": result.metrics(),
            "per_class": result.evaluation.report(),
            "skipped": dict(dataset.skipped),
            "data_hash": result.card.data_hash,
            "decision": decision.to_dict(),
            "topics": {
                "new": changes.new,
                "retired": changes.retired,
                "too_few": changes.too_few,
                "untrained": changes.untrained,
            },
        }
        if tracked:
            payload["mlflow"] = {
                "run_id": tracked.run_id,
                "registered_version": tracked.model_version,
                "promoted": tracked.promoted,
                "reason": tracked.reason,
            }
        click.echo(json.dumps(payload))
        return
    print_evaluation(result.evaluation, result.metrics(), f"test metrics ({result.evaluation.n:,})")
    for line in changes.lines():
        out.print(f"[yellow]{escape(line)}[/yellow]", soft_wrap=True)
    name = f"version {result.card.version}"
    if tracked:
        name += f", MLflow run {tracked.run_id}, registered v{tracked.model_version}"
    verdict = "[green]promoted[/green]" if decision.promote else "[yellow]not promoted[/yellow]"
    out.print(
        f"\nchallenger ({name}) {verdict} to @{CHAMPION_ALIAS}: {escape(decision.reason)}",
        soft_wrap=True,
    )
    where = "exported to" if decision.promote else "kept for inspection at"
    champion = (
        f"; the champion stays at {current.where}" if current and not decision.promote else ""
    )
    out.print(f"model {where} [bold]{kept}[/bold]{champion}", soft_wrap=True)
    if tracked:
        from supportml.tracking import ui_command

        out.print(f"browse it with: [bold]{ui_command()}[/bold]", soft_wrap=True)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@click.command("retrain-schedule", context_settings={"ignore_unknown_options": True})
@click.option(
    "--weekday",
    type=click.Choice(WEEKDAYS),
    default="mon",
    show_default=True,
    help="Day of the week to retrain.",
)
@click.option(
    "--hour", type=click.IntRange(0, 23), default=6, show_default=True, help="Hour (local time)."
)
@click.option(
    "--env-file",
    default="/etc/supportml.env",
    show_default=True,
    help="File with SUPPORTML_DATABASE_URL, MLFLOW_TRACKING_URI, … (keeps secrets out of crontab).",
)
@click.argument("train_args", nargs=-1, type=click.UNPROCESSED)
def retrain_schedule(weekday: str, hour: int, env_file: str, train_args: tuple[str, ...]) -> None:
    """Print a cron line and a systemd timer that retrain from the store every week.

    Each run trains a challenger on what people labelled since, and promotes it only when it
    beats the champion; `serve` picks up a promoted model within --reload-minutes. Arguments
    after the options are passed on to `supportml train --from-store`.

    \b
    Examples:
      supportml retrain-schedule
      supportml retrain-schedule --weekday sun --hour 2 -- --eval-weeks 6 --min-gain 0.01
    """
    import shlex

    executable = shutil.which("supportml") or f"{sys.executable} -m supportml"
    command = shlex.join(["train", "--from-store", *train_args])
    workdir = Path.cwd()
    day = WEEKDAYS.index(weekday) + 1
    steps = [
        f"cd {shlex.quote(str(workdir))}",
        f"set -a && . {shlex.quote(env_file)} && set +a",
        f"{executable} {command} >> retrain.log 2>&1",
    ]
    click.echo(
        f"""# cron (crontab -e): every {weekday.title()} at {hour:02d}:00
0 {hour} * * {day % 7} {" && ".join(steps)}

# systemd: /etc/systemd/system/supportml-retrain.service
[Unit]
Description=supportml: retrain the topic model from the store (champion/challenger)
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={workdir}
EnvironmentFile={env_file}
ExecStart={executable} {command}

# systemd: /etc/systemd/system/supportml-retrain.timer
[Unit]
Description=Weekly supportml retrain

[Timer]
OnCalendar={weekday.title()} *-*-* {hour:02d}:00:00
Persistent=true

[Install]
WantedBy=timers.target

# then: systemctl daemon-reload && systemctl enable --now supportml-retrain.timer"""
    )
