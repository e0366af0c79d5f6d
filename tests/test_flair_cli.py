"""`ductwork flair-apps` and the Flair part of `ductwork credentials`, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from ductwork.app import create_app
from ductwork.runtime import Runtime
from tests.test_cli import ductwork


def test_flair_apps_create_list_delete(tmp_path: Path) -> None:
    """An application's secret is printed once, never listed or stored; delete removes it."""
    assert (
        ductwork(
            "users",
            "create",
            "--email",
            "dev@example.com",
            "--password",
            "correct-horse",
            data_dir=tmp_path,
        ).returncode
        == 0
    )
    created = ductwork(
        "flair-apps",
        "create",
        "--email",
        "dev@example.com",
        "--name",
        "My app",
        "--scope",
        "vents.view",
        "--scope",
        "vents.edit",
        data_dir=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    app = json.loads(created.stdout)
    listing = ductwork("flair-apps", "list", data_dir=tmp_path).stdout
    assert app["client_id"] in listing
    assert "vents.view vents.edit" in listing
    assert app["client_secret"] not in listing
    assert app["client_secret"].encode() not in (tmp_path / "ductwork.sqlite3").read_bytes()
    bad = ductwork(
        "flair-apps",
        "create",
        "--email",
        "dev@example.com",
        "--name",
        "x",
        "--scope",
        "everything.edit",
        data_dir=tmp_path,
    )
    assert bad.returncode == 1
    assert "unknown scopes" in bad.stderr
    assert ductwork("flair-apps", "delete", app["client_id"], data_dir=tmp_path).returncode == 0
    assert app["client_id"] not in ductwork("flair-apps", "list", data_dir=tmp_path).stdout
    assert ductwork("flair-apps", "delete", app["client_id"], data_dir=tmp_path).returncode == 1


def test_demo_credentials_include_a_working_flair_app(tmp_path: Path) -> None:
    """The demo world's confidential application gets tokens for the demo home."""
    runtime = Runtime.open(tmp_path)
    try:
        runtime.ensure_demo(history_days=0.02)
        result = ductwork(
            "credentials", "--json", "--base-url", "http://testserver", data_dir=tmp_path
        )
        assert result.returncode == 0, result.stderr
        flair = json.loads(result.stdout)["flair"]
        assert flair["base_url"] == "http://testserver/flair"
        with TestClient(create_app(runtime, background=False)) as client:
            issued = client.post(
                "/flair/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": flair["client_id"],
                    "client_secret": flair["client_secret"],
                    "scope": "structures.view",
                },
            )
            assert issued.status_code == 200, issued.text
            homes = client.get(
                "/flair/api/structures",
                headers={"Authorization": f"Bearer {issued.json()['access_token']}"},
            ).json()
        assert [h["attributes"]["name"] for h in homes["data"]] == ["Demo Home"]
    finally:
        runtime.close()
