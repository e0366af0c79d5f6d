"""The root command, the core commands, and every registered vendor's group."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ductwork import __version__
from ductwork.cli.options import (
    account_or_demo,
    data_dir_option,
    database_option,
    database_url_for,
    history_days_option,
    opened,
)
from ductwork.cli.serve import serve
from ductwork.core.datadir import CREDENTIALS_FILE, SERVER_FILE, read_json, resolve_url
from ductwork.registry import VENDORS, public_credentials
from ductwork.vendors.contract import load_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ductwork")
def main() -> None:
    """ductwork: vendor device-cloud APIs over live simulated devices."""


main.add_command(serve)


@main.command()
@data_dir_option
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print compact JSON (one line).")
@click.option("--base-url", default=None, help="Server base URL (default: the URL of the server "
              "running on the data dir, else of its last start).")  # fmt: skip
def credentials(
    data_dir: Path, database_url: str | None, as_json: bool, base_url: str | None
) -> None:
    """Print the demo credentials with the URLs of the server on this data dir."""
    stored = read_json(data_dir / CREDENTIALS_FILE)
    url = resolve_url(data_dir, database_url_for(data_dir, database_url))
    if stored is None or stored.get("database_url") != url:
        raise click.ClickException(
            f"no demo world in {data_dir} for {url.split('@')[-1]}: start `ductwork serve` once "
            "without --no-demo"
        )
    server = read_json(data_dir / SERVER_FILE) or {}
    if base_url is None:
        from ductwork.core.datadir import running_server

        if running_server(data_dir) is None:
            click.echo(
                f"note: no server is running on {data_dir}; these are the URLs of its last start",
                err=True,
            )
        base_url = str(server.get("base_url") or "http://localhost:8000")
    document = public_credentials(stored, base_url, server.get("root_urls"))
    click.echo(json.dumps(document, indent=None if as_json else 2))


@main.group()
def users() -> None:
    """Manage accounts (tenants)."""


@users.command("create")
@click.option("--email", required=True, help="Login email of the new account.")
@click.option("--password", required=True, help="Its password (at least 8 characters).")
@click.option("--demo", is_flag=True, help="Give the account its own demo world (every vendor).")
@history_days_option("Days of simulated history for --demo.", default=1.0)
@data_dir_option
@database_option
def users_create(
    email: str, password: str, demo: bool, history_days: float, data_dir: Path,
    database_url: str | None,
) -> None:  # fmt: skip
    """Add an account."""
    from ductwork.core.accounts import AccountError

    with opened(data_dir, database_url) as runtime:
        try:
            created = runtime.accounts.create(email, password)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        result: dict[str, Any] = {"id": created.id, "email": created.email}
        if demo:
            length = runtime.demo_minutes(created, history_days)
            with click.progressbar(length=length, label="Simulating history",
                                   file=sys.stderr) as bar:  # fmt: skip
                result.update(runtime.add_demo_world(created, history_days, progress=bar.update))
    click.echo(json.dumps(result))


@users.command("list")
@data_dir_option
@database_option
def users_list(data_dir: Path, database_url: str | None) -> None:
    """List accounts."""
    with opened(data_dir, database_url) as runtime:
        for each in runtime.accounts.all():
            click.echo(f"{each.id}\t{each.email}")


def _seconds(text: str) -> float:
    """'90', '90s', '15m', '12h' or '30d' as seconds."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
    try:
        if text[-1:] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration like 90, 15m, 12h or 30d") from None


@main.command()
@click.option("--account", "email", default=None, help="Account email (default: the demo account).")
@click.option("--advance", default=None, help="Move forward by a duration: 90, 15m, 12h, 30d.")
@click.option("--speed", type=click.FloatRange(0, 100_000, min_open=True), default=None,
              help="Virtual seconds per real second.")  # fmt: skip
@click.option("--freeze/--unfreeze", default=None, help="Stop or restart the clock.")
@data_dir_option
@database_option
def clock(
    email: str | None, advance: str | None, speed: float | None, freeze: bool | None,
    data_dir: Path, database_url: str | None,
) -> None:  # fmt: skip
    """Show or change an account's clock (the same as /_ductwork/clock).

    Moving a clock forward makes the twins simulate the time in between: on the next read,
    or within seconds on a running server.
    """
    seconds = _seconds(advance) if advance is not None else 0.0
    if seconds < 0:
        raise click.BadParameter("clocks only move forward", param_hint="--advance")
    with opened(data_dir, database_url) as runtime:
        target = account_or_demo(runtime, email)
        if seconds or speed is not None or freeze is not None:
            state = runtime.clocks.change(
                target.id, advance_seconds=seconds, speed=speed, freeze=freeze
            )
        else:
            state = runtime.clocks.state(target.id)
        click.echo(json.dumps(state.document(runtime.clocks.real())))


@main.command()
@click.option("--days", type=click.FloatRange(0, 3660, min_open=True), required=True,
              help="Days of history to simulate, ending at the account's now.")  # fmt: skip
@click.option("--account", "email", default=None, help="Account email (default: the demo account).")
@data_dir_option
@database_option
def simulate(days: float, email: str | None, data_dir: Path, database_url: str | None) -> None:
    """Backfill: simulate all the account's devices afresh over the last N days.

    Every vendor's devices (barns, homes...) restart from a settled state N days ago and run
    minute by minute to now; their previous history is replaced.
    """
    with opened(data_dir, database_url) as runtime:
        target = account_or_demo(runtime, email)
        length = runtime.backfill_minutes(target, days)
        with click.progressbar(length=length, label="Simulating", file=sys.stderr,
                               show_pos=True) as bar:  # fmt: skip
            worlds = runtime.backfill(target, days, progress=bar.update)
        click.echo(json.dumps({"account": target.email, "days": days, **worlds}))


@main.command()
@click.option("--account", "email", default=None, help="Account email (default: the demo account).")
@history_days_option("Days of history behind the new world.")
@data_dir_option
@database_option
def reset(email: str | None, history_days: float, data_dir: Path, database_url: str | None) -> None:
    """Put an account's world back to the demo state (the same as POST /_ductwork/reset).

    Every vendor's devices are deleted with their history and settings and the demo world is
    built again at the account's now; accounts, keys, OAuth clients and tokens stay. Device
    ids change: the output (and `ductwork credentials`, for the demo account) shows the new ones.
    """
    with opened(data_dir, database_url) as runtime:
        target = account_or_demo(runtime, email)
        length = runtime.demo_minutes(target, history_days)
        with click.progressbar(length=length, label="Rebuilding", file=sys.stderr) as bar:
            worlds = runtime.reset(target, history_days, progress=bar.update)
        click.echo(json.dumps({"account": target.email, **worlds}))


def _alias(group: click.Group, name: str, vendor: str) -> click.Group:
    """An old top-level name for a vendor's command group, kept for one release."""
    return click.Group(
        name,
        commands=group.commands,
        help=f"Old name of `ductwork {vendor} {group.name}`, kept for one release. {group.help}",
    )


for _vendor in VENDORS:
    _module = load_cli(_vendor)
    if _module is None:
        continue
    main.add_command(_module.group, _vendor.name)
    for _old, _sub in getattr(_module, "aliases", {}).items():
        main.add_command(_alias(_module.group.commands[_sub], _old, _vendor.name), _old)
