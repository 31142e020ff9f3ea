"""`train` (from a file or from the store, champion vs challenger) and `retrain-schedule`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from supportml.cli._common import (
    clean_errors,
    database_option,
    err,
    out,
    parse_moment,
    schedule_options,
    schedule_text,
    settings_of,
    stage,
    store_engine,
)
from supportml.cli.model import data_options, load_dataset, print_evaluation, resolve_model
from supportml.config import CHAMPION_ALIAS, Settings
from supportml.learning.promotion import PromotionPolicy

if TYPE_CHECKING:  # scikit-learn and pandas load when a command runs, not for --help
    from supportml.data import Dataset
    from supportml.learning.loop import Outcome, Rules
    from supportml.learning.promotion import Champion, Decision
    from supportml.train import TrainResult

if TYPE_CHECKING:
    from supportml.store.repository import ClassifySummary


def _registry_champion(settings: Settings) -> Champion | None:
    """The registry's @champion; MLflow down or refusing ends the command (see _mlflow_errors)."""
    from supportml.tracking import champion

    with _mlflow_errors(), stage(f"load {settings.registered_model}@{CHAMPION_ALIAS}"):
        return champion(settings)


def _from_store(
    ctx: click.Context,
    database_url: str | None,
    since: str | None,
    topics_map: Path | None,
    min_examples: int,
    eval_weeks: int,
    rules: Rules,
    **wiring: Any,
) -> Outcome:
    """Read the labelled requests and run one turn of the learning loop on them."""
    from supportml.ingest.topics_map import read_topic_map
    from supportml.learning.loop import turn
    from supportml.learning.training_set import LabelledRow
    from supportml.store import repository, transaction

    start = parse_moment(since, "--since")
    mapping = read_topic_map(topics_map).mapping if topics_map else None
    engine = store_engine(ctx, database_url)
    with stage("read labelled requests from the store"), transaction(engine) as session:
        rows = [LabelledRow(*row) for row in repository.training_rows(session, start)]
    return turn(
        rows,
        rules,
        eval_weeks=eval_weeks,
        min_examples=min_examples,
        topic_map=mapping,
        topic_map_name=str(topics_map),
        source=engine.url.render_as_string(hide_password=True),
        redactor=settings_of(ctx).redactor,
        extra={"data": "store", "since": since or "", "topics_map": str(topics_map or "")},
        note=err.print,
        **wiring,
    )


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
@click.option(
    "--embeddings",
    metavar="ENCODER",
    help="Sentence embeddings beside TF-IDF, e.g. all-MiniLM-L6-v2: better with few labels; "
    "needs pip install 'supportml[embeddings]' wherever the model runs.",
)
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
@click.option(
    "--classify/--no-classify",
    "classify",
    default=True,
    show_default=True,
    help="--from-store: after a promotion, give the stored requests nobody labelled the new "
    "champion's topics (`supportml classify`), so reports follow the champion.",
)
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
    embeddings: str | None,
    cv: int | None,
    target_precision: float | None,
    min_gain: float,
    max_topic_drop: float,
    min_support: int,
    out_dir: Path | None,
    track: bool,
    promote: bool,
    classify: bool,
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
      supportml train --data history.csv --embeddings all-MiniLM-L6-v2
      supportml train --from-store --since 2026-01-01 --eval-weeks 4
      supportml train --from-store --topics-map taxonomy-2027.yaml --min-gain 0.01
      supportml train --from-store --no-classify
      MLFLOW_TRACKING_URI=http://mlflow:5000 supportml train --data history.csv --promote
    """
    if (data_path is None) == (not from_store):
        raise click.UsageError("give either --data FILE or --from-store")
    from supportml.learning.loop import Rules, challenge, exported_champion
    from supportml.model import ModelParams

    settings = settings_of(ctx)
    out_dir = out_dir or settings.model_path
    base = ModelParams.from_file(params_file) if params_file else ModelParams()
    overrides = {
        "C": c,
        "max_iter": max_iter,
        "min_df": min_df,
        "seed": seed,
        "embeddings": embeddings,
    }
    params = ModelParams.from_mapping(
        {**vars(base), **{k: v for k, v in overrides.items() if v is not None}}, "flags"
    )
    rules = Rules(
        params,
        out_dir,
        target_precision or settings.target_precision,
        PromotionPolicy(min_gain, max_topic_drop, min_support),
        cv,
        promote,
    )
    wiring: dict[str, Any] = {
        "champion": (
            partial(_registry_champion, settings) if track else partial(exported_champion, out_dir)
        ),
        "track": partial(_track, settings=settings) if track else None,
        "stage": stage,
        "warn": lambda message: err.print(f"[yellow]{escape(message)}[/yellow]", soft_wrap=True),
    }
    if data_path is not None:
        dataset = load_dataset(data_path, **columns, redactor=settings.redactor)
        outcome = challenge(dataset, rules, refit_all=True, extra={"data": "file"}, **wiring)
    else:
        outcome = _from_store(
            ctx, database_url, since, topics_map, min_examples, eval_weeks, rules, **wiring
        )
    classified = None
    if data_path is None and classify and outcome.decision.promote:
        classified = _classify_history(ctx, database_url, outcome.kept, settings)
    _report(outcome, as_json, classified)


def _classify_history(
    ctx: click.Context, database_url: str | None, champion: Path, settings: Settings
) -> ClassifySummary:
    """The new champion classifies the stored history, so reports follow the promotion."""
    from supportml.cli.classify import classify_store
    from supportml.suggest import Suggester

    classifier, card = resolve_model(str(champion), settings)
    suggester = Suggester.from_card(classifier, card, redactor=settings.redactor)
    return classify_store(store_engine(ctx, database_url), suggester, confusion=card.confusion)


def _track(
    result: TrainResult,
    dataset: Dataset,
    decision: Decision,
    extra: Mapping[str, object],
    *,
    settings: Settings,
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


def _report(outcome: Outcome, as_json: bool, classified: ClassifySummary | None) -> None:
    result, decision, changes = outcome.result, outcome.decision, outcome.changes
    current, kept, tracked = outcome.champion, outcome.kept, outcome.tracked
    if as_json:
        payload: dict[str, object] = {
            "model_dir": str(kept),
            "model_version": result.card.version,
            "metrics": result.metrics(),
            "per_class": result.evaluation.report(),
            "skipped": dict(outcome.dataset.skipped),
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
        payload["classify"] = classified.to_dict() if classified else None
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

        out.print(
            f"browse it with: [bold]{ui_command()}[/bold] (pip install 'supportml\\[server]')",
            soft_wrap=True,
        )
    if classified:
        from supportml.cli.classify import print_summary

        print_summary(classified)


@click.command("retrain-schedule", context_settings={"ignore_unknown_options": True})
@schedule_options(
    "retrain",
    6,
    "File with SUPPORTML_DATABASE_URL, MLFLOW_TRACKING_URI, … (keeps secrets out of crontab).",
    "train_args",
)
def retrain_schedule(weekday: str, hour: int, env_file: str, train_args: tuple[str, ...]) -> None:
    """Print a cron line, or the settings for the systemd units in deploy/systemd/, that
    retrain from the store every week.

    Each run trains a challenger on what people labelled since, and promotes it only when it
    beats the champion; `serve` picks up a promoted model within --reload-minutes. Arguments
    after the options are passed on to `supportml train --from-store`.

    \b
    Examples:
      supportml retrain-schedule
      supportml retrain-schedule --weekday sun --hour 2 -- --eval-weeks 6 --min-gain 0.01
    """
    click.echo(
        schedule_text(
            "retrain",
            weekday,
            hour,
            env_file,
            ["train", "--from-store"],
            "SUPPORTML_TRAIN_ARGS",
            train_args,
        )
    )
