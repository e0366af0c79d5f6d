"""`ductwork phason ...`: the accounts' API keys (v1.0.3) and OAuth clients (v1.0.2)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ductwork.cli.options import account, data_dir_option, database_option, opened, owners
from ductwork.vendors.phason import KEY_VENDOR

# Old top-level names of this vendor's groups, kept for one release: old name -> group.
aliases = {"api-keys": "api-keys", "oauth-clients": "oauth-clients"}


@click.group("phason")
def group() -> None:
    """Phason: API keys (v1.0.3) and OAuth clients (v1.0.2)."""


@group.group("api-keys")
def api_keys() -> None:
    """Manage Phason API keys (stored hashed; a key is shown only when created)."""


@api_keys.command("create")
@click.option("--email", required=True, help="Account that gets the key.")
@data_dir_option
@database_option
def api_keys_create(email: str, data_dir: Path, database_url: str | None) -> None:
    """Create a key for an account and print it once."""
    with opened(data_dir, database_url) as runtime:
        click.echo(runtime.accounts.issue_key(account(runtime, email), KEY_VENDOR))


def _iso(t: float | None) -> str:
    return "-" if not t else dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds")


@api_keys.command("list")
@click.option("--email", default=None, help="Only this account's keys.")
@data_dir_option
@database_option
def api_keys_list(email: str | None, data_dir: Path, database_url: str | None) -> None:
    """List keys: id, account, first characters, created, revoked."""
    with opened(data_dir, database_url) as runtime:
        if email is not None:
            account(runtime, email)
        click.echo("id\taccount\tprefix\tcreated\trevoked")
        for key in runtime.accounts.list_keys(email):
            click.echo(f"{key.id}\t{key.account_email}\t{key.prefix}…\t{_iso(key.created_at)}\t"
                       f"{_iso(key.revoked_at)}")  # fmt: skip


@api_keys.command("revoke")
@click.argument("key_id", type=int)
@data_dir_option
@database_option
def api_keys_revoke(key_id: int, data_dir: Path, database_url: str | None) -> None:
    """Revoke a key by its id (see `api-keys list`)."""
    with opened(data_dir, database_url) as runtime:
        if not runtime.accounts.revoke_key(key_id):
            raise click.ClickException(f"no live key with id {key_id}")
        click.echo(f"revoked key {key_id}")


@group.group("oauth-clients")
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
    from ductwork.vendors.phason.backend import PhasonBackend

    with opened(data_dir, database_url) as runtime:
        owner = account(runtime, email)
        try:
            client, secret = runtime.backend(PhasonBackend).oauth.create_client(
                owner, name, redirect_uris
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps({"client_id": client.client_id, "client_secret": secret,
                               "redirect_uris": list(client.redirect_uris)}))  # fmt: skip


@oauth_clients.command("list")
@click.option("--email", default=None, help="Only this account's clients.")
@data_dir_option
@database_option
def oauth_clients_list(email: str | None, data_dir: Path, database_url: str | None) -> None:
    """List clients: client id, account, name, redirect URIs (never secrets)."""
    from ductwork.vendors.phason.backend import PhasonBackend

    with opened(data_dir, database_url) as runtime:
        account_id = None if email is None else account(runtime, email).id
        emails = owners(runtime)
        click.echo("client_id\taccount\tname\tredirect_uris")
        for client in runtime.backend(PhasonBackend).oauth.list_clients(account_id):
            uris = " ".join(client.redirect_uris)
            click.echo(f"{client.client_id}\t{emails[client.account_id]}\t{client.name}\t{uris}")


@oauth_clients.command("delete")
@click.argument("client_id")
@data_dir_option
@database_option
def oauth_clients_delete(client_id: str, data_dir: Path, database_url: str | None) -> None:
    """Delete a client; its codes and tokens stop working."""
    from ductwork.vendors.phason.backend import PhasonBackend

    with opened(data_dir, database_url) as runtime:
        if not runtime.backend(PhasonBackend).oauth.delete_client(client_id):
            raise click.ClickException(f"no client {client_id}")
        click.echo(f"deleted client {client_id}")
