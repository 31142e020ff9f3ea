"""Model commands: evaluate and predict, and the model/data options `train` shares."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from supportml.cli._common import clean_errors, err, key_value_table, out, settings_of, stage
from supportml.config import CHAMPION_ALIAS, Settings, docs_path
from supportml.csvsafe import safe_cell

# scikit-learn, scipy and pandas are imported inside the commands that use them: `--help` and
# the commands that only read a card or the registry start without them (tests/cli/test_cli_fast.py)
if TYPE_CHECKING:
    from supportml.compact import OneTextClassifier
    from supportml.data import Dataset
    from supportml.docs import DocIndex
    from supportml.evaluate import Evaluation
    from supportml.learning.sources import ModelSource
    from supportml.model import ModelCard, TopicClassifier
    from supportml.redact import Redactor
    from supportml.suggest import Suggester, Suggestion
    from supportml.tracking import AliasMove


def resolve_model(ref: str | None, settings: Settings) -> tuple[TopicClassifier, ModelCard]:
    """A models/ directory, or a registry URI such as models:/supportml-topic@champion."""
    with _loading(ref, settings) as source:
        return source.load()


def resolve_one_text(
    ref: str | None, settings: Settings
) -> tuple[TopicClassifier | OneTextClassifier, ModelCard]:
    """As ``resolve_model``, for suggesting one text: a models/ directory is read from its
    compact file, without scikit-learn (model.load_one_text)."""
    with _loading(ref, settings) as source:
        from supportml.learning.sources import DirectorySource

        if isinstance(source, DirectorySource):
            from supportml.model import load_one_text

            return load_one_text(source.path)
        return source.load()


def model_card(ref: str | None, settings: Settings) -> ModelCard:
    """The card of the model ``ref`` names; a local export's is read without unpickling."""
    with _loading(ref, settings) as source:
        return source.card()


@contextmanager
def _loading(ref: str | None, settings: Settings) -> Iterator[ModelSource]:
    """The source ``ref`` names, under a spinner when it is in MLflow (seconds to import)."""
    from supportml.learning.sources import in_mlflow, model_source

    ref = ref or str(settings.model_path)
    with stage(f"load {ref} from MLflow") if in_mlflow(ref) else nullcontext():
        yield model_source(ref, settings)


def load_docs(docs_ref: str | None, settings: Settings, labels: list[str]) -> DocIndex | None:
    """The DocIndex of ``--docs`` (a path or 'none'), else of the configured catalogue."""
    path = docs_path(docs_ref) if docs_ref is not None else settings.docs_catalogue
    if path is None:
        return None
    from supportml.docs import Catalogue, DocIndex

    with stage(f"load documentation catalogue {path}"):
        index = DocIndex(Catalogue.load(path), min_score=settings.docs_min_score)
    unknown = sorted(set(index.topics) - set(labels))
    if unknown:
        err.print(
            f"[yellow]{len(unknown)} catalogue topic(s) the model does not know[/yellow] "
            f"(their pages get no topic boost): {escape(', '.join(unknown))}",
            soft_wrap=True,
        )
    return index


def _metric_rows(metrics: dict[str, float]) -> list[tuple[str, str]]:
    return [(name.replace("_", " "), f"{value:.4f}") for name, value in metrics.items()]


def print_evaluation(result: Evaluation, metrics: dict[str, float], title: str) -> None:
    out.print(_per_class_table(result.report()))
    confusions = result.top_confusions()
    if confusions:
        table = Table(title="most confused", title_justify="left")
        for column in ("topic", "predicted as", "times"):
            table.add_column(column, justify="right" if column == "times" else "left")
        for true, predicted, count in confusions:
            table.add_row(true, predicted, str(count))
        out.print(table)
    out.print(key_value_table(title, _metric_rows(metrics)))


def _per_class_table(report: list[dict[str, Any]]) -> Table:
    table = Table(title="per topic", title_justify="left")
    for column in ("topic", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for row in sorted(report, key=lambda r: -r["support"]):
        table.add_row(
            row["label"],
            f"{row['precision']:.2f}",
            f"{row['recall']:.2f}",
            f"{row['f1']:.2f}",
            str(row["support"]),
        )
    return table


model_option = click.option(
    "--model",
    "model_ref",
    help="models/ directory or models:/supportml-topic@champion  "
    "[default: $SUPPORTML_MODEL or models/supportml-topic]",
)
docs_option = click.option(
    "--docs",
    "docs_ref",
    help="Documentation catalogue (.yaml/.csv) to link to, or 'none'  "
    "[default: $SUPPORTML_DOCS, else datasets/docs_catalogue.yaml if present]",
)

data_options = [
    click.option(
        "--data",
        "data_path",
        required=True,
        type=click.Path(path_type=Path),
        help="Labelled requests, .csv or .jsonl.",
    ),
    click.option("--text-col", default="text", show_default=True, help="Column holding the text."),
    click.option(
        "--label-col", default="topic", show_default=True, help="Column holding the topic."
    ),
    click.option(
        "--id-col",
        help="Column with a unique id per row  [default: id if the file has one, else "
        "row-<line>; '' for none]",
    ),
    click.option(
        "--encoding", default="utf-8", show_default=True, help="Text encoding of the file."
    ),
    click.option(
        "--skip-invalid",
        is_flag=True,
        help="Skip (and count) rows with empty text/label, repeated ids or rare topics.",
    ),
]


def with_data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(data_options):
        func = option(func)
    return func


def load_dataset(
    data_path: Path,
    text_col: str,
    label_col: str,
    id_col: str | None,
    encoding: str,
    skip_invalid: bool,
    extra_cols: tuple[str, ...] = (),
    *,
    redactor: Redactor,
) -> Dataset:
    from supportml.data import load_requests

    with stage(f"load {data_path}"):
        dataset = load_requests(
            data_path,
            text_col=text_col,
            label_col=label_col,
            id_col="id" if id_col is None else id_col or None,
            require_id=bool(id_col),
            encoding=encoding,
            skip_invalid=skip_invalid,
            extra_cols=extra_cols,
            redactor=redactor,
        )
    summary = dataset.skipped_summary()
    err.print(
        f"  {len(dataset):,} requests, {len(dataset.classes)} topics"
        + (f"; [yellow]{summary}[/yellow]" if summary else "")
    )
    return dataset


@click.command()
@model_option
@with_data_options
@docs_option
@click.option(
    "--doc-col",
    default="resolved_by_doc",
    show_default=True,
    help="Optional column with the id of the page that resolved the request.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.pass_context
@clean_errors
def evaluate(
    ctx: click.Context,
    model_ref: str | None,
    data_path: Path,
    text_col: str,
    label_col: str,
    id_col: str | None,
    encoding: str,
    skip_invalid: bool,
    docs_ref: str | None,
    doc_col: str,
    as_json: bool,
) -> None:
    """Score a trained model on labelled requests it has not seen, and its documentation links
    on the requests a page resolved (hit@1, hit@3), when the file says which.

    \b
    Examples:
      supportml evaluate --data datasets/sample_requests.csv
      supportml evaluate --model models:/supportml-topic@champion --data new_month.csv --json
    """
    from supportml.evaluate import evaluate as score
    from supportml.suggest import Suggester

    settings = settings_of(ctx)
    classifier, card = resolve_model(model_ref, settings)
    docs = load_docs(docs_ref, settings, card.labels)
    dataset = load_dataset(
        data_path,
        text_col,
        label_col,
        id_col,
        encoding,
        skip_invalid,
        (doc_col,),
        redactor=settings.redactor,
    )
    suggester = Suggester.from_card(classifier, card, docs, settings.redactor)
    with stage(f"predict {len(dataset):,} requests"):
        predicted, confidence, abstained = suggester.suggest_many(dataset.texts)
    result = score(dataset.topics, predicted, ~abstained, confidence)
    unknown = sorted(set(dataset.classes) - set(card.labels))
    links = _link_metrics(suggester, dataset, doc_col)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "metrics": result.metrics(),
                    "threshold": card.threshold,
                    "per_class": result.report(),
                    "unknown_topics": unknown,
                    "model_version": card.version,
                    "docs": links,
                }
            )
        )
        return
    print_evaluation(result, result.metrics(), f"metrics ({result.n:,} requests)")
    if unknown:
        out.print(f"[yellow]topics the model has never seen:[/yellow] {', '.join(unknown)}")
    if links is not None:
        names = {"hit_at_1": "hit@1", "hit_at_3": "hit@3", "with_links": "any link shown"}
        rows = [("requests a page resolved", f"{links['rows']:,.0f}")]
        rows += [(name, f"{links[key]:.4f}") for key, name in names.items()]
        out.print(key_value_table("documentation links", rows))
        if links["unknown_docs"]:
            out.print(
                f"[yellow]{links['unknown_docs']:.0f} of {links['rows']:.0f} requests name a "
                "page the catalogue does not have[/yellow] (counted as misses)"
            )


def _link_metrics(suggester: Suggester, dataset: Dataset, doc_col: str) -> dict[str, float] | None:
    """hit@1/hit@3 on the rows whose ``doc_col`` names a page; None (with a note on stderr)
    when there is no catalogue or no such column."""
    expected = dataset.extra.get(doc_col)
    if suggester.docs is None or expected is None:
        missing = "no documentation catalogue" if suggester.docs is None else f"no {doc_col!r}"
        err.print(f"[dim]documentation links not scored: {missing}[/dim]")
        return None
    from supportml.docs import link_hits

    rows = [i for i, doc in enumerate(expected) if doc]
    with stage(f"rank documentation for {len(rows):,} requests resolved by a page"):
        links = suggester.links_many([dataset.texts[i] for i in rows])
    wanted = [expected[i] for i in rows]
    known = {entry.id for entry in suggester.docs.entries}
    return {**link_hits(links, wanted), "unknown_docs": float(sum(d not in known for d in wanted))}


@click.command()
@click.argument("text", required=False)
@model_option
@click.option(
    "--input",
    "input_path",
    type=click.Path(path_type=Path),
    help="Batch mode: a .csv/.jsonl file of requests.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    help="Batch mode: where to write the CSV with predictions.",
)
@click.option("--text-col", default="text", show_default=True, help="Batch mode: text column.")
@click.option("--encoding", default="utf-8", show_default=True, help="Batch mode: input encoding.")
@docs_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@clean_errors
def predict(
    ctx: click.Context,
    text: str | None,
    model_ref: str | None,
    input_path: Path | None,
    out_path: Path | None,
    text_col: str,
    encoding: str,
    docs_ref: str | None,
    as_json: bool,
) -> None:
    """Suggest a topic and documentation links for one request, or topics for every row of a
    file (batch mode adds no links).

    \b
    Examples:
      supportml predict "can someone approve my PR? <https://github.com/org/app/pull/12|#12>"
      supportml predict --docs handbook.yaml "getting exit code 137 on the build job"
      supportml predict --input backlog.csv --text-col message --out backlog_topics.csv
    """
    if (text is None) == (input_path is None):
        raise click.UsageError("give either a TEXT or --input FILE (with --out FILE)")
    if input_path is not None and out_path is None:
        raise click.UsageError("--input needs --out FILE")
    from supportml.suggest import Suggester

    settings = settings_of(ctx)
    if text is not None:
        one, card = resolve_one_text(model_ref, settings)
        docs = load_docs(docs_ref, settings, card.labels)
        _predict_one(Suggester.from_card(one, card, docs, settings.redactor), text, as_json)
    else:
        assert input_path is not None and out_path is not None  # checked above
        classifier, card = resolve_model(model_ref, settings)
        suggester = Suggester.from_card(classifier, card, redactor=settings.redactor)
        _predict_file(suggester, input_path, out_path, text_col, encoding, as_json)


def _predict_one(suggester: Suggester, text: str, as_json: bool) -> None:
    suggestion = suggester.suggest(text)
    if as_json:
        click.echo(json.dumps(suggestion.to_dict()))
        return
    _print_suggestion(suggestion, suggester.docs)


def _print_suggestion(suggestion: Suggestion, docs: DocIndex | None) -> None:
    verdict = (
        "[yellow]not sure[/yellow] (below the abstention threshold); best guess"
        if suggestion.abstained
        else "topic"
    )
    out.print(f"{verdict}: [bold]{suggestion.topic}[/bold] ({suggestion.confidence:.2f})")
    for topic, probability in suggestion.alternatives[1:]:
        out.print(f"  or {topic} ({probability:.2f})")
    if suggestion.explanation:
        terms = ", ".join(term for term, _ in suggestion.explanation)
        out.print(f"[dim]because of: {terms}[/dim]", soft_wrap=True)
    if docs is None:
        return
    if not suggestion.links:
        out.print(f"[dim]docs: no page scores {docs.min_score:.2f} or more[/dim]")
    for rank, link in enumerate(suggestion.links, start=1):
        out.print(
            f"docs {rank}: [bold]{escape(link.title)}[/bold] {link.url} "
            f"[dim]({link.score:.2f}; {escape(', '.join(link.reason))})[/dim]",
            soft_wrap=True,
        )


def _predict_file(
    suggester: Suggester,
    input_path: Path,
    out_path: Path,
    text_col: str,
    encoding: str,
    as_json: bool,
) -> None:
    from rich.progress import Progress

    from supportml.data import read_table

    with stage(f"read {input_path}"):
        frame = read_table(input_path, text_col, encoding)
    start = time.perf_counter()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("predicting", total=len(frame))
        backlog = suggester.suggest_backlog(
            frame[text_col].tolist(), advance=lambda n: progress.advance(task, n)
        )
    elapsed = time.perf_counter() - start
    frame["predicted_topic"] = backlog.topics
    frame["confidence"] = backlog.confidence.round(4)
    frame["abstained"] = backlog.abstained
    predicted = len(frame) - backlog.empty
    out_path.parent.mkdir(parents=True, exist_ok=True)
    frame.map(safe_cell).to_csv(out_path, index=False)
    summary = {
        "rows": len(frame),
        "predicted": predicted,
        "empty_text": backlog.empty,
        "abstained": int(backlog.abstained.sum()) - backlog.empty,
        "seconds": round(elapsed, 3),
        "out": str(out_path),
        "model_version": suggester.model_version,
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    err.print(
        f"[green]✓[/green] predicted {predicted:,} rows in {elapsed:.2f} s "
        f"({predicted / max(elapsed, 1e-9):,.0f} rows/s)"
    )
    out.print(
        f"wrote {out_path}: {summary['abstained']:,} of {predicted:,} abstained"
        + (f"; {backlog.empty:,} rows with empty text left blank" if backlog.empty else "")
    )


# -- `supportml model ...`: the registry, by hand ------------------------------------------------
@click.group("model")
def model() -> None:
    """See the registered model versions and move @champion by hand.

    Every change is recorded on the version (tags and description, visible in the MLflow UI)
    with who made it and why. A responder serving models:/supportml-topic@champion follows the
    alias within its --reload-minutes; one serving a models/ directory does not.

    \b
    Examples:
      supportml model list
      supportml model show 3
      supportml model promote 3 --reason "v4 mislabels access requests"
      supportml model rollback --reason "abstains on half the channel since 09:00"
    """


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
reason_option = click.option(
    "--reason", required=True, help="Why; recorded on the version for whoever looks next."
)
by_option = click.option(
    "--by", help="Who is making the change, recorded with it  [default: your login name]"
)


@model.command("list")
@json_option
@click.pass_context
@clean_errors
def list_versions(ctx: click.Context, as_json: bool) -> None:
    """List the registered versions, newest first, and which one is @champion.

    \b
    Examples:
      supportml model list
      MLFLOW_TRACKING_URI=http://mlflow:5000 supportml model list --json
    """
    from supportml.tracking import versions

    found = versions(settings_of(ctx))
    if as_json:
        click.echo(json.dumps([v.to_dict() for v in found]))
        return
    table = Table(title=settings_of(ctx).registered_model, title_justify="left")
    for column in ("version", "aliases", "registered", "card version", "last change"):
        table.add_column(column)
    for v in found:
        change = v.tags.get("supportml.action")
        table.add_row(
            v.version,
            " ".join(f"@{a}" for a in v.aliases),
            f"{v.created:%Y-%m-%d %H:%M}",
            v.card_version or "",
            escape(f"{change} by {v.tags.get('supportml.by')}" if change else ""),
        )
    out.print(table)


@model.command("show")
@click.argument("version")
@json_option
@click.pass_context
@clean_errors
def show_version(ctx: click.Context, version: str, as_json: bool) -> None:
    """Show one version: aliases, card version, training metrics and its change log.

    \b
    Examples:
      supportml model show 3
      supportml model show 3 --json
    """
    from supportml.tracking import version_detail

    found = version_detail(settings_of(ctx), version)
    if as_json:
        click.echo(json.dumps(found.to_dict()))
        return
    rows = [
        ("aliases", " ".join(f"@{a}" for a in found.aliases) or "-"),
        ("registered", f"{found.created:%Y-%m-%d %H:%M} UTC"),
        ("card version", found.card_version or "-"),
        ("run", found.run_id or "-"),
    ]
    out.print(key_value_table(f"version {found.version}", rows))
    if found.metrics:
        out.print(key_value_table("training metrics", _metric_rows(found.metrics)))
    if found.description:
        out.print(escape(found.description), soft_wrap=True)


def _who(by: str | None) -> str:
    import getpass

    return by or getpass.getuser()


@model.command("promote")
@click.argument("version")
@reason_option
@by_option
@click.pass_context
@clean_errors
def promote_version(ctx: click.Context, version: str, reason: str, by: str | None) -> None:
    """Make VERSION the @champion; `model rollback` undoes it.

    \b
    Examples:
      supportml model promote 3 --reason "v4 mislabels access requests"
      supportml model promote 5 --by alice --reason "retrained on the new taxonomy"
    """
    from supportml.tracking import promote

    moved = promote(settings_of(ctx), version, _who(by), reason)
    _print_move(moved)


@model.command("rollback")
@reason_option
@by_option
@click.pass_context
@clean_errors
def rollback_champion(ctx: click.Context, reason: str, by: str | None) -> None:
    """Move @champion back to the version that held it before the last promotion.

    \b
    Examples:
      supportml model rollback --reason "abstains on half the channel since 09:00"
    """
    from supportml.tracking import rollback

    _print_move(rollback(settings_of(ctx), _who(by), reason))


def _print_move(moved: AliasMove) -> None:
    before = f"version {moved.previous}" if moved.previous else "no champion"
    out.print(f"{moved.name}@{CHAMPION_ALIAS}: {before} -> version {moved.champion}")
