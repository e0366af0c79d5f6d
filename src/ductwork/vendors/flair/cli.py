"""`ductwork flair ...`: partner applications, and the token limit option of `serve`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ductwork.cli.options import account, data_dir_option, database_option, opened, owners
from ductwork.vendors.flair import TOKEN_LIMIT

# Old top-level names of this vendor's groups, kept for one release: old name -> group.
aliases = {"flair-apps": "apps"}

serve_options = [
    click.option(
        "--flair-token-limit",
        default=TOKEN_LIMIT,
        show_default=True,
        type=click.IntRange(min=0),
        metavar="N",
        envvar="DUCTWORK_FLAIR_TOKEN_LIMIT",
        show_envvar=True,
        help="New Flair tokens an application may create a day for each account, as the real "
        "service allows (refreshing does not count); 0 disables the limit.",
    )
]


@click.group("flair")
def group() -> None:
    """Flair: partner applications (OAuth clients)."""


@group.group("apps")
def apps() -> None:
    """Manage Flair partner applications (OAuth clients; secrets stored hashed, shown once)."""


@apps.command("create")
@click.option("--email", required=True, help="Account that owns the application.")
@click.option("--name", required=True, help="Name shown to users on the authorization page.")
@click.option("--description", default="", help="Short description of the application.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Allowed redirect URI "
              "(repeatable; the first is the default).")  # fmt: skip
@click.option("--scope", "scopes", multiple=True, help="Scope the application may request "
              "(repeatable; default: every scope).")  # fmt: skip
@data_dir_option
@database_option
def apps_create(
    email: str, name: str, description: str, redirect_uris: tuple[str, ...],
    scopes: tuple[str, ...], data_dir: Path, database_url: str | None,
) -> None:  # fmt: skip
    """Register an application and print its client id and secret (the secret only now)."""
    from ductwork.vendors.flair.backend import FlairBackend

    with opened(data_dir, database_url) as runtime:
        owner = account(runtime, email)
        extra = {"scopes": scopes} if scopes else {}
        try:
            application, secret = runtime.backend(FlairBackend).service.applications.create(
                owner, name, description=description, redirect_uris=redirect_uris, **extra
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps({"client_id": application.client_id, "client_secret": secret}))


@apps.command("list")
@click.option("--email", default=None, help="Only this account's applications.")
@data_dir_option
@database_option
def apps_list(email: str | None, data_dir: Path, database_url: str | None) -> None:
    """List applications: client id, account, name, scopes (never secrets)."""
    from ductwork.vendors.flair.backend import FlairBackend

    with opened(data_dir, database_url) as runtime:
        account_id = None if email is None else account(runtime, email).id
        emails = owners(runtime)
        click.echo("client_id\taccount\tname\tscopes")
        for app in runtime.backend(FlairBackend).service.applications.list(account_id):
            scopes = " ".join(app.scopes)
            click.echo(f"{app.client_id}\t{emails[app.account_id]}\t{app.name}\t{scopes}")


@apps.command("delete")
@click.argument("client_id")
@data_dir_option
@database_option
def apps_delete(client_id: str, data_dir: Path, database_url: str | None) -> None:
    """Delete an application by client id; its tokens stop working."""
    from ductwork.vendors.flair.backend import FlairBackend

    with opened(data_dir, database_url) as runtime:
        if not runtime.backend(FlairBackend).service.applications.delete(client_id):
            raise click.ClickException(f"no application {client_id}")
        click.echo(f"deleted application {client_id}")
