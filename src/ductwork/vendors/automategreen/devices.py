"""What every simulated Automate Green device shares: the events it reports, the outcome of a
command, and the protocol a device model implements so the house twin drives any kind.

The twin is pure: a device's state is a plain JSON dict (kept in the house row between
chunks), every function takes the instant it acts at (seconds on the account's clock) and
returns what the device reported, and nothing here touches the database or HTTP. The store
writes `Report`s as status records and hands them to the action engine; the API turns an
`Outcome` into the vendor's response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Json = dict[str, Any]

ACTIVE, UNAVAILABLE, INITIALIZING = "Active", "Unavailable", "Initializing"


class CommandRejected(Exception):
    """A command, setting or body the device (or the cloud in front of it) refuses: the API
    answers 400 with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DeviceOffline(Exception):
    """The device does not answer (a Power Controller that is offline, an Insteon device whose
    gateway is unreachable): the API answers 503."""


@dataclass(frozen=True)
class Report:
    """One status the device reported: a status record of `GET /statuses`, the device's
    `status` from then on, and what the action engine sees.

    `events` are the action events it raises (`turnOn`, `motion`, `temp`, `heating`...) and
    `values` the numbers thresholds compare, by event name (`{"temp": 71.6}`); a report that
    changes nothing an action watches has neither.
    """

    device_id: str
    at: float  # seconds since the epoch on the account's clock
    type: str  # "update" | "relay" | "trigger" | "function" (Power Controller); "update" else
    reason: str  # "auto" | "api" | "manual" | "timer" | "ffr" | "command" | "status" | ...
    state: str  # ACTIVE | UNAVAILABLE | INITIALIZING
    info: Json
    events: tuple[str, ...] = ()
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a command, a configuration or a status refresh produced: the reports (possibly
    none) and, for a Power Controller, the response codes of its answer."""

    reports: tuple[Report, ...] = ()
    codes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Environment:
    """The world around the devices at one instant, computed by the house for each minute."""

    at: float  # seconds since the epoch (account clock)
    outdoor_c: float
    outdoor_humidity: float  # 0..1
    light_lux: float  # outdoor daylight
    local_minute: int  # minutes since local midnight (the house's time zone)
    weekday: int  # 0 = Monday
    occupied: bool  # someone is home and awake


class DeviceModel(Protocol):
    """One kind of device (switch, dimmer, thermostat, motion sensor, Power Controller...)."""

    kind: str  # our name of the kind, the `kind` of its `DeviceSpec`

    def type_object(self, state: Json) -> Json:
        """The device's `type` as the API shows it."""

    def initial(self, spec: Json, seed: int, at: float) -> Json:
        """A new device's state (JSON) from its spec, reporting from `at` on."""

    def step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        """Advance the device through the minute ending at `env.at` (60 s); the reports it
        sent during that minute, in time order."""

    def command(
        self, state: Json, command: Json, at: float, seed: int, asynchronous: bool = False
    ) -> Outcome:
        """Carry out `command` (the body's `command` object, values as sent: strings from a
        form, numbers from JSON); raises CommandRejected, or DeviceOffline when the device
        does not answer and the call cannot wait (`asynchronous` calls may be kept for later:
        the API answers them 202 whatever the outcome)."""

    def configure(
        self, state: Json, body: Json, at: float, seed: int, asynchronous: bool = False
    ) -> Outcome:
        """Apply a `PUT /devices/{id}` body's device settings (`info`, `schedule`...; `name`
        is the store's); raises CommandRejected or DeviceOffline as `command` does."""

    def refresh(self, state: Json, at: float, seed: int, asynchronous: bool = False) -> Outcome:
        """`POST /devices/{id}/status`: the device reports its status now."""

    def set_online(self, state: Json, online: bool, at: float, seed: int) -> list[Report]:
        """Take the device (or its link to the cloud) off line or back (the control plane's
        device fault); what it reports on coming back (kept commands carried out)."""

    def info(self, state: Json, at: float) -> Json:
        """The device's `info` (its configuration) as the API shows it at `at`."""

    def status(self, state: Json, at: float) -> tuple[str, Json]:
        """The device's current state (`Active`...) and status `info` at `at` (a dimmer's level
        mid-ramp, a Power Controller's last readings)."""
