"""What every command shares: consoles, the clean-error wrapper, stage timings, settings."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from supportml.config import ACK_TARGET_HOURS, Settings
from supportml.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from supportml.ownership import Ownership

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

EXIT_INPUT = 2  # bad data, bad model file, bad parameters: the user can fix it


def clean_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become `error: …` on stderr with exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            sys.exit(EXIT_INPUT)

    return wrapper


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Spinner while a step runs, then `✓ step (1.23 s)` on stderr."""
    start = time.perf_counter()
    with err.status(f"{name}…"):
        yield
    err.print(f"[green]✓[/green] {name} [dim]({time.perf_counter() - start:.2f} s)[/dim]")


def settings_of(ctx: click.Context) -> Settings:
    """The command's Settings, built once per invocation from the environment."""
    return ctx.ensure_object(dict).setdefault("settings", Settings.from_env())


def key_value_table(title: str, rows: list[tuple[str, str]]) -> Table:
    """A borderless two-column table: bold names, right-aligned values."""
    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


database_option = click.option(
    "--database-url",
    help="SQLAlchemy URL of the store  [default: $SUPPORTML_DATABASE_URL or sqlite:///supportml.db]",
)


teams_option = click.option(
    "--teams",
    "teams_file",
    type=click.Path(path_type=Path),
    help="Ownership file: topics -> owning teams and their on-support rotations  "
    "[default: $SUPPORTML_TEAMS or none]",
)


def load_teams(ctx: click.Context, teams_file: Path | None) -> Ownership | None:
    """The ownership file named by --teams or SUPPORTML_TEAMS, validated; None when neither."""
    from supportml.ownership import load_ownership

    path = teams_file or settings_of(ctx).teams_file
    return None if path is None else load_ownership(path)


def store_engine(ctx: click.Context, database_url: str | None, *, create: bool = True) -> Engine:
    """The store named by --database-url or the settings; ``create`` makes an empty one usable."""
    from supportml.store import connect, open_store  # SQLAlchemy only for commands that need it

    url = database_url or settings_of(ctx).database_url
    return open_store(url) if create else connect(url)


def parse_moment(value: str | None, option: str) -> datetime | None:
    """An ISO date or time from an option; without a zone it is UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-03-01", param_hint=option
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clock_range_of(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """A click callback: ``"09:00-17:00"`` -> (time, time) by `business_time.clock_range`."""
    from supportml.business_time import clock_range  # numpy/pandas only once a command runs

    if value is None or not value.strip():
        return None
    try:
        return clock_range(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def business_hours_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--business-hours, --timezone and --target-hours: when people are expected to answer
    (`report`, `digest` and `serve`'s follow-up read the same SUPPORTML_* variables)."""
    options = [
        click.option(
            "--business-hours", default="09:00-17:00", show_default=True,
            envvar="SUPPORTML_BUSINESS_HOURS", callback=clock_range_of,
            help="Opening hours on weekdays (env SUPPORTML_BUSINESS_HOURS).",
        ),
        click.option(
            "--timezone", default="UTC", show_default=True, envvar="SUPPORTML_TIMEZONE",
            help="IANA zone of the business hours (env SUPPORTML_TIMEZONE).",
        ),
        click.option(
            "--target-hours", type=click.FloatRange(min=0, min_open=True), default=ACK_TARGET_HOURS,
            show_default=True, envvar="SUPPORTML_ACK_TARGET_HOURS",
            help="Acknowledgement target in business hours (env SUPPORTML_ACK_TARGET_HOURS).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def business_hours_of(business_hours: tuple[Any, Any], timezone: str, target_hours: float) -> Any:
    """The BusinessHours the options above describe."""
    from supportml.business_time import BusinessHours

    return BusinessHours(*business_hours, timezone, target_hours)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# the unit files, written once in the repository; the *-schedule commands print how to adjust them
UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
ENV_FILE = "/etc/supportml/supportml.env"  # what the units' EnvironmentFile= names


def schedule_options(
    what: str, hour: int, env_file_help: str, args_name: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every `*-schedule` command takes: weekday, hour and env file, then the
    arguments passed on to the scheduled command."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option(
                "--weekday", type=click.Choice(WEEKDAYS), default="mon", show_default=True,
                help=f"Day of the week to {what}.",
            ),
            click.option(
                "--hour", type=click.IntRange(0, 23), default=hour, show_default=True,
                help="Hour (local time).",
            ),
            click.option("--env-file", default=ENV_FILE, show_default=True, help=env_file_help),
            click.argument(args_name, nargs=-1, type=click.UNPROCESSED),
        ]  # fmt: skip
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def schedule_text(
    job: str,
    weekday: str,
    hour: int,
    env_file: str,
    command: list[str],
    args_variable: str,
    args: tuple[str, ...],
) -> str:
    """A weekly cron line for ``supportml COMMAND ARGS``, and how to set the same day, hour and
    arguments for the supportml-JOB.service and .timer in deploy/systemd/."""
    executable = shutil.which("supportml") or f"{sys.executable} -m supportml"
    day = WEEKDAYS.index(weekday) + 1
    steps = [
        f"cd {shlex.quote(str(Path.cwd()))}",
        f"set -a && . {shlex.quote(env_file)} && set +a",
        f"{executable} {shlex.join([*command, *args])} >> {job}.log 2>&1",
    ]
    units = UNITS if UNITS.is_dir() else "deploy/systemd/ in the supportml repository"
    return f"""# cron (crontab -e): every {weekday.title()} at {hour:02d}:00
0 {hour} * * {day % 7} {" && ".join(steps)}

# systemd: install supportml-{job}.service and .timer from {units}
# (README "Running it for a team"), then set the day and hour:
#   systemctl edit supportml-{job}.timer
[Timer]
OnCalendar=
OnCalendar={weekday.title()} *-*-* {hour:02d}:00:00

# and the arguments, in {ENV_FILE}:
{args_variable}={shlex.join(args)}

# then: systemctl daemon-reload && systemctl enable --now supportml-{job}.timer"""
