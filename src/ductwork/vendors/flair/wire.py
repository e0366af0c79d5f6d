"""Flair on the wire: JSON:API documents exactly as the real service shapes them.

A resource object has exactly `type`, `id`, `attributes` and `relationships`; links are
relative paths; collections page through `meta` (no top-level `links`); errors are an array.
The attributes of a row: the JSON column of the types clients edit with its time stamps, and
the plain columns of readings, states, sightings, applications and phones as the real service
names them (what the twin adds to rooms, vents, pucks and thermostats is in `models`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import msgspec

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

API = "/api"
SENSOR_FIRMWARE, VENT_FIRMWARE = 135, 136
_OBSERVER_NAMESPACE = uuid.UUID("6a1c2f0e-9b7d-4c55-8e0f-2d4b9a7c3e11")
_encoder = msgspec.json.Encoder()

Json = dict[str, Any]


def encode(document: Any) -> bytes:
    """Serialise a document (dicts and lists of JSON values)."""
    return _encoder.encode(document)


def timestamp(t: float) -> str:
    """Epoch seconds as the real service writes them: ISO 8601, microseconds, +00:00."""
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="microseconds")


def identifier(type_name: str, resource_id: str | int | None) -> Json | None:
    """A resource identifier object, or None for an empty to-one link."""
    return None if resource_id is None else {"type": type_name, "id": str(resource_id)}


def relationship(
    type_name: str, resource_id: str, name: str, *, self_link: bool, data: Any = msgspec.UNSET
) -> Json:
    """One relationship: links (self only where the link has an endpoint) and maybe data."""
    base = f"{API}/{type_name}/{resource_id}"
    links = {"related": f"{base}/{name}"}
    if self_link:
        links = {"self": f"{base}/relationships/{name}", **links}
    entry: Json = {"links": links}
    if data is not msgspec.UNSET:
        entry["data"] = data
    return entry


def resource(type_name: str, resource_id: str, attributes: Json, relationships: Json) -> Json:
    """A resource object with exactly the four keys strict clients accept."""
    return {
        "type": type_name,
        "id": resource_id,
        "attributes": attributes,
        "relationships": relationships,
    }


def page_link(path: str, include: str, size: int, page: int) -> str:
    """A paging link as the real service writes it (brackets percent-encoded)."""
    return f"{path}?include={quote(include, safe=',')}&page%5Bsize%5D={size}&page%5Bpage%5D={page}"


def collection(
    self_link: str,
    path: str,
    data: list[Json],
    *,
    total: int,
    size: int,
    page: int,
    include: str,
    included: list[Json] | None,
) -> Json:
    """A collection document: paging in `meta`, `included` only when include= asked for it."""
    last = max(1, -(-total // size))
    document: Json = {
        "meta": {
            "self": self_link,
            "first": page_link(path, include, size, 1),
            "last": page_link(path, include, size, last),
            "next": page_link(path, include, size, page + 1) if page < last else None,
            "prev": page_link(path, include, size, page - 1) if page > 1 else None,
        },
        "data": data,
    }
    if included is not None:
        document["included"] = included
    return document


def single(self_link: str, data: Json | None, included: list[Json] | None = None) -> Json:
    """A single-resource document (data may be null for an empty to-one link)."""
    document: Json = {"meta": {"self": self_link}, "data": data}
    if included is not None:
        document["included"] = included
    return document


def linkage(self_link: str, data: Any) -> Json:
    """A relationship document: the identifiers of a link."""
    return {"meta": {"self": self_link}, "data": data}


def errors(status: int, title: str, detail: str) -> Json:
    """The error document: an array of error objects (statuses are strings, as in JSON:API)."""
    return {"errors": [{"status": str(status), "title": title, "detail": detail}]}


# ------------------------------------------------------------------ attributes of a row
def stored(row: Row[Any]) -> Json:
    """A type clients edit: its JSON column with the time stamps."""
    values = dict(row.attributes)
    values["created-at"] = timestamp(row.created_at)
    values["updated-at"] = timestamp(row.updated_at)
    return values


def sensor_reading(row: Row[Any]) -> Json:
    """A puck's reading."""
    return {
        "room-temperature-c": row.room_temperature_c,
        "humidity": row.humidity,
        "room-pressure": row.room_pressure,
        "light": row.light,
        "system-voltage": row.system_voltage,
        "rssi": row.rssi,
        "is-gateway": row.is_gateway,
        "desired-temperature-c": row.desired_temperature_c,
        "button-pushes": 0,
        "firmware-version-s": SENSOR_FIRMWARE,
        "firmware-version-b": SENSOR_FIRMWARE,
        "firmware-version-w": SENSOR_FIRMWARE,
        "temperature": row.room_temperature_c,  # the raw sensor, before any offset
        "die-temperature": row.room_temperature_c,
        "current-offset": 0.0,
        "rotary-encoded-clicks": 0,
        "message-version": 0,
        "created-at": timestamp(row.at),
    }


def vent_sensor_reading(row: Row[Any]) -> Json:
    """A vent's reading."""
    return {
        "duct-temperature-c": row.duct_temperature_c,
        "duct-pressure": row.duct_pressure,
        "percent-open": row.percent_open,
        "system-voltage": row.system_voltage,
        "rssi": row.rssi,
        "motor-run-time": row.motor_run_time,
        "motor-current": None,
        "firmware-version-s": VENT_FIRMWARE,
        "lights": None,
        "created-at": timestamp(row.at),
    }


def thermostat_state(row: Row[Any], home: bool) -> Json:
    """A thermostat's state; `home` is its structure's home-away."""
    return {
        "ambient-temperature-c": row.ambient_temperature_c,
        "target-temperature-c": row.target_temperature_c,
        "upper-setpoint-c": row.target_temperature_c,
        "lower-setpoint-c": row.target_temperature_c,
        "operating-state": row.operating_state,
        "mode": row.mode,
        "fan-state": "auto",
        "humidity": row.humidity,
        "home-away": "Home" if home else "Away",
        "online": True,
        "created-at": timestamp(row.at),
    }


def vent_state(row: Row[Any]) -> Json:
    """A vent's state: where it moved, why and at whose request."""
    return {
        "percent-open": row.percent_open,
        "percent-open-reason": row.percent_open_reason,
        "set-by": row.set_by,
        "changeset": list(row.changeset),
        "created-at": timestamp(row.at),
    }


def weather_reading(row: Row[Any]) -> Json:
    """A structure's weather."""
    return {
        "sunrise": timestamp(row.sunrise),
        "sunset": timestamp(row.sunset),
        "outside-temperature-c": row.outside_temperature_c,
        "windspeed": row.windspeed,
        "wind-direction": row.wind_direction,
        "humidity": row.humidity,
        "pressure": row.pressure,
        "wind-chill": row.wind_chill,
        "condition": row.condition,
        "created-at": timestamp(row.at),
    }


def application(row: Row[Any]) -> Json:
    """An application; its secret is shown once, in the answer to the POST that created it."""
    return {
        "name": row.name,
        "description": row.description,
        "client_id": row.client_id,
        "client_secret": None,
        "redirect_uris": list(row.redirect_uris),
        "scopes": list(row.scopes),
        "created-at": timestamp(row.created_at),
    }


def device(row: Row[Any]) -> Json:
    """A phone the user signed in with."""
    return {
        "user-agent": row.user_agent,
        "created-at": timestamp(row.created_at),
        "updated-at": timestamp(row.updated_at),
    }


def beacon_sighting(row: Row[Any], user_agent: str) -> Json:
    """A beacon sighting as the phone that made it reports it: iOS apps send CoreLocation's
    accuracy and proximity, Android apps the transmit power, distance and their radios."""
    mark = uuid.uuid5(_OBSERVER_NAMESPACE, str(row.device_id))
    attributes: Json = {"rssi": row.rssi, "created-at": timestamp(row.at)}
    if "iphone" in user_agent.lower() or "ios" in user_agent.lower():
        proximity = "Immediate" if row.distance < 0.5 else "Near" if row.distance < 3 else "Far"
        attributes.update(
            {
                "observer-device-uuid": str(mark).upper(),
                "distance-string": proximity,
                "description": f"CLBeacon (puck:{row.puck_id}, proximity:{proximity})",
                "accuracy": row.accuracy,
            }
        )
    else:
        octets = mark.bytes
        attributes.update(
            {
                "txpower": row.txpower,
                "distance": row.distance,
                "bluetooth-name": "Android",
                "bluetooth-mac": ":".join(f"{b:02X}" for b in octets[:6]),
                "observer-wifi-mac": ":".join(f"{b:02X}" for b in octets[6:12]),
            }
        )
    return attributes
