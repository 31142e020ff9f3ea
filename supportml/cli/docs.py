"""Documentation commands: index a docs tree into the catalogue that links come from."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from supportml.cli._common import clean_errors, err, out, settings_of


@click.group()
def docs() -> None:
    """Documentation catalogue: `predict`, `serve` and `replay` link to its pages.

    \b
    Examples:
      supportml docs index datasets/docs --base-url https://handbook.example.gov/
    """


@docs.command("index")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--base-url",
    required=True,
    help="Where PATH is published, e.g. https://handbook.example.gov/",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=Path("docs_catalogue.yaml"),
    show_default=True,
    help="Catalogue to write; if it exists, only changed pages are re-read.",
)
@click.option(
    "--model",
    "model_ref",
    help="Check the pages' topics against this model's (a models/ directory or models:/ URI).",
)
@click.option("--skip-invalid", is_flag=True, help="Skip (and list) bad pages instead of stopping.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@clean_errors
def index(
    ctx: click.Context,
    path: Path,
    base_url: str,
    out_path: Path,
    model_ref: str | None,
    skip_invalid: bool,
    as_json: bool,
) -> None:
    """Index the Markdown and HTML pages under PATH (recursively) into a catalogue.

    \b
    Per page: the title from front matter or the first heading; the url is the base URL plus
    the page's path, Markdown pages published as .html (front matter `url:` overrides it);
    topics, keywords and summary from front matter (HTML: <meta name="topics|keywords|
    description">); the text with headings weighted. Folders starting with . or _ are skipped.

    \b
    Examples:
      supportml docs index datasets/docs --base-url https://handbook.example.gov/ \\
          --out datasets/docs_catalogue.yaml
      supportml docs index ../handbook --base-url https://handbook.example.gov/ \\
          --model models/supportml-topic
      SUPPORTML_DOCS=docs_catalogue.yaml supportml predict "exit code 137 on the build job"
    """
    from rich.progress import Progress

    from supportml.docs import Catalogue, index_tree, page_files  # scipy: not for --help

    topics = _model_topics(ctx, model_ref) if model_ref else None
    previous = Catalogue.load(out_path) if out_path.exists() else None
    total = len(page_files(path))
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("indexing pages", total=total)
        result = index_tree(
            path,
            base_url,
            previous,
            topics=topics,
            skip_invalid=skip_invalid,
            advance=lambda n: progress.advance(task, n),
        )
    result.catalogue.save(out_path)
    for reason in result.skipped:
        err.print(f"[yellow]skipped:[/yellow] {escape(reason)}", soft_wrap=True)
    counts = result.counts()
    if as_json:
        click.echo(json.dumps({"out": str(out_path), **counts}))
        return
    out.print(
        f"wrote {out_path}: {counts['pages']:,} pages ({counts['added']:,} added, "
        f"{counts['changed']:,} changed, {counts['unchanged']:,} unchanged, "
        f"{counts['removed']:,} removed"
        + (f", {counts['skipped']:,} skipped" if counts["skipped"] else "")
        + ")",
        soft_wrap=True,
    )


def _model_topics(ctx: click.Context, model_ref: str) -> list[str]:
    """The model's topics; a local export's are read from its card without unpickling."""
    from supportml.cli.model import model_card

    return model_card(model_ref, settings_of(ctx)).labels
