"""The shapes of Automate Green's answers, for the OpenAPI document (the handlers answer plain
dicts built by the service in exactly these shapes; tests check one against the other)."""

from __future__ import annotations

from typing import Any

import msgspec

Info = dict[str, Any]


class User(msgspec.Struct):
    """The signed-in user."""

    email: str
    name: str


class SignedIn(msgspec.Struct):
    """`POST /signin`."""

    message: str
    token: str
    user: User


class TokenEntry(msgspec.Struct):
    """One token of `GET /tokens` (`expires` ISO 8601)."""

    id: str
    expires: str
    desc: str


class TokenList(msgspec.Struct):
    """`GET /tokens`."""

    tokens: list[TokenEntry]


class DeviceType(msgspec.Struct, omit_defaults=True):
    """An Insteon device's type (`description`, `name`, `profile`), or a Power Controller's
    (`id`, `profile`, `desc`)."""

    profile: str
    description: str | None = None
    name: str | None = None
    id: str | None = None
    desc: str | None = None


class Gateway(msgspec.Struct):
    """An Insteon hub."""

    address: str
    id: str
    info: Info
    lastUpdate: str
    name: str
    type: DeviceType


class GatewayAnswer(msgspec.Struct):
    """`GET /gateways/{id}`."""

    gateway: Gateway


class GatewayList(msgspec.Struct):
    """`GET /gateways`."""

    gateways: list[Gateway]


class DeviceStatus(msgspec.Struct, omit_defaults=True):
    """A device's newest status: Insteon `{date (epoch ms), deviceId, id, info, state}`;
    Power Controller `{state, info, date (ISO 8601)}` (`{state}` while Initializing)."""

    state: str
    date: int | str | None = None
    deviceId: str | None = None
    id: str | None = None
    info: Info | None = None


class Device(msgspec.Struct, omit_defaults=True):
    """A device: Insteon (`address, gateway, id, info, lastUpdate, name, status, type`) or
    Power Controller (`id, address, sn, country, type, status, info`)."""

    id: str
    address: str
    type: DeviceType
    status: DeviceStatus
    info: Info
    name: str | None = None
    gateway: str | None = None
    lastUpdate: str | None = None
    sn: str | None = None
    country: str | None = None


class DeviceAnswer(msgspec.Struct, omit_defaults=True):
    """`GET`/`PUT /devices/{id}`, a command's answer (Power Controllers add the device's
    `responseCodes`)."""

    device: Device
    responseCodes: list[int] | None = None


class WrappedDevice(msgspec.Struct):
    """A Power Controller in `GET /devices`, as its document lists it."""

    device: Device


class DeviceList(msgspec.Struct):
    """`GET /devices`: Insteon devices as they are, Power Controllers as `{"device": ...}`."""

    # Each entry is a Device, or a WrappedDevice for a Power Controller (msgspec documents no
    # untagged union of objects, so the list's items are left open).
    devices: list[dict[str, Any]]


class ReloadAnswer(msgspec.Struct):
    """`GET /gateways/{id}/reload`: the hub and the devices listed through it now."""

    gateway: Gateway
    devices: list[Device]


class Status(msgspec.Struct):
    """A status record (`date` as `2018-07-18T09:30:00.000Z`)."""

    id: str
    device: str
    deviceId: str
    date: str
    state: str
    type: str
    reason: str
    info: Info


class StatusList(msgspec.Struct):
    """`GET /statuses`."""

    statuses: list[Status]


class Action(msgspec.Struct, omit_defaults=True):
    """An action (`last` and `count` only once it fired, as the document's create example
    shows)."""

    id: str
    device: str
    type: str
    event: str
    options: Info
    count: int | None = None
    last: str | None = None
    conditions: list[Info] | None = None
    threshold: Info | None = None
    injectStatus: bool | None = None
    injectDeviceId: bool | None = None
    deviceToControlId: str | None = None
    disabled: bool | None = None


class ActionAnswer(msgspec.Struct):
    """`GET /actions/{id}`, and what create and update answer."""

    action: Action


class ActionList(msgspec.Struct):
    """`GET /actions`."""

    actions: list[Action]


class Message(msgspec.Struct):
    """An error's body (400, 403, 404, 503)."""

    message: str
