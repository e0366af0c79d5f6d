"""What every command shares: the data-dir and database options, the one way to open the
runtime, and account lookups with clear errors. Heavy modules are imported only when a command
opens the runtime."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ductwork.core.datadir import SERVER_FILE, read_json

if TYPE_CHECKING:
    from ductwork.core.accounts import Account
    from ductwork.runtime import Runtime

FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".ductwork"),
    show_default=True,
    envvar="DUCTWORK_DATA_DIR",
    help="Directory for the embedded database and the demo credentials.",
)
database_option = click.option(
    "--database-url",
    envvar="DUCTWORK_DATABASE_URL",
    default=None,
    help="postgresql://user@host/db to use PostgreSQL instead of SQLite in the data dir "
    "(default: the database of the last server started on the data dir, else SQLite there).",
)


DEMO_HISTORY_DAYS = 3.0  # the runtime's default, repeated so `--help` needs no runtime import


def history_days_option(help_text: str, default: float = DEMO_HISTORY_DAYS) -> Callable[[FC], FC]:
    """--history-days: days of simulated history behind a demo world (0 to 60)."""
    return click.option("--history-days", default=default, show_default=True,
                        type=click.FloatRange(0, 60), help=help_text)  # fmt: skip


def database_url_for(data_dir: Path, database_url: str | None) -> str | None:
    """The database a command acts on: the one named, else that of the server running on the
    data dir (or of its last start), else None (the embedded SQLite of the data dir)."""
    if database_url:
        return database_url
    server = read_json(data_dir / SERVER_FILE)
    return None if server is None else str(server.get("database_url") or "") or None


@contextlib.contextmanager
def opened(data_dir: Path, database_url: str | None, **options: Any) -> Iterator[Runtime]:
    """The runtime on a data dir's database, closed when the command ends; a database that
    cannot be opened is a clear error, not a traceback."""
    from ductwork.runtime import Runtime

    try:
        runtime = Runtime.open(data_dir, database_url_for(data_dir, database_url), **options)
    except Exception as exc:  # connection refused, bad URL, unwritable directory
        raise click.ClickException(f"cannot open the database: {exc}") from exc
    try:
        yield runtime
    finally:
        runtime.close()


def account(runtime: Runtime, email: str) -> Account:
    """The account with this email, or a clear error."""
    found = runtime.accounts.by_email(email)
    if found is None:
        raise click.ClickException(f"no account {email}")
    return found


def account_or_demo(runtime: Runtime, email: str | None) -> Account:
    """The named account, else the demo account of the data dir."""
    stored = runtime.load_credentials()
    email = email or (stored["email"] if stored else None)
    if email is None:
        raise click.ClickException("no demo world here: name an account with --account")
    return account(runtime, email)


def owners(runtime: Runtime) -> dict[int, str]:
    """Every account's email by id (for listings)."""
    return {a.id: a.email for a in runtime.accounts.all()}
