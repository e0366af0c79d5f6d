"""`ductwork automategreen ...`: sign-in tokens, and taking a simulated device off line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ductwork.cli.options import account_or_demo, data_dir_option, database_option, opened

DEFAULT_EXPIRES = 14 * 86_400


@click.group("automategreen")
def group() -> None:
    """Automate Green: sign-in tokens and device faults."""


@group.command("token")
@click.option("--account", "email", default=None, help="Account (default: the demo account).")
@click.option("--expires", default=DEFAULT_EXPIRES, show_default=True, type=click.IntRange(min=1),
              help="Seconds (of the account's clock) it is good for.")  # fmt: skip
@click.option("--desc", default="ductwork cli", show_default=True, help="Its description.")
@data_dir_option
@database_option
def token(
    email: str | None, expires: int, desc: str, data_dir: Path, database_url: str | None
) -> None:
    """Issue a sign-in token (as POST /v1/signin does) and print it."""
    from ductwork.vendors.automategreen.backend import AutomateGreenBackend

    with opened(data_dir, database_url) as runtime:
        owner = account_or_demo(runtime, email)
        click.echo(runtime.backend(AutomateGreenBackend).service.tokens.issue(owner, expires, desc))


@group.command("tokens")
@click.option("--account", "email", default=None, help="Account (default: the demo account).")
@data_dir_option
@database_option
def tokens(email: str | None, data_dir: Path, database_url: str | None) -> None:
    """List an account's live tokens (ids, expiry, description; never the tokens)."""
    from ductwork.vendors.automategreen.backend import AutomateGreenBackend

    with opened(data_dir, database_url) as runtime:
        owner = account_or_demo(runtime, email)
        listed = runtime.backend(AutomateGreenBackend).service.tokens.listing(owner)
        click.echo(json.dumps([t.wire() for t in listed], indent=2))


@group.command("online")
@click.argument("device_id")
@click.option("--off", is_flag=True, help="Take the device off line instead.")
@data_dir_option
@database_option
def online(device_id: str, off: bool, data_dir: Path, database_url: str | None) -> None:
    """Bring a simulated device back on line (or, with --off, take it off line: its API
    commands then answer 503, and async ones are kept until it returns)."""
    from ductwork.vendors.automategreen.backend import AutomateGreenBackend
    from ductwork.vendors.automategreen.exceptions import AutomateGreenError

    with opened(data_dir, database_url) as runtime:
        service = runtime.backend(AutomateGreenBackend).service
        try:
            device = service.set_online(device_id, not off)
        except AutomateGreenError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(json.dumps(device, indent=2))
