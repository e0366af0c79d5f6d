"""Published Flair clients, unchanged, against a live `ductwork serve` with Flair on a port of
its own: each is pointed at that port through the base URL setting it offers and does what
its users do."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from flair_api import make_client
from flairaio import FlairClient
from flairaio.constants import Endpoint

from tests.conftest import LiveServer, World, flair_home_tenant

JS = Path(__file__).parent / "js"


@contextlib.contextmanager
def _flair_root(live_process: LiveServer) -> Iterator[str]:
    """The session's live server's Flair API at its real root paths."""
    yield live_process.roots["flair"]


def test_flairaio(world: World, live_process: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """flairaio 0.2.0 (Home Assistant's Flair library): `get_flair_data()` over the demo home
    (structures, their related rooms, pucks, vents, bridges... and each device's current
    reading), then a vent and a room set point updated and read back."""
    tenant = flair_home_tenant(world.runtime, "flairaio@example.com")
    with _flair_root(live_process) as root:
        # Endpoint is a str enum; BASE_URL is the one setting the library offers.
        monkeypatch.setattr(Endpoint.BASE_URL, "_value_", root)
        assert f"{Endpoint.BASE_URL}/api" == f"{root}/api"

        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                client = FlairClient(tenant.client_id, tenant.client_secret, session=session)
                data = await client.get_flair_data()
                assert data.users
                (structure,) = data.structures.values()
                assert structure.rooms
                assert structure.pucks
                assert structure.vents
                assert structure.bridges
                for bridge in structure.bridges.values():
                    assert bridge.current_reading, bridge
                for device in [*structure.pucks.values(), *structure.vents.values()]:
                    if not device.attributes["inactive"]:
                        assert device.current_reading, device
                vent = next(v for v in structure.vents.values() if not v.attributes["inactive"])
                target = 0 if vent.attributes["percent-open"] != 0 else 100
                await client.update("vents", vent.id, {"percent-open": target}, {})
                assert (await client.get_vent(vent.id)).attributes["percent-open"] == target
                room = next(iter(structure.rooms.values()))
                await client.update("rooms", room.id, {"set-point-c": 22.5, "active": True}, {})
                assert (await client.get_room(room.id)).attributes["set-point-c"] == 22.5

        asyncio.run(scenario())


def test_flair_client(world: World, live_process: LiveServer) -> None:
    """flair-client 1.0.0 (Flair's own thin client): `make_client` on the vendor port's root
    (a client-credentials token from /oauth/token, then the API root's links), structures
    listed, a structure's `rooms` relationship followed, a vent updated."""
    tenant = flair_home_tenant(world.runtime, "flair-client@example.com")
    with _flair_root(live_process) as root:
        client = make_client(tenant.client_id, tenant.client_secret, f"{root}/")
        assert client.token
        structures = client.get("structures")
        (structure,) = list(structures)
        assert structure.attributes["setup-complete"]
        rooms = structure.get_rel("rooms")
        assert {room.type_ for room in rooms} == {"rooms"}
        assert len(rooms) == 5
        vent = next(v for v in client.get("vents") if not v.attributes["inactive"])
        target = 0 if vent.attributes["percent-open"] != 0 else 100
        vent.update(attributes={"percent-open": target})
        assert vent.attributes["percent-open"] == target
        assert client.get("vents", id=vent.id_).attributes["percent-open"] == target
        room = vent.get_rel("room")
        assert room.type_ == "rooms"


def test_flair_api_ts(world: World, live_process: LiveServer) -> None:
    """flair-api-ts 1.0.31 (Homebridge's Flair client, from npm; `make test` installs it in
    tests/js): a password login, the primary structure, pucks and vents with their current
    readings, a vent set and a room set point; then a client-credentials token, which the
    client cannot request itself (see tests/js/flair-api-ts.js), reading vents."""
    node = shutil.which("node")
    assert node, "node is needed for the npm clients' tests"
    assert (JS / "node_modules" / "flair-api-ts").is_dir(), "run: npm ci --prefix tests/js"
    tenant = flair_home_tenant(world.runtime, "flair-api-ts@example.com")
    with _flair_root(live_process) as root:
        arguments = [root, tenant.client_id, tenant.client_secret, tenant.email, tenant.password]
        run = subprocess.run(
            [node, str(JS / "flair-api-ts.js"), *arguments],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["structure"]["home"] is True
    assert seen["users"] == [tenant.email]
    active_pucks = [p for p in seen["pucks"] if not p["inactive"]]
    assert len(active_pucks) == 5
    for puck in active_pucks:
        assert isinstance(puck["temperature"], int | float), puck
        assert 3.0 <= puck["voltage"] <= 3.5, puck
    active_vents = [v for v in seen["vents"] if not v["inactive"]]
    assert len(active_vents) == 8
    for vent in active_vents:
        assert isinstance(vent["ductTemperature"], int | float), vent
    vent_set = seen["ventSet"]
    assert vent_set["answered"] == vent_set["readBack"] == vent_set["target"]
    assert seen["roomSet"]["setPoint"] == 21.5
    granted = seen["clientCredentials"]
    assert granted["status"] == 200
    assert granted["vents"] == 8
    assert isinstance(granted["ductTemperature"], int | float)
