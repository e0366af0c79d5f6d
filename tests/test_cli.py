"""The `ductwork` command as a user runs it: help, accounts, keys, and a full serve lifecycle."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from ductwork.cli.serve import loopback
from ductwork.runtime import Runtime
from tests.conftest import _drop_postgres, _free_port, _postgres_database, phason

COMMANDS = [
    [],
    ["serve"],
    ["credentials"],
    ["users"],
    ["users", "create"],
    ["users", "list"],
    ["api-keys"],
    ["api-keys", "create"],
    ["api-keys", "list"],
    ["api-keys", "revoke"],
    ["oauth-clients"],
    ["oauth-clients", "create"],
    ["oauth-clients", "list"],
    ["oauth-clients", "delete"],
    ["clock"],
    ["simulate"],
    ["reset"],
    ["phason"],
    ["phason", "api-keys"],
    ["phason", "api-keys", "create"],
    ["phason", "api-keys", "list"],
    ["phason", "api-keys", "revoke"],
    ["phason", "oauth-clients"],
    ["phason", "oauth-clients", "create"],
    ["phason", "oauth-clients", "list"],
    ["phason", "oauth-clients", "delete"],
    ["flair"],
    ["flair", "apps"],
    ["flair", "apps", "create"],
    ["flair", "apps", "list"],
    ["flair", "apps", "delete"],
    ["flair-apps"],
    ["flair-apps", "create"],
    ["flair-apps", "list"],
    ["flair-apps", "delete"],
    ["automategreen"],
    ["automategreen", "token"],
    ["automategreen", "tokens"],
    ["automategreen", "online"],
]


def ductwork(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess, on a data dir of its own."""
    extra = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return subprocess.run(
        [sys.executable, "-m", "ductwork", *args, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "ductwork" for c in COMMANDS])
def test_every_command_has_help(command: list[str]) -> None:
    """`--help` works on every command and says what it does."""
    result = ductwork(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert len(result.stdout.splitlines()) > 3


def test_users_and_keys(tmp_path: Path) -> None:
    """Create an account, give it keys, list them without their values, revoke one."""
    created = ductwork(
        "users",
        "create",
        "--email",
        "Ann@Example.com",
        "--password",
        "correct-horse",
        data_dir=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["email"] == "ann@example.com"
    again = ductwork(
        "users",
        "create",
        "--email",
        "ann@example.com",
        "--password",
        "correct-horse",
        data_dir=tmp_path,
    )
    assert again.returncode == 1
    assert "exists already" in again.stderr
    short = ductwork(
        "users", "create", "--email", "b@example.com", "--password", "short", data_dir=tmp_path
    )
    assert short.returncode == 1
    keys = [
        ductwork(
            "api-keys", "create", "--email", "ann@example.com", data_dir=tmp_path
        ).stdout.strip()
        for _ in range(2)
    ]
    assert all(len(k) == 32 for k in keys)
    listing = ductwork("api-keys", "list", data_dir=tmp_path).stdout
    assert listing.count("ann@example.com") == 2
    assert keys[0] not in listing
    assert keys[0][:6] in listing
    assert ductwork("api-keys", "revoke", "1", data_dir=tmp_path).returncode == 0
    assert ductwork("api-keys", "revoke", "1", data_dir=tmp_path).returncode == 1
    assert "ann@example.com" in ductwork("users", "list", data_dir=tmp_path).stdout
    stored = (tmp_path / "ductwork.sqlite3").read_bytes()
    assert keys[1].encode() not in stored
    assert b"correct-horse" not in stored


def test_credentials_without_demo_world(tmp_path: Path) -> None:
    """Without a demo world the credentials command says how to get one."""
    result = ductwork("credentials", "--json", data_dir=tmp_path)
    assert result.returncode == 1
    assert "ductwork serve" in result.stderr


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_first_start_prints_credentials_and_stops_cleanly(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """First start builds the demo world, prints URLs and credentials, serves, and shuts down
    cleanly on a signal; a second start reuses the same world."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "ductwork",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path),
        "--history-days",
        "0.05",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"{base}/_ductwork/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "no health within 60 s"
            time.sleep(0.2)
        creds = json.loads(
            ductwork("credentials", "--json", "--base-url", base, data_dir=tmp_path).stdout
        )
        phason = creds["phason"]
        assert phason["base_url_v1_0_3"] == f"{base}/phason/v1.0.3"
        devices = httpx.get(
            f"{phason['base_url_v1_0_3']}/devices", headers={"Phasonkey": phason["api_key"]}
        ).json()
        assert [d["device_id"] for d in devices] == phason["device_ids"]
        key = httpx.post(
            f"{base}/phason/v1.0.3/generate_key", auth=(creds["email"], creds["password"])
        ).json()["api_key"]
        dashboard = httpx.get(f"{base}/").text
        assert creds["phason"]["api_key"] in dashboard
        assert "Finisher Temperature" in dashboard
        assert "Flair home Demo Home" in dashboard
        assert "Living Room" in dashboard
    finally:
        process.send_signal(stop)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"{base.replace('127.0.0.1', 'localhost')}/phason/v1.0.3" in output
    assert creds["password"] in output
    assert phason["api_key"] in output
    assert key not in output, "a generated key must never reach the log"
    assert "warning: listening" not in output  # 127.0.0.1: nothing is exposed
    # The acknowledged key survives the restart; the demo world is not created twice.
    restart = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"{base}/phason/v1.0.3/devices", headers={"Phasonkey": key}, timeout=1
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert [d["device_id"] for d in response.json()] == phason["device_ids"]
    finally:
        restart.terminate()
        restart.communicate(timeout=30)


def cli_reference() -> str:
    """docs/cli.md as it must read: every command's --help, in order."""
    from click.testing import CliRunner

    from ductwork.cli.main import main

    parts = [
        "# Command-line reference\n\n",
        "Generated from `--help`; `tests/test_cli.py` fails when it drifts from the code. "
        "Regenerate with\n",
        "`DUCTWORK_WRITE_DOCS=1 .venv/bin/pytest tests/test_cli.py -k reference`.\n",
    ]
    runner = CliRunner()
    for command in COMMANDS:
        result = runner.invoke(main, [*command, "--help"], prog_name="ductwork", terminal_width=100)
        assert result.exit_code == 0, result.output
        name = " ".join(["ductwork", *command])
        parts.append(f"\n## `{name}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "".join(parts)


def test_cli_reference_is_current() -> None:
    """docs/cli.md matches the commands' help texts."""
    path = Path(__file__).parent.parent / "docs" / "cli.md"
    expected = cli_reference()
    if os.environ.get("DUCTWORK_WRITE_DOCS"):
        path.write_text(expected)
    assert path.read_text() == expected, "docs/cli.md is stale; see its first lines to regenerate"


def test_clock_and_simulate(tmp_path: Path) -> None:
    """`clock` moves an account's time; `simulate` rebuilds N days of history ending now."""
    email = "farm@example.com"
    created = ductwork(
        "users",
        "create",
        "--email",
        email,
        "--password",
        "correct-horse",
        "--demo",
        "--history-days",
        "0.05",
        data_dir=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    before = json.loads(ductwork("clock", "--account", email, data_dir=tmp_path).stdout)
    frozen = json.loads(ductwork("clock", "--account", email, "--freeze", data_dir=tmp_path).stdout)
    assert frozen["frozen"] is True
    moved = json.loads(
        ductwork("clock", "--account", email, "--advance", "2h", data_dir=tmp_path).stdout
    )
    assert dt.datetime.fromisoformat(moved["now"]) - dt.datetime.fromisoformat(
        before["now"]
    ) >= dt.timedelta(hours=2)
    refused = ductwork("clock", "--account", email, "--advance", "soon", data_dir=tmp_path)
    assert refused.returncode == 2
    result = ductwork("simulate", "--days", "2", "--account", email, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["days"] == 2.0
    runtime = Runtime.open(tmp_path)
    try:
        account = runtime.accounts.by_email(email)
        assert account is not None
        (device,) = json.loads(result.stdout)["phason"]["device_ids"]
        now = dt.datetime.fromisoformat(moved["now"]).astimezone(ZoneInfo("America/Chicago"))
        day = (now - dt.timedelta(days=1)).strftime("%Y-%m-%d")
        rows = phason(runtime).service.group_records(account, device, day, day)
        assert len(rows) == 1440 * 5
    finally:
        runtime.close()


def test_oauth_clients(tmp_path: Path) -> None:
    """Register a Phason OAuth client, list it without its secret, delete it."""
    ductwork(
        "users",
        "create",
        "--email",
        "dev@example.com",
        "--password",
        "correct-horse",
        data_dir=tmp_path,
    )
    bad = ductwork(
        "oauth-clients",
        "create",
        "--email",
        "dev@example.com",
        "--name",
        "App",
        "--redirect-uri",
        "ftp://nope",
        data_dir=tmp_path,
    )
    assert bad.returncode == 1
    made = ductwork(
        "oauth-clients",
        "create",
        "--email",
        "dev@example.com",
        "--name",
        "App",
        "--redirect-uri",
        "https://app.example/cb",
        data_dir=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    client = json.loads(made.stdout)
    listing = ductwork("oauth-clients", "list", data_dir=tmp_path).stdout
    assert client["client_id"] in listing
    assert "https://app.example/cb" in listing
    assert client["client_secret"] not in listing
    assert (
        ductwork("oauth-clients", "delete", client["client_id"], data_dir=tmp_path).returncode == 0
    )
    assert client["client_id"] not in ductwork("oauth-clients", "list", data_dir=tmp_path).stdout


@pytest.mark.parametrize(
    "command",
    [
        ["api-keys", "create", "--email", "nobody@example.com"],
        ["api-keys", "list", "--email", "nobody@example.com"],
        ["oauth-clients", "list", "--email", "nobody@example.com"],
        ["clock", "--account", "nobody@example.com"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_unknown_account_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    """Naming an account that does not exist ends with exit 1 and says so."""
    result = ductwork(*command, data_dir=tmp_path)
    assert result.returncode == 1
    assert "no account nobody@example.com" in result.stderr


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104
        ("::", False),
        ("192.168.1.20", False),
        ("barn-gateway.example", False),
    ],
)
def test_serve_warns_when_the_unauthenticated_pages_are_reachable(host: str, local: bool) -> None:
    """`serve --host` on anything but loopback prints a warning: the dashboard and the
    control plane have no authentication."""
    assert loopback(host) is local


def test_credentials_follow_the_server_running_on_the_data_dir(tmp_path: Path) -> None:
    """`credentials` (and every command) finds the running server's port, vendor ports and
    database by itself: here PostgreSQL on a non-default port, no SQLite file appears."""
    admin, url = _postgres_database()
    port, flair_port = _free_port(), _free_port()
    command = [sys.executable, "-m", "ductwork", "serve", "--port", str(port), "--data-dir",
               str(tmp_path), "--database-url", url, "--history-days", "0.02",
               "--vendor-ports", f"flair={flair_port}"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_ductwork/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "no health within 90 s"
            time.sleep(0.3)
        shown = ductwork("credentials", "--json", data_dir=tmp_path)
        assert shown.returncode == 0, shown.stderr
        creds = json.loads(shown.stdout)
        assert creds["phason"]["base_url"] == f"http://localhost:{port}/phason"
        assert creds["flair"]["root_url"] == f"http://localhost:{flair_port}"
        assert "phason" not in {k for k, v in creds.items() if isinstance(v, dict) and
                                "root_url" in v}  # fmt: skip
        listed = ductwork("users", "list", data_dir=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert "demo@ductwork.local" in listed.stdout
        assert not (tmp_path / "ductwork.sqlite3").exists()
    finally:
        process.terminate()
        process.communicate(timeout=30)
        _drop_postgres(admin, url)
    stopped = ductwork("credentials", "--json", data_dir=tmp_path)
    assert stopped.returncode == 0, stopped.stderr
    assert "no server is running" in stopped.stderr
    assert json.loads(stopped.stdout)["phason"]["base_url"] == f"http://localhost:{port}/phason"
