"""Each vendor at its real root paths on a port of its own, beside the prefixed main port."""

from __future__ import annotations

import click
import httpx
import pytest

from ductwork.cli.serve import vendor_ports
from tests.conftest import PREFIX, FlairWorld, LiveServer, World


def test_vendor_ports_serve_the_real_root_paths(
    world: World, flair_world: FlairWorld, live_process: LiveServer
) -> None:
    """A client that joins absolute paths (`/oauth2/token`, `/api/...`, `/v1.0.3/...`) onto a
    vendor's root URL reaches the same API as one using the prefixed main port."""
    base, flair_root, phason_root = (
        live_process.base,
        live_process.roots["flair"],
        live_process.roots["phason"],
    )
    tenant = flair_world.a
    issued = httpx.post(
        f"{flair_root}/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": tenant.client_id,
              "client_secret": tenant.client_secret, "scope": "structures.view"},
    )  # fmt: skip
    assert issued.status_code == 200, issued.text
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    at_root = httpx.get(f"{flair_root}/api/structures", headers=headers)
    prefixed = httpx.get(f"{base}/flair/api/structures", headers=headers)
    assert at_root.status_code == 200
    assert at_root.json() == prefixed.json()
    # The docs page's "Try it out" sends the prefixed path (its server is /flair): kept as is.
    tried = httpx.get(f"{flair_root}/flair/api/structures", headers=headers)
    assert tried.json() == prefixed.json()
    key = {"Phasonkey": world.a.key}
    devices = httpx.get(f"{phason_root}/v1.0.3/devices", headers=key)
    assert devices.status_code == 200
    assert devices.json() == httpx.get(f"{base}{PREFIX}/devices", headers=key).json()
    # The vendor's own 404 shape at its root, not the dashboard's page.
    missing = httpx.get(f"{flair_root}/api/no-such-type", headers=headers)
    assert missing.status_code == 404
    assert "errors" in missing.json()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auto", {"phason": 8001, "flair": 8002, "automategreen": 8003}),
        ("none", {}),
        ("flair=9002", {"flair": 9002}),
        ("phason=9001, flair=9002", {"phason": 9001, "flair": 9002}),
    ],
)
def test_vendor_ports_option(text: str, expected: dict[str, int]) -> None:
    """auto counts up from the main port in registry order; a list names its vendors."""
    assert vendor_ports(text, 8000) == expected


@pytest.mark.parametrize("text", ["flair", "nest=9000", "flair=0", "flair=70000", "flair=x"])
def test_vendor_ports_option_refuses_nonsense(text: str) -> None:
    """Unknown vendors and impossible ports are a usage error naming the vendors."""
    with pytest.raises(click.BadParameter, match="phason"):
        vendor_ports(text, 8000)
