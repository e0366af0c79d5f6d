"""Every attribute and relationship key the real Flair service sends, for every resource type
in the recorded traffic (tests/data/flair_recorded, copies of the shared reference) and in
observed-behaviour.md, is present in ductwork's answer for the same type (values may differ).
Keys that truly do not apply to ductwork are listed below with the reason."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FLAIR, FlairWorld
from tests.test_flair_api import bearer, first, token

RECORDED = Path(__file__).parent / "data" / "flair_recorded"
SHARED = Path("/work/shared/reference/flair-recorded")

# observed-behaviour.md, "Resources and attributes seen in real traffic": per type, the
# attribute keys (first) and relationship keys (second) it names.
OBSERVED: dict[str, tuple[set[str], set[str]]] = {
    "structures": (
        {"mode", "structure-heat-cool-mode", "set-point-temperature-c", "home", "home-away-mode",
         "set-point-mode", "structure-away-mode", "default-hold-duration", "hold-until",
         "active-schedule-id", "setup-complete", "temperature-scale", "time-zone"},
        {"rooms", "pucks", "vents", "thermostats", "hvac-units", "zones", "schedules", "bridges"},
    ),
    "vents": (
        {"percent-open", "percent-open-reason", "inactive", "voltage", "current-rssi", "name",
         "created-at", "updated-at"},
        {"current-reading", "room"},
    ),
    "pucks": (
        {"current-temperature-c", "current-humidity", "is-gateway", "inactive", "voltage",
         "current-rssi", "setpoint-bound-low", "setpoint-bound-high",
         "temperature-offset-override-c", "puck-display-color", "locked"},
        {"current-reading"},
    ),
    "bridges": ({"inactive"}, {"current-reading"}),
    "rooms": (
        {"active", "set-point-c", "current-temperature-c", "current-humidity", "hold-until",
         "pucks-inactive", "level", "room-type", "air-return", "windows"},
        set(),
    ),
    "hvac-units": (
        {"model-id", "make-name", "power", "mode", "temperature", "fan-speed", "swing",
         "capabilities", "constraints"},
        set(),
    ),
    "vent-sensor-readings": (
        {"duct-temperature-c", "duct-pressure", "percent-open", "system-voltage", "rssi",
         "motor-run-time", "motor-current", "firmware-version-s", "created-at"},
        set(),
    ),
    "sensor-readings": (
        {"room-temperature-c", "humidity", "light", "room-pressure", "system-voltage", "rssi",
         "is-gateway", "desired-temperature-c", "button-pushes", "firmware-version-s",
         "created-at"},
        set(),
    ),
}  # fmt: skip

# Keys the real service sends that do not apply to ductwork, with the reason.
# Each is a relationship to something ductwork does not simulate: a link to it would only
# answer 404, which breaks clients that follow links more than an absent key does.
_UNMODELLED = "ductwork does not model this (no resource type to link to)"
NOT_APPLICABLE: dict[tuple[str, str], str] = {
    ("pucks", "closest-vents"): f"radio proximity between devices: {_UNMODELLED}",
    ("vents", "closest-puck"): f"radio proximity between devices: {_UNMODELLED}",
    ("pucks", "current-state"): f"puck-states (display state): {_UNMODELLED}",
    ("pucks", "puck-states"): f"puck-states (display state): {_UNMODELLED}",
    ("pucks", "hardware-version"): f"hardware-versions: {_UNMODELLED}",
    ("rooms", "current-conclusions"): f"Flair's occupancy inference: {_UNMODELLED}",
    ("rooms", "occupancy-conclusions"): f"Flair's occupancy inference: {_UNMODELLED}",
    ("rooms", "room-auto-conclusions"): f"Flair's occupancy inference: {_UNMODELLED}",
    ("rooms", "occupants"): f"occupants (people): {_UNMODELLED}",
    ("rooms", "room-states"): f"room-states history: {_UNMODELLED}",
    ("users", "integrations"): f"third-party integrations (Nest, ecobee accounts): {_UNMODELLED}",
    ("users", "primary-device"): "the app's own phone registration; ductwork's devices are "
    "beacon observers, and no account picks one as primary",
    ("users", "puck-oauth-apps"): f"OAuth apps installed on pucks: {_UNMODELLED}",
    ("users", "received-invitations"): f"home-sharing invitations: {_UNMODELLED}",
    ("users", "ui-notifications"): f"in-app notifications: {_UNMODELLED}",
    ("users", "unfinished-setup-structure"): "every ductwork home is set up (setup-complete)",
}


def _recorded(directory: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per resource type, the attribute and relationship keys of every resource object in
    the recorded answers (data and included)."""
    attributes: dict[str, set[str]] = defaultdict(set)
    relationships: dict[str, set[str]] = defaultdict(set)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "type" in value and "attributes" in value:
                attributes[value["type"]] |= set(value["attributes"])
                relationships[value["type"]] |= set(value.get("relationships", {}))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted(directory.glob("*.json")):
        walk([exchange.get("response") for exchange in json.loads(path.read_text())])
    return attributes, relationships


def _expected() -> dict[str, tuple[set[str], set[str]]]:
    expected: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    sources = [RECORDED, *([SHARED] if SHARED.is_dir() else [])]
    for directory in sources:
        attributes, relationships = _recorded(directory)
        for type_name in attributes.keys() | relationships.keys():
            expected[type_name][0].update(attributes[type_name])
            expected[type_name][1].update(relationships[type_name])
    for type_name, (attribute_keys, relationship_keys) in OBSERVED.items():
        expected[type_name][0].update(attribute_keys)
        expected[type_name][1].update(relationship_keys)
    return dict(expected)


def test_the_recorded_copies_match_the_shared_reference() -> None:
    """tests/data/flair_recorded holds the shared recordings unchanged (when they are here)."""
    if not SHARED.is_dir():
        pytest.skip("the shared reference is not on this machine")
    assert _recorded(RECORDED) == _recorded(SHARED)


def _resource(client: httpx.Client, headers: dict[str, str], type_name: str) -> dict[str, Any]:
    """Ductwork's answer for one resource of the type (readings through a device's
    current-reading, as clients read them)."""
    owner = {"sensor-readings": "pucks", "vent-sensor-readings": "vents"}.get(type_name)
    if owner is None:
        return first(client, headers, type_name)
    device = first(client, headers, owner)
    answer = client.get(f"{FLAIR}/api/{owner}/{device['id']}/current-reading", headers=headers)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def test_every_real_key_is_present(client: httpx.Client, flair_world: FlairWorld) -> None:
    """For each type the real service was seen sending, ductwork's resource carries every
    attribute and relationship key, save those listed as not applicable."""
    headers = bearer(token(client, flair_world.a))
    missing: list[str] = []
    for type_name, (attribute_keys, relationship_keys) in sorted(_expected().items()):
        resource = _resource(client, headers, type_name)
        for kind, keys, present in (
            ("attribute", attribute_keys, resource["attributes"]),
            ("relationship", relationship_keys, resource["relationships"]),
        ):
            missing += [
                f"{type_name} {kind} {key}"
                for key in sorted(keys)
                if key not in present and (type_name, key) not in NOT_APPLICABLE
            ]
    assert not missing, "\n".join(missing)


def test_not_applicable_keys_are_really_absent(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """A key listed as not applicable is one the real service sends and ductwork does not:
    the list shrinks as ductwork grows."""
    headers = bearer(token(client, flair_world.a))
    expected = _expected()
    for (type_name, key), reason in NOT_APPLICABLE.items():
        assert reason
        assert key in expected[type_name][0] | expected[type_name][1], (type_name, key)
        resource = _resource(client, headers, type_name)
        assert key not in resource["attributes"] | resource["relationships"], (type_name, key)
