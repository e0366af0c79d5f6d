"""No secret reaches the server's log: a real `ductwork serve` with its default logging (the
access log on, as `make serve` runs it) gets requests carrying tokens, keys, passwords and
client secrets in every place clients put them, and its log must hold none of them."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ductwork.runtime import Runtime
from ductwork.vendors.automategreen.backend import AutomateGreenBackend
from ductwork.vendors.flair.backend import FlairBackend
from tests.conftest import _free_port


def test_secrets_stay_out_of_the_log(tmp_path: Path) -> None:
    password = secrets.token_urlsafe(12)
    runtime = Runtime.open(tmp_path)
    try:
        account = runtime.accounts.create("logs@example.com", password)
        key = runtime.accounts.issue_key(account, "phason")
        token = runtime.backend(AutomateGreenBackend).service.tokens.issue(account, 3600, "t")
        application, client_secret = runtime.backend(FlairBackend).service.applications.create(
            account, "logs"
        )
    finally:
        runtime.close()
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ductwork", "serve", "--port", str(port), "--data-dir",
             str(tmp_path), "--no-demo", "--vendor-ports", "none"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/_ductwork/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            with httpx.Client(base_url=base) as client:
                ag = "/automategreen/v1"
                client.get(f"{ag}/devices", params={"access_token": token})
                client.get(f"{ag}/devices", params={"token": token})
                client.post(f"{ag}/signin", data={"user[email]": account.email,
                                                  "user[password]": password})  # fmt: skip
                client.get(f"{ag}/signin", params={"user[password]": password})
                client.get("/phason/v1.0.3/devices", headers={"Phasonkey": key})
                client.get("/phason/v1.0.3/devices", params={"key": key})
                client.post("/flair/oauth2/token", data={
                    "grant_type": "client_credentials", "client_id": application.client_id,
                    "client_secret": client_secret})  # fmt: skip
                client.get("/flair/oauth/authorize", params={
                    "client_id": application.client_id, "client_secret": client_secret,
                    "response_type": "code", "password": password})  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=15)
    text = log_path.read_text(errors="replace")
    assert "GET /automategreen/v1/devices?access_token=***" in text  # the access log is on
    for secret in (password, key, token, client_secret, token.split(".")[2]):
        assert secret not in text, f"a secret reached the log:\n{text}"
