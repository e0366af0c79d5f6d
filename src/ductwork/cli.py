"""The `ductwork` command: serve, credentials, users and API keys."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from ductwork import __version__
from ductwork.core.accounts import Account, AccountError
from ductwork.runtime import (
    DEMO_HISTORY_DAYS,
    FLAIR_TOKEN_LIMIT,
    PHASON_KEY_VENDOR,
    Runtime,
    public_credentials,
)

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
    help="postgresql://user@host/db to use PostgreSQL instead of SQLite in the data dir.",
)


def loopback(host: str) -> bool:
    """Whether `serve --host` listens on this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _open(
    data_dir: Path, database_url: str | None, flair_token_limit: int = FLAIR_TOKEN_LIMIT
) -> Runtime:
    try:
        return Runtime.open(data_dir, database_url, flair_token_limit=flair_token_limit)
    except Exception as exc:  # connection refused, bad URL, unwritable directory
        raise click.ClickException(f"cannot open the database: {exc}") from exc


def _account(runtime: Runtime, email: str) -> Account:
    """The account with this email, or a clear error."""
    account = runtime.accounts.by_email(email)
    if account is None:
        raise click.ClickException(f"no account {email}")
    return account


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ductwork")
def main() -> None:
    """ductwork: vendor device-cloud APIs over live simulated devices."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Main HTTP port.")
@data_dir_option
@database_option
@click.option("--no-demo", is_flag=True, help="Do not create the demo world on first start.")
@click.option(
    "--history-days",
    default=DEMO_HISTORY_DAYS,
    show_default=True,
    type=click.FloatRange(0, 60),
    help="Days of simulated history the demo world starts with.",
)
@click.option(
    "--flair-token-limit",
    default=FLAIR_TOKEN_LIMIT,
    show_default=True,
    type=click.IntRange(min=0),
    metavar="N",
    envvar="DUCTWORK_FLAIR_TOKEN_LIMIT",
    show_envvar=True,
    help="New Flair tokens an application may create a day for each account, as the real "
    "service allows (refreshing does not count); 0 disables the limit.",
)
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
def serve(
    host: str,
    port: int,
    data_dir: Path,
    database_url: str | None,
    no_demo: bool,
    history_days: float,
    flair_token_limit: int,
    log_level: str,
) -> None:
    """Serve every API, the control plane and the dashboard."""
    import uvicorn

    from ductwork.http.app import create_app
    from ductwork.http.status_lines import use_upper_case_reason_phrases

    runtime = _open(data_dir, database_url, flair_token_limit)
    base_url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"  # noqa: S104
    stored = None
    if not no_demo:
        stored = runtime.load_credentials()
        if stored is None:
            minutes = int(history_days * 1440)
            with click.progressbar(
                length=minutes, label="Simulating the demo barn's history", file=sys.stderr
            ) as bar:
                stored, _ = runtime.ensure_demo(history_days, progress=bar.update)
    click.echo(f"ductwork {__version__} on {base_url} (database: {runtime.engine.dialect.name})")
    click.echo(f"  Dashboard              {base_url}/")
    click.echo(f"  Phason API v1.0.3      {base_url}/phason/v1.0.3   (docs: /phason/v1.0.3/docs)")
    click.echo(f"  Phason AutoFlex v1.0.2 {base_url}/phason   (docs: /phason/docs)")
    click.echo(f"  Flair API              {base_url}/flair   (docs: /flair/docs)")
    click.echo(f"  Control plane          {base_url}/_ductwork/health")
    if not loopback(host):
        click.echo(
            f"warning: listening on {host}: the dashboard (demo credentials) and /_ductwork "
            "(clocks, webhook deliveries) have no authentication, so anyone who can reach this "
            "port can use them; serve on 127.0.0.1 or behind a proxy that authenticates.",
            err=True,
        )
    if stored is not None:
        creds = public_credentials(stored, base_url)
        click.echo("Demo credentials (also: ductwork credentials --json):")
        click.echo(f"  email     {creds['email']}")
        click.echo(f"  password  {creds['password']}")
        click.echo(f"  Phasonkey {creds['phason']['api_key']}")
        click.echo(f"  devices   {', '.join(creds['phason']['device_ids'])}")
        click.echo(f"  Phason OAuth client_id     {creds['phason']['client_id']}")
        click.echo(f"  Phason OAuth client_secret {creds['phason']['client_secret']}")
        click.echo(f"  Phason OAuth redirect_uri  {creds['phason']['redirect_uri']}")
        if "flair" in creds:
            click.echo(f"  Flair client_id     {creds['flair']['client_id']}")
            click.echo(f"  Flair client_secret {creds['flair']['client_secret']}")
    app = create_app(runtime)
    use_upper_case_reason_phrases()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level.lower() in ("debug", "trace", "info"),
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal into the
    # handler it found; a no-op one makes a graceful stop exit with status 0.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: None)
    try:
        uvicorn.Server(config).run()
    finally:
        runtime.close()
    click.echo("ductwork stopped.")


@main.command()
@data_dir_option
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the only format for now).")
@click.option(
    "--base-url", default="http://localhost:8000", show_default=True, help="Server base URL."
)
def credentials(data_dir: Path, database_url: str | None, as_json: bool, base_url: str) -> None:
    """Print the demo credentials."""
    runtime = _open(data_dir, database_url)
    stored = runtime.load_credentials()
    runtime.close()
    if stored is None:
        raise click.ClickException(
            f"no demo world in {data_dir}: start `ductwork serve` once without --no-demo"
        )
    click.echo(json.dumps(public_credentials(stored, base_url), indent=2 if not as_json else None))


@main.group()
def users() -> None:
    """Manage accounts (tenants)."""


@users.command("create")
@click.option("--email", required=True, help="Login email of the new account.")
@click.option("--password", required=True, help="Its password (at least 8 characters).")
@click.option("--demo", is_flag=True, help="Give the account its own demo barn.")
@click.option(
    "--history-days", default=1.0, show_default=True, type=click.FloatRange(0, 60),
    help="Days of simulated history for --demo.",
)  # fmt: skip
@data_dir_option
@database_option
def users_create(
    email: str,
    password: str,
    demo: bool,
    history_days: float,
    data_dir: Path,
    database_url: str | None,
) -> None:
    """Add an account."""
    runtime = _open(data_dir, database_url)
    try:
        account = runtime.accounts.create(email, password)
        result: dict[str, Any] = {"id": account.id, "email": account.email}
        if demo:
            with click.progressbar(
                length=int(history_days * 1440), label="Simulating history", file=sys.stderr
            ) as bar:
                ids = runtime.add_demo_world(account, history_days, progress=bar.update)
            result["phason_device_ids"] = [str(i) for i in ids]
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(json.dumps(result))


@users.command("list")
@data_dir_option
@database_option
def users_list(data_dir: Path, database_url: str | None) -> None:
    """List accounts."""
    runtime = _open(data_dir, database_url)
    for account in runtime.accounts.all():
        click.echo(f"{account.id}\t{account.email}")
    runtime.close()


@main.group("api-keys")
def api_keys() -> None:
    """Manage Phason API keys (stored hashed; a key is shown only when created)."""


@api_keys.command("create")
@click.option("--email", required=True, help="Account that gets the key.")
@data_dir_option
@database_option
def api_keys_create(email: str, data_dir: Path, database_url: str | None) -> None:
    """Create a key for an account and print it once."""
    runtime = _open(data_dir, database_url)
    try:
        account = _account(runtime, email)
        click.echo(runtime.accounts.issue_key(account, PHASON_KEY_VENDOR))
    finally:
        runtime.close()


@api_keys.command("list")
@click.option("--email", default=None, help="Only this account's keys.")
@data_dir_option
@database_option
def api_keys_list(email: str | None, data_dir: Path, database_url: str | None) -> None:
    """List keys: id, account, first characters, created, revoked."""
    runtime = _open(data_dir, database_url)
    try:
        if email is not None:
            _account(runtime, email)
        click.echo("id\taccount\tprefix\tcreated\trevoked")
        for key in runtime.accounts.list_keys(email):
            created = dt.datetime.fromtimestamp(key.created_at, dt.UTC).isoformat(
                timespec="seconds"
            )
            revoked = (
                dt.datetime.fromtimestamp(key.revoked_at, dt.UTC).isoformat(timespec="seconds")
                if key.revoked_at
                else "-"
            )
            click.echo(f"{key.id}\t{key.account_email}\t{key.prefix}…\t{created}\t{revoked}")
    finally:
        runtime.close()


@api_keys.command("revoke")
@click.argument("key_id", type=int)
@data_dir_option
@database_option
def api_keys_revoke(key_id: int, data_dir: Path, database_url: str | None) -> None:
    """Revoke a key by its id (see `api-keys list`)."""
    runtime = _open(data_dir, database_url)
    try:
        if not runtime.accounts.revoke_key(key_id):
            raise click.ClickException(f"no live key with id {key_id}")
        click.echo(f"revoked key {key_id}")
    finally:
        runtime.close()


@main.group("flair-apps")
def flair_apps() -> None:
    """Manage Flair partner applications (OAuth clients; secrets stored hashed, shown once)."""


@flair_apps.command("create")
@click.option("--email", required=True, help="Account that owns the application.")
@click.option("--name", required=True, help="Name shown to users on the authorization page.")
@click.option("--description", default="", help="Short description of the application.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Allowed redirect URI "
              "(repeatable; the first is the default).")  # fmt: skip
@click.option("--scope", "scopes", multiple=True, help="Scope the application may request "
              "(repeatable; default: every scope).")  # fmt: skip
@data_dir_option
@database_option
def flair_apps_create(
    email: str,
    name: str,
    description: str,
    redirect_uris: tuple[str, ...],
    scopes: tuple[str, ...],
    data_dir: Path,
    database_url: str | None,
) -> None:
    """Register an application and print its client id and secret (the secret only now)."""
    runtime = _open(data_dir, database_url)
    try:
        account = _account(runtime, email)
        extra = {"scopes": scopes} if scopes else {}
        try:
            application, secret = runtime.flair.applications.create(
                account, name, description=description, redirect_uris=redirect_uris, **extra
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps({"client_id": application.client_id, "client_secret": secret}))
    finally:
        runtime.close()


@flair_apps.command("list")
@click.option("--email", default=None, help="Only this account's applications.")
@data_dir_option
@database_option
def flair_apps_list(email: str | None, data_dir: Path, database_url: str | None) -> None:
    """List applications: client id, account, name, scopes (never secrets)."""
    runtime = _open(data_dir, database_url)
    try:
        owners = {a.id: a.email for a in runtime.accounts.all()}
        account_id = None
        if email is not None:
            account_id = _account(runtime, email).id
        click.echo("client_id\taccount\tname\tscopes")
        for app in runtime.flair.applications.list(account_id):
            scopes = " ".join(app.scopes)
            click.echo(f"{app.client_id}\t{owners[app.account_id]}\t{app.name}\t{scopes}")
    finally:
        runtime.close()


@flair_apps.command("delete")
@click.argument("client_id")
@data_dir_option
@database_option
def flair_apps_delete(client_id: str, data_dir: Path, database_url: str | None) -> None:
    """Delete an application by client id; its tokens stop working."""
    runtime = _open(data_dir, database_url)
    try:
        if not runtime.flair.applications.delete(client_id):
            raise click.ClickException(f"no application {client_id}")
        click.echo(f"deleted application {client_id}")
    finally:
        runtime.close()


def _seconds(text: str) -> float:
    """'90', '90s', '15m', '12h' or '30d' as seconds."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
    try:
        if text[-1:] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration like 90, 15m, 12h or 30d") from None


def _account_or_demo(runtime: Runtime, email: str | None) -> Account:
    stored = runtime.load_credentials()
    email = email or (stored["email"] if stored else None)
    if email is None:
        raise click.ClickException("no demo world here: name an account with --account")
    return _account(runtime, email)


@main.command()
@click.option("--account", default=None, help="Account email (default: the demo account).")
@click.option("--advance", default=None, help="Move forward by a duration: 90, 15m, 12h, 30d.")
@click.option("--speed", type=click.FloatRange(0, 100_000, min_open=True), default=None,
              help="Virtual seconds per real second.")  # fmt: skip
@click.option("--freeze/--unfreeze", default=None, help="Stop or restart the clock.")
@data_dir_option
@database_option
def clock(
    account: str | None,
    advance: str | None,
    speed: float | None,
    freeze: bool | None,
    data_dir: Path,
    database_url: str | None,
) -> None:
    """Show or change an account's clock (the same as /_ductwork/clock).

    Moving a clock forward makes the twins simulate the time in between: on the next read,
    or within seconds on a running server.
    """
    runtime = _open(data_dir, database_url)
    try:
        target = _account_or_demo(runtime, account)
        seconds = _seconds(advance) if advance is not None else 0.0
        if seconds < 0:
            raise click.BadParameter("clocks only move forward", param_hint="--advance")
        if seconds or speed is not None or freeze is not None:
            state = runtime.clocks.change(
                target.id, advance_seconds=seconds, speed=speed, freeze=freeze
            )
        else:
            state = runtime.clocks.state(target.id)
        click.echo(json.dumps(state.document(runtime.clocks.real())))
    finally:
        runtime.close()


@main.command()
@click.option("--days", type=click.FloatRange(0, 3660, min_open=True), required=True,
              help="Days of history to simulate, ending at the account's now.")  # fmt: skip
@click.option("--account", default=None, help="Account email (default: the demo account).")
@data_dir_option
@database_option
def simulate(days: float, account: str | None, data_dir: Path, database_url: str | None) -> None:
    """Backfill: simulate the account's devices afresh over the last N days.

    The devices restart from a settled state N days ago and run minute by minute to now;
    their previous history is replaced.
    """
    runtime = _open(data_dir, database_url)
    try:
        target = _account_or_demo(runtime, account)
        with runtime.engine.connect() as connection:
            count = len(runtime.phason.device_ids(connection, target.id))
        with click.progressbar(length=int(days * 1440) * count, label="Simulating",
                               file=sys.stderr, show_pos=True) as bar:  # fmt: skip
            ids = runtime.phason.backfill(target, days, progress=bar.update)
        click.echo(json.dumps({"account": target.email, "days": days,
                               "phason_device_ids": [str(i) for i in ids]}))  # fmt: skip
    finally:
        runtime.close()


@main.group("oauth-clients")
def oauth_clients() -> None:
    """Manage Phason v1.0.2 OAuth clients (secrets stored hashed, shown once)."""


@oauth_clients.command("create")
@click.option("--email", required=True, help="Account that owns the client.")
@click.option("--name", required=True, help="Name shown on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="Allowed redirect URI, matched exactly (repeatable).")  # fmt: skip
@data_dir_option
@database_option
def oauth_clients_create(
    email: str, name: str, redirect_uris: tuple[str, ...], data_dir: Path, database_url: str | None
) -> None:
    """Register a client; prints its client_id and client_secret (the secret only now)."""
    runtime = _open(data_dir, database_url)
    try:
        account = _account(runtime, email)
        try:
            client, secret = runtime.phason_oauth.create_client(account, name, redirect_uris)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps({"client_id": client.client_id, "client_secret": secret,
                               "redirect_uris": list(client.redirect_uris)}))  # fmt: skip
    finally:
        runtime.close()


@oauth_clients.command("list")
@click.option("--email", default=None, help="Only this account's clients.")
@data_dir_option
@database_option
def oauth_clients_list(email: str | None, data_dir: Path, database_url: str | None) -> None:
    """List clients: client id, account, name, redirect URIs (never secrets)."""
    runtime = _open(data_dir, database_url)
    try:
        account_id = None
        if email is not None:
            account_id = _account(runtime, email).id
        owners = {a.id: a.email for a in runtime.accounts.all()}
        click.echo("client_id\taccount\tname\tredirect_uris")
        for client in runtime.phason_oauth.list_clients(account_id):
            uris = " ".join(client.redirect_uris)
            click.echo(f"{client.client_id}\t{owners[client.account_id]}\t{client.name}\t{uris}")
    finally:
        runtime.close()


@oauth_clients.command("delete")
@click.argument("client_id")
@data_dir_option
@database_option
def oauth_clients_delete(client_id: str, data_dir: Path, database_url: str | None) -> None:
    """Delete a client; its codes and tokens stop working."""
    runtime = _open(data_dir, database_url)
    try:
        if not runtime.phason_oauth.delete_client(client_id):
            raise click.ClickException(f"no client {client_id}")
        click.echo(f"deleted client {client_id}")
    finally:
        runtime.close()
