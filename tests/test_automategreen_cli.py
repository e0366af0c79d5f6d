"""`ductwork automategreen ...` on a data dir with the demo world: a token that the API accepts,
the token listing, and taking a device off line (its commands then answer 503)."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from ductwork.app import create_app
from ductwork.runtime import Runtime
from tests.test_cli import ductwork

AG = "/automategreen/v1"


def test_token_tokens_and_online(tmp_path: Path) -> None:
    runtime = Runtime.open(tmp_path)
    try:
        stored, _ = runtime.ensure_demo(0.05)
    finally:
        runtime.close()
    switch = stored["automategreen"]["devices"]["switch"][0]

    issued = ductwork("automategreen", "token", "--desc", "from the cli", data_dir=tmp_path)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    listed = ductwork("automategreen", "tokens", data_dir=tmp_path)
    assert "from the cli" in [t["desc"] for t in json.loads(listed.stdout)]

    off = ductwork("automategreen", "online", switch, "--off", data_dir=tmp_path)
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["device"]["id"] == switch
    unknown = ductwork("automategreen", "online", "nope", data_dir=tmp_path)
    assert unknown.returncode != 0
    assert "not found" in unknown.stderr

    runtime = Runtime.open(tmp_path)
    try:
        with TestClient(create_app(runtime, background=False)) as client:
            headers = {"Authorization": f"Bearer {token}"}
            assert client.get(f"{AG}/devices", headers=headers).status_code == 200
            down = client.post(f"{AG}/devices/{switch}/command", headers=headers,
                               json={"command": {"name": "on"}})  # fmt: skip
            assert down.status_code == 503
    finally:
        runtime.close()
    back = ductwork("automategreen", "online", switch, data_dir=tmp_path)
    assert back.returncode == 0, back.stderr
